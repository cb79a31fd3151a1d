/*
 * test_tcp_timers.c - TCP timers and congestion control, one engine on
 * the recording device, the peer played by hand at chosen virtual times:
 * the RTO estimator (RFC 6298: exact SRTT, RTTVAR and RTO after each
 * sample, the clamps, Karn's rule, backoff, giving up), fast retransmit
 * and NewReno recovery (RFC 5681 §3.2, RFC 6582), slow start and
 * congestion avoidance, the zero-window persist timer and the SWS
 * override (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17, §4.2.3.4), keepalive
 * (RFC 1122 §4.2.3.6), the delayed ACK timer, Nagle (RFC 896), and a FIN
 * that found no buffer (-ENOBUFS) sent by the retransmission timer.
 */
#include "harness_tcp.h"

#include <errno.h>
#include <string.h>

#include "stack_var.h"

#define MS H_MS
#define SEC H_SEC
#define MSS HT_MSS

/* These tests were written for NewReno ("reno"): CUBIC's window has
 * tests of its own (test_tcp_cc.c). */
static struct h_env *
env(void **state)
{
    struct stack_config cfg;

    h_config(&cfg);
    cfg.tcp_cc = "reno";
    return ht_env(state, &cfg);
}

static void
expect_rtt(const struct tcp_pcb *c, uint32_t srtt, uint32_t rttvar, uint32_t rto)
{
    struct tcp_info_lite i = ht_info(c);

    if (i.rtt_us != srtt || i.rttvar_us != rttvar || i.rto_us != rto)
        fail_msg("srtt %u rttvar %u rto %u; want %u %u %u", i.rtt_us, i.rttvar_us,
                 i.rto_us, srtt, rttvar, rto);
}

static void
expect_cc(const struct tcp_pcb *c, uint32_t cwnd, uint32_t ssthresh)
{
    struct tcp_info_lite i = ht_info(c);

    if (i.cwnd != cwnd || i.ssthresh != ssthresh)
        fail_msg("cwnd %u ssthresh %u; want %u %u", i.cwnd, i.ssthresh, cwnd, ssthresh);
}

/* Queue n bytes of a fixed pattern on c. */
static void
app_send(struct h_env *e, struct tcp_pcb *c, size_t n)
{
    uint8_t b[65536];

    assert_true(n <= sizeof(b));
    h_pattern(b, n, 11);
    assert_int_equal(tcp_send(e->s, c, b, n), n);
}

/* Frames [from, from + n) are data segments of MSS bytes starting at seq. */
static void
expect_segs(struct h_env *e, size_t from, size_t n, tcp_seq seq, tcp_seq ack)
{
    for (size_t i = 0; i < n; i++)
        ht_expect(e, from + i, TCP_ACK, seq + (uint32_t)(i * MSS), ack, -1, MSS);
}

/* ---- RFC 6298 ---- */

