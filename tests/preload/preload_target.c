/* A small dynamically linked program (and, built from the same source, a static one) for the
 * `exec` tests: it opens sockets the way servers and clients do, then waits to be inspected from
 * outside and killed by PID.
 *
 *   preload_target READY_FD serve [own S]                 listen on 127.0.0.1:0, report the port, accept;
 *                                                         with own S, set TCP_KEEPIDLE=S on each accepted one
 *   preload_target READY_FD connect PORT [before|after S] connect to 127.0.0.1:PORT, optionally setting
 *                                                         TCP_KEEPIDLE=S itself before or after connect
 *   preload_target READY_FD fastopen PORT                 connect to 127.0.0.1:PORT with TCP Fast Open
 *                                                         (sendto with MSG_FASTOPEN, no connect())
 *   preload_target READY_FD others                        print SO_KEEPALIVE of a UDP and a UNIX socket
 *   preload_target READY_FD exit CODE | kill SIGNAL       exit with CODE, or die by SIGNAL
 *
 * READY_FD (-1 for none) receives one int once the sockets are set up: the port, or 1; serve
 * then sends 2 after each connection it accepted (and configured). */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void ready(int fd, int value) {
    if (fd >= 0 && write(fd, &value, sizeof value) != (ssize_t)sizeof value) exit(70);
}

static struct sockaddr_in loopback(int port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static void set_idle(int fd, int seconds) {
    if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &seconds, sizeof seconds) != 0) exit(71);
}

static int keepalive_of(int fd) {
    int v = -1;
    socklen_t len = sizeof v;
    return getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &len) == 0 ? v : -1;
}

int main(int argc, char** argv) {
    if (argc < 3) return 64;
    const int ready_fd = atoi(argv[1]);
    const char* mode = argv[2];
    if (strcmp(mode, "serve") == 0) {
        const int l = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = loopback(0);
        socklen_t len = sizeof a;
        if (l < 0 || bind(l, (struct sockaddr*)&a, sizeof a) != 0 || listen(l, 16) != 0 ||
            getsockname(l, (struct sockaddr*)&a, &len) != 0)
            return 72;
        ready(ready_fd, ntohs(a.sin_port));
        const int own = argc >= 5 && strcmp(argv[3], "own") == 0 ? atoi(argv[4]) : 0;
        for (int i = 0; i < 64; ++i) {
            const int c = accept(l, NULL, NULL);
            if (c < 0) return 73;
            if (own) set_idle(c, own);
            ready(ready_fd, 2); /* this connection is set up */
        }
        pause();
        return 0;
    }
    if (strcmp(mode, "connect") == 0 && argc >= 4) {
        const int c = socket(AF_INET, SOCK_STREAM, 0);
        const int own = argc >= 6 ? atoi(argv[5]) : 0;
        const int before = argc >= 6 && strcmp(argv[4], "before") == 0;
        struct sockaddr_in a = loopback(atoi(argv[3]));
        if (c < 0) return 74;
        if (before) set_idle(c, own);
        if (connect(c, (struct sockaddr*)&a, sizeof a) != 0) return 75;
        if (own && !before) set_idle(c, own);
        ready(ready_fd, 1);
        pause();
        return 0;
    }
    if (strcmp(mode, "fastopen") == 0 && argc >= 4) {
        const int c = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = loopback(atoi(argv[3]));
        if (c < 0 || sendto(c, "x", 1, MSG_FASTOPEN, (struct sockaddr*)&a, sizeof a) != 1) return 79;
        ready(ready_fd, 1);
        pause();
        return 0;
    }
    if (strcmp(mode, "others") == 0) {
        const int u = socket(AF_INET, SOCK_DGRAM, 0);
        const int x = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_in a = loopback(9);
        int one = 1;
        /* A UDP socket that connects, and a UNIX one that listens: neither is TCP. */
        if (u < 0 || x < 0 || connect(u, (struct sockaddr*)&a, sizeof a) != 0) return 76;
        (void)setsockopt(u, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr un = {AF_UNIX, {0}};
        if (bind(x, &un, sizeof(sa_family_t)) != 0 || listen(x, 1) != 0) return 77;
        printf("udp=%d unix=%d\n", keepalive_of(u), keepalive_of(x));
        return 0;
    }
    if (strcmp(mode, "exit") == 0 && argc >= 4) return atoi(argv[3]);
    if (strcmp(mode, "kill") == 0 && argc >= 4) {
        raise(atoi(argv[3]));
        return 78;
    }
    return 64;
}
