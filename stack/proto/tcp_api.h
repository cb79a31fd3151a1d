/*
 * tcp_api.h - what the socket layer (ustackd's sock_tcp.c) sees of TCP.
 *
 * Owns: the calls of RFC 9293 §3.10.1-§3.10.6 (OPEN, SEND, RECEIVE,
 * CLOSE, ABORT, STATUS) and the accessors of a connection's state and
 * options, as smoltcp's sockets expose state() and can_send(). The
 * connection is an opaque struct tcp_pcb: its layout is the engine's
 * (proto/tcp.h), which the daemon never includes. tcp_api.c implements it.
 */
#ifndef USTACK_PROTO_TCP_API_H
#define USTACK_PROTO_TCP_API_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct stack;
struct tcp_pcb;

/* RFC 9293 §3.3.2 */
enum tcp_state {
    TCP_CLOSED,
    TCP_LISTEN,
    TCP_SYN_SENT,
    TCP_SYN_RECEIVED,
    TCP_ESTABLISHED,
    TCP_FIN_WAIT_1,
    TCP_FIN_WAIT_2,
    TCP_CLOSE_WAIT,
    TCP_CLOSING,
    TCP_LAST_ACK,
    TCP_TIME_WAIT,
    TCP_NSTATES,
};

#define TCP_BUF_DEFAULT (256 * 1024)
#define TCP_BUF_MIN 4096
#define TCP_BUF_MAX (4 * 1024 * 1024)

/* Linux's tcpi_ca_state values (include/net/tcp.h, enum tcp_ca_state). */
enum tcp_ca_state {
    TCP_CA_OPEN,     /* nothing wrong */
    TCP_CA_DISORDER, /* duplicate ACKs (or SACKs) seen, no recovery yet */
    TCP_CA_CWR,      /* cwnd reduced for ECN: never here (no ECN) */
    TCP_CA_RECOVERY, /* fast recovery */
    TCP_CA_LOSS,     /* after a retransmission timeout */
};

/* TCPI_OPT_* bits of tcpi_options, as Linux */
#define TCP_INFO_OPT_TIMESTAMPS 1
#define TCP_INFO_OPT_SACK 2
#define TCP_INFO_OPT_WSCALE 4

/* What TCP_INFO shows (a subset of Linux's struct tcp_info). Byte counts
 * where Linux counts segments: the socket API divides by the MSS. */
struct tcp_info_lite {
    uint8_t state;
    uint8_t ca_state; /* enum tcp_ca_state */
    uint8_t backoff;  /* consecutive RTOs (tcpi_retransmits, tcpi_backoff) */
    uint8_t options;  /* TCP_INFO_OPT_* */
    uint8_t snd_wscale, rcv_wscale; /* 0 unless window scaling is on */
    uint32_t rtt_us, rttvar_us, rto_us;
    uint32_t snd_mss, rcv_mss, pmtu;
    uint32_t cwnd, ssthresh; /* bytes */
    /* retransmissions over the connection's life: each timeout and each
     * fast or partial-ACK retransmission counts one (Linux counts every
     * segment sent again, the go-back after a timeout included) */
    uint32_t total_retrans;
    uint32_t snd_wnd, rcv_wnd;
    uint32_t unacked, unsent, rcv_queued;
    /* bytes retransmitted and not yet acknowledged: after an RTO, what
     * went again below recover; in fast recovery, the segment at SND.UNA */
    uint32_t retrans;
    /* bytes the peer SACKed, and bytes taken for lost: 0 until the SACK
     * scoreboard (RFC 6675) exists; TIMESTAMPS and SACK in options, 0
     * until those options are negotiated */
    uint32_t sacked, lost;
};

/* socket side: errors are negative errnos as the kernel gives them */
struct tcp_pcb *tcp_open(struct stack *s, void *owner);
int tcp_bind(struct stack *s, struct tcp_pcb *c, uint32_t addr, uint16_t port);
int tcp_listen(struct stack *s, struct tcp_pcb *c, int backlog);
/* The oldest established connection of a listener, now owned by owner;
 * NULL if none is waiting. */
struct tcp_pcb *tcp_accept(struct stack *s, struct tcp_pcb *l, void *owner);
/* Starts the handshake: 0 (completion is notified), or -EISCONN,
 * -EALREADY, -EADDRNOTAVAIL, -EHOSTUNREACH, -EAGAIN (no port). */
int tcp_connect(struct stack *s, struct tcp_pcb *c, uint32_t addr, uint16_t port);
/* Queue bytes for sending: count queued, or -EAGAIN (no space),
 * -EPIPE (shut down or closed), -ENOTCONN, or the pending error. */
ssize_t tcp_send(struct stack *s, struct tcp_pcb *c, const void *buf, size_t len);
/* Read in-order bytes: count, 0 at EOF, -EAGAIN, or the pending error. */
ssize_t tcp_recv(struct stack *s, struct tcp_pcb *c, void *buf, size_t len);
size_t tcp_send_space(const struct stack *s, const struct tcp_pcb *c);
size_t tcp_recv_avail(const struct tcp_pcb *c);
/* SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2. */
int tcp_shutdown(struct stack *s, struct tcp_pcb *c, int how);
/* The application lets go: a graceful close (queued data, then FIN); the
 * block is freed by the engine when the connection ends. */