static void
test_rto_estimator(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    /* §2.2: the first sample R: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR */
    ht_active(&k, e, HT_NOWS, 100 * MS);
    expect_rtt(k.c, 100000, 50000, 300000);
    tcp_seq s0 = k.iss + 1;
    /* §2.3, alpha 1/8, beta 1/4: RTTVAR from the old SRTT first */
    uint64_t t = e->now;
    app_send(e, k.c, 100);
    assert_int_equal(k.c->t_rexmt, t + 300000); /* §5.1 */
    ht_at(e, t + 200 * MS);
    ht_ack(&k, s0 + 100);
    expect_rtt(k.c, 112500, 62500, 362500);
    assert_int_equal(k.c->t_rexmt, 0); /* §5.2: all acknowledged */
    t = e->now;
    app_send(e, k.c, 100);
    ht_at(e, t + 50 * MS);
    ht_ack(&k, s0 + 200);
    /* |112500 - 50000| = 62500; (7 * 112500 + 50000) / 8 = 104687.5 */
    expect_rtt(k.c, 104687, 62500, 354687);

    /* §5.4-5.6: the timer fires, the segment goes again, the RTO doubles */
    rec_clear(e->rec);
    t = e->now;
    app_send(e, k.c, 100);
    uint64_t at = t + 354687;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(stack_poll_at(e->s), at);
        ht_at(e, at - 1);
        ht_nsent(e, (size_t)i + 1);
        ht_at(e, at);
        ht_nsent(e, (size_t)i + 2);
        ht_expect(e, (size_t)i + 1, TCP_ACK | TCP_PSH, s0 + 200, k.pseq, -1, 100);
        at += (uint64_t)354687 << (i + 1);
    }
    assert_int_equal(h_stat(e, "tcp.rto_expired"), 3);
    assert_int_equal(h_stat(e, "tcp.retransmitted_segs"), 3);
    assert_int_equal(ht_info(k.c).total_retrans, 3);
    /* Karn (§3): the ACK of a retransmitted segment is no sample */
    ht_at(e, e->now + 10 * MS);
    ht_ack(&k, s0 + 300);
    expect_rtt(k.c, 104687, 62500, 354687);
    assert_int_equal(k.c->backoff, 0);
    /* the next new segment is timed again */
    t = e->now;
    app_send(e, k.c, 100);
    assert_int_equal(k.c->t_rexmt, t + 354687); /* backoff gone */
    ht_at(e, t + 50 * MS);
    ht_ack(&k, s0 + 400);
    /* SRTT (7 * 104687 + 50000) / 8 = 97851, RTTVAR (3 * 62500 + 54687) / 4 */
    expect_rtt(k.c, 97851, 60546, 340035);

    /* the minimum: 10 ms would give 30 ms; 200 ms (tcp_rto_min_ms) */
    struct ht_conn k2;
    ht_active(&k2, e, HT_NOWS, 10 * MS);
    expect_rtt(k2.c, 10000, 5000, 200000);
    /* the maximum (§2.5: at least 60 s): 30 s gives 90 s, held at 60 s */
    struct tcp_pcb *c = tcp_open(e->s, NULL);
    tcp_rtt_sample(e->s, c, 30 * SEC);
    expect_rtt(c, 30000000, 15000000, 60000000);
    /* §2.3: the clock granularity G (1 ms) when 4 RTTVAR is smaller,
     * seen with the minimum turned off */
    e->s->cfg.tcp_rto_min_ms = 0;
    struct tcp_pcb *g = tcp_open(e->s, NULL);
    tcp_rtt_sample(e->s, g, 1000);
    expect_rtt(g, 1000, 500, 3000);
    tcp_rtt_sample(e->s, g, 1000);
    tcp_rtt_sample(e->s, g, 1000);
    expect_rtt(g, 1000, 281, 2124);
    tcp_rtt_sample(e->s, g, 1000);
    expect_rtt(g, 1000, 210, 2000); /* 4 * 210 < G */
    tcp_close(e->s, c);
    tcp_close(e->s, g);
}

static void
test_rto_gives_up(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_active(&k, e, HT_NOWS, 100 * MS);
    app_send(e, k.c, 10);
    rec_clear(e->rec);
    uint64_t at = e->now;
    /* TCP_DATA_RETRIES (15) retransmissions, each wait the RTO doubled,
     * capped at 60 s; then ETIMEDOUT */
    for (int i = 0; i <= 15; i++) {
        uint64_t rto = (uint64_t)300000 << i;
        at += rto < 60 * SEC ? rto : 60 * SEC;
        assert_int_equal(stack_poll_at(e->s), at);
        ht_at(e, at);
        ht_nsent(e, (size_t)(i < 15 ? i + 1 : 15));
    }
    assert_int_equal(k.c->state, TCP_CLOSED);
    assert_int_equal(tcp_take_error(k.c), ETIMEDOUT);
    assert_int_equal(h_stat(e, "tcp.rto_expired"), 15);
    assert_int_equal(h_stat(e, "tcp.timed_out"), 1);
    ht_expect(e, 14, TCP_ACK | TCP_PSH, k.iss + 1, k.pseq, -1, 10);
    assert_int_equal(at - (H_T0 + 100 * MS), 300000ull * 255 + 8 * 60 * SEC);
}

/* ---- RFC 5681, RFC 6582 ---- */

