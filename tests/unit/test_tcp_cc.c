/*
 * test_tcp_cc.c - the congestion-window algorithms (tcp_cc.h): CUBIC
 * (RFC 9438) against its formulas computed here in floating point from
 * the RFC (K, W_cubic(t) in the concave and convex regions, the 1.5 cwnd
 * bound on the target, W_est and the Reno-friendly region, alpha_cubic
 * becoming 1 at cwnd_prior, fast convergence, ssthresh = 0.7 FlightSize,
 * the first stage after a timeout with K = 0, t stopped while the window
 * is not used); fast retransmit and recovery with CUBIC on a connection
 * played by hand, with TCP_INFO's congestion state on the way; choosing
 * the algorithm (tcp_set_cc, cfg.tcp_cc, a listener's children).
 *
 * The curve tests drive a connection block that is not connected (a
 * "bare" block: SMSS 1000 bytes, the flight set by hand) through the
 * calls tcp_in.c and tcp_timer.c make: tcp_cc_ack, tcp_cc_dupack,
 * tcp_cc_timeout. NewReno's rules are test_tcp_timers.c's.
 */
#include "harness_tcp.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "stack_var.h"

#define MS H_MS
#define SEC H_SEC
#define SMSS 1000u /* the bare blocks' */

static struct h_env *
env(void **state)
{
    return ht_env(state, NULL);
}

/* ---- a bare block ---- */

static struct tcp_pcb *
bare(struct h_env *e, const char *cc, uint32_t srtt_us)
{
    struct tcp_pcb *c = tcp_open(e->s, NULL);

    assert_non_null(c);
    assert_int_equal(tcp_set_cc(e->s, c, cc), 0);
    c->snd_mss = SMSS;
    c->srtt_us = srtt_us;
    c->snd_una = c->snd_nxt = c->snd_max = 1000;
    tcp_cc_init(e->s, c);
    return c;
}

static void
set_flight(struct tcp_pcb *c, uint32_t flight)
{
    c->snd_nxt = c->snd_max = c->snd_una + flight;
}

/* At time t, a new ACK for acked bytes, leaving flight bytes out. */
static void
ack_at(struct h_env *e, struct tcp_pcb *c, uint64_t t, uint32_t acked, uint32_t flight)
{
    h_poll(e, t);
    c->snd_una += acked;
    set_flight(c, flight);
    tcp_cc_ack(e->s, c, acked);
}

/* The same, with the window filled: cwnd was in flight before the ACK. */
static void
ack_full(struct h_env *e, struct tcp_pcb *c, uint64_t t, uint32_t acked)
{
    ack_at(e, c, t, acked, c->cwnd - acked);
}

/* A loss found by three duplicate ACKs with cwnd in flight, and a
 * recovery that ends (by a full ACK, new data sent meanwhile) with cwnd
 * at ssthresh. */
static void
loss_event(struct h_env *e, struct tcp_pcb *c, uint32_t cwnd)
{
    c->cwnd = cwnd;
    set_flight(c, cwnd);
    assert_int_equal(tcp_cc_dupack(e->s, c), 0);
    assert_int_equal(tcp_cc_dupack(e->s, c), 0);
    assert_int_equal(tcp_cc_dupack(e->s, c), 1);
    assert_int_equal(c->in_recovery, 1);
    uint32_t acked = c->recover - c->snd_una;
    c->snd_una = c->recover;
    set_flight(c, c->ssthresh);
    tcp_cc_ack(e->s, c, acked);
    assert_int_equal(c->in_recovery, 0);
    assert_int_equal(c->cwnd, c->ssthresh);
}

/* ---- RFC 9438 in floating point, segments and seconds (§4.1) ---- */

struct ref {
    double w_max, k, cwnd, w_est, cwnd_prior, rtt;
};

/* Figure 2 */
static double
ref_k(double w_max, double cwnd_epoch)
{
    return cbrt((w_max - cwnd_epoch) / 0.4);
}

/* Figure 1 */
static double
ref_w(const struct ref *r, double t)
{
    return 0.4 * pow(t - r->k, 3) + r->w_max;
}

/* A new ACK of `acked` segments at t in congestion avoidance (§4.2-§4.5,
 * the window following the curve for each segment acknowledged, as
 * tcp_cubic.c does). */
