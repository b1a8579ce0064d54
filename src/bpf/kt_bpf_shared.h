/* Records and map values shared by the BPF programs and the C++ that loads them. Plain C
 * with fixed-width fields, so both compilers lay them out the same way. */
#ifndef KT_BPF_SHARED_H
#define KT_BPF_SHARED_H

#ifdef __cplusplus
#include <cstdint>
typedef std::uint8_t kt_u8;
typedef std::uint16_t kt_u16;
typedef std::uint32_t kt_u32;
typedef std::uint64_t kt_u64;
#else
typedef __u8 kt_u8;
typedef __u16 kt_u16;
typedef __u32 kt_u32;
typedef __u64 kt_u64;
#endif

/* One socket as the iterator saw it. keepalive_time/intvl are in jiffies and, like probes,
 * 0 when the socket never set them (the netns sysctl applies). */
struct kt_socket_record {
    kt_u64 cookie;
    kt_u32 netns_inode;
    kt_u32 inode; /* 0: no file, e.g. waiting in a listener's accept queue; or not asked for */
    kt_u8 family;
    kt_u8 state;
    kt_u8 keepalive; /* SOCK_KEEPOPEN */
    kt_u8 probes;
    kt_u16 local_port;
    kt_u16 peer_port;
    kt_u8 local_addr[16];
    kt_u8 peer_addr[16];
    kt_u32 keepalive_time;
    kt_u32 keepalive_intvl;
    kt_u32 user_timeout_ms;
    kt_u32 idle_rcv_jiffies;
    kt_u32 idle_snd_jiffies;
    kt_u32 idle_ack_jiffies;
    kt_u32 packets_out;
    kt_u32 probes_out;
    /* what tcp_info reports of retransmissions, for health's verdicts */
    kt_u32 rto_jiffies;
    kt_u32 total_retrans;
    kt_u8 retransmits;
    kt_u8 backoff;
    /* the timer sock_diag would report (idiag_timer: 0 none, 1 retransmit, 2 keepalive,
     * 3 an orphan kept in FIN_WAIT2, 4 zero-window probe) and the jiffies until it fires */
    kt_u8 timer;
    kt_u8 reserved8;
    kt_u32 timer_jiffies;
    /* since the last segment the kernel answered as out of window (tp->last_oow_ack_time):
     * a peer's zero-length keepalive probe, which tcp_info's receive times never see;
     * 0xffffffff when there was none */
    kt_u32 idle_oow_jiffies;
    kt_u32 reserved32;
};

/* A socket's keepalive options as stored on it: keepalive_time and keepalive_intvl in jiffies
 * and, like probes, 0 when the socket never set them (the netns sysctl applies). */
struct kt_stored_options {
    kt_u32 keepalive_time;
    kt_u32 keepalive_intvl;
    kt_u32 user_timeout_ms;
    kt_u8 probes;
    kt_u8 keepalive;
    kt_u16 reserved;
};

/* The same socket reduced to what its options are, for readers that want only those (inspect
 * --exact, from the kt_options program): a quarter of the bytes, and fewer of the socket's
 * cache lines read. */
struct kt_options_record {
    kt_u64 cookie;
    struct kt_stored_options stored;
};

/* A socket file held by a process, from the task-file iterator: who owns which socket inode. */
struct kt_owner_record {
    kt_u32 pid; /* the thread group id */
    kt_u32 fd;
    kt_u32 inode;
    kt_u32 reserved;
    char comm[16];
};

/* The setsockopt calls one socket gets in an apply pass, in order (apply_plan's burst-free
 * sequence, computed in user space). option: 0 SO_KEEPALIVE, 1 TCP_KEEPIDLE, 2 TCP_KEEPINTVL,
 * 3 TCP_KEEPCNT, 4 TCP_USER_TIMEOUT, as kt::SocketOption. A pass holds each distinct sequence
 * once, by number: half a million sockets share a handful, and the per-socket map entry stays
 * small (creating and filling that map was a third of an apply at 500k sockets). */
#define KT_MAX_WRITES 8
struct kt_write {
    kt_u32 option;
    kt_u32 value;
};
struct kt_write_sequence {
    kt_u32 count;
    kt_u32 reserved;
    struct kt_write writes[KT_MAX_WRITES];
};
/* A socket of an apply pass: the sequence it gets, and once the program has run it, its
 * outcome. The iterator shows a socket again when its record did not fit the read buffer (and
 * drops that record): the writes run once, and each showing reports them. */
struct kt_apply_entry {
    kt_u64 cookie;
    kt_u32 sequence;
    kt_u32 done;
    kt_u32 writes_done; /* writes of the sequence that went through */
    kt_u32 write_errno; /* errno of the write that failed, 0 when all went through */
};

