/*
 * test_tcp_hash.c - finding connections by hash (core/htab.c,
 * tcp_hash.c): the table itself with many elements, growth and removals,
 * and with every element on one chain; then 10,000 connections, 5,000
 * half-open ones and 2,000 TIME_WAIT records, each found again by the
 * segments of its own peer after others came and went.
 */
#include "harness_tcp.h"

#include <stdlib.h>
#include <string.h>

#include "core/siphash.h"
#include "stack_var.h"

#define N_ITEMS 10000

struct item {
    struct hnode n;
    uint32_t key;
    int in;
};

static const uint8_t test_key[16] = {1, 2,  3,  4,  5,  6,  7,  8,
                                     9, 10, 11, 12, 13, 14, 15, 16};

static uint64_t
key_hash(uint32_t key)
{
    return siphash24(test_key, &key, sizeof(key));
}

static uint64_t
item_hash(const struct hnode *n, const void *ctx)
{
    (void)ctx;
    return key_hash(HTAB_ENTRY(n, struct item, n)->key);
}

/* Every element on one chain: what a peer could do to an unkeyed hash. */
static uint64_t
same_hash(const struct hnode *n, const void *ctx)
{
    (void)n;
    (void)ctx;
    return 42;
}

static struct item *
find(const struct htab *t, uint32_t key, uint64_t h)
{
    for (struct hnode *n = htab_chain(t, h); n; n = n->next) {
        struct item *it = HTAB_ENTRY(n, struct item, n);
        if (it->key == key)
            return it;
    }
    return NULL;
}

static void
check_all(const struct htab *t, struct item *items, size_t n, int one_chain)
{
    for (size_t i = 0; i < n; i++) {
        struct item *it = find(t, items[i].key, one_chain ? 42 : key_hash(items[i].key));
        if (items[i].in)
            assert_ptr_equal(it, &items[i]);
        else
            assert_null(it);
    }
}

