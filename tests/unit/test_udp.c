/*
 * test_udp.c - UDP: the header (known bytes from Linux, checksum rules,
 * every malformed case) and the engine's endpoints through the udp.h
 * interface: bind, demultiplexing, the bounded receive queue, port
 * unreachable, ephemeral ports, connect, what sendto puts on the wire,
 * fragmentation of the largest datagram, and ICMP errors turned into
 * socket errors.
 */
#include "harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/cksum.h"
#include "proto/udp.h"
#include "stack_var.h"
#include "wire/udp_hdr.h"

#define BCAST_NET 0x0a0000ffu /* 10.0.0.255 */
#define OFF_LINK 0x0b000001u  /* 11.0.0.1: no route without a gateway */

/* Linux 6.18: sendto(fd, "hello, ustack\n", 14, 0, 10.0.0.2:7) on a socket
 * bound to 10.0.0.1:40000, read off a TAP device (no offload, so the
 * kernel computed the checksum, 0xab22), DF set, IP ID 0x54e4. */
static const uint8_t real_frame[56] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x2a, 0x54, 0xe4, 0x40, 0x00, 0x40, 0x11, 0xd1, 0xdc, 0x0a, 0x00,
    0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x9c, 0x40, 0x00, 0x07, 0x00, 0x16, 0xab, 0x22,
    'h',  'e',  'l',  'l',  'o',  ',',  ' ',  'u',  's',  't',  'a',  'c',  'k',  '\n',
};
#define REAL_UDP (real_frame + ETH_HDR_LEN + IPV4_HDR_MIN)
#define REAL_UDP_LEN 22
#define HELLO "hello, ustack\n"
#define HELLO_LEN 14

/* ---- helpers ---- */

/* What cfg.notify was told. */
struct notes {
    int n;
    void *last;
};

static void
note(void *ctx, void *owner)
{
    struct notes *t = ctx;

    t->n++;
    t->last = owner;
}

/* An engine at 10.0.0.2/24 that knows the peer's MAC; notify goes to t
 * when t is not NULL. */
static struct h_env *
env(void **state, struct notes *t)
{
    struct stack_config c;

    h_config(&c);
    if (t) {
        c.notify = note;
        c.notify_ctx = t;
    }
    struct h_env *e = *state = h_env_new(&c, H_T0);
    h_learn(e, H_IP_PEER, h_mac_peer);
    return e;
}

/* A UDP datagram sport -> dport with data (len bytes) and a checksum
 * computed here, independently of udp_emit. Returns 8 + len. */
static size_t
udp_dgram(uint8_t *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
          const void *data, size_t len)
{
    memmove(b + UDP_HDR_LEN, data, len);
    be16_put(b, sport);
    be16_put(b + 2, dport);
    be16_put(b + 4, (uint16_t)(UDP_HDR_LEN + len));
    be16_put(b + 6, 0);
    uint16_t c = cksum_finish(
        cksum_add(cksum_pseudo(src, dst, IP_PROTO_UDP, (uint16_t)(UDP_HDR_LEN + len)), b,
                  UDP_HDR_LEN + len));
    be16_put(b + 6, c ? c : 0xffff);
    return UDP_HDR_LEN + len;
}

/* A whole frame (peer MAC -> ours) carrying that datagram. */
static size_t
udp_frame(uint8_t *f, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
          const void *data, size_t len)
{
    uint8_t d[1480];

    assert_true(len <= sizeof(d) - UDP_HDR_LEN);
    size_t n = udp_dgram(d, src, dst, sport, dport, data, len);
    return h_ip_frame(f, src, dst, IP_PROTO_UDP, 0x1000, 0, d, n);
}

/* Feed a datagram of len bytes of h_pattern(seed). */
static void
udp_in(struct h_env *e, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
       size_t len, uint32_t seed)
{
    uint8_t data[1472], f[1600];

    h_pattern(data, len, seed);
    h_input(e, f, udp_frame(f, src, dst, sport, dport, data, len));
}

/* The oldest datagram on u is len bytes of h_pattern(seed) from
 * src:sport; pop it. */
static void
expect_front(struct h_env *e, struct udp_pcb *u, size_t len, uint32_t seed, uint32_t src, uint16_t sport)
{
    uint8_t want[1472];
    size_t got_len = 99999;
    uint32_t got_src = 0;
    uint16_t got_sport = 0;

    const uint8_t *d = udp_front(u, &got_len, &got_src, &got_sport);
    assert_non_null(d);
    assert_int_equal(got_len, len);
    assert_int_equal(got_src, src);
    assert_int_equal(got_sport, sport);
    h_pattern(want, len, seed);
    assert_memory_equal(d, want, len);
    udp_pop(e->s, u);
}

/* Nothing waits on u. */
static void
expect_empty(const struct udp_pcb *u)
{
    size_t len;
    uint32_t src;
    uint16_t sport;

    assert_null(udp_front(u, &len, &src, &sport));
    assert_int_equal(u->rxq_bytes, 0);
}

/* The UDP checksum of a datagram on the wire is right. */
static void
assert_udp_cksum(const uint8_t *d, size_t len, uint32_t src, uint32_t dst)
{
    assert_int_not_equal(be16_get(d + 6), 0); /* we always compute one */
    assert_int_equal(cksum_finish(cksum_add(
                         cksum_pseudo(src, dst, IP_PROTO_UDP, (uint16_t)len), d, len)),
                     0);
}

/* ---- the header ---- */

static void
test_udp_hdr_known_bytes(void **state)
{
    (void)state;
    struct udp_repr r;
    enum udp_bad why = UDP_BAD_CKSUM;
    char txt[64];

    assert_int_equal(udp_parse(REAL_UDP, REAL_UDP_LEN, H_IP_PEER, H_IP_US, &r, &why), 0);
    assert_int_equal(why, UDP_BAD_NONE);
    assert_int_equal(r.sport, 40000);
    assert_int_equal(r.dport, 7);
    assert_int_equal(r.len, 22);
    assert_string_equal(udp_fmt(&r, txt, sizeof(txt)), "udp 40000 > 7 len 22");

    /* emit writes the same 8 bytes over garbage */
    uint8_t b[REAL_UDP_LEN];
    memset(b, 0xee, UDP_HDR_LEN);
    memcpy(b + UDP_HDR_LEN, HELLO, HELLO_LEN);
    struct udp_repr w = {.sport = 40000, .dport = 7, .len = 0xdead};
    assert_int_equal(udp_emit(&w, b, REAL_UDP_LEN, H_IP_PEER, H_IP_US), UDP_HDR_LEN);
    assert_memory_equal(b, REAL_UDP, REAL_UDP_LEN);

    /* the checksum covers the pseudo header: other addresses fail it */
    assert_int_equal(udp_parse(REAL_UDP, REAL_UDP_LEN, H_IP_OTHER, H_IP_US, &r, &why),
                     -EBADMSG);
    assert_int_equal(why, UDP_BAD_CKSUM);
    assert_int_equal(udp_parse(REAL_UDP, REAL_UDP_LEN, H_IP_PEER, H_IP_OTHER, &r, &why),
                     -EBADMSG);
    assert_int_equal(why, UDP_BAD_CKSUM);
    /* swapping both addresses and both ports leaves the sum alone */
    w = (struct udp_repr){.sport = 7, .dport = 40000};
    assert_int_equal(udp_emit(&w, b, REAL_UDP_LEN, H_IP_US, H_IP_PEER), UDP_HDR_LEN);
    assert_int_equal(be16_get(b + 6), 0xab22);
}