static void
ref_ack(struct ref *r, double t, double acked)
{
    double alpha = r->w_est >= r->cwnd_prior ? 1.0 : 3 * (1 - 0.7) / (1 + 0.7);

    r->w_est += alpha * acked / r->cwnd; /* Figure 4 */
    if (ref_w(r, t) < r->w_est) {        /* §4.3 */
        r->cwnd = r->w_est > r->cwnd ? r->w_est : r->cwnd;
        return;
    }
    double target = ref_w(r, t + r->rtt); /* §4.2 */
    target = target < r->cwnd ? r->cwnd : target > 1.5 * r->cwnd ? 1.5 * r->cwnd : target;
    r->cwnd += (target - r->cwnd) / r->cwnd * acked; /* §4.4, §4.5 */
}

/* The engine's cwnd (bytes) is the reference's (segments) within tol bytes. */
static void
expect_near(const struct tcp_pcb *c, const struct ref *r, double tol, double t)
{
    double want = r->cwnd * SMSS;

    if (fabs(c->cwnd - want) > tol)
        fail_msg("t %.3f s: cwnd %u bytes, RFC 9438 gives %.1f", t, c->cwnd, want);
}

/* ---- CUBIC ---- */

static void
test_cubic_ssthresh_and_fast_convergence(void **state)
{
    struct h_env *e = env(state);
    struct tcp_pcb *c = bare(e, "cubic", 100 * MS);
    struct tcp_cubic *cu = &c->cc_priv.cubic;

    /* §4.6: ssthresh = FlightSize * 0.7; §4.7: the first event, no W_max
     * yet: W_max = cwnd; cwnd_prior = cwnd */
    loss_event(e, c, 100 * SMSS);
    assert_int_equal(c->ssthresh, 70 * SMSS);
    assert_int_equal(cu->w_max, 100 * SMSS);
    assert_int_equal(cu->cwnd_prior, 100 * SMSS);
    /* RFC 5681 §3.2 step 3 during recovery: ssthresh + 3 SMSS */
    c->cwnd = 80 * SMSS;
    set_flight(c, 80 * SMSS);
    tcp_cc_dupack(e->s, c);
    tcp_cc_dupack(e->s, c);
    tcp_cc_dupack(e->s, c);
    assert_int_equal(c->ssthresh, 56 * SMSS);
    assert_int_equal(c->cwnd, 59 * SMSS);
    /* §4.7: the window had not got back to W_max: W_max = cwnd (1 + 0.7) / 2 */
    assert_int_equal(cu->w_max, 68 * SMSS);
    assert_int_equal(cu->cwnd_prior, 80 * SMSS);
    c->in_recovery = 0;
    /* it had got back (cwnd >= W_max): W_max = cwnd */
    c->cwnd = 90 * SMSS;
    set_flight(c, 90 * SMSS);
    assert_int_equal(c->cc->ssthresh(e->s, c), 63 * SMSS);
    assert_int_equal(cu->w_max, 90 * SMSS);
    /* the flight, not cwnd (§4.6), and never below 2 SMSS */
    set_flight(c, 40 * SMSS);
    assert_int_equal(c->cc->ssthresh(e->s, c), 28 * SMSS);
    set_flight(c, 2 * SMSS);
    assert_int_equal(c->cc->ssthresh(e->s, c), 2 * SMSS);
    /* NewReno for the same flight: half (RFC 5681 equation 4) */
    struct tcp_pcb *r = bare(e, "reno", 100 * MS);
    set_flight(r, 40 * SMSS);
    assert_int_equal(r->cc->ssthresh(e->s, r), 20 * SMSS);
}

/* W_max 100, cwnd_epoch 70 segments, RTT 100 ms: K = cbrt(30 / 0.4) =
 * 4.217 s; an ACK every 10 ms, each of one segment with the window full,
 * for 12 s: from the concave region, over the plateau at W_max, into the
 * convex one. */
