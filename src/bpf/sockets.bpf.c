/* iter/tcp: one record per TCP socket of the network namespace the iterator was created in
 * (read pass), or the setsockopt sequence of each socket named in `apply_maps` followed by its
 * options as they are then (apply pass). Runs under lock_sock, so bpf_setsockopt acts as
 * setsockopt(2) would. */
#include "kt_kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "kt_bpf_shared.h"
#include "kt_sockopt.h"
#include "kt_sock_inode.h"

/* The kernel refuses bpf_setsockopt and reading struct sock to programs that are not
 * GPL-compatible. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Keepalive times are jiffies. libbpf fills this from /proc/config.gz or /boot/config-*, and
 * leaves 0 where neither is readable: the loader then calibrates on a socket of its own. The
 * loader reads it through the skeleton; the program only keeps the extern referenced. */
extern unsigned int CONFIG_HZ __kconfig __weak;
unsigned int kt_config_hz = 0;

#define KT_AF_INET 2
#define KT_AF_INET6 10
#define KT_TCP_ESTABLISHED 1
#define KT_TCP_FIN_WAIT2 5
#define KT_TCP_CLOSE_WAIT 8
#define KT_TCP_LISTEN 10

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct kt_pass_config);
} pass_config SEC(".maps");

/* The sockets of an apply pass and the write sequences they name, each in a map that user
 * space creates for the pass at the size it needs and puts in slot 0: a map declared here would
 * be created at its largest at every load. The sockets are arrays that user space fills through
 * a mapping of them: filling a hash map of 500,000 cookies took 400 ms of bpf() calls and
 * bucket locks, more than a third of the pass itself. When apply found its targets in a read
 * pass, the entries are in that pass's order, which this pass walks again, so the next entry is
 * nearly always the socket at hand; the others (queued connections, sockets made since, undo's
 * restores, targets found by a dump) are found by halves in a second array of the cookies
 * sorted (its last halvings are cache misses: searching for every socket made the pass 1.1 s
 * instead of 0.85 s at 500,000). BPF_F_INNER_MAP: each pass's arrays have their own size. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 1);
    __type(key, __u32);
    __array(values, struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, 1);
        __uint(map_flags, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
        __uint(key_size, sizeof(__u32));
        __uint(value_size, sizeof(struct kt_apply_entry));
    });
} apply_maps SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 1);
    __type(key, __u32);
    __array(values, struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, 1);
        __uint(map_flags, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
        __uint(key_size, sizeof(__u32));
        __uint(value_size, sizeof(struct kt_apply_index));
    });
} apply_index_maps SEC(".maps");

/* The entry after the last one found; user space sets it to 0 before each apply pass. */
__u32 kt_apply_next = 0;

/* The entry of `cookie` among the `count` entries of `sockets`, or NULL. */
static __always_inline struct kt_apply_entry *find_apply_entry(void *sockets, void *index, __u32 count, __u64 cookie) {
    __u32 next = kt_apply_next;
    struct kt_apply_entry *e = bpf_map_lookup_elem(sockets, &next);
    if (e && e->cookie == cookie) {
        kt_apply_next = next + 1;
        return e;
    }
    __u32 low = 0, high = count;
    /* 32 halvings reach any of 2^32 entries. */
    for (int i = 0; i < 32 && low < high; i++) {
        __u32 middle = low + (high - low) / 2;
        struct kt_apply_index *x = bpf_map_lookup_elem(index, &middle);
        if (!x) return NULL;
        if (x->cookie < cookie) low = middle + 1;
        else high = middle;
    }
    if (low >= count) return NULL;
    struct kt_apply_index *x = bpf_map_lookup_elem(index, &low);
    if (!x || x->cookie != cookie) return NULL;
    __u32 at = x->entry;
    e = bpf_map_lookup_elem(sockets, &at);
    if (!e || e->cookie != cookie) return NULL;
    kt_apply_next = at + 1;
    return e;
}

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 1);
    __type(key, __u32);
    __array(values, struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, 1);
        __uint(key_size, sizeof(__u32));
        __uint(value_size, sizeof(struct kt_write_sequence));
    });
} sequence_maps SEC(".maps");