static void
test_udp_hdr_zero_cksum_is_none(void **state)
{
    (void)state;
    uint8_t b[REAL_UDP_LEN];
    struct udp_repr r;
    enum udp_bad why = UDP_BAD_LEN;

    /* RFC 768: zero means "not computed": nothing is verified, so even a
     * changed payload and other addresses pass */
    memcpy(b, REAL_UDP, REAL_UDP_LEN);
    be16_put(b + 6, 0);
    b[10] ^= 0xff;
    assert_int_equal(udp_parse(b, REAL_UDP_LEN, H_IP_OTHER, BCAST_NET, &r, &why), 0);
    assert_int_equal(why, UDP_BAD_NONE);
    assert_int_equal(r.sport, 40000);
    assert_int_equal(r.dport, 7);
    assert_int_equal(r.len, 22);
}

static void
test_udp_hdr_computed_zero_sent_as_ffff(void **state)
{
    (void)state;
    uint8_t b[10];
    struct udp_repr w = {.sport = 1234, .dport = 5678}, r;
    enum udp_bad why;

    /* choose the two data bytes so that the sum of everything is 0xffff:
     * its complement, the checksum, is then 0 */
    be16_put(b, 1234);
    be16_put(b + 2, 5678);
    be16_put(b + 4, 10);
    be16_put(b + 6, 0);
    be16_put(b + 8, 0);
    uint16_t fill = cksum_finish(
        cksum_add(cksum_pseudo(H_IP_US, H_IP_PEER, IP_PROTO_UDP, 10), b, 10));
    be16_put(b + 8, fill);
    assert_int_equal(cksum_finish(cksum_add(
                         cksum_pseudo(H_IP_US, H_IP_PEER, IP_PROTO_UDP, 10), b, 10)),
                     0);

    memset(b, 0x77, 8);
    assert_int_equal(udp_emit(&w, b, 10, H_IP_US, H_IP_PEER), UDP_HDR_LEN);
    assert_int_equal(be16_get(b + 6), 0xffff); /* RFC 768: all ones, not "none" */
    assert_int_equal(be16_get(b + 4), 10);
    assert_int_equal(be16_get(b + 8), fill);
    /* and the receiver verifies 0xffff as a real checksum */
    assert_int_equal(udp_parse(b, 10, H_IP_US, H_IP_PEER, &r, &why), 0);
    b[9] ^= 1;
    assert_int_equal(udp_parse(b, 10, H_IP_US, H_IP_PEER, &r, &why), -EBADMSG);
    assert_int_equal(why, UDP_BAD_CKSUM);
}

static void
test_udp_hdr_malformed(void **state)
{
    (void)state;
    uint8_t b[REAL_UDP_LEN + 1];
    struct udp_repr r;
    enum udp_bad why;

    /* fewer than 8 bytes delivered */
    for (size_t n = 0; n < UDP_HDR_LEN; n++) {
        why = UDP_BAD_NONE;
        assert_int_equal(udp_parse(REAL_UDP, n, H_IP_PEER, H_IP_US, &r, &why), -EBADMSG);
        assert_int_equal(why, UDP_BAD_LEN);
    }
    /* length field under 8, or past what IP delivered; no checksum, so
     * only the length check can refuse these */
    const uint16_t bad_len[] = {0, 1, 7, 23, 0x100, 0xffff};
    for (size_t i = 0; i < sizeof(bad_len) / sizeof(bad_len[0]); i++) {
        memcpy(b, REAL_UDP, REAL_UDP_LEN);
        be16_put(b + 4, bad_len[i]);
        be16_put(b + 6, 0);
        why = UDP_BAD_NONE;
        assert_int_equal(udp_parse(b, REAL_UDP_LEN, H_IP_PEER, H_IP_US, &r, &why),
                         -EBADMSG);
        assert_int_equal(why, UDP_BAD_LEN);
    }
    /* 8 with nothing after it is a valid empty datagram */
    memcpy(b, REAL_UDP, UDP_HDR_LEN);
    be16_put(b + 4, 8);
    be16_put(b + 6, 0);
    assert_int_equal(udp_parse(b, UDP_HDR_LEN, H_IP_PEER, H_IP_US, &r, &why), 0);
    assert_int_equal(r.len, 8);

    /* one bit changed anywhere but the length field: bad checksum */
    for (size_t i = 0; i < REAL_UDP_LEN; i++) {
        if (i == 4 || i == 5)
            continue;
        for (int bit = 0; bit < 8; bit++) {
            memcpy(b, REAL_UDP, REAL_UDP_LEN);
            b[i] ^= (uint8_t)(1 << bit);
            why = UDP_BAD_NONE;
            if (udp_parse(b, REAL_UDP_LEN, H_IP_PEER, H_IP_US, &r, &why) != -EBADMSG)
                fail_msg("byte %zu bit %d flipped was accepted", i, bit);
            assert_int_equal(why, UDP_BAD_CKSUM);
        }
    }
    /* a shorter length field moves the checksum's coverage: 20 fails... */
    memcpy(b, REAL_UDP, REAL_UDP_LEN);
    be16_put(b + 4, 20);
    assert_int_equal(udp_parse(b, REAL_UDP_LEN, H_IP_PEER, H_IP_US, &r, &why), -EBADMSG);
    assert_int_equal(why, UDP_BAD_CKSUM);

    /* emit refuses what cannot be a datagram */
    struct udp_repr w = {.sport = 1, .dport = 2};
    memset(b, 0x5a, sizeof(b));
    assert_int_equal(udp_emit(&w, b, 7, H_IP_US, H_IP_PEER), -EMSGSIZE);
    assert_int_equal(udp_emit(&w, b, 0, H_IP_US, H_IP_PEER), -EMSGSIZE);
    assert_int_equal(udp_emit(&w, b, 65536, H_IP_US, H_IP_PEER), -EMSGSIZE);
    for (size_t i = 0; i < sizeof(b); i++)
        assert_int_equal(b[i], 0x5a); /* and writes nothing */
    uint8_t *big = calloc(1, 65535);
    assert_non_null(big);
    assert_int_equal(udp_emit(&w, big, 65535, H_IP_US, H_IP_PEER), UDP_HDR_LEN);
    assert_int_equal(be16_get(big + 4), 65535);
    assert_int_equal(udp_parse(big, 65535, H_IP_US, H_IP_PEER, &r, &why), 0);
    free(big);
}