static void
test_fast_retransmit_newreno(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_active(&k, e, HT_NOWS, 100 * MS);
    tcp_seq s0 = k.iss + 1;
    app_send(e, k.c, 20 * MSS);
    ht_nsent(e, 10); /* the initial window */
    expect_segs(e, 0, 10, s0, k.pseq);
    expect_cc(k.c, 10 * MSS, UINT32_MAX / 2);
    rec_clear(e->rec);
    /* segment 0 is lost: the peer repeats its ACK; the third duplicate
     * triggers the retransmission (§3.2 steps 1-3):
     * ssthresh = max(FlightSize / 2, 2 SMSS), cwnd = ssthresh + 3 SMSS */
    ht_ack(&k, s0);
    ht_ack(&k, s0);
    ht_nsent(e, 0);
    ht_ack(&k, s0);
    ht_only(e, TCP_ACK, s0, k.pseq, -1, MSS);
    expect_cc(k.c, 7300 + 3 * MSS, 7300);
    assert_int_equal(h_stat(e, "tcp.fast_retransmits"), 1);
    assert_int_equal(h_stat(e, "tcp.rx_dupacks"), 3);
    /* a changed window is not a duplicate (RFC 5681 §2 (e)) */
    k.pwnd = 65000;
    ht_ack(&k, s0);
    expect_cc(k.c, 7300 + 3 * MSS, 7300);
    ht_nsent(e, 0);
    /* RFC 5681 §3.2 step 4: each further duplicate inflates cwnd by SMSS;
     * new data goes once cwnd exceeds the flight (10 segments) */
    for (int i = 0; i < 6; i++)
        ht_ack(&k, s0);
    expect_cc(k.c, 7300 + 9 * MSS, 7300);
    ht_nsent(e, 4);
    expect_segs(e, 0, 4, s0 + 10 * MSS, k.pseq);
    assert_int_equal(h_stat(e, "tcp.rx_dupacks"), 9);
    rec_clear(e->rec);
    /* RFC 6582 §3.2 step 3, a partial ACK (segment 5 was lost too):
     * retransmit the first unacknowledged segment, deflate cwnd by the
     * amount acknowledged, add back SMSS */
    ht_ack(&k, s0 + 5 * MSS);
    assert_int_equal(k.c->in_recovery, 1);
    expect_cc(k.c, 7300 + 9 * MSS - 5 * MSS + MSS, 7300);
    ht_nsent(e, 2);
    ht_expect(e, 0, TCP_ACK, s0 + 5 * MSS, k.pseq, -1, MSS);
    ht_expect(e, 1, TCP_ACK, s0 + 14 * MSS, k.pseq, -1, MSS); /* flight 9, cwnd 10 */
    assert_int_equal(h_stat(e, "tcp.retransmitted_segs"), 2);
    rec_clear(e->rec);
    /* a full ACK (all up to recover, and here all sent): leave recovery
     * with cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS) (step 3) */
    ht_ack(&k, s0 + 15 * MSS);
    assert_int_equal(k.c->in_recovery, 0);
    expect_cc(k.c, 2 * MSS, 7300); /* nothing in flight: max(0, SMSS) */
    ht_nsent(e, 2);
    expect_segs(e, 0, 2, s0 + 15 * MSS, k.pseq);
    rec_clear(e->rec);

    /* step 4: after a timeout, recover = the highest sequence sent; step
     * 2: duplicates that do not reach it start no fast retransmit */
    ht_at(e, k.c->t_rexmt);
    tcp_seq una = s0 + 15 * MSS, recover = k.c->snd_max;
    ht_nsent(e, 1);
    expect_segs(e, 0, 1, una, k.pseq); /* go back to SND.UNA */
    uint32_t ssthresh = ht_info(k.c).ssthresh;
    expect_cc(k.c, MSS, ssthresh);
    assert_int_equal(k.c->recover, recover);
    ht_ack(&k, una + MSS); /* slow start: two more go back out */
    ht_nsent(e, 3);
    for (int i = 0; i < 3; i++)
        ht_ack(&k, una + MSS);
    ht_nsent(e, 3);
    assert_int_equal(h_stat(e, "tcp.fast_retransmits"), 1);
    expect_cc(k.c, 2 * MSS, ssthresh);
    assert_true(seq_lt(una + MSS, recover));
}

static void
test_slow_start_and_avoidance(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_active(&k, e, HT_NOWS, 100 * MS);
    tcp_seq s0 = k.iss + 1;
    app_send(e, k.c, 40 * MSS);
    ht_nsent(e, 10);
    ht_at(e, e->now + 100 * MS); /* one RTT: RTO 250 ms after this sample */
    /* slow start: cwnd += min(acked, L = 2 SMSS) per ACK (RFC 5681 §3.1
     * with RFC 3465's L, as tcp_cc.c chooses) */
    rec_clear(e->rec);
    ht_ack(&k, s0 + 2 * MSS);
    expect_cc(k.c, 12 * MSS, UINT32_MAX / 2);
    ht_nsent(e, 4);
    ht_ack(&k, s0 + 5 * MSS);
    expect_cc(k.c, 14 * MSS, UINT32_MAX / 2);
    ht_nsent(e, 9);
    ht_ack(&k, s0 + 5 * MSS + 500);
    expect_cc(k.c, 14 * MSS + 500, UINT32_MAX / 2);
    ht_nsent(e, 9); /* 1000 bytes of window: SWS avoidance waits */
    assert_int_equal(ht_info(k.c).rto_us, 250000);

    /* the RTO: ssthresh = max(FlightSize / 2, 2 SMSS), cwnd = 1 SMSS
     * (§3.1 equations 4 and 5); go back to SND.UNA */
    uint32_t flight = 19 * MSS - (5 * MSS + 500);
    tcp_seq una = s0 + 5 * MSS + 500;
    rec_clear(e->rec);
    ht_at(e, e->now + 250 * MS);
    expect_cc(k.c, MSS, flight / 2);
    ht_nsent(e, 1);
    expect_segs(e, 0, 1, una, k.pseq);
    /* slow start again up to ssthresh (9970) */
    static const uint32_t acked_segs[] = {1, 2, 4, 6};
    static const uint32_t cwnd_after[] = {2 * MSS, 4 * MSS, 6 * MSS, 8 * MSS};
    for (size_t i = 0; i < 4; i++) {
        rec_clear(e->rec);
        una += acked_segs[i] * MSS;
        ht_ack(&k, una);
        expect_cc(k.c, cwnd_after[i], flight / 2);
        ht_nsent(e, cwnd_after[i] / MSS); /* nothing else in flight */
    }
    /* congestion avoidance (§3.1 equation 3): cwnd += SMSS * SMSS / cwnd */
    uint32_t cwnd = 8 * MSS;
    for (int i = 0; i < 3; i++) {
        una += MSS;
        ht_ack(&k, una);
        cwnd += MSS * MSS / cwnd;
        expect_cc(k.c, cwnd, flight / 2);
    }
    assert_int_equal(cwnd, 11680 + 182 + 179 + 177);
}