/* The apply pass's entries by cookie, sorted: where each cookie's entry is. */
struct kt_apply_index {
    kt_u64 cookie;
    kt_u32 entry;
    kt_u32 reserved;
};

/* A socket as the apply pass left it: its options read under its lock right after its writes,
 * and the outcome of the writes. */
struct kt_applied_record {
    struct kt_options_record options;
    kt_u32 writes_done;
    kt_u32 write_errno;
};

/* Which sockets a pass reports: all of them (read), only those in the apply map, or (plan)
 * those whose inode the plan's bitmap holds, planned and changed in the pass itself. */
#define KT_PASS_READ 0
#define KT_PASS_APPLY 1
#define KT_PASS_PLAN 2
/* Whether records carry the socket's inode: finding it is a cache miss per socket that a
 * reader keyed by cookie (inspect --exact) does without. */
#define KT_PASS_INODES 1
struct kt_pass_config {
    kt_u32 mode;
    kt_u32 flags;
    kt_u32 apply_count; /* entries of the apply pass's array, sorted by cookie */
    kt_u32 reserved;
};

/* A socket's keepalive options in the units of setsockopt (seconds, ms), as getsockopt would
 * return them. */
struct kt_keepalive_values {
    kt_u32 keepalive;
    kt_u32 idle_seconds;
    kt_u32 interval_seconds;
    kt_u32 count;
    kt_u32 user_timeout_ms;
};

/* The one rule for the order of a socket's writes, which the plan pass follows in the kernel
 * and user space plans with (core/change/apply_plan): values first and SO_KEEPALIVE last, as
 * turning keepalive on arms the timer one full idle from then. When keepalive is already on, a
 * new TCP_KEEPIDLE re-arms the timer against the time the connection has already been idle
 * (tcp_sock_set_keepidle_locked): a connection idle at least as long as the new idle would
 * probe at once, so for it SO_KEEPALIVE goes off first (which deletes the timer) and on again
 * last. `due` says the connection has been idle that long, or that the caller cannot tell
 * (user space, which reads the socket before it writes); the plan pass tells it under the
 * socket's lock, and spares the two writes (and the timer's deletion and re-arming) where the
 * re-armed timer is still in the future. A listener has no timer to re-arm. Fills `out`
 * (KT_MAX_WRITES entries) and returns how many. */
static inline kt_u32 kt_burst_free_writes(const struct kt_keepalive_values *have, const struct kt_keepalive_values *want,
                                          int listener, int due, struct kt_write *out) {
    kt_u32 n = 0;
    const int idle_changes = have->idle_seconds != want->idle_seconds;
    const int toggle = !listener && have->keepalive && idle_changes && due;
    if (toggle) {
        out[n].option = 0;
        out[n++].value = 0;
    }
    if (idle_changes) {
        out[n].option = 1;
        out[n++].value = want->idle_seconds;
    }
    if (have->interval_seconds != want->interval_seconds) {
        out[n].option = 2;
        out[n++].value = want->interval_seconds;
    }
    if (have->count != want->count) {
        out[n].option = 3;
        out[n++].value = want->count;
    }
    if (have->user_timeout_ms != want->user_timeout_ms) {
        out[n].option = 4;
        out[n++].value = want->user_timeout_ms;
    }
    if (toggle || have->keepalive != want->keepalive) {
        out[n].option = 0;
        out[n++].value = want->keepalive ? 1 : 0;
    }
    return n;
}

/* The writes that put `before` back after the first `done` of `writes` went through: the same
 * order, only the options that were written. */
static inline kt_u32 kt_rollback_writes(const struct kt_keepalive_values *before, const struct kt_write *writes,
                                        kt_u32 done, struct kt_write *out) {
    kt_u32 touched = 0;
    for (kt_u32 i = 0; i < KT_MAX_WRITES; i++)
        if (i < done && writes[i].option < 5) touched |= 1u << writes[i].option;
    kt_u32 n = 0;
    const kt_u32 values[5] = {before->keepalive ? 1u : 0u, before->idle_seconds, before->interval_seconds, before->count,
                              before->user_timeout_ms};
    /* options 1-4, then SO_KEEPALIVE (0) last */
    for (kt_u32 k = 1; k <= 5; k++) {
        const kt_u32 option = k % 5;
        if (touched & (1u << option)) {
            out[n].option = option;
            out[n++].value = values[option];
        }
    }
    return n;
}

/* A setting inherited from the netns sysctl when the socket stores 0 (TCP_KEEPIDLE and
 * TCP_KEEPINTVL store seconds * HZ, so the division is exact for values set in seconds). */