static void
test_udp_hdr_padding_ignored(void **state)
{
    (void)state;
    uint8_t b[64];
    struct udp_repr r;
    enum udp_bad why;

    /* bytes past the length field are not the datagram's and not summed */
    memcpy(b, REAL_UDP, REAL_UDP_LEN);
    memset(b + REAL_UDP_LEN, 0x5a, sizeof(b) - REAL_UDP_LEN);
    assert_int_equal(udp_parse(b, sizeof(b), H_IP_PEER, H_IP_US, &r, &why), 0);
    assert_int_equal(r.len, 22);
    /* and a datagram whose length field stops early is valid when the
     * checksum covers just that much */
    memcpy(b, REAL_UDP, REAL_UDP_LEN);
    udp_dgram(b, H_IP_PEER, H_IP_US, 40000, 7, HELLO, 5);
    memcpy(b + 13, "XXXXXXXXX", 9);
    assert_int_equal(udp_parse(b, REAL_UDP_LEN, H_IP_PEER, H_IP_US, &r, &why), 0);
    assert_int_equal(r.len, 13);
}

/* ---- input ---- */

static void
test_udp_input_bad_counted(void **state)
{
    struct h_env *e = env(state, NULL);
    struct udp_pcb *u = udp_open(e->s, NULL);
    uint8_t f[128];
    uint8_t *ud = f + ETH_HDR_LEN + IPV4_HDR_MIN;

    assert_int_equal(udp_bind(e->s, u, 0, 7), 0);
    /* length field 7, no checksum */
    memcpy(f, real_frame, sizeof(real_frame));
    be16_put(ud + 4, 7);
    be16_put(ud + 6, 0);
    h_input(e, f, sizeof(real_frame));
    assert_int_equal(h_stat(e, "udp.rx_bad_len"), 1);
    /* length field one past what IP delivered, though the Ethernet frame
     * is padded far beyond it */
    memset(f, 0, sizeof(f));
    memcpy(f, real_frame, sizeof(real_frame));
    be16_put(ud + 4, 23);
    be16_put(ud + 6, 0);
    h_input(e, f, ETH_MIN_FRAME);
    be16_put(ud + 4, 30);
    h_input(e, f, ETH_MIN_FRAME);
    assert_int_equal(h_stat(e, "udp.rx_bad_len"), 3);
    /* IP carries 7 bytes: not even a header */
    h_input(e, f, h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_UDP, 1, 0, REAL_UDP, 7));
    assert_int_equal(h_stat(e, "udp.rx_bad_len"), 4);
    /* one payload bit changed */
    memcpy(f, real_frame, sizeof(real_frame));
    ud[12] ^= 0x20;
    h_input(e, f, sizeof(real_frame));
    assert_int_equal(h_stat(e, "udp.rx_bad_cksum"), 1);

    assert_int_equal(h_stat(e, "udp.rx_datagrams"), 5);
    assert_int_equal(h_stat(e, "udp.rx_delivered"), 0);
    assert_int_equal(h_stat(e, "udp.rx_no_port"), 0);
    assert_int_equal(h_stat(e, "icmp.tx_unreach"), 0);
    assert_int_equal(e->rec->n, 0); /* dropped silently */
    expect_empty(u);
    assert_int_equal(h_pool_in_use(e), 0);

    /* the frame unharmed is delivered */
    h_input(e, real_frame, sizeof(real_frame));
    assert_int_equal(h_stat(e, "udp.rx_delivered"), 1);
    assert_int_equal(h_stat(e, "udp.rx_bad_len"), 4);
    assert_int_equal(h_stat(e, "udp.rx_bad_cksum"), 1);
    assert_int_equal(u->rxq_bytes, HELLO_LEN);
}

static void
test_udp_input_padding_ignored(void **state)
{
    struct h_env *e = env(state, NULL);
    struct udp_pcb *u = udp_open(e->s, NULL);
    uint8_t f[128], d[40];
    size_t len;
    uint32_t src;
    uint16_t sport;

    assert_int_equal(udp_bind(e->s, u, 0, 7), 0);
    /* IP carries 32 bytes: the 22-byte datagram and 10 of padding that
     * the UDP length field excludes */
    memcpy(d, REAL_UDP, REAL_UDP_LEN);
    memset(d + REAL_UDP_LEN, 0x5a, 10);
    h_input(e, f, h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_UDP, 1, 0, d, 32));
    const uint8_t *p = udp_front(u, &len, &src, &sport);
    assert_non_null(p);
    assert_int_equal(len, HELLO_LEN);
    assert_memory_equal(p, HELLO, HELLO_LEN);
    assert_int_equal(u->rxq_bytes, HELLO_LEN);
    assert_int_equal(h_stat(e, "udp.rx_bad_cksum"), 0);
    udp_pop(e->s, u);
    expect_empty(u);
    assert_int_equal(h_pool_in_use(e), 0);
}

static void
test_udp_deliver(void **state)
{
    struct notes t = {0};
    struct h_env *e = env(state, &t);
    int tag_u, tag_v;
    struct udp_pcb *u = udp_open(e->s, &tag_u);
    struct udp_pcb *v = udp_open(e->s, &tag_v);
    size_t len = 0;
    uint32_t src = 0;
    uint16_t sport = 0;

    assert_non_null(u);
    assert_int_equal(u->rcvbuf, UDP_RCVBUF_DEFAULT);
    expect_empty(u);
    udp_pop(e->s, u); /* harmless on an empty queue */
    assert_int_equal(udp_bind(e->s, u, 0, 7), 0);
    assert_int_equal(u->lport, 7);
    assert_int_equal(u->laddr, 0);
    assert_int_equal(udp_bind(e->s, v, H_IP_US, 8), 0);

    h_input(e, real_frame, sizeof(real_frame));
    assert_int_equal(t.n, 1);
    assert_ptr_equal(t.last, &tag_u);
    const uint8_t *p = udp_front(u, &len, &src, &sport);
    assert_non_null(p);
    assert_int_equal(len, HELLO_LEN);
    assert_int_equal(src, H_IP_PEER);
    assert_int_equal(sport, 40000);
    assert_memory_equal(p, HELLO, HELLO_LEN);
    /* front does not consume */
    assert_ptr_equal(udp_front(u, &len, &src, &sport), p);

    /* oldest first, empty and full-size datagrams, other sources */
    udp_in(e, H_IP_OTHER, H_IP_US, 1234, 7, 0, 1);
    udp_in(e, H_IP_PEER, H_IP_US, 53, 7, 1472, 2);
    udp_in(e, H_IP_PEER, H_IP_US, 9, 8, 100, 3);
    assert_int_equal(t.n, 4);
    assert_ptr_equal(t.last, &tag_v);
    assert_int_equal(u->rxq_bytes, HELLO_LEN + 1472);
    assert_int_equal(v->rxq_bytes, 100);
    assert_int_equal(h_pool_in_use(e), 4);
    udp_pop(e->s, u);
    expect_front(e, u, 0, 1, H_IP_OTHER, 1234);
    expect_front(e, u, 1472, 2, H_IP_PEER, 53);
    expect_empty(u);
    expect_front(e, v, 100, 3, H_IP_PEER, 9);
    expect_empty(v);

    /* a wildcard endpoint hears the broadcasts; one bound to our address
     * does not (and nobody answers them) */
    uint8_t f[128], b[3];
    h_pattern(b, 3, 5);
    size_t n = udp_frame(f, H_IP_PEER, BCAST_NET, 5, 7, b, 3);
    memcpy(f, eth_broadcast, 6);
    h_input(e, f, n);
    expect_front(e, u, 3, 5, H_IP_PEER, 5);
    n = udp_frame(f, H_IP_PEER, BCAST_NET, 5, 8, b, 3);
    memcpy(f, eth_broadcast, 6);
    h_input(e, f, n);
    expect_empty(v);
    assert_int_equal(h_stat(e, "udp.rx_no_port"), 1);
    assert_int_equal(h_stat(e, "udp.rx_delivered"), 5);
    assert_int_equal(h_stat(e, "udp.rx_datagrams"), 6);
    assert_int_equal(e->rec->n, 0);
    assert_int_equal(h_pool_in_use(e), 0);
}