void tcp_close(struct stack *s, struct tcp_pcb *c);
/* SO_LINGER with 0: send RST, free now. */
void tcp_abort(struct stack *s, struct tcp_pcb *c);
int tcp_take_error(struct tcp_pcb *c);
void tcp_get_info(const struct tcp_pcb *c, struct tcp_info_lite *info);
/* TCP_CONGESTION: 0, or -ENOENT for a name the engine does not have. */
int tcp_set_cc(struct stack *s, struct tcp_pcb *c, const char *name);
const char *tcp_cc_name(const struct tcp_pcb *c);
int tcp_set_bufs(struct stack *s, struct tcp_pcb *c, uint32_t sndbuf, uint32_t rcvbuf);
/* SO_REUSEADDR; SO_REUSEPORT, with the uid of the socket's owner (Linux
 * shares a port through SO_REUSEPORT only among sockets of one uid). */
void tcp_set_reuseaddr(struct tcp_pcb *c, int on);
void tcp_set_reuseport(struct tcp_pcb *c, int on, uint32_t uid);
void tcp_set_nodelay(struct stack *s, struct tcp_pcb *c, int on);
void tcp_set_keepalive(struct stack *s, struct tcp_pcb *c, int on, uint32_t idle_s,
                       uint32_t intvl_s, uint32_t cnt);

/* ---- accessors: what the socket layer reads of a connection ---- */
/* enum tcp_state */
int tcp_state(const struct tcp_pcb *c);
const char *tcp_state_name(int state);
/* The connection takes more bytes from the application: it is open for
 * sending and the application has not shut it. */
int tcp_sendable(const struct tcp_pcb *c);
/* The pending error (a positive errno), left pending; 0 if none. */
int tcp_error(const struct tcp_pcb *c);
/* The peer's FIN arrived in order: EOF once the received bytes are read. */
int tcp_recv_eof(const struct tcp_pcb *c);
uint32_t tcp_sndbuf(const struct tcp_pcb *c);
uint32_t tcp_rcvbuf(const struct tcp_pcb *c);
/* Established connections waiting on listener l for accept(). */
uint32_t tcp_accept_ready(const struct tcp_pcb *l);
/* The local and the remote address and port (0 when unset). */
void tcp_local_name(const struct tcp_pcb *c, uint32_t *addr, uint16_t *port);
void tcp_peer_name(const struct tcp_pcb *c, uint32_t *addr, uint16_t *port);
int tcp_reuseaddr(const struct tcp_pcb *c);
int tcp_reuseport(const struct tcp_pcb *c);
int tcp_nodelay(const struct tcp_pcb *c);
void tcp_get_keepalive(const struct tcp_pcb *c, int *on, uint32_t *idle_s,
                       uint32_t *intvl_s, uint32_t *cnt);
/* The segment size it sends (TCP_MAXSEG). */
uint32_t tcp_mss(const struct tcp_pcb *c);
/* to gets from's options: buffers, SO_REUSEADDR, SO_REUSEPORT (and its
 * uid), TCP_NODELAY, keepalive, congestion control. */
void tcp_copy_options(struct stack *s, struct tcp_pcb *to, const struct tcp_pcb *from);

/* ---- the engine's connection tables, for ustat (as the kernel's
 * inet_diag for ss): tcp_view.c ---- */
/* Which record a row comes from. */
enum tcp_view_kind {
    TCP_VIEW_PCB, /* a connection block (any state but TIME-WAIT) */
    TCP_VIEW_SYN, /* a half-open connection on a listener's SYN queue */
    TCP_VIEW_TW,  /* a TIME-WAIT record */
};
/* The timer that runs, as ss -o names them. */
enum tcp_view_timer {
    TCP_VIEW_TIMER_OFF,
    TCP_VIEW_TIMER_ON,        /* retransmission (and RACK, TLP, SYN,ACK) */
    TCP_VIEW_TIMER_KEEPALIVE, /* keepalive, delayed ACK, FIN-WAIT-2 timeout */
    TCP_VIEW_TIMER_TIMEWAIT,  /* 2 MSL */
    TCP_VIEW_TIMER_PERSIST,   /* zero-window probe */
};

/* One row: what ss shows of a connection. */
struct tcp_view {
    uint8_t kind;   /* enum tcp_view_kind */
    uint8_t state;  /* enum tcp_state */
    uint8_t timer;  /* enum tcp_view_timer */
    uint8_t orphan; /* no application holds it any more */
    void *owner;    /* the socket layer's object; NULL for none */
    uint32_t laddr, raddr;
    uint16_t lport, rport;
    /* bytes the application has not read, bytes not yet acknowledged;
     * for a listener, connections waiting for accept() and the backlog */
    uint32_t recv_q, send_q;
    uint32_t timer_ms;                    /* until the timer fires */
    uint32_t timer_retries;               /* RTOs, probes or SYN,ACKs sent again */
    uint32_t bytes_acked, bytes_received; /* over the connection's life, mod 2^32 */
    struct tcp_info_lite info;            /* TCP_VIEW_PCB only; else zero */
};

/* Call fn for every connection the engine holds: blocks, newest first
 * (each listener followed by its SYN queue), then TIME-WAIT records. Stops early when fn
 * returns non-zero. Returns the rows visited. */
size_t tcp_view_walk(const struct stack *s,
                     int (*fn)(void *arg, const struct tcp_view *v), void *arg);

#endif
