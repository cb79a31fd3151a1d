/*
 * test_wire.c - stateless parse/emit of Ethernet, ARP, IPv4 and ICMP
 * headers, and the text forms of addresses: known bytes, round trips and
 * every malformed case the parsers must refuse.
 */
#include "harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/cksum.h"
#include "wire/addr.h"

/* A Linux `ping -c1 10.0.0.2` from 10.0.0.1: 84-byte datagram, DF, id
 * 0xb3a1; echo id 0x0c5a seq 1 with a 16-byte timestamp and 0x10..0x37. */
static const uint8_t ping_ip[20] = {
    0x45, 0x00, 0x00, 0x54, 0xb3, 0xa1, 0x40, 0x00, 0x40, 0x01,
    0x73, 0x05, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
};
static const uint8_t ping_icmp_hdr[8] = {0x08, 0x00, 0xdd, 0x1f, 0x0c, 0x5a, 0x00, 0x01};
static const uint8_t ping_ts[16] = {0x8c, 0x2f, 0x6a, 0x65, 0, 0, 0, 0,
                                    0x4b, 0x1d, 0x0e, 0,    0, 0, 0, 0};

/* the 64-byte ICMP message of that ping */
static void
ping_icmp(uint8_t m[64])
{
    memcpy(m, ping_icmp_hdr, 8);
    memcpy(m + 8, ping_ts, 16);
    for (int i = 0; i < 40; i++)
        m[24 + i] = (uint8_t)(0x10 + i);
}

/* Field by field: the repr structs have padding. */
static void
arp_same(const struct arp_repr *a, const struct arp_repr *b)
{
    assert_int_equal(a->op, b->op);
    assert_memory_equal(a->sha, b->sha, 6);
    assert_int_equal(a->spa, b->spa);
    assert_memory_equal(a->tha, b->tha, 6);
    assert_int_equal(a->tpa, b->tpa);
}

static void
ipv4_same(const struct ipv4_repr *a, const struct ipv4_repr *b)
{
    assert_int_equal(a->hdr_len, b->hdr_len);
    assert_int_equal(a->tos, b->tos);
    assert_int_equal(a->total_len, b->total_len);
    assert_int_equal(a->id, b->id);
    assert_int_equal(a->frag, b->frag);
    assert_int_equal(a->ttl, b->ttl);
    assert_int_equal(a->proto, b->proto);
    assert_int_equal(a->src, b->src);
    assert_int_equal(a->dst, b->dst);
}

/* ---- Ethernet ---- */

static const uint8_t eth_bytes[14] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52,
                                      0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x06};

static void
test_eth_parse_emit(void **state)
{
    (void)state;
    struct eth_repr e;
    uint8_t out[14];
    char s[64];

    assert_int_equal(eth_parse(eth_bytes, sizeof(eth_bytes), &e), 0);
    assert_memory_equal(e.dst, eth_broadcast, 6);
    assert_memory_equal(e.src, ((uint8_t[]){0x52, 0x54, 0x00, 0x12, 0x34, 0x56}), 6);
    assert_int_equal(e.type, ETH_TYPE_ARP);
    assert_true(eth_is_broadcast(e.dst));
    assert_true(eth_is_group(e.dst));
    assert_false(eth_is_group(e.src));
    assert_string_equal(eth_fmt(&e, s, sizeof(s)),
                        "52:54:00:12:34:56 > ff:ff:ff:ff:ff:ff type 0x0806");

    struct eth_repr r = {.type = ETH_TYPE_IPV4};
    memcpy(r.dst, h_mac_peer, 6);
    memcpy(r.src, h_mac_us, 6);
    assert_int_equal(eth_emit(&r, out, sizeof(out)), 14);
    const uint8_t want[14] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00};
    assert_memory_equal(out, want, 14);
    struct eth_repr back;
    assert_int_equal(eth_parse(out, 14, &back), 0);
    assert_memory_equal(back.dst, r.dst, 6);
    assert_memory_equal(back.src, r.src, 6);
    assert_int_equal(back.type, r.type);
    assert_int_equal(eth_emit(&e, out, sizeof(out)), 14);
    assert_memory_equal(out, eth_bytes, 14);
}

