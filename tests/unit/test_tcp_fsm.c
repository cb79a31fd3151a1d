/*
 * test_tcp_fsm.c - the TCP state machine, one engine on the recording
 * device, the peer played by hand: segments built in the test, fed at
 * chosen virtual times, and every segment that leaves checked (flags,
 * seq, ack, window, length), with the state and the counters.
 *
 * Covers RFC 9293 §3.5 (opening: passive, active, simultaneous, refused,
 * SYN retransmission), §3.10.7 (sequence check and trimming, RST, SYN,
 * ACK, text, FIN; out-of-order data), §3.6 (closing from either side,
 * simultaneous close, half-close, TIME_WAIT, its reuse), RFC 5961
 * (challenge ACKs and their rate limit), RFC 2525 §2.17 (close with
 * unread data). The engine logs each transition; the last test checks
 * that every transition of the table (tcp_fsm_dot) was taken here.
 */
#include "harness_tcp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "stack_var.h"

/* ---- the transitions the engine logged ---- */

static struct {
    FILE *f;
    char *buf;
    size_t len;
} lg;
static uint8_t seen[TCP_NSTATES][TCP_NSTATES];

static int
state_of(const char *name, size_t n)
{
    for (int i = 0; i < TCP_NSTATES; i++)
        if (strlen(tcp_state_name(i)) == n && !strncmp(tcp_state_name(i), name, n))
            return i;
    return -1;
}

/* "FROM -> TO" pairs in text (log lines or the dot graph) into m. */
static void
scan_transitions(const char *text, uint8_t m[TCP_NSTATES][TCP_NSTATES])
{
    for (const char *p = strstr(text, " -> "); p; p = strstr(p + 4, " -> ")) {
        const char *a = p, *b = p + 4, *be = b;
        while (a > text && a[-1] != ' ')
            a--;
        while ((*be >= 'A' && *be <= 'Z') || (*be >= '0' && *be <= '9') || *be == '_')
            be++;
        int from = state_of(a, (size_t)(p - a)), to = state_of(b, (size_t)(be - b));
        if (from >= 0 && to >= 0)
            m[from][to] = 1;
    }
}

static struct h_env *
env_with(void **state, uint32_t challenge_per_s)
{
    struct stack_config c;

    h_config(&c);
    lg.f = open_memstream(&lg.buf, &lg.len);
    assert_non_null(lg.f);
    c.log_out = lg.f;
    c.log_level = LOG_INFO;
    if (challenge_per_s)
        c.tcp_challenge_per_s = challenge_per_s;
    return ht_env(state, &c);
}

static struct h_env *
env(void **state)
{
    return env_with(state, 0);
}

static int
teardown(void **state)
{
    h_env_free(*state);
    *state = NULL;
    fclose(lg.f);
    scan_transitions(lg.buf, seen);
    free(lg.buf);
    memset(&lg, 0, sizeof(lg));
    return 0;
}

#define MS H_MS
#define SEC H_SEC

/* ---- opening ---- */

static void
test_passive_open(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k, k2;

    ht_passive(&k, e, 0, HT_NOWS);
    assert_int_equal(h_stat(e, "tcp.passive_opens"), 1);
    assert_int_equal(h_stat(e, "tcp.established"), 1);
    struct tcp_info_lite i = ht_info(k.c);
    assert_int_equal(i.snd_mss, HT_MSS);
    assert_int_equal(i.cwnd, 10 * HT_MSS); /* RFC 6928: IW of 10 segments */
    assert_int_equal(i.snd_wnd, 65535);
    assert_int_equal(k.l->n_syn + k.l->n_accept, 0);
    /* data right behind the handshake: our SYN,ACK offered 65535 bytes */
    ht_data(&k, 100);
    ht_nsent(e, 0);
    ht_recv_expect(e, k.c, 0, 100);

    /* the ACK completing the handshake may carry data itself */
    ht_syn(&k2, e, k.l, HT_PEER_PORT + 1, HT_NOWS);
    ht_data(&k2, 50);
    k2.c = tcp_accept(e->s, k.l, (void *)2);
    assert_non_null(k2.c);
    assert_int_equal(k2.c->state, TCP_ESTABLISHED);
    ht_recv_expect(e, k2.c, 0, 50);
    assert_int_equal(h_stat(e, "tcp.rx_out_of_window"), 0);
}

static void
test_passive_backlog(void **state)
{
    struct h_env *e = env(state);
    struct tcp_pcb *l = ht_listen(e, HT_PORT, 0, 1);
    struct ht_conn a, b, c;

    ht_syn(&a, e, l, 40001, HT_NOWS);
    ht_syn(&b, e, l, 40002, HT_NOWS); /* the SYN queue has room */
    ht_send(&a, TCP_ACK, NULL, 0);
    assert_null(ht_synq_find(l, 40001)); /* now a block, on the accept queue */
    assert_int_equal(l->n_accept, 1);
    /* accept queue full: a new SYN is dropped without an answer (the
     * peer retries), and b's ACK leaves b in SYN_RECEIVED */
    ht_raw(e, 40003, HT_PORT, TCP_SYN, HT_PEER_ISN, 0, NULL, 0);
    ht_nsent(e, 0);
    assert_int_equal(h_stat(e, "tcp.rx_accept_queue_full"), 1);
    ht_send(&b, TCP_ACK, NULL, 0);
    ht_nsent(e, 0);
    assert_non_null(ht_synq_find(l, 40002)); /* still half-open */
    assert_int_equal(h_stat(e, "tcp.rx_accept_queue_full"), 2);
    assert_int_equal(h_stat(e, "tcp.passive_opens"), 2);

    a.c = tcp_accept(e->s, l, (void *)2);
    assert_non_null(a.c);
    ht_send(&b, TCP_ACK, NULL, 0); /* b's ACK again: room now */
    b.c = tcp_accept(e->s, l, (void *)2);
    assert_non_null(b.c);
    assert_int_equal(b.c->state, TCP_ESTABLISHED);
    ht_syn(&c, e, l, 40003, HT_NOWS);

    /* closing the listener takes its half-open connection with it (RST)
     * and leaves the accepted ones alone */
    assert_int_equal(ht_npcbs(e), 3); /* the half-open one is no block */
    assert_int_equal(l->n_syn, 1);
    tcp_close(e->s, l);
    ht_only(e, TCP_RST, c.iss + 1, 0, 0, 0);
    assert_int_equal(ht_npcbs(e), 2);
    assert_int_equal(a.c->state, TCP_ESTABLISHED);
    assert_int_equal(b.c->state, TCP_ESTABLISHED);
}

static void
test_active_open(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_active(&k, e, 2, 50 * MS);
    assert_int_equal(h_stat(e, "tcp.active_opens"), 1);
    assert_int_equal(h_stat(e, "tcp.established"), 1);
    struct tcp_info_lite i = ht_info(k.c);
    assert_int_equal(i.rtt_us, 50000); /* the SYN was timed (RFC 6298 §2.2) */
    assert_int_equal(i.rttvar_us, 25000);
    assert_int_equal(i.rto_us, 200000); /* 150 ms, raised to the minimum */
    assert_int_equal(i.cwnd, 10 * HT_MSS);
    assert_int_equal(i.snd_wnd, 65535); /* a SYN's window is not scaled */

    /* RFC 7323 §2.3: later windows are shifted by the peer's 2 */
    k.pwnd = 1000;
    ht_send(&k, TCP_ACK, NULL, 0);
    assert_int_equal(ht_info(k.c).snd_wnd, 4000);
    uint8_t buf[5000];
    memset(buf, 'x', sizeof(buf));
    assert_int_equal(tcp_send(e->s, k.c, buf, sizeof(buf)), 5000);
    /* two full segments fit; the 1080 bytes left of the window wait
     * (sender SWS avoidance, RFC 1122 §4.2.3.4: less than half the
     * largest window the peer offered) */
    ht_nsent(e, 2);
    ht_expect(e, 0, TCP_ACK, k.iss + 1, k.pseq, 32768, 1460);
    ht_expect(e, 1, TCP_ACK, k.iss + 1461, k.pseq, 32768, 1460);
}

