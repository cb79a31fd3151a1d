/*
 * test_core.c - the shared basics: checksum (RFC 1071), packet buffers,
 * the seeded RNG, counters by name and sequence-number comparisons.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "core/cksum.h"
#include "core/pkb.h"
#include "core/rng.h"
#include "core/seq.h"
#include "core/stats.h"

/* ---- checksum ---- */

/* RFC 1071 §3 "Numerical Examples": 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
static const uint8_t rfc1071[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

static void
test_cksum_rfc1071_example(void **state)
{
    (void)state;
    /* RFC 1071 §3: the sum is 2ddf0, which folds to ddf2; a running sum
     * may be held in any form congruent to it */
    uint32_t sum = cksum_add(0, rfc1071, sizeof(rfc1071));
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    assert_int_equal(sum, 0xddf2);
    assert_int_equal(cksum_finish(cksum_add(0, rfc1071, sizeof(rfc1071))), 0x220d);
    assert_int_equal(cksum(rfc1071, sizeof(rfc1071)), 0x220d);
    /* split at an even boundary: the same sum */
    uint32_t part = cksum_add(cksum_add(0, rfc1071, 4), rfc1071 + 4, 4);
    assert_int_equal(cksum_finish(part), 0x220d);
    assert_int_equal(cksum(rfc1071, 0), 0xffff);
}

static void
test_cksum_odd_length(void **state)
{
    (void)state;
    /* RFC 1071 §4.1: the odd byte is the high half of a zero-padded word */
    const uint8_t one[] = {0x01};
    assert_int_equal(cksum(one, 1), 0xfeff);
    assert_int_equal(cksum(rfc1071, 3), (uint16_t) ~(0x0001 + 0xf200));
    const uint8_t padded[] = {0x00, 0x01, 0xf2, 0x00};
    assert_int_equal(cksum(rfc1071, 3), cksum(padded, 4));
    /* carries fold back in */
    const uint8_t ff[] = {0xff, 0xff, 0xff, 0xff, 0xff};
    assert_int_equal(cksum(ff, 4), 0x0000);
    assert_int_equal(cksum(ff, 5), 0x00ff); /* ffff + ffff + ff00 -> ff00 */
}

