// A Go client for the enforce tests (built with CGO_ENABLED=0, so no libc and no LD_PRELOAD):
// net.Dial turns keepalive on and sets its own 15 s idle and interval right after connect.
package main

import (
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go_client PORT")
		os.Exit(2)
	}
	c, err := net.Dial("tcp", "127.0.0.1:"+os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("connected %d\n", c.LocalAddr().(*net.TCPAddr).Port)
	for {
		time.Sleep(time.Hour)
	}
}
