/*
 * test_tcp_sack.c - SACK both ways, RFC 6675 recovery and RACK-TLP, one
 * engine on the recording device, the peer's segments (with their SACK
 * blocks) built by hand and fed at chosen virtual times.
 *
 * Covers RFC 2018 §2 (SACK-Permitted on SYNs, only answered when offered),
 * §4 (our blocks: the newest arrival's first, then the other recent ones),
 * RFC 2883 (D-SACK for duplicates below RCV.NXT and of held data), RFC
 * 6675 (recovery on DupThresh SACKed segments, ssthresh and cwnd, two
 * losses repaired in one recovery without a timeout) and RFC 8985 (the
 * reordering timer, a tail loss probe). The congestion algorithm is
 * NewReno so that ssthresh is RFC 5681's half the flight.
 */
#include "harness_tcp.h"

#include <string.h>

#include "stack_var.h"

#define MSS HT_MSS
#define MS H_MS

/* When set, the peer's segments carry timestamps echoing peer_tsecr. */
static int peer_ts;
static uint32_t peer_tsecr;

static struct h_env *
env(void **state)
{
    struct stack_config cfg;

    peer_ts = 0;

    h_config(&cfg);
    cfg.tcp_cc = "reno";
    return ht_env(state, &cfg);
}

/* A segment from the peer on k with the given SACK blocks (and, on a SYN,
 * MSS and SACK-Permitted). */
static void
peer_seg(struct ht_conn *k, uint8_t flags, tcp_seq seq, tcp_seq ack,
         const struct tcp_sack_block *blocks, unsigned nblocks, const uint8_t *data,
         size_t len)
{
    uint8_t seg[TCP_HDR_MAX + MSS], f[H_FRAME_MAX];
    struct tcp_repr r = {.sport = k->pport,
                         .dport = k->lport,
                         .seq = seq,
                         .ack = ack,
                         .flags = flags,
                         .wnd = k->pwnd,
                         .nsack = (uint8_t)nblocks};

    if (flags & TCP_SYN) {
        r.mss = MSS;
        r.sack_perm = 1;
    }
    for (unsigned i = 0; i < nblocks; i++)
        r.sack[i] = blocks[i];
    if (peer_ts) {
        r.has_ts = 1;
        r.tsval = 1000;
        r.tsecr = peer_tsecr;
    }
    size_t hl = tcp_hdr_len(&r);
    assert_true(hl + len <= sizeof(seg));
    if (len)
        memcpy(seg + hl, data, len);
    assert_int_equal(tcp_emit(&r, seg, hl + len, H_IP_PEER, H_IP_US), (int)hl);
    h_input(k->e, f,
            h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_TCP, 1, 0, seg, hl + len));
}

/* The peer acknowledges ack, holding [left, right) blocks. */
static void
peer_sack(struct ht_conn *k, tcp_seq ack, const struct tcp_sack_block *b, unsigned n)
{
    peer_seg(k, TCP_ACK, k->pseq, ack, b, n, NULL, 0);
}

/* Active open where the peer's SYN,ACK permits SACK, after rtt_us. */
static void
sack_active(struct ht_conn *k, struct h_env *e, uint64_t rtt_us)
{
    struct ht_out o;

    ht_connect(k, e, HT_PEER_PORT);
    ht_at(e, e->now + rtt_us);
    peer_seg(k, TCP_SYN | TCP_ACK, k->pseq, k->iss + 1, NULL, 0, NULL, 0);
    k->pseq++;
    k->pack = k->iss + 1;
    ht_nsent(e, 1);
    ht_out(e, 0, &o);
    assert_int_equal(o.h.flags, TCP_ACK);
    assert_int_equal(k->c->state, TCP_ESTABLISHED);
    assert_int_equal(k->c->sack_ok, 1);
    assert_non_null(k->c->sb.seg);
    rec_clear(e->rec);
}

