/*
 * test_ipv4.c - Ethernet and IPv4 input and output through the engine:
 * header validation per reason, padding, what is ours, martian sources,
 * ICMP errors (when to send them, what they quote, the rate limit),
 * broadcast echo, fragmentation on output, the Ethernet filter, and two
 * engines pinging each other over a loop link.
 */
#include "harness.h"
#include "harness_tcp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/cksum.h"
#include "proto/icmp.h"
#include "proto/ipv4.h"
#include "stack_var.h"

#define BCAST_NET 0x0a0000ffu /* 10.0.0.255 */
#define PROTO_X 253           /* RFC 3692 experimental: nobody handles it */

static struct h_env *
env(void **state, const struct stack_config *c)
{
    struct stack_config d;

    if (!c) {
        h_config(&d);
        c = &d;
    }
    struct h_env *e = *state = h_env_new(c, H_T0);
    h_learn(e, H_IP_PEER, h_mac_peer);
    return e;
}

/* An echo request frame from the peer to dst with data_len bytes. */
static size_t
echo_frame(uint8_t *f, uint32_t src, uint32_t dst, uint16_t seq, size_t data_len)
{
    uint8_t m[1500];
    size_t n = h_echo(m, ICMP_ECHO_REQUEST, 0x5151, seq, data_len);

    return h_ip_frame(f, src, dst, IP_PROTO_ICMP, seq, 0, m, n);
}

/* A datagram of an unknown protocol from src to dst. */
static size_t
proto_x_frame(uint8_t *f, uint32_t src, uint32_t dst, size_t len)
{
    uint8_t m[1480];

    h_pattern(m, len, (uint32_t)len);
    return h_ip_frame(f, src, dst, PROTO_X, 0x1234, 0, m, len);
}

/* ---- input validation ---- */

static const char *const reasons[] = {
    "ipv4.rx_bad_len",       "ipv4.rx_bad_version", "ipv4.rx_bad_ihl",
    "ipv4.rx_bad_total_len", "ipv4.rx_bad_cksum",   "ipv4.rx_bad_frag",
};

static void
assert_reasons(struct h_env *e, const int want[6])
{
    for (int i = 0; i < 6; i++)
        if (h_stat(e, reasons[i]) != want[i])
            fail_msg("%s is %lld, want %d", reasons[i], (long long)h_stat(e, reasons[i]),
                     want[i]);
}

static void
test_ipv4_bad_header_counted(void **state)
{
    struct h_env *e = env(state, NULL);
    uint8_t f[128];
    uint8_t *ip = f + ETH_HDR_LEN;
    int want[6] = {0};

    size_t n = echo_frame(f, H_IP_PEER, H_IP_US, 1, 18);
    assert_int_equal(n, 60);
    h_input(e, f, ETH_HDR_LEN + 19); /* shorter than a header */
    want[0]++;
    assert_reasons(e, want);
    h_input(e, f, ETH_HDR_LEN);
    want[0]++;
    assert_reasons(e, want);

    echo_frame(f, H_IP_PEER, H_IP_US, 1, 18);
    ip[0] = 0x65;
    h_ip_fix_cksum(ip);
    h_input(e, f, n);
    want[1]++;
    assert_reasons(e, want);

    echo_frame(f, H_IP_PEER, H_IP_US, 1, 18);
    ip[0] = 0x44;
    h_input(e, f, n);
    want[2]++;
    assert_reasons(e, want);
    echo_frame(f, H_IP_PEER, H_IP_US, 1, 18);
    ip[0] = 0x4f; /* 60-byte header in a 46-byte packet */
    h_input(e, f, n);
    want[2]++;
    assert_reasons(e, want);

    echo_frame(f, H_IP_PEER, H_IP_US, 1, 18);
    be16_put(ip + 2, 19);
    h_ip_fix_cksum(ip);
    h_input(e, f, n);
    want[3]++;
    assert_reasons(e, want);
    be16_put(ip + 2, 47); /* one more than arrived */
    h_ip_fix_cksum(ip);
    h_input(e, f, n);
    want[3]++;
    assert_reasons(e, want);

    echo_frame(f, H_IP_PEER, H_IP_US, 1, 18);
    ip[8] = 63; /* TTL changed, checksum not */
    h_input(e, f, n);
    want[4]++;
    assert_reasons(e, want);

    echo_frame(f, H_IP_PEER, H_IP_US, 1, 18);
    be16_put(ip + 6, IPV4_FLAG_MF); /* 26 bytes of data is not a multiple of 8 */
    h_ip_fix_cksum(ip);
    h_input(e, f, n);
    want[5]++;
    assert_reasons(e, want);

    assert_int_equal(h_stat(e, "ipv4.rx_packets"), 9);
    assert_int_equal(h_stat(e, "icmp.rx_packets"), 0);
    assert_int_equal(h_stat(e, "ipv4.rx_fragments"), 0);
    assert_int_equal(e->rec->n, 0);
    assert_int_equal(h_pool_in_use(e), 0);
    /* the same frame unharmed is answered */
    echo_frame(f, H_IP_PEER, H_IP_US, 1, 18);
    h_input(e, f, n);
    assert_int_equal(e->rec->n, 1);
    assert_reasons(e, want);
}

