/* `enforce`: a cgroup sockops program that gives every new connection of the cgroup the
 * profile in `enforce_config` where the application set nothing of its own, and a cgroup
 * setsockopt program that, when asked, replaces the application's own keepalive values with the
 * profile's (Go sets its own 15 s right after connect). Both stay attached through pinned links
 * after the loader exits. Where cgroups nest, the innermost enforced profile wins. */
#include "kt_kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "kt_bpf_shared.h"
#include "kt_sockopt.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";


struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct kt_enforce_config);
} enforce_config SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct kt_enforce_stats);
} enforce_stats SEC(".maps");

/* The mark each enforced socket was given (kt_socket_mark); the loader points this map at the
 * one pinned for every enforced cgroup, so programs of nested cgroups see each other's marks. */
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct kt_socket_mark);
} socket_marks SEC(".maps");

static __always_inline int set_int(struct bpf_sock_ops *skops, int level, int name, __u32 value) {
    int v = (int)value;
    return bpf_setsockopt(skops, level, name, &v, sizeof(v));
}

/* What the application set on the socket itself before listen() or connect(): the kernel keeps
 * 0 for "not set" (the netns sysctl applies), which getsockopt cannot tell from a value. */
struct app_values {
    int idle, interval, count, user_timeout, keepalive;
};

static __always_inline struct app_values app_values_of(struct bpf_sock_ops *skops) {
    struct app_values a = {};
    struct bpf_sock *sk = skops->sk;
    if (!sk) return a;
    struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
    if (!tp) return a;
    a.idle = tp->keepalive_time != 0;
    a.interval = tp->keepalive_intvl != 0;
    a.count = tp->keepalive_probes != 0;
    a.user_timeout = tp->inet_conn.icsk_user_timeout != 0;
    a.keepalive = (tp->inet_conn.icsk_inet.sk.__sk_common.skc_flags >>
                   bpf_core_enum_value(enum sock_flags, SOCK_KEEPOPEN)) & 1;
    return a;
}

/* Values first, SO_KEEPALIVE last: the timer is armed once, with the profile's idle. A profile
 * with keepalive off turns it off, unless the application turned it on. Without override_app,
 * what the application set stays. */
static __always_inline int give_profile(struct bpf_sock_ops *skops, const struct kt_enforce_config *c) {
    struct app_values own = {};
    if (!c->override_app) own = app_values_of(skops);
    int err = 0;
    if (!c->keepalive) return own.keepalive ? 0 : set_int(skops, KT_SOL_SOCKET, KT_SO_KEEPALIVE, 0);
    if (c->idle_seconds && !own.idle) err |= set_int(skops, KT_SOL_TCP, KT_TCP_KEEPIDLE, c->idle_seconds);
    if (c->interval_seconds && !own.interval) err |= set_int(skops, KT_SOL_TCP, KT_TCP_KEEPINTVL, c->interval_seconds);
    if (c->count && !own.count) err |= set_int(skops, KT_SOL_TCP, KT_TCP_KEEPCNT, c->count);
    if (c->user_timeout_ms && !own.user_timeout)
        err |= set_int(skops, KT_SOL_TCP, KT_TCP_USER_TIMEOUT, c->user_timeout_ms);
    /* on even when a value failed, so a connection is never left without keepalive */
    err |= set_int(skops, KT_SOL_SOCKET, KT_SO_KEEPALIVE, 1);
    return err;
}

SEC("sockops")
int kt_enforce_sockops(struct bpf_sock_ops *skops) {
    __u32 role;
    switch (skops->op) {
    case BPF_SOCK_OPS_TCP_LISTEN_CB: role = KT_ROLE_LISTENER; break;
    case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB: role = KT_ROLE_ACCEPTED; break;
    case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB: role = KT_ROLE_UPSTREAM; break;
    default: return 1;
    }
    __u32 zero = 0;
    struct kt_enforce_config *c = bpf_map_lookup_elem(&enforce_config, &zero);
    if (!c || !(c->roles & role)) return 1;
    struct bpf_sock *sk = skops->sk;
    if (!sk) return 1;
    struct kt_socket_mark *mark = bpf_sk_storage_get(&socket_marks, sk, 0, 0);
    /* a deeper cgroup's program ran first and its profile stands */
    if (mark && mark->level > c->level) return 1;
    int err = give_profile(skops, c);
    struct kt_enforce_stats *s = bpf_map_lookup_elem(&enforce_stats, &zero);
    if (s) __sync_fetch_and_add(err ? &s->failed : &s->applied, 1);
    mark = bpf_sk_storage_get(&socket_marks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (mark) {
        mark->role = role;
        mark->level = c->level;
    }
    return 1;
}

SEC("cgroup/setsockopt")
int kt_enforce_setsockopt(struct bpf_sockopt *ctx) {
    if (ctx->level != KT_SOL_TCP) return 1;
    __u32 zero = 0;
    struct kt_enforce_config *c = bpf_map_lookup_elem(&enforce_config, &zero);
    if (!c || !c->override_app || !c->keepalive || !ctx->sk) return 1;
    struct kt_socket_mark *mark = bpf_sk_storage_get(&socket_marks, ctx->sk, 0, 0);
    /* only the program whose profile the socket carries: the innermost enforced cgroup's */
    if (!mark || mark->level != c->level || !(c->roles & mark->role)) return 1;
    __u32 value;
    switch (ctx->optname) {
    case KT_TCP_KEEPIDLE: value = c->idle_seconds; break;
    case KT_TCP_KEEPINTVL: value = c->interval_seconds; break;
    case KT_TCP_KEEPCNT: value = c->count; break;
    case KT_TCP_USER_TIMEOUT: value = c->user_timeout_ms; break;
    default: return 1;
    }
    if (!value) return 1;
    int *optval = ctx->optval;
    if ((void *)(optval + 1) > ctx->optval_end) return 1;
    *optval = (int)value;
    struct kt_enforce_stats *s = bpf_map_lookup_elem(&enforce_stats, &zero);
    if (s) __sync_fetch_and_add(&s->rewritten, 1);
    return 1;
}
