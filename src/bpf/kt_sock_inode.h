/* A socket's inode number as sock_diag reports it (0: no file), for the BPF programs. Included
 * after kt_kernel.h and the libbpf helper headers. */
#ifndef KT_SOCK_INODE_H
#define KT_SOCK_INODE_H

/* Since Linux 6.18 the sock holds the number itself (sk_ino, "net: lockless sock_i_ino()"):
 * one load from the sock the pass is already reading, where SOCK_INODE(sock)->i_ino is a cold
 * cache line of another object per socket, read through a helper call. sk_ino is read only
 * while sk_socket is set: the change as first merged left a listener's number in the clones it
 * made for its accept queue (cleared since, in sk_set_socket), whose sk_socket is NULL. */
static __always_inline __u32 kt_sock_inode(const struct sock *sk) {
    struct socket *sock = sk->sk_socket;
    if (!sock) return 0;
    if (bpf_core_field_exists(struct sock, sk_ino)) return (__u32)sk->sk_ino;
    unsigned long ino = 0;
    bpf_probe_read_kernel(&ino, sizeof(ino), (char *)sock + bpf_core_field_offset(struct socket_alloc, vfs_inode) +
                                                 bpf_core_field_offset(struct inode, i_ino));
    return (__u32)ino;
}

#endif