static inline kt_u32 kt_seconds_or_default(kt_u32 jiffies, kt_u32 hz, kt_u32 fallback) {
    return jiffies && hz ? jiffies / hz : fallback;
}

/* What a plan pass puts on the sockets it plans, and what it needs to tell what they have. */
struct kt_pass_plan {
    struct kt_keepalive_values want;
    kt_u32 keep_user_timeout; /* the profile has no user_timeout_ms: each socket keeps its own */
    kt_u32 hz;
    kt_u32 default_idle_seconds; /* the netns sysctls, for options a socket never set */
    kt_u32 default_interval_seconds;
    kt_u32 default_count;
    kt_u32 inode_base;  /* the bitmap's first inode */
    kt_u32 inode_count; /* and how many inodes it spans */
    kt_u32 states;      /* the states a target may be in, bit N for state N */
    kt_u32 check_only;  /* judge each target against the profile, write nothing (verify) */
    kt_u32 all_targets; /* check_only: every socket with a file is a target, whoever holds it */
    kt_u32 bits_inline; /* the bitmap is kt_plan_bits (a span of at most KT_PLAN_INLINE_BITS) */
    kt_u32 reserved;
};
/* The largest span of target inodes the plan pass's bitmap in global memory covers (1 MiB). */
#define KT_PLAN_INLINE_WORDS (1u << 17)
#define KT_PLAN_INLINE_BITS (KT_PLAN_INLINE_WORDS * 64u)

/* What a plan pass reports: the sockets it planned, every listener (for roles) and every
 * connection without a file that may wait in an accept queue (planned by a pass of their own
 * once user space knows whose queue). */
#define KT_PLANNED_TARGET 1
#define KT_PLANNED_LISTENER 2
#define KT_PLANNED_UNACCEPTED 3
/* The outcome of a planned socket. */
#define KT_PLAN_COMPLIANT 1
#define KT_PLAN_CHANGED 2
#define KT_PLAN_FAILED 3      /* a write failed and the ones before it were put back */
#define KT_PLAN_PUT_BACK_FAILED 4 /* a write failed, and putting back the ones before it did too */
#define KT_PLAN_DRIFT 5       /* check_only: the socket differs from the profile */
struct kt_planned_record {
    kt_u64 cookie;
    kt_u32 inode;
    kt_u8 kind;
    kt_u8 state;
    kt_u8 family;
    kt_u8 outcome;
    kt_u16 local_port;
    kt_u16 peer_port;
    kt_u8 writes_done;  /* writes of the sequence that went through */
    kt_u8 failed_option; /* the option of the write that failed (KT_PLAN_FAILED, _PUT_BACK_FAILED) */
    kt_u16 write_errno;
    kt_u8 local_addr[16];
    kt_u8 peer_addr[16];
    struct kt_stored_options before; /* before the writes */
    struct kt_stored_options after;  /* after them, read under the same lock */
    /* the timer sock_diag would report, and the jiffies until it fires (kt_socket_record's) */
    kt_u8 timer;
    kt_u8 reserved8[3];
    kt_u32 timer_jiffies;
};

/* The profile `enforce` puts on new connections of a cgroup, kept in a pinned map with what
 * `enforce --list` shows. Values of 0 are left to the sysctls. */
#define KT_ROLE_LISTENER 1
#define KT_ROLE_ACCEPTED 2
#define KT_ROLE_UPSTREAM 4
struct kt_enforce_config {
    kt_u32 keepalive; /* 1: the values, then SO_KEEPALIVE on; 0: SO_KEEPALIVE off */
    kt_u32 idle_seconds;
    kt_u32 interval_seconds;
    kt_u32 count;
    kt_u32 user_timeout_ms;
    kt_u32 roles;        /* KT_ROLE_* */
    kt_u32 override_app; /* replace the application's own values, and rewrite its later calls */
    kt_u32 level;        /* the cgroup's depth below the cgroup2 root: the deeper profile wins */
    kt_u64 cgroup_id;
    kt_u64 since_unix;
    char profile[64];
    char cgroup_path[256];
};

/* Counters of the enforce programs: connections given the profile, connections where a
 * bpf_setsockopt failed, application setsockopt calls rewritten. */
/* What an enforce program left on a socket (socket local storage, in one map every enforce
 * program shares): the role it gave and the depth of its cgroup. The programs of a socket's
 * cgroup run before its ancestors', so an ancestor's program finds a deeper one's mark and
 * leaves the socket alone. */
struct kt_socket_mark {
    kt_u32 role;
    kt_u32 level;
};

struct kt_enforce_stats {
    kt_u64 applied;
    kt_u64 failed;
    kt_u64 rewritten;
};