static void
test_udp_rcvbuf_bounded(void **state)
{
    struct notes t = {0};
    struct h_env *e = env(state, &t);
    int tag_u, tag_v;
    struct udp_pcb *u = udp_open(e->s, &tag_u);
    struct udp_pcb *v = udp_open(e->s, &tag_v);

    udp_set_rcvbuf(u, 0);
    assert_int_equal(u->rcvbuf, UDP_RCVBUF_MIN);
    udp_set_rcvbuf(u, UINT32_MAX);
    assert_int_equal(u->rcvbuf, UDP_RCVBUF_MAX);
    udp_set_rcvbuf(u, 5000);
    assert_int_equal(u->rcvbuf, 5000);
    /* SO_RCVBUF limits the buffers queued, not the payload (as Linux
     * charges truesize): room for two pool buffers and a little */
    uint32_t buf = e->s->pool.buf_size;
    udp_set_rcvbuf(u, 2 * buf + 100);
    assert_int_equal(udp_bind(e->s, u, 0, 7), 0);
    assert_int_equal(udp_bind(e->s, v, 0, 8), 0);

    udp_in(e, H_IP_PEER, H_IP_US, 100, 7, 1000, 1);
    udp_in(e, H_IP_PEER, H_IP_US, 100, 7, 1000, 2);
    udp_in(e, H_IP_PEER, H_IP_US, 100, 7, 1000, 3); /* a third buffer: no */
    assert_int_equal(h_stat(e, "udp.rx_queue_full"), 1);
    udp_in(e, H_IP_PEER, H_IP_US, 100, 7, 1, 4); /* tiny, but a buffer all the same */
    assert_int_equal(h_stat(e, "udp.rx_queue_full"), 2);
    assert_int_equal(u->rxq_bytes, 2000);
    assert_int_equal(u->rxq_truesize, 2 * buf);
    assert_int_equal(t.n, 2); /* no notification for what was dropped */

    /* a full queue holds up nobody else, and nothing is sent back */
    udp_in(e, H_IP_PEER, H_IP_US, 100, 8, 500, 6);
    assert_int_equal(t.n, 3);
    assert_ptr_equal(t.last, &tag_v);
    assert_int_equal(e->rec->n, 0);
    assert_int_equal(h_stat(e, "udp.rx_delivered"), 3);
    assert_int_equal(h_pool_in_use(e), 3);

    /* reading makes room */
    expect_front(e, u, 1000, 1, H_IP_PEER, 100);
    assert_int_equal(u->rxq_bytes, 1000);
    udp_in(e, H_IP_PEER, H_IP_US, 100, 7, 1000, 7);
    assert_int_equal(h_stat(e, "udp.rx_queue_full"), 2);
    expect_front(e, u, 1000, 2, H_IP_PEER, 100);
    expect_front(e, u, 1000, 7, H_IP_PEER, 100);
    expect_empty(u);
    expect_front(e, v, 500, 6, H_IP_PEER, 100);
    assert_int_equal(h_pool_in_use(e), 0);
}

static void
test_udp_closed_port_unreachable(void **state)
{
    struct h_env *e = env(state, NULL);
    uint8_t f[128];

    h_input(e, real_frame, sizeof(real_frame));
    assert_int_equal(h_stat(e, "udp.rx_no_port"), 1);
    assert_int_equal(h_stat(e, "icmp.tx_unreach"), 1);
    assert_int_equal(e->rec->n, 1);
    struct h_out o;
    h_out_ip(e->rec, 0, &o);
    assert_memory_equal(o.eth.dst, h_mac_peer, 6);
    assert_int_equal(o.ip.src, H_IP_US);
    assert_int_equal(o.ip.dst, H_IP_PEER);
    assert_int_equal(o.ip.proto, IP_PROTO_ICMP);
    assert_int_equal(o.ip.total_len, 20 + 8 + 42);
    const uint8_t hdr[8] = {ICMP_DEST_UNREACH, ICMP_UNREACH_PORT};
    assert_memory_equal(o.data, hdr, 2);
    assert_memory_equal(o.data + 4, hdr + 4, 4);
    assert_int_equal(cksum(o.data, o.data_len), 0);
    /* the datagram quoted whole: IP header as it came and the UDP bytes */
    assert_memory_equal(o.data + 8, real_frame + ETH_HDR_LEN, 42);

    /* none for broadcasts, limited or subnet, link broadcast or not */
    rec_clear(e->rec);
    size_t n = udp_frame(f, H_IP_PEER, BCAST_NET, 40000, 7, HELLO, HELLO_LEN);
    memcpy(f, eth_broadcast, 6);
    h_input(e, f, n);
    n = udp_frame(f, H_IP_PEER, 0xffffffffu, 40000, 7, HELLO, HELLO_LEN);
    memcpy(f, eth_broadcast, 6);
    h_input(e, f, n);
    h_input(e, f, udp_frame(f, H_IP_PEER, BCAST_NET, 40000, 7, HELLO, HELLO_LEN));
    assert_int_equal(h_stat(e, "udp.rx_no_port"), 4);
    assert_int_equal(h_stat(e, "icmp.tx_unreach"), 1);
    assert_int_equal(h_stat(e, "icmp.tx_err_suppressed"), 3);
    assert_int_equal(e->rec->n, 0);
    assert_int_equal(h_pool_in_use(e), 0);
}

/* ---- bind ---- */

static void
test_udp_bind_rules(void **state)
{
    struct h_env *e = env(state, NULL);
    struct stack *s = e->s;
    struct udp_pcb *a = udp_open(s, NULL), *b = udp_open(s, NULL);

    assert_int_equal(udp_bind(s, a, 0, 5000), 0);
    assert_int_equal(udp_bind(s, b, 0, 5000), -EADDRINUSE);
    assert_int_equal(udp_bind(s, b, H_IP_US, 5000), -EADDRINUSE); /* a has any */
    assert_int_equal(b->lport, 0);
    assert_int_equal(udp_bind(s, a, 0, 5001), -EINVAL); /* already bound */
    assert_int_equal(a->lport, 5000);
    /* addresses that are not ours */
    const uint32_t not_ours[] = {H_IP_OTHER, H_IP_PEER, 0x7f000001, OFF_LINK, 0xe0000001};
    for (size_t i = 0; i < sizeof(not_ours) / sizeof(not_ours[0]); i++)
        assert_int_equal(udp_bind(s, b, not_ours[i], 5002), -EADDRNOTAVAIL);
    assert_int_equal(b->lport, 0);
    assert_int_equal(udp_bind(s, b, H_IP_US, 5002), 0);
    assert_int_equal(b->laddr, H_IP_US);
    struct udp_pcb *c = udp_open(s, NULL);
    assert_int_equal(udp_bind(s, c, 0, 5002), -EADDRINUSE); /* any covers b's */
    assert_int_equal(udp_bind(s, c, BCAST_NET, 5003), 0);   /* broadcasts may be bound */

    /* SO_REUSEADDR: shared only when both ask */
    struct udp_pcb *d = udp_open(s, NULL), *f = udp_open(s, NULL), *g = udp_open(s, NULL);
    d->reuseaddr = 1;
    assert_int_equal(udp_bind(s, d, 0, 6000), 0);
    assert_int_equal(udp_bind(s, f, 0, 6000), -EADDRINUSE);
    f->reuseaddr = 1;
    assert_int_equal(udp_bind(s, f, 0, 6000), 0);
    g->reuseaddr = 1;
    assert_int_equal(udp_bind(s, g, 0, 5000), -EADDRINUSE); /* a did not */
    /* closing frees the port */
    udp_close(s, a);
    assert_int_equal(udp_bind(s, g, 0, 5000), 0);
}

