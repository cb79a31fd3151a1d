/*
 * test_tcp_wire.c - the TCP header (wire/tcp_hdr), sequence arithmetic
 * (core/seq.h) and the byte ring (core/ring): a real Linux SYN and RST
 * byte for byte, round trips, every malformed case (and the counter each
 * one bumps when it reaches the engine), comparisons across the wrap, ring
 * writes, peeks and drops across the end of the buffer, resizing.
 */
#include "harness.h"

#include <errno.h>
#include <string.h>

#include "core/bytes.h"
#include "core/cksum.h"
#include "core/ring.h"
#include "core/seq.h"
#include "proto/tcp.h"
#include "wire/tcp_hdr.h"

#define LO 0x7f000001u /* 127.0.0.1: the address of the captured segments */

/* Linux 6.18 `connect(127.0.0.1:5555)`, captured on lo by tcpdump: a SYN
 * with MSS 65495, SACK permitted, timestamps, NOP, window scale 10. The
 * capture shows the checksum before offload (0xfe30); 0xf272 is the value
 * tcpdump computes and the wire would carry. */
static const uint8_t linux_syn[40] = {
    0xd1, 0x16, 0x15, 0xb3, 0x09, 0x29, 0xc2, 0x7d, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
    0xff, 0xd7, 0xf2, 0x72, 0x00, 0x00, 0x02, 0x04, 0xff, 0xd7, 0x04, 0x02, 0x08, 0x0a,
    0xb2, 0x12, 0xf9, 0x08, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
};

/* The kernel's answer from the closed port (RFC 9293 §3.10.7.1). */
static const uint8_t linux_rst[20] = {
    0x15, 0xb3, 0xd1, 0x16, 0x00, 0x00, 0x00, 0x00, 0x09, 0x29,
    0xc2, 0x7e, 0x50, 0x14, 0x00, 0x00, 0xff, 0x5c, 0x00, 0x00,
};

/* Recompute the checksum of a segment a test has edited. */
static void
fix_cksum(uint8_t *b, size_t len, uint32_t src, uint32_t dst)
{
    be16_put(b + 16, 0);
    be16_put(b + 16, cksum_finish(cksum_add(
                         cksum_pseudo(src, dst, IP_PROTO_TCP, (uint16_t)len), b, len)));
}

static void
test_tcp_parse_linux_syn(void **state)
{
    (void)state;
    struct tcp_repr r;
    enum tcp_bad why;
    char s[96];

    assert_int_equal(tcp_parse(linux_syn, sizeof(linux_syn), LO, LO, &r, &why), 0);
    assert_int_equal(why, TCP_BAD_NONE);
    assert_int_equal(r.sport, 53526);
    assert_int_equal(r.dport, 5555);
    assert_int_equal(r.seq, 153731709u);
    assert_int_equal(r.ack, 0);
    assert_int_equal(r.hdr_len, 40);
    assert_int_equal(r.flags, TCP_SYN);
    assert_int_equal(r.wnd, 65495);
    assert_int_equal(r.urg, 0);
    assert_int_equal(r.mss, 65495);
    assert_int_equal(r.has_wscale, 1);
    assert_int_equal(r.wscale, 10);
    assert_int_equal(r.sack_perm, 1);
    assert_int_equal(r.has_ts, 1);
    assert_int_equal(r.tsval, 0xb212f908u);
    assert_int_equal(r.tsecr, 0);
    assert_int_equal(r.nsack, 0);
    /* and we write the same SYN Linux did, option bytes and all */
    uint8_t out[40];
    assert_int_equal(tcp_hdr_len(&r), 40);
    assert_int_equal(tcp_emit(&r, out, sizeof(out), LO, LO), 40);
    assert_memory_equal(out, linux_syn, sizeof(linux_syn));
    assert_string_equal(tcp_fmt(&r, 0, s, sizeof(s)),
                        "53526 > 5555 [S] seq 153731709 ack 0 win 65495 len 0");

    /* the same header with data behind it (checksum fixed for it) */
    uint8_t b[48];
    memcpy(b, linux_syn, 40);
    memcpy(b + 40, "ABCDEFGH", 8);
    b[13] = TCP_ACK | TCP_PSH;
    fix_cksum(b, sizeof(b), LO, LO);
    assert_int_equal(tcp_parse(b, sizeof(b), LO, LO, &r, &why), 0);
    assert_int_equal(r.hdr_len, 40);
    assert_string_equal(tcp_fmt(&r, 8, s, sizeof(s)),
                        "53526 > 5555 [P.] seq 153731709 ack 0 win 65495 len 8");
}

