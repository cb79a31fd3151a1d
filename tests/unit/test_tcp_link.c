/*
 * test_tcp_link.c - two engines joined by a loop link, on a virtual
 * clock: bulk transfers in both directions at once, byte for byte, first
 * over a clean link, then through fault middlewares on both ends (seeded
 * loss, duplication, reordering, corruption) that the engines must
 * recover from; each run ends with both sides closed and every
 * connection block freed. Also the fault middleware itself: each fault
 * alone, its rates, and that a seed replays the same faults.
 */
#include "harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/tcp.h"
#include "stack_var.h"

#define LINK_FRAME 9216
#define LINK_PORT 7
#define CHUNK 65536

/* One engine, its connection and the application's two byte streams. */
struct end {
    struct stack *s;
    struct dev *dev; /* what the engine sends on (and we receive from) */
    struct tcp_pcb *c;
    uint8_t *src, *dst; /* what it sends; what it has received */
    size_t sent, got;
    int eof; /* tcp_recv said 0 */
};

struct link {
    struct end e[2]; /* [0] connects (10.0.0.1), [1] listens (10.0.0.2) */
    struct tcp_pcb *l;
    uint64_t now, t0;
    size_t total;
    uint8_t frame[LINK_FRAME];
};

static void
fill(uint8_t *b, size_t n, uint32_t seed)
{
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;

    for (size_t i = 0; i < n; i++) { /* xorshift64 */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b[i] = (uint8_t)x;
    }
}

static int
link_teardown(void **state)
{
    struct link *L = *state;

    if (!L)
        return 0;
    for (int i = 0; i < 2; i++) {
        stack_free(L->e[i].s);
        dev_close(L->e[i].dev);
        free(L->e[i].src);
        free(L->e[i].dst);
    }
    free(L);
    *state = NULL;
    return 0;
}

static size_t
npcbs(const struct stack *s)
{
    size_t n = 0;

    for (const struct tcp_pcb *c = s->tcp.pcbs; c; c = c->next)
        n++;
    return n;
}

/* The application side of both ends: write what fits, read what came. */
static void
link_apps(struct link *L)
{
    for (int i = 0; i < 2; i++) {
        struct end *x = &L->e[i];
        if (!x->c)
            continue;
        if (x->sent < L->total) {
            size_t n = L->total - x->sent < CHUNK ? L->total - x->sent : CHUNK;
            ssize_t r = tcp_send(x->s, x->c, x->src + x->sent, n);
            if (r > 0)
                x->sent += (size_t)r;
            else
                assert_int_equal(r, -EAGAIN);
        }
        for (;;) {
            ssize_t r = tcp_recv(x->s, x->c, x->dst + x->got, L->total - x->got + 1);
            if (r == 0)
                x->eof = 1;
            if (r <= 0) {
                if (r < 0)
                    assert_int_equal(r, -EAGAIN);
                break;
            }
            x->got += (size_t)r;
            assert_true(x->got <= L->total);
        }
    }
}

/* Move at most one frame each way, run the applications and the due
 * timers; when nothing moved, jump to the next deadline. */
static void
link_step(struct link *L)
{
    int moved = 0;

    for (int i = 0; i < 2; i++) {
        uint64_t ts = L->now;
        ssize_t n = dev_recv(L->e[i].dev, L->frame, sizeof(L->frame), &ts);
        if (n > 0) {
            stack_input(L->e[i].s, L->frame, (size_t)n, L->now);
            L->now += 10; /* a 1500-byte frame at about 1 Gb/s */
            moved = 1;
        }
    }
    link_apps(L);
    if (!moved) {
        uint64_t a = stack_poll_at(L->e[0].s), b = stack_poll_at(L->e[1].s);
        uint64_t t = a < b ? a : b;
        assert_true(t != STACK_NEVER);
        if (t > L->now)
            L->now = t;
    }
    for (int i = 0; i < 2; i++)
        if (stack_poll_at(L->e[i].s) <= L->now)
            stack_poll(L->e[i].s, L->now);
    if (L->now - L->t0 > 3600 * H_SEC)
        fail_msg("stuck: A sent %zu got %zu, B sent %zu got %zu", L->e[0].sent,
                 L->e[0].got, L->e[1].sent, L->e[1].got);
}

