/*
 * sock.h - the daemon's socket table: an application's socket, seen from
 * the "kernel" side.
 *
 * Owns: every socket the applications have opened, the socketpair that is
 * each socket's file descriptor, the engine endpoint behind it (a UDP or a
 * TCP pcb), and moving datagrams and bytes between the two. ctl.c turns
 * control requests into the calls below; the event loop hands this module
 * the readiness of each socket's descriptor and calls sock_flush() once
 * the engine calls of a wakeup have returned. Three files: sock.c (the
 * table, identity, common options, flushing), sock_udp.c (datagrams),
 * sock_tcp.c (streams); struct sock is in sock_var.h.
 *
 * A socket is one socketpair(AF_UNIX): the daemon keeps one end (dfd), the
 * application gets the other. The application's end is the socket's
 * identity: its (st_dev, st_ino), recorded when it is made, is how a
 * descriptor passed with a request is recognised, so a process can name
 * only the sockets it holds. When the application closes its last copy,
 * dfd reports EPOLLHUP.
 *
 * Datagrams (SOCK_SEQPACKET pair), application -> daemon: each message on
 * the pair is one datagram to the connected peer (udp_sendto with no
 * address). A failure (-EDESTADDRREQ when not connected, -EMSGSIZE for
 * more than 65507 bytes, -EPIPE after shutdown(SHUT_WR), an engine error)
 * becomes the socket's pending error. Daemon -> application: the engine's
 * notify marks the socket; sock_flush() then moves each queued datagram to
 * the pair as one message with SCM_CREDENTIALS {pid = the daemon, uid =
 * source IPv4 address (host order), gid = source port}. A pending error is
 * one empty message with uid = gid = 0 (source 0.0.0.0:0, which no
 * datagram has); the library then asks for SO_ERROR. The engine's queue
 * (SO_RCVBUF) is the receive buffer; the pair holds little (the daemon
 * end's SO_SNDBUF, 128 KiB).
 *
 * Streams (SOCK_STREAM pair; docs/SOCKETS.md describes the contract with
 * the library, and the points marked [*] are where the daemon differs):
 *  - application -> engine: what the application writes is read from dfd
 *    (64 KiB at a time, at most SOCK_TCP_BURST per socket per round) and
 *    given to tcp_send, never more than tcp_send_space(). With the send
 *    ring full, dfd's EPOLLIN is turned off until the engine notifies
 *    send space, so a fast writer blocks in write(). The end of its
 *    stream (shutdown(fd, SHUT_WR)) becomes tcp_shutdown(SHUT_WR): the FIN
 *    follows the data.
 *  - engine -> application: tcp_recv, written to dfd; what the pair
 *    refuses waits in a per-socket buffer (<= 64 KiB) and nothing more is
 *    taken from the engine until it has gone, so the TCP window closes
 *    when the application does not read. After the peer's FIN (or the end
 *    of the connection) and the last byte, shutdown(dfd, SHUT_WR): the
 *    application reads EOF; an error (ECONNRESET, ETIMEDOUT, ...) waits in
 *    SO_ERROR.
 *  - the end of a connection (reset, timeout, refused, closed): [*] dfd's
 *    reading side is shut too, so the application's writes fail with
 *    EPIPE, as a kernel socket's do, rather than vanish.
 *  - connect: the reply is -EINPROGRESS at once; meanwhile the
 *    application's end is kept unwritable by filler bytes written into it
 *    until its send buffer is full, and taken back out of dfd when the
 *    handshake ends: POLLOUT then means "connect finished", and SO_ERROR
 *    tells how. A failed connect also gives EOF. [*] The filler is written
 *    at CTL_CONNECT, through the descriptor that comes with the request,
 *    into the send buffer as it is (no shrinking, no duplicate kept): a
 *    duplicate of the application's end would hide its close (no EPOLLHUP
 *    while we hold a copy) until the connect ended, minutes later for an
 *    address that never answers. Listeners and never-connected sockets
 *    have no filler to drain.
 *  - listen: one byte (a token) per established child waiting, written to
 *    the listener's pair: POLLIN means accept() will not block.
 *    CTL_ACCEPT takes the oldest child with a new pair (no filler).
 *    CTL_SHUTDOWN(SHUT_RD) on a listener stops it (its children are
 *    reset) and gives EOF on its pair, so a blocked accept returns.
 *  - close: the application's last close is EPOLLHUP on dfd. What it
 *    wrote before closing is still read (the socket stays in the table as
 *    an orphan until it is drained into the send ring), then tcp_close:
 *    the data, then FIN. SO_LINGER with 0 seconds: tcp_abort (RST) at
 *    once; with more, the same graceful close (the application's close()
 *    never waits). With received data never read (RFC 2525 §2.17), a RST
 *    at once, as Linux: data left in the application's end (the kernel
 *    then fails our next read of dfd with ECONNRESET, and SO_ERROR says
 *    it: unix_release_sock), in so->up, or in the receive ring. [*] Once
 *    both directions of the pair are shut (one by us: EOF, or the end of
 *    the connection; the other by the application) the kernel reports
 *    EPOLLHUP although the application may still hold its end: sock_diag
 *    (NETLINK_SOCK_DIAG, unix_diag by inode) is asked whether that end
 *    still exists, and the socket is checked again now and then
 *    (sock_poll, backing off to 1 s) until it does not. Without sock_diag
 *    such a hangup is taken as the close.
 *  - accept: the child takes SO_REUSEADDR, SO_LINGER, buffers and the
 *    congestion control from its listener (as sk_clone_lock), so that a
 *    server restarted while its old connections linger binds again.
 *  - quotas: each socket is charged to the pid and uid of the client that
 *    made or accepted it (quota.h): -EMFILE past a process's or a uid's
 *    quota, -ENFILE past the table (the daemon's descriptor limit).
 *
 * Leaves out: socket options beyond those in sock_setopt, multicast, out
 * of band data, and (DEVIATIONs) a second connect on a socket whose
 * connect failed, or a listen after a listener's shutdown: the pair has
 * given EOF, which cannot be taken back, so these are -EINVAL.
 */
