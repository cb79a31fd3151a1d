/*
 * ctl.h - ustackd's control server: the applications' "system calls".
 *
 * Owns: the control socket (ustackd --ctl PATH, an AF_UNIX SOCK_SEQPACKET
 * socket, mode 0660), its client connections, and turning each request
 * (socket_api/ctl_proto.h) into a call on the socket table (sock.h) and
 * one reply with the same seq.
 *
 * Each client's pid and uid are read once, with SO_PEERCRED, when it
 * connects: the uid decides privileged ports, what CTL_LIST shows, whose
 * pids CTL_CONNS shows, and whether CTL_FAULT may change the faults (root
 * and the daemon's own uid; -EPERM for others); the pid is recorded as
 * the owner of the sockets it creates. A request about
 * a socket carries the socket's descriptor (SCM_RIGHTS): no descriptor is
 * -EBADF, one that is not ours -ENOTSOCK. Every descriptor received is
 * closed once the request is served, used or not.
 *
 * Untrusted input: a message that is truncated, longer than CTL_MSG_MAX,
 * malformed, or carries descriptors it should not (more than one, or any
 * with CTL_SOCKET, CTL_LIST, CTL_CONNS, CTL_TEXT, CTL_FAULT) is answered with status -EBADMSG (seq echoed
 * when the 16-byte header was there; type echoed when it is a known type,
 * else 0); another protocol version with -EPROTONOSUPPORT. After
 * CTL_BAD_STREAK_MAX such messages in a row the client is disconnected. A
 * client whose replies do not fit in its socket (it does not read them) is
 * disconnected; one bad client never affects another. There is no cap on
 * clients but the daemon's descriptors: out of them, a client is refused
 * (accepted and closed at once, through a spare descriptor kept for it).
 *
 * Leaves out: authentication beyond the socket file's mode and SO_PEERCRED.
 */
#ifndef USTACK_DAEMON_CTL_H
#define USTACK_DAEMON_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "core/log.h"
#include "ctl_proto.h"
#include "daemon/slots.h"

struct sock_table;
struct ctl_client; /* one connection (ctl.c) */

#define CTL_BAD_STREAK_MAX 100 /* malformed messages in a row before disconnecting */

/* The daemon's counters for the control socket (printed as ctl.NAME). */
/* clang-format off */
#define CTL_STATS(X)                                                                     \
    X(clients_accepted) X(clients_refused) X(clients_closed) X(clients_dropped_slow)     \
    X(clients_dropped_bad) X(requests) X(bad_messages) X(fds_received)                   \
    X(fds_closed_unused) X(replies_failed)
/* clang-format on */

#define CTL_STAT_FIELD_(name) uint64_t name;
struct ctl_stats {
    CTL_STATS(CTL_STAT_FIELD_)
};
#undef CTL_STAT_FIELD_

/* The largest payload of a reply: a CTL_TEXT page (CTL_LIST and
 * CTL_CONNS pages are smaller, CTL_FAULT's message too). */
#define CTL_PAYLOAD_MAX CTL_TEXT_MAX
#define CTL_REPLY_MAX (CTL_HDR_LEN + 4 + CTL_PAYLOAD_MAX)
_Static_assert(CTL_LIST_MAX * CTL_SOCK_INFO_LEN <= CTL_PAYLOAD_MAX, "CTL_LIST page");
_Static_assert(CTL_CONNS_MAX * CTL_CONN_INFO_LEN <= CTL_PAYLOAD_MAX, "CTL_CONNS page");
_Static_assert(CTL_FAULT_MSG_MAX <= CTL_PAYLOAD_MAX, "CTL_FAULT message");

/* What the control server asks of the rest of the daemon for the requests
 * that look at the daemon rather than at one socket (ustat, ustack-ctl).
 * Each text is written to f; fault_set returns 0 or a negative errno and
 * writes its message (the settings now, or what is wrong) to f. Any hook
 * may be NULL: the request is then -EOPNOTSUPP. */
struct ctl_admin {
    void *ctx;
    void (*text)(void *ctx, enum ctl_text_what what, FILE *f);
    int (*fault_set)(void *ctx, const char *spec, FILE *f);
};

struct ctl_server {
    int listen_fd;
    int spare_fd; /* /dev/null, given up to refuse a client when out of fds */
    int epoll_fd;
    char path[108];
    dev_t path_dev; /* the socket file we made, so we remove only that one */
    ino_t path_ino;
    struct sock_table *socks;
    const struct log *log;
    struct slots clients; /* as many as the descriptor limit allows */
    unsigned nclients;
    uint32_t next_id;
    struct ctl_stats stats;
    uint8_t rx[CTL_MSG_MAX + 1]; /* one request, and a byte to see a longer one */
    uint8_t tx[CTL_REPLY_MAX];
    struct ctl_admin admin;
    uid_t daemon_uid; /* with root, who may change the faults */
    uint8_t rows[CTL_PAYLOAD_MAX]; /* a reply's rows or text */
};

/* Create PATH's directory if missing, remove a stale socket file there
 * (refusing if a live server answers on it, or if it is not a socket),
 * bind, chmod 0660, listen, and watch it in epoll_fd. 0, or -1 with a
 * one-line reason in err. */
int ctl_server_open(struct ctl_server *c, const char *path, int epoll_fd,
                    struct sock_table *socks, const struct log *log, char *err,
                    size_t errlen);
/* Close every client and the socket, and remove the socket file. Safe on
 * a server never opened if listen_fd and spare_fd are -1. */
void ctl_server_close(struct ctl_server *c);

/* The listening socket is readable: accept the waiting clients. */
void ctl_server_on_accept(struct ctl_server *c);
/* A client's connection is ready (from its epoll tag; stale ones ignored). */
void ctl_server_on_client(struct ctl_server *c, uint32_t slot, uint32_t id,
                          uint32_t events);

void ctl_stats_print(const struct ctl_server *c, FILE *f);

#endif