static void
test_tcp_emit_linux_rst(void **state)
{
    (void)state;
    struct tcp_repr r = {.sport = 5555,
                         .dport = 53526,
                         .seq = 0,
                         .ack = 153731710u,
                         .flags = TCP_RST | TCP_ACK,
                         .wnd = 0};
    uint8_t b[20];
    enum tcp_bad why;
    struct tcp_repr back;

    assert_int_equal(tcp_hdr_len(&r), 20);
    assert_int_equal(tcp_emit(&r, b, sizeof(b), LO, LO), 20);
    assert_memory_equal(b, linux_rst, sizeof(b));
    assert_int_equal(tcp_parse(linux_rst, 20, LO, LO, &back, &why), 0);
    assert_int_equal(back.flags, TCP_RST | TCP_ACK);
    assert_int_equal(back.ack, 153731710u);
    assert_int_equal(back.mss, 0);
    assert_int_equal(back.has_wscale, 0);
}

static void
test_tcp_round_trip(void **state)
{
    (void)state;
    uint8_t b[28 + 5];
    enum tcp_bad why;
    struct tcp_repr back;
    struct tcp_repr r = {.sport = 80,
                         .dport = 40000,
                         .seq = 0xfffffff0u,
                         .ack = 0x00000007u,
                         .flags = TCP_SYN | TCP_ACK,
                         .wnd = 29200,
                         .urg = 0,
                         .mss = 1460,
                         .wscale = 7,
                         .has_wscale = 1};

    assert_int_equal(tcp_hdr_len(&r), 28);
    memcpy(b + 28, "hello", 5);
    assert_int_equal(tcp_emit(&r, b, sizeof(b), H_IP_US, H_IP_PEER), 28);
    assert_int_equal(b[12], 7 << 4);
    /* MSS, then NOP + window scale: 4-byte aligned, no padding needed */
    assert_memory_equal(b + 20, ((uint8_t[]){2, 4, 0x05, 0xb4, 1, 3, 3, 7}), 8);
    assert_memory_equal(b + 28, "hello", 5);
    assert_int_equal(
        cksum_finish(cksum_add(cksum_pseudo(H_IP_US, H_IP_PEER, IP_PROTO_TCP, sizeof(b)),
                               b, sizeof(b))),
        0);
    assert_int_equal(tcp_parse(b, sizeof(b), H_IP_US, H_IP_PEER, &back, &why), 0);
    assert_int_equal(back.sport, r.sport);
    assert_int_equal(back.dport, r.dport);
    assert_int_equal(back.seq, r.seq);
    assert_int_equal(back.ack, r.ack);
    assert_int_equal(back.hdr_len, 28);
    assert_int_equal(back.flags, r.flags);
    assert_int_equal(back.wnd, r.wnd);
    assert_int_equal(back.urg, r.urg);
    assert_int_equal(back.mss, r.mss);
    assert_int_equal(back.has_wscale, 1);
    assert_int_equal(back.wscale, r.wscale);

    /* each option alone, and none */
    struct tcp_repr m = {.sport = 1, .dport = 2, .flags = TCP_ACK, .mss = 536};
    assert_int_equal(tcp_hdr_len(&m), 24);
    struct tcp_repr w = {.sport = 1, .dport = 2, .flags = TCP_ACK, .has_wscale = 1};
    assert_int_equal(tcp_hdr_len(&w), 24);
    assert_int_equal(tcp_emit(&w, b, 24, 1, 2), 24);
    assert_memory_equal(b + 20, ((uint8_t[]){1, 3, 3, 0}), 4);
    assert_int_equal(tcp_parse(b, 24, 1, 2, &back, &why), 0);
    assert_int_equal(back.has_wscale, 1);
    assert_int_equal(back.wscale, 0);
    assert_int_equal(back.mss, 0);
    struct tcp_repr z = {.sport = 1, .dport = 2, .seq = 1, .flags = TCP_FIN | TCP_ACK};
    assert_int_equal(tcp_emit(&z, b, 20, 1, 2), 20);
    assert_int_equal(b[12], 5 << 4);
    assert_int_equal(tcp_parse(b, 20, 1, 2, &back, &why), 0);
    assert_int_equal(back.flags, TCP_FIN | TCP_ACK);

    /* no room for the header, or more than IP can carry */
    assert_int_equal(tcp_emit(&r, b, 27, H_IP_US, H_IP_PEER), -EMSGSIZE);
    assert_int_equal(tcp_emit(&z, b, 65536, 1, 2), -EMSGSIZE);
}