static void
test_eth_malformed(void **state)
{
    (void)state;
    struct eth_repr e;
    uint8_t out[13];

    assert_int_equal(eth_parse(eth_bytes, 13, &e), -EBADMSG);
    assert_int_equal(eth_parse(eth_bytes, 0, &e), -EBADMSG);
    assert_int_equal(eth_emit(&e, out, 13), -EMSGSIZE);
    const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
    assert_true(eth_is_group(mcast));
    assert_false(eth_is_broadcast(mcast));
}

/* ---- ARP ---- */

/* who-has 10.0.0.2 tell 10.0.0.1 (52:54:00:12:34:56) */
static const uint8_t arp_bytes[28] = {
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
    0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02,
};

static void
test_arp_parse_emit(void **state)
{
    (void)state;
    struct arp_repr a;
    uint8_t out[28];
    char s[96];

    assert_int_equal(arp_parse(arp_bytes, sizeof(arp_bytes), &a), 0);
    assert_int_equal(a.op, ARP_OP_REQUEST);
    assert_memory_equal(a.sha, ((uint8_t[]){0x52, 0x54, 0x00, 0x12, 0x34, 0x56}), 6);
    assert_int_equal(a.spa, 0x0a000001);
    assert_memory_equal(a.tha, h_mac_zero, 6);
    assert_int_equal(a.tpa, 0x0a000002);
    assert_string_equal(arp_fmt(&a, s, sizeof(s)),
                        "who-has 10.0.0.2 tell 10.0.0.1 (52:54:00:12:34:56)");
    assert_int_equal(arp_emit(&a, out, sizeof(out)), ARP_LEN);
    assert_memory_equal(out, arp_bytes, 28);

    /* our reply to it, byte for byte */
    struct arp_repr r = {.op = ARP_OP_REPLY, .spa = 0x0a000002, .tpa = 0x0a000001};
    memcpy(r.sha, h_mac_us, 6);
    memcpy(r.tha, a.sha, 6);
    const uint8_t want[28] = {0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00,
                              0x00, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x02, 0x52, 0x54,
                              0x00, 0x12, 0x34, 0x56, 0x0a, 0x00, 0x00, 0x01};
    assert_int_equal(arp_emit(&r, out, sizeof(out)), ARP_LEN);
    assert_memory_equal(out, want, 28);
    struct arp_repr back;
    assert_int_equal(arp_parse(out, 28, &back), 0);
    arp_same(&back, &r);
    assert_string_equal(arp_fmt(&back, s, sizeof(s)), "10.0.0.2 is-at 02:00:00:00:00:02");
    /* trailing Ethernet padding is ignored */
    uint8_t padded[46] = {0};
    memcpy(padded, arp_bytes, 28);
    assert_int_equal(arp_parse(padded, sizeof(padded), &back), 0);
    assert_int_equal(back.tpa, 0x0a000002);
}

static void
test_arp_malformed(void **state)
{
    (void)state;
    struct arp_repr a;
    uint8_t b[28], out[27];

    for (size_t len = 0; len < 28; len++)
        assert_int_equal(arp_parse(arp_bytes, len, &a), -EBADMSG);
    /* hardware type 6 (IEEE 802), protocol IPv6, other address lengths */
    const struct {
        size_t at;
        uint8_t v;
    } bad[] = {{1, 6}, {0, 1}, {2, 0x86}, {3, 0x06}, {4, 8}, {5, 16}, {5, 0}, {4, 0}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memcpy(b, arp_bytes, 28);
        b[bad[i].at] = bad[i].v;
        assert_int_equal(arp_parse(b, 28, &a), -EPROTONOSUPPORT);
        /* the types are checked as soon as they are there */
        assert_int_equal(arp_parse(b, 8, &a), -EPROTONOSUPPORT);
    }
    /* an unknown op is the caller's business */
    memcpy(b, arp_bytes, 28);
    b[7] = 3;
    assert_int_equal(arp_parse(b, 28, &a), 0);
    assert_int_equal(a.op, 3);
    assert_int_equal(arp_emit(&a, out, sizeof(out)), -EMSGSIZE);
}

/* ---- IPv4 ---- */

