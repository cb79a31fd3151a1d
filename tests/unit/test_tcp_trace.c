/*
 * test_tcp_trace.c - TCP's event trace (tcp_trace.c, docs/TRACE.md), one
 * engine on the recording device, the peer played by hand: the lines of a
 * passive open, data across the peer's sequence wrap, a read and the
 * peer's FIN (relative numbers, states in order, the application's read);
 * a retransmission timeout (the timer armed and fired, the congestion
 * state with its reason, the segment marked as sent again); the same
 * script twice gives the same bytes; with no sink nothing is kept.
 */
#include "harness_tcp.h"

#include <stdlib.h>
#include <string.h>

#include "stack_var.h"

#define MS H_MS
#define SEC H_SEC

/* What the sink was given: the lines, one after another. */
struct sink {
    char *buf;
    size_t len, cap;
    size_t lines;
};

static void
collect(void *ctx, const char *line, size_t len)
{
    struct sink *k = ctx;

    assert_true(len > 2 && line[len - 1] == '\n' && line[0] == '{');
    assert_int_equal(strlen(line), len); /* one line, NUL after it */
    if (k->len + len + 1 > k->cap) {
        k->cap = (k->len + len + 1) * 2;
        k->buf = realloc(k->buf, k->cap);
        assert_non_null(k->buf);
    }
    memcpy(k->buf + k->len, line, len + 1);
    k->len += len;
    k->lines++;
}

static struct h_env *
env(void **state, struct sink *k)
{
    struct stack_config cfg;

    h_config(&cfg);
    cfg.trace = collect;
    cfg.trace_ctx = k;
    return ht_env(state, &cfg);
}

/* The first line at or after line `from` that holds every one of the
 * NULL-terminated strings; its index, or -1. */
static long
find(const struct sink *k, long from, ...)
{
    const char *p = k->buf ? k->buf : "";
    long i = 0;

    for (; *p; i++) {
        const char *end = strchr(p, '\n');
        if (i >= from) {
            va_list ap;
            const char *want;
            int all = 1;
            va_start(ap, from);
            while ((want = va_arg(ap, const char *))) {
                const char *hit = strstr(p, want);
                if (!hit || hit > end)
                    all = 0;
            }
            va_end(ap);
            if (all)
                return i;
        }
        p = end + 1;
    }
    return -1;
}

static void
test_trace_passive(void **state)
{
    struct sink k = {0};
    struct h_env *e = env(state, &k);
    struct ht_conn c;
    long i;

    ht_passive(&c, e, 0, HT_NOWS);
    ht_data(&c, 1000); /* the peer's ISN is 16 below 2^32: this wraps */
    ht_recv_expect(e, c.c, 0, 1000);
    ht_fin(&c);

    i = find(&k, 0, "\"ev\":\"state\"", "\"from\":\"CLOSED\",\"to\":\"LISTEN\"", NULL);
    assert_true(i >= 0);
    /* the peer's SYN: sequence 0 of its side, its ISN given */
    i = find(&k, i, "\"t\":1099511627776,\"ev\":\"recv\",\"c\":2,",
             "\"flags\":\"S\",\"seq\":0,", "\"isn\":4294967280",
             "\"opts\":{\"mss\":1460}", NULL);
    assert_true(i >= 0);
    i = find(&k, i, "\"ev\":\"send\",\"c\":2,", "\"flags\":\"SA\",\"seq\":0,\"ack\":1,",
             "\"len\":0,\"isn\":", NULL);
    assert_true(i >= 0);
    i = find(&k, i, "\"from\":\"CLOSED\",\"to\":\"SYN_RECEIVED\"", NULL);
    assert_true(i >= 0);
    i = find(&k, i, "\"from\":\"SYN_RECEIVED\",\"to\":\"ESTABLISHED\"", NULL);
    assert_true(i >= 0);
    /* data across the wrap, relative 1..1001 */
    i = find(&k, i, "\"ev\":\"recv\"", "\"seq\":1,\"ack\":1,", "\"len\":1000", NULL);
    assert_true(i >= 0);
    assert_true(find(&k, i, "\"ev\":\"queue\"", "\"rcvq\":1000", NULL) > i);
    i = find(&k, i, "\"ev\":\"app\"",
             "\"op\":\"read\",\"bytes\":1000,\"sndq\":0,\"rcvq\":0", NULL);
    assert_true(i >= 0);
    i = find(&k, i, "\"ev\":\"recv\"", "\"flags\":\"FA\",\"seq\":1001,\"ack\":1,", NULL);
    assert_true(i >= 0);
    assert_true(find(&k, i, "\"from\":\"ESTABLISHED\",\"to\":\"CLOSE_WAIT\"", NULL) > i);
    /* the ACK of the FIN: our sequence 1, the peer's 1002 */
    assert_true(find(&k, i, "\"ev\":\"send\"", "\"seq\":1,\"ack\":1002,", NULL) > i);
    /* every number was relative */
    assert_int_equal(find(&k, 0, "\"rel\":false", NULL), -1);
    free(k.buf);
}

