/*
 * test_tcp_seq.c - RFC 9293 §3.10.7.4 first step: which segments are
 * acceptable, at the edges of the receive window, at the wrap of the
 * sequence space, with window scaling and with a zero window.
 *
 * The observable is the ACK field: an acceptable bare ACK of our data moves
 * SND.UNA; an unacceptable one is dropped, counted (tcp.rx_out_of_window)
 * and answered with an ACK. The peer's ISN is 16 below 2^32, so the
 * windows here straddle the wrap.
 */
#include "harness_tcp.h"

#include <string.h>

#include "stack_var.h"

static struct h_env *
env(void **state)
{
    return ht_env(state, NULL);
}

/* We send n bytes; nothing is acknowledged yet. */
static void
our_data(struct ht_conn *k, size_t n)
{
    uint8_t b[1000];

    assert_true(n <= sizeof(b));
    memset(b, 'u', n);
    assert_int_equal(tcp_send(k->e->s, k->c, b, n), n);
    rec_clear(k->e->rec);
}

/* A bare ACK of everything we sent, at sequence seq. Returns 1 if it was
 * taken (SND.UNA moved to SND.MAX), 0 if dropped. */
static int
bare_ack_at(struct ht_conn *k, tcp_seq seq)
{
    tcp_seq una = k->c->snd_una;

    ht_send_at(k, TCP_ACK, seq, k->c->snd_max, NULL, 0);
    if (k->c->snd_una == una)
        return 0;
    assert_int_equal(k->c->snd_una, k->c->snd_max);
    return 1;
}

/* The peer's bytes [from, to) of its stream, sent in full segments beyond
 * a hole at RCV.NXT: they wait in the out-of-order queue. */
static void
peer_beyond_hole(struct ht_conn *k, uint32_t from, uint32_t to)
{
    uint8_t b[HT_MSS];

    for (uint32_t off = from; off < to; off += HT_MSS) {
        uint32_t n = to - off < HT_MSS ? to - off : HT_MSS;
        ht_peer_bytes(b, off, n);
        ht_send_at(k, TCP_ACK, k->pseq + off, k->pack, b, n);
    }
}

/* The bug of issue 7: the peer filled our window up to its right edge
 * beyond a lost segment; its next bare ACK carries SEG.SEQ = RCV.NXT +
 * RCV.WND and must still acknowledge our data (RFC 9293 §3.10.7.4 for
 * zero-length segments, with the right edge included as Linux does). */
static void
test_ack_at_right_edge(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_passive(&k, e, 4096, HT_NOWS);
    assert_int_equal(k.c->rcv_adv - k.c->rcv_nxt, 4096);
    peer_beyond_hole(&k, 1460, 4096); /* bytes [0, 1460) are lost */
    assert_int_equal(k.c->rcv_nxt, k.pseq);
    our_data(&k, 100);
    int64_t oow = h_stat(e, "tcp.rx_out_of_window");
    assert_true(bare_ack_at(&k, k.pseq + 4096));
    assert_int_equal(h_stat(e, "tcp.rx_out_of_window"), oow);
    assert_int_equal(k.c->t_rexmt, 0);
}

/* Zero-length segments: RCV.NXT =< SEG.SEQ =< RCV.NXT + RCV.WND. One
 * before or one past is dropped and answered with an ACK. */
static void
test_zero_length_edges(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_passive(&k, e, 4096, HT_NOWS);
    tcp_seq nxt = k.c->rcv_nxt, right = k.c->rcv_adv;
    assert_true(right < nxt); /* the window straddles 2^32 */
    our_data(&k, 10);
    assert_false(bare_ack_at(&k, nxt - 1));
    ht_only(e, TCP_ACK, k.c->snd_max, nxt, 4096, 0);
    assert_false(bare_ack_at(&k, right + 1));
    ht_only(e, TCP_ACK, k.c->snd_max, nxt, 4096, 0);
    assert_int_equal(h_stat(e, "tcp.rx_out_of_window"), 2);
    assert_true(bare_ack_at(&k, nxt + 2000)); /* inside */
    our_data(&k, 10);
    assert_true(bare_ack_at(&k, right)); /* the right edge itself */
    our_data(&k, 10);
    assert_true(bare_ack_at(&k, nxt)); /* the left edge */
    ht_nsent(e, 0);
    assert_int_equal(h_stat(e, "tcp.rx_out_of_window"), 2);
    /* a RST keeps the RFC's strict edge (RFC 5961 §3.2): at the right edge
     * it is outside the window, dropped without a word */
    ht_send_at(&k, TCP_RST, right, 0, NULL, 0);
    ht_nsent(e, 0);
    assert_int_equal(h_stat(e, "tcp.rx_out_of_window"), 3);
    assert_int_equal(h_stat(e, "tcp.rx_rst_challenged"), 0);
    assert_int_equal(k.c->state, TCP_ESTABLISHED);
}

