/*
 * tcp.h - TCP (RFC 9293) inside the engine: connections and their API.
 *
 * Owns: the connection blocks (struct tcp_pcb, with the RFC's own variable
 * names), the state machine (tcp_fsm.c: one transition table, which also
 * draws docs/tcp-states.svg), segment arrival (tcp_in.c, RFC 9293 §3.10.7
 * step by step), output (tcp_out.c: segmentation, Nagle, silly window
 * avoidance, window updates, RSTs), timers (tcp_timer.c: retransmission
 * per RFC 6298, delayed ACK, persist, keepalive, TIME_WAIT), congestion
 * control (tcp_cc.c: RFC 5681 with NewReno recovery, RFC 6582), timestamps
 * (tcp_ts.c: RFC 7323 §3-§5, RTTM and PAWS), and the socket-facing calls
 * (tcp_api.c).
 *
 * The engine knows nothing of file descriptors: ustackd's socket layer
 * calls the functions at the bottom of this file and is told, through
 * cfg.notify(cfg.notify_ctx, owner), when something it can see changed:
 * data or EOF to read, send space, the connection established, an error,
 * a connection waiting on a listener.
 *
 * Leaves out: SACK, urgent data (the URG pointer is ignored), TCP Fast
 * Open, path MTU discovery, ECN. Without timestamps (the peer did not
 * offer them), RTT is sampled once a round trip per RFC 6298 with Karn's
 * rule.
 */
#ifndef USTACK_PROTO_TCP_H
#define USTACK_PROTO_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "core/ring.h"
#include "core/seq.h"

struct stack;
struct pkb;
struct ip_meta;

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
#define TCP_OOO_MAX_SEGS 256  /* out-of-order segments held per connection:
                                 a whole default window of full segments */
#define TCP_SYN_RETRIES 6     /* as Linux tcp_syn_retries */
#define TCP_DATA_RETRIES 15   /* as Linux tcp_retries2 */
#define TCP_RTO_INITIAL_US 1000000 /* RFC 6298 §2.1 */
#define TCP_RTO_MAX_US 60000000    /* RFC 6298 §2.5 allows a maximum >= 60 s */
#define TCP_DELACK_US 200000       /* RFC 1122 §4.2.3.2: < 0.5 s; the issue: 200 ms */
#define TCP_PERSIST_MIN_US 200000
#define TCP_FIN_TIMEOUT_US 60000000 /* orphaned FIN_WAIT_2, as Linux tcp_fin_timeout */

/* A segment received beyond RCV.NXT, held until the hole fills. */
struct tcp_ooo {
    struct tcp_ooo *next;
    tcp_seq seq;
    uint32_t len;
    uint8_t fin;
    uint8_t data[];
};

struct tcp_pcb {
    struct tcp_pcb *next;
    void *owner;          /* the socket layer's object; NULL for an
                             unaccepted child (its listener is told) */
    uint8_t state;        /* enum tcp_state: change only via tcp_set_state */
    uint32_t laddr, raddr;
    uint16_t lport, rport;

    /* RFC 9293 §3.3.1: send sequence variables */
    tcp_seq iss, snd_una, snd_nxt;
    tcp_seq snd_max;      /* highest sequence sent (snd_nxt rewinds on RTO) */
    uint32_t snd_wnd;     /* scaled */
    uint32_t max_snd_wnd; /* largest window the peer offered (SWS, RFC 5961 §5.2) */
    tcp_seq snd_wl1, snd_wl2;
    /* receive sequence variables */
    tcp_seq irs, rcv_nxt;
    uint32_t rcv_wnd;     /* what we last advertised, scaled */
    tcp_seq rcv_adv;      /* right edge we last advertised (never moves back) */

    uint16_t snd_mss;     /* segment size we send: min(peer's MSS, ours) */
    uint8_t snd_wscale;   /* peer's shift (applied to windows it sends) */
    uint8_t rcv_wscale;   /* our shift */
    uint8_t wscale_ok;    /* both sides sent the option (RFC 7323 §2.2) */

    struct ring snd;      /* bytes from SND.UNA on: unacked, then unsent */
    struct ring rcv;      /* in-order bytes for the application */
    struct tcp_ooo *ooo;  /* sorted by seq */
    uint32_t ooo_segs;