/* Two engines on a loop link, each end wrapped in a fault middleware
 * when fc is given; B listens, A connects, both are established. */
static struct link *
link_open(void **state, size_t total, const struct fault_config *fc)
{
    struct link *L = *state = calloc(1, sizeof(*L));
    struct dev *lo[2];
    struct stack_config cfg[2];

    assert_non_null(L);
    L->total = total;
    L->now = L->t0 = H_T0;
    assert_int_equal(loop_pair(&lo[0], &lo[1]), 0);
    for (int i = 0; i < 2; i++) {
        struct end *x = &L->e[i];
        h_config(&cfg[i]);
        cfg[i].seed = 100 + (uint64_t)i;
        cfg[i].arp_timeout_s = 1000000;
        if (i == 0) {
            memcpy(cfg[i].mac, h_mac_peer, 6);
            cfg[i].addr = H_IP_PEER;
        }
        x->dev = lo[i];
        if (fc) {
            struct fault_config f = fc[i];
            x->dev = fault_open(lo[i], &f);
            assert_non_null(x->dev);
        }
        x->s = stack_new(&cfg[i], x->dev);
        assert_non_null(x->s);
        x->src = malloc(total);
        x->dst = malloc(total + 1);
        assert_non_null(x->src);
        assert_non_null(x->dst);
        fill(x->src, total, 7 + (uint32_t)i);
        stack_poll(x->s, L->now);
    }
    L->l = tcp_open(L->e[1].s, (void *)1);
    assert_int_equal(tcp_bind(L->e[1].s, L->l, 0, LINK_PORT), 0);
    assert_int_equal(tcp_listen(L->e[1].s, L->l, 4), 0);
    L->e[0].c = tcp_open(L->e[0].s, (void *)2);
    assert_int_equal(tcp_connect(L->e[0].s, L->e[0].c, H_IP_US, LINK_PORT), 0);
    while (!L->e[1].c) {
        link_step(L);
        L->e[1].c = tcp_accept(L->e[1].s, L->l, (void *)3);
    }
    while (L->e[0].c->state != TCP_ESTABLISHED)
        link_step(L);
    return L;
}

/* Both ways at once until every byte arrived; compare them. */
static void
link_transfer(struct link *L)
{
    while (L->e[0].got < L->total || L->e[1].got < L->total)
        link_step(L);
    assert_int_equal(L->e[0].sent, L->total);
    assert_int_equal(L->e[1].sent, L->total);
    assert_memory_equal(L->e[0].dst, L->e[1].src, L->total);
    assert_memory_equal(L->e[1].dst, L->e[0].src, L->total);
}

/* A closes first, B when it has read the EOF; the listener goes too. Run
 * until both engines have freed every block (TIME_WAIT included). */
static void
link_close(struct link *L)
{
    tcp_close(L->e[0].s, L->e[0].c);
    L->e[0].c = NULL;
    while (!L->e[1].eof)
        link_step(L);
    tcp_close(L->e[1].s, L->e[1].c);
    L->e[1].c = NULL;
    tcp_close(L->e[1].s, L->l);
    while (npcbs(L->e[0].s) || npcbs(L->e[1].s) || tcp_tw_count(L->e[0].s) ||
           tcp_tw_count(L->e[1].s))
        link_step(L);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(L->e[i].s->pool.in_use, 0);
        assert_int_equal(stack_poll_at(L->e[i].s) > L->now + 100000 * H_SEC, 1);
    }
}

static int64_t
st(const struct link *L, int i, const char *name)
{
    int64_t v = stats_get(stack_stats(L->e[i].s), name);

    if (v < 0)
        fail_msg("no counter %s", name);
    return v;
}

