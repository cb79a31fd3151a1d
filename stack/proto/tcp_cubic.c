/*
 * tcp_cubic.c - CUBIC's congestion window (RFC 9438): "cubic" in
 * TCP_CONGESTION, and the default, as in Linux.
 *
 * Owns: how cwnd grows in congestion avoidance, and what ssthresh becomes
 * at a congestion event. In congestion avoidance the window follows
 * W_cubic(t) = C (t - K)^3 + W_max (§4.2, C = 0.4 segments/s^3): W_max is
 * the window at the last congestion event, K the time the curve takes
 * from the window at the start of the stage back up to W_max; concave
 * below W_max, convex above. It never falls behind W_est, what Reno would
 * have by then (§4.3). A congestion event sets ssthresh to 0.7 FlightSize
 * (§4.6, beta_cubic) and remembers W_max, lowered further when the window
 * had not got back to the previous one (fast convergence, §4.7). After a
 * timeout the next stage starts with K = 0 from where it is (§4.8). Slow
 * start is RFC 5681's, shared with NewReno (§4.10); loss recovery is
 * tcp_cc.c's.
 *
 * Integer arithmetic: windows in bytes (§4.1 allows it: SMSS factored in,
 * segments_acked becomes bytes acknowledged), the curve's time in ms,
 * what divisions leave over carried to the next ACK. Time is s->now_us.
 * t leaves out the time the sender was not using its window (§4.2, §5.8):
 * an ACK that finds less than cwnd was in flight grows nothing and moves
 * t_epoch on by the time since the ACK before it.
 *
 * Leaves out: HyStart++ (RFC 9406), undoing spurious congestion events
 * (§4.9: nothing can tell them yet, without timestamps or D-SACK), and
 * the reduction on ECN-Echo (§4.6: no ECN).
 */
#include <string.h>

#include "proto/tcp.h"
#include "stack_var.h"

/* §4.6: beta_cubic = 0.7; §4.7: (1 + beta_cubic) / 2 = 17/20; §4.3:
 * alpha_cubic = 3 (1 - beta_cubic) / (1 + beta_cubic) = 9/17 */
#define CUBIC_BETA_NUM 7
#define CUBIC_BETA_DEN 10
#define CUBIC_FC_NUM 17
#define CUBIC_FC_DEN 20
#define CUBIC_ALPHA_NUM 9
#define CUBIC_ALPHA_DEN 17
/* §5.1: C = 0.4 segments/s^3, as 1 / C: 2.5e9 ms^3 per segment */
#define CUBIC_MS3_PER_SEG 2500000000ull
/* |t - K| is held below this (35 minutes) for its cube to fit in 64
 * bits; the curve is past any window long before */
#define CUBIC_DT_MAX_MS ((uint64_t)1 << 21)

