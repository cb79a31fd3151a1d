/*
 * test_access.c - what the socket layer reads of a connection
 * (tcp_api.h): state, whether it takes bytes, names, options, the pending
 * error, EOF, the accept queue, and the copy of a listener's options; and
 * of a UDP endpoint (udp_api.h): names, options, the queue.
 */
#include "harness_tcp.h"

#include <errno.h>

#include "stack_var.h"

static void
test_accessors_follow_the_connection(void **state)
{
    struct h_env *e = ht_env(state, NULL);
    struct tcp_pcb *l = ht_listen(e, HT_PORT, 0, 4);
    struct ht_conn k;
    uint32_t addr, idle, intvl, cnt;
    uint16_t port;
    int on;

    assert_int_equal(tcp_state(l), TCP_LISTEN);
    assert_false(tcp_sendable(l));
    ht_syn(&k, e, l, HT_PEER_PORT, HT_NOWS);
    ht_send(&k, TCP_ACK, NULL, 0);
    assert_int_equal(tcp_accept_ready(l), 1);
    k.c = tcp_accept(e->s, l, (void *)2);
    assert_int_equal(tcp_accept_ready(l), 0);
    assert_int_equal(tcp_state(k.c), TCP_ESTABLISHED);
    assert_true(tcp_sendable(k.c));
    tcp_local_name(k.c, &addr, &port);
    assert_int_equal(addr, H_IP_US);
    assert_int_equal(port, HT_PORT);
    tcp_peer_name(k.c, &addr, &port);
    assert_int_equal(addr, H_IP_PEER);
    assert_int_equal(port, HT_PEER_PORT);
    assert_int_equal(tcp_mss(k.c), HT_MSS);
    assert_int_equal(tcp_sndbuf(k.c), TCP_BUF_DEFAULT);
    assert_int_equal(tcp_rcvbuf(k.c), TCP_BUF_DEFAULT);
    /* options, set and read back */
    tcp_set_reuseaddr(k.c, 1);
    tcp_set_reuseport(k.c, 1, 1000);
    tcp_set_nodelay(e->s, k.c, 1);
    tcp_set_keepalive(e->s, k.c, 1, 60, 10, 3);
    assert_true(tcp_reuseaddr(k.c));
    assert_true(tcp_reuseport(k.c));
    assert_true(tcp_nodelay(k.c));
    tcp_get_keepalive(k.c, &on, &idle, &intvl, &cnt);
    assert_true(on);
    assert_int_equal(idle, 60);
    assert_int_equal(intvl, 10);
    assert_int_equal(cnt, 3);
    /* a fresh block takes them all */
    struct tcp_pcb *n = tcp_open(e->s, (void *)3);
    assert_int_equal(tcp_set_bufs(e->s, l, 8192, 16384), 0);
    tcp_copy_options(e->s, n, l);
    assert_int_equal(tcp_sndbuf(n), 8192);
    assert_int_equal(tcp_rcvbuf(n), 16384);
    tcp_copy_options(e->s, n, k.c);
    assert_true(tcp_reuseaddr(n) && tcp_reuseport(n) && tcp_nodelay(n));
    tcp_get_keepalive(n, &on, &idle, &intvl, &cnt);
    assert_true(on && idle == 60 && intvl == 10 && cnt == 3);
    assert_int_equal(tcp_sndbuf(n), tcp_sndbuf(k.c));
    assert_int_equal(tcp_rcvbuf(n), tcp_rcvbuf(k.c));
    assert_string_equal(tcp_cc_name(n), tcp_cc_name(k.c));
    tcp_close(e->s, n);
    /* the peer's FIN: EOF after the bytes; shut for sending after ours */
    ht_fin(&k);
    assert_true(tcp_recv_eof(k.c));
    assert_int_equal(tcp_state(k.c), TCP_CLOSE_WAIT);
    assert_true(tcp_sendable(k.c));
    assert_int_equal(tcp_shutdown(e->s, k.c, 1), 0);
    assert_false(tcp_sendable(k.c));
    /* a RST on another connection: the error stays pending until taken */
    struct ht_conn k2;
    ht_syn(&k2, e, l, HT_PEER_PORT + 1, HT_NOWS);
    ht_ack_accept(&k2);
    ht_send(&k2, TCP_RST, NULL, 0);
    assert_int_equal(tcp_state(k2.c), TCP_CLOSED);
    assert_false(tcp_sendable(k2.c));
    assert_int_equal(tcp_error(k2.c), ECONNRESET);
    assert_int_equal(tcp_error(k2.c), ECONNRESET);
    assert_int_equal(tcp_take_error(k2.c), ECONNRESET);
    assert_int_equal(tcp_error(k2.c), 0);
}

static void
test_udp_accessors(void **state)
{
    struct h_env *e = ht_env(state, NULL);
    struct udp_pcb *u = udp_open(e->s, (void *)1);
    uint32_t addr;
    uint16_t port;

    assert_non_null(u);
    udp_local_name(u, &addr, &port);
    assert_int_equal(port, 0);
    assert_int_equal(udp_bind(e->s, u, 0, 5353), 0);
    assert_int_equal(udp_connect(e->s, u, H_IP_PEER, 53), 0);
    udp_local_name(u, &addr, &port);
    assert_int_equal(port, 5353);
    udp_peer_name(u, &addr, &port);
    assert_int_equal(addr, H_IP_PEER);
    assert_int_equal(port, 53);
    assert_false(udp_broadcast(u));
    udp_set_broadcast(u, 1);
    udp_set_reuseaddr(u, 1);
    assert_true(udp_broadcast(u));
    assert_true(udp_reuseaddr(u));
    udp_set_rcvbuf(u, 65536);
    assert_int_equal(udp_rcvbuf(u), 65536);
    assert_int_equal(udp_rx_queued(u), 0);
    assert_int_equal(udp_error(u), 0);
    udp_close(e->s, u);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_accessors_follow_the_connection, h_teardown),
        cmocka_unit_test_teardown(test_udp_accessors, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