/* ---- ephemeral ports ---- */

#define EPH_N 500

/* The ports EPH_N binds to port 0 get on a fresh engine with this seed. */
static void
ephemeral_ports(uint64_t seed, uint16_t *out)
{
    struct stack_config c;

    h_config(&c);
    c.seed = seed;
    struct h_env *e = h_env_new(&c, H_T0);
    for (size_t i = 0; i < EPH_N; i++) {
        struct udp_pcb *u = udp_open(e->s, NULL);
        assert_int_equal(udp_bind(e->s, u, 0, 0), 0);
        out[i] = u->lport;
    }
    h_env_free(e);
}

static void
test_udp_ephemeral_ports(void **state)
{
    (void)state;
    static uint16_t a[EPH_N], b[EPH_N], c[EPH_N];
    static uint8_t seen[65536];

    ephemeral_ports(42, a);
    for (size_t i = 0; i < EPH_N; i++) {
        if (a[i] < UDP_EPHEMERAL_LO)
            fail_msg("port %u out of range", a[i]);
        if (seen[a[i]]++)
            fail_msg("port %u given twice", a[i]);
    }
    /* the same seed gives the same ports; another seed others */
    ephemeral_ports(42, b);
    assert_memory_equal(a, b, sizeof(a));
    ephemeral_ports(43, c);
    size_t same = 0;
    for (size_t i = 0; i < EPH_N; i++)
        same += a[i] == c[i];
    assert_true(same < 5);
    /* random, not sequential */
    size_t steps = 0;
    for (size_t i = 1; i < EPH_N; i++)
        steps += a[i] == a[i - 1] + 1;
    assert_true(steps < 5);
}

static void
test_udp_ephemeral_implicit_and_exhausted(void **state)
{
    struct h_env *e = env(state, NULL);
    struct stack *s = e->s;

    /* connect and sendto bind an unbound endpoint to an ephemeral port */
    struct udp_pcb *u = udp_open(s, NULL), *v = udp_open(s, NULL);
    assert_int_equal(udp_connect(s, u, H_IP_PEER, 7), 0);
    assert_true(u->lport >= UDP_EPHEMERAL_LO);
    assert_int_equal(u->laddr, H_IP_US); /* connect also fixes the address */
    assert_int_equal(udp_sendto(s, v, "x", 1, H_IP_PEER, 7), 1);
    assert_true(v->lport >= UDP_EPHEMERAL_LO);
    assert_int_equal(v->laddr, 0); /* sendto does not */
    assert_int_not_equal(u->lport, v->lport);
    struct h_out o;
    h_out_ip(e->rec, 0, &o);
    assert_int_equal(be16_get(o.data), v->lport);
    udp_close(s, u);
    udp_close(s, v);

    /* every port of the range taken: EAGAIN, as Linux */
    for (uint32_t p = UDP_EPHEMERAL_LO; p <= UDP_EPHEMERAL_HI; p++) {
        struct udp_pcb *w = udp_open(s, NULL);
        assert_int_equal(udp_bind(s, w, 0, (uint16_t)p), 0);
    }
    struct udp_pcb *x = udp_open(s, NULL);
    assert_int_equal(udp_bind(s, x, 0, 0), -EAGAIN);
    assert_int_equal(x->lport, 0);
    assert_int_equal(udp_sendto(s, x, "x", 1, H_IP_PEER, 7), -EAGAIN);
    assert_int_equal(udp_bind(s, x, 0, 1024), 0); /* outside the range is fine */
}

/* ---- connect ---- */

static void
test_udp_connect_demux(void **state)
{
    struct h_env *e = env(state, NULL);
    struct stack *s = e->s;

    /* the connected endpoint wins for its peer whichever was made first */
    for (int order = 0; order < 2; order++) {
        struct udp_pcb *w = NULL, *c = NULL;
        for (int k = 0; k < 2; k++) {
            struct udp_pcb *u = udp_open(s, NULL);
            u->reuseaddr = 1;
            assert_int_equal(udp_bind(s, u, 0, 5000), 0);
            if ((k == 0) == (order == 0)) {
                assert_int_equal(udp_connect(s, u, H_IP_PEER, 40000), 0);
                assert_int_equal(u->raddr, H_IP_PEER);
                assert_int_equal(u->rport, 40000);
                c = u;
            } else {
                w = u;
            }
        }
        udp_in(e, H_IP_PEER, H_IP_US, 40000, 5000, 10, 1);
        udp_in(e, H_IP_PEER, H_IP_US, 40001, 5000, 11, 2);  /* other port */
        udp_in(e, H_IP_OTHER, H_IP_US, 40000, 5000, 12, 3); /* other host */
        expect_front(e, c, 10, 1, H_IP_PEER, 40000);
        expect_empty(c);
        expect_front(e, w, 11, 2, H_IP_PEER, 40001);
        expect_front(e, w, 12, 3, H_IP_OTHER, 40000);
        expect_empty(w);
        udp_close(s, w);
        udp_close(s, c);
    }
    assert_int_equal(e->rec->n, 0);

    /* without a wildcard one, other sources find no endpoint */
    struct udp_pcb *c = udp_open(s, NULL);
    assert_int_equal(udp_bind(s, c, 0, 5000), 0);
    assert_int_equal(udp_connect(s, c, H_IP_PEER, 40000), 0);
    udp_in(e, H_IP_PEER, H_IP_US, 40001, 5000, 11, 2);
    expect_empty(c);
    assert_int_equal(h_stat(e, "udp.rx_no_port"), 1);
    assert_int_equal(h_stat(e, "icmp.tx_unreach"), 1);
    /* AF_UNSPEC dissolves the association: everyone is heard again */
    assert_int_equal(udp_connect(s, c, 0, 0), 0);
    assert_int_equal(c->raddr, 0);
    assert_int_equal(c->rport, 0);
    assert_int_equal(c->lport, 5000);
    udp_in(e, H_IP_PEER, H_IP_US, 40001, 5000, 11, 2);
    expect_front(e, c, 11, 2, H_IP_PEER, 40001);

    /* bound to our address beats bound to any, in either order */
    for (int order = 0; order < 2; order++) {
        struct udp_pcb *a = udp_open(s, NULL), *b = udp_open(s, NULL);
        a->reuseaddr = b->reuseaddr = 1;
        struct udp_pcb *spec = order ? a : b, *any = order ? b : a;
        assert_int_equal(udp_bind(s, a, order ? H_IP_US : 0, 6000), 0);
        assert_int_equal(udp_bind(s, b, order ? 0 : H_IP_US, 6000), 0);
        udp_in(e, H_IP_PEER, H_IP_US, 1, 6000, 3, 4);
        expect_front(e, spec, 3, 4, H_IP_PEER, 1);
        expect_empty(any);
        udp_close(s, a);
        udp_close(s, b);
    }

    /* connect picks the source address as Linux does, and getsockname
     * shows it; AF_UNSPEC gives the wildcard back, unless bind chose it */
    struct udp_pcb *n = udp_open(s, NULL);
    uint32_t la;
    uint16_t lp;
    assert_int_equal(udp_connect(s, n, H_IP_PEER, 40000), 0);
    udp_local_name(n, &la, &lp);
    assert_int_equal(la, H_IP_US);
    assert_true(lp != 0);
    assert_int_equal(udp_connect(s, n, 0, 0), 0);
    udp_local_name(n, &la, &lp);
    assert_int_equal(la, 0);
    udp_close(s, n);
    n = udp_open(s, NULL);
    assert_int_equal(udp_bind(s, n, H_IP_US, 5001), 0);
    assert_int_equal(udp_connect(s, n, H_IP_PEER, 40000), 0);
    assert_int_equal(udp_connect(s, n, 0, 0), 0);
    udp_local_name(n, &la, &lp);
    assert_int_equal(la, H_IP_US);
    assert_int_equal(lp, 5001);
    udp_close(s, n);

    /* what connect refuses */
    struct udp_pcb *d = udp_open(s, NULL);
    assert_int_equal(udp_connect(s, d, H_IP_PEER, 0), -EINVAL);
    assert_int_equal(udp_connect(s, d, BCAST_NET, 7), -EACCES);
    assert_int_equal(udp_connect(s, d, 0xffffffffu, 7), -EACCES);
    assert_int_equal(d->raddr, 0);
    assert_int_equal(d->lport, 0);
    d->broadcast = 1;
    assert_int_equal(udp_connect(s, d, BCAST_NET, 7), 0);
    assert_int_equal(d->raddr, BCAST_NET);
}

