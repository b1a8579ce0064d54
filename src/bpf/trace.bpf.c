/* trace: each TCP connection's end, as it happens. At sock:inet_sock_set_state -> TCP_CLOSE
 * the write queue is already purged, so the record carries what classifies the end (sk_err,
 * probes out, retransmissions, user timeout, the idle times, the keepalive values) and, where a
 * reset arrived just before, what tcp:tcp_receive_reset saw of it. A reset this host sends is
 * a record of its own, with the kernel's reason where it has one. Records go to user space
 * through a ring buffer; a record that does not fit is counted, never lost silently.
 * Loaded as counters (trace --install-counters), the same programs count the ends by namespace
 * and reason, and the abnormal ones by destination, in maps that a pinned link keeps alive
 * between the runs of `check`; they then write no records. */
#include "kt_kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

#include "kt_bpf_shared.h"
#include "kt_sock_inode.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define KT_AF_INET 2
#define KT_AF_INET6 10
#define KT_IPPROTO_TCP 6
#define KT_TCP_SYN_SENT 2
#define KT_TCP_SYN_RECV 3
#define KT_TCP_CLOSE 7
#define KT_TCP_LISTEN 10

/* Jiffies per second, which the loader reads through the skeleton (0 where libbpf found no
 * kernel config); referenced here so that the skeleton keeps it. */
extern unsigned int CONFIG_HZ __kconfig __weak;
unsigned int kt_config_hz = 0;

/* Set by the loader: show normal closes too (trace --all). */
const volatile __u32 kt_trace_all = 0;
/* Set by the loader: only this network namespace (its inode), 0 for every one. */
const volatile __u32 kt_trace_netns = 0;
/* Set by the loader: note how each connection is made (sides, below), for trace --role. */
const volatile __u32 kt_trace_sides = 0;
/* Set by the loader: count the ends in the maps below instead of recording them. */
const volatile __u32 kt_trace_count = 0;
/* Records the ring buffer had no room for. */
__u64 kt_dropped = 0;

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1 << 22); /* the loader sets the size */
} ends SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4096); /* namespaces x reasons */
    __type(key, struct kt_end_count_key);
    __type(value, __u64);
} end_counts SEC(".maps");

/* The most recent destinations: one that has not ended badly for long gives way. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 8192);
    __type(key, struct kt_end_destination_key);
    __type(value, __u64);
} end_destinations SEC(".maps");

static __always_inline void add_one(void *map, const void *key) {
    __u64 *n = bpf_map_lookup_elem(map, key);
    if (n) {
        __sync_fetch_and_add(n, 1);
        return;
    }
    __u64 one = 1;
    /* Another CPU may have added it in between: then count on that one. */
    if (bpf_map_update_elem(map, key, &one, BPF_NOEXIST) != 0) {
        n = bpf_map_lookup_elem(map, key);
        if (n) __sync_fetch_and_add(n, 1);
    }
}

static __always_inline void count_end(__u32 netns, __u32 reason, __u8 family, __u16 port, const void *addr) {
    struct kt_end_count_key key = {.netns_inode = netns, .reason = reason};
    add_one(&end_counts, &key);
    if (reason == KT_END_REASON_CLOSED) return;
    struct kt_end_destination_key dest = {.netns_inode = netns, .reason = (__u8)reason, .family = family, .port = port};
    __builtin_memcpy(dest.addr, addr, 16);
    add_one(&end_destinations, &dest);
}

/* The side of each connection made while trace runs, known from how it was made: the kernel
 * keeps no such fact, and by the time an end is read its listener may be gone too. On the
 * socket itself, so it goes with it. Only for trace --role: the storage allocated for every
 * new connection costs a churning host up to a tenth of its connection rate. */
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, __u8);
} sides SEC(".maps");

/* What tcp_receive_reset saw, for the close that follows it on the same socket. */
struct kt_reset_seen {
    __u32 idle_jiffies;
    __u32 after_send_jiffies;
    __u32 packets_out;
};
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, __u64);
    __type(value, struct kt_reset_seen);
} resets SEC(".maps");

static __always_inline void addresses(struct kt_end_record *r, const struct sock_common *skc) {
    r->family = (__u8)skc->skc_family;
    r->local_port = skc->skc_num;
    r->peer_port = bpf_ntohs(skc->skc_dport);
    if (r->family == KT_AF_INET) {
        __be32 local = skc->skc_rcv_saddr;
        __be32 peer = skc->skc_daddr;
        __builtin_memcpy(r->local_addr, &local, 4);
        __builtin_memcpy(r->peer_addr, &peer, 4);
    } else {
        BPF_CORE_READ_INTO(&r->local_addr, skc, skc_v6_rcv_saddr);
        BPF_CORE_READ_INTO(&r->peer_addr, skc, skc_v6_daddr);
    }
}

