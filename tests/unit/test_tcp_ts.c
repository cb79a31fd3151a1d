/*
 * test_tcp_ts.c - TCP timestamps (RFC 7323), one engine on the recording
 * device, the peer played by hand at chosen virtual times: negotiation
 * both ways (§3.2), the TSval clock (§5.4: ms ticks plus a per-connection
 * offset from the seeded secret), the TSecr rules (§4.3: Last.ACK.sent,
 * the delayed ACK, a hole and the segment that fills it), RTTM (§4.1-4.2
 * with Appendix G's weights: exact SRTT, RTTVAR and RTO, also for
 * retransmitted data), PAWS (§5.3 R1: an old TSval dropped, counted and
 * answered; not for a RST; §5.5's 24 days), the payload of a full segment
 * (SND.MSS - 12), and the window scale shift kept from the SYN (§2.2).
 *
 * The peer's TSvals start 16 below 2^32, so they wrap in every test.
 */
#include "harness_tcp.h"

#include <errno.h>
#include <string.h>

#include "stack_var.h"

#define MS H_MS
#define SEC H_SEC
#define MSS HT_MSS
#define TS_MSS (HT_MSS - 12) /* data in a full segment with timestamps */
#define P0 0xfffffff0u       /* the peer's first TSval */

static struct h_env *
env(void **state)
{
    return ht_env(state, NULL);
}

/* Queue n bytes of a fixed pattern on c. */
static void
app_send(struct h_env *e, struct tcp_pcb *c, size_t n)
{
    uint8_t b[32768];

    assert_true(n <= sizeof(b));
    h_pattern(b, n, 11);
    assert_int_equal(tcp_send(e->s, c, b, n), n);
}

/* Our TSval at the current time. */
static uint32_t
our_ts(const struct h_env *e, const struct tcp_pcb *c)
{
    return (uint32_t)(e->now / 1000) + c->ts_off;
}

/* Recorded frame i carries timestamps TSval tsval (our clock now) and
 * TSecr tsecr; returns the frame's header. */
static struct tcp_repr
expect_ts(const struct h_env *e, size_t i, uint32_t tsval, uint32_t tsecr)
{
    struct ht_out o;

    ht_out(e, i, &o);
    if (!o.h.has_ts || o.h.tsval != tsval || o.h.tsecr != tsecr)
        fail_msg("frame %zu: ts %d tsval %u tsecr %u; want tsval %u tsecr %u", i,
                 o.h.has_ts, o.h.tsval, o.h.tsecr, tsval, tsecr);
    return o.h;
}

static void
expect_no_ts(const struct h_env *e, size_t i)
{
    struct ht_out o;

    ht_out(e, i, &o);
    assert_int_equal(o.h.has_ts, 0);
}

static void
expect_rtt(const struct tcp_pcb *c, uint32_t srtt, uint32_t rttvar, uint32_t rto)
{
    struct tcp_info_lite i = ht_info(c);

    if (i.rtt_us != srtt || i.rttvar_us != rttvar || i.rto_us != rto)
        fail_msg("srtt %u rttvar %u rto %u; want %u %u %u", i.rtt_us, i.rttvar_us,
                 i.rto_us, srtt, rttvar, rto);
}

/* ---- §3.2 negotiation ---- */

static void
test_passive_offered(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    /* the SYN,ACK answers with TSecr = the SYN's TSval (checked by the
     * harness); the peer's ACK of it carries P0 again */
    ht_passive_ts(&k, e, 0, 7, P0);
    assert_int_equal(k.c->ts_ok, 1);
    /* data: the delayed ACK carries our clock and echoes the data's TSval */
    k.ptsval = P0 + 5;
    ht_data(&k, 100);
    ht_nsent(e, 0);
    ht_at(e, e->now + 200 * MS);
    ht_nsent(e, 1);
    ht_expect(e, 0, TCP_ACK, k.iss + 1, k.pseq, -1, 0);
    expect_ts(e, 0, our_ts(e, k.c), P0 + 5);
    rec_clear(e->rec);
    k.ptsval = P0 + 6;
    ht_data(&k, 100);
    ht_data(&k, 100); /* the second segment: ACK at once */
    ht_nsent(e, 1);
    expect_ts(e, 0, our_ts(e, k.c), P0 + 6);
    rec_clear(e->rec);
    /* our data carries them too */
    app_send(e, k.c, 100);
    ht_nsent(e, 1);
    ht_expect(e, 0, TCP_ACK | TCP_PSH, k.iss + 1, k.pseq, -1, 100);
    expect_ts(e, 0, our_ts(e, k.c), P0 + 6);
    rec_clear(e->rec);
    /* and a keepalive probe (RFC 1122 §4.2.3.6) */
    ht_ack(&k, k.iss + 101);
    tcp_set_keepalive(e->s, k.c, 1, 10, 5, 3);
    ht_at(e, e->now + 10 * SEC);
    ht_nsent(e, 1);
    ht_expect(e, 0, TCP_ACK, k.iss + 100, k.pseq, -1, 0);
    expect_ts(e, 0, our_ts(e, k.c), P0 + 6);
}