static void
test_ipv4_padding_trimmed(void **state)
{
    struct h_env *e = env(state, NULL);
    uint8_t f[64], m[22];

    /* a 42-byte datagram (echo with 14 data bytes) in a 60-byte frame
     * padded with non-zero bytes, which must not reach ICMP */
    size_t len = h_echo(m, ICMP_ECHO_REQUEST, 0x5151, 9, 14);
    size_t n = h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_ICMP, 77, 0, m, len);
    assert_int_equal(n, 56);
    memset(f + n, 0xaa, 4);
    e->now = H_T0 + 5;
    h_input(e, f, 60);
    assert_int_equal(h_stat(e, "icmp.rx_bad_cksum"), 0);
    assert_int_equal(h_stat(e, "icmp.tx_echo_replies"), 1);
    assert_int_equal(e->rec->n, 1);
    struct h_out o;
    h_out_ip(e->rec, 0, &o);
    assert_int_equal(e->rec->f[0].len, 60);
    assert_int_equal(o.ip.total_len, 42);
    assert_int_equal(o.ip.ttl, 64);
    assert_int_equal(o.ip.frag, 0);
    assert_int_equal(o.ip.src, H_IP_US);
    assert_int_equal(o.ip.dst, H_IP_PEER);
    assert_memory_equal(o.eth.dst, h_mac_peer, 6);
    assert_int_equal(o.data_len, 22);
    assert_int_equal(o.data[0], ICMP_ECHO_REPLY);
    assert_int_equal(cksum(o.data, 22), 0);
    assert_memory_equal(o.data + 4, m + 4, 18);
    assert_memory_equal(e->rec->f[0].data + 56, h_mac_zero, 4); /* our padding: 0 */

    /* options are accepted and not echoed back */
    rec_clear(e->rec);
    uint8_t *ip = f + ETH_HDR_LEN;
    h_ip(ip, H_IP_PEER, H_IP_US, IP_PROTO_ICMP, 78, 0, 4 + len);
    ip[0] = 0x46;
    memcpy(ip + 20, (uint8_t[]){1, 1, 1, 0}, 4);
    memcpy(ip + 24, m, len);
    h_ip_fix_cksum(ip);
    h_input(e, f, ETH_HDR_LEN + 24 + len);
    h_out_ip(e->rec, 0, &o);
    assert_int_equal(o.ip.total_len, 42);
    assert_memory_equal(o.data + 4, m + 4, 18);
}

static void
test_ipv4_not_for_us(void **state)
{
    struct h_env *e = env(state, NULL);
    uint8_t f[128];
    const uint32_t dst[] = {H_IP_OTHER, 0, 0x0a000000, 0x0b000002, 0x7f000001};

    for (size_t i = 0; i < 5; i++)
        h_input(e, f, echo_frame(f, H_IP_PEER, dst[i], 1, 8));
    assert_int_equal(h_stat(e, "ipv4.rx_not_for_us"), 5);
    assert_int_equal(h_stat(e, "icmp.rx_packets"), 0);
    assert_int_equal(e->rec->n, 0);
}

