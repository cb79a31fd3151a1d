/*
 * test_tcp_pmtu.c - path MTU discovery for TCP (RFC 1191) and ICMP errors
 * quoting TCP segments (RFC 5927), one engine on the recording device,
 * the peer and a router played by hand at chosen virtual times: DF on
 * TCP and not on UDP or ICMP; "fragmentation needed" lowering SND.MSS and
 * resending what was in flight at once, cwnd untouched; quotes outside
 * [SND.UNA, SND.MAX), of no connection or too short ignored and counted;
 * the 576 floor (and DF cleared below it); an MTU not below the estimate
 * ignored; RFC 1191 §5's plateaus for a router that reports 0; the
 * black-hole fallback after repeated timeouts, alone and then between two
 * engines over a link that silently drops big frames.
 */
#include "harness_tcp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/cksum.h"
#include "proto/ipv4.h"
#include "proto/udp.h"
#include "stack_var.h"

#define MS H_MS
#define SEC H_SEC
#define MSS HT_MSS
#define H_IP_ROUTER 0x0a0000feu /* 10.0.0.254: the router that complains */
#define QUOTE_MIN 28            /* RFC 792: the IP header and 8 bytes */

static struct h_env *
env(void **state)
{
    return ht_env(state, NULL);
}

/* Queue n bytes of a fixed pattern on c. */
static void
app_send(struct h_env *e, struct tcp_pcb *c, size_t n)
{
    uint8_t *b = malloc(n);

    assert_non_null(b);
    h_pattern(b, n, 11);
    assert_int_equal(tcp_send(e->s, c, b, n), n);
    free(b);
}

/* The IP header of recorded frame i has DF set. */
static int
df_of(const struct h_env *e, size_t i)
{
    struct h_out o;

    h_out_ip(e->rec, i, &o);
    return (o.ip.frag & IPV4_FLAG_DF) != 0;
}

/* The first len bytes of recorded frame i's IP datagram, as a router
 * would quote them. */
static void
quote_of(const struct h_env *e, size_t i, uint8_t *q, size_t len)
{
    assert_true(i < e->rec->n);
    assert_true(e->rec->f[i].len >= ETH_HDR_LEN + len);
    memcpy(q, e->rec->f[i].data + ETH_HDR_LEN, len);
}

/* ICMP destination unreachable (code) from the router, next-hop MTU mtu,
 * quoting q_len bytes at q. */
static void
unreach_in(struct h_env *e, uint8_t code, uint16_t mtu, const uint8_t *q, size_t q_len)
{
    uint8_t m[600], f[700];

    assert_true(ICMP_HDR_LEN + q_len <= sizeof(m));
    memset(m, 0, ICMP_HDR_LEN);
    m[0] = ICMP_DEST_UNREACH;
    m[1] = code;
    be16_put(m + 6, mtu);
    memcpy(m + ICMP_HDR_LEN, q, q_len);
    be16_put(m + 2, cksum(m, ICMP_HDR_LEN + q_len));
    h_input(e, f,
            h_ip_frame(f, H_IP_ROUTER, H_IP_US, IP_PROTO_ICMP, 9, 0, m,
                       ICMP_HDR_LEN + q_len));
}

static void
needfrag_in(struct h_env *e, uint16_t mtu, const uint8_t *q, size_t q_len)
{
    unreach_in(e, ICMP_UNREACH_NEEDFRAG, mtu, q, q_len);
}

/* An established connection (active open, no window scale) that has
 * sent n full segments, recorded and not yet acknowledged. */
static void
open_with_flight(struct ht_conn *k, struct h_env *e, int n)
{
    ht_active(k, e, HT_NOWS, 100 * MS);
    app_send(e, k->c, (size_t)n * MSS);
    ht_nsent(e, (size_t)n);
    for (int i = 0; i < n; i++)
        ht_expect(e, (size_t)i, TCP_ACK | (i == n - 1 ? TCP_PSH : 0),
                  k->iss + 1 + (uint32_t)(i * MSS), k->pseq, -1, MSS);
}