static void
test_passive_not_offered(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_passive(&k, e, 0, 7); /* the SYN,ACK has no TSopt (checked) */
    assert_int_equal(k.c->ts_ok, 0);
    /* a TSopt on later segments is ignored: not echoed, no PAWS */
    k.ts = 1;
    k.ptsval = 1000;
    ht_data(&k, 100);
    k.ptsval = 10;
    ht_data(&k, 100);
    assert_int_equal(tcp_recv_avail(k.c), 200);
    assert_int_equal(h_stat(e, "tcp.rx_paws"), 0);
    ht_nsent(e, 1);
    expect_no_ts(e, 0);
    rec_clear(e->rec);
    /* full segments are SND.MSS long */
    app_send(e, k.c, 2 * MSS);
    ht_nsent(e, 2);
    for (size_t i = 0; i < 2; i++) {
        ht_expect(e, i, i ? TCP_ACK | TCP_PSH : TCP_ACK, k.iss + 1 + (uint32_t)i * MSS,
                  k.pseq, -1, MSS);
        expect_no_ts(e, i);
    }
}

static void
test_active_offered(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    /* our SYN offers them with TSecr 0, the SYN,ACK answers, our ACK
     * echoes its TSval (all checked by the harness) */
    ht_active_ts(&k, e, 7, 100 * MS, P0);
    assert_int_equal(k.c->ts_ok, 1);
    expect_rtt(k.c, 100000, 50000, 300000); /* the SYN was timed */
    app_send(e, k.c, 100);
    ht_nsent(e, 1);
    ht_expect(e, 0, TCP_ACK | TCP_PSH, k.iss + 1, k.pseq, -1, 100);
    expect_ts(e, 0, our_ts(e, k.c), P0);
}

static void
test_active_not_offered(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_active(&k, e, 7, 100 * MS); /* our ACK has no TSopt (checked) */
    assert_int_equal(k.c->ts_ok, 0);
    app_send(e, k.c, 100);
    ht_nsent(e, 1);
    expect_no_ts(e, 0);
}

/* ---- §5.4 the clock ---- */

/* The SYN's TSval for a connection opened at H_T0 on an engine with seed. */
static uint32_t
syn_tsval(uint64_t seed, uint16_t *lport)
{
    struct stack_config cfg;
    void *st = NULL;
    struct ht_out o;

    h_config(&cfg);
    cfg.seed = seed;
    struct h_env *e = ht_env(&st, &cfg);
    struct tcp_pcb *c = tcp_open(e->s, (void *)3);
    assert_int_equal(tcp_connect(e->s, c, H_IP_PEER, HT_PEER_PORT), 0);
    ht_out(e, 0, &o);
    assert_int_equal(o.h.has_ts, 1);
    *lport = o.h.sport;
    h_env_free(e);
    return o.h.tsval;
}

static void
test_tsval_clock(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_active_ts(&k, e, HT_NOWS, 100 * MS, P0);
    /* one tick a millisecond, from the engine's clock, plus the offset */
    uint64_t t1 = e->now;
    uint32_t ts1 = k.ptsecr; /* our ACK's TSval */
    assert_int_equal(ts1, (uint32_t)(t1 / 1000) + k.c->ts_off);
    ht_at(e, t1 + 1234567);
    app_send(e, k.c, 10);
    ht_nsent(e, 1);
    expect_ts(e, 0, ts1 + (uint32_t)((t1 + 1234567) / 1000 - t1 / 1000), P0);
    /* the offset hides the clock: another connection has another one */
    struct ht_conn k2;
    ht_active_ts(&k2, e, HT_NOWS, 0, P0);
    assert_int_not_equal(k2.c->ts_off, k.c->ts_off);
    /* and it comes from the seeded secret: the same seed gives the same
     * TSval (and port), another seed another */
    uint16_t p1, p2, p3;
    uint32_t a = syn_tsval(1, &p1), b = syn_tsval(1, &p2), c = syn_tsval(2, &p3);
    assert_int_equal(a, b);
    assert_int_equal(p1, p2);
    assert_int_not_equal(a, c);
}

