/*
 * tcp.h - TCP (RFC 9293) inside the engine: connections and their API.
 *
 * Owns: the connection blocks (struct tcp_pcb, with the RFC's own variable
 * names), the state machine (tcp_fsm.c: one transition table, which also
 * draws docs/tcp-states.svg), segment arrival (tcp_in.c, RFC 9293 §3.10.7
 * step by step), output (tcp_out.c: segmentation, Nagle, silly window
 * avoidance, window updates, RSTs), timers (tcp_timer.c: retransmission
 * per RFC 6298, delayed ACK, persist, keepalive, TIME_WAIT), loss
 * recovery (tcp_cc.c: RFC 5681 fast retransmit, NewReno recovery per RFC
 * 6582, for peers without SACK; tcp_sack.c: RFC 6675 with SACK; tcp_rack.c:
 * RACK-TLP, RFC 8985) calling one of the congestion-window algorithms of
 * tcp_cc.h (tcp_reno.c, tcp_cubic.c: RFC 9438), timestamps (tcp_ts.c: RFC
 * 7323 §3-§5, RTTM and PAWS), ICMP errors and path MTU discovery
 * (tcp_pmtu.c: RFC 5927, RFC 1191, a black-hole fallback), the SYN
 * queue and SYN cookies (tcp_syn.c: RFC 4987 §3.6), out-of-order data in
 * the receive ring (tcp_ooo.c), TIME-WAIT records (tcp_tw.c), and the
 * socket-facing calls (tcp_api.c, which also keeps the memory budget).
 *
 * The engine knows nothing of file descriptors: ustackd's socket layer
 * calls the functions at the bottom of this file and is told, through
 * cfg.notify(cfg.notify_ctx, owner), when something it can see changed:
 * data or EOF to read, send space, the connection established, an error,
 * a connection waiting on a listener.
 *
 * Leaves out: urgent data (the URG pointer is ignored), TCP Fast Open,
 * raising the path MTU again (RFC 1191 §6.3, RFC 4821 probing), ECN.
 * Without timestamps (the peer did not offer them), RTT is sampled once a
 * round trip per RFC 6298 with Karn's rule.
 */
#ifndef USTACK_PROTO_TCP_H
#define USTACK_PROTO_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "core/htab.h"
#include "proto/tcp_api.h"
#include "core/ring.h"
#include "core/seq.h"
#include "proto/tcp_cc.h"
#include "wire/tcp_hdr.h"

struct stack;
struct pkb;
struct ip_meta;
struct icmp_repr;

#define TCP_OOO_RANGES 16     /* runs of out-of-order data held per connection
                                 (the bytes are in the receive ring) */
#define TCP_SYNQ_EXTRA 16     /* SYN-queue entries a listener keeps beyond
                                 2 * backlog; then SYN cookies */
#define TCP_SYN_RETRIES 6     /* as Linux tcp_syn_retries */
#define TCP_DATA_RETRIES 15   /* as Linux tcp_retries2 */
#define TCP_ORPHAN_RETRIES 8  /* as Linux tcp_orphan_retries (0 means 8) */
#define TCP_RTO_INITIAL_US 1000000 /* RFC 6298 §2.1 */
#define TCP_RTO_MAX_US 60000000    /* RFC 6298 §2.5 allows a maximum >= 60 s */
#define TCP_DELACK_US 200000       /* RFC 1122 §4.2.3.2: < 0.5 s; the issue: 200 ms */
#define TCP_PERSIST_MIN_US 200000
#define TCP_FIN_TIMEOUT_US 60000000 /* orphaned FIN_WAIT_2, as Linux tcp_fin_timeout */
#define TCP_PMTU_MIN 576      /* lowest path MTU we use: MSS 536 (RFC 9293 §3.7.1) */
#define TCP_MSS_MIN 536       /* TCP_PMTU_MIN - 40 */
#define TCP_BLACKHOLE_RTOS 3  /* consecutive RTOs of a full-sized segment before
                                 the MSS is lowered (Linux gates its black-hole
                                 detection on tcp_retries1 = 3) */
