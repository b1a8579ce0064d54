/* A client for the enforce tests: connects to 127.0.0.1:PORT, says which local port it got, and
 * holds the connection until killed. It sets no socket option of its own, or, given IDLE, its
 * own TCP_KEEPIDLE before connect() (keepalive itself left off). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: enforce_client PORT [IDLE]\n");
        return 2;
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (argc == 3) {
        int idle = atoi(argv[2]);
        if (setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) != 0) {
            perror("TCP_KEEPIDLE");
            return 1;
        }
    }
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)atoi(argv[1]));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0 || connect(s, (struct sockaddr*)&a, sizeof a) != 0) {
        perror("connect");
        return 1;
    }
    socklen_t len = sizeof a;
    getsockname(s, (struct sockaddr*)&a, &len);
    printf("connected %u\n", (unsigned)ntohs(a.sin_port));
    fflush(stdout);
    for (;;) pause();
}