/* Passive open (port HT_PORT) from a peer whose SYN permits SACK. */
static void
sack_passive(struct ht_conn *k, struct h_env *e)
{
    struct tcp_pcb *l = ht_listen(e, HT_PORT, 0, 4);
    struct ht_out o;

    *k = (struct ht_conn){.e = e,
                          .l = l,
                          .lport = HT_PORT,
                          .pport = HT_PEER_PORT,
                          .pseq = HT_PEER_ISN,
                          .pwnd = 65535};
    rec_clear(e->rec);
    peer_seg(k, TCP_SYN, k->pseq, 0, NULL, 0, NULL, 0);
    ht_nsent(e, 1);
    ht_out(e, 0, &o);
    assert_int_equal(o.h.flags, TCP_SYN | TCP_ACK);
    assert_int_equal(o.h.sack_perm, 1); /* RFC 2018 §2: offered, answered */
    k->iss = o.h.seq;
    k->pseq++;
    k->pack = k->iss + 1;
    rec_clear(e->rec);
    ht_send(k, TCP_ACK, NULL, 0);
    k->c = tcp_accept(e->s, l, (void *)2);
    assert_non_null(k->c);
    assert_int_equal(k->c->sack_ok, 1);
    ht_nsent(e, 0);
}

/* Queue n bytes on c; the segments that leave are the test's to check. */
static void
app_send(struct h_env *e, struct tcp_pcb *c, size_t n)
{
    static uint8_t b[16 * MSS];

    assert_true(n <= sizeof(b));
    h_pattern(b, n, 3);
    assert_int_equal(tcp_send(e->s, c, b, n), n);
}

/* Sent frame i is an ACK of ack with exactly these blocks, in order. */
static void
expect_blocks(const struct h_env *e, size_t i, tcp_seq ack,
              const struct tcp_sack_block *b, unsigned n)
{
    struct ht_out o;

    ht_out(e, i, &o);
    assert_int_equal(o.h.ack, ack);
    if (o.h.nsack != n)
        fail_msg("frame %zu has %u blocks, want %u", i, o.h.nsack, n);
    for (unsigned j = 0; j < n; j++)
        if (o.h.sack[j].left != b[j].left || o.h.sack[j].right != b[j].right)
            fail_msg("frame %zu block %u is [%u, %u), want [%u, %u)", i, j,
                     o.h.sack[j].left, o.h.sack[j].right, b[j].left, b[j].right);
}

#define BLK(base, l, r) ((struct tcp_sack_block){(base) + (l), (base) + (r)})

static void
test_sack_negotiation(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k, k2, k3;

    /* our SYN offers it; the peer's SYN,ACK with it turns it on */
    sack_active(&k, e, 10 * MS);
    /* a peer that does not offer it: off, no scoreboard */
    ht_connect(&k2, e, HT_PEER_PORT + 1);
    struct ht_seg sa = {.sport = k2.pport,
                        .dport = k2.lport,
                        .seq = k2.pseq,
                        .ack = k2.iss + 1,
                        .flags = TCP_SYN | TCP_ACK,
                        .wnd = 65535,
                        .mss = MSS,
                        .wscale = HT_NOWS};
    ht_input(e, &sa);
    assert_int_equal(k2.c->state, TCP_ESTABLISHED);
    assert_int_equal(k2.c->sack_ok, 0);
    assert_null(k2.c->sb.seg);
    /* passive: answered only when offered (ht_syn's peer does not) */
    sack_passive(&k3, e);
    struct ht_conn k4;
    struct tcp_pcb *l = ht_listen(e, HT_PORT + 1, 0, 4);
    ht_syn(&k4, e, l, HT_PEER_PORT + 9, HT_NOWS);
    assert_int_equal(ht_synq_find(l, HT_PEER_PORT + 9)->sack_ok, 0);
    ht_ack_accept(&k4);
    assert_int_equal(k4.c->sack_ok, 0);
}

/* RFC 2018 §4: the first block holds the newest arrival, then the other
 * recent blocks newest first; blocks merge as holes fill. */