#define TCP_BLACKHOLE_MSS 1024 /* first step down, as Linux tcp_base_mss */

/* One segment we sent, a record of the SACK scoreboard (RFC 6675 §3):
 * [seq, seq + len) of sequence space (a FIN counts one), when it last
 * left, and what the peer told us of it. */
struct tcp_txseg {
    tcp_seq seq;
    uint32_t len;
    uint64_t xmit_us;  /* the last transmission */
    uint64_t first_us; /* the first */
    uint8_t flags;
};
#define TXS_SACKED 0x01  /* the peer holds it (RFC 2018) */
#define TXS_LOST 0x02    /* deemed lost (RACK, RFC 8985; IsLost, RFC 6675) */
#define TXS_RETRANS 0x04 /* retransmitted since it was last deemed lost */
#define TXS_FIN 0x08     /* carries our FIN (its last unit of len) */
#define TXS_EVER_RETRANS 0x10

/* The scoreboard: the segments in [SND.UNA, SND.MAX), in order, in a
 * circular array that grows by doubling up to TCP_SB_MAX records. */
struct tcp_sb {
    struct tcp_txseg *seg;
    uint32_t cap, head, n;
};
#define TCP_SB_MAX 4096

/* A run [left, right) of sequence space received beyond RCV.NXT (the
 * peer's FIN counts one), its bytes at their offset in the receive ring. */
struct tcp_range {
    tcp_seq left, right;
};

/* A half-open connection on a listener's SYN queue (RFC 9293 SYN-RECEIVED
 * before its ACK): what answers the peer and builds the connection when
 * the ACK comes, in a few dozen bytes (FreeBSD's syncache). tcp_syn.c. */
struct tcp_syn_entry {
    struct tcp_syn_entry *next; /* the listener's list */
    struct hnode hnode;         /* s->tcp.synq, by 4-tuple (tcp_hash.c) */
    uint64_t t_rexmt;           /* next SYN,ACK */
    uint32_t laddr, raddr;
    tcp_seq irs, iss;
    uint32_t ts_recent;    /* the peer's TSval (ts_ok) */
    uint32_t sent_ms;      /* engine ms when the first SYN,ACK left */
    uint16_t lport, rport;
    uint16_t mss;          /* the peer's (536 when it sent none) */
    uint16_t wnd;          /* the peer's window (never scaled in a SYN) */
    uint8_t snd_wscale;    /* the peer's shift; TCP_WS_NONE: no option */
    uint8_t sack_ok, ts_ok;
    uint8_t retries;       /* SYN,ACKs sent again */
};
#define TCP_WS_NONE 0xff

/* A connection in TIME-WAIT (RFC 9293 §3.6), once it has let go of its
 * block and rings (FreeBSD's tcptw, Linux's inet_timewait_sock): enough
 * to acknowledge a retransmitted FIN, to check RSTs and SYNs, and to hold
 * the 4-tuple for 2 MSL. tcp_tw.c. */
struct tcp_tw {
    struct tcp_tw *next, *prev; /* in order of expiry */
    struct hnode hnode;         /* s->tcp.tws, by 4-tuple (tcp_hash.c) */
    uint64_t t_2msl;
    uint32_t laddr, raddr;
    tcp_seq snd_nxt, rcv_nxt;
    uint32_t ts_recent, ts_off;
    uint16_t lport, rport;
    uint16_t wnd;          /* the window field our ACKs carry */
    uint8_t wscale;        /* its shift */
    uint8_t ts_ok;
};

struct tcp_pcb {
    struct tcp_pcb *next, *prev; /* s->tcp.pcbs */
    struct tcp_pcb *reap_next;   /* s->tcp.reap, when reap_queued */
    uint8_t reap_queued;
    uint32_t t_heap;      /* 1 + its place in s->tcp.heap; 0: no timer runs */
    uint64_t t_next;      /* its key there: the earliest deadline below */
    struct hnode hnode;   /* s->tcp.conns or s->tcp.listeners (tcp_hash.c) */
    uint8_t hashed;       /* which of the two holds it (0: neither) */
    uint64_t id;          /* opening order: ties of a lookup go as before */
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