static void
test_ipv4_parse_known(void **state)
{
    (void)state;
    struct ipv4_repr r;
    enum ipv4_bad why = IPV4_BAD_CKSUM;
    char s[128];

    uint8_t frame[84 + 6] = {0}; /* the datagram and 6 bytes of Ethernet padding */
    memcpy(frame, ping_ip, 20);
    ping_icmp(frame + 20);
    assert_int_equal(ipv4_parse(frame, 84, &r, &why), 0);
    assert_int_equal(why, IPV4_BAD_NONE);
    assert_int_equal(r.hdr_len, 20);
    assert_int_equal(r.tos, 0);
    assert_int_equal(r.total_len, 84);
    assert_int_equal(r.id, 0xb3a1);
    assert_int_equal(r.frag, IPV4_FLAG_DF);
    assert_false(ipv4_is_fragment(&r));
    assert_int_equal(r.ttl, 64);
    assert_int_equal(r.proto, IP_PROTO_ICMP);
    assert_int_equal(r.src, 0x0a000001);
    assert_int_equal(r.dst, 0x0a000002);
    /* padding after total_len is allowed; a header alone is not enough */
    assert_int_equal(ipv4_parse(frame, sizeof(frame), &r, &why), 0);
    assert_int_equal(r.total_len, 84);
    assert_int_equal(ipv4_parse(ping_ip, sizeof(ping_ip), &r, &why), -EBADMSG);
    assert_int_equal(why, IPV4_BAD_TOTAL_LEN);

    /* the Wikipedia example: 192.168.0.1 > 192.168.0.199 UDP, checksum b861 */
    const uint8_t wiki[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                              0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    uint8_t w[0x73] = {0};
    memcpy(w, wiki, 20);
    assert_int_equal(ipv4_parse(w, sizeof(w), &r, &why), 0);
    assert_int_equal(r.proto, IP_PROTO_UDP);
    assert_int_equal(r.src, 0xc0a80001);
    assert_int_equal(r.dst, 0xc0a800c7);
    assert_string_equal(ipv4_fmt(&r, s, sizeof(s)),
                        "192.168.0.1 > 192.168.0.199 proto 17 len 115 id 0 off 0 ttl 64");

    /* a header with options (IHL 6: one NOP word) */
    uint8_t o[24] = {0x46, 0, 0, 24, 0,  1, 0, 0, 64, 253, 0, 0,
                     10,   0, 0, 1,  10, 0, 0, 2, 1,  1,   1, 0};
    h_ip_fix_cksum(o);
    assert_int_equal(ipv4_parse(o, sizeof(o), &r, &why), 0);
    assert_int_equal(r.hdr_len, 24);
    assert_int_equal(r.total_len, 24);
}

static void
test_ipv4_emit_roundtrip(void **state)
{
    (void)state;
    struct ipv4_repr r = {.tos = 0,
                          .total_len = 84,
                          .id = 0xb3a1,
                          .frag = IPV4_FLAG_DF,
                          .ttl = 64,
                          .proto = IP_PROTO_ICMP,
                          .src = 0x0a000001,
                          .dst = 0x0a000002};
    uint8_t out[84] = {0};
    enum ipv4_bad why;
    struct ipv4_repr back;

    assert_int_equal(ipv4_emit(&r, out, 20), 20);
    assert_memory_equal(out, ping_ip, 20);
    assert_int_equal(ipv4_emit(&r, out, 19), -EMSGSIZE);

    /* a fragment with every field non-trivial */
    r = (struct ipv4_repr){.tos = 0xb8,
                           .total_len = 84,
                           .id = 0xfedc,
                           .frag = IPV4_FLAG_MF | 100,
                           .ttl = 1,
                           .proto = 253,
                           .src = 0xc0000201,
                           .dst = 0xfffffffe};
    assert_int_equal(ipv4_emit(&r, out, sizeof(out)), 20);
    assert_int_equal(cksum(out, 20), 0);
    assert_int_equal(ipv4_parse(out, sizeof(out), &back, &why), 0);
    r.hdr_len = 20;
    ipv4_same(&back, &r);
    assert_int_equal(ipv4_frag_offset(&back), 800);
    assert_true(ipv4_more_frags(&back));
    assert_true(ipv4_is_fragment(&back));
}

/* Parse `len` bytes of b; expect a refusal for `why`. */
static void
ipv4_refused(const uint8_t *b, size_t len, enum ipv4_bad want)
{
    struct ipv4_repr r;
    enum ipv4_bad why = IPV4_BAD_NONE;

    assert_int_equal(ipv4_parse(b, len, &r, &why), -EBADMSG);
    assert_int_equal(why, want);
}

/* A header for `payload` bytes with frag, and room behind it. */
static uint8_t *
ipv4_case(uint8_t *b, uint16_t frag, size_t payload)
{
    memset(b, 0, 128);
    h_ip(b, 0x0a000001, 0x0a000002, IP_PROTO_ICMP, 7, frag, payload);
    return b;
}

static void
test_ipv4_malformed_header(void **state)
{
    (void)state;
    uint8_t b[128];

    for (size_t len = 0; len < 20; len++)
        ipv4_refused(ipv4_case(b, 0, 0), len, IPV4_BAD_LEN);
    /* version 6 (checksum fixed, so version is the only fault) */
    ipv4_case(b, 0, 8);
    b[0] = 0x65;
    h_ip_fix_cksum(b);
    ipv4_refused(b, 28, IPV4_BAD_VERSION);
    b[0] = 0x05;
    ipv4_refused(b, 28, IPV4_BAD_VERSION);
    /* IHL < 5 */
    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        ipv4_case(b, 0, 8);
        b[0] = 0x40 | ihl;
        ipv4_refused(b, 28, IPV4_BAD_IHL);
    }
    /* IHL * 4 past the end of the buffer */
    ipv4_case(b, 0, 0);
    b[0] = 0x46;
    be16_put(b + 2, 24);
    h_ip_fix_cksum(b);
    ipv4_refused(b, 23, IPV4_BAD_IHL);
    b[0] = 0x4f;
    ipv4_refused(b, 59, IPV4_BAD_IHL);
    /* total length shorter than the header */
    ipv4_case(b, 0, 0);
    be16_put(b + 2, 19);
    h_ip_fix_cksum(b);
    ipv4_refused(b, 20, IPV4_BAD_TOTAL_LEN);
    be16_put(b + 2, 0);
    h_ip_fix_cksum(b);
    ipv4_refused(b, 60, IPV4_BAD_TOTAL_LEN);
    b[0] = 0x46; /* 24-byte header, total 22 */
    be16_put(b + 2, 22);
    h_ip_fix_cksum(b);
    ipv4_refused(b, 24, IPV4_BAD_TOTAL_LEN);
    /* total length longer than what arrived */
    ipv4_case(b, 0, 8);
    ipv4_refused(b, 27, IPV4_BAD_TOTAL_LEN);
    ipv4_refused(b, 20, IPV4_BAD_TOTAL_LEN);
    ipv4_case(b, 0, 65515);
    ipv4_refused(b, 128, IPV4_BAD_TOTAL_LEN);
    /* checksum: any bit of the header, options included */
    for (size_t i = 0; i < 20; i++) {
        ipv4_case(b, 0, 8);
        b[i] ^= (i == 0 || i == 2 || i == 3) ? 0x00 : 0x10; /* keep lengths sane */
        if (i == 0 || i == 2 || i == 3)
            b[10] ^= 0x01;
        ipv4_refused(b, 28, IPV4_BAD_CKSUM);
    }
    ipv4_case(b, 0, 4);
    b[0] = 0x46;
    h_ip_fix_cksum(b);
    b[22] = 0x01; /* an option byte changed after the checksum */
    ipv4_refused(b, 24, IPV4_BAD_CKSUM);
}