/* Exactly n frames were sent: len bytes of k's data from seq on, cut in
 * segments of mss (the last one shorter, with PSH). */
static void
expect_cut(struct ht_conn *k, size_t n, tcp_seq seq, size_t len, size_t mss)
{
    ht_nsent(k->e, n);
    for (size_t i = 0; i < n; i++) {
        size_t want = len - i * mss < mss ? len - i * mss : mss;
        uint8_t fl = TCP_ACK | (i == n - 1 ? TCP_PSH : 0);
        ht_expect(k->e, i, fl, seq + (uint32_t)(i * mss), k->pseq, -1, want);
    }
}

/* ---- DF ---- */

static void
test_pmtu_df(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    /* RFC 1191 §3: every TCP segment (the SYN: test_pmtu_handshake) */
    ht_active(&k, e, HT_NOWS, 10 * MS);
    app_send(e, k.c, 2 * MSS);
    ht_nsent(e, 2);
    for (size_t i = 0; i < 2; i++)
        assert_true(df_of(e, i));
    /* and a RST for a segment of no connection */
    rec_clear(e->rec);
    ht_raw(e, 5555, 81, TCP_ACK, 1, 1, NULL, 0);
    ht_nsent(e, 1);
    assert_true(df_of(e, 0));
    ht_expect(e, 0, TCP_RST, 1, 0, -1, 0);

    /* UDP keeps DF clear, small or fragmented */
    rec_clear(e->rec);
    struct udp_pcb *u = udp_open(e->s, NULL);
    uint8_t *big = calloc(1, 4000);
    assert_non_null(big);
    assert_int_equal(udp_bind(e->s, u, 0, 4242), 0);
    assert_int_equal(udp_sendto(e->s, u, big, 100, H_IP_PEER, 9), 100);
    assert_int_equal(udp_sendto(e->s, u, big, 4000, H_IP_PEER, 9), 4000);
    assert_int_equal(e->rec->n, 1 + 3);
    for (size_t i = 0; i < e->rec->n; i++)
        assert_false(df_of(e, i));
    assert_int_equal(h_stat(e, "ipv4.tx_fragments"), 3);
    free(big);
    udp_close(e->s, u);
    /* so does ICMP (an echo reply) */
    rec_clear(e->rec);
    uint8_t m[64], f[128];
    size_t n = h_echo(m, ICMP_ECHO_REQUEST, 1, 1, 32);
    h_input(e, f, h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_ICMP, 5, 0, m, n));
    assert_int_equal(e->rec->n, 1);
    assert_false(df_of(e, 0));

    /* a DF datagram over the link MTU is refused, never fragmented */
    rec_clear(e->rec);
    struct pkb *p = pkb_alloc(&e->s->pool, 1481);
    assert_non_null(p);
    pkb_put(p, 1481);
    assert_int_equal(ipv4_output(e->s, p, H_IP_PEER, IP_PROTO_UDP, IPV4_OUT_DF),
                     -EMSGSIZE);
    assert_int_equal(h_stat(e, "ipv4.tx_df_too_big"), 1);
    assert_int_equal(e->rec->n, 0);
    assert_int_equal(h_pool_in_use(e), 0);
}

/* ---- fragmentation needed ---- */

