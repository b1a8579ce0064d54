/* `enforce`: a cgroup sockops program that gives every new connection of the cgroup the
 * profile in `enforce_config`, and a cgroup setsockopt program that, when asked, replaces the
 * application's own keepalive values with the profile's (Go sets its own 15 s right after
 * connect). Both stay attached through pinned links after the loader exits. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

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

/* The role each enforced socket was given at establishment, for the setsockopt program. */
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, __u32);
} socket_roles SEC(".maps");

static __always_inline int set_int(struct bpf_sock_ops *skops, int level, int name, __u32 value) {
    int v = (int)value;
    return bpf_setsockopt(skops, level, name, &v, sizeof(v));
}

/* Values first, SO_KEEPALIVE last: the timer is armed once, with the profile's idle. A profile
 * with keepalive off turns it off. */
static __always_inline int give_profile(struct bpf_sock_ops *skops, const struct kt_enforce_config *c) {
    int err = 0;
    if (!c->keepalive) return set_int(skops, KT_SOL_SOCKET, KT_SO_KEEPALIVE, 0);
    if (c->idle_seconds) err |= set_int(skops, KT_SOL_TCP, KT_TCP_KEEPIDLE, c->idle_seconds);
    if (c->interval_seconds) err |= set_int(skops, KT_SOL_TCP, KT_TCP_KEEPINTVL, c->interval_seconds);
    if (c->count) err |= set_int(skops, KT_SOL_TCP, KT_TCP_KEEPCNT, c->count);
    if (c->user_timeout_ms) err |= set_int(skops, KT_SOL_TCP, KT_TCP_USER_TIMEOUT, c->user_timeout_ms);
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
    int err = give_profile(skops, c);
    struct kt_enforce_stats *s = bpf_map_lookup_elem(&enforce_stats, &zero);
    if (s) __sync_fetch_and_add(err ? &s->failed : &s->applied, 1);
    if (c->override_app && skops->sk) {
        __u32 *stored = bpf_sk_storage_get(&socket_roles, skops->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
        if (stored) *stored = role;
    }
    return 1;
}

SEC("cgroup/setsockopt")
int kt_enforce_setsockopt(struct bpf_sockopt *ctx) {
    if (ctx->level != KT_SOL_TCP) return 1;
    __u32 zero = 0;
    struct kt_enforce_config *c = bpf_map_lookup_elem(&enforce_config, &zero);
    if (!c || !c->override_app || !c->keepalive || !ctx->sk) return 1;
    __u32 *role = bpf_sk_storage_get(&socket_roles, ctx->sk, 0, 0);
    if (!role || !(c->roles & *role)) return 1;
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