static void
test_ipv4_malformed_frag(void **state)
{
    (void)state;
    uint8_t b[128];
    struct ipv4_repr r;
    enum ipv4_bad why;

    /* MF with a payload that is not a multiple of 8 */
    ipv4_refused(ipv4_case(b, IPV4_FLAG_MF, 12), 32, IPV4_BAD_FRAG);
    ipv4_refused(ipv4_case(b, IPV4_FLAG_MF | 3, 1), 21, IPV4_BAD_FRAG);
    assert_int_equal(ipv4_parse(ipv4_case(b, IPV4_FLAG_MF, 16), 36, &r, &why), 0);
    /* the last fragment may have any length */
    assert_int_equal(ipv4_parse(ipv4_case(b, 2, 13), 33, &r, &why), 0);
    assert_int_equal(ipv4_frag_offset(&r), 16);
    /* zero-length fragments */
    ipv4_refused(ipv4_case(b, IPV4_FLAG_MF, 0), 20, IPV4_BAD_FRAG);
    ipv4_refused(ipv4_case(b, 5, 0), 20, IPV4_BAD_FRAG);
    /* an empty datagram that is not a fragment is fine (DF too) */
    assert_int_equal(ipv4_parse(ipv4_case(b, 0, 0), 20, &r, &why), 0);
    assert_int_equal(ipv4_parse(ipv4_case(b, IPV4_FLAG_DF, 0), 20, &r, &why), 0);
    /* offset + length past 65535 (with this 20-byte header) */
    ipv4_refused(ipv4_case(b, 8189, 24), 44, IPV4_BAD_FRAG); /* 65512+24+20 */
    ipv4_refused(ipv4_case(b, 8191, 8), 28, IPV4_BAD_FRAG);  /* 65528+8+20 */
    ipv4_refused(ipv4_case(b, IPV4_FLAG_MF | 8191, 8), 28, IPV4_BAD_FRAG);
    assert_int_equal(ipv4_parse(ipv4_case(b, 8189, 3), 23, &r, &why), 0); /* = 65535 */
    ipv4_refused(ipv4_case(b, 8189, 4), 24, IPV4_BAD_FRAG);               /* 65536 */
    /* DF and MF both set with a good offset is still a valid fragment */
    assert_int_equal(
        ipv4_parse(ipv4_case(b, IPV4_FLAG_DF | IPV4_FLAG_MF, 8), 28, &r, &why), 0);
}