static void
test_sack_blocks_newest_first(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t b[100];
    tcp_seq base;

    sack_passive(&k, e);
    base = k.pseq;
    static const uint32_t order[] = {100, 500, 300, 200};
    for (unsigned i = 0; i < 4; i++) {
        ht_peer_bytes(b, order[i], 100);
        ht_send_at(&k, TCP_ACK, base + order[i], k.pack, b, 100);
    }
    ht_nsent(e, 4);
    expect_blocks(e, 0, base, (struct tcp_sack_block[]){BLK(base, 100, 200)}, 1);
    expect_blocks(e, 1, base,
                  (struct tcp_sack_block[]){BLK(base, 500, 600), BLK(base, 100, 200)}, 2);
    expect_blocks(e, 2, base,
                  (struct tcp_sack_block[]){BLK(base, 300, 400), BLK(base, 500, 600),
                                            BLK(base, 100, 200)},
                  3);
    /* 200 joins [100, 200) and [300, 400): one block, first */
    expect_blocks(e, 3, base,
                  (struct tcp_sack_block[]){BLK(base, 100, 400), BLK(base, 500, 600)}, 2);
    /* the hole at the front fills: ACK 400, what is left beyond */
    rec_clear(e->rec);
    ht_peer_bytes(b, 0, 100);
    ht_send_at(&k, TCP_ACK, base, k.pack, b, 100);
    ht_nsent(e, 1);
    expect_blocks(e, 0, base + 400, (struct tcp_sack_block[]){BLK(base, 500, 600)}, 1);
    assert_true(h_stat(e, "tcp.tx_sack_blocks") >= 9);
}

/* RFC 2883: a duplicate is reported once, as the first block. */
static void
test_dsack(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;
    uint8_t b[300];
    tcp_seq base;

    sack_passive(&k, e);
    base = k.pseq;
    ht_peer_bytes(b, 0, sizeof(b));
    ht_send_at(&k, TCP_ACK, base, k.pack, b, 100);
    ht_at(e, e->now + 200 * MS); /* the delayed ACK */
    rec_clear(e->rec);
    /* all below RCV.NXT: §4 case (a), the block lies below the ACK */
    ht_send_at(&k, TCP_ACK, base, k.pack, b, 100);
    ht_nsent(e, 1);
    expect_blocks(e, 0, base + 100, (struct tcp_sack_block[]){BLK(base, 0, 100)}, 1);
    /* data held out of order, sent again: the duplicate, then its block */
    rec_clear(e->rec);
    ht_send_at(&k, TCP_ACK, base + 200, k.pack, b + 200, 100);
    ht_send_at(&k, TCP_ACK, base + 200, k.pack, b + 200, 100);
    ht_nsent(e, 2);
    expect_blocks(e, 0, base + 100, (struct tcp_sack_block[]){BLK(base, 200, 300)}, 1);
    expect_blocks(e, 1, base + 100,
                  (struct tcp_sack_block[]){BLK(base, 200, 300), BLK(base, 200, 300)}, 2);
    /* reported once: the next ACK has only the block */
    rec_clear(e->rec);
    ht_send_at(&k, TCP_ACK, base + 100 + 1000, k.pack, NULL,
               0); /* a bare ACK: no reply */
    ht_nsent(e, 0);
    assert_int_equal(h_stat(e, "tcp.tx_dsack"), 2);
}

/* One loss among ten segments: the third SACKed segment above it starts
 * recovery (RFC 6675 §5 with RFC 8985's zero reordering window), which
 * sends it again at once; ssthresh is half the flight; the ACK of all
 * ends recovery with cwnd = ssthresh. */
static void
test_sack_recovery_one_loss(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    sack_active(&k, e, 10 * MS);
    tcp_seq s0 = k.iss + 1;
    app_send(e, k.c, 10 * MSS);
    ht_nsent(e, 10);
    rec_clear(e->rec);
    ht_at(e, e->now + 10 * MS);
    peer_sack(&k, s0 + 2 * MSS, NULL, 0);
    for (unsigned n = 1; n <= 3; n++) {
        ht_nsent(e, 0);
        assert_int_equal(k.c->in_recovery, 0);
        peer_sack(&k, s0 + 2 * MSS,
                  (struct tcp_sack_block[]){BLK(s0, 3 * MSS, (3 + n) * MSS)}, 1);
    }
    ht_only(e, TCP_ACK, s0 + 2 * MSS, k.pseq, -1, MSS);
    assert_int_equal(k.c->in_recovery, 1);
    assert_int_equal(k.c->ssthresh, 4 * MSS); /* half of 8 segments out */
    assert_int_equal(k.c->cwnd, 4 * MSS);
    assert_int_equal(h_stat(e, "tcp.sack_recoveries"), 1);
    struct tcp_info_lite i = ht_info(k.c);
    assert_int_equal(i.sacked, 3 * MSS);
    assert_int_equal(i.retrans, MSS);
    ht_at(e, e->now + 10 * MS);
    peer_sack(&k, s0 + 10 * MSS, NULL, 0);
    ht_nsent(e, 0);
    assert_int_equal(k.c->in_recovery, 0);
    assert_int_equal(k.c->cwnd, 4 * MSS);
    assert_int_equal(k.c->sb.n, 0);
    assert_int_equal(h_stat(e, "tcp.rto_expired"), 0);
}