static void
table_churn(int one_chain)
{
    struct htab t;
    struct item *items = calloc(N_ITEMS, sizeof(*items));
    size_t n = one_chain ? 1000 : N_ITEMS;

    assert_non_null(items);
    assert_int_equal(htab_init(&t, one_chain ? same_hash : item_hash, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        items[i].key = 0xfffff000u + (uint32_t)i * 7919u; /* keys wrap 2^32 */
        items[i].in = 1;
        htab_insert(&t, &items[i].n, one_chain ? 42 : key_hash(items[i].key));
    }
    assert_int_equal(t.n, n);
    assert_true(htab_buckets(&t) >= n); /* it grew, rehashing every chain */
    check_all(&t, items, n, one_chain);
    for (size_t i = 0; i < n; i += 2) { /* every other one leaves */
        htab_remove(&t, &items[i].n, one_chain ? 42 : key_hash(items[i].key));
        items[i].in = 0;
    }
    assert_int_equal(t.n, n / 2);
    check_all(&t, items, n, one_chain);
    for (size_t i = 0; i < n; i += 4) { /* a quarter comes back */
        htab_insert(&t, &items[i].n, one_chain ? 42 : key_hash(items[i].key));
        items[i].in = 1;
    }
    check_all(&t, items, n, one_chain);
    htab_free(&t);
    free(items);
}

static void
test_htab_many(void **state)
{
    (void)state;
    table_churn(0);
}

static void
test_htab_one_chain(void **state)
{
    (void)state;
    table_churn(1);
}

/* The peer's port of connection i: from 30000 up through 65535, then
 * from 1 (a port number wraps; 0 is no port). */
static uint16_t
pport_of(size_t i)
{
    uint32_t p = 30000 + (uint32_t)i;

    return (uint16_t)(p > 65535 ? p - 65535 : p);
}

static struct tcp_pcb *
small_listener(struct h_env *e)
{
    struct tcp_pcb *l = ht_listen(e, HT_PORT, TCP_BUF_MIN, 4096);

    assert_int_equal(tcp_set_bufs(e->s, l, TCP_BUF_MIN, TCP_BUF_MIN), 0);
    return l;
}

#define N_CONNS 10000

static void
test_ten_thousand_conns(void **state)
{
    struct h_env *e = ht_env(state, NULL);
    struct tcp_pcb *l = small_listener(e);
    struct ht_conn *k = calloc(N_CONNS, sizeof(*k));

    assert_non_null(k);
    for (size_t i = 0; i < N_CONNS; i++) {
        ht_syn(&k[i], e, l, pport_of(i), HT_NOWS);
        ht_ack_accept(&k[i]);
    }
    assert_int_equal(e->s->tcp.conns.n, N_CONNS);
    assert_true(htab_buckets(&e->s->tcp.conns) >= N_CONNS);
    /* each peer's byte reaches its own connection, and only it */
    for (size_t i = 0; i < N_CONNS; i++) {
        ht_data(&k[i], 1);
        assert_int_equal(tcp_recv_avail(k[i].c), 1);
    }
    /* the peers of every third connection reset it; the application lets go */
    for (size_t i = 0; i < N_CONNS; i += 3) {
        ht_send(&k[i], TCP_RST, NULL, 0);
        assert_int_equal(k[i].c->state, TCP_CLOSED);
        tcp_close(e->s, k[i].c);
    }
    tcp_reap(e->s);
    assert_int_equal(e->s->tcp.conns.n, N_CONNS - (N_CONNS + 2) / 3);
    for (size_t i = 0; i < N_CONNS; i++) {
        rec_clear(e->rec);
        ht_data(&k[i], 1);
        if (i % 3 == 0) { /* gone: no block takes it, a RST answers */
            ht_nsent(e, 1);
            ht_expect(e, 0, TCP_RST, k[i].pack, 0, -1, 0);
        }
    }
    for (size_t i = 0; i < N_CONNS; i++)
        if (i % 3)
            assert_int_equal(tcp_recv_avail(k[i].c), 2);
    free(k);
}

#define N_HALF 5000

/* Half-open connections are found by their own ACK, in reverse order. */
static void
test_syn_queue_by_hash(void **state)
{
    struct h_env *e = ht_env(state, NULL);
    struct tcp_pcb *l = small_listener(e);
    struct ht_conn *k = calloc(N_HALF, sizeof(*k));

    assert_non_null(k);
    for (size_t i = 0; i < N_HALF; i++)
        ht_syn(&k[i], e, l, pport_of(i * 13), HT_NOWS);
    assert_int_equal(e->s->tcp.synq.n, N_HALF);
    for (size_t i = N_HALF; i-- > 0;) {
        ht_ack_accept(&k[i]);
        assert_int_equal(k[i].c->rport, pport_of(i * 13));
    }
    assert_int_equal(e->s->tcp.synq.n, 0);
    assert_int_equal(h_stat(e, "tcp.syncookies_sent"), 0);
    free(k);
}

#define N_TW 2000

/* TIME_WAIT records answer a retransmitted FIN, each with its own
 * numbers, in an order other than the one they were made in. */
static void
test_time_wait_by_hash(void **state)
{
    struct h_env *e = ht_env(state, NULL);
    struct tcp_pcb *l = small_listener(e);
    struct ht_conn *k = calloc(N_TW, sizeof(*k));

    assert_non_null(k);
    for (size_t i = 0; i < N_TW; i++) {
        ht_syn(&k[i], e, l, pport_of(i), HT_NOWS);
        ht_ack_accept(&k[i]);
        ht_data(&k[i], (i % 7) + 1); /* distinct RCV.NXT */
        ht_recv_expect(e, k[i].c, 0, (i % 7) + 1);
        tcp_close(e->s, k[i].c); /* our FIN */
        k[i].pack = k[i].iss + 2;
        ht_fin(&k[i]); /* the peer's, acknowledging ours */
    }
    assert_int_equal(tcp_tw_count(e->s), N_TW);
    assert_int_equal(e->s->tcp.tws.n, N_TW);
    assert_int_equal(e->s->tcp.conns.n, 0);
    for (size_t i = N_TW; i-- > 0;) {
        if (i % 2)
            continue;
        rec_clear(e->rec);
        ht_send_at(&k[i], TCP_FIN | TCP_ACK, k[i].pseq - 1, k[i].pack, NULL, 0);
        ht_only(e, TCP_ACK, k[i].iss + 2, k[i].pseq, -1, 0);
    }
    assert_int_equal(tcp_tw_count(e->s), N_TW);
    free(k);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_htab_many),
        cmocka_unit_test(test_htab_one_chain),
        cmocka_unit_test_teardown(test_ten_thousand_conns, h_teardown),
        cmocka_unit_test_teardown(test_syn_queue_by_hash, h_teardown),
        cmocka_unit_test_teardown(test_time_wait_by_hash, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