/* ---- persist ---- */

static void
test_zero_window_persist(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_active(&k, e, HT_NOWS, 100 * MS);
    tcp_seq s0 = k.iss + 1;
    app_send(e, k.c, 5000);
    ht_nsent(e, 3); /* 620 bytes held by Nagle */
    /* all acknowledged, the window shut: the persist timer (RTO 250 ms) */
    ht_at(e, e->now + 100 * MS);
    k.pwnd = 0;
    ht_ack(&k, s0 + 3 * MSS);
    assert_int_equal(ht_info(k.c).rto_us, 250000);
    uint64_t at = e->now + 250000;
    assert_int_equal(k.c->t_persist, at);
    assert_int_equal(k.c->t_rexmt, 0);
    /* probes carry SND.UNA - 1 and no data; the peer answers with its
     * (still shut) window; the interval doubles up to 60 s */
    for (int i = 0; i < 10; i++) {
        rec_clear(e->rec);
        assert_int_equal(stack_poll_at(e->s), at);
        ht_at(e, at - 1);
        ht_nsent(e, 0);
        ht_at(e, at);
        ht_only(e, TCP_ACK, s0 + 3 * MSS - 1, k.pseq, -1, 0);
        ht_ack(&k, s0 + 3 * MSS);
        uint64_t d = (uint64_t)250000 << (i + 1);
        at += d < 60 * SEC ? d : 60 * SEC;
    }
    assert_int_equal(h_stat(e, "tcp.persist_probes"), 10);
    assert_int_equal(k.c->state, TCP_ESTABLISHED);
    /* the window opens: the data goes at once, the timer stops */
    rec_clear(e->rec);
    k.pwnd = 65535;
    ht_ack(&k, s0 + 3 * MSS);
    ht_only(e, TCP_ACK | TCP_PSH, s0 + 3 * MSS, k.pseq, -1, 620);
    assert_int_equal(k.c->t_persist, 0);

    /* RFC 1122 §4.2.3.4: a small window (100 bytes, far below half the
     * largest offered) is not used at once; when the persist timer fires,
     * a segment filling it goes */
    tcp_seq una = s0 + 5000;
    app_send(e, k.c, 5000);
    k.pwnd = 100;
    ht_ack(&k, una + 3 * MSS);
    rec_clear(e->rec);
    una += 3 * MSS;
    at = k.c->t_persist;
    assert_int_equal(at, e->now + ht_info(k.c).rto_us);
    ht_at(e, at);
    ht_only(e, TCP_ACK | TCP_PSH, una, k.pseq, -1, 100);
    assert_int_equal(k.c->t_persist, 0); /* data in flight: RTO instead */
    assert_true(k.c->t_rexmt > 0);
    /* the rest fits the next window: all of it is sent (Nagle: nothing
     * else in flight) */
    k.pwnd = 1000;
    ht_ack(&k, una + 100);
    ht_only(e, TCP_ACK | TCP_PSH, una + 100, k.pseq, -1, 520);
}

/* ---- every wait has an end ---- */

/* The window shut on data of ours (the peer acknowledged all of 1000
 * bytes with window 0), 500 more bytes waiting: the persist timer runs.
 * Returns the sequence number a probe carries (SND.UNA - 1). */
static tcp_seq
shut_window(struct h_env *e, struct ht_conn *k)
{
    tcp_seq s0 = k->iss + 1;

    app_send(e, k->c, 1000);
    ht_only(e, TCP_ACK | TCP_PSH, s0, k->pseq, -1, 1000);
    ht_at(e, e->now + 100 * MS);
    k->pwnd = 0;
    ht_ack(k, s0 + 1000);
    app_send(e, k->c, 500);
    ht_nsent(e, 0);
    assert_true(k->c->t_persist > e->now);
    return s0 + 999;
}