/* ---- ICMP ---- */

static void
test_icmp_parse_emit(void **state)
{
    (void)state;
    uint8_t m[64], out[64];
    struct icmp_repr r;
    enum icmp_bad why = ICMP_BAD_LEN;
    char s[64];

    ping_icmp(m);
    assert_int_equal(icmp_parse(m, sizeof(m), &r, &why), 0);
    assert_int_equal(why, ICMP_BAD_NONE);
    assert_int_equal(r.type, ICMP_ECHO_REQUEST);
    assert_int_equal(r.code, 0);
    assert_int_equal(r.rest, 0x0c5a0001);
    assert_string_equal(icmp_fmt(&r, s, sizeof(s)), "echo request id 3162 seq 1");

    /* emit over data already in place gives the same bytes */
    memcpy(out, m, 64);
    memset(out, 0xee, 8);
    assert_int_equal(icmp_emit(&r, out, sizeof(out)), 8);
    assert_memory_equal(out, m, 64);

    /* the reply: only type and checksum change (RFC 1624: +0x0800) */
    struct icmp_repr rep = {.type = ICMP_ECHO_REPLY, .rest = r.rest};
    assert_int_equal(icmp_emit(&rep, out, sizeof(out)), 8);
    assert_int_equal(out[0], 0);
    assert_int_equal(be16_get(out + 2), 0xdd1f + 0x0800);
    assert_memory_equal(out + 4, m + 4, 60);
    struct icmp_repr back;
    assert_int_equal(icmp_parse(out, sizeof(out), &back, &why), 0);
    assert_int_equal(back.type, rep.type);
    assert_int_equal(back.code, rep.code);
    assert_int_equal(back.rest, rep.rest);
    assert_string_equal(icmp_fmt(&back, s, sizeof(s)), "echo reply id 3162 seq 1");

    /* an error message: the 4 unused bytes are zero */
    struct icmp_repr err = {.type = ICMP_DEST_UNREACH, .code = ICMP_UNREACH_PROTO};
    memcpy(out + 8, ping_ip, 20);
    assert_int_equal(icmp_emit(&err, out, 28), 8);
    assert_int_equal(out[0], 3);
    assert_int_equal(out[1], 2);
    assert_memory_equal(out + 4, h_mac_zero, 4);
    assert_int_equal(cksum(out, 28), 0);
    assert_int_equal(icmp_parse(out, 28, &back, &why), 0);
    assert_string_equal(icmp_fmt(&back, s, sizeof(s)), "type 3 code 2");
    assert_int_equal(icmp_emit(&err, out, 7), -EMSGSIZE);

    assert_true(icmp_is_error(ICMP_DEST_UNREACH));
    assert_true(icmp_is_error(ICMP_TIME_EXCEEDED));
    assert_true(icmp_is_error(ICMP_PARAM_PROBLEM));
    assert_true(icmp_is_error(ICMP_SOURCE_QUENCH));
    assert_true(icmp_is_error(ICMP_REDIRECT));
    assert_false(icmp_is_error(ICMP_ECHO_REQUEST));
    assert_false(icmp_is_error(ICMP_ECHO_REPLY));
    assert_false(icmp_is_error(13)); /* timestamp */
}