static __always_inline struct kt_end_record *reserve(void) {
    struct kt_end_record *r = bpf_ringbuf_reserve(&ends, sizeof(*r), 0);
    if (!r) __sync_fetch_and_add(&kt_dropped, 1);
    return r;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(kt_reset_in, struct sock *sk) {
    struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
    if (!tp) return 0;
    __u32 now = (__u32)bpf_jiffies64();
    struct kt_reset_seen seen = {};
    __u32 sent = tp->lsndtime;
    __u32 acked = tp->rcv_tstamp;
    seen.idle_jiffies = (__s32)(sent - acked) > 0 ? sent - acked : 0;
    seen.after_send_jiffies = now - sent;
    seen.packets_out = tp->packets_out;
    __u64 cookie = bpf_get_socket_cookie(sk);
    bpf_map_update_elem(&resets, &cookie, &seen, BPF_ANY);
    return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(kt_state, const struct sock *sk, const int oldstate, const int newstate) {
    kt_config_hz = CONFIG_HZ;
    if (kt_trace_sides && (newstate == KT_TCP_SYN_SENT || newstate == KT_TCP_SYN_RECV)) {
        __u8 *side = bpf_sk_storage_get(&sides, (void *)sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
        if (side) *side = newstate == KT_TCP_SYN_SENT ? KT_END_UPSTREAM : KT_END_ACCEPTED;
        return 0;
    }
    /* A listener closing is not a connection ending. */
    if (newstate != KT_TCP_CLOSE || oldstate == KT_TCP_LISTEN || sk->sk_protocol != KT_IPPROTO_TCP) return 0;
    struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);
    if (!tp) return 0;
    struct net *net = sk->__sk_common.skc_net.net;
    if (kt_trace_netns && net->ns.inum != kt_trace_netns) return 0;
    const int err = sk->sk_err;
    /* A reset received sets sk_err before the close (tcp_reset): an end without an error is a
     * normal close, which only --all and the counters want. The cookie (an atomic counter the
     * first time a socket is asked) and the map lookup below are then not paid on every close. */
    if (!kt_trace_all && !kt_trace_count && err == 0) return 0;
    __u64 cookie = bpf_get_socket_cookie((void *)sk);
    struct kt_reset_seen *seen = bpf_map_lookup_elem(&resets, &cookie);
    if (kt_trace_count) {
        const int keepalive = (sk->__sk_common.skc_flags >> bpf_core_enum_value(enum sock_flags, SOCK_KEEPOPEN)) & 1;
        const __u32 reason = kt_end_reason_of(0, seen != 0, (__u32)err, tp->inet_conn.icsk_retransmits,
                                              tp->inet_conn.icsk_probes_out, keepalive);
        struct kt_end_record where = {};
        addresses(&where, &sk->__sk_common);
        count_end(net->ns.inum, reason, where.family, where.peer_port, where.peer_addr);
        if (seen) bpf_map_delete_elem(&resets, &cookie);
        return 0;
    }
    if (!kt_trace_all && !seen && err == 0) return 0;
    struct kt_end_record *r = reserve();
    if (!r) {
        if (seen) bpf_map_delete_elem(&resets, &cookie);
        return 0;
    }
    __builtin_memset(r, 0, sizeof(*r));
    const struct sock_common *skc = &sk->__sk_common;
    r->time_ns = bpf_ktime_get_boot_ns();
    r->cookie = cookie;
    r->kind = KT_END_CLOSED;
    r->old_state = (__u8)oldstate;
    r->sk_err = (__u32)err;
    r->netns_inode = net->ns.inum;
    addresses(r, skc);
    /* By TCP_CLOSE the bound port has been given back (skc_num is 0). */
    r->local_port = bpf_ntohs(tp->inet_conn.icsk_inet.inet_sport);
    r->inode = kt_sock_inode(sk);
    if (sk->sk_socket) r->flags |= KT_END_FILE;
    if (kt_trace_sides) {
        __u8 *side = bpf_sk_storage_get(&sides, (void *)sk, 0, 0);
        if (side) r->flags |= *side;
    }
    if ((skc->skc_flags >> bpf_core_enum_value(enum sock_flags, SOCK_KEEPOPEN)) & 1) r->flags |= KT_END_KEEPALIVE;
    r->keepalive_time = tp->keepalive_time;
    r->keepalive_intvl = tp->keepalive_intvl;
    r->keepalive_probes = tp->keepalive_probes;
    r->default_time = (__u32)net->ipv4.sysctl_tcp_keepalive_time;
    r->default_intvl = (__u32)net->ipv4.sysctl_tcp_keepalive_intvl;
    r->default_probes = net->ipv4.sysctl_tcp_keepalive_probes;
    r->retries2 = net->ipv4.sysctl_tcp_retries2;
    r->user_timeout_ms = tp->inet_conn.icsk_user_timeout;
    r->probes_out = tp->inet_conn.icsk_probes_out;
    r->retransmits = tp->inet_conn.icsk_retransmits;
    r->total_retrans = tp->total_retrans;
    r->bytes_acked = tp->bytes_acked;
    r->bytes_received = tp->bytes_received;
    __u32 now = (__u32)bpf_jiffies64();
    r->idle_rcv_jiffies = now - tp->inet_conn.icsk_ack.lrcvtime;
    r->idle_ack_jiffies = now - tp->rcv_tstamp;
    r->idle_snd_jiffies = now - tp->lsndtime;
    __u32 stamp = tp->retrans_stamp;
    if (stamp) {
        int usec = 0;
        if (bpf_core_field_exists(tp->tcp_usec_ts)) usec = BPF_CORE_READ_BITFIELD(tp, tcp_usec_ts);
        __u64 mstamp = tp->tcp_mstamp;
        __u32 elapsed = usec ? (__u32)mstamp - stamp : (__u32)(mstamp / 1000) - stamp;
        r->retransmitting_ms = usec ? elapsed / 1000 : elapsed;
    }
    if (seen) {
        r->flags |= KT_END_RESET_IN;
        r->reset_idle_jiffies = seen->idle_jiffies;
        r->reset_after_send_jiffies = seen->after_send_jiffies;
        r->reset_packets_out = seen->packets_out;
        bpf_map_delete_elem(&resets, &cookie);
    }
    bpf_ringbuf_submit(r, 0);
    return 0;
}

/* A reset this host sends: for a socket (tcp_send_active_reset: no segment) or in answer to a
 * segment (sk NULL when no socket matched: NO_SOCKET). The segment's addresses are reversed,
 * as the reset goes back to its sender. */
static __always_inline void reset_out_fill(struct kt_end_record *r, const struct sock *sk, const struct sk_buff *skb,
                                           __u32 reason, int has_reason) {
    r->time_ns = bpf_ktime_get_boot_ns();
    r->kind = KT_END_RESET_SENT;
    if (has_reason) {
        r->reset_reason = reason;
        r->flags |= KT_END_REASON;
    }
    if (skb) {
        unsigned char *head = BPF_CORE_READ(skb, head);
        __u16 network = BPF_CORE_READ(skb, network_header);
        __u16 transport = BPF_CORE_READ(skb, transport_header);
        __u8 version = 0;
        bpf_probe_read_kernel(&version, 1, head + network);
        __be16 ports[2] = {};
        bpf_probe_read_kernel(ports, sizeof(ports), head + transport);
        r->peer_port = bpf_ntohs(ports[0]);
        r->local_port = bpf_ntohs(ports[1]);
        if ((version >> 4) == 4) {
            r->family = KT_AF_INET;
            bpf_probe_read_kernel(r->peer_addr, 4, head + network + 12);
            bpf_probe_read_kernel(r->local_addr, 4, head + network + 16);
        } else {
            r->family = KT_AF_INET6;
            bpf_probe_read_kernel(r->peer_addr, 16, head + network + 8);
            bpf_probe_read_kernel(r->local_addr, 16, head + network + 24);
        }
        r->netns_inode = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
    } else if (sk) {
        addresses(r, &sk->__sk_common);
    }
    if (sk) {
        r->flags |= KT_END_SOCKET;
        r->old_state = sk->__sk_common.skc_state;
        r->netns_inode = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
        if (sk->__sk_common.skc_state != 12 /* NEW_SYN_RECV */ && sk->__sk_common.skc_state != 6 /* TIME_WAIT */) {
            struct socket *sock = BPF_CORE_READ(sk, sk_socket);
            if (sock) {
                r->inode = kt_sock_inode(sk);
                r->flags |= KT_END_FILE;
            }
            if (kt_trace_sides) {
                __u8 *side = bpf_sk_storage_get(&sides, (void *)sk, 0, 0);
                if (side) r->flags |= *side;
            }
        }
    }
}

static __always_inline int reset_out(const struct sock *sk, const struct sk_buff *skb, __u32 reason, int has_reason) {
    if (kt_trace_count) {
        struct kt_end_record seen = {};
        reset_out_fill(&seen, sk, skb, reason, has_reason);
        if (seen.family == KT_AF_INET || seen.family == KT_AF_INET6)
            count_end(seen.netns_inode, KT_END_REASON_RESET_SENT, seen.family, seen.peer_port, seen.peer_addr);
        return 0;
    }
    struct kt_end_record *r = reserve();
    if (!r) return 0;
    __builtin_memset(r, 0, sizeof(*r));
    reset_out_fill(r, sk, skb, reason, has_reason);
    if ((r->family != KT_AF_INET && r->family != KT_AF_INET6) || (kt_trace_netns && r->netns_inode != kt_trace_netns)) {
        bpf_ringbuf_discard(r, 0);
        return 0;
    }
    bpf_ringbuf_submit(r, 0);
    return 0;
}

/* Linux 6.10 added the reason; the loader keeps the program that fits the running kernel. */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(kt_reset_out, const struct sock *sk, const struct sk_buff *skb, __u32 reason) {
    return reset_out(sk, skb, reason, 1);
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(kt_reset_out_no_reason, const struct sock *sk, const struct sk_buff *skb) {
    return reset_out(sk, skb, 0, 0);
}