static void
test_cksum_verifies_to_zero(void **state)
{
    (void)state;
    uint8_t b[301];

    for (size_t len = 2; len <= sizeof(b); len += 37) {
        h_pattern(b, len, (uint32_t)len);
        b[0] = b[1] = 0;
        uint16_t c = cksum(b, len);
        b[0] = (uint8_t)(c >> 8);
        b[1] = (uint8_t)c;
        assert_int_equal(cksum(b, len), 0);
        b[len - 1] ^= 0x01;
        assert_int_not_equal(cksum(b, len), 0);
    }
    /* a real header: the Wikipedia IPv4 example, checksum b861 */
    const uint8_t ip[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                          0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    assert_int_equal(cksum(ip, sizeof(ip)), 0);
}

static void
test_cksum_pseudo(void **state)
{
    (void)state;
    /* RFC 768 pseudo header: src, dst, zero, proto, length */
    const uint8_t ph[] = {10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 0x00, 0x08};
    uint32_t s = cksum_pseudo(0x0a000001, 0x0a000002, 17, 8);
    assert_int_equal(cksum_finish(s), cksum(ph, sizeof(ph)));
    assert_int_equal(cksum_finish(s), (uint16_t)~0x141c);
    /* all ones: the carries must survive */
    const uint8_t ph2[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                           0xff, 0xff, 0,    6,    0xff, 0xff};
    s = cksum_pseudo(0xffffffff, 0xffffffff, 6, 0xffff);
    assert_int_equal(cksum_finish(s), cksum(ph2, sizeof(ph2)));
    /* it chains into cksum_add like any running sum */
    const uint8_t udp[] = {0x30, 0x39, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00};
    uint8_t all[sizeof(ph) + sizeof(udp)];
    memcpy(all, ph, sizeof(ph));
    memcpy(all + sizeof(ph), udp, sizeof(udp));
    s = cksum_add(cksum_pseudo(0x0a000001, 0x0a000002, 17, 8), udp, sizeof(udp));
    assert_int_equal(cksum_finish(s), cksum(all, sizeof(all)));
}

/* ---- packet buffers ---- */

#define BUF 256

static void
test_pkb_bounds(void **state)
{
    (void)state;
    struct pkb_pool pool;
    assert_int_equal(pkb_pool_init(&pool, 4, BUF, 0), 0);
    struct pkb *p = pkb_alloc(&pool, 100);
    assert_non_null(p);
    assert_int_equal(p->len, 0);
    assert_int_equal(p->head, PKB_HEADROOM);
    assert_false(p->large);

    /* put: tailroom is BUF - headroom = 128 bytes */
    uint8_t *d = pkb_put(p, 100);
    assert_ptr_equal(d, p->buf + PKB_HEADROOM);
    assert_null(pkb_put(p, BUF - PKB_HEADROOM - 100 + 1));
    assert_int_equal(p->len, 100);
    assert_non_null(pkb_put(p, BUF - PKB_HEADROOM - 100));
    assert_null(pkb_put(p, 1));
    assert_int_equal(p->len, 128);

    /* pull: no more than len */
    assert_null(pkb_pull(p, 129));
    assert_int_equal(p->len, 128);
    assert_ptr_equal(pkb_pull(p, 28), d);
    assert_int_equal(p->len, 100);
    assert_ptr_equal(pkb_data(p), d + 28);
    assert_ptr_equal(pkb_pull(p, 100), d + 28);
    assert_int_equal(p->len, 0);
    assert_null(pkb_pull(p, 1));

    /* push: no more than the headroom (now 128 + 128) */
    assert_null(pkb_push(p, p->head + 1));
    assert_int_equal(p->len, 0);
    assert_ptr_equal(pkb_push(p, 14), p->buf + BUF - 14);
    assert_ptr_equal(pkb_push(p, BUF - 14), p->buf);
    assert_int_equal(p->len, BUF);
    assert_null(pkb_push(p, 1));

    /* trim: shorter only */
    pkb_trim(p, 300);
    assert_int_equal(p->len, BUF);
    pkb_trim(p, 60);
    assert_int_equal(p->len, 60);
    pkb_free(p);
    assert_int_equal(pool.in_use, 0);
    pkb_pool_destroy(&pool);
}

static void
test_pkb_pool_exhaustion(void **state)
{
    (void)state;
    struct pkb_pool pool;
    struct pkb *p[4];

    assert_int_equal(pkb_pool_init(&pool, 4, BUF, 0), 0);
    for (int i = 0; i < 4; i++) {
        p[i] = pkb_alloc(&pool, BUF - PKB_HEADROOM);
        assert_non_null(p[i]);
        assert_int_equal(pool.in_use, i + 1);
        for (int j = 0; j < i; j++)
            assert_ptr_not_equal(p[i]->buf, p[j]->buf);
    }
    assert_null(pkb_alloc(&pool, 1));
    assert_int_equal(pool.in_use, 4);
    /* a free returns the buffer to the pool, which hands it out again */
    pkb_free(p[2]);
    assert_int_equal(pool.in_use, 3);
    struct pkb *q = pkb_alloc(&pool, 10);
    assert_ptr_equal(q, p[2]);
    assert_int_equal(q->len, 0);
    assert_int_equal(q->head, PKB_HEADROOM);
    assert_null(q->next);
    assert_null(pkb_alloc(&pool, 1));
    /* a chain frees every link */
    p[0]->next = p[1];
    p[1]->next = q;
    pkb_free_chain(p[0]);
    assert_int_equal(pool.in_use, 1);
    pkb_free(p[3]);
    pkb_free(NULL);
    assert_int_equal(pool.in_use, 0);
    for (int i = 0; i < 4; i++)
        assert_non_null(pkb_alloc(&pool, 1)); /* all four back */
    pkb_pool_destroy(&pool);
}

static void
test_pkb_large(void **state)
{
    (void)state;
    struct pkb_pool pool;

    assert_int_equal(pkb_pool_init(&pool, 4, BUF, 1000), 0);
    /* one byte over a pool buffer: a heap buffer, counted against the limit */
    struct pkb *a = pkb_alloc(&pool, BUF - PKB_HEADROOM + 1);
    assert_non_null(a);
    assert_true(a->large);
    assert_int_equal(a->cap, BUF + 1);
    assert_int_equal(pool.large_bytes, BUF + 1);
    assert_int_equal(pool.in_use, 0);
    assert_non_null(pkb_put(a, BUF - PKB_HEADROOM + 1));
    assert_null(pkb_put(a, 1));
    /* 257 + 743 = 1000 fits exactly; one more byte does not */
    assert_null(pkb_alloc(&pool, 1000 - (BUF + 1) - PKB_HEADROOM + 1));
    struct pkb *b = pkb_alloc(&pool, 1000 - (BUF + 1) - PKB_HEADROOM);
    assert_non_null(b);
    assert_int_equal(pool.large_bytes, 1000);
    assert_null(pkb_alloc(&pool, BUF));   /* any large one now fails */
    assert_non_null(pkb_alloc(&pool, 1)); /* the pool still serves */
    pkb_free(a);
    assert_int_equal(pool.large_bytes, 1000 - (BUF + 1));
    pkb_free(b);
    assert_int_equal(pool.large_bytes, 0);
    struct pkb *c = pkb_alloc(&pool, 1000 - PKB_HEADROOM);
    assert_non_null(c);
    pkb_free(c);
    /* a size no buffer can describe */
    assert_null(pkb_alloc(&pool, SIZE_MAX - 10));
    assert_null(pkb_alloc(&pool, (size_t)UINT32_MAX));
    assert_int_equal(pool.large_bytes, 0);
    pkb_pool_destroy(&pool);
}

/* ---- RNG ---- */

static void
test_rng_deterministic(void **state)
{
    (void)state;
    struct rng a, b;

    rng_seed(&a, 1);
    rng_seed(&b, 1);
    /* xoshiro256** seeded by splitmix64(1), from an independent
     * implementation: the algorithm is part of "same seed, same pcap" */
    assert_int_equal(rng_u64(&a), 0xb3f2af6d0fc710c5ull);
    assert_int_equal(rng_u64(&a), 0x853b559647364ceaull);
    assert_int_equal(rng_u64(&a), 0x92f89756082a4514ull);
    rng_seed(&a, 1);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(rng_u64(&a), rng_u64(&b));
    rng_seed(&a, 0x123456789ull);
    assert_int_equal(rng_u32(&a), 0x057fbcd9);
    assert_int_equal(rng_u32(&a), 0xfe959e16);
    assert_int_equal(rng_u32(&a), 0x1b0ca35f);
}

static void
test_rng_seeds_differ(void **state)
{
    (void)state;
    struct rng a, b;
    int same = 0;

    rng_seed(&a, 1);
    rng_seed(&b, 2);
    for (int i = 0; i < 100; i++)
        same += rng_u64(&a) == rng_u64(&b);
    assert_int_equal(same, 0);
    rng_seed(&a, 0);
    rng_seed(&b, 1ull << 63);
    assert_true(rng_u64(&a) != rng_u64(&b));
}

static void
test_rng_range(void **state)
{
    (void)state;
    struct rng r;
    int seen[4] = {0};

    rng_seed(&r, 7);
    for (int i = 0; i < 10000; i++) {
        uint32_t v = rng_range(&r, 1000, 1003);
        assert_in_range(v, 1000, 1003);
        seen[v - 1000]++;
    }
    for (int i = 0; i < 4; i++)
        assert_in_range(seen[i], 2200, 2800); /* about 2500 each */
    for (int i = 0; i < 100; i++)
        assert_int_equal(rng_range(&r, 5, 5), 5);
    /* the full range: no overflow in the span */
    struct rng c;
    rng_seed(&r, 9);
    rng_seed(&c, 9);
    for (int i = 0; i < 100; i++)
        assert_int_equal(rng_range(&r, 0, UINT32_MAX), rng_u32(&c));
    for (int i = 0; i < 1000; i++)
        assert_true(rng_range(&r, UINT32_MAX - 1, UINT32_MAX) >= UINT32_MAX - 1);
    /* ephemeral ports */
    for (int i = 0; i < 1000; i++)
        assert_in_range(rng_range(&r, 49152, 65535), 49152, 65535);
}

/* ---- counters ---- */

static void
test_stats_get(void **state)
{
    (void)state;
    struct stats st;

    memset(&st, 0, sizeof(st));
    st.ipv4.rx_bad_cksum = 7;
    st.eth.rx_frames = 1;
    st.arp.expired = 123456789012ull;
    st.icmp.tx_nobufs = 3;
    assert_int_equal(stats_get(&st, "ipv4.rx_bad_cksum"), 7);
    assert_int_equal(stats_get(&st, "eth.rx_frames"), 1);
    assert_int_equal(stats_get(&st, "arp.expired"), 123456789012ll);
    assert_int_equal(stats_get(&st, "icmp.tx_nobufs"), 3);
    assert_int_equal(stats_get(&st, "ipv4.rx_packets"), 0);
    /* same counter name, other module: a separate counter */
    assert_int_equal(stats_get(&st, "arp.rx_packets"), 0);
    assert_int_equal(stats_get(&st, "icmp.rx_bad_cksum"), 0);
    assert_int_equal(stats_get(&st, "ipv4.no_such_counter"), -1);
    assert_int_equal(stats_get(&st, "rx_bad_cksum"), -1);
    assert_int_equal(stats_get(&st, "ipv4"), -1);
    assert_int_equal(stats_get(&st, "tcp.rx_packets"), -1);
    assert_int_equal(stats_get(&st, "IPV4.RX_BAD_CKSUM"), -1);
    assert_int_equal(stats_get(&st, ""), -1);

    /* the printer lists exactly the non-zero counters */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    stats_print(&st, f);
    fclose(f);
    assert_non_null(strstr(text, "ipv4.rx_bad_cksum"));
    assert_non_null(strstr(text, "arp.expired"));
    assert_null(strstr(text, "ipv4.rx_packets"));
    assert_non_null(strstr(text, "(4 of "));
    free(text);
}

/* ---- sequence numbers ---- */

static void
test_seq_wrap(void **state)
{
    (void)state;
    const tcp_seq a = 0xfffffff0u, b = 0x00000010u; /* b is 32 after a */

    assert_true(seq_lt(a, b));
    assert_true(seq_le(a, b));
    assert_false(seq_gt(a, b));
    assert_false(seq_ge(a, b));
    assert_true(seq_gt(b, a));
    assert_true(seq_ge(b, a));
    assert_false(seq_lt(b, a));
    assert_true(seq_lt(0xffffffffu, 0));
    assert_true(seq_gt(0, 0xffffffffu));
    assert_true(seq_le(a, a) && seq_ge(a, a));
    assert_false(seq_lt(a, a) || seq_gt(a, a));
    /* up to 2^31 - 1 ahead is "after" */
    assert_true(seq_lt(0x80000000u, 0xffffffffu));
    assert_true(seq_lt(0xffffffffu, 0x7ffffffeu));
    assert_true(seq_gt(0x7ffffffeu, 0xffffffffu));
    assert_true(seq_lt(0, 0x7fffffffu));
    assert_true(seq_gt(0x80000000u, 1));
    assert_false(seq_lt(0x80000000u, 1));
}

/* ---- engine configuration ---- */

static void
test_config_defaults(void **state)
{
    (void)state;
    struct stack_config c;

    memset(&c, 0x5a, sizeof(c));
    stack_config_defaults(&c);
    assert_memory_equal(c.mac, h_mac_us, 6);
    assert_int_equal(c.addr, 0);
    assert_int_equal(c.prefix_len, 24);
    assert_int_equal(c.gateway, 0);
    assert_int_equal(c.mtu, 1500);
    assert_int_equal(c.arp_timeout_s, 60);
    assert_int_equal(c.arp_retries, 3);
    assert_int_equal(c.arp_retry_ms, 1000);
    assert_int_equal(c.arp_queue_len, 64);
    assert_int_equal(c.reass_timeout_s, 30);
    /* NOTE: stack.h says 512 KiB; stack.c gives 1 MiB */
    assert_int_equal(c.reass_max_bytes, 1024 * 1024);
    assert_int_equal(c.reass_max_count, 16);
    assert_int_equal(c.icmp_rate_per_s, 100);
    assert_int_equal(c.icmp_burst, 50);
    assert_int_equal(c.pkb_count, 1024);
    assert_null(c.log_out);
}

/* stack_new on c: NULL, with a message on log_out, or an engine. */
static int
config_accepted(const struct stack_config *in)
{
    struct stack_config c = *in;
    char *text = NULL;
    size_t len = 0;

    c.log_out = open_memstream(&text, &len);
    assert_non_null(c.log_out);
    struct rec_dev *r = rec_open();
    struct stack *s = stack_new(&c, &r->dev);
    fclose(c.log_out);
    if (!s)
        assert_non_null(strstr(text, "ustack: bad config: "));
    free(text);
    stack_free(s);
    rec_close(r);
    return s != NULL;
}

static void
test_config_checked(void **state)
{
    (void)state;
    struct stack_config c;

    h_config(&c);
    assert_true(config_accepted(&c));
    stack_config_defaults(&c);
    assert_false(config_accepted(&c)); /* no address */
#define BAD(field, value)                                                                \
    do {                                                                                 \
        h_config(&c);                                                                    \
        c.field = value;                                                                 \
        if (config_accepted(&c))                                                         \
            fail_msg("accepted " #field " = " #value);                                   \
    } while (0)
#define GOOD(field, value)                                                               \
    do {                                                                                 \
        h_config(&c);                                                                    \
        c.field = value;                                                                 \
        if (!config_accepted(&c))                                                        \
            fail_msg("refused " #field " = " #value);                                    \
    } while (0)
    BAD(addr, 0xe0000001);
    BAD(addr, 0xffffffff);
    BAD(prefix_len, 0);
    BAD(prefix_len, 33);
    BAD(mtu, 575);
    BAD(mtu, 9001);
    BAD(mac[0], 0x01);
    BAD(arp_retries, 0);
    BAD(arp_queue_len, 0);
    BAD(reass_max_count, 0);
    BAD(pkb_count, 15);
    BAD(icmp_burst, 0);
    GOOD(mtu, 576);
    GOOD(mtu, 9000);
    GOOD(prefix_len, 1);
    GOOD(prefix_len, 32);
    GOOD(pkb_count, 16);
#undef BAD
#undef GOOD
    stack_free(NULL); /* allowed, as free(NULL) */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cksum_rfc1071_example),
        cmocka_unit_test(test_cksum_odd_length),
        cmocka_unit_test(test_cksum_verifies_to_zero),
        cmocka_unit_test(test_cksum_pseudo),
        cmocka_unit_test(test_pkb_bounds),
        cmocka_unit_test(test_pkb_pool_exhaustion),
        cmocka_unit_test(test_pkb_large),
        cmocka_unit_test(test_rng_deterministic),
        cmocka_unit_test(test_rng_seeds_differ),
        cmocka_unit_test(test_rng_range),
        cmocka_unit_test(test_stats_get),
        cmocka_unit_test(test_seq_wrap),
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