/* ---- sendto ---- */

static void
test_udp_sendto_wire(void **state)
{
    struct h_env *e = env(state, NULL);
    struct stack *s = e->s;
    struct udp_pcb *u = udp_open(s, NULL), *v = udp_open(s, NULL);
    struct h_out o;

    /* Linux's datagram with addresses and ports swapped: the same UDP
     * bytes, checksum included */
    assert_int_equal(udp_bind(s, u, 0, 40000), 0);
    assert_int_equal(udp_connect(s, u, H_IP_PEER, 7), 0);
    assert_int_equal(e->rec->n, 0);
    assert_int_equal(udp_sendto(s, u, HELLO, HELLO_LEN, 0, 0), HELLO_LEN);
    assert_int_equal(e->rec->n, 1);
    h_out_ip(e->rec, 0, &o);
    assert_int_equal(e->rec->f[0].len, ETH_MIN_FRAME);
    assert_memory_equal(o.eth.dst, h_mac_peer, 6);
    assert_int_equal(o.ip.src, H_IP_US);
    assert_int_equal(o.ip.dst, H_IP_PEER);
    assert_int_equal(o.ip.proto, IP_PROTO_UDP);
    assert_int_equal(o.ip.ttl, 64);
    assert_int_equal(o.ip.total_len, 42);
    assert_int_equal(o.data_len, REAL_UDP_LEN);
    assert_memory_equal(o.data, REAL_UDP, REAL_UDP_LEN);

    /* an explicit address, from an unconnected endpoint: sport one more,
     * so the checksum one less */
    assert_int_equal(udp_bind(s, v, 0, 40001), 0);
    assert_int_equal(udp_sendto(s, v, HELLO, HELLO_LEN, H_IP_PEER, 7), HELLO_LEN);
    h_out_ip(e->rec, 1, &o);
    const uint8_t want[8] = {0x9c, 0x41, 0x00, 0x07, 0x00, 0x16, 0xab, 0x21};
    assert_memory_equal(o.data, want, 8);
    assert_memory_equal(o.data + 8, HELLO, HELLO_LEN);

    /* an explicit address on a connected endpoint goes there */
    h_learn(e, H_IP_OTHER, h_mac_other);
    assert_int_equal(udp_sendto(s, u, "abc", 3, H_IP_OTHER, 9), 3);
    assert_int_equal(e->rec->n, 1);
    h_out_ip(e->rec, 0, &o);
    assert_memory_equal(o.eth.dst, h_mac_other, 6);
    assert_int_equal(o.ip.dst, H_IP_OTHER);
    assert_int_equal(o.data_len, 11);
    assert_int_equal(be16_get(o.data), 40000);
    assert_int_equal(be16_get(o.data + 2), 9);
    assert_int_equal(be16_get(o.data + 4), 11);
    assert_udp_cksum(o.data, 11, H_IP_US, H_IP_OTHER);
    assert_memory_equal(o.data + 8, "abc", 3);

    /* an empty datagram; an odd length */
    rec_clear(e->rec);
    assert_int_equal(udp_sendto(s, u, "", 0, 0, 0), 0);
    h_out_ip(e->rec, 0, &o);
    assert_int_equal(o.data_len, 8);
    assert_int_equal(be16_get(o.data + 4), 8);
    assert_udp_cksum(o.data, 8, H_IP_US, H_IP_PEER);
    uint8_t odd[999];
    h_pattern(odd, sizeof(odd), 9);
    assert_int_equal(udp_sendto(s, u, odd, sizeof(odd), 0, 0), 999);
    h_out_ip(e->rec, 1, &o);
    assert_int_equal(o.data_len, 1007);
    assert_int_equal(be16_get(o.data + 4), 1007);
    assert_udp_cksum(o.data, 1007, H_IP_US, H_IP_PEER);
    assert_memory_equal(o.data + 8, odd, 999);

    /* a checksum that computes to 0 leaves as 0xffff */
    rec_clear(e->rec);
    uint8_t d[10];
    udp_dgram(d, H_IP_US, H_IP_PEER, 40000, 7, "\0\0", 2);
    uint16_t fill = be16_get(d + 6); /* the sum's complement with zero data */
    uint8_t data[2];
    be16_put(data, fill);
    assert_int_equal(udp_sendto(s, u, data, 2, 0, 0), 2);
    h_out_ip(e->rec, 0, &o);
    assert_int_equal(be16_get(o.data + 6), 0xffff);
    assert_int_equal(cksum_finish(cksum_add(
                         cksum_pseudo(H_IP_US, H_IP_PEER, IP_PROTO_UDP, 10), o.data, 10)),
                     0);

    assert_int_equal(h_stat(e, "udp.tx_datagrams"), 6);
    assert_int_equal(h_pool_in_use(e), 0);
}