static void
test_cubic_curve(void **state)
{
    struct h_env *e = env(state);
    struct tcp_pcb *c = bare(e, "cubic", 100 * MS);
    struct tcp_cubic *cu = &c->cc_priv.cubic;

    loss_event(e, c, 100 * SMSS);
    uint64_t t0 = e->now + 10 * MS;
    ack_full(e, c, t0, SMSS);
    /* Figure 2, in ms: 4217.16 */
    assert_int_equal(cu->k_ms, (int64_t)floor(1000 * ref_k(100, 70)));
    assert_int_equal(cu->k_ms, 4217);
    /* §4.3: W_est starts at cwnd_epoch, + 9/17 SMSS * SMSS / cwnd */
    assert_int_equal(cu->w_est, 70 * SMSS + 9 * SMSS * SMSS / (17 * 70 * SMSS));
    struct ref r = {.w_max = 100, .k = ref_k(100, 70), .cwnd = 70, .w_est = 70,
                    .cwnd_prior = 100, .rtt = 0.1};
    ref_ack(&r, 0, 1);
    expect_near(c, &r, 1, 0);
    int concave = 0, convex = 0;
    for (int i = 1; i <= 1200; i++) {
        double t = i * 0.01;
        ack_full(e, c, t0 + (uint64_t)i * 10 * MS, SMSS);
        ref_ack(&r, t, 1);
        /* K held in whole ms: W_cubic may be a few bytes off the
         * real-valued curve, which the window trails closely */
        expect_near(c, &r, 3 + 1e-4 * c->cwnd, t);
        concave += c->cwnd < cu->w_max && ref_w(&r, t) > r.w_est;
        convex += c->cwnd > cu->w_max;
    }
    assert_true(concave > 300 && convex > 300);
    /* far past K the target is held at 1.5 cwnd (§4.2): half a segment
     * for each segment acknowledged */
    h_poll(e, t0 + 30 * SEC);
    uint32_t before = c->cwnd;
    cu->grow_rem = 0;
    ack_full(e, c, t0 + 30 * SEC, 2 * SMSS);
    assert_int_equal(c->cwnd, before + SMSS);
}

/* A short round trip: Reno grows faster than the curve near its start,
 * and cwnd is W_est (§4.3); alpha_cubic is 9/17 until W_est reaches
 * cwnd_prior, then 1. */
static void
test_cubic_reno_friendly(void **state)
{
    struct h_env *e = env(state);
    struct tcp_pcb *c = bare(e, "cubic", 1 * MS);
    struct tcp_cubic *cu = &c->cc_priv.cubic;

    loss_event(e, c, 10 * SMSS); /* W_max 10, cwnd 7, K = 1.957 s */
    struct ref r = {.w_max = 10, .k = ref_k(10, 7), .cwnd = 7, .w_est = 7,
                    .cwnd_prior = 10, .rtt = 0.001};
    uint64_t t0 = e->now + MS;
    int switched = 0;
    for (int i = 0; i < 60; i++) {
        uint32_t before = c->cwnd, est = cu->w_est;
        ack_full(e, c, t0 + (uint64_t)i * MS, SMSS);
        ref_ack(&r, i * 0.001, 1);
        assert_true(ref_w(&r, i * 0.001) < r.w_est); /* the Reno-friendly region */
        assert_int_equal(c->cwnd, cu->w_est);
        expect_near(c, &r, 2, i * 0.001);
        /* Figure 4: SMSS * segments_acked / cwnd, times 9/17 or 1 */
        double step = (double)SMSS * SMSS / before * (est >= 10 * SMSS ? 1 : 9.0 / 17);
        if (i > 0 && fabs((cu->w_est - est) - step) > 1)
            fail_msg("ACK %d: W_est grew %u, want %.1f", i, cu->w_est - est, step);
        switched += est >= 10 * SMSS;
    }
    assert_true(switched > 10 && switched < 50);
}

