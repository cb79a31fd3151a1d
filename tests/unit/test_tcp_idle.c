/*
 * test_tcp_idle.c - idle costs nothing (tcp_timer.c's heap): a wakeup
 * visits only the connections with a deadline that has come, counted in
 * tcp.timer_visits, whether 1 or 10,000 idle connections (keepalive
 * armed, hours away) sit beside the busy one; stack_poll_at is the busy
 * one's deadline; and the busy one's retransmissions leave at the same
 * times either way.
 */
#include "harness_tcp.h"

#include <stdlib.h>

#include "stack_var.h"

#define MS H_MS
#define SEC H_SEC

struct run {
    int64_t visits;      /* tcp.timer_visits over the busy part */
    size_t polls;        /* stack_poll calls in it */
    uint64_t sent_at[8]; /* when our retransmissions left */
    size_t n_sent;
};

/* n_idle established connections with keepalive, then one that sends
 * 100 bytes the peer never acknowledges; polled every 10 ms for 8 s. */
static void
run_with(struct h_env *e, size_t n_idle, struct run *r)
{
    struct tcp_pcb *l = ht_listen(e, HT_PORT, TCP_BUF_MIN, 4096);
    struct ht_conn *k = calloc(n_idle + 1, sizeof(*k));
    uint8_t data[100] = {0};

    assert_non_null(k);
    assert_int_equal(tcp_set_bufs(e->s, l, TCP_BUF_MIN, TCP_BUF_MIN), 0);
    tcp_set_keepalive(e->s, l, 1, 7200, 75, 9);
    for (size_t i = 0; i <= n_idle; i++) {
        ht_syn(&k[i], e, l, (uint16_t)(1024 + i), HT_NOWS);
        ht_ack_accept(&k[i]);
    }
    struct ht_conn *busy = &k[n_idle];
    e->now += 1 * SEC;
    ht_at(e, e->now); /* nothing is due: nothing is visited */
    assert_int_equal(h_stat(e, "tcp.timer_visits"), 0);
    rec_clear(e->rec);
    assert_int_equal(tcp_send(e->s, busy->c, data, sizeof(data)), sizeof(data));
    ht_nsent(e, 1);
    rec_clear(e->rec);
    assert_int_equal(stack_poll_at(e->s), busy->c->t_rexmt);
    uint64_t end = e->now + 8 * SEC;
    *r = (struct run){0};
    for (uint64_t t = e->now + 10 * MS; t <= end; t += 10 * MS) {
        size_t before = e->rec->n;
        ht_at(e, t);
        r->polls++;
        if (e->rec->n > before && r->n_sent < 8)
            r->sent_at[r->n_sent++] = t;
    }
    r->visits = h_stat(e, "tcp.timer_visits");
    free(k);
}

static void
test_idle_costs_nothing(void **state)
{
    struct run one, many;
    struct h_env *e = ht_env(state, NULL);

    run_with(e, 1, &one);
    h_env_free(e);
    e = ht_env(state, NULL);
    run_with(e, 10000, &many);
    print_message("timer visits over %zu polls: %lld with 1 idle connection, %lld "
                  "with 10,000\n",
                  one.polls, (long long)one.visits, (long long)many.visits);
    assert_int_equal(one.visits, many.visits);
    assert_true(one.visits <= (int64_t)one.n_sent + 1); /* only its RTOs */
    assert_true(one.n_sent >= 2);
    assert_int_equal(one.n_sent, many.n_sent);
    for (size_t i = 0; i < one.n_sent; i++)
        assert_int_equal(one.sent_at[i] - one.sent_at[0],
                         many.sent_at[i] - many.sent_at[0]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_idle_costs_nothing, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
