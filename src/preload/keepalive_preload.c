/* libkeepalive-tune-preload.so: put a keepalive profile on the TCP sockets a program opens.
 *
 * `keepalive-tune exec` sets LD_PRELOAD and KEEPALIVE_TUNE_PRELOAD. The profile goes on before
 * listen() (accepted connections inherit the listener's options when the handshake completes)
 * and before connect(), values first and SO_KEEPALIVE last, so the timer is armed once with the
 * final idle. Only AF_INET/AF_INET6 TCP sockets are touched.
 *
 * Hooks allocate nothing, take no locks and use no C++ runtime: the configuration is parsed once
 * in the constructor, and the per-fd record of what the program set itself is a static array of
 * bytes updated with atomic operations. errno is preserved around everything the hooks add. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "preload_config.h"

#define KT_EXPORT __attribute__((visibility("default")))

/* What the program set itself on each fd, and whether the fd went through connect(). */
enum {
    OWN_KEEPALIVE = 1,
    OWN_IDLE = 2,
    OWN_INTERVAL = 4,
    OWN_COUNT = 8,
    OWN_USER_TIMEOUT = 16,
    CONNECTED_OUT = 32,
};
/* fds at or above this are not tracked: their program-set options are not known, so the
 * profile goes on whole at listen()/connect() as it would with --enforce. (Tests build a copy
 * with a small bound, since raising RLIMIT_NOFILE past 65536 needs CAP_SYS_RESOURCE.) */
#ifndef KT_TRACKED_FDS
#define KT_TRACKED_FDS 65536
#endif
static unsigned char g_fd_bits[KT_TRACKED_FDS];

static struct kt_preload_config g_config;
static int g_active;

typedef int (*socket_fn)(int, int, int);
typedef int (*listen_fn)(int, int);
typedef int (*connect_fn)(int, const struct sockaddr*, socklen_t);
typedef int (*accept_fn)(int, struct sockaddr*, socklen_t*);
typedef int (*accept4_fn)(int, struct sockaddr*, socklen_t*, int);
typedef int (*setsockopt_fn)(int, int, int, const void*, socklen_t);
typedef ssize_t (*sendto_fn)(int, const void*, size_t, int, const struct sockaddr*, socklen_t);
typedef ssize_t (*sendmsg_fn)(int, const struct msghdr*, int);

static socket_fn real_socket;
static listen_fn real_listen;
static connect_fn real_connect;
static accept_fn real_accept;
static accept4_fn real_accept4;
static setsockopt_fn real_setsockopt;
static sendto_fn real_sendto;
static sendmsg_fn real_sendmsg;

static void resolve(void) {
    /* Normally done once by the constructor; a hook that runs first (another library's
     * constructor) resolves here. Pointer stores are atomic on every Linux target. */
    if (!real_socket) real_socket = (socket_fn)dlsym(RTLD_NEXT, "socket");
    if (!real_listen) real_listen = (listen_fn)dlsym(RTLD_NEXT, "listen");
    if (!real_connect) real_connect = (connect_fn)dlsym(RTLD_NEXT, "connect");
    if (!real_accept) real_accept = (accept_fn)dlsym(RTLD_NEXT, "accept");
    if (!real_accept4) real_accept4 = (accept4_fn)dlsym(RTLD_NEXT, "accept4");
    if (!real_setsockopt) real_setsockopt = (setsockopt_fn)dlsym(RTLD_NEXT, "setsockopt");
    if (!real_sendto) real_sendto = (sendto_fn)dlsym(RTLD_NEXT, "sendto");
    if (!real_sendmsg) real_sendmsg = (sendmsg_fn)dlsym(RTLD_NEXT, "sendmsg");
}

static void say(const char* s) {
    ssize_t ignored = write(2, s, strlen(s));
    (void)ignored;
}

__attribute__((constructor)) static void kt_preload_init(void) {
    resolve();
    const char* env = getenv(KT_PRELOAD_ENV);
    /* "off": a malformed setting was already reported by an ancestor of this process. */
    if (env && strcmp(env, KT_PRELOAD_OFF) == 0) return;
    const char* why = kt_preload_parse(env, &g_config);
    if (why) {
        /* One line, then the program runs untouched. The setting becomes "off" so that the
         * programs this one starts (a shell shim runs dozens) do not say it again. The
         * constructor runs before main(), while nothing else reads the environment. */
        say("keepalive-tune preload: warning: " KT_PRELOAD_ENV ": ");
        say(why);
        say("; sockets are left as they are (start the program with `keepalive-tune exec`)\n");
        setenv(KT_PRELOAD_ENV, KT_PRELOAD_OFF, 1);
        return;
    }
    g_active = 1;
}

static unsigned fd_bits(int fd) {
    return fd >= 0 && fd < KT_TRACKED_FDS ? __atomic_load_n(&g_fd_bits[fd], __ATOMIC_RELAXED) : 0u;
}
static void fd_mark(int fd, unsigned bits) {
    if (fd >= 0 && fd < KT_TRACKED_FDS) __atomic_fetch_or(&g_fd_bits[fd], (unsigned char)bits, __ATOMIC_RELAXED);
}
static void fd_reset(int fd) {
    if (fd >= 0 && fd < KT_TRACKED_FDS) __atomic_store_n(&g_fd_bits[fd], (unsigned char)0, __ATOMIC_RELAXED);
}

/* An IPv4 or IPv6 TCP socket (never UDP, UNIX or MPTCP). */
static int is_inet_tcp(int fd) {
    int domain = 0, protocol = 0;
    socklen_t len = sizeof domain;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) return 0;
    if (domain != AF_INET && domain != AF_INET6) return 0;
    len = sizeof protocol;
    return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) == 0 && protocol == IPPROTO_TCP;
}