/* §4.2, §5.8: t stops while the window is not used. */
static void
test_cubic_application_limited(void **state)
{
    struct h_env *e = env(state);
    struct tcp_pcb *a = bare(e, "cubic", 100 * MS), *b = bare(e, "cubic", 100 * MS);

    loss_event(e, a, 100 * SMSS);
    loss_event(e, b, 100 * SMSS);
    uint64_t t0 = e->now + 10 * MS;
    ack_full(e, a, t0, SMSS);
    ack_full(e, b, t0, SMSS);
    uint32_t cwnd = a->cwnd, est = a->cc_priv.cubic.w_est;
    /* b uses its window all along: 100 ms into its stage (the clock only
     * goes forward: b first) */
    ack_full(e, b, t0 + 100 * MS, SMSS);
    /* a: two seconds with half the window out: no growth, t_epoch moves */
    ack_at(e, a, t0 + 1 * SEC, SMSS, a->cwnd / 2);
    ack_at(e, a, t0 + 2 * SEC, SMSS, a->cwnd / 2);
    assert_int_equal(a->cwnd, cwnd);
    assert_int_equal(a->cc_priv.cubic.w_est, est);
    assert_int_equal(a->cc_priv.cubic.t_epoch_us, t0 + 2 * SEC);
    /* then full again: as b, 100 ms into the stage */
    ack_full(e, a, t0 + 2 * SEC + 100 * MS, SMSS);
    assert_true(b->cwnd > cwnd);
    assert_int_equal(a->cwnd, b->cwnd);
    assert_int_equal(a->cc_priv.cubic.w_est, b->cc_priv.cubic.w_est);
    /* idle: the whole window acknowledged, nothing sent for 5 s: what
     * the gap holds beyond one round trip does not count */
    ack_at(e, a, t0 + 2 * SEC + 200 * MS, a->cwnd, 0);
    assert_int_equal(a->cc_priv.cubic.t_epoch_us, t0 + 2 * SEC);
    ack_full(e, a, t0 + 7 * SEC + 300 * MS, SMSS);
    assert_int_equal(a->cc_priv.cubic.t_epoch_us, t0 + 7 * SEC);
}

/* RFC 9438 §4.8 and RFC 5681 §3.1: a timeout. */
static void
test_cubic_timeout(void **state)
{
    struct h_env *e = env(state);
    struct tcp_pcb *c = bare(e, "cubic", 100 * MS);
    struct tcp_cubic *cu = &c->cc_priv.cubic;
    struct tcp_info_lite i;

    c->cwnd = 50 * SMSS;
    set_flight(c, 50 * SMSS);
    tcp_get_info(c, &i);
    assert_int_equal(i.ca_state, TCP_CA_OPEN);
    tcp_cc_timeout(e->s, c);
    assert_int_equal(c->ssthresh, 35 * SMSS);
    assert_int_equal(c->cwnd, SMSS);
    assert_int_equal(cu->w_max, 50 * SMSS);
    tcp_get_info(c, &i);
    assert_int_equal(i.ca_state, TCP_CA_LOSS);
    /* what goes again after the go-back is retransmission (tcpi_retrans) */
    c->snd_nxt = c->snd_una + 3 * SMSS;
    tcp_get_info(c, &i);
    assert_int_equal(i.retrans, 3 * SMSS);
    /* slow start back to ssthresh, still in Loss until all that was out
     * at the timeout is acknowledged */
    uint64_t t = e->now;
    while (c->cwnd < c->ssthresh) {
        t += 10 * MS;
        ack_at(e, c, t, SMSS, c->cwnd);
        tcp_get_info(c, &i);
        assert_int_equal(i.ca_state,
                         seq_ge(c->snd_una, c->recover) ? TCP_CA_OPEN : TCP_CA_LOSS);
    }
    assert_int_equal(c->cwnd, 35 * SMSS);
    /* the first congestion avoidance stage: W_max = cwnd_epoch, K = 0 */
    ack_full(e, c, t + 10 * MS, SMSS);
    assert_int_equal(cu->w_max, 35 * SMSS);
    assert_int_equal(cu->k_ms, 0);
    assert_int_equal(cu->after_rto, 0);
    /* from there the curve is convex: W_cubic(1 s + RTT) = 35 + 0.4 * 1.1^3 */
    struct ref r = {.w_max = 35, .k = 0, .cwnd = c->cwnd / (double)SMSS,
                    .w_est = cu->w_est / (double)SMSS, .cwnd_prior = 50, .rtt = 0.1};
    ack_full(e, c, t + 10 * MS + 1 * SEC, SMSS);
    ref_ack(&r, 1.0, 1);
    expect_near(c, &r, 2, 1.0);
}