/* A 32-byte header (12 bytes of options, given) over 4 bytes of data,
 * checksum correct. */
static size_t
with_options(uint8_t *b, const uint8_t opt[12])
{
    struct tcp_repr r = {
        .sport = 40000, .dport = 80, .seq = 1, .ack = 2, .flags = TCP_ACK, .wnd = 1000};

    tcp_emit(&r, b, 24, H_IP_PEER, H_IP_US);
    b[12] = 8 << 4;
    memcpy(b + 20, opt, 12);
    memcpy(b + 32, "data", 4);
    fix_cksum(b, 36, H_IP_PEER, H_IP_US);
    return 36;
}

static int
parse_why(const uint8_t *b, size_t len, struct tcp_repr *r)
{
    enum tcp_bad why;
    int rc = tcp_parse(b, len, H_IP_PEER, H_IP_US, r, &why);

    assert_true(rc == 0 ? why == TCP_BAD_NONE : rc == -EBADMSG && why != TCP_BAD_NONE);
    return rc == 0 ? 0 : (int)why;
}

/* Option blocks that make the segment malformed (RFC 9293 §3.1: an option
 * length must cover its kind and length bytes and stay in the header). */
static const uint8_t bad_opts[][12] = {
    {8, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},    /* length 0 */
    {8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},    /* length 1 */
    {1, 1, 1, 1, 8, 10, 0, 0, 0, 0, 0, 0},   /* timestamps running past the end */
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 30},   /* a kind with no length byte */
    {2, 3, 5, 1, 1, 1, 1, 1, 1, 1, 1, 1},    /* MSS of length 3 */
    {2, 5, 5, 0xb4, 0, 1, 1, 1, 1, 1, 1, 1}, /* MSS of length 5 */
    {3, 4, 7, 0, 1, 1, 1, 1, 1, 1, 1, 1},    /* window scale of length 4 */
    {3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},    /* window scale of length 2 */
    {4, 3, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1},    /* SACK-Permitted of length 3 */
    {5, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},    /* SACK with no block */
    {5, 9, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1},    /* SACK of 2 + 7 bytes */
    {8, 9, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1},    /* timestamps of length 9 */
    {8, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1},   /* timestamps of length 11 */
};