    uint16_t snd_mss;     /* segment size we send: min(peer's MSS, ours,
                             pmtu - 40) */
    uint16_t pmtu;        /* path MTU estimate (RFC 1191 §3): the link MTU,
                             lowered by "fragmentation needed" or the
                             black-hole fallback; never raised */
    uint16_t bh_mss, bh_pmtu; /* SND.MSS and the estimate before the first
                             black-hole step (0: none taken) */
    uint32_t bh_tsval;    /* our TSval when it was taken */
    uint8_t pmtu_no_df;   /* a router asked for less than TCP_PMTU_MIN:
                             send without DF so it may fragment (as Linux) */
    uint8_t snd_wscale;   /* peer's shift (applied to windows it sends) */
    uint8_t rcv_wscale;   /* our shift */
    uint8_t wscale_ok;    /* both sides sent the option (RFC 7323 §2.2) */

    struct ring snd;      /* bytes from SND.UNA on: unacked, then unsent */
    struct ring rcv;      /* in-order bytes for the application, then in
                             its free space the out-of-order ones */
    struct tcp_range ooo[TCP_OOO_RANGES]; /* sorted, apart (tcp_ooo.c) */
    uint8_t n_ooo;
    uint8_t ooo_fin;      /* a FIN beyond a hole, at ooo_fin_seq */
    tcp_seq ooo_fin_seq;
    uint32_t mem_charged; /* bytes of the engine's budget it holds */

    uint8_t fin_queued;   /* the application is done sending: FIN follows the data */
    uint8_t fin_acked;    /* our FIN has been acknowledged */
    uint8_t reuseaddr;    /* SO_REUSEADDR */
    uint8_t reuseport;    /* SO_REUSEPORT, shared with blocks of the same uid */
    uint32_t uid;         /* the owner's, for SO_REUSEPORT */
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
    uint8_t syn_acked;    /* our SYN is acknowledged: the send ring begins
                             at SND.UNA (before, at ISS + 1) */

    /* timers: deadlines in µs, 0 = off */
    uint64_t t_rexmt, t_delack, t_persist, t_keep, t_2msl;

    /* RFC 6298 */
    uint32_t srtt_us, rttvar_us, rto_us;
    uint8_t rtt_timing;   /* a segment is being timed */
    tcp_seq rtt_seq;
    uint64_t rtt_start_us;
    uint8_t backoff;      /* consecutive RTO expiries */
    uint8_t persist_shift;
    uint8_t probes_out;   /* zero-window probes no ACK answered (Linux's
                             icsk_probes_out) */
    uint64_t persist_since_us; /* the first probe of this shut window; 0: none */
    uint32_t retransmits; /* total, for TCP_INFO */

    /* RFC 5681 / RFC 6582 */
    uint32_t cwnd, ssthresh;
    uint8_t dupacks;
    uint8_t in_recovery;
    uint8_t in_loss;      /* after an RTO, until SND.UNA passes recover */
    tcp_seq recover;
    const struct tcp_cc_ops *cc; /* the congestion-window algorithm */
    union {
        struct tcp_cubic cubic;
    } cc_priv;            /* its state */

    uint16_t rcv_mss;     /* largest segment received (TCP_INFO) */