/* The persist timer fires: one probe, SND.UNA - 1 without data. */
static void
probe_at_deadline(struct h_env *e, struct ht_conn *k, tcp_seq probe_seq)
{
    uint64_t at = k->c->t_persist;

    assert_true(at > e->now);
    ht_at(e, at - 1);
    ht_nsent(e, 0);
    ht_at(e, at);
    ht_only(e, TCP_ACK, probe_seq, k->pseq, -1, 0);
}

/* RFC 1122 §4.2.2.17: a sender keeps probing a shut window as long as the
 * receiver answers. An ACK, even one that keeps the window at 0, answers
 * (as Linux: tcp_ack resets icsk_probes_out for every ACK that is not
 * older than SND.UNA). TCP_DATA_RETRIES (Linux's tcp_retries2, 15) probes
 * in a row without an answer: the peer is gone, ETIMEDOUT. */
static void
test_persist_gives_up(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_active(&k, e, HT_NOWS, 100 * MS);
    tcp_seq probe = shut_window(e, &k);
    for (int i = 0; i < 20; i++) { /* answered, window still shut */
        probe_at_deadline(e, &k, probe);
        ht_ack(&k, probe + 1);
        ht_nsent(e, 0);
    }
    assert_int_equal(k.c->state, TCP_ESTABLISHED);
    for (int i = 0; i < 15; i++) /* silence */
        probe_at_deadline(e, &k, probe);
    assert_int_equal(k.c->state, TCP_ESTABLISHED);
    uint64_t at = k.c->t_persist;
    ht_at(e, at - 1);
    assert_int_equal(k.c->state, TCP_ESTABLISHED);
    ht_at(e, at);
    ht_nsent(e, 0);
    assert_int_equal(k.c->state, TCP_CLOSED);
    assert_int_equal(tcp_take_error(k.c), ETIMEDOUT);
    assert_int_equal(h_stat(e, "tcp.persist_probes"), 35);
    assert_int_equal(h_stat(e, "tcp.persist_timed_out"), 1);
    assert_int_equal(h_stat(e, "tcp.timed_out"), 1);
    assert_int_equal(k.c->t_persist, 0);
}

/* An orphan (the application closed) in FIN_WAIT_1 with data it cannot
 * send: a peer that answers every probe with a shut window would keep it
 * for ever. It gives up once the window has stayed shut for
 * TCP_FIN_TIMEOUT_US (60 s, Linux's tcp_fin_timeout; Linux bounds such
 * orphans only by memory or TCP_USER_TIMEOUT), and a silent peer after
 * TCP_ORPHAN_RETRIES (8, Linux's tcp_orphan_retries) unanswered probes. */
static void
test_orphan_zero_window(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k, q;

    ht_active(&k, e, HT_NOWS, 100 * MS);
    tcp_seq probe = shut_window(e, &k);
    tcp_close(e->s, k.c);
    ht_nsent(e, 0); /* the FIN waits behind the data */
    assert_int_equal(k.c->state, TCP_FIN_WAIT_1);
    probe_at_deadline(e, &k, probe);
    uint64_t first = e->now, last = 0;
    while (ht_npcbs(e) && e->now - first < 3600 * SEC) { /* answered, still shut */
        ht_ack(&k, probe + 1);
        last = e->now;
        ht_at(e, k.c->t_persist);
        if (ht_npcbs(e)) {
            ht_only(e, TCP_ACK, probe, k.pseq, -1, 0);
            assert_int_equal(k.c->state, TCP_FIN_WAIT_1);
        }
    }
    assert_true(last - first < 60 * SEC);
    assert_true(e->now - first >= 60 * SEC);
    ht_nsent(e, 0);
    assert_int_equal(ht_npcbs(e), 0); /* gone, and freed */
    assert_int_equal(h_stat(e, "tcp.orphan_timed_out"), 1);

    /* a silent peer: 8 probes (the RTO is 200 ms: the last leaves 51 s
     * after the first), then the orphan gives up */
    ht_active(&q, e, HT_NOWS, 1 * MS);
    probe = shut_window(e, &q);
    tcp_close(e->s, q.c);
    for (int i = 0; i < 8; i++)
        probe_at_deadline(e, &q, probe);
    ht_at(e, q.c->t_persist);
    ht_nsent(e, 0);
    assert_int_equal(ht_npcbs(e), 0);
    assert_int_equal(h_stat(e, "tcp.orphan_timed_out"), 2);
    assert_int_equal(h_stat(e, "tcp.persist_timed_out"), 0);
}

