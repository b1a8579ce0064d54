/* A test target for the preload library under threads: 16 threads open, connect and close
 * sockets at once (fd numbers are reused all the time), half of them setting their own
 * keepalive values before and after connect(), while 4 threads accept. It checks that the
 * hooks preserve errno (on success, and ECONNREFUSED on failure), keeps each thread's last
 * four connections open, and, given a number HIGH_FD as argument, one more connection that set
 * its own TCP_KEEPIDLE on that fd (above the library's tracked range), and one that set its
 * own values on a low fd before the storm. Prints "port P", then
 * "done V" (V: errno violations) and waits to be killed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define THREADS 16
#define ROUNDS 300
#define KEEP 4

static int g_listener;
static unsigned short g_port;
static int g_violations;
static volatile int g_stop;

static void* acceptor(void* arg) {
    (void)arg;
    while (!g_stop) {
        int c = accept(g_listener, NULL, NULL);
        if (c < 0) continue;
        /* Kept open: the test reads the accepted side too (they inherit the listener's values). */
    }
    return NULL;
}

static void* worker(void* arg) {
    const long id = (long)arg;
    int kept[KEEP];
    for (int k = 0; k < KEEP; ++k) kept[k] = -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(g_port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < ROUNDS; ++i) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) continue;
        int v = 99;
        if (id % 2) setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof v);
        errno = 4242;
        if (connect(fd, (struct sockaddr*)&a, sizeof a) != 0) {
            close(fd);
            continue;
        }
        if (errno != 4242) __atomic_add_fetch(&g_violations, 1, __ATOMIC_RELAXED);
        v = 7;
        if (id % 2) setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, sizeof v);
        if (i % 50 == 0) {
            /* A refused connect() must report its own errno, not one of the hooks'. */
            struct sockaddr_in closed = a;
            closed.sin_port = htons(1);
            int r = socket(AF_INET, SOCK_STREAM, 0);
            if (r >= 0 && (connect(r, (struct sockaddr*)&closed, sizeof closed) == 0 || errno != ECONNREFUSED))
                __atomic_add_fetch(&g_violations, 1, __ATOMIC_RELAXED);
            if (r >= 0) close(r);
        }
        const int slot = i % KEEP;
        if (kept[slot] >= 0) close(kept[slot]); /* its fd number comes back soon */
        kept[slot] = fd;
    }
    return NULL;
}

int main(int argc, char** argv) {
    const int high_fd = argc > 1 ? atoi(argv[1]) : 0;
    struct rlimit lim;
    if (high_fd > 0 && getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur <= (rlim_t)high_fd) {
        lim.rlim_cur = (rlim_t)high_fd + 16;
        if (setrlimit(RLIMIT_NOFILE, &lim) != 0) {
            printf("cannot raise RLIMIT_NOFILE to %d\n", high_fd + 16);
            return 3;
        }
    }
    g_listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(g_listener, (struct sockaddr*)&a, sizeof a) != 0 || listen(g_listener, 4096) != 0 ||
        getsockname(g_listener, (struct sockaddr*)&a, &len) != 0)
        return 2;
    g_port = ntohs(a.sin_port);
    printf("port %u\n", g_port);
    fflush(stdout);
    if (high_fd > 0) {
        /* A tracked fd that surely stays below the range: the storm's accepted connections
         * take most low fd numbers, so the workers' kept ones may all end up above it. */
        int low = socket(AF_INET, SOCK_STREAM, 0);
        int v = 99;
        setsockopt(low, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof v);
        if (connect(low, (struct sockaddr*)&a, sizeof a) != 0) return 6;
        v = 7;
        setsockopt(low, IPPROTO_TCP, TCP_KEEPINTVL, &v, sizeof v);
    }
    pthread_t acceptors[4], workers[THREADS];
    for (long i = 0; i < 4; ++i) pthread_create(&acceptors[i], NULL, acceptor, NULL);
    for (long i = 0; i < THREADS; ++i) pthread_create(&workers[i], NULL, worker, (void*)i);
    for (int i = 0; i < THREADS; ++i) pthread_join(workers[i], NULL);

    if (high_fd > 0) {
        /* An fd the library does not track: its own TCP_KEEPIDLE is not known to it. */
        int s = socket(AF_INET, SOCK_STREAM, 0);
        int v = 99;
        setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof v);
        if (dup2(s, high_fd) != high_fd) return 4;
        close(s);
        if (connect(high_fd, (struct sockaddr*)&a, sizeof a) != 0) return 5;
    }
    printf("done %d\n", g_violations);
    fflush(stdout);
    for (int i = 0; i < 120; ++i) sleep(1);
    g_stop = 1;
    return 0;
}