/* ---- §4.3 TSecr ---- */

static void
test_tsecr_rules(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t b[100];

    ht_passive_ts(&k, e, 0, HT_NOWS, P0);
    /* (2) and the delayed ACK of (3)(A): A and B in order, one ACK; it
     * echoes A's TSval (B's SEG.SEQ is beyond Last.ACK.sent) */
    k.ptsval = P0 + 10;
    ht_data(&k, 100);
    k.ptsval = P0 + 20;
    ht_data(&k, 100);
    ht_nsent(e, 1);
    expect_ts(e, 0, our_ts(e, k.c), P0 + 10);
    rec_clear(e->rec);
    /* the next in-order segment starts at Last.ACK.sent: it is taken */
    k.ptsval = P0 + 30;
    ht_data(&k, 100);
    ht_at(e, e->now + 200 * MS); /* the delayed ACK */
    ht_nsent(e, 1);
    expect_ts(e, 0, our_ts(e, k.c), P0 + 30);
    rec_clear(e->rec);
    /* (3)(B), a hole: the out-of-order segment is not taken; its
     * duplicate ACK echoes the last segment that advanced the window */
    tcp_seq hole = k.pseq;
    ht_peer_bytes(b, k.pdata + 100, 100);
    k.ptsval = P0 + 50;
    ht_send_at(&k, TCP_ACK, hole + 100, k.pack, b, 100);
    ht_nsent(e, 1);
    ht_expect(e, 0, TCP_ACK, k.iss + 1, hole, -1, 0);
    expect_ts(e, 0, our_ts(e, k.c), P0 + 30);
    rec_clear(e->rec);
    /* the segment that fills the hole is at Last.ACK.sent: its TSval is
     * echoed at once */
    k.ptsval = P0 + 60;
    ht_data(&k, 100);
    k.pseq += 100;
    k.pdata += 100;
    ht_nsent(e, 1);
    ht_expect(e, 0, TCP_ACK, k.iss + 1, k.pseq, -1, 0);
    expect_ts(e, 0, our_ts(e, k.c), P0 + 60);
    assert_int_equal(k.c->rcv_nxt, k.pseq);
    /* an equal TSval is no older: taken, and the data with it */
    rec_clear(e->rec);
    ht_data(&k, 100);
    assert_int_equal(tcp_recv_avail(k.c), 600);
    assert_int_equal(h_stat(e, "tcp.rx_paws"), 0);
}

/* ---- §4.1-4.2 RTTM ---- */

static void
test_rttm_every_ack(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    struct ht_out o;

    ht_active_ts(&k, e, HT_NOWS, 100 * MS, P0);
    expect_rtt(k.c, 100000, 50000, 300000);
    tcp_seq s0 = k.iss + 1;
    uint64_t t = e->now;
    app_send(e, k.c, 4 * TS_MSS);
    ht_nsent(e, 4);
    ht_out(e, 0, &o);
    uint32_t ts = o.h.tsval;
    rec_clear(e->rec);
    /* 40 ms: the first two acknowledged, echoing their TSval. Appendix G:
     * a flight of 4 segments gives ceil(4 / 2) = 2 samples a round trip,
     * so alpha = 1/16, beta = 1/8:
     * RTTVAR = (7 * 50000 + |100000 - 40000|) / 8, SRTT = (15 * 100000 +
     * 40000) / 16, RTO = SRTT + 4 RTTVAR */
    ht_at(e, t + 40 * MS);
    k.ptsecr = ts;
    ht_ack(&k, s0 + 2 * TS_MSS);
    expect_rtt(k.c, 96250, 51250, 301250);
    /* 60 ms: the rest; a flight of 2: one sample a round trip (RFC 6298's
     * 1/8 and 1/4). The timing sampler gives nothing more. */
    ht_at(e, t + 60 * MS);
    ht_ack(&k, s0 + 4 * TS_MSS);
    expect_rtt(k.c, 91718, 47500, 281718);
    /* sent and acknowledged within one tick: half a tick, 500 µs */
    app_send(e, k.c, 100);
    ht_out(e, 0, &o);
    k.ptsecr = o.h.tsval;
    ht_ack(&k, s0 + 4 * TS_MSS + 100);
    expect_rtt(k.c, 80315, 58429, 314031);
    /* a TSecr of 0 is no echo (§3.2): the timing sampler of RFC 6298
     * (one segment a round trip) measures instead, 10 ms with 1/8 and 1/4 */
    app_send(e, k.c, 100);
    ht_at(e, e->now + 10 * MS);
    k.ptsecr = 0;
    ht_ack(&k, s0 + 4 * TS_MSS + 200);
    expect_rtt(k.c, 71525, 61400, 317125);
}