static void
test_tcp_parse_malformed(void **state)
{
    (void)state;
    uint8_t b[64];
    struct tcp_repr r;

    size_t n = with_options(b, (uint8_t[12]){1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0});
    assert_int_equal(parse_why(b, n, &r), 0);
    /* short: less than the fixed header */
    assert_int_equal(parse_why(b, 19, &r), TCP_BAD_LEN);
    assert_int_equal(parse_why(b, 0, &r), TCP_BAD_LEN);
    /* data offset below 5 words, or past the segment */
    for (uint8_t doff = 0; doff < 5; doff++) {
        b[12] = (uint8_t)(doff << 4);
        assert_int_equal(parse_why(b, n, &r), TCP_BAD_DOFF);
    }
    b[12] = 10 << 4; /* 40 bytes in a 36-byte segment */
    fix_cksum(b, n, H_IP_PEER, H_IP_US);
    assert_int_equal(parse_why(b, n, &r), TCP_BAD_DOFF);
    b[12] = 9 << 4; /* exactly 36: a header with no data is fine */
    fix_cksum(b, n, H_IP_PEER, H_IP_US);
    assert_int_equal(parse_why(b, n, &r), 0);
    assert_int_equal(r.hdr_len, 36);

    /* checksum: a flipped bit, a wrong pseudo header, a shorter length */
    n = with_options(b, (uint8_t[12]){1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0});
    b[33] ^= 0x10;
    assert_int_equal(parse_why(b, n, &r), TCP_BAD_CKSUM);
    b[33] ^= 0x10;
    assert_int_equal(tcp_parse(b, n, H_IP_PEER, H_IP_OTHER, &r, &(enum tcp_bad){0}),
                     -EBADMSG);
    assert_int_equal(parse_why(b, n - 1, &r), TCP_BAD_CKSUM);

    for (size_t i = 0; i < sizeof(bad_opts) / sizeof(bad_opts[0]); i++) {
        n = with_options(b, bad_opts[i]);
        if (parse_why(b, n, &r) != TCP_BAD_OPT)
            fail_msg("option block %zu was not refused", i);
    }

    /* End of option list: what follows is padding, not parsed */
    n = with_options(b, (uint8_t[12]){2, 4, 2, 0, 0, 0xff, 0, 0, 0, 0, 0, 0});
    assert_int_equal(parse_why(b, n, &r), 0);
    assert_int_equal(r.mss, 512);
    /* RFC 7323 §2.3: a shift above 14 is used as 14 */
    n = with_options(b, (uint8_t[12]){3, 3, 15, 1, 1, 1, 1, 1, 1, 1, 1, 0});
    assert_int_equal(parse_why(b, n, &r), 0);
    assert_int_equal(r.has_wscale, 1);
    assert_int_equal(r.wscale, 14);
    /* an unknown kind with a sane length is skipped */
    n = with_options(b, (uint8_t[12]){99, 6, 0, 0, 0, 0, 2, 4, 0x05, 0xb4, 0, 0});
    assert_int_equal(parse_why(b, n, &r), 0);
    assert_int_equal(r.mss, 1460);
}

/* RFC 2018 §3 blocks and RFC 7323 §3 timestamps on a data segment: the
 * round trip, the layout, and how many blocks fit beside the timestamps. */