static void
test_active_refused(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_connect(&k, e, HT_PEER_PORT);
    /* §3.10.7.3: a RST without ACK, or with an unacceptable one, is dropped */
    ht_send_at(&k, TCP_RST, 0, 0, NULL, 0);
    ht_send_at(&k, TCP_RST | TCP_ACK, 0, k.iss + 2, NULL, 0);
    ht_send_at(&k, TCP_RST | TCP_ACK, 0, k.iss, NULL, 0);
    ht_nsent(e, 0);
    assert_int_equal(k.c->state, TCP_SYN_SENT);
    /* ... an acceptable one refuses the connection */
    ht_send_at(&k, TCP_RST | TCP_ACK, 0, k.iss + 1, NULL, 0);
    ht_nsent(e, 0);
    assert_int_equal(k.c->state, TCP_CLOSED);
    assert_int_equal(tcp_take_error(k.c), ECONNREFUSED);
    assert_int_equal(tcp_take_error(k.c), 0);
    assert_int_equal(tcp_connect(e->s, k.c, H_IP_PEER, HT_PEER_PORT), -EINVAL);
    assert_int_equal(h_stat(e, "tcp.aborted"), 1);
    tcp_close(e->s, k.c);
    assert_int_equal(ht_npcbs(e), 0);
    /* close during SYN_SENT: no RST (nothing synchronized), gone */
    ht_connect(&k, e, HT_PEER_PORT);
    tcp_close(e->s, k.c);
    ht_nsent(e, 0);
    assert_int_equal(ht_npcbs(e), 0);
}

static void
test_active_bad_ack(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_connect(&k, e, HT_PEER_PORT);
    /* §3.10.7.3: SEG.ACK =< ISS or > SND.NXT gets <SEQ=SEG.ACK><CTL=RST> */
    ht_send_at(&k, TCP_ACK, HT_PEER_ISN, k.iss + 5, NULL, 0);
    ht_send_at(&k, TCP_SYN | TCP_ACK, HT_PEER_ISN, k.iss, NULL, 0);
    ht_nsent(e, 2);
    ht_expect(e, 0, TCP_RST, k.iss + 5, 0, 0, 0);
    ht_expect(e, 1, TCP_RST, k.iss, 0, 0, 0);
    assert_int_equal(k.c->state, TCP_SYN_SENT);
    rec_clear(e->rec);
    ht_send_at(&k, TCP_SYN | TCP_ACK, HT_PEER_ISN, k.iss + 1, NULL, 0);
    ht_only(e, TCP_ACK, k.iss + 1, HT_PEER_ISN + 1, 65535, 0);
    assert_int_equal(k.c->state, TCP_ESTABLISHED);
}

/* RFC 9293 §3.10.7.3: "If there are other controls or text in the
 * segment, then continue processing at the sixth step": data and a FIN on
 * the SYN,ACK are taken, inside the window our SYN offered. */
static void
test_syn_ack_data(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k, f;
    uint8_t b[100], got[200];

    ht_peer_bytes(b, 0, sizeof(b));
    ht_connect(&k, e, HT_PEER_PORT);
    ht_send_at(&k, TCP_SYN | TCP_ACK | TCP_PSH, HT_PEER_ISN, k.iss + 1, b, 100);
    ht_only(e, TCP_ACK, k.iss + 1, HT_PEER_ISN + 101, 65535, 0);
    assert_int_equal(k.c->state, TCP_ESTABLISHED);
    ht_recv_expect(e, k.c, 0, 100);

    /* data and the FIN: the stream is whole and ends */
    ht_connect(&f, e, HT_PEER_PORT + 1);
    ht_send_at(&f, TCP_SYN | TCP_ACK | TCP_FIN, HT_PEER_ISN, f.iss + 1, b, 100);
    ht_only(e, TCP_ACK, f.iss + 1, HT_PEER_ISN + 102, 65535, 0);
    assert_int_equal(f.c->state, TCP_CLOSE_WAIT);
    assert_int_equal(tcp_recv(e->s, f.c, got, sizeof(got)), 100);
    assert_memory_equal(got, b, 100);
    assert_int_equal(tcp_recv(e->s, f.c, got, sizeof(got)), 0);
}

static void
test_simultaneous_open(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    for (int round = 0; round < 2; round++) {
        ht_connect(&k, e, (uint16_t)(HT_PEER_PORT + round));
        /* RFC 9293 Figure 8: the peer's SYN crosses ours */
        struct ht_seg syn = {.sport = k.pport,
                             .dport = k.lport,
                             .seq = HT_PEER_ISN,
                             .flags = TCP_SYN,
                             .wnd = 65535,
                             .mss = 1000,
                             .wscale = -1};
        ht_input(e, &syn);
        assert_int_equal(k.c->state, TCP_SYN_RECEIVED);
        struct tcp_repr h =
            ht_only(e, TCP_SYN | TCP_ACK, k.iss, HT_PEER_ISN + 1, 65535, 0);
        assert_int_equal(h.mss, HT_MSS);
        assert_int_equal(h.has_wscale, 0); /* the peer did not offer it */
        assert_int_equal(k.c->snd_mss, 1000);
        k.pseq = HT_PEER_ISN + 1;
        if (round == 1) {
            /* close before the handshake completes: the FIN may go at once */
            assert_int_equal(tcp_shutdown(e->s, k.c, 1), 0);
            assert_int_equal(k.c->state, TCP_FIN_WAIT_1);
            ht_only(e, TCP_FIN | TCP_ACK, k.iss + 1, k.pseq, 65535, 0);
            ht_send_at(&k, TCP_ACK, k.pseq, k.iss + 2, NULL, 0);
            assert_int_equal(k.c->state, TCP_FIN_WAIT_2);
            break;
        }
        /* the peer's SYN,ACK repeats the SYN we hold: not acceptable
         * (§3.10.7.4 first), answered with an ACK, which is what
         * completes the handshake on the peer's side */
        ht_send_at(&k, TCP_SYN | TCP_ACK, HT_PEER_ISN, k.iss + 1, NULL, 0);
        ht_only(e, TCP_ACK, k.iss + 1, HT_PEER_ISN + 1, 65535, 0);
        assert_int_equal(k.c->state, TCP_SYN_RECEIVED);
        ht_send_at(&k, TCP_ACK, k.pseq, k.iss + 1, NULL, 0);
        ht_nsent(e, 0);
        assert_int_equal(k.c->state, TCP_ESTABLISHED);
    }
    /* a RST at RCV.NXT in SYN_RECEIVED: refused (RFC 9293 §3.10.7.4) */
    ht_connect(&k, e, HT_PEER_PORT + 2);
    struct ht_seg syn = {.sport = k.pport,
                         .dport = k.lport,
                         .seq = HT_PEER_ISN,
                         .flags = TCP_SYN,
                         .wnd = 65535,
                         .mss = 1000,
                         .wscale = -1};
    ht_input(e, &syn);
    assert_int_equal(k.c->state, TCP_SYN_RECEIVED);
    ht_send_at(&k, TCP_RST, HT_PEER_ISN + 1, 0, NULL, 0);
    assert_int_equal(k.c->state, TCP_CLOSED);
    assert_int_equal(tcp_take_error(k.c), ECONNREFUSED);
}