static void
test_rttm_retransmitted(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    struct ht_out o;

    ht_active_ts(&k, e, HT_NOWS, 100 * MS, P0);
    tcp_seq s0 = k.iss + 1;
    uint64_t t = e->now;
    app_send(e, k.c, 100);
    rec_clear(e->rec);
    /* the RTO (300 ms) sends it again, with a new TSval */
    ht_at(e, t + 300 * MS);
    ht_nsent(e, 1);
    ht_expect(e, 0, TCP_ACK | TCP_PSH, s0, k.pseq, -1, 100);
    ht_out(e, 0, &o);
    assert_int_equal(o.h.tsval, our_ts(e, k.c));
    /* its ACK echoes that TSval: a sample of 50 ms, where Karn's rule
     * would have given none (test_rto_estimator) */
    ht_at(e, t + 350 * MS);
    k.ptsecr = o.h.tsval;
    ht_ack(&k, s0 + 100);
    expect_rtt(k.c, 93750, 50000, 293750);
    assert_int_equal(k.c->backoff, 0);
}

/* ---- §5 PAWS ---- */

static void
test_paws(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t b[100];

    ht_passive_ts(&k, e, 0, HT_NOWS, P0);
    k.ptsval = P0 + 20; /* wraps to 4 */
    ht_data(&k, 100);
    assert_int_equal(k.c->ts_recent, 4);
    ht_at(e, e->now + 200 * MS);
    rec_clear(e->rec);
    /* R1: new data, but a TSval older than TS.Recent (modulo 2^32):
     * dropped, counted, answered with an ACK at once */
    k.ptsval = P0 + 10;
    ht_peer_bytes(b, k.pdata, 100);
    ht_send(&k, TCP_ACK | TCP_PSH, b, 100);
    assert_int_equal(h_stat(e, "tcp.rx_paws"), 1);
    struct tcp_repr h = ht_only(e, TCP_ACK, k.iss + 1, k.pseq, -1, 0);
    assert_int_equal(h.tsecr, 4);
    assert_int_equal(k.c->rcv_nxt, k.pseq);
    assert_int_equal(tcp_recv_avail(k.c), 100);
    assert_int_equal(k.c->ts_recent, 4);
    /* DEVIATION(rfc7323): §3.2's SHOULD drop a segment without TSopt is
     * not followed (nor by Linux): it is taken */
    k.ts = 0;
    ht_data(&k, 100);
    assert_int_equal(tcp_recv_avail(k.c), 200);
    k.ts = 1;
    /* a RST is not subject to PAWS: at RCV.NXT it resets */
    k.ptsval = P0 + 10;
    ht_send(&k, TCP_RST, NULL, 0);
    assert_int_equal(k.c->state, TCP_CLOSED);
    assert_int_equal(tcp_take_error(k.c), ECONNRESET);
    assert_int_equal(h_stat(e, "tcp.rx_paws"), 1);
}

