/*
 * test_reass.c - IPv4 reassembly through the engine: fragments of ICMP
 * echo requests built by hand, fed in every order, duplicated, overlapped,
 * left to time out, and pushed past the memory, count and size limits.
 * The engine's answer is reassembled from the recording device and
 * compared with the request.
 */
#include "harness.h"

#include <errno.h>
#include <string.h>

#include "core/bytes.h"
#include "core/cksum.h"
#include "stack_var.h"

#define CHUNK 1480 /* fragment data with a 1500-byte MTU */

/* The fixture: default engine at H_T0 that knows the peer's MAC. */
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

/* Send bytes [off, off + len) of the datagram payload msg (msg_len bytes)
 * as one fragment from the peer, at e->now. */
static void
send_frag(struct h_env *e, uint16_t id, const uint8_t *msg, size_t msg_len, size_t off,
          size_t len)
{
    uint8_t f[ETH_HDR_LEN + 1500];
    uint16_t frag = (uint16_t)(off / 8) | (off + len < msg_len ? IPV4_FLAG_MF : 0);

    assert_true(len <= CHUNK && off % 8 == 0);
    size_t n = h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_ICMP, id, frag, msg + off, len);
    h_input(e, f, n);
}

/* Fragment k of a datagram cut in CHUNK pieces. */
static void
send_piece(struct h_env *e, uint16_t id, const uint8_t *msg, size_t msg_len, size_t k)
{
    size_t off = k * CHUNK, len = msg_len - off < CHUNK ? msg_len - off : CHUNK;

    send_frag(e, id, msg, msg_len, off, len);
}

static size_t
pieces(size_t msg_len)
{
    return (msg_len + CHUNK - 1) / CHUNK;
}

/* Frames from `first` on are our echo reply to the request msg: check it
 * byte for byte. Returns the number of frames it took. */
static size_t
check_reply(struct h_env *e, size_t first, const uint8_t *msg, size_t msg_len)
{
    struct ipv4_repr ip;
    size_t n = pieces(msg_len);

    assert_int_equal(e->rec->n - first >= n, 1);
    size_t got = h_reassemble(e->rec, first, n, 1500, e->buf, H_FRAME_MAX, &ip);
    assert_int_equal(got, msg_len);
    assert_int_equal(ip.src, H_IP_US);
    assert_int_equal(ip.dst, H_IP_PEER);
    assert_int_equal(ip.proto, IP_PROTO_ICMP);
    assert_int_equal(e->buf[0], ICMP_ECHO_REPLY);
    assert_int_equal(e->buf[1], 0);
    assert_int_equal(cksum(e->buf, got), 0);
    assert_memory_equal(e->buf + 4, msg + 4, msg_len - 4); /* id, seq, data */
    return n;
}

/* An echo request with data_len bytes in e->buf2; returns its length. */
static size_t
request(struct h_env *e, uint16_t seq, size_t data_len)
{
    return h_echo(e->buf2, ICMP_ECHO_REQUEST, 0x7777, seq, data_len);
}

static void
assert_clean(struct h_env *e)
{
    assert_int_equal(h_pool_in_use(e), 0);
    assert_int_equal(e->s->reass.held_bytes, 0);
    for (uint32_t i = 0; i < e->s->reass.count; i++)
        assert_int_equal(e->s->reass.d[i].used, 0);
    assert_int_equal(ip_reass_poll_at(e->s), STACK_NEVER);
}

static void
test_reass_in_order(void **state)
{
    struct h_env *e = env(state, NULL);
    size_t len = request(e, 1, 4000);

    assert_int_equal(pieces(len), 3);
    for (size_t k = 0; k < 3; k++) {
        assert_int_equal(e->rec->n, 0);
        send_piece(e, 100, e->buf2, len, k);
    }
    assert_int_equal(h_stat(e, "ipv4.rx_fragments"), 3);
    assert_int_equal(h_stat(e, "ipv4.reass_ok"), 1);
    assert_int_equal(h_stat(e, "icmp.rx_echo_requests"), 1);
    assert_int_equal(h_stat(e, "icmp.tx_echo_replies"), 1);
    assert_int_equal(e->rec->n, 3);
    check_reply(e, 0, e->buf2, len);
    assert_clean(e);
}