static void
test_tcp_sack_ts_round_trip(void **state)
{
    (void)state;
    uint8_t b[80];
    struct tcp_repr r = {.sport = 5, .dport = 6, .seq = 1, .ack = 2, .flags = TCP_ACK,
                         .wnd = 100, .has_ts = 1, .tsval = 0x01020304, .tsecr = 0xa0b0c0d0,
                         .nsack = 4};
    struct tcp_repr back;
    enum tcp_bad why;

    for (unsigned i = 0; i < 4; i++)
        r.sack[i] = (struct tcp_sack_block){0xfffffff0u + 100 * i, 50 + 100 * i};
    /* 12 bytes of timestamps leave room for 3 blocks (4 + 24) */
    assert_int_equal(tcp_sack_fit(&r), 3);
    assert_int_equal(tcp_hdr_len(&r), 60);
    assert_int_equal(tcp_emit(&r, b, 60, 1, 2), 60);
    static const uint8_t ts[12] = {1, 1, 8, 10, 1, 2, 3, 4, 0xa0, 0xb0, 0xc0, 0xd0};
    assert_memory_equal(b + 20, ts, sizeof(ts));
    assert_memory_equal(b + 32, ((uint8_t[4]){1, 1, 5, 26}), 4);
    assert_int_equal(tcp_parse(b, 60, 1, 2, &back, &why), 0);
    assert_int_equal(back.has_ts, 1);
    assert_int_equal(back.tsval, 0x01020304);
    assert_int_equal(back.tsecr, 0xa0b0c0d0u);
    assert_int_equal(back.nsack, 3);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(back.sack[i].left, r.sack[i].left);
        assert_int_equal(back.sack[i].right, r.sack[i].right);
    }
    /* without timestamps all four fit (4 + 32 bytes) */
    r.has_ts = 0;
    assert_int_equal(tcp_sack_fit(&r), 4);
    assert_int_equal(tcp_hdr_len(&r), 56);
    assert_int_equal(tcp_emit(&r, b, 56, 1, 2), 56);
    assert_int_equal(tcp_parse(b, 56, 1, 2, &back, &why), 0);
    assert_int_equal(back.nsack, 4);
    assert_int_equal(back.sack[3].right, r.sack[3].right);
    assert_int_equal(back.has_ts, 0);
    /* SACK-Permitted alone on a SYN: NOP NOP 4 2 */
    struct tcp_repr syn = {.flags = TCP_SYN, .sack_perm = 1};
    assert_int_equal(tcp_emit(&syn, b, 24, 1, 2), 24);
    assert_memory_equal(b + 20, ((uint8_t[4]){1, 1, 4, 2}), 4);
    assert_int_equal(tcp_parse(b, 24, 1, 2, &back, &why), 0);
    assert_int_equal(back.sack_perm, 1);
    assert_int_equal(back.has_ts, 0);
}

/* Every malformed case reaches the engine's counters, to a listener that
 * would otherwise answer: no SYN,ACK, no RST, no buffer kept. */
static void
test_tcp_malformed_counted(void **state)
{
    struct h_env *e = *state = h_env_default(H_T0);
    uint8_t seg[64], f[128];
    struct tcp_pcb *l = tcp_open(e->s, (void *)1);

    h_learn(e, H_IP_PEER, h_mac_peer);
    assert_int_equal(tcp_bind(e->s, l, 0, 80), 0);
    assert_int_equal(tcp_listen(e->s, l, 4), 0);
    size_t n = with_options(seg, (uint8_t[12]){2, 4, 5, 0xb4, 1, 1, 1, 1, 1, 1, 1, 0});
    seg[13] = TCP_SYN;
    fix_cksum(seg, n, H_IP_PEER, H_IP_US);

    h_input(e, f, h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_TCP, 1, 0, seg, 19));
    uint8_t b[64];
    memcpy(b, seg, n);
    b[12] = 4 << 4;
    h_input(e, f, h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_TCP, 2, 0, b, n));
    b[12] = 15 << 4;
    fix_cksum(b, n, H_IP_PEER, H_IP_US);
    h_input(e, f, h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_TCP, 3, 0, b, n));
    memcpy(b, seg, n);
    b[35] ^= 1;
    h_input(e, f, h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_TCP, 4, 0, b, n));
    for (size_t i = 0; i < sizeof(bad_opts) / sizeof(bad_opts[0]); i++) {
        with_options(b, bad_opts[i]);
        b[13] = TCP_SYN;
        fix_cksum(b, n, H_IP_PEER, H_IP_US);
        h_input(e, f, h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_TCP, 5, 0, b, n));
    }
    assert_int_equal(h_stat(e, "tcp.rx_segments"), 4 + sizeof(bad_opts) / sizeof(bad_opts[0]));
    assert_int_equal(h_stat(e, "tcp.rx_bad_len"), 1);
    assert_int_equal(h_stat(e, "tcp.rx_bad_doff"), 2);
    assert_int_equal(h_stat(e, "tcp.rx_bad_cksum"), 1);
    assert_int_equal(h_stat(e, "tcp.rx_bad_opt"), sizeof(bad_opts) / sizeof(bad_opts[0]));
    assert_int_equal(h_stat(e, "tcp.passive_opens"), 0);
    assert_int_equal(h_stat(e, "tcp.tx_segments") + h_stat(e, "tcp.tx_rst"), 0);
    assert_int_equal(e->rec->n, 0);
    assert_int_equal(h_pool_in_use(e), 0);

    /* the well-formed SYN is answered */
    h_input(e, f, h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_TCP, 6, 0, seg, n));
    assert_int_equal(e->rec->n, 1);
    assert_int_equal(h_stat(e, "tcp.passive_opens"), 1);
}