static __always_inline int write_option(struct tcp_sock *tp, __u32 option, __u32 value) {
    int v = (int)value;
    switch (option) {
    case 0: return bpf_setsockopt(tp, KT_SOL_SOCKET, KT_SO_KEEPALIVE, &v, sizeof(v));
    case 1: return bpf_setsockopt(tp, KT_SOL_TCP, KT_TCP_KEEPIDLE, &v, sizeof(v));
    case 2: return bpf_setsockopt(tp, KT_SOL_TCP, KT_TCP_KEEPINTVL, &v, sizeof(v));
    case 3: return bpf_setsockopt(tp, KT_SOL_TCP, KT_TCP_KEEPCNT, &v, sizeof(v));
    case 4: return bpf_setsockopt(tp, KT_SOL_TCP, KT_TCP_USER_TIMEOUT, &v, sizeof(v));
    }
    return -22;
}

/* A socket's keepalive options as stored on it (0: not set, the sysctl applies). */
static __always_inline void stored_options(struct kt_stored_options *o, struct sock_common *skc, struct tcp_sock *tp) {
    o->keepalive_time = tp->keepalive_time;
    o->keepalive_intvl = tp->keepalive_intvl;
    o->user_timeout_ms = tp->inet_conn.icsk_user_timeout;
    o->probes = tp->keepalive_probes;
    o->keepalive = (skc->skc_flags >> bpf_core_enum_value(enum sock_flags, SOCK_KEEPOPEN)) & 1;
}

static __always_inline void read_options(struct kt_options_record *o, struct sock_common *skc, struct tcp_sock *tp,
                                         __u64 cookie) {
    o->cookie = cookie;
    stored_options(&o->stored, skc, tp);
}

/* A socket's addresses, IPv4 in the first 4 bytes of each. */
static __always_inline void read_addresses(struct sock_common *skc, __u8 family, __u8 *local, __u8 *peer) {
    if (family == KT_AF_INET) {
        __be32 l = skc->skc_rcv_saddr;
        __be32 p = skc->skc_daddr;
        __builtin_memcpy(local, &l, 4);
        __builtin_memcpy(peer, &p, 4);
    } else {
        BPF_CORE_READ_INTO((__u8(*)[16])local, skc, skc_v6_rcv_saddr);
        BPF_CORE_READ_INTO((__u8(*)[16])peer, skc, skc_v6_daddr);
    }
}

/* An orphan that reached FIN_WAIT2 lives on as a timewait socket in that substate, which
 * sock_diag reports as FIN_WAIT2: the reading pass shows it likewise (no tcp_sock, no file),
 * so that a reader of the pass alone counts what a dump counts. */
static __always_inline int orphan_fin_wait2(struct bpf_iter__tcp *ctx, struct sock_common *skc) {
    struct tcp_timewait_sock *tw = bpf_skc_to_tcp_timewait_sock(skc);
    if (!tw || tw->tw_sk.tw_substate != KT_TCP_FIN_WAIT2) return 0;
    __u32 zero = 0;
    struct kt_pass_config *config = bpf_map_lookup_elem(&pass_config, &zero);
    if (!config || config->mode != KT_PASS_READ) return 0;
    struct kt_socket_record r = {};
    r.cookie = bpf_get_socket_cookie(skc);
    r.family = (__u8)skc->skc_family;
    r.state = KT_TCP_FIN_WAIT2;
    r.netns_inode = skc->skc_net.net->ns.inum;
    r.local_port = skc->skc_num;
    r.peer_port = bpf_ntohs(skc->skc_dport);
    read_addresses(skc, r.family, r.local_addr, r.peer_addr);
    r.idle_oow_jiffies = 0xffffffff;
    /* idiag_timer 3, as inet_twsk_diag_fill reports it */
    r.timer = 3;
    long delta = (long)(tw->tw_sk.tw_timer.expires - (unsigned long)bpf_jiffies64());
    r.timer_jiffies = delta > 0 ? (__u32)delta : 0;
    bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
    return 0;
}