static void
test_trace_rto(void **state)
{
    struct sink k = {0};
    struct h_env *e = env(state, &k);
    struct ht_conn c;
    uint8_t b[1000] = {0};
    long i, first;

    ht_active(&c, e, HT_NOWS, 10 * MS);
    assert_int_equal(tcp_send(e->s, c.c, b, sizeof(b)), (ssize_t)sizeof(b));
    first = find(&k, 0, "\"ev\":\"send\"", "\"seq\":1,", "\"len\":1000", NULL);
    assert_true(first >= 0);
    assert_int_equal(find(&k, first, "\"rexmit\":true", NULL), -1);
    assert_true(find(&k, first, "\"timer\":\"rexmt\",\"op\":\"armed\"", NULL) > first);
    ht_at(e, e->now + 2 * SEC); /* nothing acknowledges it */
    i = find(&k, first, "\"timer\":\"rexmt\",\"op\":\"fired\"", NULL);
    assert_true(i > first);
    i = find(&k, i, "\"ev\":\"cc\"", "\"ca\":\"loss\",\"why\":\"retransmission timeout\"",
             NULL);
    assert_true(i >= 0);
    i = find(&k, i, "\"ev\":\"send\"", "\"seq\":1,", "\"len\":1000", "\"rexmit\":true",
             NULL);
    assert_true(i >= 0);
    free(k.buf);
}

/* The same script on a fresh engine: the same trace, byte for byte. */
static void
script(void **state, struct sink *k)
{
    struct h_env *e = env(state, k);
    struct ht_conn c;

    ht_passive(&c, e, 0, HT_NOWS);
    ht_data(&c, 1400);
    ht_at(e, e->now + 300 * MS); /* the delayed ACK */
    ht_recv_expect(e, c.c, 0, 1400);
    ht_fin(&c);
    tcp_close(e->s, c.c);
    ht_at(e, e->now + 5 * SEC);
    h_env_free(e);
    *state = NULL;
}

static void
test_trace_repeats(void **state)
{
    struct sink a = {0}, b = {0};

    script(state, &a);
    script(state, &b);
    assert_true(a.lines > 20);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.buf, b.buf, a.len);
    assert_true(find(&a, 0, "\"timer\":\"delack\",\"op\":\"fired\"", NULL) >= 0);
    free(a.buf);
    free(b.buf);
}

static void
test_trace_off(void **state)
{
    struct h_env *e = ht_env(state, NULL);
    struct ht_conn c;

    ht_passive(&c, e, 0, HT_NOWS);
    ht_data(&c, 1000);
    ht_recv_expect(e, c.c, 0, 1000);
    assert_null(e->s->tcp.trace); /* nothing kept for a trace nobody reads */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_trace_passive, h_teardown),
        cmocka_unit_test_teardown(test_trace_rto, h_teardown),
        cmocka_unit_test_teardown(test_trace_repeats, h_teardown),
        cmocka_unit_test_teardown(test_trace_off, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