static void
test_seq_compare_at_wrap(void **state)
{
    (void)state;
    /* RFC 9293 §3.4 / RFC 1982: a is before b when b - a (mod 2^32) is in
     * (0, 2^31) */
    static const struct {
        tcp_seq a, b;
    } before[] = {
        {0xfffffff0u, 0x00000010u},
        {0xffffffffu, 0},
        {0, 1},
        {0xfffffff0u, 0xfffffff0u + 0x7fffffffu},
        {0x80000000u, 0xffffffffu},
        {0x7fffffffu, 0x80000000u},
        {0xfffffc18u, 0x000003e8u},
    };
    for (size_t i = 0; i < sizeof(before) / sizeof(before[0]); i++) {
        tcp_seq a = before[i].a, b = before[i].b;
        if (!(seq_lt(a, b) && seq_le(a, b) && !seq_gt(a, b) && !seq_ge(a, b) &&
              seq_gt(b, a) && seq_ge(b, a) && !seq_lt(b, a) && !seq_le(b, a)))
            fail_msg("%#x should be before %#x", a, b);
        assert_true(seq_le(a, a) && seq_ge(a, a) && !seq_lt(a, a) && !seq_gt(a, a));
    }
    /* a window check across the wrap, as tcp_in does it */
    tcp_seq rcv_nxt = 0xffffff00u, wnd = 0x400;
    assert_true(seq_le(rcv_nxt, 0x10u) && seq_lt(0x10u, rcv_nxt + wnd));
    assert_false(seq_lt(0x300u, rcv_nxt + wnd));
    assert_true(seq_lt(0xfffffeffu, rcv_nxt));
    /* exactly 2^31 apart the order is undefined (RFC 1982 §3.2); these
     * helpers call each side "before" the other, never "equal" */
    assert_true(seq_lt(0, 0x80000000u) && seq_lt(0x80000000u, 0));
}

