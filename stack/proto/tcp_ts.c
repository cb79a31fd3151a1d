/*
 * tcp_ts.c - TCP timestamps (RFC 7323 §3-§5): the option's negotiation,
 * the TSval clock, the TSecr echo rules, round-trip time measurement
 * (RTTM) and protection against wrapped sequence numbers (PAWS).
 *
 * Owns the ts_* fields and last_ack_sent of struct tcp_pcb. The other
 * TCP modules call in at five places:
 *   tcp_syn_options (tcp_in.c)  tcp_ts_syn_input   negotiation, first TS.Recent
 *   tcp_sync_input (tcp_in.c)   tcp_ts_paws_reject §5.3 R1, before the window check
 *   tcp_check_seq (tcp_in.c)    tcp_ts_recent_update §5.3 R3, once acceptable
 *   tcp_check_ack (tcp_in.c)    tcp_ts_rtt         an ACK of new data
 *   tcp_xmit (tcp_out.c)        tcp_ts_out         the option on what we send
 * and segmentation cuts data to tcp_eff_mss().
 *
 * Leaves out: the option on RSTs (§4.3 allows it; ours come from
 * tcp_send_rst, which has no connection to take the values from), and
 * Linux's tolerance of reordered pure ACKs in PAWS (tcp_disordered_ack).
 */
#include <string.h>

#include "core/siphash.h"
#include "proto/tcp.h"
#include "stack_var.h"
#include "wire/tcp_hdr.h"

/* Timestamps are compared modulo 2^32 (RFC 7323 §5.2), like sequence
 * numbers, but they are not sequence numbers. */
static int
ts_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

uint32_t
tcp_eff_mss(const struct tcp_pcb *c)
{
    return c->snd_mss - (c->ts_ok ? TCP_TS_LEN : 0);
}

uint32_t
tcp_ts_now(const struct stack *s, const struct tcp_pcb *c)
{
    /* RFC 7323 §5.4: one tick a millisecond, within 1 ms to 1 s */
    return (uint32_t)(s->now_us / 1000) + c->ts_off;
}

/* RFC 7323 §5.4 leaves the clock's origin free: a per-connection offset,
 * SipHash of the 4-tuple under the ISN secret (RFC 6528's construction,
 * told apart from the ISN by a tag byte), so that TSvals reveal neither
 * our uptime nor the ISN, and a seeded run gives the same ones. */
uint32_t
tcp_ts_offset4(const struct stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr,
               uint16_t rport)
{
    uint8_t t[13];

    memcpy(t, &laddr, 4);
    memcpy(t + 4, &raddr, 4);
    memcpy(t + 8, &lport, 2);
    memcpy(t + 10, &rport, 2);
    t[12] = 'T';
    return (uint32_t)siphash24(s->tcp.isn_key, t, sizeof(t));
}

static uint32_t
tcp_ts_offset(const struct stack *s, const struct tcp_pcb *c)
{
    return tcp_ts_offset4(s, c->laddr, c->lport, c->raddr, c->rport);
}

static void
tcp_ts_set_recent(struct stack *s, struct tcp_pcb *c, uint32_t tsval)
{
    c->ts_recent = tsval;
    c->ts_recent_ok = 1;
    c->ts_recent_us = s->now_us;
}

/* RFC 7323 §3.2: we send the option on every SYN; it is in use when the
 * peer's SYN (or SYN,ACK) carried it too. */
void
tcp_ts_syn_input(struct stack *s, struct tcp_pcb *c, const struct tcp_repr *h)
{
    c->ts_ok = h->has_ts;
    c->ts_recent_ok = 0;
    if (h->has_ts)
        tcp_ts_set_recent(s, c, h->tsval);
}

void
tcp_ts_out(struct stack *s, struct tcp_pcb *c, struct tcp_repr *r)
{
    if (r->flags & TCP_ACK)
        c->last_ack_sent = r->ack; /* §4.3 */
    if (r->flags & TCP_SYN) {
        /* §3.2: offered on our SYN; a SYN,ACK (a passive open's, or a
         * simultaneous open's) carries it only if the peer's SYN did */
        if ((r->flags & TCP_ACK) && !c->ts_ok)
            return;
        c->ts_off = tcp_ts_offset(s, c);
    } else if (!c->ts_ok) {
        return;
    }
    r->has_ts = 1;
    r->tsval = tcp_ts_now(s, c);
    /* §4.3 (1): TSecr is TS.Recent; 0 on an active SYN (§3.2: not valid
     * without ACK) */
    r->tsecr = (r->flags & TCP_ACK) && c->ts_recent_ok ? c->ts_recent : 0;
}