static void
test_icmp_malformed(void **state)
{
    (void)state;
    uint8_t m[64];
    struct icmp_repr r;
    enum icmp_bad why;

    ping_icmp(m);
    for (size_t len = 0; len < 8; len++) {
        why = ICMP_BAD_NONE;
        assert_int_equal(icmp_parse(m, len, &r, &why), -EBADMSG);
        assert_int_equal(why, ICMP_BAD_LEN);
    }
    /* the checksum covers the data too */
    for (size_t i = 0; i < 64; i += 7) {
        ping_icmp(m);
        m[i] ^= 0x40;
        why = ICMP_BAD_NONE;
        assert_int_equal(icmp_parse(m, 64, &r, &why), -EBADMSG);
        assert_int_equal(why, ICMP_BAD_CKSUM);
    }
    /* a truncated message no longer sums to zero */
    ping_icmp(m);
    assert_int_equal(icmp_parse(m, 63, &r, &why), -EBADMSG);
    assert_int_equal(why, ICMP_BAD_CKSUM);

    /* odd length: the last byte is padded with zero (RFC 1071 §4.1) */
    uint8_t odd[9];
    assert_int_equal(h_echo(odd, ICMP_ECHO_REQUEST, 1, 2, 1), 9);
    assert_int_equal(icmp_parse(odd, 9, &r, &why), 0);
    assert_int_equal(r.rest, 0x00010002);
    odd[8] ^= 0x01;
    assert_int_equal(icmp_parse(odd, 9, &r, &why), -EBADMSG);
    assert_int_equal(why, ICMP_BAD_CKSUM);
    /* the checksum of an odd message computed as if padded with 0xff */
    odd[8] ^= 0x01;
    uint8_t pad[10];
    memcpy(pad, odd, 9);
    pad[9] = 0xff;
    be16_put(pad + 2, 0);
    be16_put(pad + 2, cksum(pad, 10));
    assert_int_equal(icmp_parse(pad, 9, &r, &why), -EBADMSG);
    assert_int_equal(why, ICMP_BAD_CKSUM);
    /* emit on an odd length writes a checksum that parses */
    struct icmp_repr e = {.type = ICMP_ECHO_REPLY, .rest = 0x12345678};
    uint8_t o[13] = {0, 0, 0, 0, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0x99};
    assert_int_equal(icmp_emit(&e, o, 13), 8);
    assert_int_equal(icmp_parse(o, 13, &r, &why), 0);
    assert_int_equal(r.rest, 0x12345678);
}

/* ---- addresses ---- */

/* Parse a heap copy of exactly strlen + 1 bytes, so that a read past the
 * terminator is an ASan error. */
static int
ip_parse_exact(const char *str, uint32_t *a)
{
    char *c = strdup(str);
    int rc = ip_parse(c, a);
    free(c);
    return rc;
}

static int
mac_parse_exact(const char *str, uint8_t *m)
{
    char *c = strdup(str);
    int rc = mac_parse(c, m);
    free(c);
    return rc;
}

static int
prefix_parse_exact(const char *str, uint32_t *a, uint8_t *len)
{
    char *c = strdup(str);
    int rc = ip_prefix_parse(c, a, len);
    free(c);
    return rc;
}