static void
test_ipv4_martian_source(void **state)
{
    struct h_env *e = env(state, NULL);
    uint8_t f[128];
    const uint32_t src[] = {0,         0xffffffff, 0x7f000001, 0xe0000001,
                            BCAST_NET, 0xf0000001, H_IP_US};

    for (size_t i = 0; i < 7; i++) {
        h_input(e, f, echo_frame(f, src[i], H_IP_US, 1, 8));
        h_input(e, f, proto_x_frame(f, src[i], H_IP_US, 8)); /* no error either */
    }
    assert_int_equal(h_stat(e, "ipv4.rx_bad_src"), 14);
    assert_int_equal(h_stat(e, "icmp.rx_packets"), 0);
    assert_int_equal(h_stat(e, "ipv4.rx_unknown_proto"), 0);
    assert_int_equal(e->rec->n, 0);
    assert_int_equal(h_pool_in_use(e), 0);
}

/* ---- ICMP input ---- */

static void
test_icmp_input_counted(void **state)
{
    struct h_env *e = env(state, NULL);
    uint8_t f[128], m[64];

    /* shorter than an ICMP header */
    h_echo(m, ICMP_ECHO_REQUEST, 1, 1, 0);
    h_input(e, f, h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_ICMP, 1, 0, m, 7));
    assert_int_equal(h_stat(e, "icmp.rx_bad_len"), 1);
    /* bad checksum, odd length too */
    h_echo(m, ICMP_ECHO_REQUEST, 1, 2, 9);
    m[16] ^= 0x80;
    h_input(e, f, h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_ICMP, 2, 0, m, 17));
    assert_int_equal(h_stat(e, "icmp.rx_bad_cksum"), 1);
    assert_int_equal(e->rec->n, 0);
    /* a good odd-length request gets a reply with a good checksum */
    h_echo(m, ICMP_ECHO_REQUEST, 1, 3, 9);
    h_input(e, f, h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_ICMP, 3, 0, m, 17));
    assert_int_equal(e->rec->n, 1);
    struct h_out o;
    h_out_ip(e->rec, 0, &o);
    assert_int_equal(o.data_len, 17);
    assert_int_equal(o.data[0], ICMP_ECHO_REPLY);
    assert_int_equal(cksum(o.data, 17), 0);
    assert_memory_equal(o.data + 4, m + 4, 13);
    /* replies, errors and other types are counted, never answered */
    h_echo(m, ICMP_ECHO_REPLY, 1, 4, 8);
    h_input(e, f, h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_ICMP, 4, 0, m, 16));
    memset(m, 0, 36);
    m[0] = ICMP_DEST_UNREACH;
    h_ip(m + 8, H_IP_US, H_IP_PEER, 17, 5, 0, 8);
    be16_put(m + 2, cksum(m, 36));
    h_input(e, f, h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_ICMP, 5, 0, m, 36));
    memset(m, 0, 20);
    m[0] = 13; /* timestamp request: left out */
    be16_put(m + 2, cksum(m, 20));
    h_input(e, f, h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_ICMP, 6, 0, m, 20));
    assert_int_equal(h_stat(e, "icmp.rx_echo_replies"), 1);
    assert_int_equal(h_stat(e, "icmp.rx_errors"), 1);
    assert_int_equal(h_stat(e, "icmp.rx_unknown_type"), 1);
    assert_int_equal(h_stat(e, "icmp.rx_packets"), 6);
    assert_int_equal(h_stat(e, "icmp.tx_echo_replies"), 1);
    assert_int_equal(e->rec->n, 1);
    assert_int_equal(h_pool_in_use(e), 0);
}

/* ---- ICMP errors ---- */

static void
test_ipv4_unknown_proto_unreachable(void **state)
{
    struct h_env *e = env(state, NULL);
    uint8_t f[1600];

    size_t n = proto_x_frame(f, H_IP_PEER, H_IP_US, 12);
    h_input(e, f, n);
    assert_int_equal(h_stat(e, "ipv4.rx_unknown_proto"), 1);
    assert_int_equal(h_stat(e, "icmp.tx_unreach"), 1);
    assert_int_equal(e->rec->n, 1);
    struct h_out o;
    h_out_ip(e->rec, 0, &o);
    assert_memory_equal(o.eth.dst, h_mac_peer, 6);
    assert_int_equal(o.ip.dst, H_IP_PEER);
    assert_int_equal(o.ip.proto, IP_PROTO_ICMP);
    assert_int_equal(o.ip.total_len, 20 + 8 + 20 + 12);
    const uint8_t hdr[8] = {ICMP_DEST_UNREACH, ICMP_UNREACH_PROTO};
    assert_memory_equal(o.data, hdr, 2);
    assert_memory_equal(o.data + 4, hdr + 4, 4); /* unused: zero */
    assert_int_equal(cksum(o.data, o.data_len), 0);
    /* the original header as it came, and all 12 bytes of its data */
    assert_memory_equal(o.data + 8, f + ETH_HDR_LEN, 20 + 12);

    /* a big one is quoted up to 576 bytes in all */
    rec_clear(e->rec);
    n = proto_x_frame(f, H_IP_PEER, H_IP_US, 1400);
    h_input(e, f, n);
    h_out_ip(e->rec, 0, &o);
    assert_int_equal(o.ip.total_len, 576);
    assert_memory_equal(o.data + 8, f + ETH_HDR_LEN, 576 - 28);
    assert_int_equal(h_stat(e, "icmp.tx_unreach"), 2);
}

