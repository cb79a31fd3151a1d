/*
 * tcp_cc.c - congestion control: RFC 5681 slow start and congestion
 * avoidance, fast retransmit, and NewReno fast recovery (RFC 6582).
 *
 * Counts in bytes. The initial window is 10 segments (RFC 6928, as
 * Linux). The sender never has more than min(cwnd, snd_wnd) in flight.
 */
#include "proto/tcp.h"
#include "stack_var.h"

#define TCP_IW_SEGS 10

void
tcp_cc_init(struct stack *s, struct tcp_pcb *c)
{
    (void)s;
    c->cwnd = TCP_IW_SEGS * (uint32_t)c->snd_mss;
    c->ssthresh = UINT32_MAX / 2; /* RFC 5681 §3.1: arbitrarily high */
    c->dupacks = 0;
    c->in_recovery = 0;
    c->recover = c->snd_una; /* RFC 6582 §3.2 step 1 */
}

static uint32_t
half_flight(const struct tcp_pcb *c)
{
    uint32_t h = tcp_flight(c) / 2, floor = 2u * c->snd_mss;

    return h > floor ? h : floor; /* RFC 5681 §3.1 equation (4) */
}

/* New data acknowledged (acked bytes; not a duplicate). */
void
tcp_cc_ack(struct stack *s, struct tcp_pcb *c, uint32_t acked)
{
    (void)s;
    c->dupacks = 0;
    if (c->in_recovery) {
        if (seq_ge(c->snd_una, c->recover)) {
            /* RFC 6582 §3.2 step 3: full acknowledgment, leave recovery
             * with min(ssthresh, max(FlightSize, SMSS) + SMSS) */
            uint32_t f = tcp_flight(c) > c->snd_mss ? tcp_flight(c) : c->snd_mss;
            f += c->snd_mss;
            c->cwnd = c->ssthresh < f ? c->ssthresh : f;
            c->in_recovery = 0;
        } else {
            /* RFC 6582 §3.2 step 3: partial ACK; retransmit the next hole,
             * deflate by what was acked, add back one segment if at
             * least one was acked */
            tcp_retransmit_una(s, c);
            c->cwnd = acked < c->cwnd ? c->cwnd - acked : 0;
            if (acked >= c->snd_mss)
                c->cwnd += c->snd_mss;
        }
        return;
    }
    if (c->cwnd < c->ssthresh) {
        /* RFC 5681 §3.1 slow start. DEVIATION(rfc5681): grows by up to
         * 2 SMSS per ACK (RFC 3465's L = 2), as delayed ACKs cover two */
        uint32_t inc = acked < 2u * c->snd_mss ? acked : 2u * c->snd_mss;
        c->cwnd += inc;
    } else {
        /* congestion avoidance: about one segment per round trip */
        uint32_t inc = (uint32_t)((uint64_t)c->snd_mss * c->snd_mss / c->cwnd);
        c->cwnd += inc ? inc : 1;
    }
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
    /* RFC 5681 §3.2 steps 2-4, RFC 6582 §3.2 step 2 */
    c->ssthresh = half_flight(c);
    c->recover = c->snd_max;
    c->in_recovery = 1;
    c->cwnd = c->ssthresh + 3u * c->snd_mss;
    s->stats.tcp.fast_retransmits++;
    return 1;
}

void
tcp_cc_timeout(struct stack *s, struct tcp_pcb *c)
{
    (void)s;
    /* RFC 5681 §3.1: on a retransmission timeout, ssthresh from the
     * flight (equation 4) and the loss window of one segment */
    if (c->backoff == 0)
        c->ssthresh = half_flight(c);
    c->cwnd = c->snd_mss;
    c->in_recovery = 0;
    c->dupacks = 0;
    c->recover = c->snd_max; /* RFC 6582 §3.2 step 4 */
}
