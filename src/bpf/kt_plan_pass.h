/* The plan pass of kt_sockets (KT_PASS_PLAN): each socket whose inode is a target's planned
 * and changed under its lock, by the rule of kt_bpf_shared.h. Included by sockets.bpf.c alone,
 * after the helpers it uses (write_option, stored_options, kt_sock_inode, diag_timer,
 * read_addresses). */
#ifndef KT_PLAN_PASS_H
#define KT_PLAN_PASS_H

/* The plan pass: the profile and the inodes of the target processes' sockets, a bit each from
 * kt_plan.inode_base (a bitmap user space writes through a mapping; the socket inodes of a host
 * are numbered from one counter, so half a million of them span a few megabits). A span of up
 * to KT_PLAN_INLINE_BITS is in this program's global memory, written through the skeleton's
 * mapping; a wider one in an array of its own in plan_target_maps, whose slot costs an RCU
 * grace period at each update (maybe_wait_bpf_programs: some 16 ms here). */
struct kt_pass_plan kt_plan = {};
__u64 kt_plan_bits[KT_PLAN_INLINE_WORDS] = {};
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 1);
    __type(key, __u32);
    __array(values, struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, 1);
        __uint(map_flags, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
        __uint(key_size, sizeof(__u32));
        __uint(value_size, sizeof(__u64));
    });
} plan_target_maps SEC(".maps");

/* The record of the socket planned last. When a record does not fit the read buffer the
 * iterator shows the same socket again at the start of the next read: it gets this record
 * again instead of a second plan (which would find the profile in place and call it
 * compliant). User space clears the cookie before each pass. */
struct kt_planned_record kt_plan_last = {};

/* A plan's writes and the ones that put them back, and their counts, kept in the program's
 * global memory rather than on its stack: the verifier does not follow values through it, so
 * the many ways through the rule (which writes a socket needs, which one failed) meet again
 * after it instead of each walking the rest of the program (loading took 43-61 ms, and takes
 * 12-20). */
struct kt_write kt_plan_writes[KT_MAX_WRITES] = {};
struct kt_write kt_plan_back[KT_MAX_WRITES] = {};
__u32 kt_plan_count = 0;

static __always_inline int targeted(__u32 inode) {
    if (kt_plan.all_targets && kt_plan.check_only) return inode != 0;
    if (!inode || inode < kt_plan.inode_base) return 0;
    __u32 at = inode - kt_plan.inode_base;
    if (at >= kt_plan.inode_count) return 0;
    if (kt_plan.bits_inline) {
        __u32 w = at / 64;
        /* The mask keeps the index in bounds where the verifier sees it: without the barrier
         * clang drops it, knowing at < inode_count, which the verifier does not. */
        barrier_var(w);
        w &= KT_PLAN_INLINE_WORDS - 1;
        return (kt_plan_bits[w] >> (at % 64)) & 1;
    }
    __u32 zero = 0;
    void *bits = bpf_map_lookup_elem(&plan_target_maps, &zero);
    if (!bits) return 0;
    __u32 word_at = at / 64;
    __u64 *word = bpf_map_lookup_elem(bits, &word_at);
    return word && ((*word >> (at % 64)) & 1);
}

/* The profile's writes on one socket, in the burst-free order, under its lock; when one fails,
 * the ones before it are put back at once. */