static void
test_pmtu_needfrag(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t q[QUOTE_MIN];

    open_with_flight(&k, e, 4);
    tcp_seq s0 = k.iss + 1;
    struct tcp_info_lite before = ht_info(k.c);
    assert_int_equal(before.cwnd, 10 * MSS);
    assert_int_equal(k.c->pmtu, 1500);
    uint64_t rexmt = k.c->t_rexmt;

    /* a router on the way takes 1200 bytes; it quotes the second segment */
    quote_of(e, 1, q, sizeof(q));
    rec_clear(e->rec);
    ht_at(e, e->now + 30 * MS);
    needfrag_in(e, 1200, q, sizeof(q));
    assert_int_equal(k.c->pmtu, 1200);
    assert_int_equal(k.c->snd_mss, 1160);
    assert_int_equal(ht_info(k.c).snd_mss, 1160);
    /* everything in flight again, at once, in segments of 1160 */
    expect_cut(&k, 6, s0, 4 * MSS, 1160);
    for (size_t i = 0; i < 6; i++) {
        assert_true(df_of(e, i));
        assert_int_equal(e->rec->f[i].at_us, e->now);
    }
    /* not congestion: cwnd and ssthresh stay; the timer restarted */
    assert_int_equal(ht_info(k.c).cwnd, before.cwnd);
    assert_int_equal(ht_info(k.c).ssthresh, before.ssthresh);
    assert_true(k.c->t_rexmt > rexmt);
    assert_int_equal(h_stat(e, "tcp.pmtu_lowered"), 1);
    assert_int_equal(h_stat(e, "tcp.retransmitted_segs"), 6);
    assert_int_equal(h_stat(e, "tcp.rto_expired"), 0);

    /* the same news again (a router sends one per dropped datagram) */
    rec_clear(e->rec);
    needfrag_in(e, 1200, q, sizeof(q));
    ht_nsent(e, 0);
    assert_int_equal(h_stat(e, "tcp.rx_icmp_pmtu_stale"), 1);

    /* the peer has it all; new data leaves in segments of 1160 */
    ht_at(e, e->now + 50 * MS);
    ht_ack(&k, s0 + 4 * MSS);
    rec_clear(e->rec);
    app_send(e, k.c, 3 * 1160);
    expect_cut(&k, 3, s0 + 4 * MSS, 3 * 1160, 1160);
    for (size_t i = 0; i < 3; i++)
        assert_true(df_of(e, i));
    assert_int_equal(k.c->state, TCP_ESTABLISHED);
}

/* A quote of the whole segment (RFC 1812 §4.3.2.3: up to 576 bytes)
 * works the same, with the MTU in the last segment in flight. */
static void
test_pmtu_long_quote(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t q[548];

    open_with_flight(&k, e, 2);
    quote_of(e, 1, q, sizeof(q));
    rec_clear(e->rec);
    needfrag_in(e, 1400, q, sizeof(q));
    assert_int_equal(k.c->snd_mss, 1360);
    expect_cut(&k, 3, k.iss + 1, 2 * MSS, 1360);
}

static void
test_pmtu_bad_quotes(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t q[QUOTE_MIN], bad[QUOTE_MIN];

    open_with_flight(&k, e, 2);
    tcp_seq s0 = k.iss + 1;
    /* the peer acknowledges the first segment: SND.UNA = s0 + MSS */
    quote_of(e, 0, q, sizeof(q));
    ht_ack(&k, s0 + MSS);
    rec_clear(e->rec);

    /* RFC 5927 §4.1: below SND.UNA (acknowledged already) */
    needfrag_in(e, 1200, q, sizeof(q));
    /* at SND.MAX, and far beyond it */
    memcpy(bad, q, sizeof(bad));
    be32_put(bad + 24, s0 + 2 * MSS);
    needfrag_in(e, 1200, bad, sizeof(bad));
    be32_put(bad + 24, s0 + 0x40000000u);
    needfrag_in(e, 1200, bad, sizeof(bad));
    assert_int_equal(h_stat(e, "tcp.rx_icmp_bad_seq"), 3);
    /* of no connection: another port of the peer */
    memcpy(bad, q, sizeof(bad));
    be32_put(bad + 24, s0 + MSS);
    be16_put(bad + 22, HT_PEER_PORT + 1);
    needfrag_in(e, 1200, bad, sizeof(bad));
    assert_int_equal(h_stat(e, "tcp.rx_icmp_no_conn"), 1);
    /* too short for the sequence number */
    memcpy(bad, q, sizeof(bad));
    be32_put(bad + 24, s0 + MSS);
    needfrag_in(e, 1200, bad, QUOTE_MIN - 1);
    assert_int_equal(h_stat(e, "tcp.rx_icmp_short"), 1);
    /* none of them changed anything or sent anything */
    ht_nsent(e, 0);
    assert_int_equal(k.c->snd_mss, MSS);
    assert_int_equal(k.c->pmtu, 1500);
    assert_int_equal(h_stat(e, "tcp.pmtu_lowered"), 0);
    assert_int_equal(h_stat(e, "icmp.rx_errors"), 5);

    /* another error for a segment in flight is a soft error (RFC 1122
     * §4.2.3.9): counted, the connection goes on */
    unreach_in(e, 1, 0, bad, sizeof(bad));
    assert_int_equal(h_stat(e, "tcp.rx_icmp_soft"), 1);
    assert_int_equal(k.c->state, TCP_ESTABLISHED);
    assert_int_equal(tcp_take_error(k.c), 0);
    ht_nsent(e, 0);
    /* the quote is good: the MTU is taken */
    needfrag_in(e, 1200, bad, sizeof(bad));
    assert_int_equal(k.c->snd_mss, 1160);
    expect_cut(&k, 2, s0 + MSS, MSS, 1160);
}