/* Two losses in one window: both repaired in the same recovery, the
 * second as soon as pipe leaves room under cwnd (RFC 6675 §5 (C)). */
static void
test_sack_two_losses(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    sack_active(&k, e, 10 * MS);
    tcp_seq s0 = k.iss + 1;
    app_send(e, k.c, 10 * MSS);
    rec_clear(e->rec);
    ht_at(e, e->now + 10 * MS);
    /* segments 2 and 5 (from 0) are lost */
    peer_sack(&k, s0 + 2 * MSS, NULL, 0);
    peer_sack(&k, s0 + 2 * MSS, (struct tcp_sack_block[]){BLK(s0, 3 * MSS, 4 * MSS)}, 1);
    peer_sack(&k, s0 + 2 * MSS, (struct tcp_sack_block[]){BLK(s0, 3 * MSS, 5 * MSS)}, 1);
    ht_nsent(e, 0);
    peer_sack(
        &k, s0 + 2 * MSS,
        (struct tcp_sack_block[]){BLK(s0, 6 * MSS, 7 * MSS), BLK(s0, 3 * MSS, 5 * MSS)},
        2);
    /* segment 2 goes at once; 5 is lost too (sent before a delivered
     * segment, no reordering seen) but pipe (7, 8, 9 and 2's copy) fills
     * cwnd (4 segments) */
    ht_only(e, TCP_ACK, s0 + 2 * MSS, k.pseq, -1, MSS);
    peer_sack(
        &k, s0 + 2 * MSS,
        (struct tcp_sack_block[]){BLK(s0, 6 * MSS, 8 * MSS), BLK(s0, 3 * MSS, 5 * MSS)},
        2);
    ht_only(e, TCP_ACK, s0 + 5 * MSS, k.pseq, -1, MSS);
    peer_sack(&k, s0 + 5 * MSS, (struct tcp_sack_block[]){BLK(s0, 6 * MSS, 9 * MSS)}, 1);
    ht_nsent(e, 0);
    peer_sack(&k, s0 + 10 * MSS, NULL, 0);
    assert_int_equal(k.c->in_recovery, 0);
    assert_int_equal(h_stat(e, "tcp.sack_recoveries"), 1);
    assert_int_equal(h_stat(e, "tcp.sack_retransmits"), 2);
    assert_int_equal(h_stat(e, "tcp.rto_expired"), 0);
    ht_nsent(e, 0);
}

/* RFC 8985 §6: one segment SACKed beyond a hole is not yet a loss; the
 * reordering window (min RTT / 4) runs, and when it is over the hole is
 * sent again. */
static void
test_rack_reordering_timer(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    sack_active(&k, e, 10 * MS);
    tcp_seq s0 = k.iss + 1;
    uint64_t t = e->now;
    app_send(e, k.c, 10 * MSS);
    rec_clear(e->rec);
    ht_at(e, t + 10 * MS);
    peer_sack(&k, s0 + 2 * MSS, NULL, 0);
    peer_sack(&k, s0 + 2 * MSS, (struct tcp_sack_block[]){BLK(s0, 3 * MSS, 4 * MSS)}, 1);
    ht_nsent(e, 0);
    /* segment 2 left at t; RACK.rtt 10 ms; reo_wnd 10 ms / 4 */
    assert_int_equal(k.c->t_reo, t + 12500);
    ht_at(e, t + 12500 - 1);
    ht_nsent(e, 0);
    ht_at(e, t + 12500);
    ht_only(e, TCP_ACK, s0 + 2 * MSS, k.pseq, -1, MSS);
    assert_int_equal(h_stat(e, "tcp.rack_lost"), 1);
    assert_int_equal(k.c->in_recovery, 1);
    /* the segment arrives after all (reordering): a D-SACK of the copy
     * shows it, and the window grows */
    peer_sack(&k, s0 + 10 * MSS, (struct tcp_sack_block[]){BLK(s0, 2 * MSS, 3 * MSS)}, 1);
    assert_int_equal(h_stat(e, "tcp.rx_dsack"), 1);
    assert_int_equal(k.c->rack_reord, 1);
    assert_int_equal(k.c->rack_reo_mult, 1);
}

