/* The few kernel structures the BPF programs read, declared by hand: libbpf relocates each
 * field by name against the running kernel's BTF (CO-RE), so no vmlinux.h is generated from
 * the build host and field order here does not matter. Only what is read is declared. */
#ifndef KT_KERNEL_H
#define KT_KERNEL_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/in6.h>

#define KT_CORE __attribute__((preserve_access_index))

struct ns_common { unsigned int inum; } KT_CORE;
/* The netns sysctls a socket that set nothing inherits (jiffies), and tcp_retries2. */
struct netns_ipv4 {
    int sysctl_tcp_keepalive_time;
    int sysctl_tcp_keepalive_intvl;
    __u8 sysctl_tcp_keepalive_probes;
    __u8 sysctl_tcp_retries2;
} KT_CORE;
struct net { struct ns_common ns; struct netns_ipv4 ipv4; } KT_CORE;
struct possible_net_t_kt { struct net *net; } KT_CORE;

struct sock_common {
    unsigned short skc_family;
    unsigned char skc_state;
    __u16 skc_num;
    __be16 skc_dport;
    __be32 skc_daddr;
    __be32 skc_rcv_saddr;
    struct in6_addr skc_v6_daddr;
    struct in6_addr skc_v6_rcv_saddr;
    struct possible_net_t_kt skc_net;
    unsigned long skc_flags;
} KT_CORE;

struct inode { unsigned long i_ino; unsigned short i_mode; } KT_CORE;
struct file { struct inode *f_inode; } KT_CORE;
struct socket { struct file *file; } KT_CORE;
/* A socket and its inode are allocated together (SOCK_INODE in include/linux/net.h): the
 * inode number is read without following socket->file. */
struct socket_alloc { struct socket socket; struct inode vfs_inode; } KT_CORE;

struct hlist_node { struct hlist_node *next; struct hlist_node **pprev; } KT_CORE;
/* Pending while entry.pprev is set (timer_pending). */
struct timer_list { struct hlist_node entry; unsigned long expires; } KT_CORE;

struct sock {
    struct sock_common __sk_common;
    struct socket *sk_socket;
    int sk_err;
    __u16 sk_protocol;
    struct timer_list sk_timer; /* the keepalive timer of a connection */
    unsigned long sk_ino;       /* Linux 6.18 on: see kt_sock_inode.h */
} KT_CORE;

/* inet_sport stays when the bound port is given back (inet_num = 0) as the socket closes. */
struct inet_sock { struct sock sk; __be16 inet_sport; } KT_CORE;

/* An orphan in FIN_WAIT2 past its linger is kept as a timewait socket with this substate. */
struct inet_timewait_sock {
    struct sock_common __tw_common;
    volatile unsigned char tw_substate;
    struct timer_list tw_timer;
} KT_CORE;
struct tcp_timewait_sock { struct inet_timewait_sock tw_sk; } KT_CORE;

struct kt_icsk_ack { __u32 lrcvtime; } KT_CORE;

struct inet_connection_sock {
    struct inet_sock icsk_inet;
    __u32 icsk_rto;
    __u32 icsk_user_timeout;
    __u8 icsk_retransmits;
    __u8 icsk_backoff;
    __u8 icsk_probes_out;
    __u8 icsk_pending; /* ICSK_TIME_*: which timer icsk_retransmit_timer runs as */
    struct timer_list icsk_retransmit_timer;
    struct kt_icsk_ack icsk_ack;
} KT_CORE;

struct tcp_sock {
    struct inet_connection_sock inet_conn;
    unsigned int keepalive_time;
    unsigned int keepalive_intvl;
    __u8 keepalive_probes;
    __u32 rcv_tstamp;
    __u32 lsndtime;
    __u32 packets_out;
    __u32 total_retrans;
    __u32 last_oow_ack_time;
    __u64 bytes_acked;
    __u64 bytes_received;
    /* The retransmit timer's clock: the head segment's first send (TCP timestamp units, ms,
     * or us where tcp_usec_ts, 6.7+), and the last time the stack read the clock (us). */
    __u32 retrans_stamp;
    __u64 tcp_mstamp;
    __u8 tcp_usec_ts : 1;
} KT_CORE;

struct net_device { struct possible_net_t_kt nd_net; } KT_CORE;
/* An incoming segment a reset answers: its headers, for the addresses when no socket matched. */
struct sk_buff {
    struct net_device *dev;
    unsigned char *head;
    __u16 transport_header;
    __u16 network_header;
} KT_CORE;

struct seq_file;
struct bpf_iter_meta { struct seq_file *seq; __u64 session_id; __u64 seq_num; } KT_CORE;
struct bpf_iter__tcp { struct bpf_iter_meta *meta; struct sock_common *sk_common; __u32 uid; } KT_CORE;

struct task_struct { int pid; int tgid; char comm[16]; } KT_CORE;
struct bpf_iter__task_file { struct bpf_iter_meta *meta; struct task_struct *task; __u32 fd; struct file *file; } KT_CORE;

enum sock_flags { SOCK_KEEPOPEN = 3 };

#endif