static void
test_reass_reversed(void **state)
{
    struct h_env *e = env(state, NULL);
    size_t len = request(e, 2, 4000);

    for (size_t k = 3; k-- > 0;)
        send_piece(e, 101, e->buf2, len, k);
    assert_int_equal(h_stat(e, "ipv4.reass_ok"), 1);
    assert_int_equal(h_stat(e, "icmp.tx_echo_replies"), 1);
    check_reply(e, 0, e->buf2, len);
    assert_clean(e);
}

static void
test_reass_shuffled_interleaved(void **state)
{
    struct h_env *e = env(state, NULL);
    /* datagram A: 10000 bytes in 7 pieces, in a fixed shuffled order */
    size_t len = request(e, 3, 10000);
    const size_t order[] = {3, 0, 6, 2, 5, 1, 4};

    assert_int_equal(pieces(len), 7);
    /* datagram B, small pieces of 296 bytes, interleaved with A; same ID
     * but another protocol is another datagram (RFC 791) */
    uint8_t b[1000];
    h_pattern(b, sizeof(b), 9);
    for (size_t i = 0; i < 7; i++) {
        send_piece(e, 102, e->buf2, len, order[i]);
        if (i < 3) {
            uint8_t f[ETH_HDR_LEN + 1500];
            size_t off = (2 - i) * 296, n = i == 0 ? sizeof(b) - 592 : 296;
            uint16_t frag = (uint16_t)(off / 8) | (i == 0 ? 0 : IPV4_FLAG_MF);
            h_input(e, f, h_ip_frame(f, H_IP_PEER, H_IP_US, 253, 102, frag, b + off, n));
        }
    }
    assert_int_equal(h_stat(e, "ipv4.reass_ok"), 2);
    assert_int_equal(h_stat(e, "icmp.tx_echo_replies"), 1);
    /* B was protocol 253: it completed first (with A's third piece) and
     * got a protocol unreachable; A's reply follows */
    assert_int_equal(h_stat(e, "ipv4.rx_unknown_proto"), 1);
    assert_int_equal(h_stat(e, "icmp.tx_unreach"), 1);
    struct h_out o;
    h_out_ip(e->rec, 0, &o);
    assert_int_equal(o.data[0], ICMP_DEST_UNREACH);
    check_reply(e, 1, e->buf2, len);
    assert_int_equal(e->rec->n, 8);

    /* many small pieces in a pseudo-random order */
    rec_clear(e->rec);
    len = request(e, 4, 5000);
    size_t n = (len + 295) / 296, perm[32];
    assert_true(n <= 32);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    uint32_t x = 12345;
    for (size_t i = n - 1; i > 0; i--) {
        x = x * 1103515245u + 12345;
        size_t j = (x >> 16) % (i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        size_t off = perm[i] * 296;
        send_frag(e, 103, e->buf2, len, off, len - off < 296 ? len - off : 296);
    }
    assert_int_equal(h_stat(e, "ipv4.reass_ok"), 3);
    check_reply(e, 0, e->buf2, len);
    assert_clean(e);
}

static void
test_reass_duplicate(void **state)
{
    struct h_env *e = env(state, NULL);
    size_t len = request(e, 5, 4000);

    send_piece(e, 104, e->buf2, len, 0);
    send_piece(e, 104, e->buf2, len, 1);
    send_piece(e, 104, e->buf2, len, 1);
    send_piece(e, 104, e->buf2, len, 0);
    assert_int_equal(h_stat(e, "ipv4.reass_dup"), 2);
    assert_int_equal(e->rec->n, 0);
    send_piece(e, 104, e->buf2, len, 2);
    assert_int_equal(h_stat(e, "ipv4.reass_ok"), 1);
    assert_int_equal(h_stat(e, "ipv4.reass_overlap"), 0);
    assert_int_equal(h_stat(e, "icmp.tx_echo_replies"), 1);
    assert_int_equal(e->rec->n, 3);
    check_reply(e, 0, e->buf2, len);
    assert_clean(e);
}

static void
test_reass_overlap_drops(void **state)
{
    struct h_env *e = env(state, NULL);
    size_t len = request(e, 6, 4000);

    /* [0, 1480) then [1000, 2480): overlapping, not identical */
    send_piece(e, 105, e->buf2, len, 0);
    send_frag(e, 105, e->buf2, len, 1000, 1480);
    assert_int_equal(h_stat(e, "ipv4.reass_overlap"), 1);
    assert_int_equal(h_pool_in_use(e), 0); /* the datagram and the fragment dropped */
    /* the honest rest arrives: never complete without piece 0 */
    send_piece(e, 105, e->buf2, len, 1);
    send_piece(e, 105, e->buf2, len, 2);
    assert_int_equal(h_stat(e, "ipv4.reass_ok"), 0);
    assert_int_equal(h_stat(e, "icmp.tx_echo_replies"), 0);

    /* overlaps found by the end: a second last fragment with another end,
     * and a piece reaching past the last fragment's end */
    send_piece(e, 106, e->buf2, len, 2);
    send_frag(e, 106, e->buf2, 2960, 1480, 1480); /* a last one ending at 2960 */
    assert_int_equal(h_stat(e, "ipv4.reass_overlap"), 2);
    send_piece(e, 107, e->buf2, 2000, 1);        /* last: [1480, 2000) */
    send_frag(e, 107, e->buf2, len, 2000, 1480); /* MF, after the end */
    assert_int_equal(h_stat(e, "ipv4.reass_overlap"), 3);
    send_frag(e, 108, e->buf2, len, 1480, 1480); /* MF [1480, 2960) */
    send_frag(e, 108, e->buf2, 2000, 1480, 520); /* last ends before it */
    assert_int_equal(h_stat(e, "ipv4.reass_overlap"), 4);
    assert_int_equal(e->rec->n, 0);

    /* only the honest rest of 105 is still held; it expires silently */
    h_poll(e, H_T0 + 30 * H_SEC);
    assert_int_equal(h_stat(e, "ipv4.reass_timeout"), 1);
    assert_int_equal(e->rec->n, 0);
    assert_clean(e);
}

static void
test_reass_timeout_with_first(void **state)
{
    struct h_env *e = env(state, NULL);
    size_t len = request(e, 7, 4000);

    e->now = H_T0 + 1;
    send_piece(e, 109, e->buf2, len, 0);
    e->now = H_T0 + 10 * H_SEC;
    send_piece(e, 109, e->buf2, len, 2);
    assert_int_equal(stack_poll_at(e->s), H_T0 + 1 + 30 * H_SEC); /* from the first */
    h_poll(e, H_T0 + 1 + 30 * H_SEC - 1);
    assert_int_equal(h_stat(e, "ipv4.reass_timeout"), 0);
    assert_int_equal(e->rec->n, 0);
    h_poll(e, H_T0 + 1 + 30 * H_SEC);
    assert_int_equal(h_stat(e, "ipv4.reass_timeout"), 1);
    assert_int_equal(h_stat(e, "icmp.tx_time_exceeded"), 1);
    assert_int_equal(e->rec->n, 1);

    /* RFC 792: type 11 code 1, quoting the first fragment as it came */
    struct h_out o;
    h_out_ip(e->rec, 0, &o);
    assert_memory_equal(o.eth.dst, h_mac_peer, 6);
    assert_int_equal(o.ip.dst, H_IP_PEER);
    assert_int_equal(o.ip.proto, IP_PROTO_ICMP);
    assert_int_equal(o.ip.total_len, 576); /* RFC 1812 §4.3.2.3 */
    assert_int_equal(o.data[0], ICMP_TIME_EXCEEDED);
    assert_int_equal(o.data[1], ICMP_EXC_REASS);
    assert_int_equal(be32_get(o.data + 4), 0);
    assert_int_equal(cksum(o.data, o.data_len), 0);
    uint8_t hdr[20];
    h_ip(hdr, H_IP_PEER, H_IP_US, IP_PROTO_ICMP, 109, IPV4_FLAG_MF, CHUNK);
    assert_memory_equal(o.data + 8, hdr, 20);
    assert_memory_equal(o.data + 28, e->buf2, 576 - 20 - 8 - 20);
    assert_clean(e);
}

static void
test_reass_timeout_without_first(void **state)
{
    struct h_env *e = env(state, NULL);
    size_t len = request(e, 8, 4000);

    send_piece(e, 110, e->buf2, len, 1);
    send_piece(e, 110, e->buf2, len, 2);
    h_poll(e, H_T0 + 30 * H_SEC);
    assert_int_equal(h_stat(e, "ipv4.reass_timeout"), 1);
    assert_int_equal(h_stat(e, "icmp.tx_time_exceeded"), 0);
    assert_int_equal(h_stat(e, "icmp.tx_err_suppressed"), 0);
    assert_int_equal(e->rec->n, 0);
    assert_clean(e);
}

static void
test_reass_memory_cap(void **state)
{
    struct h_env *e = env(state, NULL);
    uint32_t buf = e->s->pool.buf_size;

    /* room for three fragments (the limit counts buffer bytes; the
     * buffer size is the engine's choice, so it is set here) */
    e->s->cfg.reass_max_bytes = 3 * buf;
    uint8_t *msg[4];
    size_t len = 2008; /* two pieces each */

    for (int i = 0; i < 4; i++) {
        msg[i] = e->buf2 + i * 4096;
        assert_int_equal(
            h_echo(msg[i], ICMP_ECHO_REQUEST, 0x7777, (uint16_t)(10 + i), 2000), len);
    }
    for (int i = 0; i < 3; i++) {
        e->now = H_T0 + (uint64_t)i;
        send_piece(e, (uint16_t)(200 + i), msg[i], len, 0);
    }
    assert_int_equal(e->s->reass.held_bytes, 3 * buf);
    assert_int_equal(h_stat(e, "ipv4.reass_no_mem"), 0);
    /* a fourth evicts the oldest (A) */
    e->now = H_T0 + 3;
    send_piece(e, 203, msg[3], len, 0);
    assert_int_equal(h_stat(e, "ipv4.reass_no_mem"), 1);
    assert_int_equal(e->s->reass.held_bytes, 3 * buf);
    /* completing D needs one more: B goes */
    send_piece(e, 203, msg[3], len, 1);
    assert_int_equal(h_stat(e, "ipv4.reass_no_mem"), 2);
    assert_int_equal(h_stat(e, "icmp.tx_echo_replies"), 1);
    check_reply(e, 0, msg[3], len);
    /* C was kept and completes */
    send_piece(e, 202, msg[2], len, 1);
    assert_int_equal(h_stat(e, "icmp.tx_echo_replies"), 2);
    check_reply(e, 2, msg[2], len);
    assert_int_equal(e->s->reass.held_bytes, 0);
    /* A and B lost their first pieces: their second pieces start over */
    send_piece(e, 200, msg[0], len, 1);
    send_piece(e, 201, msg[1], len, 1);
    assert_int_equal(h_stat(e, "icmp.tx_echo_replies"), 2);
    assert_int_equal(h_stat(e, "ipv4.reass_ok"), 2);
    assert_int_equal(e->s->reass.held_bytes, 2 * buf);
    assert_int_equal(h_pool_in_use(e), 2);
    h_poll(e, H_T0 + 3 + 30 * H_SEC);
    assert_int_equal(h_stat(e, "ipv4.reass_timeout"), 2);
    assert_int_equal(e->rec->n, 4);
    assert_clean(e);
}

static void
test_reass_count_cap(void **state)
{
    struct stack_config c;

    h_config(&c);
    c.reass_max_count = 2;
    struct h_env *e = env(state, &c);
    uint8_t *msg[3];
    size_t len = 2008;

    for (int i = 0; i < 3; i++) {
        msg[i] = e->buf2 + i * 4096;
        h_echo(msg[i], ICMP_ECHO_REQUEST, 0x7777, (uint16_t)(20 + i), 2000);
        e->now = H_T0 + (uint64_t)i;
        send_piece(e, (uint16_t)(300 + i), msg[i], len, 0);
    }
    assert_int_equal(h_stat(e, "ipv4.reass_no_mem"), 1); /* A evicted */
    assert_int_equal(h_pool_in_use(e), 2);
    send_piece(e, 302, msg[2], len, 1);
    send_piece(e, 301, msg[1], len, 1);
    assert_int_equal(h_stat(e, "icmp.tx_echo_replies"), 2);
    check_reply(e, 0, msg[2], len);
    check_reply(e, 2, msg[1], len);
    send_piece(e, 300, msg[0], len, 1);
    assert_int_equal(h_stat(e, "icmp.tx_echo_replies"), 2);
    assert_int_equal(h_stat(e, "ipv4.reass_no_mem"), 1);
    h_poll(e, H_T0 + 40 * H_SEC);
    assert_int_equal(h_stat(e, "ipv4.reass_timeout"), 1);
    assert_int_equal(e->rec->n, 4);
    assert_clean(e);
}

static void
test_reass_max_size_roundtrip(void **state)
{
    struct h_env *e = env(state, NULL);
    size_t len = request(e, 9, 65507);

    assert_int_equal(len, 65515);
    assert_int_equal(pieces(len), 45);
    e->now = H_T0 + 123;
    for (size_t k = 0; k < 45; k++)
        send_piece(e, 111, e->buf2, len, (k * 7) % 45); /* 7 and 45 are coprime */
    assert_int_equal(h_stat(e, "ipv4.reass_ok"), 1);
    assert_int_equal(h_stat(e, "icmp.tx_echo_replies"), 1);
    assert_int_equal(h_stat(e, "ipv4.tx_fragments"), 45);
    assert_int_equal(e->rec->n, 45);
    check_reply(e, 0, e->buf2, len);
    assert_int_equal(e->s->pool.large_bytes, 0);
    assert_clean(e);
}

/* A first fragment with a 60-byte header (40 bytes of NOP options)
 * carrying [0, 1440) of msg. */
static void
send_first_with_options(struct h_env *e, uint16_t id, const uint8_t *msg)
{
    uint8_t f[ETH_HDR_LEN + 1500];
    uint8_t *ip = f + h_eth(f, h_mac_us, h_mac_peer, ETH_TYPE_IPV4);

    h_ip(ip, H_IP_PEER, H_IP_US, IP_PROTO_ICMP, id, IPV4_FLAG_MF, 0);
    ip[0] = 0x4f;
    be16_put(ip + 2, 60 + 1440);
    memset(ip + 20, 0x01, 40);
    h_ip_fix_cksum(ip);
    memcpy(ip + 60, msg, 1440);
    h_input(e, f, ETH_HDR_LEN + 60 + 1440);
}

/* The rest of msg (total bytes) after the first 1440, in CHUNK pieces. */
static void
send_rest(struct h_env *e, uint16_t id, const uint8_t *msg, size_t total)
{
    for (size_t off = 1440; off < total; off += CHUNK)
        send_frag(e, id, msg, total, off, total - off < CHUNK ? total - off : CHUNK);
}

static void
test_reass_too_big(void **state)
{
    struct h_env *e = env(state, NULL);

    /* 60 + 65512 > 65535, though every fragment is valid on its own */
    size_t len = request(e, 10, 65512 - 8);
    send_first_with_options(e, 112, e->buf2);
    send_rest(e, 112, e->buf2, len);
    assert_int_equal(h_stat(e, "ipv4.rx_bad_frag"), 0);
    assert_int_equal(h_stat(e, "ipv4.reass_too_big"), 1);
    assert_int_equal(h_stat(e, "ipv4.reass_ok"), 0);
    assert_int_equal(h_stat(e, "icmp.rx_packets"), 0);
    assert_int_equal(e->rec->n, 0);
    assert_clean(e);

    /* 60 + 65475 = 65535 exactly: delivered and answered (without options) */
    len = request(e, 11, 65475 - 8);
    send_first_with_options(e, 113, e->buf2);
    send_rest(e, 113, e->buf2, len);
    assert_int_equal(h_stat(e, "ipv4.reass_too_big"), 1);
    assert_int_equal(h_stat(e, "ipv4.reass_ok"), 1);
    assert_int_equal(h_stat(e, "icmp.tx_echo_replies"), 1);
    check_reply(e, 0, e->buf2, len);
    assert_clean(e);
}

/* An empty pool is counted, never fatal: with 16 buffers all held by
 * reassembly, input and output both fail until the datagrams time out. */
static void
test_reass_pool_exhausted(void **state)
{
    struct stack_config c;

    h_config(&c);
    c.pkb_count = 16;
    struct h_env *e = env(state, &c);
    size_t len = request(e, 12, 4000);

    for (uint16_t i = 0; i < 16; i++)
        send_piece(e, (uint16_t)(400 + i), e->buf2, len, 1); /* no first pieces */
    assert_int_equal(h_pool_in_use(e), 16);
    assert_int_equal(h_stat(e, "eth.rx_nobufs"), 0);
    send_piece(e, 416, e->buf2, len, 1);
    assert_int_equal(h_stat(e, "eth.rx_nobufs"), 1);
    assert_int_equal(h_stat(e, "eth.rx_frames"), 1 + 17); /* h_learn's ARP too */
    assert_int_equal(h_stat(e, "ipv4.rx_packets"), 16);
    assert_int_equal(h_ping(e, H_IP_PEER, 1, 0), -ENOBUFS);
    assert_int_equal(h_stat(e, "icmp.tx_nobufs"), 1);
    assert_int_equal(e->rec->n, 0);
    h_poll(e, H_T0 + 30 * H_SEC);
    assert_int_equal(h_stat(e, "ipv4.reass_timeout"), 16);
    assert_clean(e);
    assert_int_equal(h_ping(e, H_IP_PEER, 2, 0), 0);
    assert_int_equal(e->rec->n, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_reass_in_order, h_teardown),
        cmocka_unit_test_teardown(test_reass_reversed, h_teardown),
        cmocka_unit_test_teardown(test_reass_shuffled_interleaved, h_teardown),
        cmocka_unit_test_teardown(test_reass_duplicate, h_teardown),
        cmocka_unit_test_teardown(test_reass_overlap_drops, h_teardown),
        cmocka_unit_test_teardown(test_reass_timeout_with_first, h_teardown),
        cmocka_unit_test_teardown(test_reass_timeout_without_first, h_teardown),
        cmocka_unit_test_teardown(test_reass_memory_cap, h_teardown),
        cmocka_unit_test_teardown(test_reass_count_cap, h_teardown),
        cmocka_unit_test_teardown(test_reass_max_size_roundtrip, h_teardown),
        cmocka_unit_test_teardown(test_reass_too_big, h_teardown),
        cmocka_unit_test_teardown(test_reass_pool_exhausted, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
