/*
 * sock_var.h - inside the daemon's socket table: struct sock and what
 * sock.c (the table), sock_udp.c (datagrams) and sock_tcp.c (streams)
 * share. Nothing outside those three files includes it; ctl.c and the
 * event loop see only sock.h.
 */
#ifndef USTACK_DAEMON_SOCK_VAR_H
#define USTACK_DAEMON_SOCK_VAR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/sock.h"

struct udp_pcb;
struct tcp_pcb;

/* The state column of CTL_LIST (ctl_sock_info.state). */
enum sock_state { SOCK_IDLE, SOCK_BOUND, SOCK_CONNECTED, SOCK_LISTENING };

/* SO_RCVBUF / SO_SNDBUF as Linux computes them (net/core/sock.c): the value
 * is read as unsigned, capped, doubled for bookkeeping overhead, and raised
 * to a minimum. */
#define SOCK_MIN_RCVBUF 2304
#define SOCK_MIN_SNDBUF 4608
#define SOCK_SNDBUF_DEFAULT 212992 /* net.core.wmem_default */

struct sock {
    uint32_t id;
    uint32_t slot;
    int type;  /* SOCK_DGRAM or SOCK_STREAM */
    int dfd;   /* the daemon's end of the pair */
    dev_t dev; /* the application's end: the socket's identity */
    ino_t ino;
    pid_t owner_pid; /* the process that created (or accepted) it */
    uid_t owner_uid;
    struct udp_pcb *udp; /* SOCK_DGRAM */
    struct tcp_pcb *tcp; /* SOCK_STREAM */
    int so_error;        /* the daemon's own pending error (positive errno) */
    int32_t rcvbuf;      /* SO_RCVBUF as reported */
    int32_t sndbuf;      /* SO_SNDBUF as reported */
    bool rd_shut;        /* shutdown(SHUT_RD): nothing more goes up the pair */
    bool wr_shut;        /* UDP: shutdown(SHUT_WR), no more sending */
    bool rd_eof;         /* we read the end of the application's stream */
    bool err_signalled;  /* UDP: the pending error has been signalled in-band */
    bool pending;        /* on t->pending */
    bool watched;        /* dfd is in the epoll set */
    bool app_unread;     /* the application closed with bytes unread in its end */
    struct sock *pend_next;
    struct sock *ino_next;      /* the table's inode hash chain */
    struct sock *older, *newer; /* the table's list, oldest first */
    uint32_t events;            /* epoll interest */

    /* SOCK_STREAM (sock_tcp.c) */
    uint8_t *up; /* bytes taken from the engine that the pair refused */
    uint32_t up_off, up_len;
    uint32_t filler;       /* bytes we wrote into the application's end at connect */
    uint32_t tokens;       /* listener: accept tokens written, not yet claimed */
    int32_t linger;        /* SO_LINGER: -1 off, else l_linger seconds */
    bool broadcast;        /* SO_BROADCAST (stored only, as Linux does for TCP) */
    bool started;          /* connect started or accepted: the pcb is used */
    bool connecting;       /* handshake under way: filler in place, dfd unread */
    bool tx_blocked;       /* the send ring is full: dfd's EPOLLIN is off */
    bool up_blocked;       /* the pair is full: waiting for EPOLLOUT */
    bool up_eof;           /* we shut the pair's daemon->app side (EOF) */
    bool up_broken;        /* writing up the pair failed (EPIPE): discard */
    bool tx_dead;          /* the connection is over: dfd's reading side is shut */
    bool hup;              /* dfd reported hangup: it is out of the epoll set */
    bool app_gone;         /* the application has closed its end for good */
    uint64_t hup_check_at; /* hangup with the app end still open: next check */
    uint32_t hup_check_us;
};

/* sock.c: the table's helpers */
void sock_set_events(struct sock_table *t, struct sock *so, uint32_t events);
void sock_unwatch(struct sock_table *t, struct sock *so);
void sock_mark(struct sock_table *t, struct sock *so);
/* Remove from the table, close dfd and free. The engine's endpoint must
 * already be let go (or never made). */
