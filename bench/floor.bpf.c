/* The least a BPF engine can do per pass, for kt_bench to set the engines' rows against: the
 * same walks as keepalive-tune's programs with nothing around them. floor_read writes each
 * socket's options (a 24-byte record, as kt_options does), floor_owners each socket file's
 * pid, fd and inode, and floor_apply puts fixed values on every socket, keepalive off first
 * and on last as apply does, writing nothing back. */
#include "kt_kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "kt_sockopt.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader before the load: the values floor_apply writes. */
const volatile int floor_idle = 3000;
const volatile int floor_interval = 30;
const volatile int floor_count = 5;

struct floor_options {
    __u64 cookie;
    __u32 keepalive_time;
    __u32 keepalive_intvl;
    __u32 user_timeout_ms;
    __u8 probes;
    __u8 keepalive;
    __u16 reserved;
};

SEC("iter/tcp")
int floor_read(struct bpf_iter__tcp *ctx) {
    struct sock_common *skc = ctx->sk_common;
    if (!skc) return 0;
    struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);
    if (!tp) return 0;
    struct floor_options o = {};
    o.cookie = bpf_get_socket_cookie(tp);
    o.keepalive_time = tp->keepalive_time;
    o.keepalive_intvl = tp->keepalive_intvl;
    o.user_timeout_ms = tp->inet_conn.icsk_user_timeout;
    o.probes = tp->keepalive_probes;
    o.keepalive = (skc->skc_flags >> bpf_core_enum_value(enum sock_flags, SOCK_KEEPOPEN)) & 1;
    bpf_seq_write(ctx->meta->seq, &o, sizeof(o));
    return 0;
}

SEC("iter/tcp")
int floor_apply(struct bpf_iter__tcp *ctx) {
    struct sock_common *skc = ctx->sk_common;
    if (!skc) return 0;
    struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);
    if (!tp) return 0;
    int off = 0, on = 1, idle = floor_idle, interval = floor_interval, count = floor_count;
    bpf_setsockopt(tp, KT_SOL_SOCKET, KT_SO_KEEPALIVE, &off, sizeof(off));
    bpf_setsockopt(tp, KT_SOL_TCP, KT_TCP_KEEPIDLE, &idle, sizeof(idle));
    bpf_setsockopt(tp, KT_SOL_TCP, KT_TCP_KEEPINTVL, &interval, sizeof(interval));
    bpf_setsockopt(tp, KT_SOL_TCP, KT_TCP_KEEPCNT, &count, sizeof(count));
    bpf_setsockopt(tp, KT_SOL_SOCKET, KT_SO_KEEPALIVE, &on, sizeof(on));
    return 0;
}

#define KT_S_IFMT 0170000
#define KT_S_IFSOCK 0140000

struct floor_owner {
    __u32 pid;
    __u32 fd;
    __u32 inode;
};

SEC("iter/task_file")
int floor_owners(struct bpf_iter__task_file *ctx) {
    struct file *f = ctx->file;
    struct task_struct *t = ctx->task;
    if (!f || !t) return 0;
    struct inode *inode = f->f_inode;
    if ((inode->i_mode & KT_S_IFMT) != KT_S_IFSOCK) return 0;
    struct floor_owner r = {(__u32)t->tgid, ctx->fd, (__u32)inode->i_ino};
    bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
    return 0;
}