/* In the handshake a "fragmentation needed" cannot be true (a SYN is 44
 * bytes): ignored, not the hard error other unreachables are there. */
static void
test_pmtu_handshake(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t q[QUOTE_MIN];

    ht_connect(&k, e, HT_PEER_PORT);
    /* the SYN went; ht_connect cleared it: send it again to quote it */
    ht_at(e, k.c->t_rexmt);
    ht_nsent(e, 1);
    ht_expect(e, 0, TCP_SYN, k.iss, 0, -1, 0);
    assert_true(df_of(e, 0)); /* RFC 1191 §3: the SYN too */
    quote_of(e, 0, q, sizeof(q));
    rec_clear(e->rec);
    needfrag_in(e, 576, q, sizeof(q));
    assert_int_equal(h_stat(e, "tcp.rx_icmp_pmtu_handshake"), 1);
    assert_int_equal(k.c->state, TCP_SYN_SENT);
    assert_int_equal(k.c->pmtu, 1500);
    /* port unreachable for the SYN: refused (RFC 1122 §4.2.3.9) */
    unreach_in(e, ICMP_UNREACH_PORT, 0, q, sizeof(q));
    assert_int_equal(k.c->state, TCP_CLOSED);
    assert_int_equal(tcp_take_error(k.c), ECONNREFUSED);
    ht_nsent(e, 0);
}

static void
test_pmtu_floor(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t q[QUOTE_MIN];

    open_with_flight(&k, e, 1);
    quote_of(e, 0, q, sizeof(q));
    rec_clear(e->rec);
    /* 300 is below the 576 we go down to: MSS 536, and DF off so that
     * the router can fragment what is still too big for it */
    needfrag_in(e, 300, q, sizeof(q));
    assert_int_equal(k.c->pmtu, 576);
    assert_int_equal(k.c->snd_mss, 536);
    assert_int_equal(h_stat(e, "tcp.pmtu_clamped"), 1);
    expect_cut(&k, 3, k.iss + 1, MSS, 536);
    for (size_t i = 0; i < 3; i++)
        assert_false(df_of(e, i));
    /* never lower, whatever comes next */
    rec_clear(e->rec);
    needfrag_in(e, 68, q, sizeof(q));
    assert_int_equal(k.c->snd_mss, 536);
    assert_int_equal(h_stat(e, "tcp.pmtu_clamped"), 2);
    ht_nsent(e, 0);
}