#ifndef USTACK_DAEMON_SOCK_H
#define USTACK_DAEMON_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "core/log.h"
#include "ctl_proto.h"
#include "daemon/quota.h"
#include "daemon/slots.h"

struct stack;
struct sock; /* one application socket (sock_var.h) */

#define SOCK_NEVER UINT64_MAX

/* The daemon's counters for sockets (printed as sock.NAME). */
/* clang-format off */
#define SOCK_STATS(X)                                                                    \
    X(opened) X(closed) X(tx_datagrams) X(tx_errors) X(tx_too_big) X(tx_after_shutdown)  \
    X(rx_datagrams) X(rx_dropped_shutdown) X(rx_send_errors) X(rx_no_creds)              \
    X(rx_backlogged) X(error_signals)                                                    \
    X(tcp_tx_bytes) X(tcp_tx_discarded) X(tcp_tx_blocked) X(tcp_rx_bytes)                \
    X(tcp_rx_discarded) X(tcp_rx_backlogged) X(tcp_rx_eof) X(tcp_connects)               \
    X(tcp_connected) X(tcp_connect_failed) X(tcp_filler_bytes) X(tcp_listens)            \
    X(tcp_accepts) X(tcp_accept_empty) X(tcp_tokens) X(tcp_fins) X(tcp_closes)          \
    X(tcp_orphans) X(tcp_linger_resets) X(tcp_aborts) X(tcp_hup_alive)                   \
    X(tcp_hup_checks) X(tcp_burst_limited) X(tcp_unread_resets)                         \
    X(refused_process_quota) X(refused_uid_quota) X(refused_table)
/* clang-format on */

#define SOCK_STAT_FIELD_(name) uint64_t name;
struct sock_stats {
    SOCK_STATS(SOCK_STAT_FIELD_)
};
#undef SOCK_STAT_FIELD_

struct sock_table {
    struct stack *s;
    int epoll_fd;
    int diag_fd; /* NETLINK_SOCK_DIAG: does an application end still exist? */
    const struct log *log;
    pid_t pid;                  /* ours, for SCM_CREDENTIALS */
    struct slots slots;         /* every socket, by slot (its epoll tag) */
    struct sock **by_ino;       /* hash of the application ends' inodes (sock_find) */
    uint32_t n_by_ino;          /* buckets, a power of two */
    struct sock *first, *last;  /* every socket, oldest first (CTL_LIST) */
    struct quota quota;         /* the table, per uid, per process */
    uint64_t refusals;          /* refused for a quota since the last line about it */
    uint64_t refusal_logged_us; /* when that line was */
    unsigned count;
    uint32_t next_id;
    struct sock *pending;  /* marked for sock_flush(), newest first */
    struct sock *flushing; /* the round sock_flush() is serving */
    unsigned n_hup;        /* sockets waiting for sock_poll's hangup checks */
    uint64_t hup_at;       /* the earliest of their checks (or earlier) */
    uint32_t diag_seq;
    bool no_creds; /* sending credentials is not allowed (EPERM) */
    bool warned_creds;
    bool warned_diag;
    uint8_t *buf; /* one datagram, or 64 KiB of a stream */
    struct sock_stats stats;
};

/* 0, or -ENOMEM. lim: how many sockets the table, a uid and a process may
 * hold (quota.h). The engine is attached later (sock_table_attach), as
 * the engine's config needs sock_notify and the table first. */
int sock_table_init(struct sock_table *t, int epoll_fd, const struct log *log,
                    const struct quota_limits *lim);
void sock_table_attach(struct sock_table *t, struct stack *s);
/* Close every socket (TCP connections are reset) and free the table
 * (before stack_free). */
void sock_table_free(struct sock_table *t);

/* The engine's cfg.notify: endpoint `owner` (a struct sock) became readable
 * or writable, or got an error. Only marks it; sends nothing. */