/* Found by fuzz_tcp: a simultaneous open closed in SYN_RECEIVED sends its
 * FIN at once (RFC 9293 §3.10.4, as Linux) while its SYN is not yet
 * acknowledged. When the retransmission timer then went back to SND.UNA
 * (the ISS), FIN_WAIT_1's output had nothing to send before the FIN's
 * sequence number: no SYN,ACK, no FIN, no timer, a connection for ever.
 * The SYN,ACK goes again, then the FIN (Linux's retransmission queue
 * holds both). */
static void
test_close_in_syn_received_rto(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_connect(&k, e, HT_PEER_PORT);
    struct ht_seg syn = {.sport = k.pport,
                         .dport = k.lport,
                         .seq = HT_PEER_ISN,
                         .flags = TCP_SYN,
                         .wnd = 65535,
                         .mss = 1000,
                         .wscale = -1};
    ht_input(e, &syn);
    ht_only(e, TCP_SYN | TCP_ACK, k.iss, HT_PEER_ISN + 1, 65535, 0);
    k.pseq = HT_PEER_ISN + 1;
    tcp_close(e->s, k.c);
    assert_int_equal(k.c->state, TCP_FIN_WAIT_1);
    ht_only(e, TCP_FIN | TCP_ACK, k.iss + 1, k.pseq, 65535, 0);
    /* both lost: the timer sends the SYN,ACK and the FIN again */
    uint64_t at = k.c->t_rexmt;
    assert_true(at > e->now);
    ht_at(e, at);
    ht_nsent(e, 2);
    ht_expect(e, 0, TCP_SYN | TCP_ACK, k.iss, k.pseq, 65535, 0);
    ht_expect(e, 1, TCP_FIN | TCP_ACK, k.iss + 1, k.pseq, 65535, 0);
    rec_clear(e->rec);
    assert_true(k.c->t_rexmt > e->now);
    /* the peer acknowledges both, and closes: the orphan ends */
    ht_send_at(&k, TCP_ACK, k.pseq, k.iss + 2, NULL, 0);
    assert_int_equal(k.c->state, TCP_FIN_WAIT_2);
    ht_send_at(&k, TCP_FIN | TCP_ACK, k.pseq, k.iss + 2, NULL, 0);
    ht_only(e, TCP_ACK, k.iss + 2, k.pseq + 1, 65535, 0);
    /* TIME_WAIT is a record; the orphaned block is gone */
    k.c = NULL;
    assert_int_equal(ht_npcbs(e), 0);
    assert_int_equal(tcp_tw_count(e->s), 1);
}

static void
test_syn_retransmit_backoff(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    const uint64_t t0 = e->now;
    /* RFC 6298 §5.5: 1 s, doubled each time, capped at 60 s (§2.5) */
    static const uint64_t at_s[] = {1, 3, 7, 15, 31, 63};

    ht_connect(&k, e, HT_PEER_PORT);
    for (size_t i = 0; i < sizeof(at_s) / sizeof(at_s[0]); i++) {
        assert_int_equal(stack_poll_at(e->s), t0 + at_s[i] * SEC);
        ht_at(e, t0 + at_s[i] * SEC - 1);
        ht_nsent(e, 0);
        ht_at(e, t0 + at_s[i] * SEC);
        assert_int_equal(ht_only(e, TCP_SYN, k.iss, 0, 65535, 0).mss, HT_MSS);
        assert_int_equal(h_stat(e, "tcp.rto_expired"), i + 1);
    }
    /* TCP_SYN_RETRIES (6) retransmissions; the last wait is capped at 60 s */
    assert_int_equal(stack_poll_at(e->s), t0 + 123 * SEC);
    ht_at(e, t0 + 123 * SEC - 1);
    assert_int_equal(k.c->state, TCP_SYN_SENT);
    ht_at(e, t0 + 123 * SEC);
    ht_nsent(e, 0);
    assert_int_equal(k.c->state, TCP_CLOSED);
    assert_int_equal(tcp_take_error(k.c), ETIMEDOUT);
    assert_int_equal(h_stat(e, "tcp.timed_out"), 1);
    assert_int_equal(h_stat(e, "tcp.rto_expired"), 6);
    assert_int_equal(ht_info(k.c).rtt_us, 0); /* Karn: nothing to time */
}

/* ---- data ---- */

static void
test_data_in_order(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_passive(&k, e, 0, HT_NOWS);
    uint64_t t = e->now;
    ht_data(&k, 100); /* 16 bytes before 2^32, 84 after */
    ht_nsent(e, 0);
    assert_int_equal(tcp_recv_avail(k.c), 100);
    /* RFC 1122 §4.2.3.2: one segment's ACK waits, here 200 ms */
    assert_int_equal(stack_poll_at(e->s), t + 200 * MS);
    ht_at(e, t + 200 * MS - 1);
    ht_nsent(e, 0);
    ht_at(e, t + 200 * MS);
    ht_only(e, TCP_ACK, k.iss + 1, HT_PEER_ISN + 101, 65535, 0);
    assert_int_equal(h_stat(e, "tcp.delayed_acks"), 1);
    /* ... and every second full segment is acknowledged at once */
    ht_data(&k, 1460);
    ht_nsent(e, 0);
    ht_data(&k, 1460);
    ht_only(e, TCP_ACK, k.iss + 1, k.pseq, 65535, 0);
    assert_int_equal(k.c->t_delack, 0);
    assert_int_equal(h_stat(e, "tcp.delayed_acks"), 1);
    /* reading frees space, but the window shown is already the largest
     * the field holds (65535, no scaling): no update to send */
    ht_recv_expect(e, k.c, 0, 3020);
    ht_nsent(e, 0);
    assert_int_equal(tcp_recv(e->s, k.c, e->buf2, 10), -EAGAIN);
}

static void
test_out_of_order(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t b[500];

    ht_passive(&k, e, 0, HT_NOWS);
    tcp_seq base = k.pseq;
    ht_peer_bytes(b, 0, sizeof(b));
    /* RFC 5681 §4.2: out of order is held and ACKed at once (a dup ACK) */
    ht_send_at(&k, TCP_ACK, base + 100, k.pack, b + 100, 100);
    ht_send_at(&k, TCP_ACK, base + 200, k.pack, b + 200, 100);
    ht_send_at(&k, TCP_ACK, base + 200, k.pack, b + 200, 100); /* again */
    ht_nsent(e, 3);
    for (size_t i = 0; i < 3; i++)
        ht_expect(e, i, TCP_ACK, k.iss + 1, base, 65535, 0);
    assert_int_equal(h_stat(e, "tcp.rx_ooo"), 2);
    assert_int_equal(tcp_recv_avail(k.c), 0);
    /* the hole fills: everything in order, ACKed at once */
    rec_clear(e->rec);
    ht_send_at(&k, TCP_ACK, base, k.pack, b, 100);
    ht_only(e, TCP_ACK, k.iss + 1, base + 300, 65535, 0);
    assert_int_equal(tcp_recv_avail(k.c), 300);
    /* a FIN out of order waits for the data before it */
    ht_send_at(&k, TCP_ACK | TCP_FIN, base + 400, k.pack, b + 400, 100);
    ht_only(e, TCP_ACK, k.iss + 1, base + 300, 65535, 0);
    assert_int_equal(k.c->state, TCP_ESTABLISHED);
    ht_send_at(&k, TCP_ACK, base + 300, k.pack, b + 300, 100);
    ht_only(e, TCP_ACK, k.iss + 1, base + 501, 65535, 0);
    assert_int_equal(k.c->state, TCP_CLOSE_WAIT);
    assert_int_equal(k.c->n_ooo, 0);
    ht_recv_expect(e, k.c, 0, 500);
    assert_int_equal(tcp_recv(e->s, k.c, b, sizeof(b)), 0); /* EOF */
}

