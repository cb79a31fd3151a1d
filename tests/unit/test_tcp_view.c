/*
 * test_tcp_view.c - the engine's connection tables as ustat sees them
 * (tcp_view_walk, proto/tcp_view.c): a listener with its accept queue and
 * backlog, an established connection's queues, byte counts and timer, a
 * half-open connection on the SYN queue right after its listener, an
 * orphan after the application's close, and a TIME-WAIT record with its
 * 2 MSL timer; and the walk stops when asked.
 */
#include "harness_tcp.h"

#include <stdlib.h>

#include "stack_var.h"

#define SEC H_SEC

struct rows {
    struct tcp_view v[16];
    size_t n, stop_after; /* 0: never stop */
};

static int
collect(void *arg, const struct tcp_view *v)
{
    struct rows *r = arg;

    assert_true(r->n < 16);
    r->v[r->n++] = *v;
    return r->stop_after && r->n == r->stop_after;
}

/* The row in state st (the first, if several). */
static const struct tcp_view *
row(const struct rows *r, int st)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].state == st)
            return &r->v[i];
    fail_msg("no row in state %d", st);
    return NULL;
}

static void
walk(struct h_env *e, struct rows *r)
{
    r->n = 0;
    size_t visited = tcp_view_walk(e->s, collect, r);
    assert_int_equal(visited, r->n);
}

static void
test_view_walk(void **state)
{
    struct h_env *e = ht_env(state, NULL);
    struct ht_conn k, k2;
    struct rows r = {0};
    uint8_t b[200];

    ht_passive(&k, e, 0, HT_NOWS);
    walk(e, &r);
    assert_int_equal(r.n, 2);
    const struct tcp_view *v = row(&r, TCP_LISTEN);
    assert_int_equal(v->kind, TCP_VIEW_PCB);
    assert_int_equal(v->lport, HT_PORT);
    assert_int_equal(v->recv_q, 0); /* accepted: none waiting */
    assert_int_equal(v->send_q, 4); /* the backlog */
    assert_ptr_equal(v->owner, (void *)1);
    v = row(&r, TCP_ESTABLISHED);
    assert_ptr_equal(v->owner, (void *)2);
    assert_int_equal(v->rport, HT_PEER_PORT);
    assert_int_equal(v->orphan, 0);
    assert_int_equal(v->info.snd_mss, HT_MSS);
    assert_int_equal(v->bytes_acked, 0);
    assert_int_equal(v->timer, TCP_VIEW_TIMER_OFF);

    /* 100 bytes in, unread; 50 out, unacknowledged: the queues, the
     * retransmission timer */
    ht_data(&k, 100);
    assert_int_equal(tcp_send(e->s, k.c, b, 50), 50);
    walk(e, &r);
    v = row(&r, TCP_ESTABLISHED);
    assert_int_equal(v->recv_q, 100);
    assert_int_equal(v->send_q, 50);
    assert_int_equal(v->bytes_received, 100);
    assert_int_equal(v->timer, TCP_VIEW_TIMER_ON);
    assert_in_range(v->timer_ms, 1, 1000);
    ht_ack(&k, k.iss + 1 + 50);
    walk(e, &r);
    v = row(&r, TCP_ESTABLISHED);
    assert_int_equal(v->send_q, 0);
    assert_int_equal(v->bytes_acked, 50);

    /* a half-open connection comes right after its listener */
    ht_syn(&k2, e, k.l, HT_PEER_PORT + 1, HT_NOWS);
    walk(e, &r);
    assert_int_equal(r.n, 3);
    v = row(&r, TCP_LISTEN) + 1;
    assert_int_equal(v->kind, TCP_VIEW_SYN);
    assert_int_equal(v->state, TCP_SYN_RECEIVED);
    assert_int_equal(v->rport, HT_PEER_PORT + 1);
    assert_int_equal(v->timer, TCP_VIEW_TIMER_ON);
    assert_int_equal(v->orphan, 1);
    assert_null(v->owner);

    /* the application reads, closes: an orphan in FIN_WAIT_1, then
     * FIN_WAIT_2 with its timeout */
    ht_recv_expect(e, k.c, 0, 100);
    tcp_close(e->s, k.c);
    walk(e, &r);
    v = row(&r, TCP_FIN_WAIT_1);
    assert_int_equal(v->orphan, 1);
    assert_null(v->owner);
    ht_ack(&k, k.iss + 1 + 50 + 1);
    walk(e, &r);
    v = row(&r, TCP_FIN_WAIT_2);
    assert_int_equal(v->timer, TCP_VIEW_TIMER_KEEPALIVE);
    assert_int_equal(v->bytes_acked, 50); /* the FIN is not a byte */

    /* the peer's FIN: a TIME-WAIT record, last */
    ht_fin(&k);
    walk(e, &r);
    assert_int_equal(r.n, 3);
    v = &r.v[2];
    assert_int_equal(v->kind, TCP_VIEW_TW);
    assert_int_equal(v->state, TCP_TIME_WAIT);
    assert_int_equal(v->rport, HT_PEER_PORT);
    assert_int_equal(v->timer, TCP_VIEW_TIMER_TIMEWAIT);
    assert_int_equal(v->timer_ms, 60000); /* 2 MSL */
    ht_at(e, e->now + 10 * SEC);
    walk(e, &r);
    assert_int_equal(row(&r, TCP_TIME_WAIT)->timer_ms, 50000);

    /* stopped after the first row */
    r.stop_after = 1;
    r.n = 0;
    assert_int_equal(tcp_view_walk(e->s, collect, &r), 1);

}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_view_walk, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