/* Data needs a byte inside the window: a data segment starting at the
 * right edge is not acceptable, even though a bare ACK there is. */
static void
test_data_at_right_edge(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t b[10];

    ht_passive(&k, e, 4096, HT_NOWS);
    tcp_seq nxt = k.c->rcv_nxt, right = k.c->rcv_adv;
    our_data(&k, 10);
    memset(b, 'p', sizeof(b));
    ht_send_at(&k, TCP_ACK, right, k.c->snd_max, b, sizeof(b));
    ht_only(e, TCP_ACK, k.c->snd_max, nxt, 4096, 0);
    assert_int_equal(k.c->snd_una, k.iss + 1); /* its ACK is not used */
    assert_int_equal(k.c->n_ooo, 0);
    /* one byte inside: acceptable, cut to the window, held out of order */
    ht_send_at(&k, TCP_ACK, right - 1, k.c->snd_max, b, sizeof(b));
    assert_int_equal(k.c->snd_una, k.c->snd_max);
    assert_int_equal(k.c->n_ooo, 1);
    assert_int_equal(k.c->ooo[0].right - k.c->ooo[0].left, 1);
}

/* With RCV.WND = 0 only SEG.SEQ = RCV.NXT is acceptable: its ACK is
 * taken (the data on it is not); any other sequence is dropped. */
static void
test_zero_window(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t b[1];

    ht_passive(&k, e, 4096, HT_NOWS);
    ht_data(&k, 1460);
    ht_data(&k, 1460);
    ht_data(&k, 1176);
    assert_int_equal(k.c->rcv_adv, k.c->rcv_nxt); /* shut */
    rec_clear(e->rec);
    our_data(&k, 10);
    assert_false(bare_ack_at(&k, k.pseq + 1));
    ht_only(e, TCP_ACK, k.c->snd_max, k.pseq, 0, 0);
    assert_false(bare_ack_at(&k, k.pseq - 1));
    ht_only(e, TCP_ACK, k.c->snd_max, k.pseq, 0, 0);
    assert_true(bare_ack_at(&k, k.pseq));
    ht_nsent(e, 0);
    /* a window probe at RCV.NXT: the byte is refused, its ACK taken */
    our_data(&k, 10);
    b[0] = 'x';
    ht_send_at(&k, TCP_ACK, k.pseq, k.c->snd_max, b, 1);
    assert_int_equal(k.c->snd_una, k.c->snd_max);
    ht_only(e, TCP_ACK, k.c->snd_max, k.pseq, 0, 0);
    assert_int_equal(tcp_recv_avail(k.c), 4096);
}

/* Window scaling: the window is RCV.WND in bytes (the field << shift),
 * not the field. */
static void
test_scaled_window_wrap(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_passive(&k, e, 0, 7); /* default 256 KiB buffer, our shift 3 */
    assert_int_equal(k.c->rcv_wscale, 3);
    ht_data(&k, 1460);
    ht_data(&k, 1460); /* acknowledged at once, with a scaled window */
    tcp_seq nxt = k.c->rcv_nxt, right = k.c->rcv_adv;
    uint32_t wnd = right - nxt;
    assert_true(wnd > 65535);
    rec_clear(e->rec);
    our_data(&k, 10);
    assert_false(bare_ack_at(&k, right + 1));
    ht_nsent(e, 1);
    rec_clear(e->rec);
    assert_true(bare_ack_at(&k, right));
    our_data(&k, 10);
    assert_true(bare_ack_at(&k, nxt + wnd / 2));
    ht_nsent(e, 0);
}

#define T(f) cmocka_unit_test_teardown(f, h_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_ack_at_right_edge),
        T(test_zero_length_edges),
        T(test_data_at_right_edge),
        T(test_zero_window),
        T(test_scaled_window_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