    uint8_t fin_queued;   /* the application is done sending: FIN follows the data */
    uint8_t fin_acked;    /* our FIN has been acknowledged */
    uint8_t reuseaddr;    /* SO_REUSEADDR */
    uint8_t in_acceptq;   /* a child on its listener's accept queue */
    uint32_t sndbuf, rcvbuf; /* SO_SNDBUF, SO_RCVBUF: ring sizes */
    uint8_t rcv_fin;      /* the peer's FIN arrived in order: EOF after rcv */
    uint8_t app_closed;   /* the application let go; free once CLOSED */
    uint8_t shut_rd;
    uint8_t nodelay;      /* TCP_NODELAY: Nagle off */
    uint8_t ack_now;      /* send an ACK at the next output */
    uint8_t delack_segs;  /* full segments received since our last ACK */
    uint8_t passive;      /* opened by a listener */
    uint8_t syn_rexmt;    /* our SYN (or SYN,ACK) had to be retransmitted */

    /* timers: deadlines in µs, 0 = off */
    uint64_t t_rexmt, t_delack, t_persist, t_keep, t_2msl;

    /* RFC 6298 */
    uint32_t srtt_us, rttvar_us, rto_us;
    uint8_t rtt_timing;   /* a segment is being timed */
    tcp_seq rtt_seq;
    uint64_t rtt_start_us;
    uint8_t backoff;      /* consecutive RTO expiries */
    uint8_t persist_shift;
    uint32_t retransmits; /* total, for TCP_INFO */

    /* RFC 5681 / RFC 6582 */
    uint32_t cwnd, ssthresh;
    uint8_t dupacks;
    uint8_t in_recovery;
    tcp_seq recover;

    /* keepalive (SO_KEEPALIVE, TCP_KEEPIDLE/INTVL/CNT) */
    uint8_t keepalive;
    uint8_t keep_sent;
    uint32_t keep_idle_s, keep_intvl_s, keep_cnt;
    uint64_t last_rx_us;

    int so_error;         /* pending error (positive errno), read once */

    /* listeners and their children */
    struct tcp_pcb *listener; /* for a child until accepted */
    struct tcp_pcb *acceptq;  /* established children, oldest first */
    uint32_t backlog, n_syn, n_accept;

    /* RFC 7323 timestamps (tcp_ts.c) */
    uint8_t ts_ok;          /* both SYNs carried the option: every segment does */
    uint8_t ts_recent_ok;   /* TS.Recent holds a value (§5.5 may invalidate it) */
    uint32_t ts_off;        /* added to our ms clock: TSval = now_ms + ts_off */
    uint32_t ts_recent;     /* §4.3 TS.Recent: the TSval we echo */
    uint64_t ts_recent_us;  /* when TS.Recent was last set (§5.5) */
    tcp_seq last_ack_sent;  /* §4.3 Last.ACK.sent */
};

/* What TCP_INFO shows (a subset of Linux's struct tcp_info). */
struct tcp_info_lite {
    uint8_t state;
    uint32_t rtt_us, rttvar_us, rto_us;
    uint32_t snd_mss, cwnd, ssthresh; /* bytes */
    uint32_t retransmits;
    uint32_t snd_wnd, rcv_wnd;
    uint32_t unacked, unsent, rcv_queued;
};

/* engine side */
int tcp_init(struct stack *s);
void tcp_input(struct stack *s, struct pkb *p, const struct ip_meta *m);
void tcp_icmp_error(struct stack *s, uint8_t type, uint8_t code, const uint8_t *q,
                    size_t q_len);
void tcp_poll(struct stack *s);
uint64_t tcp_poll_at(const struct stack *s);
void tcp_free_all(struct stack *s);
/* Free the blocks that are CLOSED and that nobody holds any more. */
void tcp_reap(struct stack *s);
const char *tcp_state_name(int state);
/* Print the transition table as a graphviz digraph. */
void tcp_fsm_dot(FILE *out);

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
size_t tcp_send_space(const struct tcp_pcb *c);
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
int tcp_set_bufs(struct tcp_pcb *c, uint32_t sndbuf, uint32_t rcvbuf);
void tcp_set_nodelay(struct stack *s, struct tcp_pcb *c, int on);
void tcp_set_keepalive(struct stack *s, struct tcp_pcb *c, int on, uint32_t idle_s,
                       uint32_t intvl_s, uint32_t cnt);