/* The timer as inet_sk_diag_fill reports it: the retransmit timer by what it runs as
 * (ICSK_TIME_RETRANS 1, LOSS_PROBE 5, REO_TIMEOUT 6; PROBE0 3), else the keepalive timer; and
 * the jiffies until it fires. */
static __always_inline void diag_timer(struct tcp_sock *tp, __u8 *timer, __u32 *timer_jiffies) {
    __u8 pending = tp->inet_conn.icsk_pending;
    unsigned long expires = 0;
    __u8 t = 0;
    if (pending == 1 || pending == 5 || pending == 6) {
        t = 1;
        expires = tp->inet_conn.icsk_retransmit_timer.expires;
    } else if (pending == 3) {
        t = 4;
        expires = tp->inet_conn.icsk_retransmit_timer.expires;
    } else if (tp->inet_conn.icsk_inet.sk.sk_timer.entry.pprev) {
        t = 2;
        expires = tp->inet_conn.icsk_inet.sk.sk_timer.expires;
    }
    *timer = t;
    *timer_jiffies = 0;
    if (t) {
        /* jiffies_delta_to_msecs: a timer already due shows 0 */
        long delta = (long)(expires - (unsigned long)bpf_jiffies64());
        *timer_jiffies = delta > 0 ? (__u32)delta : 0;
    }
}

#include "kt_plan_pass.h"

SEC("iter/tcp")
int kt_sockets(struct bpf_iter__tcp *ctx) {
    struct sock_common *skc = ctx->sk_common;
    if (!skc) return 0;
    /* TIME_WAIT and request sockets have no tcp_sock and no keepalive */
    struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);
    if (!tp) return orphan_fin_wait2(ctx, skc);

    kt_config_hz = CONFIG_HZ;
    __u32 zero = 0;
    struct kt_pass_config *config = bpf_map_lookup_elem(&pass_config, &zero);
    if (!config) return 0;

    __u64 cookie = bpf_get_socket_cookie(tp);
    if (config->mode == KT_PASS_PLAN) return plan_pass(ctx, skc, tp, cookie);
    if (config->mode == KT_PASS_APPLY) {
        void *sockets = bpf_map_lookup_elem(&apply_maps, &zero);
        void *index = bpf_map_lookup_elem(&apply_index_maps, &zero);
        void *sequences = bpf_map_lookup_elem(&sequence_maps, &zero);
        if (!sockets || !index || !sequences) return 0;
        struct kt_apply_entry *entry = find_apply_entry(sockets, index, config->apply_count, cookie);
        if (!entry) return 0;
        if (!entry->done) {
            struct kt_write_sequence *seq = bpf_map_lookup_elem(sequences, &entry->sequence);
            __u32 done = 0;
            __u32 failed = 0;
            __u32 n = seq ? seq->count : 0;
            if (!seq) failed = 22; /* EINVAL: a sequence the pass does not hold */
            for (__u32 i = 0; i < KT_MAX_WRITES; i++) {
                if (i >= n || !seq) break;
                int err = write_option(tp, seq->writes[i].option, seq->writes[i].value);
                if (err) {
                    failed = (__u32)(-err);
                    break;
                }
                done++;
            }
            entry->writes_done = done;
            entry->write_errno = failed;
            entry->done = 1;
        }
        /* What the writes left, read under the socket's lock: apply checks it instead of a
         * pass of its own. Only the options, as the pass's other readers need nothing else. */
        struct kt_applied_record a = {};
        read_options(&a.options, skc, tp, cookie);
        a.writes_done = entry->writes_done;
        a.write_errno = entry->write_errno;
        bpf_seq_write(ctx->meta->seq, &a, sizeof(a));
        return 0;
    }

    struct kt_socket_record r = {};
    r.cookie = cookie;
    /* Direct loads through the BTF pointers (relocated by CO-RE, and fault-safe in tracing
     * programs) instead of a bpf_probe_read_kernel call per field: the pass reads every socket. */
    r.family = (__u8)skc->skc_family;
    r.state = skc->skc_state;
    r.netns_inode = skc->skc_net.net->ns.inum;
    if (config->flags & KT_PASS_INODES) r.inode = kt_sock_inode(&tp->inet_conn.icsk_inet.sk);
    r.keepalive = (skc->skc_flags >> bpf_core_enum_value(enum sock_flags, SOCK_KEEPOPEN)) & 1;
    r.local_port = skc->skc_num;
    r.peer_port = bpf_ntohs(skc->skc_dport);
    read_addresses(skc, r.family, r.local_addr, r.peer_addr);
    r.keepalive_time = tp->keepalive_time;
    r.keepalive_intvl = tp->keepalive_intvl;
    r.probes = tp->keepalive_probes;
    r.user_timeout_ms = tp->inet_conn.icsk_user_timeout;
    __u32 now = (__u32)bpf_jiffies64();
    r.idle_rcv_jiffies = now - tp->inet_conn.icsk_ack.lrcvtime;
    r.idle_ack_jiffies = now - tp->rcv_tstamp;
    r.idle_snd_jiffies = now - tp->lsndtime;
    __u32 oow = tp->last_oow_ack_time;
    r.idle_oow_jiffies = oow ? now - oow : 0xffffffff;
    r.packets_out = tp->packets_out;
    r.probes_out = tp->inet_conn.icsk_probes_out;
    r.rto_jiffies = tp->inet_conn.icsk_rto;
    r.retransmits = tp->inet_conn.icsk_retransmits;
    r.backoff = tp->inet_conn.icsk_backoff;
    r.total_retrans = tp->total_retrans;
    diag_timer(tp, &r.timer, &r.timer_jiffies);
    bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
    return 0;
}