static __always_inline void plan_and_write(struct kt_planned_record *r, struct sock_common *skc, struct tcp_sock *tp) {
    const __u32 hz = kt_plan.hz;
    struct kt_keepalive_values have = {
        .keepalive = r->before.keepalive,
        .idle_seconds = kt_seconds_or_default(r->before.keepalive_time, hz, kt_plan.default_idle_seconds),
        .interval_seconds = kt_seconds_or_default(r->before.keepalive_intvl, hz, kt_plan.default_interval_seconds),
        .count = r->before.probes ? r->before.probes : kt_plan.default_count,
        .user_timeout_ms = r->before.user_timeout_ms,
    };
    struct kt_keepalive_values want = kt_plan.want;
    if (kt_plan.keep_user_timeout) want.user_timeout_ms = have.user_timeout_ms;
    struct kt_write *writes = kt_plan_writes;
    /* keepalive_time_elapsed(): what a new TCP_KEEPIDLE re-arms the timer against */
    __u32 now = (__u32)bpf_jiffies64();
    __u32 since_rcv = now - tp->inet_conn.icsk_ack.lrcvtime;
    __u32 since_ack = now - tp->rcv_tstamp;
    __u32 idle = since_rcv < since_ack ? since_rcv : since_ack;
    int due = (__u64)idle >= (__u64)want.idle_seconds * hz;
    kt_plan_count = kt_burst_free_writes(&have, &want, r->state == KT_TCP_LISTEN, due, writes);
    __u32 n = kt_plan_count;
    if (n == 0) {
        r->outcome = KT_PLAN_COMPLIANT;
        return;
    }
    if (kt_plan.check_only) {
        r->outcome = KT_PLAN_DRIFT;
        return;
    }
    __u32 done = 0;
    int err = 0;
    for (__u32 i = 0; i < KT_MAX_WRITES; i++) {
        if (i >= n) break;
        err = write_option(tp, writes[i].option, writes[i].value);
        if (err) break;
        done++;
    }
    r->writes_done = (__u8)done;
    if (!err) {
        r->outcome = KT_PLAN_CHANGED;
        return;
    }
    r->write_errno = (__u16)(-err);
    kt_plan_count = done;
    done = kt_plan_count;
    if (done < KT_MAX_WRITES) r->failed_option = (__u8)writes[done & (KT_MAX_WRITES - 1)].option;
    struct kt_write *back = kt_plan_back;
    kt_plan_count = kt_rollback_writes(&have, writes, done, back);
    __u32 m = kt_plan_count;
    r->outcome = KT_PLAN_FAILED;
    for (__u32 i = 0; i < KT_MAX_WRITES; i++) {
        if (i >= m) break;
        if (write_option(tp, back[i].option, back[i].value)) r->outcome = KT_PLAN_PUT_BACK_FAILED;
    }
}

/* A socket of a plan pass: planned and changed when its inode is a target's; reported without
 * writes when it is a listener (roles) or a connection without a file (accept queues). */
static __always_inline int plan_pass(struct bpf_iter__tcp *ctx, struct sock_common *skc, struct tcp_sock *tp, __u64 cookie) {
    struct kt_planned_record *r = &kt_plan_last;
    if (r->cookie == cookie && r->kind) {
        bpf_seq_write(ctx->meta->seq, r, sizeof(*r));
        return 0;
    }
    __u8 state = skc->skc_state;
    __u32 inode = kt_sock_inode(&tp->inet_conn.icsk_inet.sk);
    __u8 kind = 0;
    if (inode && targeted(inode) && ((kt_plan.states >> state) & 1)) kind = KT_PLANNED_TARGET;
    else if (inode && state == KT_TCP_LISTEN) kind = KT_PLANNED_LISTENER;
    else if (!inode && (state == KT_TCP_ESTABLISHED || state == KT_TCP_CLOSE_WAIT)) kind = KT_PLANNED_UNACCEPTED;
    if (!kind) return 0;
    __builtin_memset(r, 0, sizeof(*r));
    r->cookie = cookie;
    r->inode = inode;
    r->kind = kind;
    r->state = state;
    r->family = (__u8)skc->skc_family;
    r->local_port = skc->skc_num;
    r->peer_port = bpf_ntohs(skc->skc_dport);
    read_addresses(skc, r->family, r->local_addr, r->peer_addr);
    stored_options(&r->before, skc, tp);
    if (kind == KT_PLANNED_TARGET) plan_and_write(r, skc, tp);
    stored_options(&r->after, skc, tp);
    diag_timer(tp, &r->timer, &r->timer_jiffies);
    bpf_seq_write(ctx->meta->seq, r, sizeof(*r));
    return 0;
}

#endif