/* RFC 8985 §7: the last two segments are lost. The probe timeout (2 SRTT)
 * sends the last one again; its SACK shows the other lost at once: both
 * repaired in about three round trips, no RTO (200 ms). */
static void
test_tlp_tail_loss(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    sack_active(&k, e, 10 * MS);
    tcp_seq s0 = k.iss + 1;
    uint64_t t = e->now;
    app_send(e, k.c, 10 * MSS);
    rec_clear(e->rec);
    ht_at(e, t + 10 * MS);
    peer_sack(&k, s0 + 8 * MSS, NULL, 0);
    ht_nsent(e, 0);
    assert_int_equal(k.c->srtt_us, 10000);
    assert_int_equal(k.c->t_tlp, t + 10 * MS + 20 * MS);
    assert_true(k.c->t_rexmt > k.c->t_tlp);
    ht_at(e, t + 30 * MS - 1);
    ht_nsent(e, 0);
    ht_at(e, t + 30 * MS);
    ht_only(e, TCP_ACK, s0 + 9 * MSS, k.pseq, -1, MSS); /* the probe: the last */
    assert_int_equal(h_stat(e, "tcp.tlp_probes"), 1);
    ht_at(e, t + 40 * MS);
    peer_sack(&k, s0 + 8 * MSS, (struct tcp_sack_block[]){BLK(s0, 9 * MSS, 10 * MSS)}, 1);
    ht_only(e, TCP_ACK, s0 + 8 * MSS, k.pseq, -1, MSS);
    ht_at(e, t + 50 * MS);
    peer_sack(&k, s0 + 10 * MSS, NULL, 0);
    ht_nsent(e, 0);
    assert_int_equal(k.c->sb.n, 0);
    assert_int_equal(h_stat(e, "tcp.rto_expired"), 0);
    assert_int_equal(k.c->t_rexmt, 0);
}

/* The last segment alone is lost: with one segment out the probe timeout
 * allows for the peer's delayed ACK (2 SRTT + 200 ms), which is later
 * than the RTO; the probe then goes at the RTO's time in its place, and
 * cwnd is not collapsed to one segment. */
static void
test_tlp_single_segment(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    sack_active(&k, e, 10 * MS);
    tcp_seq s0 = k.iss + 1;
    app_send(e, k.c, 10 * MSS);
    rec_clear(e->rec);
    ht_at(e, e->now + 10 * MS);
    peer_sack(&k, s0 + 9 * MSS, NULL, 0);
    assert_int_equal(k.c->t_tlp, k.c->t_rexmt);
    uint32_t cwnd = k.c->cwnd;
    ht_at(e, k.c->t_tlp);
    ht_only(e, TCP_ACK, s0 + 9 * MSS, k.pseq, -1, MSS);
    assert_int_equal(h_stat(e, "tcp.tlp_probes"), 1);
    assert_int_equal(h_stat(e, "tcp.rto_expired"), 0);
    assert_int_equal(k.c->cwnd, cwnd);
    assert_true(k.c->t_rexmt > e->now);
    /* the probe's ACK, beyond its episode's end... */
    peer_sack(&k, s0 + 10 * MSS, NULL, 0);
    assert_int_equal(k.c->tlp_out, 1); /* (it might be the original's) */
    /* ... and the next one past it: the probe repaired a loss (§7.4.2) */
    app_send(e, k.c, MSS);
    rec_clear(e->rec);
    peer_sack(&k, s0 + 11 * MSS, NULL, 0);
    assert_int_equal(h_stat(e, "tcp.tlp_recovered"), 1);
    assert_true(k.c->cwnd < cwnd);
}