/* Fast retransmit and recovery (tcp_cc.c) with CUBIC's ssthresh, on a
 * connection played by hand, and TCP_INFO's state on the way. */
static void
test_cubic_fast_recovery(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t b[20 * HT_MSS];

    ht_active(&k, e, 7, 100 * MS);
    assert_string_equal(tcp_cc_name(k.c), "cubic");
    tcp_seq s0 = k.iss + 1;
    h_pattern(b, sizeof(b), 3);
    assert_int_equal(tcp_send(e->s, k.c, b, sizeof(b)), sizeof(b));
    ht_nsent(e, 10);
    rec_clear(e->rec);
    struct tcp_info_lite i = ht_info(k.c);
    assert_int_equal(i.ca_state, TCP_CA_OPEN);
    assert_int_equal(i.options, TCP_INFO_OPT_WSCALE);
    assert_int_equal(i.snd_wscale, 7);
    assert_int_equal(i.rcv_wscale, 3);
    assert_int_equal(i.pmtu, 1500);
    assert_int_equal(i.rcv_mss, 536); /* nothing received yet: Linux's guess */
    /* the first ACK after the SYN's carries a scaled window: a window
     * update, not a duplicate (RFC 5681 §2 (e)) */
    ht_ack(&k, s0);
    assert_int_equal(ht_info(k.c).ca_state, TCP_CA_OPEN);
    ht_ack(&k, s0);
    assert_int_equal(ht_info(k.c).ca_state, TCP_CA_DISORDER);
    ht_ack(&k, s0);
    ht_ack(&k, s0);
    ht_only(e, TCP_ACK, s0, k.pseq, -1, HT_MSS);
    /* ssthresh = 0.7 FlightSize = 7 segments; cwnd = ssthresh + 3 SMSS */
    i = ht_info(k.c);
    assert_int_equal(i.ssthresh, 7 * HT_MSS);
    assert_int_equal(i.cwnd, 10 * HT_MSS);
    assert_int_equal(i.ca_state, TCP_CA_RECOVERY);
    assert_int_equal(i.retrans, HT_MSS);
    assert_int_equal(i.total_retrans, 1);
    assert_int_equal(k.c->cc_priv.cubic.w_max, 10 * HT_MSS);
    /* inflation (RFC 5681 §3.2 step 4) is the recovery's, whatever the
     * algorithm: one more segment per duplicate */
    ht_ack(&k, s0);
    ht_nsent(e, 1);
    rec_clear(e->rec);
    /* the full ACK: out of recovery with min(ssthresh, FlightSize + SMSS) */
    ht_ack(&k, s0 + 11 * HT_MSS);
    i = ht_info(k.c);
    assert_int_equal(i.ca_state, TCP_CA_OPEN);
    assert_int_equal(i.cwnd, 2 * HT_MSS);
    assert_int_equal(i.retrans, 0);
    /* slow start to 7 segments, then a CUBIC stage from W_max = 10 */
    ht_at(e, e->now + 100 * MS);
    tcp_seq una = s0 + 11 * HT_MSS;
    while (ht_info(k.c).cwnd < 7 * HT_MSS) {
        una += HT_MSS;
        ht_ack(&k, una);
    }
    uint32_t epoch = ht_info(k.c).cwnd;
    una += HT_MSS;
    ht_ack(&k, una);
    assert_int_equal(k.c->cc_priv.cubic.in_epoch, 1);
    assert_int_equal(k.c->cc_priv.cubic.k_ms,
                     (int64_t)floor(1000 * cbrt((10.0 * HT_MSS - epoch) / (0.4 * HT_MSS))));
    /* data from the peer: tcpi_rcv_mss is what it sends */
    ht_data(&k, 1000);
    assert_int_equal(ht_info(k.c).rcv_mss, 1000);
}

/* ---- choosing ---- */