static void
test_pmtu_not_lower(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t q[QUOTE_MIN];

    open_with_flight(&k, e, 2);
    quote_of(e, 0, q, sizeof(q));
    rec_clear(e->rec);
    /* the link's own MTU, and above it: not news */
    needfrag_in(e, 1500, q, sizeof(q));
    needfrag_in(e, 9000, q, sizeof(q));
    assert_int_equal(h_stat(e, "tcp.rx_icmp_pmtu_stale"), 2);
    ht_nsent(e, 0);
    assert_int_equal(k.c->snd_mss, MSS);
    /* after a drop to 1000, 1200 does not raise it again */
    needfrag_in(e, 1000, q, sizeof(q));
    assert_int_equal(k.c->snd_mss, 960);
    rec_clear(e->rec);
    needfrag_in(e, 1200, q, sizeof(q));
    assert_int_equal(k.c->snd_mss, 960);
    assert_int_equal(k.c->pmtu, 1000);
    assert_int_equal(h_stat(e, "tcp.rx_icmp_pmtu_stale"), 3);
    ht_nsent(e, 0);
}

/* A peer that offered a small MSS: the path MTU is noted, SND.MSS is
 * already below it, nothing needs to go again. */
static void
test_pmtu_peer_mss_smaller(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t q[QUOTE_MIN];

    ht_connect(&k, e, HT_PEER_PORT);
    struct ht_seg sa = {.sport = k.pport,
                        .dport = k.lport,
                        .seq = k.pseq,
                        .ack = k.iss + 1,
                        .flags = TCP_SYN | TCP_ACK,
                        .wnd = 65535,
                        .mss = 900,
                        .wscale = HT_NOWS};
    ht_input(e, &sa);
    k.pseq++;
    assert_int_equal(k.c->snd_mss, 900);
    rec_clear(e->rec);
    app_send(e, k.c, 900);
    ht_nsent(e, 1);
    quote_of(e, 0, q, sizeof(q));
    rec_clear(e->rec);
    needfrag_in(e, 1200, q, sizeof(q));
    assert_int_equal(k.c->pmtu, 1200);
    assert_int_equal(k.c->snd_mss, 900);
    ht_nsent(e, 0);
}

/* RFC 1191 §5: a router that reports 0 (before RFC 1191): the plateau
 * (§7) below the quoted datagram's total length. */
static void
test_pmtu_plateau(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t q[QUOTE_MIN];

    open_with_flight(&k, e, 2);
    quote_of(e, 0, q, sizeof(q));
    assert_int_equal(be16_get(q + 2), 1500);
    rec_clear(e->rec);
    needfrag_in(e, 0, q, sizeof(q));
    assert_int_equal(k.c->pmtu, 1492);
    assert_int_equal(k.c->snd_mss, 1452);
    expect_cut(&k, 3, k.iss + 1, 2 * MSS, 1452);
    /* a resent 1492-byte datagram is refused too: 1006 */
    quote_of(e, 0, q, sizeof(q));
    assert_int_equal(be16_get(q + 2), 1492);
    rec_clear(e->rec);
    needfrag_in(e, 0, q, sizeof(q));
    assert_int_equal(k.c->pmtu, 1006);
    assert_int_equal(k.c->snd_mss, 966);
    /* then 1006: the next plateau, 508, is below the floor */
    quote_of(e, 0, q, sizeof(q));
    assert_int_equal(be16_get(q + 2), 1006);
    rec_clear(e->rec);
    needfrag_in(e, 0, q, sizeof(q));
    assert_int_equal(k.c->pmtu, 576);
    assert_int_equal(k.c->snd_mss, 536);
    assert_int_equal(h_stat(e, "tcp.pmtu_lowered"), 3);
    assert_int_equal(h_stat(e, "tcp.pmtu_clamped"), 1);
}

/* ---- the black-hole fallback ---- */