/* An orphan whose FIN nobody acknowledges (LAST_ACK here) retransmits it
 * TCP_ORPHAN_RETRIES (8) times, not the TCP_DATA_RETRIES (15) of a
 * connection an application still holds (Linux's tcp_orphan_retries in
 * tcp_write_timeout). */
static void
test_orphan_fin_retries(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_active(&k, e, HT_NOWS, 100 * MS);
    ht_fin(&k);
    ht_only(e, TCP_ACK, k.iss + 1, k.pseq, -1, 0);
    tcp_close(e->s, k.c);
    assert_int_equal(k.c->state, TCP_LAST_ACK);
    ht_only(e, TCP_ACK | TCP_FIN, k.iss + 1, k.pseq, -1, 0);
    int n = 0;
    while (ht_npcbs(e) && n < 20) {
        ht_at(e, k.c->t_rexmt);
        if (ht_npcbs(e)) {
            ht_only(e, TCP_ACK | TCP_FIN, k.iss + 1, k.pseq, -1, 0);
            n++;
        }
    }
    ht_nsent(e, 0);
    assert_int_equal(n, 8);
    assert_int_equal(h_stat(e, "tcp.rto_expired"), 8);
    assert_int_equal(h_stat(e, "tcp.orphan_timed_out"), 1);
    assert_int_equal(h_stat(e, "tcp.timed_out"), 1);
}

/* ---- keepalive, delayed ACK, Nagle ---- */

static void
test_keepalive(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_active(&k, e, HT_NOWS, 0);
    uint64_t t = e->now;
    tcp_set_keepalive(e->s, k.c, 1, 10, 2, 3); /* idle 10 s, every 2 s, 3 probes */
    assert_int_equal(stack_poll_at(e->s), t + 10 * SEC);
    ht_at(e, t + 10 * SEC - 1);
    ht_nsent(e, 0);
    /* RFC 1122 §4.2.3.6: a segment with SEG.SEQ = SND.NXT - 1, no data */
    ht_at(e, t + 10 * SEC);
    ht_only(e, TCP_ACK, k.iss, k.pseq, -1, 0);
    /* an answer makes the connection idle again from now */
    ht_at(e, t + 10500 * MS);
    ht_ack(&k, k.iss + 1);
    assert_int_equal(k.c->keep_sent, 0);
    t += 10500 * MS;
    assert_int_equal(stack_poll_at(e->s), t + 10 * SEC);
    rec_clear(e->rec);
    for (int i = 0; i < 3; i++) {
        ht_at(e, t + 10 * SEC + (uint64_t)i * 2 * SEC - 1);
        ht_nsent(e, (size_t)i);
        ht_at(e, t + 10 * SEC + (uint64_t)i * 2 * SEC);
        ht_nsent(e, (size_t)i + 1);
        ht_expect(e, (size_t)i, TCP_ACK, k.iss, k.pseq, -1, 0);
    }
    /* three unanswered: the connection is dead */
    ht_at(e, t + 16 * SEC - 1);
    assert_int_equal(k.c->state, TCP_ESTABLISHED);
    ht_at(e, t + 16 * SEC);
    assert_int_equal(k.c->state, TCP_CLOSED);
    assert_int_equal(tcp_take_error(k.c), ETIMEDOUT);
    assert_int_equal(h_stat(e, "tcp.keepalive_probes"), 4);
    assert_int_equal(h_stat(e, "tcp.timed_out"), 1);
    ht_nsent(e, 3);
}

static void
test_delayed_ack_timer(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_active(&k, e, HT_NOWS, 0);
    uint64_t t = e->now;
    ht_data(&k, 10);
    assert_int_equal(k.c->t_delack, t + 200 * MS);
    /* our data carries the ACK: the timer is off */
    ht_at(e, t + 50 * MS);
    app_send(e, k.c, 10);
    ht_only(e, TCP_ACK | TCP_PSH, k.iss + 1, k.pseq, -1, 10);
    assert_int_equal(k.c->t_delack, 0);
    ht_at(e, t + 200 * MS);
    ht_nsent(e, 0);
    /* a later segment arms it afresh, for exactly 200 ms */
    ht_ack(&k, k.iss + 11);
    t = e->now + 7 * MS;
    ht_at(e, t);
    ht_data(&k, 10);
    assert_int_equal(stack_poll_at(e->s), t + 200 * MS);
    ht_at(e, t + 200 * MS - 1);
    ht_nsent(e, 0);
    ht_at(e, t + 200 * MS);
    ht_only(e, TCP_ACK, k.iss + 11, k.pseq, -1, 0);
    assert_int_equal(h_stat(e, "tcp.delayed_acks"), 1);
}

