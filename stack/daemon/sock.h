/*
 * sock.h - the daemon's socket table: an application's socket, seen from
 * the "kernel" side.
 *
 * Owns: every socket the applications have opened, the socketpair that is
 * each socket's file descriptor, the engine endpoint behind it (a UDP pcb),
 * and moving datagrams between the two. ctl.c turns control requests into
 * the calls below; the event loop hands this module the readiness of each
 * socket's descriptor and calls sock_flush() once the engine calls of a
 * wakeup have returned.
 *
 * A socket is one socketpair(AF_UNIX, SOCK_SEQPACKET): the daemon keeps
 * one end (dfd), the application gets the other. The application's end is
 * the socket's identity: its (st_dev, st_ino), recorded when it is made,
 * is how a descriptor passed with a request is recognised, so a process
 * can name only the sockets it holds. When the application closes its
 * last copy, dfd reports EPOLLHUP and the socket is closed here.
 *
 * Datagrams, application -> daemon: each message on the pair is one
 * datagram to the connected peer (udp_sendto with no address). A failure
 * (-EDESTADDRREQ when not connected, -EMSGSIZE for more than 65507 bytes,
 * -EPIPE after shutdown(SHUT_WR), an engine error) becomes the socket's
 * pending error.
 *
 * Datagrams, daemon -> application: the engine's notify marks the socket;
 * sock_flush() then moves each queued datagram to the pair as one message
 * with SCM_CREDENTIALS {pid = the daemon, uid = source IPv4 address (host
 * order), gid = source port}. A pending error is one empty message with
 * uid = gid = 0 (source 0.0.0.0:0, which no datagram has); the library
 * then asks for SO_ERROR. The engine's queue (SO_RCVBUF) is the receive
 * buffer; the pair holds little (the daemon end's SO_SNDBUF, 128 KiB).
 *
 * Leaves out: TCP (SOCK_STREAM is -EPROTONOSUPPORT until it exists),
 * socket options beyond SOL_SOCKET's basic ones, multicast.
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

struct stack;
struct sock; /* one application socket (sock.c) */

#define SOCK_MAX 1024 /* sockets in the daemon; one more is -ENFILE */

/* The daemon's counters for sockets (printed as sock.NAME). */
/* clang-format off */
#define SOCK_STATS(X)                                                                    \
    X(opened) X(closed) X(tx_datagrams) X(tx_errors) X(tx_too_big) X(tx_after_shutdown)  \
    X(rx_datagrams) X(rx_dropped_shutdown) X(rx_send_errors) X(rx_no_creds)              \
    X(rx_backlogged) X(error_signals)
/* clang-format on */

#define SOCK_STAT_FIELD_(name) uint64_t name;
struct sock_stats {
    SOCK_STATS(SOCK_STAT_FIELD_)
};
#undef SOCK_STAT_FIELD_

struct sock_table {
    struct stack *s;
    int epoll_fd;
    const struct log *log;
    pid_t pid;                    /* ours, for SCM_CREDENTIALS */
    struct sock *slots[SOCK_MAX]; /* NULL: free */
    unsigned count;
    uint32_t next_id;
    struct sock *pending; /* marked for sock_flush(), newest first */
    bool no_creds;        /* sending credentials is not allowed (EPERM) */
    bool warned_creds;
    uint8_t *buf;                        /* one datagram from an application */
    struct sock *list_scratch[SOCK_MAX]; /* sock_list's sorting space */
    struct sock_stats stats;
};

/* 0, or -ENOMEM. The engine is attached later (sock_table_attach), as the
 * engine's config needs sock_notify and the table first. */
int sock_table_init(struct sock_table *t, int epoll_fd, const struct log *log);
void sock_table_attach(struct sock_table *t, struct stack *s);
/* Close every socket and free the table (before stack_free). */
void sock_table_free(struct sock_table *t);

/* The engine's cfg.notify: endpoint `owner` (a struct sock) became readable
 * or got an error. Only marks it; sends nothing. */
void sock_notify(void *table, void *owner);
/* Push what the marked sockets have for their applications. Call after the
 * engine calls of a wakeup, never from inside one. */
void sock_flush(struct sock_table *t);
/* Readiness of a socket's dfd, from the epoll tag (stale tags ignored). */
void sock_on_event(struct sock_table *t, uint32_t slot, uint32_t id, uint32_t events);

/* CTL_SOCKET. On success *app_fd is the application's end, to be sent in
 * the reply and then closed by the caller; if that send fails the caller
 * calls sock_destroy(). -EAFNOSUPPORT, -EPROTONOSUPPORT, -EINVAL (unknown
 * flags in type), -ENFILE (table or descriptors exhausted), -ENOBUFS. */
int sock_create(struct sock_table *t, int domain, int type, int protocol, pid_t pid,
                uid_t uid, struct sock **out, int *app_fd);
void sock_destroy(struct sock_table *t, struct sock *so);
/* The socket whose application end fd is: 0, -EBADF (no descriptor),
 * -ENOTSOCK (a descriptor, but not one of our sockets). */
int sock_find(struct sock_table *t, int fd, struct sock **out);
uint32_t sock_id(const struct sock *so);

/* The operations. 0 (or a count) or a negative errno, as the kernel gives
 * them for a UDP socket. uid is the caller's (SO_PEERCRED). */
int sock_bind(struct sock_table *t, struct sock *so, uid_t uid, int family, uint32_t addr,
              uint16_t port);
int sock_connect(struct sock_table *t, struct sock *so, int family, uint32_t addr,
                 uint16_t port);
int sock_listen(struct sock_table *t, struct sock *so, int backlog);
int sock_accept(struct sock_table *t, struct sock *so);
/* addr 0 and port 0: to the connected peer. Bytes sent, or -errno. */
int sock_sendto(struct sock_table *t, struct sock *so, uint32_t addr, uint16_t port,
                const void *data, size_t len);
/* Our address (peer 0) or the peer's (peer 1). */
int sock_name(struct sock_table *t, struct sock *so, int peer, uint32_t *addr,
              uint16_t *port);
/* fd: the application's end, which SO_SNDBUF also sizes. */
int sock_setopt(struct sock_table *t, struct sock *so, int fd, int level, int name,
                int32_t value);
int sock_getopt(struct sock_table *t, struct sock *so, int level, int name,
                int32_t *value);
int sock_shutdown(struct sock_table *t, struct sock *so, int how);

/* CTL_LIST: the sockets uid may see (uid 0 all, others their own), ordered
 * by id; rows from index `first`, at most max of them. Returns the number
 * of rows; *total = how many uid may see. */
size_t sock_list(struct sock_table *t, uid_t uid, uint32_t first,
                 struct ctl_sock_info *rows, size_t max, uint32_t *total);

void sock_stats_print(const struct sock_table *t, FILE *f);

#endif