static void
test_pmtu_blackhole(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    open_with_flight(&k, e, 2);
    tcp_seq s0 = k.iss + 1;
    /* nothing comes back: the first two timeouts resend a full segment */
    for (int i = 0; i < 2; i++) {
        rec_clear(e->rec);
        ht_at(e, k.c->t_rexmt);
        ht_nsent(e, 1);
        ht_expect(e, 0, TCP_ACK, s0, k.pseq, -1, MSS);
    }
    assert_int_equal(h_stat(e, "tcp.pmtu_blackhole"), 0);
    /* the third (TCP_BLACKHOLE_RTOS): 1024, as Linux's tcp_base_mss */
    rec_clear(e->rec);
    ht_at(e, k.c->t_rexmt);
    assert_int_equal(k.c->snd_mss, 1024);
    assert_int_equal(k.c->pmtu, 1064);
    ht_nsent(e, 1);
    ht_expect(e, 0, TCP_ACK, s0, k.pseq, -1, 1024);
    assert_true(df_of(e, 0));
    /* each further one halves it, down to 536 and no lower */
    rec_clear(e->rec);
    ht_at(e, k.c->t_rexmt);
    assert_int_equal(k.c->snd_mss, 536);
    ht_expect(e, 0, TCP_ACK, s0, k.pseq, -1, 536);
    rec_clear(e->rec);
    ht_at(e, k.c->t_rexmt);
    assert_int_equal(k.c->snd_mss, 536);
    assert_int_equal(h_stat(e, "tcp.pmtu_blackhole"), 2);
    assert_int_equal(h_stat(e, "tcp.rto_expired"), 5);
    /* the small segments get through: the transfer goes on at 536 */
    ht_ack(&k, s0 + 536);
    assert_int_equal(k.c->backoff, 0);
    assert_int_equal(k.c->snd_mss, 536);
}

/* Random loss also makes three timeouts in a row. The fallback is undone
 * by the first sign that a segment sent big before it got through: here
 * an ACK echoing the TSval of the first, full-sized transmission (the
 * copies were lost, or the ACKs of them). An echo of a copy sent after
 * the fallback proves nothing. */
static void
test_pmtu_blackhole_undone(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_active_ts(&k, e, HT_NOWS, 100 * MS, 1000);
    const uint32_t seg = MSS - 12; /* a full segment beside the timestamps */
    uint32_t first_ts = tcp_ts_now(e->s, k.c);
    app_send(e, k.c, 2 * seg);
    ht_nsent(e, 2);
    tcp_seq s0 = k.iss + 1;
    for (int i = 0; i < TCP_BLACKHOLE_RTOS; i++)
        ht_at(e, k.c->t_rexmt);
    assert_int_equal(h_stat(e, "tcp.pmtu_blackhole"), 1);
    assert_int_equal(k.c->snd_mss, 1024);
    /* the ACK of a copy sent since: still 1024 */
    k.ptsecr = tcp_ts_now(e->s, k.c);
    ht_at(e, e->now + 100 * MS);
    rec_clear(e->rec);
    ht_ack(&k, s0 + 1024 - 12);
    assert_int_equal(k.c->snd_mss, 1024);
    assert_int_equal(h_stat(e, "tcp.pmtu_blackhole_undone"), 0);
    /* the first transmission of the second segment arrives late: its ACK
     * echoes a TSval from before the fallback */
    k.ptsecr = first_ts;
    ht_ack(&k, s0 + 2 * seg);
    assert_int_equal(h_stat(e, "tcp.pmtu_blackhole_undone"), 1);
    assert_int_equal(k.c->snd_mss, MSS);
    assert_int_equal(k.c->pmtu, 1500);
    rec_clear(e->rec);
    app_send(e, k.c, 2 * seg);
    ht_expect(e, 0, TCP_ACK, s0 + 2 * seg, k.pseq, -1, seg); /* full size again */
}

