/* The socket option numbers the BPF programs set (UAPI values, which vmlinux-free BPF code has
 * to spell out: the libc headers are not usable with -target bpf). */
#ifndef KT_SOCKOPT_H
#define KT_SOCKOPT_H

#define KT_SOL_SOCKET 1
#define KT_SO_KEEPALIVE 9
#define KT_SOL_TCP 6
#define KT_TCP_KEEPIDLE 4
#define KT_TCP_KEEPINTVL 5
#define KT_TCP_KEEPCNT 6
#define KT_TCP_USER_TIMEOUT 18

#endif