static void
test_ipv4_no_error_for_bcast(void **state)
{
    struct h_env *e = env(state, NULL);
    uint8_t f[128];

    h_input(e, f, proto_x_frame(f, H_IP_PEER, BCAST_NET, 8));
    h_input(e, f, proto_x_frame(f, H_IP_PEER, 0xffffffff, 8));
    size_t n = proto_x_frame(f, H_IP_PEER, H_IP_US, 8);
    memcpy(f, eth_broadcast, 6); /* our IP, but a link-layer broadcast */
    h_input(e, f, n);
    /* RFC 1122 §3.3.6: that one is discarded before any protocol sees it */
    assert_int_equal(h_stat(e, "ipv4.rx_link_bcast"), 1);
    assert_int_equal(h_stat(e, "ipv4.rx_unknown_proto"), 2);
    assert_int_equal(h_stat(e, "icmp.tx_err_suppressed"), 2);
    assert_int_equal(h_stat(e, "icmp.tx_unreach"), 0);
    assert_int_equal(e->rec->n, 0);
}

static void
test_ipv4_no_error_for_error_or_fragment(void **state)
{
    struct h_env *e = env(state, NULL);
    uint8_t f[128], m[64];

    /* RFC 1122 §3.2.2: fragment 0 of an ICMP error that never completes:
     * no time exceeded about it */
    m[0] = ICMP_DEST_UNREACH;
    m[1] = ICMP_UNREACH_PORT;
    memset(m + 2, 0, 62);
    h_input(e, f,
            h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_ICMP, 9, IPV4_FLAG_MF, m, 16));
    /* a lone later fragment of an unknown protocol: nothing now ... */
    h_input(e, f, h_ip_frame(f, H_IP_PEER, H_IP_US, PROTO_X, 10, 1, m, 16));
    assert_int_equal(h_stat(e, "ipv4.rx_unknown_proto"), 0);
    assert_int_equal(e->rec->n, 0);
    /* ... and nothing when it times out */
    h_poll(e, H_T0 + 30 * H_SEC);
    assert_int_equal(h_stat(e, "ipv4.reass_timeout"), 2);
    assert_int_equal(h_stat(e, "icmp.tx_err_suppressed"), 1);
    assert_int_equal(h_stat(e, "icmp.tx_time_exceeded"), 0);
    assert_int_equal(e->rec->n, 0);

    /* the same rules asked directly: about an ICMP error, about a
     * non-initial fragment; an echo request is fine */
    struct pkb *p = pkb_alloc(&e->s->pool, 64);
    uint8_t *d = pkb_put(p, 36);
    h_ip(d, H_IP_PEER, H_IP_US, IP_PROTO_ICMP, 11, 0, 16);
    memcpy(d + 20, m, 16);
    pkb_pull(p, 20);
    struct ip_meta meta = {.src = H_IP_PEER,
                           .dst = H_IP_US,
                           .proto = IP_PROTO_ICMP,
                           .ttl = 64,
                           .hdr_len = 20,
                           .payload_len = 16};
    icmp_error(e->s, p, &meta, ICMP_DEST_UNREACH, ICMP_UNREACH_PROTO);
    assert_int_equal(h_stat(e, "icmp.tx_err_suppressed"), 2);
    pkb_data(p)[0] = ICMP_ECHO_REQUEST;
    meta.frag_off = 8;
    icmp_error(e->s, p, &meta, ICMP_DEST_UNREACH, ICMP_UNREACH_PROTO);
    assert_int_equal(h_stat(e, "icmp.tx_err_suppressed"), 3);
    assert_int_equal(e->rec->n, 0);
    meta.frag_off = 0;
    icmp_error(e->s, p, &meta, ICMP_DEST_UNREACH, ICMP_UNREACH_PROTO);
    assert_int_equal(e->rec->n, 1);
    assert_int_equal(h_stat(e, "icmp.tx_err_suppressed"), 3);
    pkb_free(p);
    assert_int_equal(h_pool_in_use(e), 0);
}

