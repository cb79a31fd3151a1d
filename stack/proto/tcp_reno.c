/*
 * tcp_reno.c - NewReno's congestion window: "reno" in TCP_CONGESTION, as
 * Linux names it (whose Reno also recovers with NewReno).
 *
 * Owns: RFC 5681 §3.1 slow start and congestion avoidance, and ssthresh
 * at a congestion event from equation (4). The recovery that goes with it
 * (RFC 6582) is tcp_cc.c's. No state of its own.
 */
#include "proto/tcp.h"

static void
reno_init(struct stack *s, struct tcp_pcb *c)
{
    (void)s;
    (void)c;
}

static void
reno_cong_avoid(struct stack *s, struct tcp_pcb *c, uint32_t acked)
{
    (void)s;
    if (c->cwnd < c->ssthresh) {
        tcp_cc_slow_start(c, acked);
        return;
    }
    /* RFC 5681 §3.1 equation (3): about one segment per round trip */
    uint32_t inc = (uint32_t)((uint64_t)c->snd_mss * c->snd_mss / c->cwnd);
    c->cwnd += inc ? inc : 1;
}

/* RFC 5681 §3.1 equation (4): max(FlightSize / 2, 2 SMSS) */
static uint32_t
reno_ssthresh(struct stack *s, struct tcp_pcb *c)
{
    (void)s;
    return tcp_cc_ssthresh_floor(c, tcp_flight(c) / 2);
}

static void
reno_on_rto(struct stack *s, struct tcp_pcb *c)
{
    (void)s;
    (void)c;
}

const struct tcp_cc_ops tcp_reno_ops = {
    .name = "reno",
    .init = reno_init,
    .cong_avoid = reno_cong_avoid,
    .ssthresh = reno_ssthresh,
    .on_rto = reno_on_rto,
};