/* A FIN without data beyond a hole (the data before it lost) waits too.
 * It was stored with a NULL data pointer: memcpy(dst, NULL, 0) is
 * undefined (UBSan stopped ustackd in tests/interop/tcp_flow.sh, and
 * fuzz_tcp saw it). */
static void
test_out_of_order_bare_fin(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t b[100];

    ht_passive(&k, e, 0, HT_NOWS);
    tcp_seq base = k.pseq;
    ht_peer_bytes(b, 0, sizeof(b));
    ht_send_at(&k, TCP_ACK | TCP_FIN, base + 100, k.pack, NULL, 0);
    ht_only(e, TCP_ACK, k.iss + 1, base, 65535, 0);
    assert_int_equal(k.c->state, TCP_ESTABLISHED);
    ht_send_at(&k, TCP_ACK, base, k.pack, b, 100);
    ht_only(e, TCP_ACK, k.iss + 1, base + 101, 65535, 0);
    assert_int_equal(k.c->state, TCP_CLOSE_WAIT);
    ht_recv_expect(e, k.c, 0, 100);
    assert_int_equal(tcp_recv(e->s, k.c, b, sizeof(b)), 0); /* EOF */
}

static void
test_duplicate_and_overlap(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t b[200];

    ht_passive(&k, e, 0, HT_NOWS);
    tcp_seq base = k.pseq;
    ht_peer_bytes(b, 0, sizeof(b));
    ht_data(&k, 100);
    ht_nsent(e, 0);
    /* all old: not acceptable, answered with an ACK (§3.10.7.4 first) */
    ht_send_at(&k, TCP_ACK, base, k.pack, b, 100);
    ht_only(e, TCP_ACK, k.iss + 1, base + 100, 65535, 0);
    assert_int_equal(h_stat(e, "tcp.rx_out_of_window"), 1);
    /* half old: the old half is cut, the new half delivered */
    ht_send_at(&k, TCP_ACK, base + 50, k.pack, b + 50, 100);
    ht_nsent(e, 0);
    assert_int_equal(h_stat(e, "tcp.rx_dup_data"), 1);
    ht_recv_expect(e, k.c, 0, 150);
    ht_at(e, e->now + 200 * MS);
    ht_only(e, TCP_ACK, k.iss + 1, base + 150, 65535, 0);
}

static void
test_window_limits(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t b[1460];

    ht_passive(&k, e, 4096, HT_NOWS); /* our window: 4096 */
    tcp_seq base = k.pseq;
    ht_data(&k, 1460);
    ht_data(&k, 1460);
    ht_only(e, TCP_ACK, k.iss + 1, base + 2920, 1176, 0);
    /* 1460 bytes into 1176 of window: the tail is cut */
    ht_peer_bytes(b, 2920, 1460);
    ht_send_at(&k, TCP_ACK, base + 2920, k.pack, b, 1460);
    ht_nsent(e, 0);
    assert_int_equal(tcp_recv_avail(k.c), 4096);
    /* RFC 9293 §3.10.7.4: with RCV.WND 0, data at RCV.NXT is not
     * acceptable (an ACK tells the window), nor is data beyond it */
    ht_send_at(&k, TCP_ACK, base + 4096, k.pack, b, 100);
    ht_send_at(&k, TCP_ACK, base + 4196, k.pack, b, 100);
    ht_nsent(e, 2);
    ht_expect(e, 0, TCP_ACK, k.iss + 1, base + 4096, 0, 0);
    ht_expect(e, 1, TCP_ACK, k.iss + 1, base + 4096, 0, 0);
    assert_int_equal(h_stat(e, "tcp.rx_out_of_window"), 2);
    assert_int_equal(tcp_recv_avail(k.c), 4096);
    /* a byte with the FIN forced into the shut window (a BSD sender's probe
     * with its last byte): the byte is not acceptable, and neither is the
     * FIN behind it, which would end the stream with a byte missing */
    rec_clear(e->rec);
    ht_send_at(&k, TCP_ACK | TCP_FIN, base + 4096, k.pack, b, 1);
    ht_only(e, TCP_ACK, k.iss + 1, base + 4096, 0, 0);
    assert_int_equal(k.c->state, TCP_ESTABLISHED);
    assert_int_equal(k.c->rcv_fin, 0);
    /* reading opens the window: the peer is told at once */
    rec_clear(e->rec);
    ht_recv_expect(e, k.c, 0, 4096);
    ht_only(e, TCP_ACK, k.iss + 1, base + 4096, 4096, 0);
    /* a segment reaching past the right edge is cut to the window */
    ht_peer_bytes(b, 4096 + 4000, 200);
    ht_send_at(&k, TCP_ACK, base + 4096 + 4000, k.pack, b, 200);
    ht_nsent(e, 1); /* out of order: a dup ACK */
    assert_int_equal(k.c->n_ooo, 1);
    assert_int_equal(k.c->ooo[0].right - k.c->ooo[0].left, 96);
}

/* RFC 1122 §4.2.3.3 (receiver SWS avoidance): once the window is 0 it
 * stays 0 until min(buffer / 2, MSS) is free. Reading a few bytes must not
 * offer a window of a few bytes, neither in a window update nor in the
 * answer to a zero-window probe. */
static void
test_sws_zero_window(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t b[1460];

    ht_passive(&k, e, 4096, HT_NOWS); /* step: min(2048, 1460) = 1460 */
    tcp_seq base = k.pseq;
    ht_data(&k, 1460);
    ht_data(&k, 1460);
    ht_only(e, TCP_ACK, k.iss + 1, base + 2920, 1176, 0);
    ht_data(&k, 1176);
    ht_at(e, e->now + 200 * MS);
    ht_only(e, TCP_ACK, k.iss + 1, base + 4096, 0, 0);
    /* 100 bytes read: no update, and a probe is answered with 0 */
    assert_int_equal(tcp_recv(e->s, k.c, b, 100), 100);
    ht_nsent(e, 0);
    ht_send_at(&k, TCP_ACK, base + 4095, k.pack, NULL, 0);
    ht_only(e, TCP_ACK, k.iss + 1, base + 4096, 0, 0);
    /* 1459 free: still 0 */
    assert_int_equal(tcp_recv(e->s, k.c, b, 1359), 1359);
    ht_nsent(e, 0);
    ht_send_at(&k, TCP_ACK, base + 4095, k.pack, NULL, 0);
    ht_only(e, TCP_ACK, k.iss + 1, base + 4096, 0, 0);
    /* 1460 free: the window opens, and the peer is told at once */
    assert_int_equal(tcp_recv(e->s, k.c, b, 1), 1);
    ht_only(e, TCP_ACK, k.iss + 1, base + 4096, 1460, 0);
    ht_send_at(&k, TCP_ACK, base + 4095, k.pack, NULL, 0);
    ht_only(e, TCP_ACK, k.iss + 1, base + 4096, 1460, 0);
}

/* ---- closing ---- */