/* Timeouts of a segment shorter than SND.MSS say nothing of its size. */
static void
test_pmtu_blackhole_small(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_active(&k, e, HT_NOWS, 100 * MS);
    app_send(e, k.c, 100);
    for (int i = 0; i < 5; i++) {
        rec_clear(e->rec);
        ht_at(e, k.c->t_rexmt);
        ht_nsent(e, 1);
        ht_expect(e, 0, TCP_ACK | TCP_PSH, k.iss + 1, k.pseq, -1, 100);
    }
    assert_int_equal(k.c->snd_mss, MSS);
    assert_int_equal(h_stat(e, "tcp.pmtu_blackhole"), 0);
}

/* ---- two engines over a link that silently drops big frames ---- */

#define LINK_FRAME 9216
#define LINK_PORT 7
#define NARROW_IP_MAX 1200 /* the black hole: IP datagrams above it vanish */

/* A middleware that drops every frame with an IP datagram over max bytes,
 * telling no one. */
struct narrow_dev {
    struct dev dev;
    struct dev *inner;
    size_t max;
    uint64_t dropped;
};

static int
narrow_send(struct dev *d, const uint8_t *frame, size_t len, uint64_t now_us)
{
    struct narrow_dev *n = (struct narrow_dev *)d;

    if (len > ETH_HDR_LEN + n->max) {
        n->dropped++;
        return 0;
    }
    return dev_send(n->inner, frame, len, now_us);
}

static ssize_t
narrow_recv(struct dev *d, uint8_t *buf, size_t cap, uint64_t *ts_us)
{
    return dev_recv(((struct narrow_dev *)d)->inner, buf, cap, ts_us);
}

static void
narrow_close(struct dev *d)
{
    dev_close(((struct narrow_dev *)d)->inner);
    free(d);
}

static const struct dev_ops narrow_ops = {
    .send = narrow_send, .recv = narrow_recv, .fd = NULL, .close = narrow_close};

struct bh_link {
    struct stack *s[2]; /* [0] sends (10.0.0.1), [1] receives (10.0.0.2) */
    struct dev *d[2];
    struct narrow_dev *narrow;
    struct tcp_pcb *c[2], *l;
    uint8_t *src, *dst; /* what [0] sends, what [1] received */
    uint64_t now;
    uint8_t frame[LINK_FRAME];
};

static int
bh_teardown(void **state)
{
    struct bh_link *L = *state;

    if (!L)
        return 0;
    for (int i = 0; i < 2; i++) {
        stack_free(L->s[i]);
        dev_close(L->d[i]);
    }
    free(L->src);
    free(L->dst);
    free(L);
    *state = NULL;
    return 0;
}

/* Move the waiting frames, run the due timers, or jump to the next one. */
static void
bh_step(struct bh_link *L)
{
    int moved = 0;

    for (int i = 0; i < 2; i++) {
        uint64_t ts = L->now;
        ssize_t n = dev_recv(L->d[i], L->frame, sizeof(L->frame), &ts);
        if (n > 0) {
            stack_input(L->s[i], L->frame, (size_t)n, L->now);
            L->now += 10;
            moved = 1;
        }
    }
    if (!moved) {
        uint64_t a = stack_poll_at(L->s[0]), b = stack_poll_at(L->s[1]);
        uint64_t t = a < b ? a : b;
        assert_true(t != STACK_NEVER);
        if (t > L->now)
            L->now = t;
    }
    for (int i = 0; i < 2; i++)
        if (stack_poll_at(L->s[i]) <= L->now)
            stack_poll(L->s[i], L->now);
    if (L->now - H_T0 > 600 * SEC)
        fail_msg("stuck");
}