/* trace: one connection's end as the kernel saw it when the socket reached TCP_CLOSE, or a
 * reset this host sent. Times are jiffies; keepalive_time/intvl and keepalive_probes are 0 when
 * the socket never set them (default_* are its netns sysctls then). */
#define KT_END_CLOSED 1
#define KT_END_RESET_SENT 2
#define KT_END_KEEPALIVE 1   /* SO_KEEPALIVE was on */
#define KT_END_RESET_IN 2    /* a reset arrived (tcp:tcp_receive_reset) just before */
#define KT_END_SOCKET 4      /* reset sent: for a socket of this host (else no socket matched) */
#define KT_END_REASON 8      /* reset sent: the kernel gave a reason (enum sk_rst_reason) */
#define KT_END_FILE 16       /* the socket still had a file: an owner may hold it */
#define KT_END_ACCEPTED 32   /* seen being made from a listener (SYN-RECV) while trace ran */
#define KT_END_UPSTREAM 64   /* seen connecting out (SYN-SENT) while trace ran */
struct kt_end_record {
    kt_u64 time_ns; /* CLOCK_BOOTTIME */
    kt_u64 cookie;
    kt_u64 bytes_acked;
    kt_u64 bytes_received;
    kt_u32 netns_inode;
    kt_u32 inode;
    kt_u8 kind;
    kt_u8 family;
    kt_u8 old_state; /* the state it left (reset sent: the socket's state) */
    kt_u8 flags;
    kt_u16 local_port;
    kt_u16 peer_port;
    kt_u8 local_addr[16];
    kt_u8 peer_addr[16];
    kt_u32 sk_err;
    kt_u32 reset_reason;
    kt_u32 keepalive_time;
    kt_u32 keepalive_intvl;
    kt_u32 default_time;
    kt_u32 default_intvl;
    kt_u32 user_timeout_ms;
    kt_u32 idle_rcv_jiffies;
    kt_u32 idle_snd_jiffies;
    kt_u32 idle_ack_jiffies;
    /* At the reset that arrived: since the last ACK from the peer before our last send (the
     * idle the path had when we sent), and since that send. */
    kt_u32 reset_idle_jiffies;
    kt_u32 reset_after_send_jiffies;
    kt_u32 total_retrans;
    kt_u32 reset_packets_out;
    kt_u8 keepalive_probes;
    kt_u8 default_probes;
    kt_u8 probes_out;
    kt_u8 retransmits;
    kt_u8 retries2;
    kt_u8 reserved[3];
    /* Since the head segment was first sent, when it was still unacknowledged (retrans_stamp):
     * how long the retransmit timer ran; 0 when nothing was being retransmitted. */
    kt_u32 retransmitting_ms;
    kt_u32 reserved32;
};

/* Why a connection ended, in keepalive terms: one rule for the trace program's counters and
 * for the C++ that judges each record (core/trace), so that both always agree. */
#define KT_END_REASON_KEEPALIVE_TIMEOUT 0
#define KT_END_REASON_RETRANSMIT_TIMEOUT 1
#define KT_END_REASON_RESET_RECEIVED 2
#define KT_END_REASON_RESET_SENT 3
#define KT_END_REASON_ERROR 4
#define KT_END_REASON_CLOSED 5
#define KT_END_REASONS 6
#define KT_ETIMEDOUT 110
static inline kt_u32 kt_end_reason_of(int reset_sent, int reset_in, kt_u32 sk_err, kt_u32 retransmits,
                                      kt_u32 probes_out, int keepalive) {
    if (reset_sent) return KT_END_REASON_RESET_SENT;
    /* Only a reset seen arriving: a local abort (SO_LINGER 0) sets ECONNRESET too, and its
     * reset is a reset sent of its own. */
    if (reset_in) return KT_END_REASON_RESET_RECEIVED;
    /* Keepalive's death leaves probes out and no retransmission of data; the retransmit
     * timer's (tcp_retries2, TCP_USER_TIMEOUT, zero-window probes) leaves retransmissions. */
    if (sk_err == KT_ETIMEDOUT)
        return retransmits == 0 && probes_out > 0 && keepalive ? KT_END_REASON_KEEPALIVE_TIMEOUT
                                                               : KT_END_REASON_RETRANSMIT_TIMEOUT;
    return sk_err ? KT_END_REASON_ERROR : KT_END_REASON_CLOSED;
}

/* The counting programs' maps (trace --install-counters): ends by namespace and reason, and the
 * abnormal ones by destination too (the peer; for a reset sent, where it went). */
struct kt_end_count_key {
    kt_u32 netns_inode;
    kt_u32 reason;
};
struct kt_end_destination_key {
    kt_u32 netns_inode;
    kt_u8 reason;
    kt_u8 family;
    kt_u16 port;
    kt_u8 addr[16];
};

#endif