static void set_int(int fd, int level, int name, int value) {
    (void)real_setsockopt(fd, level, name, &value, sizeof value);
}

/* Values first, SO_KEEPALIVE last; options the program set itself stay unless --enforce. */
static void apply_profile(int fd) {
    const unsigned own = g_config.enforce ? 0u : fd_bits(fd);
    if (!(own & OWN_IDLE)) set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, g_config.idle);
    if (!(own & OWN_INTERVAL)) set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, g_config.interval);
    if (!(own & OWN_COUNT)) set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, g_config.count);
    if (g_config.user_timeout >= 0 && !(own & OWN_USER_TIMEOUT))
        set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, g_config.user_timeout);
    if (!(own & OWN_KEEPALIVE)) set_int(fd, SOL_SOCKET, SO_KEEPALIVE, g_config.keepalive);
}

/* Which profile value a keepalive option maps to; 0 for other options. */
static unsigned option_bit(int level, int name) {
    if (level == SOL_SOCKET && name == SO_KEEPALIVE) return OWN_KEEPALIVE;
    if (level != IPPROTO_TCP) return 0;
    switch (name) {
        case TCP_KEEPIDLE: return OWN_IDLE;
        case TCP_KEEPINTVL: return OWN_INTERVAL;
        case TCP_KEEPCNT: return OWN_COUNT;
        case TCP_USER_TIMEOUT: return OWN_USER_TIMEOUT;
        default: return 0;
    }
}

static int profile_value(unsigned bit, int* value) {
    switch (bit) {
        case OWN_KEEPALIVE: *value = g_config.keepalive; return 1;
        case OWN_IDLE: *value = g_config.idle; return 1;
        case OWN_INTERVAL: *value = g_config.interval; return 1;
        case OWN_COUNT: *value = g_config.count; return 1;
        case OWN_USER_TIMEOUT: *value = g_config.user_timeout; return g_config.user_timeout >= 0;
        default: return 0;
    }
}

/* The role of a socket already in use: a listener or a connection it accepted, or an outbound
 * connection. 0 while it is neither listening nor connected (listen/connect will handle it). */
static unsigned role_of(int fd) {
    if (fd_bits(fd) & CONNECTED_OUT) return KT_ROLE_UPSTREAM;
    int listening = 0;
    socklen_t len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening) return KT_ROLE_LISTENER;
    struct sockaddr_storage peer;
    len = sizeof peer;
    if (getpeername(fd, (struct sockaddr*)&peer, &len) == 0) return KT_ROLE_LISTENER; /* accepted */
    return 0;
}

KT_EXPORT int socket(int domain, int type, int protocol) {
    if (!real_socket) resolve();
    const int fd = real_socket(domain, type, protocol);
    fd_reset(fd);
    return fd;
}

KT_EXPORT int accept(int fd, struct sockaddr* addr, socklen_t* len) {
    if (!real_accept) resolve();
    const int c = real_accept(fd, addr, len);
    fd_reset(c);
    return c;
}

KT_EXPORT int accept4(int fd, struct sockaddr* addr, socklen_t* len, int flags) {
    if (!real_accept4) resolve();
    const int c = real_accept4(fd, addr, len, flags);
    fd_reset(c);
    return c;
}

KT_EXPORT int listen(int fd, int backlog) {
    if (!real_listen) resolve();
    if (g_active && (g_config.roles & KT_ROLE_LISTENER)) {
        const int saved = errno;
        if (is_inet_tcp(fd)) apply_profile(fd);
        errno = saved;
    }
    return real_listen(fd, backlog);
}

/* Before an outbound connection starts: connect(), or a TCP Fast Open send. */
static void before_connecting(int fd, const struct sockaddr* addr) {
    /* A non-blocking connect may be called again while in progress: act on the first call. */
    if (g_active && addr && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6) &&
        !(fd_bits(fd) & CONNECTED_OUT)) {
        const int saved = errno;
        if (is_inet_tcp(fd)) {
            if (g_config.roles & KT_ROLE_UPSTREAM) apply_profile(fd);
            fd_mark(fd, CONNECTED_OUT);
        }
        errno = saved;
    }
}

KT_EXPORT int connect(int fd, const struct sockaddr* addr, socklen_t len) {
    if (!real_connect) resolve();
    before_connecting(fd, addr);
    return real_connect(fd, addr, len);
}

/* TCP Fast Open connects inside sendto()/sendmsg() with MSG_FASTOPEN, without connect(). Any
 * other send passes straight through: one test of the flags. */
KT_EXPORT ssize_t sendto(int fd, const void* buf, size_t n, int flags, const struct sockaddr* addr, socklen_t len) {
    if (!real_sendto) resolve();
    if (flags & MSG_FASTOPEN) before_connecting(fd, addr);
    return real_sendto(fd, buf, n, flags, addr, len);
}

KT_EXPORT ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) {
    if (!real_sendmsg) resolve();
    if ((flags & MSG_FASTOPEN) && msg) before_connecting(fd, (const struct sockaddr*)msg->msg_name);
    return real_sendmsg(fd, msg, flags);
}

KT_EXPORT int setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
    if (!real_setsockopt) resolve();
    const unsigned bit = g_active ? option_bit(level, name) : 0u;
    if (!bit) return real_setsockopt(fd, level, name, value, len);
    const int saved = errno;
    int mine = 0;
    const int tcp = is_inet_tcp(fd);
    if (tcp && g_config.enforce && (role_of(fd) & g_config.roles) && profile_value(bit, &mine)) {
        errno = saved;
        return real_setsockopt(fd, level, name, &mine, sizeof mine);
    }
    if (tcp) fd_mark(fd, bit);
    errno = saved;
    return real_setsockopt(fd, level, name, value, len);
}