    /* SACK (RFC 2018, RFC 2883, RFC 6675) and RACK-TLP (RFC 8985) */
    uint8_t sack_ok;      /* both SYNs carried SACK-Permitted */
    uint8_t n_sack_recent;
    uint8_t has_dsack;    /* a duplicate to report in the next ACK */
    tcp_seq sack_recent[TCP_SACK_MAX]; /* latest out-of-order arrivals, newest first */
    struct tcp_sack_block dsack;
    struct tcp_sb sb;     /* sender's scoreboard; seg NULL: not kept */
    uint64_t rack_xmit_us;   /* RACK.xmit_ts: latest send time delivered */
    tcp_seq rack_end_seq;    /* RACK.end_seq */
    tcp_seq rack_fack;       /* highest end of data delivered (acked or SACKed) */
    uint32_t rack_rtt_us, rack_min_rtt_us;
    uint8_t rack_reord;      /* reordering seen (RACK.reordering_seen) */
    uint32_t ack_tsecr;      /* TSecr of the ACK being processed (0: none) */
    uint8_t rack_reo_mult;   /* RACK.reo_wnd_mult: grows on D-SACKs */
    uint8_t rack_reo_persist; /* recoveries left before the mult resets */
    tcp_seq rack_dsack_round; /* SND.MAX when the mult last grew */
    uint8_t tlp_retrans;     /* the outstanding probe was a retransmission */
    uint8_t tlp_dsacked;     /* ... and the peer D-SACKed it: nothing was lost */
    /* undoing a reduction that was for nothing (RFC 3708, RFC 3522) */
    uint8_t undo_armed;      /* a recovery or timeout episode may be undone */
    uint8_t undo_ts_set;
    int32_t undo_retrans;    /* its retransmissions not yet D-SACKed */
    tcp_seq undo_marker;     /* SND.UNA when it began */
    uint32_t undo_tsval;     /* TSval of its first retransmission */
    uint32_t prior_cwnd, prior_ssthresh;
    uint8_t tlp_out;         /* a probe is outstanding */
    tcp_seq tlp_high_seq;    /* SND.MAX when the probe left */
    uint64_t t_reo, t_tlp;   /* RACK reordering timer, tail loss probe */

    /* keepalive (SO_KEEPALIVE, TCP_KEEPIDLE/INTVL/CNT) */
    uint8_t keepalive;
    uint8_t keep_sent;
    uint32_t keep_idle_s, keep_intvl_s, keep_cnt;
    uint64_t last_rx_us;

    int so_error;         /* pending error (positive errno), read once */

    /* listeners and their children */
    struct tcp_pcb *listener; /* for a child until accepted */
    struct tcp_pcb *acceptq;  /* established children, oldest first */
    uint32_t backlog, n_syn, n_accept; /* n_syn: SYN-queue entries and
                                          children not yet established */
    struct tcp_syn_entry *synq; /* a listener's half-open connections */
    uint64_t synq_at;           /* the earliest of their t_rexmt (0: none) */
    uint64_t cookie_us;       /* when it last sent a SYN cookie */

    /* RFC 7323 timestamps (tcp_ts.c) */
    uint8_t ts_ok;          /* both SYNs carried the option: every segment does */
    uint8_t ts_recent_ok;   /* TS.Recent holds a value (§5.5 may invalidate it) */
    uint32_t ts_off;        /* added to our ms clock: TSval = now_ms + ts_off */
    uint32_t ts_recent;     /* §4.3 TS.Recent: the TSval we echo */
    uint64_t ts_recent_us;  /* when TS.Recent was last set (§5.5) */
    tcp_seq last_ack_sent;  /* §4.3 Last.ACK.sent */
};

/* engine side */
int tcp_init(struct stack *s);
void tcp_input(struct stack *s, struct pkb *p, const struct ip_meta *m);
/* An ICMP error r quoting q_len bytes of a datagram we sent (q: its IP
 * header, at least 20 bytes, version 4, IHL checked by icmp.c). */
void tcp_icmp_error(struct stack *s, const struct icmp_repr *r, const uint8_t *q,
                    size_t q_len);
void tcp_poll(struct stack *s);
uint64_t tcp_poll_at(const struct stack *s);
/* c's deadlines (or its SYN queue's) may have changed: its place in the
 * timer heap follows. Every entry point that may move one calls it. */
void tcp_timer_sched(struct stack *s, struct tcp_pcb *c);
/* Room in the heap for one more block (tcp_open): 0 or -ENOMEM. */
int tcp_timer_reserve(struct stack *s);
/* c is being freed: out of the heap. */
void tcp_timer_unlink(struct stack *s, struct tcp_pcb *c);
void tcp_timer_free(struct stack *s);
/* Blocks whose place in the heap does not match their deadlines (tests:
 * 0, or a timer would fire late). Walks every block. */