/* RFC 7323 §5.3 R1, with §5.5 for a connection idle for 24 days. */
/* DEVIATION(rfc7323): §3.2 says a non-RST segment without the option on
 * a connection that uses timestamps SHOULD be dropped; like Linux we take
 * it (it is checked by sequence number alone, and gives no echo). */
int
tcp_ts_paws_reject(struct stack *s, struct tcp_pcb *c, const struct tcp_repr *h)
{
    if (!c->ts_ok || !h->has_ts || !c->ts_recent_ok || (h->flags & TCP_RST))
        return 0;
    if (!ts_lt(h->tsval, c->ts_recent))
        return 0;
    /* §5.5: TS.Recent this old may be from before the peer's clock
     * wrapped its sign bit: it is invalidated, and the segment goes on */
    if (s->now_us - c->ts_recent_us > TCP_PAWS_IDLE_US) {
        c->ts_recent_ok = 0;
        return 0;
    }
    s->stats.tcp.rx_paws++;
    stack_why(s, WHY_ACK_PAWS, 0, 0, 0);
    c->ack_now = 1; /* R1: "send an acknowledgment in reply" */
    return 1;
}

/* RFC 7323 §4.3 (2): TS.Recent = SEG.TSval if SEG.TSval >= TS.Recent and
 * SEG.SEQ =< Last.ACK.sent. The second condition gives the delayed-ACK
 * rule of §4.3 (3): after segments A and B in order with one ACK for
 * both, the echo is A's TSval. A RST or SYN here is answered with a
 * challenge ACK (RFC 5961), never taken, so its TSval is not kept. */
void
tcp_ts_recent_update(struct stack *s, struct tcp_pcb *c, const struct tcp_repr *h)
{
    if (!c->ts_ok || !h->has_ts || (h->flags & (TCP_RST | TCP_SYN)))
        return;
    if (c->ts_recent_ok && ts_lt(h->tsval, c->ts_recent))
        return;
    if (seq_le(h->seq, c->last_ack_sent))
        tcp_ts_set_recent(s, c, h->tsval);
}

/* RFC 7323 Appendix G: with a sample from every ACK, alpha and beta are
 * divided by the samples expected in one round trip, one ACK for every
 * second full segment of the flight, so that SRTT and RTTVAR keep the
 * memory RFC 6298 intended (about 8 and 4 round trips). */
static uint32_t
tcp_ts_samples_per_rtt(const struct tcp_pcb *c)
{
    uint32_t two_segs = 2 * tcp_eff_mss(c);
    uint32_t n = (tcp_flight(c) + two_segs - 1) / two_segs;

    return n ? n : 1;
}

/* RFC 7323 §4.1-4.2 RTTM. The echo names the transmission it answers, so
 * retransmitted data gives samples too (no Karn's rule), and the timing
 * sampler (rtt_timing) stands down. */
void
tcp_ts_rtt(struct stack *s, struct tcp_pcb *c, const struct tcp_repr *h)
{
    if (!c->ts_ok || !h->has_ts || h->tsecr == 0)
        return; /* §4.2: a TSecr of 0 is not an echo */
    uint32_t ms = tcp_ts_now(s, c) - h->tsecr;
    /* an echo from the future, or too old to be an RTT in µs: no sample */
    if ((int32_t)ms < 0 || ms > UINT32_MAX / 1000)
        return;
    /* One tick is 1 ms, so the true RTT lies within a tick of ms; 0 ticks
     * (sent and acknowledged within one ms) counts as half a tick. */
    uint32_t us = ms ? ms * 1000 : 500;
    c->rtt_timing = 0;
    tcp_rtt_sample_n(s, c, us, tcp_ts_samples_per_rtt(c));
}