static void
test_close_us_first(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_passive(&k, e, 0, HT_NOWS);
    tcp_close(e->s, k.c);
    assert_int_equal(k.c->state, TCP_FIN_WAIT_1);
    ht_only(e, TCP_FIN | TCP_ACK, k.iss + 1, k.pseq, 65535, 0);
    ht_ack(&k, k.iss + 2);
    ht_nsent(e, 0);
    assert_int_equal(k.c->state, TCP_FIN_WAIT_2);
    ht_at(e, e->now + SEC);
    ht_fin(&k);
    /* TIME_WAIT is a record; the orphaned block and its rings are gone */
    ht_only(e, TCP_ACK, k.iss + 2, k.pseq, 65535, 0);
    k.c = NULL;
    assert_int_equal(ht_npcbs(e), 1);
    assert_int_equal(tcp_tw_count(e->s), 1);
    uint64_t tw = e->now;
    assert_int_equal(e->s->tcp.tw->t_2msl, tw + 60 * SEC); /* 2 MSL, MSL 30 s */
    /* a retransmitted FIN is ACKed again and restarts 2 MSL (§3.10.7.4) */
    ht_at(e, tw + 10 * SEC);
    ht_send_at(&k, TCP_FIN | TCP_ACK, k.pseq - 1, k.pack, NULL, 0);
    ht_only(e, TCP_ACK, k.iss + 2, k.pseq, 65535, 0);
    /* a bare ACK at RCV.NXT needs nothing; data gets an ACK */
    ht_send(&k, TCP_ACK, NULL, 0);
    ht_nsent(e, 0);
    ht_send(&k, TCP_ACK, (const uint8_t *)"late", 4);
    ht_only(e, TCP_ACK, k.iss + 2, k.pseq, 65535, 0);
    tw += 10 * SEC;
    ht_at(e, tw + 60 * SEC - 1);
    assert_int_equal(tcp_tw_count(e->s), 1);
    assert_int_equal(stack_poll_at(e->s), tw + 60 * SEC);
    ht_at(e, tw + 60 * SEC);
    assert_int_equal(tcp_tw_count(e->s), 0);
    assert_int_equal(tcp_mem_used(e->s), sizeof(struct tcp_pcb)); /* the listener */
    ht_nsent(e, 0);
}

static void
test_orphan_fin_wait_2(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_passive(&k, e, 0, HT_NOWS);
    tcp_close(e->s, k.c);
    ht_only(e, TCP_FIN | TCP_ACK, k.iss + 1, k.pseq, 65535, 0);
    ht_ack(&k, k.iss + 2);
    assert_int_equal(k.c->state, TCP_FIN_WAIT_2);
    uint64_t t = e->now;
    /* the peer never closes: given up after TCP_FIN_TIMEOUT_US */
    ht_at(e, t + 60 * SEC - 1);
    assert_int_equal(ht_npcbs(e), 2);
    ht_at(e, t + 60 * SEC);
    assert_int_equal(ht_npcbs(e), 1);
    ht_nsent(e, 0);
    assert_int_equal(h_stat(e, "tcp.fin_wait_2_timed_out"), 1);
}

static void
test_close_peer_first(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_passive(&k, e, 0, HT_NOWS);
    ht_fin(&k);
    assert_int_equal(k.c->state, TCP_CLOSE_WAIT);
    ht_only(e, TCP_ACK, k.iss + 1, k.pseq, 65535, 0);
    assert_int_equal(tcp_recv(e->s, k.c, e->buf2, 10), 0);
    /* we may still send */
    assert_int_equal(tcp_send(e->s, k.c, "0123456789", 10), 10);
    ht_only(e, TCP_ACK | TCP_PSH, k.iss + 1, k.pseq, 65535, 10);
    ht_ack(&k, k.iss + 11);
    tcp_close(e->s, k.c);
    assert_int_equal(k.c->state, TCP_LAST_ACK);
    ht_only(e, TCP_FIN | TCP_ACK, k.iss + 11, k.pseq, 65535, 0);
    /* unanswered, the FIN is sent again after the RTO (200 ms: the RTT
     * measured was ~0), then 400 ms later */
    uint64_t t = e->now;
    assert_int_equal(ht_info(k.c).rto_us, 200000);
    ht_at(e, t + 200 * MS - 1);
    ht_nsent(e, 0);
    ht_at(e, t + 200 * MS);
    ht_at(e, t + 600 * MS - 1);
    ht_at(e, t + 600 * MS);
    ht_nsent(e, 2);
    ht_expect(e, 0, TCP_FIN | TCP_ACK, k.iss + 11, k.pseq, 65535, 0);
    ht_expect(e, 1, TCP_FIN | TCP_ACK, k.iss + 11, k.pseq, 65535, 0);
    assert_int_equal(h_stat(e, "tcp.retransmitted_segs"), 2);
    assert_int_equal(h_stat(e, "tcp.rto_expired"), 2);
    rec_clear(e->rec);
    ht_ack(&k, k.iss + 12);
    ht_nsent(e, 0);
    assert_int_equal(ht_npcbs(e), 1); /* CLOSED and freed */
}

static void
test_simultaneous_close(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k, k2;

    ht_passive(&k, e, 0, HT_NOWS);
    assert_int_equal(tcp_shutdown(e->s, k.c, 1), 0);
    assert_int_equal(k.c->state, TCP_FIN_WAIT_1);
    ht_only(e, TCP_FIN | TCP_ACK, k.iss + 1, k.pseq, 65535, 0);
    ht_fin(&k); /* crosses ours: acknowledges only up to it */
    assert_int_equal(k.c->state, TCP_CLOSING);
    ht_only(e, TCP_ACK, k.iss + 2, k.pseq, 65535, 0);
    ht_ack(&k, k.iss + 2);
    ht_nsent(e, 0);
    /* TIME_WAIT is a record; the block the socket still holds is CLOSED
     * (as Linux's socket once its timewait sock takes over) */
    assert_int_equal(tcp_tw_count(e->s), 1);
    assert_int_equal(k.c->state, TCP_CLOSED);
    ht_at(e, e->now + 60 * SEC);
    assert_int_equal(tcp_tw_count(e->s), 0);
    assert_int_equal(tcp_recv(e->s, k.c, e->buf2, 1), 0);
    assert_int_equal(tcp_take_error(k.c), 0);

    /* the peer's FIN and the ACK of ours in one segment: step five (ACK)
     * moves to FIN_WAIT_2, step eight (FIN) to TIME_WAIT */
    ht_syn(&k2, e, k.l, HT_PEER_PORT + 1, HT_NOWS);
    ht_ack_accept(&k2);
    tcp_shutdown(e->s, k2.c, 1);
    ht_only(e, TCP_FIN | TCP_ACK, k2.iss + 1, k2.pseq, 65535, 0);
    k2.pack = k2.iss + 2;
    ht_fin(&k2);
    assert_int_equal(k2.c->state, TCP_CLOSED);
    assert_int_equal(tcp_tw_count(e->s), 1);
    ht_only(e, TCP_ACK, k2.iss + 2, k2.pseq, 65535, 0);
}

static void
test_half_close(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_passive(&k, e, 0, HT_NOWS);
    assert_int_equal(tcp_shutdown(e->s, k.c, 1), 0); /* SHUT_WR */
    ht_only(e, TCP_FIN | TCP_ACK, k.iss + 1, k.pseq, 65535, 0);
    assert_int_equal(tcp_send(e->s, k.c, "x", 1), -EPIPE);
    ht_ack(&k, k.iss + 2);
    assert_int_equal(k.c->state, TCP_FIN_WAIT_2);
    /* the other direction still carries data */
    ht_data(&k, 1460);
    ht_data(&k, 1000);
    ht_only(e, TCP_ACK, k.iss + 2, k.pseq, 65535, 0);
    ht_recv_expect(e, k.c, 0, 2460);
    ht_fin(&k);
    assert_int_equal(tcp_tw_count(e->s), 1);
    ht_only(e, TCP_ACK, k.iss + 2, k.pseq, 65535, 0);
    assert_int_equal(tcp_recv(e->s, k.c, e->buf2, 1), 0);
    ht_at(e, e->now + 60 * SEC);
    assert_int_equal(tcp_tw_count(e->s), 0);
    assert_int_equal(k.c->state, TCP_CLOSED);
    tcp_close(e->s, k.c);
    assert_int_equal(ht_npcbs(e), 1);
}