/* The options alone (inspect --exact): a program of its own, so that a reader wanting only
 * these loads no more than it runs. The verifier and libbpf's CO-RE relocation, which looks up
 * every type a program names among the kernel's, are most of a load's cost. */
SEC("iter/tcp")
int kt_options(struct bpf_iter__tcp *ctx) {
    struct sock_common *skc = ctx->sk_common;
    if (!skc) return 0;
    struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);
    if (!tp) return 0;
    kt_config_hz = CONFIG_HZ;
    struct kt_options_record o = {};
    read_options(&o, skc, tp, bpf_get_socket_cookie(tp));
    bpf_seq_write(ctx->meta->seq, &o, sizeof(o));
    return 0;
}

/* Every socket file of every process, as /proc/PID/fd would list them, in one pass. The
 * iterator skips threads that share their leader's file table. */
#define KT_S_IFMT 0170000
#define KT_S_IFSOCK 0140000

SEC("iter/task_file")
int kt_owners(struct bpf_iter__task_file *ctx) {
    struct file *f = ctx->file;
    struct task_struct *t = ctx->task;
    if (!f || !t) return 0;
    struct inode *inode = f->f_inode;
    if ((inode->i_mode & KT_S_IFMT) != KT_S_IFSOCK) return 0;
    struct kt_owner_record r = {};
    r.pid = (__u32)t->tgid;
    r.fd = ctx->fd;
    r.inode = (__u32)inode->i_ino;
    /* Two loads through the task's BTF pointer rather than a bpf_probe_read_kernel_str call
     * per socket: the pass shows every file of every process. The name's bytes after its NUL
     * are whatever an older name left there; readers stop at the NUL. */
    const __u64 *comm = (const __u64 *)t->comm;
    __u64 words[2] = {comm[0], comm[1]};
    __builtin_memcpy(r.comm, words, sizeof(words));
    bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
    return 0;
}