static void
test_udp_sendto_errors(void **state)
{
    struct h_env *e = env(state, NULL);
    struct stack *s = e->s;
    struct udp_pcb *u = udp_open(s, NULL);
    uint8_t *big = calloc(1, UDP_MAX_PAYLOAD + 1);
    struct h_out o;

    assert_non_null(big);
    assert_int_equal(udp_sendto(s, u, "x", 1, 0, 0), -EDESTADDRREQ);
    assert_int_equal(udp_sendto(s, u, "x", 1, 0, 7), -EDESTADDRREQ);
    assert_int_equal(u->lport, 0); /* refused before binding */
    assert_int_equal(udp_sendto(s, u, big, UDP_MAX_PAYLOAD + 1, H_IP_PEER, 7), -EMSGSIZE);
    assert_int_equal(udp_sendto(s, u, "x", 1, H_IP_PEER, 0), -EINVAL);
    assert_int_equal(udp_sendto(s, u, "x", 1, BCAST_NET, 7), -EACCES);
    assert_int_equal(udp_sendto(s, u, "x", 1, 0xffffffffu, 7), -EACCES);
    assert_int_equal(u->lport, 0);
    assert_int_equal(e->rec->n, 0);
    assert_int_equal(udp_sendto(s, u, "x", 1, OFF_LINK, 7), -EHOSTUNREACH);
    assert_int_equal(e->rec->n, 0);
    assert_int_equal(h_stat(e, "ipv4.tx_no_route"), 1);
    assert_int_equal(h_pool_in_use(e), 0);
    /* a connected endpoint too gets EMSGSIZE */
    assert_int_equal(udp_connect(s, u, H_IP_PEER, 7), 0);
    assert_int_equal(udp_sendto(s, u, big, UDP_MAX_PAYLOAD + 1, 0, 0), -EMSGSIZE);
    assert_int_equal(e->rec->n, 0);

    /* SO_BROADCAST allows both broadcasts, sent to the link broadcast */
    u->broadcast = 1;
    assert_int_equal(udp_sendto(s, u, "bc", 2, BCAST_NET, 7), 2);
    assert_int_equal(udp_sendto(s, u, "bc", 2, 0xffffffffu, 7), 2);
    assert_int_equal(e->rec->n, 2);
    const uint32_t dst[2] = {BCAST_NET, 0xffffffffu};
    for (size_t i = 0; i < 2; i++) {
        h_out_ip(e->rec, i, &o);
        assert_memory_equal(o.eth.dst, eth_broadcast, 6);
        assert_int_equal(o.ip.dst, dst[i]);
        assert_int_equal(be16_get(o.data), u->lport);
        assert_int_equal(be16_get(o.data + 2), 7);
        assert_int_equal(be16_get(o.data + 4), 10);
        assert_udp_cksum(o.data, 10, H_IP_US, dst[i]);
    }
    free(big);
}

static void
test_udp_sendto_max_fragmented(void **state)
{
    struct h_env *e = env(state, NULL);
    struct stack *s = e->s;
    struct udp_pcb *u = udp_open(s, NULL);
    uint8_t *data = malloc(UDP_MAX_PAYLOAD), *out = malloc(H_FRAME_MAX);
    struct ipv4_repr ip;

    assert_non_null(data);
    assert_non_null(out);
    h_pattern(data, UDP_MAX_PAYLOAD, 77);
    assert_int_equal(udp_bind(s, u, 0, 4242), 0);
    assert_int_equal(udp_sendto(s, u, data, UDP_MAX_PAYLOAD, H_IP_PEER, 9),
                     UDP_MAX_PAYLOAD);
    /* 65515 bytes of UDP in 1480-byte pieces */
    const size_t frags = (UDP_MAX_PAYLOAD + 8 + 1479) / 1480;
    assert_int_equal(frags, 45);
    assert_int_equal(e->rec->n, frags);
    size_t len = h_reassemble(e->rec, 0, frags, 1500, out, H_FRAME_MAX, &ip);
    assert_int_equal(len, 65515);
    assert_int_equal(ip.proto, IP_PROTO_UDP);
    assert_int_equal(ip.src, H_IP_US);
    assert_int_equal(ip.dst, H_IP_PEER);
    assert_int_equal(be16_get(out), 4242);
    assert_int_equal(be16_get(out + 2), 9);
    assert_int_equal(be16_get(out + 4), 65515);
    assert_udp_cksum(out, 65515, H_IP_US, H_IP_PEER);
    assert_memory_equal(out + 8, data, UDP_MAX_PAYLOAD);
    assert_int_equal(h_stat(e, "ipv4.tx_fragments"), frags);
    assert_int_equal(h_stat(e, "udp.tx_datagrams"), 1);
    assert_int_equal(h_pool_in_use(e), 0);
    free(data);
    free(out);
}

/* ---- ICMP errors ---- */

/* An ICMP error type/code from the peer quoting q_len bytes at q. */
static void
icmp_err_in(struct h_env *e, uint8_t type, uint8_t code, const uint8_t *q, size_t q_len)
{
    uint8_t m[600], f[700];

    memset(m, 0, ICMP_HDR_LEN);
    m[0] = type;
    m[1] = code;
    memcpy(m + ICMP_HDR_LEN, q, q_len);
    be16_put(m + 2, cksum(m, ICMP_HDR_LEN + q_len));
    h_input(
        e, f,
        h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_ICMP, 9, 0, m, ICMP_HDR_LEN + q_len));
}