static void
test_cc_select(void **state)
{
    struct h_env *e = env(state);
    struct tcp_pcb *c = tcp_open(e->s, NULL);

    assert_string_equal(tcp_cc_name(c), "cubic"); /* the default, as Linux */
    assert_int_equal(tcp_set_cc(e->s, c, "reno"), 0);
    assert_string_equal(tcp_cc_name(c), "reno");
    assert_ptr_equal(c->cc, &tcp_reno_ops);
    /* as Linux: names are exact, and an unknown one changes nothing */
    const char *const bad[] = {"bogus", "", "CUBIC", "cubic ", "renoo", NULL};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(tcp_set_cc(e->s, c, bad[i]), -ENOENT);
        assert_string_equal(tcp_cc_name(c), "reno");
    }
    assert_int_equal(stack_tcp_cc_known("cubic"), 1);
    assert_int_equal(stack_tcp_cc_known("reno"), 1);
    assert_int_equal(stack_tcp_cc_known("bogus"), 0);
    assert_int_equal(stack_tcp_cc_known(NULL), 0);
    /* a switch on a live connection: the new algorithm starts afresh,
     * cwnd and ssthresh stay (Linux's tcp_reinit_congestion_control) */
    struct tcp_pcb *b = bare(e, "cubic", 100 * MS);
    loss_event(e, b, 40 * SMSS);
    ack_full(e, b, e->now + 10 * MS, SMSS);
    uint32_t cwnd = b->cwnd, ssthresh = b->ssthresh;
    assert_int_equal(tcp_set_cc(e->s, b, "reno"), 0);
    assert_int_equal(tcp_set_cc(e->s, b, "cubic"), 0);
    assert_int_equal(b->cwnd, cwnd);
    assert_int_equal(b->ssthresh, ssthresh);
    assert_int_equal(b->cc_priv.cubic.w_max, 0);
    assert_int_equal(b->cc_priv.cubic.in_epoch, 0);
    /* setting the same one again keeps its state */
    ack_full(e, b, e->now + 10 * MS, SMSS);
    assert_int_equal(tcp_set_cc(e->s, b, "cubic"), 0);
    assert_int_equal(b->cc_priv.cubic.in_epoch, 1);
    tcp_close(e->s, c);
}

static void
test_cc_engine_default(void **state)
{
    struct stack_config cfg;

    (void)state;
    h_config(&cfg);
    cfg.tcp_cc = "bogus";
    assert_null(stack_new(&cfg, NULL));
    cfg.tcp_cc = NULL; /* NULL: the default */
    struct h_env *e = h_env_new(&cfg, H_T0);
    struct tcp_pcb *c = tcp_open(e->s, NULL);
    assert_string_equal(tcp_cc_name(c), "cubic");
    tcp_close(e->s, c);
    h_env_free(e);
    cfg.tcp_cc = "reno";
    e = h_env_new(&cfg, H_T0);
    c = tcp_open(e->s, NULL);
    assert_string_equal(tcp_cc_name(c), "reno");
    tcp_close(e->s, c);
    h_env_free(e);
}

/* A listener's connections take its algorithm, whatever the default. */
static void
test_cc_child_inherits(void **state)
{
    struct stack_config cfg;
    struct ht_conn k;

    h_config(&cfg);
    cfg.tcp_cc = "reno";
    struct h_env *e = ht_env(state, &cfg);
    struct tcp_pcb *l = ht_listen(e, HT_PORT, 0, 4);
    ht_syn(&k, e, l, HT_PEER_PORT, HT_NOWS);
    ht_ack_accept(&k);
    assert_string_equal(tcp_cc_name(k.c), "reno");
    /* the listener's algorithm when the ACK makes the block */
    ht_syn(&k, e, l, HT_PEER_PORT + 1, HT_NOWS);
    assert_int_equal(tcp_set_cc(e->s, l, "cubic"), 0);
    ht_ack_accept(&k);
    assert_string_equal(tcp_cc_name(k.c), "cubic");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_cubic_ssthresh_and_fast_convergence, h_teardown),
        cmocka_unit_test_teardown(test_cubic_curve, h_teardown),
        cmocka_unit_test_teardown(test_cubic_reno_friendly, h_teardown),
        cmocka_unit_test_teardown(test_cubic_application_limited, h_teardown),
        cmocka_unit_test_teardown(test_cubic_timeout, h_teardown),
        cmocka_unit_test_teardown(test_cubic_fast_recovery, h_teardown),
        cmocka_unit_test_teardown(test_cc_select, h_teardown),
        cmocka_unit_test(test_cc_engine_default),
        cmocka_unit_test_teardown(test_cc_child_inherits, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