size_t tcp_timer_check(const struct stack *s);
/* c may be freed now (CLOSED and let go): queue it for tcp_reap. */
void tcp_reap_note(struct stack *s, struct tcp_pcb *c);
void tcp_free_all(struct stack *s);
/* Free the blocks that are CLOSED and that nobody holds any more. */
void tcp_reap(struct stack *s);
/* Print the transition table as a graphviz digraph. */
void tcp_fsm_dot(FILE *out);

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
/* The retransmission timer fired (backoff already counts it): the
 * black-hole fallback may lower SND.MSS. */
void tcp_pmtu_rto(struct stack *s, struct tcp_pcb *c);
/* A full-sized segment sent before the black-hole fallback was delivered
 * (len bytes, or the ACK echoes tsecr from before it): the path carries
 * big segments after all, and the fallback is undone. */
void tcp_pmtu_delivered(struct stack *s, struct tcp_pcb *c, uint32_t len, uint32_t tsecr);
/* ipv4_output flags for c's segments: DF, unless pmtu_no_df. */
unsigned tcp_ip_flags(const struct tcp_pcb *c);
/* enum tcp_ca_state, for TCP_INFO */
uint8_t tcp_cc_ca_state(const struct tcp_pcb *c);
tcp_seq tcp_isn(struct stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr,
                uint16_t rport);
/* RFC 6298 §2.3 with alpha = 1/(8n), beta = 1/(4n) (n >= 1; see tcp_ts.c). */
void tcp_rtt_sample_n(struct stack *s, struct tcp_pcb *c, uint32_t rtt_us, uint32_t n);

/* ---- memory (tcp_api.c): every block, ring storage, SYN-queue entry and
 * TIME_WAIT record is charged to cfg.tcp_mem_max ---- */
/* 0, or -ENOBUFS (counted in tcp.mem_refused) when n bytes more would
 * pass the budget. */
int tcp_mem_charge(struct stack *s, size_t n);
void tcp_mem_uncharge(struct stack *s, size_t n);
/* Bytes charged now. */
uint64_t tcp_mem_used(const struct stack *s);
/* The two rings of c, bounded by sndbuf and rcvbuf, with no storage yet:
 * 0. */
int tcp_rings_alloc(struct stack *s, struct tcp_pcb *c);
/* Storage in r for need bytes from its head (at most its bound), the
 * growth charged to the budget: 0 or -ENOBUFS (tcp.mem_refused). */
int tcp_ring_reserve(struct stack *s, struct tcp_pcb *c, struct ring *r, size_t need);
/* Free r's storage if it holds nothing (and, for the receive ring, no
 * out-of-order run), uncharging it. */
void tcp_ring_release(struct stack *s, struct tcp_pcb *c, struct ring *r);

/* ---- lookup by hash (tcp_hash.c) ---- */
int tcp_hash_init(struct stack *s);
void tcp_hash_free(struct stack *s);
/* SipHash-2-4 of a 4-tuple under the engine's secret. */
uint64_t tcp_hash4(const struct stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr,
                   uint16_t rport);
/* c's state changed: put it in the table its state calls for. */
void tcp_hash_update(struct stack *s, struct tcp_pcb *c);
/* c is going: out of every table. */
void tcp_hash_unlink(struct stack *s, struct tcp_pcb *c);
/* The connection (not CLOSED, not LISTEN) on this 4-tuple, or NULL. */
struct tcp_pcb *tcp_conn_find(const struct stack *s, uint32_t laddr, uint16_t lport,
                              uint32_t raddr, uint16_t rport);
/* The listener that takes a SYN for addr:port, or NULL. */
struct tcp_pcb *tcp_listener_find(const struct stack *s, uint32_t addr, uint16_t port);
void tcp_syn_hash_insert(struct stack *s, struct tcp_syn_entry *e);
void tcp_syn_hash_remove(struct stack *s, struct tcp_syn_entry *e);
struct tcp_syn_entry *tcp_syn_find(const struct stack *s, uint32_t laddr, uint16_t lport,
                                   uint32_t raddr, uint16_t rport);