static void
test_udp_icmp_error_connected(void **state)
{
    struct notes t = {0};
    struct h_env *e = env(state, &t);
    struct stack *s = e->s;
    int tag_c, tag_v;
    struct udp_pcb *c = udp_open(s, &tag_c), *v = udp_open(s, &tag_v);
    uint8_t qc[64], qv[64];

    assert_int_equal(udp_bind(s, c, 0, 40000), 0);
    assert_int_equal(udp_connect(s, c, H_IP_PEER, 7), 0);
    assert_int_equal(udp_bind(s, v, 0, 40001), 0);
    assert_int_equal(udp_sendto(s, c, HELLO, HELLO_LEN, 0, 0), HELLO_LEN);
    assert_int_equal(udp_sendto(s, v, HELLO, HELLO_LEN, H_IP_PEER, 7), HELLO_LEN);
    assert_int_equal(e->rec->n, 2);
    memcpy(qc, e->rec->f[0].data + ETH_HDR_LEN, 42);
    memcpy(qv, e->rec->f[1].data + ETH_HDR_LEN, 42);
    rec_clear(e->rec);
    assert_int_equal(udp_take_error(c), 0);

    /* port unreachable quoting the header and 8 bytes (RFC 792) */
    icmp_err_in(e, ICMP_DEST_UNREACH, ICMP_UNREACH_PORT, qc, 28);
    assert_int_equal(t.n, 1);
    assert_ptr_equal(t.last, &tag_c);
    assert_int_equal(h_stat(e, "udp.rx_icmp_errors"), 1);
    assert_int_equal(c->so_error, ECONNREFUSED);
    assert_int_equal(udp_take_error(c), ECONNREFUSED);
    assert_int_equal(udp_take_error(c), 0); /* once */

    /* an unconnected endpoint gets nothing */
    icmp_err_in(e, ICMP_DEST_UNREACH, ICMP_UNREACH_PORT, qv, 28);
    assert_int_equal(udp_take_error(v), 0);
    assert_int_equal(t.n, 1);
    /* not even from a quote naming "no peer" (0.0.0.0:0) */
    uint8_t forged[28];
    memcpy(forged, qv, 28);
    be32_put(forged + 16, 0);
    be16_put(forged + 22, 0);
    icmp_err_in(e, ICMP_DEST_UNREACH, ICMP_UNREACH_PORT, forged, 28);
    assert_int_equal(udp_take_error(v), 0);
    assert_int_equal(t.n, 1);
    assert_int_equal(h_stat(e, "udp.rx_icmp_errors"), 1);

    /* the whole datagram quoted, as Linux does, works the same */
    icmp_err_in(e, ICMP_DEST_UNREACH, ICMP_UNREACH_PORT, qc, 42);
    assert_int_equal(udp_take_error(c), ECONNREFUSED);
    /* host unreachable */
    icmp_err_in(e, ICMP_DEST_UNREACH, 1, qc, 28);
    assert_int_equal(udp_take_error(c), EHOSTUNREACH);
    assert_int_equal(t.n, 3);

    /* ignored: a quote too short for the ports, a quote of a datagram we
     * did not send, another peer port, an error that is not unreachable */
    icmp_err_in(e, ICMP_DEST_UNREACH, ICMP_UNREACH_PORT, qc, 27);
    uint8_t other[28];
    memcpy(other, qc, 28);
    be32_put(other + 12, H_IP_OTHER);
    icmp_err_in(e, ICMP_DEST_UNREACH, ICMP_UNREACH_PORT, other, 28);
    memcpy(other, qc, 28);
    be16_put(other + 22, 8);
    icmp_err_in(e, ICMP_DEST_UNREACH, ICMP_UNREACH_PORT, other, 28);
    icmp_err_in(e, ICMP_TIME_EXCEEDED, 0, qc, 28);
    assert_int_equal(udp_take_error(c), 0);
    assert_int_equal(t.n, 3);
    assert_int_equal(h_stat(e, "udp.rx_icmp_errors"), 3);
    assert_int_equal(h_stat(e, "icmp.rx_errors"), 9);

    /* a pending error is dropped by a new connect */
    icmp_err_in(e, ICMP_DEST_UNREACH, ICMP_UNREACH_PORT, qc, 28);
    assert_int_equal(c->so_error, ECONNREFUSED);
    assert_int_equal(udp_connect(s, c, H_IP_PEER, 7), 0);
    assert_int_equal(udp_take_error(c), 0);
    assert_int_equal(e->rec->n, 0); /* no error about an error */
    assert_int_equal(h_pool_in_use(e), 0);
}

/* ---- close ---- */

static void
test_udp_close_frees_queue(void **state)
{
    struct h_env *e = env(state, NULL);
    struct stack *s = e->s;
    struct udp_pcb *u = udp_open(s, NULL), *v = udp_open(s, NULL);

    assert_int_equal(udp_bind(s, u, 0, 7), 0);
    assert_int_equal(udp_bind(s, v, 0, 8), 0);
    for (uint32_t i = 0; i < 3; i++)
        udp_in(e, H_IP_PEER, H_IP_US, 100, 7, 100 + i, i);
    udp_in(e, H_IP_PEER, H_IP_US, 100, 8, 1472, 9);
    assert_int_equal(h_pool_in_use(e), 4);
    udp_close(s, u);
    assert_int_equal(h_pool_in_use(e), 1);
    /* the port is closed: unreachable; and free to bind again */
    udp_in(e, H_IP_PEER, H_IP_US, 100, 7, 10, 1);
    assert_int_equal(h_stat(e, "udp.rx_no_port"), 1);
    assert_int_equal(e->rec->n, 1);
    struct udp_pcb *w = udp_open(s, NULL);
    assert_int_equal(udp_bind(s, w, 0, 7), 0);
    udp_in(e, H_IP_PEER, H_IP_US, 100, 7, 10, 1);
    assert_int_equal(h_pool_in_use(e), 2);
    /* v and w, with what they hold, are left for stack_free (teardown),
     * which LeakSanitizer checks */
}

/* RFC 1122 §3.2.1.3: to our own address or 127/8 never goes on the wire;
 * it comes back up at the next poll, from our address. */
static void
test_udp_local_delivery(void **state)
{
    struct notes t = {0};
    struct h_env *e = env(state, &t);
    int tag;
    struct udp_pcb *u = udp_open(e->s, &tag), *v = udp_open(e->s, NULL);
    uint8_t b[100];

    assert_int_equal(udp_bind(e->s, u, 0, 7), 0);
    h_pattern(b, sizeof(b), 9);
    assert_int_equal(udp_sendto(e->s, v, b, sizeof(b), H_IP_US, 7), 100);
    assert_int_equal(udp_sendto(e->s, v, b, sizeof(b), 0x7f000001, 7), 100);
    assert_int_equal(t.n, 0); /* nothing delivered from inside sendto */
    h_poll(e, e->now + 1);
    assert_int_equal(t.n, 2);
    expect_front(e, u, 100, 9, H_IP_US, v->lport);
    expect_front(e, u, 100, 9, H_IP_US, v->lport);
    expect_empty(u);
    assert_int_equal(h_stat(e, "ipv4.tx_loopback"), 2);
    assert_int_equal(e->rec->n, 0);
    assert_int_equal(h_pool_in_use(e), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp_hdr_known_bytes),
        cmocka_unit_test(test_udp_hdr_zero_cksum_is_none),
        cmocka_unit_test(test_udp_hdr_computed_zero_sent_as_ffff),
        cmocka_unit_test(test_udp_hdr_malformed),
        cmocka_unit_test(test_udp_hdr_padding_ignored),
        cmocka_unit_test_teardown(test_udp_input_bad_counted, h_teardown),
        cmocka_unit_test_teardown(test_udp_input_padding_ignored, h_teardown),
        cmocka_unit_test_teardown(test_udp_deliver, h_teardown),
        cmocka_unit_test_teardown(test_udp_rcvbuf_bounded, h_teardown),
        cmocka_unit_test_teardown(test_udp_local_delivery, h_teardown),
        cmocka_unit_test_teardown(test_udp_closed_port_unreachable, h_teardown),
        cmocka_unit_test_teardown(test_udp_bind_rules, h_teardown),
        cmocka_unit_test(test_udp_ephemeral_ports),
        cmocka_unit_test_teardown(test_udp_ephemeral_implicit_and_exhausted, h_teardown),
        cmocka_unit_test_teardown(test_udp_connect_demux, h_teardown),
        cmocka_unit_test_teardown(test_udp_sendto_wire, h_teardown),
        cmocka_unit_test_teardown(test_udp_sendto_errors, h_teardown),
        cmocka_unit_test_teardown(test_udp_sendto_max_fragmented, h_teardown),
        cmocka_unit_test_teardown(test_udp_icmp_error_connected, h_teardown),
        cmocka_unit_test_teardown(test_udp_close_frees_queue, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