static void
test_ipv4_icmp_rate_limit(void **state)
{
    struct h_env *e = env(state, NULL);
    uint8_t f[128];
    size_t n = proto_x_frame(f, H_IP_PEER, H_IP_US, 8);

    /* the default bucket: 50 at once, then 100 a second */
    e->now = H_T0 + 1;
    for (int i = 0; i < 60; i++)
        h_input(e, f, n);
    assert_int_equal(e->rec->n, 50);
    assert_int_equal(h_stat(e, "icmp.tx_unreach"), 50);
    assert_int_equal(h_stat(e, "icmp.tx_rate_limited"), 10);
    e->now = H_T0 + 1 + 10 * H_MS - 1;
    h_input(e, f, n);
    assert_int_equal(h_stat(e, "icmp.tx_rate_limited"), 11);
    e->now = H_T0 + 1 + 10 * H_MS; /* one token since the last try */
    h_input(e, f, n);
    h_input(e, f, n);
    assert_int_equal(e->rec->n, 51);
    assert_int_equal(h_stat(e, "icmp.tx_rate_limited"), 12);
    /* echo replies are not errors: not limited */
    for (uint16_t i = 0; i < 5; i++)
        h_input(e, f + 64, echo_frame(f + 64, H_IP_PEER, H_IP_US, i, 8));
    assert_int_equal(h_stat(e, "icmp.tx_echo_replies"), 5);
    /* a long pause refills to the burst, not beyond */
    e->now = H_T0 + 3600 * H_SEC;
    rec_clear(e->rec);
    for (int i = 0; i < 60; i++)
        h_input(e, f, n);
    assert_int_equal(e->rec->n, 50);
    assert_int_equal(h_stat(e, "icmp.tx_rate_limited"), 22);
}

static void
test_ipv4_icmp_rate_config(void **state)
{
    struct stack_config c;

    h_config(&c);
    c.icmp_burst = 3;
    c.icmp_rate_per_s = 2;
    struct h_env *e = env(state, &c);
    uint8_t f[128];
    size_t n = proto_x_frame(f, H_IP_PEER, H_IP_US, 8);

    for (int i = 0; i < 4; i++)
        h_input(e, f, n);
    assert_int_equal(e->rec->n, 3);
    /* 2 a second: the next token after 500 ms (of steady time) */
    for (uint64_t t = 100; t < 500; t += 100) {
        e->now = H_T0 + t * H_MS;
        h_input(e, f, n);
    }
    assert_int_equal(e->rec->n, 3);
    e->now = H_T0 + 500 * H_MS;
    h_input(e, f, n);
    assert_int_equal(e->rec->n, 4);
    assert_int_equal(h_stat(e, "icmp.tx_rate_limited"), 5);
}

static void
test_ipv4_bcast_echo_ignored(void **state)
{
    struct h_env *e = env(state, NULL);
    uint8_t f[128];

    h_input(e, f, echo_frame(f, H_IP_PEER, BCAST_NET, 1, 8));
    h_input(e, f, echo_frame(f, H_IP_PEER, 0xffffffff, 2, 8));
    size_t n = echo_frame(f, H_IP_PEER, H_IP_US, 3, 8);
    memcpy(f, eth_broadcast, 6);
    h_input(e, f, n);
    assert_int_equal(h_stat(e, "ipv4.rx_link_bcast"), 1);
    assert_int_equal(h_stat(e, "icmp.rx_echo_requests"), 2);
    assert_int_equal(h_stat(e, "icmp.rx_bcast_echo"), 2);
    assert_int_equal(h_stat(e, "icmp.tx_echo_replies"), 0);
    assert_int_equal(e->rec->n, 0);
    assert_int_equal(h_pool_in_use(e), 0);
}

/* ---- fragmentation on output ---- */

/* Send a 4000-byte echo request in pieces of `chunk`; check the reply
 * leaves as `frags` fragments that fit mtu. */