static void
test_ring_wrap(void **state)
{
    (void)state;
    struct ring r;
    uint8_t out[32];

    assert_int_equal(ring_init(&r, 8), 0);
    assert_int_equal(ring_space(&r), 8);
    assert_int_equal(ring_peek(&r, 0, out, 8), 0);
    assert_int_equal(ring_write(&r, "abcdef", 6), 6);
    ring_drop(&r, 4);
    assert_int_equal(r.head, 4);
    assert_int_equal(r.len, 2);
    /* "ghijk": two bytes at the end of the buffer, three at its start */
    assert_int_equal(ring_write(&r, "ghijk", 5), 5);
    assert_memory_equal(r.buf + 6, "gh", 2);
    assert_memory_equal(r.buf, "ijk", 3);
    assert_int_equal(ring_space(&r), 1);
    assert_int_equal(ring_peek(&r, 0, out, sizeof(out)), 7);
    assert_memory_equal(out, "efghijk", 7);
    /* peeks at an offset, across the end, do not consume */
    assert_int_equal(ring_peek(&r, 3, out, 3), 3);
    assert_memory_equal(out, "hij", 3);
    assert_int_equal(ring_peek(&r, 3, out, 10), 4);
    assert_memory_equal(out, "hijk", 4);
    assert_int_equal(ring_peek(&r, 7, out, 1), 0);
    assert_int_equal(ring_peek(&r, 100, out, 1), 0);
    assert_int_equal(r.len, 7);
    /* a write larger than the space takes what fits; a full ring takes 0 */
    assert_int_equal(ring_write(&r, "lmn", 3), 1);
    assert_int_equal(ring_write(&r, "x", 1), 0);
    assert_int_equal(ring_peek(&r, 0, out, 8), 8);
    assert_memory_equal(out, "efghijkl", 8);
    /* a drop across the end */
    ring_drop(&r, 5);
    assert_int_equal(r.head, 1);
    assert_int_equal(ring_peek(&r, 0, out, 8), 3);
    assert_memory_equal(out, "jkl", 3);
    /* more than held: empties; the head stays, as the free space after it
     * may hold out-of-order bytes (ring_write_at) */
    ring_drop(&r, 100);
    assert_int_equal(r.len, 0);
    assert_int_equal(r.head, 4);
    ring_free(&r);
    assert_null(r.buf);

    /* long runs through a ring of odd size keep the byte stream intact */
    uint8_t src[1000], dst[1000];
    size_t w = 0, rd = 0;
    h_pattern(src, sizeof(src), 3);
    assert_int_equal(ring_init(&r, 37), 0);
    while (rd < sizeof(src)) {
        size_t chunk = (w * 7 + 5) % 23 + 1;
        if (chunk > sizeof(src) - w)
            chunk = sizeof(src) - w;
        w += ring_write(&r, src + w, chunk);
        size_t take = (rd * 3 + 1) % 19 + 1;
        size_t got = ring_peek(&r, 0, dst + rd, take);
        ring_drop(&r, got);
        rd += got;
    }
    assert_memory_equal(src, dst, sizeof(src));
    ring_free(&r);
}

static void
test_ring_resize(void **state)
{
    (void)state;
    struct ring r;
    uint8_t out[32];

    assert_int_equal(ring_init(&r, 8), 0);
    ring_write(&r, "abcdef", 6);
    ring_drop(&r, 5);
    ring_write(&r, "ghijklm", 7); /* wrapped: "fghijklm", head at 5 */
    assert_int_equal(r.len, 8);
    assert_int_equal(r.head, 5);
    /* smaller than the contents, or zero: refused, nothing lost */
    assert_int_equal(ring_resize(&r, 7), -1);
    assert_int_equal(ring_resize(&r, 0), -1);
    assert_int_equal(r.cap, 8);
    /* grow: contents kept in order from index 0 */
    assert_int_equal(ring_resize(&r, 16), 0);
    assert_int_equal(r.cap, 16);
    assert_int_equal(r.head, 0);
    assert_memory_equal(r.buf, "fghijklm", 8);
    assert_int_equal(ring_write(&r, "nopqrstuvw", 10), 8);
    assert_int_equal(ring_peek(&r, 0, out, sizeof(out)), 16);
    assert_memory_equal(out, "fghijklmnopqrstu", 16);
    /* shrink to exactly what is held */
    ring_drop(&r, 12);
    assert_int_equal(ring_resize(&r, 4), 0);
    assert_int_equal(ring_peek(&r, 0, out, sizeof(out)), 4);
    assert_memory_equal(out, "rstu", 4);
    assert_int_equal(ring_space(&r), 0);
    ring_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_parse_linux_syn),
        cmocka_unit_test(test_tcp_emit_linux_rst),
        cmocka_unit_test(test_tcp_round_trip),
        cmocka_unit_test(test_tcp_parse_malformed),
        cmocka_unit_test(test_tcp_sack_ts_round_trip),
        cmocka_unit_test_teardown(test_tcp_malformed_counted, h_teardown),
        cmocka_unit_test(test_seq_compare_at_wrap),
        cmocka_unit_test(test_ring_wrap),
        cmocka_unit_test(test_ring_resize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