/* A block that is not inside what we sent is counted and changes nothing. */
static void
test_sack_bad_blocks(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    sack_active(&k, e, 10 * MS);
    tcp_seq s0 = k.iss + 1;
    app_send(e, k.c, 4 * MSS);
    rec_clear(e->rec);
    ht_at(e, e->now + 10 * MS);
    peer_sack(&k, s0, (struct tcp_sack_block[]){BLK(s0, 2 * MSS, 9 * MSS)}, 1);
    peer_sack(&k, s0, (struct tcp_sack_block[]){BLK(s0, 3 * MSS, 2 * MSS)}, 1);
    peer_sack(
        &k, s0 + MSS,
        (struct tcp_sack_block[]){BLK(s0, 2 * MSS, 3 * MSS), BLK(s0, -100000, -90000)},
        2);
    assert_int_equal(h_stat(e, "tcp.rx_sack_bad"), 3);
    assert_int_equal(ht_info(k.c).sacked, MSS);
    ht_nsent(e, 0);
}

/* Data of ours beyond a window the peer shut (it dropped it, or reneged):
 * a bare ACK with SEG.SEQ = SND.NXT would lie outside the peer's window
 * and be dropped with the acknowledgment it carries, and the peer, whose
 * data we then never seem to acknowledge, stalls (seen against Linux with
 * 32 connections at once). The ACK carries the right edge of the peer's
 * window instead, as Linux's tcp_acceptable_seq. */
static void
test_ack_seq_inside_peer_window(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    sack_active(&k, e, 10 * MS);
    tcp_seq s0 = k.iss + 1;
    app_send(e, k.c, 10 * MSS);
    rec_clear(e->rec);
    ht_at(e, e->now + 10 * MS);
    k.pwnd = 0;
    k.pack = s0 + 2 * MSS;
    uint8_t b[100] = {0};
    /* out of order: ACKed at once */
    ht_send_at(&k, TCP_ACK, k.pseq + 1000, k.pack, b, sizeof(b));
    ht_only(e, TCP_ACK, s0 + 2 * MSS, k.pseq, -1, 0);
    /* an open window: SND.NXT as ever */
    k.pwnd = 65535;
    ht_send_at(&k, TCP_ACK, k.pseq + 2000, k.pack, b, sizeof(b));
    ht_only(e, TCP_ACK, k.c->snd_nxt, k.pseq, -1, 0);
}

/* RFC 2018 §8: the peer dropped data it had SACKed (the RTO finds
 * SND.UNA at a SACKed segment): every SACK is forgotten and all of it
 * goes again, from SND.UNA. */
static void
test_sack_reneging(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    sack_active(&k, e, 10 * MS);
    tcp_seq s0 = k.iss + 1;
    app_send(e, k.c, 4 * MSS);
    rec_clear(e->rec);
    ht_at(e, e->now + 10 * MS);
    peer_sack(&k, s0 + MSS, (struct tcp_sack_block[]){BLK(s0, 2 * MSS, 4 * MSS)}, 1);
    /* segment 1 is lost (RACK, once its window passed) and sent again;
     * the ACK of it stops at 2, which the peer had SACKed */
    ht_at(e, k.c->t_reo);
    ht_only(e, TCP_ACK, s0 + MSS, k.pseq, -1, MSS);
    peer_sack(&k, s0 + 2 * MSS, NULL, 0);
    assert_int_equal(ht_info(k.c).sacked, 2 * MSS);
    ht_nsent(e, 0);
    ht_at(e, k.c->t_rexmt);
    ht_only(e, TCP_ACK, s0 + 2 * MSS, k.pseq, -1, MSS);
    assert_int_equal(h_stat(e, "tcp.sack_reneged"), 1);
    assert_int_equal(ht_info(k.c).sacked, 0);
    peer_sack(&k, s0 + 3 * MSS, NULL, 0);
    ht_only(e, TCP_ACK, s0 + 3 * MSS, k.pseq, -1, MSS);
}

/* RFC 3708 §3: segment 2 was only delayed. Its original fills the hole
 * and ends the recovery; then its retransmission comes back as a D-SACK:
 * every retransmission of the episode was a duplicate, so cwnd and
 * ssthresh return to what they were before it. */