/* ---- RST, SYN and ACK checks (RFC 5961) ---- */

/* Take an established passive connection to state st. */
static void
to_state(struct ht_conn *k, int st)
{
    struct h_env *e = k->e;

    switch (st) {
    case TCP_FIN_WAIT_1:
    case TCP_FIN_WAIT_2:
    case TCP_CLOSING:
    case TCP_TIME_WAIT:
        tcp_shutdown(e->s, k->c, 1);
        if (st == TCP_CLOSING) {
            ht_fin(k);
            break;
        }
        if (st != TCP_FIN_WAIT_1)
            ht_ack(k, k->iss + 2);
        if (st == TCP_TIME_WAIT)
            ht_fin(k);
        break;
    case TCP_CLOSE_WAIT:
    case TCP_LAST_ACK:
        ht_fin(k);
        if (st == TCP_LAST_ACK)
            tcp_shutdown(e->s, k->c, 1);
        break;
    default: break;
    }
    if (st == TCP_TIME_WAIT) { /* a record; the block is CLOSED */
        assert_non_null(tcp_tw_lookup(e->s, H_IP_US, k->lport, H_IP_PEER, k->pport));
        assert_int_equal(k->c->state, TCP_CLOSED);
    } else {
        assert_int_equal(k->c->state, st);
    }
    rec_clear(e->rec);
}

/* k is in state st still (TIME_WAIT: its record is there). */
static void
expect_state(struct ht_conn *k, int st)
{
    if (st == TCP_TIME_WAIT)
        assert_non_null(tcp_tw_lookup(k->e->s, H_IP_US, k->lport, H_IP_PEER, k->pport));
    else if (st == TCP_SYN_RECEIVED)
        assert_non_null(ht_synq_find(k->l, k->pport));
    else
        assert_int_equal(k->c->state, st);
}

static void
test_rst_in_each_state(void **state)
{
    struct h_env *e = env(state);
    struct tcp_pcb *l = ht_listen(e, HT_PORT, 0, 16);
    static const struct {
        int state, err;
    } cases[] = {
        {TCP_SYN_RECEIVED, 0},
        {TCP_ESTABLISHED, ECONNRESET},
        {TCP_FIN_WAIT_1, ECONNRESET},
        {TCP_FIN_WAIT_2, ECONNRESET},
        {TCP_CLOSE_WAIT, ECONNRESET},
        {TCP_CLOSING, 0},
        {TCP_LAST_ACK, 0},
        {TCP_TIME_WAIT, 0},
    };
    int64_t challenged = 0;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ht_conn k;
        int st = cases[i].state;
        ht_syn(&k, e, l, (uint16_t)(41000 + i), HT_NOWS);
        if (st != TCP_SYN_RECEIVED)
            ht_ack_accept(&k);
        if (st != TCP_SYN_RECEIVED)
            to_state(&k, st);
        tcp_seq snd_nxt = k.c ? k.c->snd_nxt : k.iss + 1;
        /* RFC 5961 §3.2: in the window but not RCV.NXT: a challenge ACK */
        ht_send_at(&k, TCP_RST, k.pseq + 1, 0, NULL, 0);
        ht_only(e, TCP_ACK, snd_nxt, k.pseq, -1, 0);
        expect_state(&k, st);
        assert_int_equal(h_stat(e, "tcp.rx_rst_challenged"), ++challenged);
        /* outside the window: dropped without a word */
        ht_send_at(&k, TCP_RST, k.pseq - 1, 0, NULL, 0);
        ht_send_at(&k, TCP_RST, k.pseq + 70000, 0, NULL, 0);
        ht_nsent(e, 0);
        expect_state(&k, st);
        /* exactly RCV.NXT: the connection is reset */
        ht_send_at(&k, TCP_RST, k.pseq, 0, NULL, 0);
        ht_nsent(e, 0);
        if (st == TCP_SYN_RECEIVED) { /* a half-open connection: gone */
            assert_null(ht_synq_find(l, k.pport));
            assert_int_equal(l->n_syn, 0);
            continue;
        }
        if (st == TCP_TIME_WAIT) {
            assert_int_equal(tcp_tw_count(e->s), 0);
            continue;
        }
        assert_int_equal(k.c->state, TCP_CLOSED);
        assert_int_equal(tcp_take_error(k.c), cases[i].err);
    }
    assert_int_equal(l->state, TCP_LISTEN);
    assert_int_equal(h_stat(e, "tcp.rx_rst"), 16);
    assert_int_equal(h_stat(e, "tcp.challenge_acks"), 8);
}

static void
test_syn_in_established(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_passive(&k, e, 0, HT_NOWS);
    /* RFC 5961 §4.2: a SYN in the window gets a challenge ACK */
    ht_send(&k, TCP_SYN, NULL, 0);
    ht_only(e, TCP_ACK, k.iss + 1, k.pseq, 65535, 0);
    assert_int_equal(h_stat(e, "tcp.rx_syn_challenged"), 1);
    assert_int_equal(h_stat(e, "tcp.challenge_acks"), 1);
    assert_int_equal(k.c->state, TCP_ESTABLISHED);
    /* the original SYN again: old, so an ACK (§3.10.7.4 first) */
    ht_send_at(&k, TCP_SYN, HT_PEER_ISN, 0, NULL, 0);
    ht_only(e, TCP_ACK, k.iss + 1, k.pseq, 65535, 0);
    assert_int_equal(h_stat(e, "tcp.rx_out_of_window"), 1);
    assert_int_equal(k.c->state, TCP_ESTABLISHED);
}

/* Challenge ACKs sent for n in-window RSTs at e->now. */
static size_t
challenges(struct h_env *e, struct ht_conn *k, int n)
{
    rec_clear(e->rec);
    for (int i = 0; i < n; i++)
        ht_send_at(k, TCP_RST, k->pseq + 1 + (uint32_t)i, 0, NULL, 0);
    size_t sent = e->rec->n;
    rec_clear(e->rec);
    return sent;
}

/* RFC 5961 §7: challenge ACKs are rate-limited, engine-wide. As Linux
 * after CVE-2016-5696 (tcp_send_challenge_ack): a budget for each second
 * of the clock, drawn afresh from [limit/2, limit/2 + limit) with the
 * seeded RNG, so that an off-path attacker who counts the challenge ACKs
 * it provokes in a second cannot tell how many went to the connection it
 * probes. A fixed budget refilled at a fixed rate is the side channel. */
static void
test_challenge_rate_limit(void **state)
{
    struct h_env *e = env_with(state, 3); /* tcp_challenge_per_s */
    struct ht_conn k;
    size_t budgets[8] = {0}, total = 0;

    ht_passive(&k, e, 0, HT_NOWS);
    uint64_t t = (e->now / SEC + 1) * SEC; /* a second begins */
    for (int i = 0; i < 40; i++) {
        ht_at(e, t + (uint64_t)i * SEC);
        size_t n = challenges(e, &k, 4);
        /* later in the same second: nothing left beyond the budget */
        ht_at(e, t + (uint64_t)i * SEC + 999999);
        n += challenges(e, &k, 4);
        assert_in_range(n, 2, 4); /* half of 3 rounded up, + [0, 3) */
        budgets[n]++;
        total += n;
    }
    /* the budget varies from second to second */
    assert_true(budgets[2] > 0 && budgets[3] > 0 && budgets[4] > 0);
    assert_int_equal(h_stat(e, "tcp.challenge_acks"), total);
    assert_int_equal(h_stat(e, "tcp.challenge_limited"), 40 * 8 - total);
    /* SYNs draw on the same budget */
    ht_at(e, t + 50 * SEC);
    rec_clear(e->rec);
    for (int i = 0; i < 8; i++)
        ht_send(&k, TCP_SYN, NULL, 0);
    assert_in_range(e->rec->n, 2, 4);
    assert_int_equal(k.c->state, TCP_ESTABLISHED);
}