/* inside the TCP modules */
void tcp_set_state(struct stack *s, struct tcp_pcb *c, int to, const char *why);
void tcp_output(struct stack *s, struct tcp_pcb *c);
void tcp_output_force(struct stack *s, struct tcp_pcb *c);
void tcp_send_ack(struct stack *s, struct tcp_pcb *c);
void tcp_send_challenge_ack(struct stack *s, struct tcp_pcb *c);
void tcp_send_rst(struct stack *s, uint32_t src, uint32_t dst, uint16_t sport,
                  uint16_t dport, tcp_seq seq, tcp_seq ack, int with_ack);
/* Send one segment at seq with len bytes of data taken from the send
 * ring, with flags (ACK is added once synchronized). */
int tcp_xmit(struct stack *s, struct tcp_pcb *c, tcp_seq seq, uint32_t len,
             uint8_t flags);
/* Send the segment at SND.UNA again (fast retransmit, NewReno partial ACK). */
void tcp_retransmit_una(struct stack *s, struct tcp_pcb *c);
void tcp_rtt_sample(struct stack *s, struct tcp_pcb *c, uint32_t rtt_us);
void tcp_timer_rexmt_restart(struct stack *s, struct tcp_pcb *c);
/* End the connection with err (0: quietly) and tell the owner. */
void tcp_drop(struct stack *s, struct tcp_pcb *c, int err);
void tcp_notify(struct stack *s, struct tcp_pcb *c);
/* Sequence number of the first byte in the send ring. */
tcp_seq tcp_data_seq0(const struct tcp_pcb *c);
uint32_t tcp_flight(const struct tcp_pcb *c);
void tcp_cc_init(struct stack *s, struct tcp_pcb *c);
void tcp_cc_ack(struct stack *s, struct tcp_pcb *c, uint32_t acked);
/* Returns 1 when the duplicate ACK triggers a fast retransmit. */
int tcp_cc_dupack(struct stack *s, struct tcp_pcb *c);
void tcp_cc_timeout(struct stack *s, struct tcp_pcb *c);
tcp_seq tcp_isn(struct stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr,
                uint16_t rport);
/* RFC 6298 §2.3 with alpha = 1/(8n), beta = 1/(4n) (n >= 1; see tcp_ts.c). */
void tcp_rtt_sample_n(struct stack *s, struct tcp_pcb *c, uint32_t rtt_us, uint32_t n);

/* ---- RFC 7323 timestamps (tcp_ts.c) ---- */
struct tcp_repr;
#define TCP_PAWS_IDLE_US (24ull * 86400 * 1000000) /* RFC 7323 §5.5: 24 days */
/* Data bytes in a full segment: SND.MSS less the options every segment
 * carries (12 with timestamps, RFC 7323 §3.2 and RFC 6691). */
uint32_t tcp_eff_mss(const struct tcp_pcb *c);
/* Our TSval now: the engine clock in ms plus the connection's offset. */
uint32_t tcp_ts_now(const struct stack *s, const struct tcp_pcb *c);
/* The peer's SYN or SYN,ACK h: timestamps in use iff it carried them
 * (we offer them on every SYN); TS.Recent from it. */
void tcp_ts_syn_input(struct stack *s, struct tcp_pcb *c, const struct tcp_repr *h);
/* Put the option on a segment we are about to send; note Last.ACK.sent. */
void tcp_ts_out(struct stack *s, struct tcp_pcb *c, struct tcp_repr *r);
/* §5.3 R1: 1 if h is an old duplicate by its TSval (counted, an ACK
 * queued): the caller drops it. */
int tcp_ts_paws_reject(struct stack *s, struct tcp_pcb *c, const struct tcp_repr *h);
/* §4.3 / §5.3 R3: an acceptable segment h may become TS.Recent. */
void tcp_ts_recent_update(struct stack *s, struct tcp_pcb *c, const struct tcp_repr *h);
/* §4.1-4.2 RTTM: h acknowledges new data (SND.UNA not yet moved): an RTT
 * sample from its TSecr. */
void tcp_ts_rtt(struct stack *s, struct tcp_pcb *c, const struct tcp_repr *h);

#endif
