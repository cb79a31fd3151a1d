/*
 * tcp_tw.c - TIME-WAIT as a compact record (RFC 9293 §3.6, §3.10.7.4).
 *
 * Owns the list of struct tcp_tw in struct stack. A connection that
 * enters TIME-WAIT sends what it owes (the ACK of the peer's FIN), hands
 * its 4-tuple, sequence numbers and timestamps to a record of a few dozen
 * bytes, and goes CLOSED: its block and rings are freed as soon as the
 * application lets go (FreeBSD's tcptw, Linux's inet_timewait_sock). The
 * record answers for 2 MSL:
 *   - RFC 7323 §5.3 R1: a segment with an old TSval is answered with an
 *     ACK and dropped (a RST is not);
 *   - RST: RFC 9293 §3.10.7.4 second with RFC 5961 §3.2: exactly at
 *     RCV.NXT it ends the record, elsewhere in the window it gets a
 *     challenge ACK (rate-limited, §7), outside it nothing;
 *   - a new SYN with a sequence number above RCV.NXT, or a newer
 *     timestamp, ends the record when a listener will take it (as Linux's
 *     tcp_timewait_state_process); any other SYN gets a challenge ACK
 *     (RFC 5961 §4);
 *   - §3.10.7.4 eighth: a retransmitted FIN is acknowledged and restarts
 *     the 2 MSL timeout;
 *   - a bare ACK at RCV.NXT needs nothing; anything else is answered with
 *     an ACK (§3.10.7.4 first, Linux's TCP_TW_ACK).
 * Records keep the order in which they expire (a restart moves one to the
 * end), so a poll looks only at the first.
 *
 * Leaves out: RFC 1337's "ignore RST in TIME-WAIT" (Linux's default does
 * not either); SACK blocks on the ACKs (no data is held).
 */
#include <stdlib.h>

#include "proto/tcp.h"
#include "proto/tcp_trace.h"
#include "stack_var.h"
#include "wire/tcp_hdr.h"

static int
tw_ts_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

static uint64_t
tw_2msl_us(const struct stack *s)
{
    return 2ull * s->cfg.tcp_msl_s * 1000000;
}

static void
tw_append(struct stack *s, struct tcp_tw *tw)
{
    tw->next = NULL;
    tw->prev = s->tcp.tw_tail;
    if (s->tcp.tw_tail)
        s->tcp.tw_tail->next = tw;
    else
        s->tcp.tw = tw;
    s->tcp.tw_tail = tw;
}

static void
tw_unlink(struct stack *s, struct tcp_tw *tw)
{
    if (tw->prev)
        tw->prev->next = tw->next;
    else
        s->tcp.tw = tw->next;
    if (tw->next)
        tw->next->prev = tw->prev;
    else
        s->tcp.tw_tail = tw->prev;
    tw->next = tw->prev = NULL;
}

static void
tw_free(struct stack *s, struct tcp_tw *tw)
{
    TCP_TRACE(s, tcp_trace_tw(s, tw, 1));
    tw_unlink(s, tw);
    tcp_tw_hash_remove(s, tw);
    s->tcp.n_tw--;
    tcp_mem_uncharge(s, sizeof(*tw));
    free(tw);
}

/* The window field of c's next ACK, as tcp_out.c would show it. */
static uint16_t
tw_wnd(const struct tcp_pcb *c)
{
    tcp_seq edge = c->rcv_nxt + (c->rcv.cap ? (uint32_t)ring_space(&c->rcv) : 0);

    if (seq_lt(edge, c->rcv_adv))
        edge = c->rcv_adv; /* RFC 9293 §3.8.6.2.2: never shrinks */
    uint32_t field = (edge - c->rcv_nxt) >> c->rcv_wscale;
    return (uint16_t)(field > 65535 ? 65535 : field);
}

void
tcp_tw_enter(struct stack *s, struct tcp_pcb *c)
{
    struct tcp_tw *tw = NULL;

    tcp_output(s, c); /* what c owes: the ACK of the FIN */
    if (tcp_mem_charge(s, sizeof(*tw)) == 0) {
        tw = malloc(sizeof(*tw));
        if (!tw)
            tcp_mem_uncharge(s, sizeof(*tw));
    }
    if (tw) { /* else, as Linux when it has none: the connection just ends */
        *tw = (struct tcp_tw){.laddr = c->laddr,
                              .raddr = c->raddr,
                              .lport = c->lport,
                              .rport = c->rport,
                              .snd_nxt = c->snd_nxt,
                              .rcv_nxt = c->rcv_nxt,
                              .ts_ok = c->ts_ok,
                              .ts_recent = c->ts_recent,
                              .ts_off = c->ts_off,
                              .wnd = tw_wnd(c),
                              .wscale = c->rcv_wscale,
                              .t_2msl = s->now_us + tw_2msl_us(s)};
        tw_append(s, tw);
        tcp_tw_hash_insert(s, tw);
        s->tcp.n_tw++;
        s->stats.tcp.time_wait_records++;
        TCP_TRACE(s, tcp_trace_tw(s, tw, 0));
    }
    tcp_drop(s, c, 0);
}

/* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, with timestamps if in use. */
static void
tw_ack(struct stack *s, const struct tcp_tw *tw)
{
    struct tcp_repr r = {.sport = tw->lport,
                         .dport = tw->rport,
                         .seq = tw->snd_nxt,
                         .ack = tw->rcv_nxt,
                         .flags = TCP_ACK,
                         .wnd = tw->wnd};

    if (tw->ts_ok) {
        r.has_ts = 1;
        r.tsval = (uint32_t)(s->now_us / 1000) + tw->ts_off;
        r.tsecr = tw->ts_recent;
    }
    stack_why(s, WHY_TIME_WAIT_ACK, 0, 0, 0);
    tcp_send_ctl(s, &r, tw->laddr, tw->raddr);
}

static void
tw_challenge(struct stack *s, const struct tcp_tw *tw)
{
    if (tcp_challenge_ok(s))
        tw_ack(s, tw);
}

/* RST, RFC 5961 §3.2: the window is what our ACKs show. */
static void
tw_rst(struct stack *s, struct tcp_tw *tw, tcp_seq seq)
{
    uint32_t wnd = (uint32_t)tw->wnd << tw->wscale;

    if (seq == tw->rcv_nxt) {
        s->stats.tcp.rx_rst++;
        tw_free(s, tw);
        return;
    }
    if (seq_gt(seq, tw->rcv_nxt) && seq_lt(seq, tw->rcv_nxt + wnd)) {
        s->stats.tcp.rx_rst++;
        s->stats.tcp.rx_rst_challenged++;
        tw_challenge(s, tw);
    }
}

int
tcp_tw_input(struct stack *s, struct tcp_tw *tw, const struct tcp_repr *h, uint32_t len,
             struct tcp_pcb *l)
{
    int paws = tw->ts_ok && h->has_ts && tw_ts_lt(h->tsval, tw->ts_recent);
    int syn = (h->flags & TCP_SYN) != 0, fin = (h->flags & TCP_FIN) != 0;

    s->stats.tcp.rx_time_wait++;
    if (h->flags & TCP_RST) {
        if (!paws)
            tw_rst(s, tw, h->seq);
        return 0;
    }
    if (syn && !(h->flags & TCP_ACK) && l && !paws &&
        (seq_gt(h->seq, tw->rcv_nxt) ||
         (tw->ts_ok && h->has_ts && tw_ts_lt(tw->ts_recent, h->tsval)))) {
        s->stats.tcp.time_wait_reused++;
        tw_free(s, tw);
        return 1;
    }
    if (paws) { /* RFC 7323 §5.3 R1 */
        s->stats.tcp.rx_paws++;
        tw_ack(s, tw);
        return 0;
    }
    if (tw->ts_ok && h->has_ts && seq_le(h->seq, tw->rcv_nxt)) /* §4.3 */
        tw->ts_recent = h->tsval;
    if (syn) {
        s->stats.tcp.rx_syn_challenged++;
        tw_challenge(s, tw);
        return 0;
    }
    if (fin && h->seq + len + 1 == tw->rcv_nxt) { /* §3.10.7.4 eighth */
        tw->t_2msl = s->now_us + tw_2msl_us(s);
        tw_unlink(s, tw);
        tw_append(s, tw);
        tw_ack(s, tw);
        return 0;
    }
    if (!fin && len == 0 && h->seq == tw->rcv_nxt)
        return 0; /* a bare ACK */
    tw_ack(s, tw);
    return 0;
}

int
tcp_tw_port_taken(const struct stack *s, uint32_t addr, uint16_t port)
{
    for (const struct tcp_tw *tw = s->tcp.tw; tw; tw = tw->next)
        if (tw->lport == port && (!addr || tw->laddr == addr))
            return 1;
    return 0;
}

void
tcp_tw_poll(struct stack *s)
{
    while (s->tcp.tw && s->tcp.tw->t_2msl <= s->now_us)
        tw_free(s, s->tcp.tw);
}

uint64_t
tcp_tw_poll_at(const struct stack *s)
{
    return s->tcp.tw ? s->tcp.tw->t_2msl : 0;
}

void
tcp_tw_free_all(struct stack *s)
{
    while (s->tcp.tw)
        tw_free(s, s->tcp.tw);
}

size_t
tcp_tw_count(const struct stack *s)
{
    return s->tcp.n_tw;
}