void sock_notify(void *table, void *owner);
/* Serve the marked sockets: what the engine has for their applications,
 * finished connects, accept tokens, drained orphans. Each socket does a
 * bounded amount; one with more to do is marked again for the next call,
 * and sock_busy() says so. Call after the engine calls of a wakeup, never
 * from inside one. */
void sock_flush(struct sock_table *t);
/* Work is left for the next sock_flush: do not sleep in epoll_wait. */
bool sock_busy(const struct sock_table *t);
/* Timed work (hangup checks): run what is due; when the next is due. */
void sock_poll(struct sock_table *t, uint64_t now_us);
uint64_t sock_poll_at(const struct sock_table *t);
/* Readiness of a socket's dfd, from the epoll tag (stale tags ignored). */
void sock_on_event(struct sock_table *t, uint32_t slot, uint32_t id, uint32_t events);

/* CTL_SOCKET. On success *app_fd is the application's end, to be sent in
 * the reply and then closed by the caller; if that send fails the caller
 * calls sock_destroy(). -EAFNOSUPPORT, -EPROTONOSUPPORT, -EINVAL (unknown
 * flags in type), -EMFILE (the process's or the uid's quota), -ENFILE
 * (the table or the daemon's descriptors exhausted), -ENOBUFS. */
int sock_create(struct sock_table *t, int domain, int type, int protocol, pid_t pid,
                uid_t uid, struct sock **out, int *app_fd);
/* Close at once (a TCP connection is reset): for a socket whose
 * application never received it, and when the daemon stops. */
void sock_destroy(struct sock_table *t, struct sock *so);
/* The socket whose application end fd is: 0, -EBADF (no descriptor),
 * -ENOTSOCK (a descriptor, but not one of our sockets). */
int sock_find(struct sock_table *t, int fd, struct sock **out);
uint32_t sock_id(const struct sock *so);

/* The operations. 0 (or a count) or a negative errno, as the kernel gives
 * them. uid is the caller's (SO_PEERCRED); fd is the application's end
 * that came with the request. */
int sock_bind(struct sock_table *t, struct sock *so, uid_t uid, int family, uint32_t addr,
              uint16_t port);
/* TCP: -EINPROGRESS when the handshake started. */
int sock_connect(struct sock_table *t, struct sock *so, int fd, int family, uint32_t addr,
                 uint16_t port);
int sock_listen(struct sock_table *t, struct sock *so, int backlog);
/* CTL_ACCEPT: as sock_create, for the oldest waiting connection (owned by
 * pid, uid), with the peer's address. -EAGAIN when none is waiting. */
int sock_accept(struct sock_table *t, struct sock *so, pid_t pid, uid_t uid,
                struct sock **out, int *app_fd, uint32_t *addr, uint16_t *port);
/* addr 0 and port 0: to the connected peer. Bytes sent, or -errno. */
int sock_sendto(struct sock_table *t, struct sock *so, uint32_t addr, uint16_t port,
                const void *data, size_t len);
/* Our address (peer 0) or the peer's (peer 1). */
int sock_name(struct sock_table *t, struct sock *so, int peer, uint32_t *addr,
              uint16_t *port);
/* fd: the application's end, which a datagram socket's SO_SNDBUF sizes. */
int sock_setopt(struct sock_table *t, struct sock *so, int fd, int level, int name,
                int32_t value);
int sock_getopt(struct sock_table *t, struct sock *so, int level, int name,
                int32_t *value);
/* Options whose value is a name (TCP_CONGESTION): a NUL-terminated
 * string of at most CTL_OPT_STR_LEN bytes; -ENOPROTOOPT for others, and
 * for a datagram socket. */
int sock_setopt_str(struct sock_table *t, struct sock *so, int level, int name,
                    const char *value);
int sock_getopt_str(struct sock_table *t, struct sock *so, int level, int name,
                    char value[CTL_OPT_STR_LEN]);
int sock_shutdown(struct sock_table *t, struct sock *so, int fd, int how);
/* CTL_TCP_INFO; -ENOPROTOOPT for a datagram socket. */
int sock_tcp_info_get(struct sock_table *t, struct sock *so, struct ctl_tcp_info *info);

/* CTL_LIST: the sockets uid may see (uid 0 all, others their own), oldest
 * first; rows from index `first`, at most max of them. Returns the number
 * of rows; *total = how many uid may see. */
size_t sock_list(struct sock_table *t, uid_t uid, uint32_t first,
                 struct ctl_sock_info *rows, size_t max, uint32_t *total);

/* CTL_CONNS: every TCP connection of the engine (tcp_view_walk: all
 * states, SYN-queue entries, TIME-WAIT records, orphans), joined with the
 * socket that holds it; rows from index `first`, at most max. Everyone
 * sees every connection (as /proc/net/tcp shows them); the owner's pid
 * only to root and to the owner's uid. Returns the rows; *total = all
 * connections. sock_conns.c. */
size_t sock_conns(struct sock_table *t, uid_t uid, uint32_t first,
                  struct ctl_conn_info *rows, size_t max, uint32_t *total);

void sock_stats_print(const struct sock_table *t, FILE *f);

#endif