/* floor(cbrt(x)); cbrt(2^64) < 2642246 */
static uint64_t
cubic_cbrt(uint64_t x)
{
    uint64_t lo = 0, hi = 2642245;

    while (lo < hi) {
        uint64_t mid = (lo + hi + 1) / 2;
        if (mid * mid * mid <= x)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* Figure 2: K = cbrt((W_max - cwnd_epoch) / C) in ms; negative when the
 * stage starts above W_max (fast convergence can put it there) */
static int64_t
cubic_k_ms(uint32_t w_max, uint32_t cwnd_epoch, uint32_t mss)
{
    uint32_t d = w_max > cwnd_epoch ? w_max - cwnd_epoch : cwnd_epoch - w_max;
    int64_t k = (int64_t)cubic_cbrt((uint64_t)d * CUBIC_MS3_PER_SEG / mss);

    return w_max >= cwnd_epoch ? k : -k;
}

/* Figure 1: W_cubic(t) = C (t - K)^3 + W_max, bytes, t in µs since t_epoch */
static uint64_t
cubic_w(const struct tcp_cubic *cu, uint64_t t_us, uint32_t mss)
{
    int64_t d = (int64_t)(t_us / 1000) - cu->k_ms;
    uint64_t a = (uint64_t)(d < 0 ? -d : d);

    if (a >= CUBIC_DT_MAX_MS)
        a = CUBIC_DT_MAX_MS - 1;
    uint64_t cube = a * a * a;
    uint64_t off = cube / CUBIC_MS3_PER_SEG * mss + cube % CUBIC_MS3_PER_SEG * mss /
                                                        CUBIC_MS3_PER_SEG;
    if (d >= 0)
        return cu->w_max + off;
    return off < cu->w_max ? cu->w_max - off : 0;
}

static void
cubic_init(struct stack *s, struct tcp_pcb *c)
{
    (void)s;
    memset(&c->cc_priv.cubic, 0, sizeof(c->cc_priv.cubic));
}

/* The first ACK of a congestion avoidance stage: t_epoch, K, W_est. */
static void
cubic_epoch_start(struct stack *s, struct tcp_pcb *c)
{
    struct tcp_cubic *cu = &c->cc_priv.cubic;

    /* §4.8 after a timeout (and as well before any congestion event):
     * W_max is the window the stage starts with, K = 0 */
    if (cu->after_rto || cu->w_max == 0)
        cu->w_max = c->cwnd;
    cu->after_rto = 0;
    cu->k_ms = cubic_k_ms(cu->w_max, c->cwnd, c->snd_mss);
    cu->w_est = c->cwnd; /* §4.3: W_est = cwnd_epoch */
    cu->t_epoch_us = cu->t_last_us = s->now_us;
    cu->grow_rem = cu->est_rem = 0;
    cu->idle = 0;
    cu->in_epoch = 1;
}

/* §4.2, §5.8: t must not include application-limited time. An ACK that
 * finds the window was not filled (less than cwnd - SMSS in flight, what
 * it acknowledged included) moves t_epoch on by the time since the ACK
 * before it; after the flight drained completely, what the gap holds
 * beyond one round trip is taken for idle. Returns whether cwnd may
 * grow: not when the window was not filled. */
static int
cubic_clock(struct stack *s, struct tcp_pcb *c, uint32_t acked)
{
    struct tcp_cubic *cu = &c->cc_priv.cubic;
    uint64_t gap = s->now_us - cu->t_last_us;
    int filled = (uint64_t)tcp_flight(c) + acked + c->snd_mss > c->cwnd;

    if (!filled)
        cu->t_epoch_us += gap;
    else if (cu->idle && gap > c->srtt_us)
        cu->t_epoch_us += gap - c->srtt_us;
    cu->t_last_us = s->now_us;
    cu->idle = tcp_flight(c) == 0;
    return filled;
}

/* Figure 4: W_est += alpha_cubic * segments_acked / cwnd, alpha_cubic
 * becoming 1 once W_est has reached cwnd_prior */
static void
cubic_est_grow(struct tcp_pcb *c, uint32_t acked)
{
    struct tcp_cubic *cu = &c->cc_priv.cubic;
    uint64_t alpha = cu->w_est >= cu->cwnd_prior ? CUBIC_ALPHA_DEN : CUBIC_ALPHA_NUM;
    uint64_t den = (uint64_t)CUBIC_ALPHA_DEN * c->cwnd;

    cu->est_rem += alpha * acked * c->snd_mss;
    cu->w_est += (uint32_t)(cu->est_rem / den);
    cu->est_rem %= den;
}

/* §4.2: target = W_cubic(t + RTT), RTT the smoothed one, held within
 * [cwnd, 1.5 cwnd] */
static uint64_t
cubic_target(const struct tcp_pcb *c, uint64_t t_us)
{
    uint64_t w = cubic_w(&c->cc_priv.cubic, t_us + c->srtt_us, c->snd_mss);
    uint64_t lo = c->cwnd, hi = lo + lo / 2;

    return w < lo ? lo : w > hi ? hi : w;
}

/* §4.4, §4.5: cwnd += (target - cwnd) / cwnd. DEVIATION(rfc9438): for
 * each SMSS acknowledged rather than for each ACK, as Linux: with delayed
 * ACKs an ACK covers two segments, and the window would trail the curve */
static void
cubic_grow(struct tcp_pcb *c, uint64_t target, uint32_t acked)
{
    struct tcp_cubic *cu = &c->cc_priv.cubic;
    uint64_t sum = cu->grow_rem + (target - c->cwnd) * acked;

    cu->grow_rem = sum % c->cwnd;
    c->cwnd += (uint32_t)(sum / c->cwnd);
}

static void
cubic_cong_avoid(struct stack *s, struct tcp_pcb *c, uint32_t acked)
{
    struct tcp_cubic *cu = &c->cc_priv.cubic;

    if (c->cwnd < c->ssthresh) {
        tcp_cc_slow_start(c, acked); /* §4.10 */
        return;
    }
    if (!cu->in_epoch)
        cubic_epoch_start(s, c);
    if (!cubic_clock(s, c, acked))
        return;
    uint64_t t_us = s->now_us - cu->t_epoch_us;
    cubic_est_grow(c, acked);
    if (cubic_w(cu, t_us, c->snd_mss) < cu->w_est) {
        /* §4.3: the Reno-friendly region, cwnd = W_est */
        if (cu->w_est > c->cwnd)
            c->cwnd = cu->w_est;
        return;
    }
    cubic_grow(c, cubic_target(c, t_us), acked);
}

/* §4.7 fast convergence, then §4.6: ssthresh = FlightSize * beta_cubic,
 * at least 2 SMSS; cwnd_prior for §4.3. The next ACK in congestion
 * avoidance starts a new stage. */
static uint32_t
cubic_ssthresh(struct stack *s, struct tcp_pcb *c)
{
    struct tcp_cubic *cu = &c->cc_priv.cubic;

    (void)s;
    if (c->cwnd < cu->w_max)
        cu->w_max = (uint32_t)((uint64_t)c->cwnd * CUBIC_FC_NUM / CUBIC_FC_DEN);
    else
        cu->w_max = c->cwnd;
    cu->cwnd_prior = c->cwnd;
    cu->in_epoch = 0;
    return tcp_cc_ssthresh_floor(c, (uint64_t)tcp_flight(c) * CUBIC_BETA_NUM /
                                        CUBIC_BETA_DEN);
}

static void
cubic_on_rto(struct stack *s, struct tcp_pcb *c)
{
    (void)s;
    c->cc_priv.cubic.after_rto = 1;
    c->cc_priv.cubic.in_epoch = 0;
}

const struct tcp_cc_ops tcp_cubic_ops = {
    .name = "cubic",
    .init = cubic_init,
    .cong_avoid = cubic_cong_avoid,
    .ssthresh = cubic_ssthresh,
    .on_rto = cubic_on_rto,
};