void tcp_tw_hash_insert(struct stack *s, struct tcp_tw *tw);
void tcp_tw_hash_remove(struct stack *s, struct tcp_tw *tw);

/* ---- out-of-order data in the receive ring (tcp_ooo.c) ---- */
/* Keep len bytes at seq (beyond RCV.NXT, inside the window) and a FIN
 * after them if fin. */
void tcp_ooo_insert(struct stack *s, struct tcp_pcb *c, tcp_seq seq,
                    const uint8_t *data, uint32_t len, int fin);
/* RCV.NXT moved: hold what is now in order. Returns 1 if the FIN is. */
int tcp_ooo_pull(struct tcp_pcb *c);
/* The run that holds seq, as a SACK block (the FIN included): 1, else 0. */
int tcp_ooo_block(const struct tcp_pcb *c, tcp_seq seq, struct tcp_sack_block *b);
void tcp_ooo_clear(struct tcp_pcb *c);

/* ---- the SYN queue and SYN cookies (tcp_syn.c) ---- */
struct tcp_repr;
/* A segment for listener l that no connection took; returns a child in
 * SYN_RECEIVED for tcp_in.c to go on with (its ACK completes it), or NULL
 * when the segment is dealt with. */
struct tcp_pcb *tcp_syn_listen_input(struct stack *s, struct tcp_pcb *l,
                                     const struct tcp_repr *h, uint32_t src,
                                     uint32_t dst, uint32_t len);
/* The child returned above has been through the ACK: settle its entry. */
void tcp_syn_settle(struct stack *s, struct tcp_pcb *l, struct tcp_pcb *c);
/* SYN,ACK retransmissions and the flood summary line. */
void tcp_syn_poll(struct stack *s, struct tcp_pcb *l);
uint64_t tcp_syn_poll_at(const struct stack *s, const struct tcp_pcb *l);
/* The listener closes: its half-open connections go (reset if rst). */
void tcp_syn_flush(struct stack *s, struct tcp_pcb *l, int rst);
/* "N SYNs answered with cookies, M dropped in the last second" once a
 * second at most; count one more of either. */
void tcp_syn_note(struct stack *s, int cookie);
uint64_t tcp_syn_log_at(const struct stack *s);
void tcp_syn_log_poll(struct stack *s);

/* ---- TIME_WAIT records (tcp_tw.c) ---- */
/* c enters TIME-WAIT: its record takes over, c goes CLOSED. */
void tcp_tw_enter(struct stack *s, struct tcp_pcb *c);
struct tcp_tw *tcp_tw_lookup(const struct stack *s, uint32_t laddr, uint16_t lport,
                             uint32_t raddr, uint16_t rport);
/* A segment for tw. Returns 1 if it is a new SYN that ended tw and goes
 * to the listener l, else 0 (dealt with). */
int tcp_tw_input(struct stack *s, struct tcp_tw *tw, const struct tcp_repr *h,
                 uint32_t len, struct tcp_pcb *l);
/* A record holds addr:port (tcp_bind). */
int tcp_tw_port_taken(const struct stack *s, uint32_t addr, uint16_t port);
void tcp_tw_poll(struct stack *s);
uint64_t tcp_tw_poll_at(const struct stack *s);
void tcp_tw_free_all(struct stack *s);
/* Records held (tests, counters). */
size_t tcp_tw_count(const struct stack *s);
/* Send a segment without a connection block (SYN,ACKs of the SYN queue,
 * ACKs of TIME_WAIT): counted and logged as tcp_xmit's. */
void tcp_send_ctl(struct stack *s, struct tcp_repr *r, uint32_t laddr, uint32_t raddr);
/* RFC 5961 §7: a challenge ACK may go now (the budget of this second;
 * counted in challenge_acks or challenge_limited). */
int tcp_challenge_ok(struct stack *s);
/* RFC 7323 §5.4: our TSval offset for a 4-tuple. */
uint32_t tcp_ts_offset4(const struct stack *s, uint32_t laddr, uint16_t lport,
                        uint32_t raddr, uint16_t rport);