static void
test_nagle(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_active(&k, e, HT_NOWS, 0);
    tcp_seq s0 = k.iss + 1;
    /* RFC 896: a small segment may go when nothing is unacknowledged ... */
    app_send(e, k.c, 100);
    ht_nsent(e, 1);
    /* ... else small data waits for the ACK, then goes as one segment */
    app_send(e, k.c, 100);
    app_send(e, k.c, 100);
    ht_nsent(e, 1);
    assert_int_equal(ht_info(k.c).unsent, 200);
    ht_ack(&k, s0 + 100);
    ht_nsent(e, 2);
    ht_expect(e, 1, TCP_ACK | TCP_PSH, s0 + 100, k.pseq, -1, 200);
    /* a full segment is never held */
    app_send(e, k.c, MSS);
    ht_nsent(e, 3);
    ht_expect(e, 2, TCP_ACK | TCP_PSH, s0 + 300, k.pseq, -1, MSS);
    /* TCP_NODELAY: small segments go at once, with data in flight; turning
     * it on flushes what waits */
    app_send(e, k.c, 30);
    ht_nsent(e, 3);
    tcp_set_nodelay(e->s, k.c, 1);
    ht_nsent(e, 4);
    ht_expect(e, 3, TCP_ACK | TCP_PSH, s0 + 300 + MSS, k.pseq, -1, 30);
    app_send(e, k.c, 10);
    ht_nsent(e, 5);
    ht_expect(e, 4, TCP_ACK | TCP_PSH, s0 + 330 + MSS, k.pseq, -1, 10);
    /* Nagle again; the last small piece waits, until the application
     * closes: the segment carrying the FIN goes at once */
    tcp_set_nodelay(e->s, k.c, 0);
    app_send(e, k.c, 20);
    ht_nsent(e, 5);
    assert_int_equal(tcp_shutdown(e->s, k.c, 1), 0);
    ht_nsent(e, 6);
    ht_expect(e, 5, TCP_ACK | TCP_PSH | TCP_FIN, s0 + 340 + MSS, k.pseq, -1, 20);
}

/* ---- no buffer to send with ---- */

/* Take every buffer of the pool; returns them as a chain. */
static struct pkb *
take_all_buffers(struct h_env *e)
{
    struct pkb *held = NULL, *p;

    while ((p = pkb_alloc(&e->s->pool, 64))) {
        p->next = held;
        held = p;
    }
    return held;
}

/* A segment the engine cannot build (its pool, or the loop queue of local
 * delivery, is full: -ENOBUFS) was never sent. With data in flight the next
 * ACK or the retransmission timer brings the output back; a FIN with
 * nothing in flight must not wait for an event that never comes: the
 * retransmission timer runs for it (FreeBSD's tcp_output on ENOBUFS does
 * the same) and sends it, not counted as a retransmission. Also after a
 * timeout: the FIN's second try finds no buffer, the timer runs again. */
static void
test_nobufs_fin(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_active(&k, e, HT_NOWS, 100 * MS);
    tcp_seq s0 = k.iss + 1;
    app_send(e, k.c, 1000);
    ht_only(e, TCP_ACK | TCP_PSH, s0, k.pseq, -1, 1000);
    ht_at(e, e->now + 100 * MS);
    ht_ack(&k, s0 + 1000); /* all acknowledged: nothing in flight, no timer */
    assert_int_equal(k.c->t_rexmt, 0);
    rec_clear(e->rec);

    struct pkb *held = take_all_buffers(e);
    assert_int_equal(tcp_shutdown(e->s, k.c, 1), 0); /* SHUT_WR: the FIN is due */
    ht_nsent(e, 0);
    assert_int_equal(h_stat(e, "tcp.tx_nobufs"), 1);
    assert_int_equal(k.c->state, TCP_FIN_WAIT_1);
    pkb_free_chain(held);
    uint32_t rto = ht_info(k.c).rto_us;
    uint64_t at = e->now + rto;
    assert_int_equal(k.c->t_rexmt, at);
    assert_int_equal(stack_poll_at(e->s), at);
    ht_at(e, at - 1);
    ht_nsent(e, 0);
    ht_at(e, at);
    ht_only(e, TCP_ACK | TCP_FIN, s0 + 1000, k.pseq, -1, 0);
    assert_int_equal(h_stat(e, "tcp.rto_expired"), 0);
    assert_int_equal(ht_info(k.c).total_retrans, 0);
    assert_int_equal(ht_info(k.c).rto_us, rto); /* nothing to back off from */
    assert_int_equal(k.c->t_rexmt, at + rto);

    /* the FIN is lost; its retransmission finds no buffer */
    held = take_all_buffers(e);
    ht_at(e, at + rto);
    ht_nsent(e, 0);
    assert_int_equal(h_stat(e, "tcp.rto_expired"), 1);
    assert_int_equal(h_stat(e, "tcp.tx_nobufs"), 2);
    pkb_free_chain(held);
    at = k.c->t_rexmt;
    assert_int_equal(at, e->now + 2 * (uint64_t)rto); /* backed off once */
    ht_at(e, at);
    ht_only(e, TCP_ACK | TCP_FIN, s0 + 1000, k.pseq, -1, 0);
    ht_ack(&k, s0 + 1001);
    assert_int_equal(k.c->state, TCP_FIN_WAIT_2);
    assert_int_equal(k.c->t_rexmt, 0);
}

