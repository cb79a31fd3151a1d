/*
 * tcp_cc.c - loss recovery: fast retransmit and fast recovery (RFC 5681
 * §3.2) with NewReno's partial acknowledgments (RFC 6582), the loss
 * window after a retransmission timeout (RFC 5681 §3.1), and the
 * congestion state TCP_INFO shows. These are the same whatever the
 * connection's congestion-window algorithm (tcp_cc.h); that algorithm is
 * asked how cwnd grows outside recovery and what ssthresh becomes at a
 * congestion event.
 *
 * Counts in bytes. The initial window is 10 segments (RFC 6928, as
 * Linux). The sender never has more than min(cwnd, snd_wnd) in flight.
 */
#include <string.h>

#include "proto/tcp.h"
#include "proto/tcp_trace.h"
#include "stack_var.h"

#define TCP_IW_SEGS 10

/* The algorithms TCP_CONGESTION and --cc can name. */
static const struct tcp_cc_ops *const tcp_cc_all[] = {&tcp_cubic_ops, &tcp_reno_ops};

const struct tcp_cc_ops *
tcp_cc_find(const char *name)
{
    if (!name)
        name = TCP_CC_DEFAULT;
    for (size_t i = 0; i < sizeof(tcp_cc_all) / sizeof(tcp_cc_all[0]); i++)
        if (strcmp(name, tcp_cc_all[i]->name) == 0)
            return tcp_cc_all[i];
    return NULL;
}

void
tcp_cc_init(struct stack *s, struct tcp_pcb *c)
{
    c->cwnd = TCP_IW_SEGS * (uint32_t)c->snd_mss;
    c->ssthresh = UINT32_MAX / 2; /* RFC 5681 §3.1: arbitrarily high */
    c->dupacks = 0;
    c->in_recovery = 0;
    c->in_loss = 0;
    c->recover = c->snd_una; /* RFC 6582 §3.2 step 1 */
    c->cc->init(s, c);
}

void
tcp_cc_slow_start(struct tcp_pcb *c, uint32_t acked)
{
    /* RFC 5681 §3.1. DEVIATION(rfc5681): grows by up to 2 SMSS per ACK
     * (RFC 3465's L = 2), as delayed ACKs cover two */
    c->cwnd += acked < 2u * c->snd_mss ? acked : 2u * c->snd_mss;
}

uint32_t
tcp_cc_ssthresh_floor(const struct tcp_pcb *c, uint64_t ssthresh)
{
    uint32_t floor = 2u * c->snd_mss; /* RFC 5681 §3.1 equation (4) */

    return ssthresh > floor ? (uint32_t)ssthresh : floor;
}

/* RFC 6582 §3.2 step 3: an ACK during fast recovery. */
static void
tcp_cc_recovery_ack(struct stack *s, struct tcp_pcb *c, uint32_t acked)
{
    if (seq_ge(c->snd_una, c->recover)) {
        /* full acknowledgment: leave recovery with
         * min(ssthresh, max(FlightSize, SMSS) + SMSS) */
        uint32_t f = tcp_flight(c) > c->snd_mss ? tcp_flight(c) : c->snd_mss;
        f += c->snd_mss;
        c->cwnd = c->ssthresh < f ? c->ssthresh : f;
        c->in_recovery = 0;
        return;
    }
    /* partial ACK: retransmit the next hole, deflate by what was acked,
     * add back one segment if at least one was acked */
    stack_why(s, WHY_PARTIAL_ACK, 0, 0, 0);
    tcp_retransmit_una(s, c);
    c->cwnd = acked < c->cwnd ? c->cwnd - acked : 0;
    if (acked >= c->snd_mss)
        c->cwnd += c->snd_mss;
}

/* New data acknowledged (acked bytes; not a duplicate). */
void
tcp_cc_ack(struct stack *s, struct tcp_pcb *c, uint32_t acked)
{
    c->dupacks = 0;
    if (c->in_loss && seq_ge(c->snd_una, c->recover))
        c->in_loss = 0; /* all that was out at the timeout is acknowledged */
    if (c->in_recovery) {
        tcp_cc_recovery_ack(s, c, acked);
        return;
    }
    c->cc->cong_avoid(s, c, acked);
    if (c->cwnd > TCP_BUF_MAX * 2)
        c->cwnd = TCP_BUF_MAX * 2;
}

int
tcp_cc_dupack(struct stack *s, struct tcp_pcb *c)
{
    s->stats.tcp.rx_dupacks++;
    if (c->in_recovery) {
        c->cwnd += c->snd_mss; /* RFC 6582 §3.2 step 3: inflate */
        return 0;
    }
    if (++c->dupacks < 3)
        return 0;
    /* RFC 6582 §3.2 step 2: only when the ACK covers more than recover,
     * so that what is left of an earlier loss (or of a timeout's go-back)
     * does not start another recovery and cut ssthresh again */
    if (seq_lt(c->snd_una, c->recover))
        return 0;
    /* RFC 5681 §3.2 steps 2-4, RFC 6582 §3.2 step 2; ssthresh is the
     * algorithm's (NewReno: FlightSize / 2, CUBIC: 0.7 FlightSize) */
    c->ssthresh = c->cc->ssthresh(s, c);
    c->recover = c->snd_max;
    c->in_recovery = 1;
    c->cwnd = c->ssthresh + 3u * c->snd_mss;
    s->stats.tcp.fast_retransmits++;
    TCP_TRACE(s, tcp_trace_vars(s, c, "three duplicate ACKs"));
    return 1;
}

void
tcp_cc_timeout(struct stack *s, struct tcp_pcb *c)
{
    /* RFC 5681 §3.1: on a retransmission timeout, ssthresh from the
     * flight (the algorithm's rule, once per flight: not again for a
     * retransmission that timed out) and the loss window of one segment */
    if (c->backoff == 0)
        c->ssthresh = c->cc->ssthresh(s, c);
    c->cwnd = c->snd_mss;
    c->in_recovery = 0;
    c->in_loss = 1;
    c->dupacks = 0;
    c->recover = c->snd_max; /* RFC 6582 §3.2 step 4 */
    c->cc->on_rto(s, c);
    TCP_TRACE(s, tcp_trace_vars(s, c, "retransmission timeout"));
}

uint8_t
tcp_cc_ca_state(const struct tcp_pcb *c)
{
    if (c->in_loss)
        return TCP_CA_LOSS;
    if (c->in_recovery)
        return TCP_CA_RECOVERY;
    return c->dupacks ? TCP_CA_DISORDER : TCP_CA_OPEN;
}