/* Our window scale for a receive buffer of buf bytes. */
uint8_t tcp_wscale_for(uint32_t buf);

/* ---- RFC 7323 timestamps (tcp_ts.c) ---- */
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

/* tcp_sack.c: SACK as receiver (blocks in our ACKs) and as sender (the
 * scoreboard, RFC 6675 recovery); tcp_rack.c: RACK-TLP loss detection */
void tcp_sack_rcv_note(struct tcp_pcb *c, tcp_seq seq);
void tcp_sack_rcv_dup(struct stack *s, struct tcp_pcb *c, tcp_seq seq, tcp_seq end);
void tcp_sack_fill(struct stack *s, struct tcp_pcb *c, struct tcp_repr *r);
/* Option bytes the SACK blocks of our next segment will take. */
unsigned tcp_sack_room(const struct tcp_pcb *c);
int tcp_sb_init(struct tcp_pcb *c);
void tcp_sb_free(struct tcp_pcb *c);
/* Record a segment of len units of sequence space leaving at seq. -1 if
 * the scoreboard is full (the segment must not go). */
int tcp_sb_sent(struct stack *s, struct tcp_pcb *c, tcp_seq seq, uint32_t len, int fin);
int tcp_sb_full(const struct tcp_pcb *c);
/* RFC 6675 §4 SetPipe: the bytes we believe are in the network. */
uint32_t tcp_sb_pipe(const struct tcp_pcb *c);
/* Bytes SACKed, deemed lost, retransmitted and not yet acknowledged. */
void tcp_sb_counts(const struct tcp_pcb *c, uint32_t *sacked, uint32_t *lost,
                   uint32_t *retrans);
/* A segment is deemed lost and not yet sent again. */
int tcp_sb_lost_pending(const struct tcp_pcb *c);
/* An acceptable ACK on a connection with a scoreboard: SACK blocks,
 * RACK, recovery. Returns 1 if loss recovery handled cwnd (the caller
 * skips the normal growth). */
int tcp_sack_ack(struct stack *s, struct tcp_pcb *c, const struct tcp_repr *h,
                 int advanced);
/* Retransmit what the scoreboard holds lost, as cwnd - pipe allows. */
void tcp_sack_retransmit(struct stack *s, struct tcp_pcb *c);
/* Every segment not SACKed is to be sent again (an RTO, a lower path MTU). */
void tcp_sb_all_lost(struct tcp_pcb *c);
/* RTO: every segment not SACKed is lost (RFC 6675 §5.1). */
void tcp_sack_rto(struct stack *s, struct tcp_pcb *c);
struct tcp_txseg *tcp_sb_at(const struct tcp_pcb *c, uint32_t i);
void tcp_sb_send(struct stack *s, struct tcp_pcb *c, struct tcp_txseg *g);
void tcp_rack_delivered(struct stack *s, struct tcp_pcb *c, const struct tcp_txseg *g);
/* RFC 8985 §6.2 step 5: mark lost; returns the number newly lost. */
int tcp_rack_detect_loss(struct stack *s, struct tcp_pcb *c);
void tcp_tlp_arm(struct stack *s, struct tcp_pcb *c);
void tcp_tlp_fire(struct stack *s, struct tcp_pcb *c);
void tcp_reo_fire(struct stack *s, struct tcp_pcb *c);
void tcp_rack_dsack(struct stack *s, struct tcp_pcb *c);
void tcp_rack_recovery_done(struct tcp_pcb *c);
/* The ACK of a tail loss probe's episode (RFC 8985 §7.4). */
void tcp_tlp_ack(struct stack *s, struct tcp_pcb *c, tcp_seq ack, int advanced);
/* A timeout begins an episode that D-SACKs may show was for nothing. */
void tcp_sack_undo_arm(struct tcp_pcb *c);
/* Enter loss recovery (RFC 6675 §5 step 4) unless already in it. */
void tcp_sack_enter_recovery(struct stack *s, struct tcp_pcb *c);

#endif