static void
fragmented_reply(struct h_env *e, uint16_t mtu, size_t chunk, size_t frags)
{
    uint8_t *msg = e->buf2, f[ETH_HDR_LEN + 1500];
    size_t len = h_echo(msg, ICMP_ECHO_REQUEST, 0x5151, 1, 4000);

    for (size_t off = 0; off < len; off += chunk) {
        size_t k = len - off < chunk ? len - off : chunk;
        uint16_t frag = (uint16_t)(off / 8) | (off + k < len ? IPV4_FLAG_MF : 0);
        h_input(e, f,
                h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_ICMP, 55, frag, msg + off, k));
    }
    assert_int_equal(h_stat(e, "icmp.tx_echo_replies"), 1);
    assert_int_equal(e->rec->n, frags);
    assert_int_equal(h_stat(e, "ipv4.tx_fragments"), frags);
    struct ipv4_repr ip;
    /* h_reassemble checks: same ID, offsets multiples of 8 and contiguous,
     * MF on all but the last, every fragment within the MTU */
    assert_int_equal(h_reassemble(e->rec, 0, frags, mtu, e->buf, H_FRAME_MAX, &ip), len);
    assert_int_equal(e->buf[0], ICMP_ECHO_REPLY);
    assert_int_equal(cksum(e->buf, len), 0);
    assert_memory_equal(e->buf + 4, msg + 4, len - 4);
    size_t full = (mtu - 20) & ~(size_t)7;
    for (size_t i = 0; i < frags; i++) {
        struct h_out o;
        h_out_ip(e->rec, i, &o);
        assert_int_equal(ipv4_frag_offset(&o.ip), i * full);
        assert_int_equal(o.data_len, i + 1 < frags ? full : len - i * full);
        assert_int_equal(o.ip.frag & IPV4_FLAG_DF, 0);
    }
    assert_int_equal(h_pool_in_use(e), 0);
}

static void
test_ipv4_fragment_output(void **state)
{
    struct h_env *e = env(state, NULL);

    fragmented_reply(e, 1500, 1480, 3); /* 1480 + 1480 + 1048 */
}

static void
test_ipv4_fragment_output_mtu576(void **state)
{
    struct stack_config c;

    h_config(&c);
    c.mtu = 576;
    struct h_env *e = env(state, &c);
    fragmented_reply(e, 576, 552, 8); /* 7 x 552 + 144 */
    /* a frame over this MTU is refused at the door */
    uint8_t f[1514];
    size_t n = proto_x_frame(f, H_IP_PEER, H_IP_US, 600 - 20);
    h_input(e, f, n);
    assert_int_equal(h_stat(e, "eth.rx_too_long"), 1);
}

/* ---- Ethernet ---- */

/* The IP ID of our echo request to dst (DF clear: not atomic). */
static uint16_t
ping_id(struct h_env *e, uint32_t dst)
{
    struct h_out o;

    rec_clear(e->rec);
    assert_int_equal(h_ping(e, dst, 1, 56), 0);
    assert_int_equal(e->rec->n, 1);
    h_out_ip(e->rec, 0, &o);
    assert_int_equal(o.ip.frag & IPV4_FLAG_DF, 0);
    return o.ip.id;
}

/* IP IDs per RFC 6864 and RFC 7739, not one counter for every datagram
 * (which tells anyone who sees two of our datagrams how many we sent to
 * everyone else in between, and lets an off-path host count a
 * connection's segments or aim fragments at it):
 * - a non-atomic datagram takes the next value of a counter chosen by a
 *   keyed hash of (src, dst, proto) (RFC 7739 §5.3): consecutive for one
 *   destination, whatever went to others in between, and never repeated
 *   for one triple within 2^16 datagrams (RFC 6864 §4.2);
 * - an atomic one (DF, not fragmented) carries 0 (RFC 6864 §4.1 allows
 *   any value), as Linux for a datagram of no connected socket. */