static void
test_undo_dsack(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    sack_active(&k, e, 10 * MS);
    tcp_seq s0 = k.iss + 1;
    app_send(e, k.c, 10 * MSS);
    rec_clear(e->rec);
    ht_at(e, e->now + 10 * MS);
    peer_sack(&k, s0 + 2 * MSS, NULL, 0);
    uint32_t cwnd0 = k.c->cwnd, ssthresh0 = k.c->ssthresh; /* before the episode */
    for (unsigned n = 1; n <= 3; n++)
        peer_sack(&k, s0 + 2 * MSS,
                  (struct tcp_sack_block[]){BLK(s0, 3 * MSS, (3 + n) * MSS)}, 1);
    ht_only(e, TCP_ACK, s0 + 2 * MSS, k.pseq, -1, MSS);
    assert_int_equal(k.c->ssthresh, 4 * MSS);
    peer_sack(&k, s0 + 10 * MSS, NULL, 0); /* the original arrived */
    assert_int_equal(k.c->in_recovery, 0);
    assert_int_equal(k.c->cwnd, 4 * MSS);
    assert_int_equal(h_stat(e, "tcp.undo_dsack"), 0);
    /* a D-SACK of other data undoes nothing */
    peer_sack(&k, s0 + 10 * MSS, (struct tcp_sack_block[]){BLK(s0, 0, MSS)}, 1);
    assert_int_equal(k.c->cwnd, 4 * MSS);
    assert_int_equal(h_stat(e, "tcp.undo_dsack"), 0);
    peer_sack(&k, s0 + 10 * MSS, (struct tcp_sack_block[]){BLK(s0, 2 * MSS, 3 * MSS)}, 1);
    assert_int_equal(h_stat(e, "tcp.undo_dsack"), 1);
    assert_int_equal(k.c->cwnd, cwnd0);
    assert_int_equal(k.c->ssthresh, ssthresh0);
    ht_nsent(e, 0);
}

/* RFC 8985 §6.2 step 2 with timestamps that tick each millisecond: a
 * retransmission sent in the same tick as its original carries the same
 * TSval, so the echo cannot say which one arrived. A cumulative ACK that
 * comes sooner after the copy than the path's least RTT is the
 * original's: RACK keeps the original's send time and does not take the
 * segments sent after the original (but before the copy) for lost. */
static void
test_rack_same_tick_ambiguous(void **state)
{
    struct h_env *e = env(state);
    struct ht_conn k;

    peer_ts = 1;
    sack_active(&k, e, 400); /* least RTT 400 us */
    assert_int_equal(k.c->ts_ok, 1);
    tcp_seq s0 = k.iss + 1;
    ht_at(e, (e->now / 1000 + 1) * 1000); /* the start of a tick */
    peer_tsecr = (uint32_t)(e->now / 1000) + k.c->ts_off;
    app_send(e, k.c, 10 * MSS);
    struct ht_out o;
    ht_out(e, 0, &o);
    const uint32_t seg = (uint32_t)o.len; /* seg less the options */
    rec_clear(e->rec);
    ht_at(e, e->now + 400);
    peer_sack(&k, s0 + 2 * seg, NULL, 0);
    for (unsigned n = 1; n <= 3; n++)
        peer_sack(&k, s0 + 2 * seg,
                  (struct tcp_sack_block[]){BLK(s0, 3 * seg, (3 + n) * seg)}, 1);
    ht_only(e, TCP_ACK, s0 + 2 * seg, k.pseq, -1, seg); /* same tick as the original */
    ht_at(e, e->now + 100);
    peer_sack(&k, s0 + 7 * seg, NULL, 0); /* the original, 100 us after the copy */
    ht_nsent(e, 0);                       /* 7, 8 and 9 were sent with it: not lost */
    assert_int_equal(h_stat(e, "tcp.rack_lost"), 1);
}

#define T(f) cmocka_unit_test_teardown(f, h_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_sack_negotiation),
        T(test_sack_blocks_newest_first),
        T(test_dsack),
        T(test_sack_recovery_one_loss),
        T(test_sack_two_losses),
        T(test_rack_reordering_timer),
        T(test_tlp_tail_loss),
        T(test_tlp_single_segment),
        T(test_sack_bad_blocks),
        T(test_ack_seq_inside_peer_window),
        T(test_sack_reneging),
        T(test_undo_dsack),
        T(test_rack_same_tick_ambiguous),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