static void
test_bad_acks(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_passive(&k, e, 0, HT_NOWS);
    /* §3.10.7.4 fifth: an ACK of what we never sent: ACK, drop (data too) */
    uint8_t b[10];
    ht_peer_bytes(b, 0, 10);
    ht_send_at(&k, TCP_ACK, k.pseq, k.iss + 2, b, 10);
    ht_only(e, TCP_ACK, k.iss + 1, k.pseq, 65535, 0);
    assert_int_equal(tcp_recv_avail(k.c), 0);
    assert_int_equal(h_stat(e, "tcp.rx_ack_unsent"), 1);
    /* RFC 5961 §5.2: SND.UNA - MAX.SND.WND is still acceptable (old) ... */
    ht_send_at(&k, TCP_ACK, k.pseq, k.iss + 1 - 65535, NULL, 0);
    ht_nsent(e, 0);
    /* ... one further back is challenged */
    ht_send_at(&k, TCP_ACK, k.pseq, k.iss + 1 - 65536, b, 10);
    ht_only(e, TCP_ACK, k.iss + 1, k.pseq, 65535, 0);
    assert_int_equal(h_stat(e, "tcp.rx_ack_challenged"), 1);
    assert_int_equal(tcp_recv_avail(k.c), 0);
    assert_int_equal(k.c->state, TCP_ESTABLISHED);
    /* and the connection goes on */
    ht_data(&k, 10);
    assert_int_equal(tcp_recv_avail(k.c), 10);
}

static void
test_rst_closed_port(void **state)
{
    struct h_env *e = env(state);
    uint8_t b[10] = {0};

    /* §3.10.7.1, no ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
    ht_raw(e, HT_PEER_PORT, 81, TCP_SYN, HT_PEER_ISN, 0, NULL, 0);
    ht_raw(e, HT_PEER_PORT, 81, TCP_FIN | TCP_PSH, 0xfffffffau, 0, b, 10);
    /* with an ACK: <SEQ=SEG.ACK><CTL=RST> */
    ht_raw(e, HT_PEER_PORT, 81, TCP_ACK, 5, 0xabcdef01u, b, 10);
    /* a RST is never answered */
    ht_raw(e, HT_PEER_PORT, 81, TCP_RST | TCP_ACK, 5, 0xabcdef01u, NULL, 0);
    ht_nsent(e, 3);
    ht_expect(e, 0, TCP_RST | TCP_ACK, 0, HT_PEER_ISN + 1, 0, 0);
    ht_expect(e, 1, TCP_RST | TCP_ACK, 0, 0xfffffffau + 11, 0, 0);
    ht_expect(e, 2, TCP_RST, 0xabcdef01u, 0, 0, 0);
    struct ht_out o;
    ht_out(e, 2, &o);
    assert_int_equal(o.h.ack, 0);
    assert_int_equal(o.h.sport, 81);
    assert_int_equal(o.h.dport, HT_PEER_PORT);
    assert_int_equal(h_stat(e, "tcp.rx_no_conn"), 4);
    assert_int_equal(h_stat(e, "tcp.tx_rst"), 3);
}

static void
test_time_wait_reuse(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k, a;

    ht_passive(&k, e, 0, HT_NOWS);
    to_state(&k, TCP_TIME_WAIT);
    tcp_close(e->s, k.c);
    k.c = NULL;
    assert_int_equal(ht_npcbs(e), 1); /* the listener; TIME_WAIT is a record */
    assert_int_equal(tcp_tw_count(e->s), 1);
    /* an old SYN (below RCV.NXT) is answered with an ACK; no reuse */
    ht_raw(e, HT_PEER_PORT, HT_PORT, TCP_SYN, k.pseq - 100, 0, NULL, 0);
    ht_only(e, TCP_ACK, k.iss + 2, k.pseq, 65535, 0);
    assert_int_equal(tcp_tw_count(e->s), 1);
    /* a new SYN above RCV.NXT, with a listener: TIME_WAIT ends, a new
     * connection starts (as Linux) */
    ht_at(e, H_T0 + SEC);
    ht_raw(e, HT_PEER_PORT, HT_PORT, TCP_SYN, k.pseq + 100000, 0, NULL, 0);
    assert_int_equal(h_stat(e, "tcp.time_wait_reused"), 1);
    assert_int_equal(tcp_tw_count(e->s), 0);
    /* RFC 6528: the same 4-tuple 1 s later: the ISN moved 250000 (4 us) */
    ht_only(e, TCP_SYN | TCP_ACK, k.iss + 250000, k.pseq + 100001, 65535, 0);
    assert_int_equal(ht_npcbs(e), 1); /* the listener; the new one is an entry */
    assert_int_equal(k.l->n_syn, 1);

    /* without a listener (our end opened actively), no reuse */
    ht_active(&a, e, HT_NOWS, 0);
    tcp_shutdown(e->s, a.c, 1);
    ht_ack(&a, a.iss + 2);
    ht_fin(&a);
    assert_int_equal(a.c->state, TCP_CLOSED);
    assert_int_equal(tcp_tw_count(e->s), 1);
    rec_clear(e->rec);
    ht_send_at(&a, TCP_SYN, a.pseq + 100000, 0, NULL, 0);
    assert_int_equal(tcp_tw_count(e->s), 1);
    assert_int_equal(h_stat(e, "tcp.time_wait_reused"), 1);
    ht_only(e, TCP_ACK, a.iss + 2, a.pseq, 65535, 0);
}

/* TIME_WAIT with timestamps (RFC 7323): PAWS answers an old TSval with an
 * ACK; a SYN below RCV.NXT but with a newer TSval ends the record, as
 * Linux's tcp_timewait_state_process. The record is a few dozen bytes. */
static void
test_time_wait_timestamps(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    const uint32_t P0 = 1000;

    assert_true(sizeof(struct tcp_tw) <= 64);
    ht_passive_ts(&k, e, 0, HT_NOWS, P0);
    uint64_t before = tcp_mem_used(e->s);
    to_state(&k, TCP_TIME_WAIT);
    tcp_close(e->s, k.c);
    k.c = NULL;
    /* the block (its rings empty, without storage) gave way to one record */
    assert_int_equal(before - tcp_mem_used(e->s),
                     sizeof(struct tcp_pcb) - sizeof(struct tcp_tw));
    struct tcp_tw *tw = tcp_tw_lookup(e->s, H_IP_US, HT_PORT, H_IP_PEER, HT_PEER_PORT);
    assert_non_null(tw);
    uint32_t ts_off = tw->ts_off;
    /* RFC 7323 §5.3 R1: an old TSval is answered and dropped */
    k.ptsval = P0 - 1;
    ht_send(&k, TCP_ACK, NULL, 0);
    struct tcp_repr r = ht_only(e, TCP_ACK, k.iss + 2, k.pseq, 65535, 0);
    assert_int_equal(r.has_ts, 1);
    assert_int_equal(r.tsval, (uint32_t)(e->now / 1000) + ts_off);
    assert_int_equal(r.tsecr, P0);
    assert_int_equal(h_stat(e, "tcp.rx_paws"), 1);
    /* a RST with an old TSval does nothing */
    ht_send_at(&k, TCP_RST, k.pseq, 0, NULL, 0);
    assert_int_equal(tcp_tw_count(e->s), 1);
    /* a SYN at a lower sequence number but a newer TSval: reuse */
    k.ptsval = P0 + 100;
    ht_send_at(&k, TCP_SYN, k.pseq - 1000, 0, NULL, 0);
    assert_int_equal(tcp_tw_count(e->s), 0);
    assert_int_equal(h_stat(e, "tcp.time_wait_reused"), 1);
    ht_nsent(e, 1); /* the SYN,ACK of the new connection */
}