static void
test_ipv4_ids(void **state)
{
    struct h_env *e = env(state, NULL);

    h_learn(e, H_IP_OTHER, h_mac_other);
    uint16_t a1 = ping_id(e, H_IP_PEER);
    uint16_t b1 = ping_id(e, H_IP_OTHER);
    uint16_t b2 = ping_id(e, H_IP_OTHER);
    uint16_t a2 = ping_id(e, H_IP_PEER);
    assert_int_equal((uint16_t)(a2 - a1), 1);
    assert_int_equal((uint16_t)(b2 - b1), 1);
    assert_true(b1 != (uint16_t)(a1 + 1)); /* another counter, elsewhere */
    for (int i = 0; i < 100; i++)          /* to one triple: consecutive */
        assert_int_equal(ping_id(e, H_IP_PEER), (uint16_t)(a2 + 1 + i));

    /* atomic: a RST from a closed port (DF) */
    rec_clear(e->rec);
    ht_raw(e, HT_PEER_PORT, 81, TCP_SYN, 1000, 0, NULL, 0);
    assert_int_equal(e->rec->n, 1);
    struct h_out o;
    h_out_ip(e->rec, 0, &o);
    assert_true(o.ip.frag & IPV4_FLAG_DF);
    assert_int_equal(o.ip.id, 0);
}

static void
test_eth_filter(void **state)
{
    struct h_env *e = env(state, NULL);
    uint8_t f[1600] = {0};
    const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};

    size_t n = echo_frame(f, H_IP_PEER, H_IP_US, 1, 8);
    memcpy(f, h_mac_other, 6);
    h_input(e, f, n);
    memcpy(f, mcast, 6);
    h_input(e, f, n);
    assert_int_equal(h_stat(e, "eth.rx_not_for_us"), 2);
    memcpy(f, h_mac_us, 6);
    be16_put(f + 12, 0x86dd);
    h_input(e, f, n);
    be16_put(f + 12, 0x8100);
    h_input(e, f, n);
    assert_int_equal(h_stat(e, "eth.rx_unknown_type"), 2);
    h_input(e, f, 13);
    h_input(e, f, 0);
    assert_int_equal(h_stat(e, "eth.rx_runt"), 2);
    /* 1500 + 14 + 4 is the most we take; one byte more is too long */
    n = proto_x_frame(f, H_IP_PEER, H_IP_US, 1480);
    assert_int_equal(n, 1514);
    h_input(e, f, 1519);
    assert_int_equal(h_stat(e, "eth.rx_too_long"), 1);
    assert_int_equal(h_stat(e, "ipv4.rx_packets"), 0);
    h_input(e, f, 1518);
    assert_int_equal(h_stat(e, "ipv4.rx_unknown_proto"), 1);
    assert_int_equal(h_stat(e, "eth.rx_frames"), 9);
    assert_int_equal(h_stat(e, "arp.rx_packets"), 1); /* h_learn */
    assert_int_equal(e->rec->n, 1);
    assert_int_equal(h_pool_in_use(e), 0);
}

/* ---- two engines back to back ---- */

struct pair {
    struct dev *da, *db;
    struct stack *a, *b;
    struct rec_dev *from_b; /* IPv4 frames B sent, as seen on the wire */
    uint8_t *frame;
    uint64_t now;
};

static int
pair_teardown(void **state)
{
    struct pair *p = *state;

    if (p) {
        stack_free(p->a);
        stack_free(p->b);
        dev_close(p->da);
        dev_close(p->db);
        rec_close(p->from_b);
        free(p->frame);
        free(p);
    }
    return 0;
}

/* Move frames across the link until both ends are quiet. */
static void
pump(struct pair *p)
{
    for (int busy = 1; busy;) {
        ssize_t n;
        busy = 0;
        while ((n = dev_recv(p->db, p->frame, 9216, &p->now)) > 0) {
            stack_input(p->b, p->frame, (size_t)n, p->now);
            busy = 1;
        }
        while ((n = dev_recv(p->da, p->frame, 9216, &p->now)) > 0) {
            if (be16_get(p->frame + 12) == ETH_TYPE_IPV4)
                dev_send(&p->from_b->dev, p->frame, (size_t)n, p->now);
            stack_input(p->a, p->frame, (size_t)n, p->now);
            busy = 1;
        }
        p->now += 100;
    }
}