static void
test_link_clean(void **state)
{
    struct link *L = link_open(state, 10 * 1000 * 1000, NULL);

    link_transfer(L);
    for (int i = 0; i < 2; i++) {
        /* nothing lost on a clean link: nothing sent twice */
        assert_int_equal(st(L, i, "tcp.retransmitted_segs"), 0);
        assert_int_equal(st(L, i, "tcp.rto_expired"), 0);
        assert_int_equal(st(L, i, "tcp.rx_ooo"), 0);
        assert_int_equal(st(L, i, "eth.tx_dev_err"), 0);
        assert_int_equal(st(L, i, "tcp.tx_data_bytes"), 10 * 1000 * 1000);
    }
    link_close(L);
}

static void
test_link_faults(void **state)
{
    /* 1% loss, 0.5% duplicates, 1% reordered, 0.5% corrupted, each way */
    const struct fault_config fc[2] = {
        {.seed = 11,
         .drop_ppm = 10000,
         .dup_ppm = 5000,
         .reorder_ppm = 10000,
         .corrupt_ppm = 5000},
        {.seed = 12,
         .drop_ppm = 10000,
         .dup_ppm = 5000,
         .reorder_ppm = 10000,
         .corrupt_ppm = 5000},
    };
    struct link *L = link_open(state, 10 * 1000 * 1000, fc);

    link_transfer(L);
    printf("# 10 MB each way through the faulty link in %.3f s (virtual)\n",
           (double)(L->now - L->t0) / 1e6);
    link_close(L);
    for (int i = 0; i < 2; i++) {
        uint64_t n[4];
        fault_counts(L->e[i].dev, n);
        for (int k = 0; k < FAULT_NKINDS; k++)
            assert_true(n[k] > 0);
        /* the faults were seen, and repaired, on both sides */
        assert_true(st(L, i, "tcp.retransmitted_segs") > 0);
        /* both offered SACK: losses were found from SACK blocks (RFC 6675,
         * RACK) and repaired in recovery, not by timeouts */
        assert_true(st(L, i, "tcp.rx_sack_blocks") > 0);
        assert_true(st(L, i, "tcp.sack_recoveries") > 0);
        assert_true(st(L, i, "tcp.sack_retransmits") > 0);
        assert_int_equal(st(L, i, "tcp.rto_expired"), 0);
        printf("# engine %d: %ld retransmitted, %ld RTOs, %ld recoveries, %ld RACK lost, "
               "%ld TLPs, %ld D-SACKs in\n",
               i, (long)st(L, i, "tcp.retransmitted_segs"), (long)st(L, i, "tcp.rto_expired"),
               (long)st(L, i, "tcp.sack_recoveries"), (long)st(L, i, "tcp.rack_lost"),
               (long)st(L, i, "tcp.tlp_probes"), (long)st(L, i, "tcp.rx_dsack"));
        printf("#   paws %ld, rack reord %ld, islost-only %ld, tlp spurious %ld\n",
               (long)st(L, i, "tcp.rx_paws"), (long)st(L, i, "tcp.rack_reord"),
               (long)(st(L, i, "tcp.sack_retransmits") - st(L, i, "tcp.rack_lost")),
               (long)st(L, i, "tcp.tlp_spurious"));
        assert_true(st(L, i, "tcp.rx_bad_cksum") + st(L, i, "ipv4.rx_bad_cksum") > 0);
        assert_true(st(L, i, "tcp.rx_ooo") > 0);
        assert_true(st(L, i, "tcp.rx_dup_data") + st(L, i, "tcp.rx_out_of_window") > 0);
    }
}

/* ---- the fault middleware on its own ---- */

/* Frames 0..n-1 of 100 bytes (frame i filled with i) through d. */
static void
send_numbered(struct dev *d, int n)
{
    uint8_t f[100];

    for (int i = 0; i < n; i++) {
        memset(f, i, sizeof(f));
        assert_int_equal(dev_send(d, f, sizeof(f), 0), 0);
    }
}