static struct bh_link *
bh_open(void **state)
{
    struct bh_link *L = *state = calloc(1, sizeof(*L));
    struct dev *lo[2];
    struct stack_config cfg;

    assert_non_null(L);
    L->now = H_T0;
    assert_int_equal(loop_pair(&lo[0], &lo[1]), 0);
    L->narrow = calloc(1, sizeof(*L->narrow));
    assert_non_null(L->narrow);
    *L->narrow = (struct narrow_dev){.dev = {.ops = &narrow_ops, .name = "narrow"},
                                     .inner = lo[0],
                                     .max = NARROW_IP_MAX};
    L->d[0] = &L->narrow->dev;
    L->d[1] = lo[1];
    for (int i = 0; i < 2; i++) {
        h_config(&cfg);
        cfg.seed = 200 + (uint64_t)i;
        cfg.arp_timeout_s = 1000000;
        if (i == 0) {
            memcpy(cfg.mac, h_mac_peer, 6);
            cfg.addr = H_IP_PEER;
        }
        L->s[i] = stack_new(&cfg, L->d[i]);
        assert_non_null(L->s[i]);
        stack_poll(L->s[i], L->now);
    }
    L->l = tcp_open(L->s[1], (void *)1);
    assert_int_equal(tcp_bind(L->s[1], L->l, 0, LINK_PORT), 0);
    assert_int_equal(tcp_listen(L->s[1], L->l, 4), 0);
    L->c[0] = tcp_open(L->s[0], (void *)2);
    assert_int_equal(tcp_connect(L->s[0], L->c[0], H_IP_US, LINK_PORT), 0);
    while (!L->c[1]) {
        bh_step(L);
        L->c[1] = tcp_accept(L->s[1], L->l, (void *)3);
    }
    return L;
}

static void
test_pmtu_blackhole_link(void **state)
{
    struct bh_link *L = bh_open(state);
    const size_t total = 256 * 1024;
    uint8_t *src = L->src = malloc(total), *dst = L->dst = malloc(total);
    size_t sent = 0, got = 0;

    assert_non_null(src);
    assert_non_null(dst);
    h_pattern(src, total, 5);
    assert_int_equal(L->c[0]->snd_mss, 1460);
    for (;;) {
        if (sent < total) {
            ssize_t r = tcp_send(L->s[0], L->c[0], src + sent, total - sent);
            if (r > 0)
                sent += (size_t)r;
        }
        ssize_t r = tcp_recv(L->s[1], L->c[1], dst + got, total - got);
        if (r > 0)
            got += (size_t)r;
        if (got == total)
            break;
        bh_step(L);
    }
    assert_memory_equal(dst, src, total);
    /* full segments vanished until the third timeout brought the MSS
     * to 1024 (1064-byte datagrams), which passes */
    assert_true(L->narrow->dropped > 0);
    assert_int_equal(L->c[0]->snd_mss, 1024);
    assert_int_equal(L->c[0]->pmtu, 1064);
    assert_int_equal(stats_get(stack_stats(L->s[0]), "tcp.pmtu_blackhole"), 1);
    /* at least the three that found the black hole; the last odd segment
     * can meet the peer's 200 ms delayed ACK and time out once more */
    assert_true(stats_get(stack_stats(L->s[0]), "tcp.rto_expired") >= TCP_BLACKHOLE_RTOS);
    assert_int_equal(L->c[0]->state, TCP_ESTABLISHED);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_pmtu_df, h_teardown),
        cmocka_unit_test_teardown(test_pmtu_needfrag, h_teardown),
        cmocka_unit_test_teardown(test_pmtu_long_quote, h_teardown),
        cmocka_unit_test_teardown(test_pmtu_bad_quotes, h_teardown),
        cmocka_unit_test_teardown(test_pmtu_handshake, h_teardown),
        cmocka_unit_test_teardown(test_pmtu_floor, h_teardown),
        cmocka_unit_test_teardown(test_pmtu_not_lower, h_teardown),
        cmocka_unit_test_teardown(test_pmtu_peer_mss_smaller, h_teardown),
        cmocka_unit_test_teardown(test_pmtu_plateau, h_teardown),
        cmocka_unit_test_teardown(test_pmtu_blackhole, h_teardown),
        cmocka_unit_test_teardown(test_pmtu_blackhole_small, h_teardown),
        cmocka_unit_test_teardown(test_pmtu_blackhole_undone, h_teardown),
        cmocka_unit_test_teardown(test_pmtu_blackhole_link, bh_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
