/*
 * harness_tcp.h - helpers for the TCP unit tests on the recording device.
 *
 * Owns: building TCP segments by hand (Ethernet + IPv4 + TCP with the
 * options a test chooses and correct checksums), reading back the
 * segments the engine sent, and the two ways a test gets one connection
 * to script: a passive open (a listener, the peer's SYN, our SYN,ACK, the
 * peer's ACK, accept) and an active open (connect, our SYN, the peer's
 * SYN,ACK, our ACK), each with or without the peer offering timestamps
 * (RFC 7323). Each step asserts the exact segments that left.
 *
 * The peer is 10.0.0.1:HT_PEER_PORT and its ISN is HT_PEER_ISN, 16 bytes
 * below 2^32, so its sequence numbers wrap within the first segment of
 * data. Our ISN is the engine's own (RFC 6528), read from the SYN we send.
 */
#ifndef USTACK_TESTS_HARNESS_TCP_H
#define USTACK_TESTS_HARNESS_TCP_H

#include "harness.h"
#include "proto/tcp.h"
#include "wire/tcp_hdr.h"

#define HT_PORT 80 /* ours, for passive opens */
#define HT_PEER_PORT 40000
#define HT_PEER_ISN 0xfffffff0u
#define HT_MSS 1460  /* ours and the peer's: MTU 1500 - 40 */
#define HT_NOWS (-1) /* no window scale option */

/* A segment from the peer. wscale HT_NOWS: no option; mss 0: no option;
 * has_ts 0: no timestamps option. */
struct ht_seg {
    uint16_t sport, dport;
    tcp_seq seq, ack;
    uint8_t flags;
    uint16_t wnd;
    uint16_t mss;
    int wscale;
    const uint8_t *data;
    size_t len;
    int has_ts;
    uint32_t tsval, tsecr;
};

/* A segment we sent, parsed (checksum checked). */
struct ht_out {
    struct tcp_repr h;
    const uint8_t *data;
    size_t len;
    uint64_t at_us;
};

/* One scripted connection: our block, and the peer's view of it. */
struct ht_conn {
    struct h_env *e;
    struct tcp_pcb *l; /* the listener (passive opens), else NULL */
    struct tcp_pcb *c; /* our end */
    uint16_t lport, pport;
    tcp_seq iss;    /* our ISN */
    tcp_seq pseq;   /* the peer's next sequence number (our RCV.NXT) */
    tcp_seq pack;   /* what the peer acknowledges of ours */
    uint16_t pwnd;  /* the window the peer advertises (wire value) */
    uint32_t pdata; /* bytes of h_pattern the peer has sent so far */
    int ts;         /* the peer sends timestamps on every segment: */
    uint32_t ptsval, ptsecr; /* these, set by the test */
};

/* An engine at H_T0 with the peer's MAC learnt and ARP entries that
 * outlive every test; cfg may be NULL (defaults). Stored in *state. */
struct h_env *ht_env(void **state, const struct stack_config *cfg);

/* Ethernet + IPv4 + TCP frame from the peer to us; returns its length. */
size_t ht_frame(uint8_t *f, const struct ht_seg *g);
/* Feed g at e->now. */
void ht_input(struct h_env *e, const struct ht_seg *g);
/* A segment from the peer's sport to our dport, outside any connection:
 * window 65535, MSS 1460 on a SYN, no window scale. */
void ht_raw(struct h_env *e, uint16_t sport, uint16_t dport, uint8_t flags, tcp_seq seq,
            tcp_seq ack, const uint8_t *data, size_t len);
/* A segment on connection k from the peer: k's ports, seq k->pseq, ack
 * k->pack, window k->pwnd, timestamps k->ptsval and k->ptsecr if k->ts.
 * Does not advance k->pseq. */
void ht_send(struct ht_conn *k, uint8_t flags, const uint8_t *data, size_t len);
/* As ht_send with an explicit sequence and acknowledgment number. */
void ht_send_at(struct ht_conn *k, uint8_t flags, tcp_seq seq, tcp_seq ack,
                const uint8_t *data, size_t len);
/* The peer sends len bytes of its pattern stream (h_pattern(seed 7) at
 * offset k->pdata), in order, and advances k->pseq and k->pdata. */
void ht_data(struct ht_conn *k, size_t len);
/* The peer's pattern stream from offset off (what ht_data sends). */
void ht_peer_bytes(uint8_t *b, size_t off, size_t len);