static void
test_loop_pair_ping(void **state)
{
    struct pair *p = *state = calloc(1, sizeof(struct pair));
    struct stack_config ca, cb;

    assert_int_equal(loop_pair(&p->da, &p->db), 0);
    p->from_b = rec_open();
    p->frame = malloc(9216);
    h_config(&ca);
    memcpy(ca.mac, h_mac_peer, 6);
    ca.addr = H_IP_PEER;
    ca.seed = 1;
    h_config(&cb);
    cb.seed = 2;
    p->a = stack_new(&ca, p->da);
    p->b = stack_new(&cb, p->db);
    assert_non_null(p->a);
    assert_non_null(p->b);
    p->now = H_T0;
    stack_poll(p->a, p->now);
    stack_poll(p->b, p->now);
    pump(p);

    const size_t sizes[] = {0, 56, 1472, 4000, 65507};
    for (size_t i = 0; i < 5; i++) {
        /* A pings B; B's reply, seen on the wire, carries A's data back */
        size_t first = p->from_b->n;
        assert_int_equal(stack_ping(p->a, H_IP_US, 7, (uint16_t)i, sizes[i], p->now), 0);
        pump(p);
        assert_int_equal(stats_get(stack_stats(p->a), "icmp.rx_echo_replies"), i + 1);
        size_t frags = (sizes[i] + 8 + 1479) / 1480;
        assert_int_equal(p->from_b->n - first, frags);
        struct ipv4_repr ip;
        uint8_t *r = malloc(H_FRAME_MAX);
        size_t len = h_reassemble(p->from_b, first, frags, 1500, r, H_FRAME_MAX, &ip);
        assert_int_equal(len, sizes[i] + 8);
        assert_int_equal(ip.dst, H_IP_PEER);
        assert_int_equal(r[0], ICMP_ECHO_REPLY);
        assert_int_equal(be16_get(r + 4), 7);
        assert_int_equal(be16_get(r + 6), i);
        for (size_t k = 0; k < sizes[i]; k++)
            if (r[8 + k] != (uint8_t)k)
                fail_msg("reply byte %zu of %zu is %u", k, sizes[i], r[8 + k]);
        free(r);
        /* and B pings A */
        assert_int_equal(stack_ping(p->b, H_IP_PEER, 8, (uint16_t)i, sizes[i], p->now),
                         0);
        pump(p);
        assert_int_equal(stats_get(stack_stats(p->b), "icmp.rx_echo_replies"), i + 1);
    }
    assert_int_equal(stack_ping(p->a, H_IP_US, 7, 9, 65508, p->now), -EMSGSIZE);
    const struct stats *sa = stack_stats(p->a), *sb = stack_stats(p->b);
    assert_int_equal(stats_get(sa, "arp.tx_requests"), 1);
    assert_int_equal(stats_get(sb, "arp.tx_requests"), 0); /* learnt from A's */
    /* 4000 and 65507 are fragmented (1472 + 8 just fits): each side
     * reassembled two requests and two replies */
    assert_int_equal(stats_get(sa, "ipv4.reass_ok"), 4);
    assert_int_equal(stats_get(sb, "ipv4.reass_ok"), 4);
    assert_int_equal(stats_get(sa, "icmp.tx_echo_replies"), 5);
    assert_int_equal(stats_get(sb, "icmp.tx_echo_replies"), 5);
    assert_int_equal(p->a->pool.in_use, 0);
    assert_int_equal(p->b->pool.in_use, 0);
    assert_int_equal(stats_get(sa, "eth.tx_dev_err") + stats_get(sb, "eth.tx_dev_err"),
                     0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_ipv4_bad_header_counted, h_teardown),
        cmocka_unit_test_teardown(test_ipv4_padding_trimmed, h_teardown),
        cmocka_unit_test_teardown(test_ipv4_not_for_us, h_teardown),
        cmocka_unit_test_teardown(test_ipv4_martian_source, h_teardown),
        cmocka_unit_test_teardown(test_icmp_input_counted, h_teardown),
        cmocka_unit_test_teardown(test_ipv4_unknown_proto_unreachable, h_teardown),
        cmocka_unit_test_teardown(test_ipv4_no_error_for_bcast, h_teardown),
        cmocka_unit_test_teardown(test_ipv4_no_error_for_error_or_fragment, h_teardown),
        cmocka_unit_test_teardown(test_ipv4_icmp_rate_limit, h_teardown),
        cmocka_unit_test_teardown(test_ipv4_icmp_rate_config, h_teardown),
        cmocka_unit_test_teardown(test_ipv4_bcast_echo_ignored, h_teardown),
        cmocka_unit_test_teardown(test_ipv4_fragment_output, h_teardown),
        cmocka_unit_test_teardown(test_ipv4_fragment_output_mtu576, h_teardown),
        cmocka_unit_test_teardown(test_ipv4_ids, h_teardown),
        cmocka_unit_test_teardown(test_eth_filter, h_teardown),
        cmocka_unit_test_teardown(test_loop_pair_ping, pair_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