static void
test_paws_24_days(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t b[100];

    ht_passive_ts(&k, e, 0, HT_NOWS, P0);
    k.ptsval = P0 + 100;
    ht_data(&k, 100);
    uint64_t t = e->now;
    ht_peer_bytes(b, k.pdata, 100);
    k.ptsval = P0 + 50;
    /* idle just under 24 days: still an old duplicate */
    ht_at(e, t + TCP_PAWS_IDLE_US - SEC);
    ht_send(&k, TCP_ACK | TCP_PSH, b, 100);
    assert_int_equal(h_stat(e, "tcp.rx_paws"), 1);
    assert_int_equal(tcp_recv_avail(k.c), 100);
    /* §5.5: over 24 days, TS.Recent is invalid: the segment is taken and
     * its TSval becomes TS.Recent */
    ht_at(e, t + TCP_PAWS_IDLE_US + SEC);
    ht_send(&k, TCP_ACK | TCP_PSH, b, 100);
    assert_int_equal(h_stat(e, "tcp.rx_paws"), 1);
    assert_int_equal(tcp_recv_avail(k.c), 200);
    assert_int_equal(k.c->ts_recent, P0 + 50);
    assert_int_equal(k.c->ts_recent_ok, 1);
}

/* ---- the segment size ---- */

static void
test_payload_mss_minus_12(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_active_ts(&k, e, HT_NOWS, 100 * MS, P0);
    tcp_seq s0 = k.iss + 1;
    /* RFC 7323 §3.2, RFC 6691: 12 bytes of options on every segment, so
     * 1448 bytes of data keep the frame within the 1500-byte MTU. The
     * initial window (10 SMSS = 14600 bytes) holds 10 of them; the 120
     * bytes left over wait (sender SWS avoidance). */
    app_send(e, k.c, 20 * TS_MSS);
    ht_nsent(e, 10);
    for (size_t i = 0; i < 10; i++) {
        struct h_out ip;
        ht_expect(e, i, TCP_ACK, s0 + (uint32_t)i * TS_MSS, k.pseq, -1, TS_MSS);
        h_out_ip(e->rec, i, &ip);
        assert_int_equal(20 + ip.data_len, 1500);
    }
    /* the retransmission too */
    rec_clear(e->rec);
    ht_at(e, k.c->t_rexmt);
    ht_nsent(e, 1);
    ht_expect(e, 0, TCP_ACK, s0, k.pseq, -1, TS_MSS);
    /* TCP_INFO's snd_mss is what a segment carries, as Linux's mss_cache */
    assert_int_equal(ht_info(k.c).snd_mss, TS_MSS);
}

/* ---- §2.2 window scale ---- */

/* A bare ACK from the peer with window field wnd and a window scale
 * option of shift ws, not on a SYN. */
static void
ack_with_ws(struct ht_conn *k, uint16_t wnd, int ws)
{
    struct ht_seg g = {.sport = k->pport, .dport = k->lport, .seq = k->pseq,
                       .ack = k->pack, .flags = TCP_ACK, .wnd = wnd, .wscale = ws};

    ht_input(k->e, &g);
}

static void
test_wscale_kept(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k, a;

    /* passive: the peer's SYN said 7; a later option saying 2 is ignored */
    ht_passive(&k, e, 0, 7);
    assert_int_equal(k.c->snd_wnd, 65535u << 7);
    ack_with_ws(&k, 100, 2);
    assert_int_equal(k.c->snd_wscale, 7);
    assert_int_equal(k.c->snd_wnd, 100u << 7);
    assert_int_equal(k.c->rcv_wscale, 3);
    ht_nsent(e, 0);
    /* active: the SYN,ACK said 7; an option saying 0 later changes nothing */
    ht_active(&a, e, 7, 10 * MS);
    a.pwnd = 1000;
    ht_ack(&a, a.iss + 1);
    assert_int_equal(a.c->snd_wnd, 1000u << 7);
    ack_with_ws(&a, 2000, 0);
    assert_int_equal(a.c->snd_wscale, 7);
    assert_int_equal(a.c->snd_wnd, 2000u << 7);
    /* and our segments say the shift only in a SYN */
    app_send(e, a.c, 100);
    struct tcp_repr h = ht_only(e, TCP_ACK | TCP_PSH, a.iss + 1, a.pseq, -1, 100);
    assert_int_equal(h.has_wscale, 0);
}

#define T(f) cmocka_unit_test_teardown(f, h_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_passive_offered),
        T(test_passive_not_offered),
        T(test_active_offered),
        T(test_active_not_offered),
        T(test_tsval_clock),
        T(test_tsecr_rules),
        T(test_rttm_every_ack),
        T(test_rttm_retransmitted),
        T(test_paws),
        T(test_paws_24_days),
        T(test_payload_mss_minus_12),
        T(test_wscale_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