static void
test_close_unread_and_abort(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k, k2;

    ht_passive(&k, e, 0, HT_NOWS);
    ht_data(&k, 100);
    /* RFC 2525 §2.17: data the application will never read: RST, not FIN */
    tcp_close(e->s, k.c);
    ht_only(e, TCP_RST, k.iss + 1, 0, -1, 0);
    assert_int_equal(ht_npcbs(e), 1);
    /* the peer's next segment finds only the listener (§3.10.7.2) */
    ht_data(&k, 10);
    ht_only(e, TCP_RST, k.pack, 0, 0, 0);

    /* §3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST>, whatever was in flight */
    ht_syn(&k2, e, k.l, HT_PEER_PORT + 1, HT_NOWS);
    ht_ack_accept(&k2);
    assert_int_equal(tcp_send(e->s, k2.c, "hello", 5), 5);
    ht_only(e, TCP_ACK | TCP_PSH, k2.iss + 1, k2.pseq, 65535, 5);
    tcp_abort(e->s, k2.c);
    ht_only(e, TCP_RST, k2.iss + 6, 0, -1, 0);
    assert_int_equal(ht_npcbs(e), 1);
    assert_int_equal(h_stat(e, "tcp.tx_rst"), 3);
}

/* ---- binding ---- */

/* A block the socket layer opened, bound to addr:port (a result to check). */
static struct tcp_pcb *
bound(struct h_env *e, int reuseaddr, uint32_t addr, uint16_t port, int want)
{
    struct tcp_pcb *c = tcp_open(e->s, (void *)3);

    tcp_set_reuseaddr(c, reuseaddr);
    assert_int_equal(tcp_bind(e->s, c, addr, port), want);
    return c;
}

/* TCP bind conflicts as Linux's inet_csk_bind_conflict: a socket holds
 * its port from bind() on, also while it is bound and idle (CLOSED). Two
 * may share a port when both have SO_REUSEADDR and neither listens, or
 * both have SO_REUSEPORT and one owner (uid); a listener shares only
 * through SO_REUSEPORT. -EADDRINUSE otherwise, at bind() or at listen(). */
static void
test_bind_conflicts(void **state)
{
    struct h_env *e = env(state);

    /* bound and idle: the port is taken, for the same address or the
     * wildcard either way */
    struct tcp_pcb *a = bound(e, 0, 0, 8000, 0);
    bound(e, 0, 0, 8000, -EADDRINUSE);
    bound(e, 0, H_IP_US, 8000, -EADDRINUSE);
    bound(e, 1, 0, 8000, -EADDRINUSE); /* SO_REUSEADDR takes both */
    struct tcp_pcb *b = bound(e, 0, H_IP_US, 8001, 0);
    bound(e, 0, 0, 8001, -EADDRINUSE);
    /* closed by the application: the port is free again */
    tcp_close(e->s, a);
    tcp_close(e->s, b);
    a = bound(e, 0, 0, 8000, 0);
    tcp_close(e->s, a);

    /* SO_REUSEADDR on both: shared while neither listens; the first to
     * listen keeps it, the second listen() fails, and so does a bind */
    a = bound(e, 1, 0, 8000, 0);
    b = bound(e, 1, 0, 8000, 0);
    assert_int_equal(tcp_listen(e->s, a, 4), 0);
    assert_int_equal(tcp_listen(e->s, b, 4), -EADDRINUSE);
    assert_int_equal(b->state, TCP_CLOSED);
    bound(e, 1, 0, 8000, -EADDRINUSE);
    bound(e, 1, H_IP_US, 8000, -EADDRINUSE);

    /* SO_REUSEPORT: two listeners of one owner share a port; another
     * owner may not join them */
    struct tcp_pcb *p[3];
    for (int i = 0; i < 3; i++) {
        p[i] = tcp_open(e->s, (void *)3);
        tcp_set_reuseport(p[i], 1, i < 2 ? 1000 : 2000);
    }
    assert_int_equal(tcp_bind(e->s, p[0], 0, 9000), 0);
    assert_int_equal(tcp_listen(e->s, p[0], 4), 0);
    assert_int_equal(tcp_bind(e->s, p[1], 0, 9000), 0);
    assert_int_equal(tcp_listen(e->s, p[1], 4), 0);
    assert_int_equal(tcp_bind(e->s, p[2], 0, 9000), -EADDRINUSE);
    /* without the option on the newcomer, neither */
    bound(e, 1, 0, 9000, -EADDRINUSE);
}

/* A server restarted while its old connections linger (an accepted one
 * still ESTABLISHED, orphans closing): with SO_REUSEADDR it binds and
 * listens at once, as accepted connections inherit the listener's
 * SO_REUSEADDR (Linux copies sk_reuse into the child). */
static void
test_bind_restart(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    ht_listen(e, HT_PORT, 0, 4);
    struct tcp_pcb *l = e->s->tcp.pcbs;
    tcp_set_reuseaddr(l, 1);
    ht_syn(&k, e, l, HT_PEER_PORT, HT_NOWS);
    ht_ack_accept(&k);
    tcp_close(e->s, l); /* the old server is gone; its connection is not */
    assert_int_equal(k.c->state, TCP_ESTABLISHED);
    bound(e, 0, 0, HT_PORT, -EADDRINUSE);
    struct tcp_pcb *n = bound(e, 1, 0, HT_PORT, 0);
    assert_int_equal(tcp_listen(e->s, n, 4), 0);
}

/* Every transition of the table was taken by the tests above. */
static void
test_every_transition_taken(void **state)
{
    (void)state;
    uint8_t table[TCP_NSTATES][TCP_NSTATES] = {{0}};
    char *dot = NULL;
    size_t len = 0, n = 0;
    FILE *f = open_memstream(&dot, &len);

    tcp_fsm_dot(f);
    fclose(f);
    scan_transitions(dot, table);
    free(dot);
    for (int a = 0; a < TCP_NSTATES; a++) {
        for (int b = 0; b < TCP_NSTATES; b++) {
            if (table[a][b])
                n++;
            if (table[a][b] && !seen[a][b])
                fail_msg("no test took %s -> %s", tcp_state_name(a), tcp_state_name(b));
            if (seen[a][b] && !table[a][b])
                fail_msg("%s -> %s is not in the table", tcp_state_name(a),
                         tcp_state_name(b));
        }
    }
    assert_int_equal(n, 24);
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_passive_open),
        T(test_passive_backlog),
        T(test_active_open),
        T(test_active_refused),
        T(test_active_bad_ack),
        T(test_syn_ack_data),
        T(test_simultaneous_open),
        T(test_close_in_syn_received_rto),
        T(test_syn_retransmit_backoff),
        T(test_data_in_order),
        T(test_out_of_order),
        T(test_out_of_order_bare_fin),
        T(test_duplicate_and_overlap),
        T(test_window_limits),
        T(test_sws_zero_window),
        T(test_close_us_first),
        T(test_orphan_fin_wait_2),
        T(test_close_peer_first),
        T(test_simultaneous_close),
        T(test_half_close),
        T(test_rst_in_each_state),
        T(test_syn_in_established),
        T(test_challenge_rate_limit),
        T(test_bad_acks),
        T(test_rst_closed_port),
        T(test_time_wait_reuse),
        T(test_time_wait_timestamps),
        T(test_close_unread_and_abort),
        T(test_bind_conflicts),
        T(test_bind_restart),
        cmocka_unit_test(test_every_transition_taken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