void sock_free(struct sock_table *t, struct sock *so);
/* A socket around a fresh socketpair of this type (SOCK_SEQPACKET for
 * SOCK_DGRAM, SOCK_STREAM for SOCK_STREAM), not yet in the table, charged
 * to pid and uid: -EMFILE or -ENFILE past a quota (quota.h). */
int sock_new(struct sock_table *t, int type, bool nonblock, pid_t pid, uid_t uid,
             struct sock **out, int *app_fd);
/* Into the table and the epoll set (interest so->events). 0 or -ENFILE /
 * -ENOBUFS (then so is still the caller's, to sock_discard). */
int sock_insert(struct sock_table *t, struct sock *so);
/* Undo sock_new for a socket that never made it into the table. */
void sock_discard(struct sock_table *t, struct sock *so, int app_fd);
int32_t sock_buf_size(int32_t value, int32_t min, int32_t max);
/* Does the application still hold its end of the pair? 1 yes, 0 no, -1
 * cannot tell (sock_diag unavailable). */
int sock_app_alive(struct sock_table *t, const struct sock *so);

/* sock_udp.c: datagrams */
int sock_udp_open(struct sock_table *t, struct sock *so, int app_fd);
void sock_udp_close(struct sock_table *t, struct sock *so);
int sock_udp_bind(struct sock_table *t, struct sock *so, uint32_t addr, uint16_t port);
int sock_udp_connect(struct sock_table *t, struct sock *so, int family, uint32_t addr,
                     uint16_t port);
int sock_udp_sendto(struct sock_table *t, struct sock *so, uint32_t addr, uint16_t port,
                    const void *data, size_t len);
int sock_udp_name(struct sock *so, int peer, uint32_t *addr, uint16_t *port);
int sock_udp_setopt(struct sock_table *t, struct sock *so, int fd, int level, int name,
                    int32_t value);
int sock_udp_getopt(struct sock_table *t, struct sock *so, int level, int name,
                    int32_t *value);
int sock_udp_shutdown(struct sock_table *t, struct sock *so, int how);
void sock_udp_row(const struct sock *so, struct ctl_sock_info *r);
void sock_udp_on_event(struct sock_table *t, struct sock *so, uint32_t events);
void sock_udp_push(struct sock_table *t, struct sock *so);

/* sock_tcp.c: streams */
int sock_tcp_open(struct sock_table *t, struct sock *so);
/* Let go of the engine's connection at once (RST if synchronized): for a
 * socket nobody received, and when the daemon stops. */
void sock_tcp_abort(struct sock_table *t, struct sock *so);
int sock_tcp_bind(struct sock_table *t, struct sock *so, uint32_t addr, uint16_t port);
int sock_tcp_connect(struct sock_table *t, struct sock *so, int fd, int family,
                     uint32_t addr, uint16_t port);
int sock_tcp_listen(struct sock_table *t, struct sock *so, int backlog);
int sock_tcp_accept(struct sock_table *t, struct sock *so, pid_t pid, uid_t uid,
                    struct sock **out, int *app_fd, uint32_t *addr, uint16_t *port);
int sock_tcp_name(struct sock *so, int peer, uint32_t *addr, uint16_t *port);
int sock_tcp_setopt(struct sock_table *t, struct sock *so, int level, int name,
                    int32_t value);
int sock_tcp_getopt(struct sock_table *t, struct sock *so, int level, int name,
                    int32_t *value);
int sock_tcp_setopt_str(struct sock_table *t, struct sock *so, int level, int name,
                        const char *value);
int sock_tcp_getopt_str(struct sock *so, int level, int name,
                        char value[CTL_OPT_STR_LEN]);
int sock_tcp_shutdown(struct sock_table *t, struct sock *so, int fd, int how);
int sock_tcp_info(struct sock *so, struct ctl_tcp_info *info);
void sock_tcp_row(const struct sock *so, struct ctl_sock_info *r);
void sock_tcp_on_event(struct sock_table *t, struct sock *so, uint32_t events);
void sock_tcp_push(struct sock_table *t, struct sock *so);
/* A socket whose application end hung up but may still be open: check. */
void sock_tcp_hup_check(struct sock_table *t, struct sock *so, uint64_t now_us);

#endif