/* A delayed ACK that finds no buffer must not keep its deadline in the
 * past: stack_poll_at() would say "now" for ever, and the daemon would
 * spin in epoll_wait(..., 0). As Linux's tcp_send_ack when it cannot
 * allocate, the timer is armed again TCP_DELACK_US ahead. */
static void
test_nobufs_delack(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_active(&k, e, HT_NOWS, 0);
    uint64_t t = e->now;
    ht_data(&k, 10);
    assert_int_equal(k.c->t_delack, t + 200 * MS);
    struct pkb *held = take_all_buffers(e);
    ht_at(e, t + 200 * MS);
    ht_nsent(e, 0);
    assert_int_equal(h_stat(e, "tcp.tx_nobufs"), 1);
    assert_int_equal(stack_poll_at(e->s), t + 400 * MS);
    pkb_free_chain(held);
    ht_at(e, t + 400 * MS - 1);
    ht_nsent(e, 0);
    ht_at(e, t + 400 * MS);
    ht_only(e, TCP_ACK, k.iss + 1, k.pseq, -1, 0);
    assert_int_equal(k.c->t_delack, 0);
}

/* ---- sequence space ---- */

/* The send ring starts at SND.UNA once our SYN is acknowledged, whatever
 * the distance from the ISS. It was taken for ISS + 1 whenever SND.UNA
 * was not "after" the ISS, which modulo 2^32 (RFC 9293 §3.4) stops being
 * true once 2 GiB have been acknowledged: every connection that carried
 * more sent nothing more, or the wrong bytes. Sending 2 GiB through the
 * harness would take minutes; the ISS is moved back instead, which leaves
 * the connection as it is after 2 GiB. */
static void
test_send_past_2gib(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t want[1000];

    ht_active(&k, e, HT_NOWS, 100 * MS);
    tcp_seq una = k.iss + 1;
    k.c->iss = una - 1 - 0x80000000u; /* 2 GiB acknowledged */
    app_send(e, k.c, 1000);
    ht_nsent(e, 1);
    struct ht_out o;
    ht_out(e, 0, &o);
    ht_expect(e, 0, TCP_ACK | TCP_PSH, una, k.pseq, -1, 1000);
    h_pattern(want, sizeof(want), 11);
    assert_memory_equal(o.data, want, 1000);
    rec_clear(e->rec);
    ht_ack(&k, una + 600);
    assert_int_equal(ht_info(k.c).unacked, 400);
    ht_ack(&k, una + 1000);
    assert_int_equal(ht_info(k.c).unacked, 0);
    assert_int_equal(k.c->fin_acked, 0);
    assert_int_equal(tcp_shutdown(e->s, k.c, 1), 0);
    ht_only(e, TCP_ACK | TCP_FIN, una + 1000, k.pseq, -1, 0);
    ht_ack(&k, una + 1001);
    assert_int_equal(k.c->state, TCP_FIN_WAIT_2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_rto_estimator, h_teardown),
        cmocka_unit_test_teardown(test_rto_gives_up, h_teardown),
        cmocka_unit_test_teardown(test_fast_retransmit_newreno, h_teardown),
        cmocka_unit_test_teardown(test_slow_start_and_avoidance, h_teardown),
        cmocka_unit_test_teardown(test_zero_window_persist, h_teardown),
        cmocka_unit_test_teardown(test_persist_gives_up, h_teardown),
        cmocka_unit_test_teardown(test_orphan_zero_window, h_teardown),
        cmocka_unit_test_teardown(test_orphan_fin_retries, h_teardown),
        cmocka_unit_test_teardown(test_keepalive, h_teardown),
        cmocka_unit_test_teardown(test_delayed_ack_timer, h_teardown),
        cmocka_unit_test_teardown(test_nagle, h_teardown),
        cmocka_unit_test_teardown(test_nobufs_fin, h_teardown),
        cmocka_unit_test_teardown(test_nobufs_delack, h_teardown),
        cmocka_unit_test_teardown(test_send_past_2gib, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