static void
test_fault_each(void **state)
{
    (void)state;
    struct rec_dev *r = rec_open();
    struct fault_config fc = {.seed = 1, .reorder_ppm = 1000000};
    struct dev *d = fault_open(&r->dev, &fc);
    uint64_t n[4];

    /* always reorder: each frame waits for the next one */
    send_numbered(d, 5);
    assert_int_equal(r->n, 4);
    const uint8_t order[] = {1, 0, 3, 2};
    for (int i = 0; i < 4; i++)
        assert_int_equal(r->f[i].data[0], order[i]);
    fault_counts(d, n);
    assert_int_equal(n[FAULT_REORDER], 3); /* frame 4 is held */
    dev_close(d);                          /* closes r too */

    r = rec_open();
    fc = (struct fault_config){.seed = 1, .dup_ppm = 1000000};
    d = fault_open(&r->dev, &fc);
    send_numbered(d, 3);
    assert_int_equal(r->n, 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(r->f[i].data[0], i / 2);
    dev_close(d);

    r = rec_open();
    fc = (struct fault_config){.seed = 1, .drop_ppm = 1000000};
    d = fault_open(&r->dev, &fc);
    send_numbered(d, 3);
    assert_int_equal(r->n, 0);
    fault_counts(d, n);
    assert_int_equal(n[FAULT_DROP], 3);
    dev_close(d);

    /* corrupt: exactly one bit differs, never in the Ethernet header */
    r = rec_open();
    fc = (struct fault_config){.seed = 1, .corrupt_ppm = 1000000};
    d = fault_open(&r->dev, &fc);
    send_numbered(d, 200);
    for (int i = 0; i < 200; i++) {
        int bits = 0;
        for (int k = 0; k < 100; k++) {
            uint8_t x = r->f[i].data[k] ^ (uint8_t)i;
            if (x)
                assert_true(k >= 14);
            bits += __builtin_popcount(x);
        }
        assert_int_equal(bits, 1);
    }
    dev_close(d);

    /* a rate above one million, or no device: refused, inner left open */
    r = rec_open();
    fc = (struct fault_config){.drop_ppm = 1000001};
    assert_null(fault_open(&r->dev, &fc));
    fc.drop_ppm = 0;
    assert_null(fault_open(NULL, &fc));
    rec_close(r);
    fault_counts(NULL, n);
    assert_int_equal(n[0] + n[1] + n[2] + n[3], 0);
}

/* The same seed and frames give the same output; rates are about right. */
static void
test_fault_seeded(void **state)
{
    (void)state;
    struct fault_config fc = {.seed = 99,
                              .drop_ppm = 100000,
                              .dup_ppm = 50000,
                              .reorder_ppm = 100000,
                              .corrupt_ppm = 50000};
    struct rec_dev *r[3];
    struct dev *d[3];
    uint64_t n[3][4];

    for (int k = 0; k < 3; k++) {
        r[k] = rec_open();
        if (k == 2)
            fc.seed = 100;
        d[k] = fault_open(&r[k]->dev, &fc);
        uint8_t f[64];
        for (int i = 0; i < 10000; i++) {
            memset(f, 0, sizeof(f));
            memcpy(f + 20, &i, sizeof(i));
            dev_send(d[k], f, sizeof(f), 0);
        }
        fault_counts(d[k], n[k]);
    }
    assert_int_equal(r[0]->n, r[1]->n);
    for (size_t i = 0; i < r[0]->n; i++)
        assert_memory_equal(r[0]->f[i].data, r[1]->f[i].data, 64);
    assert_memory_equal(n[0], n[1], sizeof(n[0]));
    assert_true(memcmp(n[0], n[2], sizeof(n[0])) != 0);
    /* 10% drop of 10000: within 5 standard deviations (30) of 1000 */
    assert_in_range(n[0][FAULT_DROP], 850, 1150);
    assert_in_range(n[0][FAULT_CORRUPT], 350, 600);
    for (int k = 0; k < 3; k++)
        dev_close(d[k]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_each),
        cmocka_unit_test(test_fault_seeded),
        cmocka_unit_test_teardown(test_link_clean, link_teardown),
        cmocka_unit_test_teardown(test_link_faults, link_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