static void
test_ip_parse(void **state)
{
    (void)state;
    uint32_t a = 0;

    assert_int_equal(ip_parse_exact("10.0.0.2", &a), 0);
    assert_int_equal(a, 0x0a000002);
    assert_int_equal(ip_parse_exact("0.0.0.0", &a), 0);
    assert_int_equal(a, 0);
    assert_int_equal(ip_parse_exact("255.255.255.255", &a), 0);
    assert_int_equal(a, 0xffffffff);
    assert_int_equal(ip_parse_exact("192.168.100.200", &a), 0);
    assert_int_equal(a, 0xc0a864c8);
    const char *bad[] = {
        "256.0.0.1",  "1.2.3",      "1.2.3.4.5", "1.2.3.",   ".1.2.3",     "",
        "1..2.3",     "a.b.c.d",    " 1.2.3.4",  "1.2.3.4 ", "1.2.3.4/24", "1.2.3.256",
        "1000.2.3.4", "0001.2.3.4", "-1.2.3.4",  "1.2.3.4x", "1,2,3,4",    "4294967295"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        a = 0x5a5a5a5a;
        if (ip_parse_exact(bad[i], &a) != -1)
            fail_msg("ip_parse accepted \"%s\"", bad[i]);
        assert_int_equal(a, 0x5a5a5a5a); /* untouched on failure */
    }
    char s[IP_STR_LEN];
    assert_string_equal(ip_fmt(0x0a000002, s), "10.0.0.2");
    assert_string_equal(ip_fmt(0xffffffff, s), "255.255.255.255");
}

static void
test_ip_prefix_parse(void **state)
{
    (void)state;
    uint32_t a = 0;
    uint8_t len = 0;

    assert_int_equal(prefix_parse_exact("10.0.0.2/24", &a, &len), 0);
    assert_int_equal(a, 0x0a000002);
    assert_int_equal(len, 24);
    assert_int_equal(prefix_parse_exact("255.255.255.255/32", &a, &len), 0);
    assert_int_equal(len, 32);
    assert_int_equal(prefix_parse_exact("1.2.3.4/1", &a, &len), 0);
    assert_int_equal(len, 1);
    const char *bad[] = {"1.2.3.4/33",
                         "1.2.3.4/",
                         "1.2.3.4",
                         "1.2.3.4/0",
                         "1.2.3.4/-1",
                         "1.2.3.4/24x",
                         "1.2.3/24",
                         "256.1.1.1/8",
                         "/24",
                         "1.2.3.4//24",
                         "1.2.3.4/ 24",
                         "1.2.3.4/+24",
                         "1.2.3.4/99999999999999999999",
                         "1.2.3.4/24/",
                         "111.222.233.244/24 extra text here"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        len = 99;
        if (prefix_parse_exact(bad[i], &a, &len) != -1)
            fail_msg("ip_prefix_parse accepted \"%s\"", bad[i]);
        assert_int_equal(len, 99);
    }
}

static void
test_mac_parse(void **state)
{
    (void)state;
    uint8_t m[6];

    assert_int_equal(mac_parse_exact("02:00:00:00:00:02", m), 0);
    assert_memory_equal(m, h_mac_us, 6);
    assert_int_equal(mac_parse_exact("AA:bb:Cc:dD:ee:FF", m), 0);
    assert_memory_equal(m, ((uint8_t[]){0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}), 6);
    const char *bad[] = {"02:00:00:00:00",
                         "zz:00:00:00:00:00",
                         "02:00:00:00:00:02:03",
                         "02-00-00-00-00-02",
                         "2:0:0:0:0:2",
                         "02:00:00:00:00:0",
                         "02:00:00:00:00:",
                         "",
                         "0",
                         "02:00:00:00:00:0g",
                         "02:00:00:00:00:02 ",
                         "020000000002",
                         "02:00:00:00:00::"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (mac_parse_exact(bad[i], m) != -1)
            fail_msg("mac_parse accepted \"%s\"", bad[i]);
    char s[MAC_STR_LEN];
    const uint8_t x[6] = {0xaa, 0xbb, 0xcc, 0x01, 0x02, 0x0f};
    assert_string_equal(mac_fmt(x, s), "aa:bb:cc:01:02:0f");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eth_parse_emit),
        cmocka_unit_test(test_eth_malformed),
        cmocka_unit_test(test_arp_parse_emit),
        cmocka_unit_test(test_arp_malformed),
        cmocka_unit_test(test_ipv4_parse_known),
        cmocka_unit_test(test_ipv4_emit_roundtrip),
        cmocka_unit_test(test_ipv4_malformed_header),
        cmocka_unit_test(test_ipv4_malformed_frag),
        cmocka_unit_test(test_icmp_parse_emit),
        cmocka_unit_test(test_icmp_malformed),
        cmocka_unit_test(test_ip_parse),
        cmocka_unit_test(test_ip_prefix_parse),
        cmocka_unit_test(test_mac_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