/* Parse recorded frame i: IPv4 from us to the peer, TCP, checksum good. */
void ht_out(const struct h_env *e, size_t i, struct ht_out *o);
/* Recorded frame i is a segment with exactly these flags, seq and ack
 * (ack checked only when ACK is set), payload length, and window (wnd < 0:
 * not checked). Returns nothing; fails the test otherwise. */
void ht_expect(const struct h_env *e, size_t i, uint8_t flags, tcp_seq seq, tcp_seq ack,
               long wnd, size_t len);
/* Exactly n frames were sent since the last rec_clear. */
void ht_nsent(const struct h_env *e, size_t n);
/* Exactly one frame was sent, as ht_expect describes; then rec_clear.
 * Returns its header (options included). */
struct tcp_repr ht_only(struct h_env *e, uint8_t flags, tcp_seq seq, tcp_seq ack,
                        long wnd, size_t len);

/* A listener on port (rcvbuf 0: the default), owner (void *)1. */
struct tcp_pcb *ht_listen(struct h_env *e, uint16_t port, uint32_t rcvbuf, int backlog);
/* The peer's SYN from pport to l (MSS 1460, window 65535, window scale ws
 * or HT_NOWS); our SYN,ACK checked (MSS, window, the option iff offered);
 * the half-open connection is an entry of l's SYN queue, k->c is NULL
 * until the ACK makes the block. The recorder is cleared. */
void ht_syn(struct ht_conn *k, struct h_env *e, struct tcp_pcb *l, uint16_t pport,
            int ws);
/* As ht_syn, the peer's SYN also offering timestamps with TSval tsval;
 * our SYN,ACK checked to answer them (TSecr = tsval). k->ts is set,
 * k->ptsval = tsval and k->ptsecr = our SYN,ACK's TSval. */
void ht_syn_ts(struct ht_conn *k, struct h_env *e, struct tcp_pcb *l, uint16_t pport,
               int ws, uint32_t tsval);
/* The peer's ACK of our SYN: the child is established and accepted
 * (owner (void *)2) into k->c. Nothing is sent. */
void ht_ack_accept(struct ht_conn *k);
/* l's SYN-queue entry for the peer's port pport, or NULL. */
struct tcp_syn_entry *ht_synq_find(const struct tcp_pcb *l, uint16_t pport);
/* ht_listen(HT_PORT, rcvbuf, 4) + ht_syn(HT_PEER_PORT) + ht_ack_accept. */
void ht_passive(struct ht_conn *k, struct h_env *e, uint32_t rcvbuf, int ws);
/* As ht_passive with ht_syn_ts: the peer's TSval stays tsval. */
void ht_passive_ts(struct ht_conn *k, struct h_env *e, uint32_t rcvbuf, int ws,
                   uint32_t tsval);
/* tcp_connect to the peer's pport: k->c in SYN_SENT; k->iss and k->lport
 * from our SYN, checked (SYN alone, window 65535, MSS 1460, window scale
 * 3, timestamps with TSecr 0); k->ptsecr = its TSval. The recorder is
 * cleared. */
void ht_connect(struct ht_conn *k, struct h_env *e, uint16_t pport);
/* Active open to the peer's HT_PEER_PORT: our SYN checked, the peer's
 * SYN,ACK (MSS 1460, ws, no timestamps) after rtt_us, our ACK checked
 * (without timestamps). Cleared. */
void ht_active(struct ht_conn *k, struct h_env *e, int ws, uint64_t rtt_us);
/* As ht_active, the SYN,ACK with timestamps (TSval tsval, echoing our
 * SYN's); our ACK checked to carry them (TSecr = tsval); k->ts set. */
void ht_active_ts(struct ht_conn *k, struct h_env *e, int ws, uint64_t rtt_us,
                  uint32_t tsval);

/* The peer's FIN, acknowledging k->pack; advances k->pseq. */
void ht_fin(struct ht_conn *k);
/* The peer acknowledges up to ack (k->pack = ack), window k->pwnd. */
void ht_ack(struct ht_conn *k, tcp_seq ack);
/* tcp_recv on c returns exactly len bytes: the peer's stream from off. */
void ht_recv_expect(struct h_env *e, struct tcp_pcb *c, size_t off, size_t len);

/* Advance the virtual clock to t and poll. */
void ht_at(struct h_env *e, uint64_t t);
/* TCP blocks the engine holds (reaped ones are gone). */
size_t ht_npcbs(const struct h_env *e);
/* tcp_get_info of c. */
struct tcp_info_lite ht_info(const struct tcp_pcb *c);

#endif
