/*
 * tcp_sack.c - selective acknowledgments, both ways.
 *
 * As receiver (RFC 2018 §4, RFC 2883): the SACK blocks of our ACKs, made
 * from the runs of out-of-order data (tcp_ooo.c), one block a run. The
 * first block holds the segment that arrived last, then the blocks of the other recent arrivals, newest
 * first, then the rest. A duplicate (data at or below RCV.NXT, or data
 * the queue already holds) is reported once as a D-SACK first block.
 *
 * As sender (RFC 6675): the scoreboard, one record per segment sent in
 * [SND.UNA, SND.MAX) (struct tcp_txseg) in a circular array, so SACK
 * information is kept in the send ring's own sequence terms and costs no
 * allocation per segment. Records are marked SACKed from the peer's
 * blocks, lost by RACK (tcp_rack.c, RFC 8985) or by RFC 6675's IsLost
 * (DupThresh segments SACKed above), and retransmitted while cwnd > pipe
 * (§4 SetPipe, NextSeg rule 1). Loss recovery starts on the first loss
 * found and ends when SND.UNA passes the recovery point (§5).
 *
 * Leaves out: NextSeg rules 3 and 4 (rescue retransmissions: RACK's
 * timers and TLP cover a lost tail), reneging detection before the RTO
 * (an RTO keeps the SACKed marks unless SND.UNA stopped at SACKed data,
 * which shows the peer reneged), Proportional Rate
 * Reduction (RFC 6937): cwnd drops to ssthresh on entering recovery.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/tcp.h"
#include "proto/tcp_trace.h"
#include "stack_var.h"

#define DUP_THRESH 3 /* RFC 6675 §2 DupThresh */

/* ---- receiver: the blocks we send ---- */

void
tcp_sack_rcv_note(struct tcp_pcb *c, tcp_seq seq)
{
    unsigned n = c->n_sack_recent, i;

    for (i = 0; i < n && c->sack_recent[i] != seq; i++)
        ;
    if (i == n && n < TCP_SACK_MAX)
        c->n_sack_recent = (uint8_t)++n;
    if (i == n)
        i = n - 1;
    memmove(&c->sack_recent[1], &c->sack_recent[0], i * sizeof(tcp_seq));
    c->sack_recent[0] = seq;
}

/* RFC 2883 §4: report [seq, end) as a duplicate in the next ACK. */
void
tcp_sack_rcv_dup(struct stack *s, struct tcp_pcb *c, tcp_seq seq, tcp_seq end)
{
    (void)s;
    if (!c->sack_ok || !seq_lt(seq, end))
        return;
    c->dsack = (struct tcp_sack_block){seq, end};
    c->has_dsack = 1;
    c->ack_now = 1;
}

/* Is b among the blocks after `from` (the D-SACK block, if any, is not
 * compared: RFC 2883 §4 wants the block holding a duplicate next to it) */
static int
tcp_block_listed(const struct tcp_repr *r, unsigned from, const struct tcp_sack_block *b)
{
    for (unsigned i = from; i < r->nsack; i++)
        if (r->sack[i].left == b->left && r->sack[i].right == b->right)
            return 1;
    return 0;
}

static void
tcp_block_add(struct tcp_repr *r, unsigned from, const struct tcp_sack_block *b)
{
    if (r->nsack < TCP_SACK_MAX && !tcp_block_listed(r, from, b))
        r->sack[r->nsack++] = *b;
}

/* RFC 2018 §4: the blocks of an ACK we are about to send. */
void
tcp_sack_fill(struct stack *s, struct tcp_pcb *c, struct tcp_repr *r)
{
    struct tcp_sack_block b;

    r->nsack = 0;
    if (!c->sack_ok)
        return;
    if (c->has_dsack) { /* RFC 2883 §4: first, once */
        r->sack[r->nsack++] = c->dsack;
        c->has_dsack = 0;
        s->stats.tcp.tx_dsack++;
    }
    unsigned from = r->nsack;
    unsigned keep = 0;
    for (unsigned i = 0; i < c->n_sack_recent; i++) {
        if (!seq_gt(c->sack_recent[i], c->rcv_nxt) ||
            !tcp_ooo_block(c, c->sack_recent[i], &b))
            continue; /* delivered since */
        c->sack_recent[keep++] = c->sack_recent[i];
        tcp_block_add(r, from, &b);
    }
    c->n_sack_recent = (uint8_t)keep;
    /* then the other runs, from the lowest */
    for (unsigned i = 0; i < c->n_ooo && r->nsack < TCP_SACK_MAX; i++)
        if (tcp_ooo_block(c, c->ooo[i].left, &b))
            tcp_block_add(r, from, &b);
    s->stats.tcp.tx_sack_blocks += tcp_sack_fit(r);
}

unsigned
tcp_sack_room(const struct tcp_pcb *c)
{
    unsigned n = c->has_dsack + c->n_ooo; /* one block a run */
    unsigned fit = (TCP_OPT_SPACE - (c->ts_ok ? TCP_TS_LEN : 0) - 4) / 8;

    if (!c->sack_ok)
        return 0;
    if (n > fit)
        n = fit;
    return n ? 4 + 8 * n : 0;
}

/* ---- sender: the scoreboard ---- */

struct tcp_txseg *
tcp_sb_at(const struct tcp_pcb *c, uint32_t i)
{
    return &c->sb.seg[(c->sb.head + i) % c->sb.cap];
}

int
tcp_sb_init(struct tcp_pcb *c)
{
    c->sb.cap = 64;
    c->sb.head = c->sb.n = 0;
    c->sb.seg = calloc(c->sb.cap, sizeof(*c->sb.seg));
    c->rack_fack = c->snd_una;
    return c->sb.seg ? 0 : -1;
}

void
tcp_sb_free(struct tcp_pcb *c)
{
    free(c->sb.seg);
    memset(&c->sb, 0, sizeof(c->sb));
}

static int
tcp_sb_grow(struct tcp_pcb *c)
{
    uint32_t cap = c->sb.cap * 2;

    if (cap > TCP_SB_MAX)
        return -1;
    struct tcp_txseg *g = malloc(cap * sizeof(*g));
    if (!g)
        return -1;
    for (uint32_t i = 0; i < c->sb.n; i++)
        g[i] = *tcp_sb_at(c, i);
    free(c->sb.seg);
    c->sb.seg = g;
    c->sb.cap = cap;
    c->sb.head = 0;
    return 0;
}

int
tcp_sb_full(const struct tcp_pcb *c)
{
    return c->sb.seg && c->sb.n == c->sb.cap && c->sb.cap * 2 > TCP_SB_MAX;
}

int
tcp_sb_sent(struct stack *s, struct tcp_pcb *c, tcp_seq seq, uint32_t len, int fin)
{
    if (!c->sb.seg || !len)
        return 0;
    if (c->sb.n == c->sb.cap && tcp_sb_grow(c) < 0) {
        s->stats.tcp.sb_full++;
        return -1;
    }
    struct tcp_txseg *g = tcp_sb_at(c, c->sb.n++);
    *g = (struct tcp_txseg){.seq = seq, .len = len, .xmit_us = s->now_us,
                            .first_us = s->now_us, .flags = fin ? TXS_FIN : 0};
    return 0;
}

uint32_t
tcp_sb_pipe(const struct tcp_pcb *c)
{
    uint32_t pipe = 0;

    for (uint32_t i = 0; i < c->sb.n; i++) {
        const struct tcp_txseg *g = tcp_sb_at(c, i);
        if (g->flags & TXS_SACKED)
            continue;
        if (!(g->flags & TXS_LOST)) /* RFC 6675 §4: not lost: in the network */
            pipe += g->len;
        if (g->flags & TXS_RETRANS) /* and so is its retransmission */
            pipe += g->len;
    }
    return pipe;
}

void
tcp_sb_counts(const struct tcp_pcb *c, uint32_t *sacked, uint32_t *lost, uint32_t *retrans)
{
    *sacked = *lost = *retrans = 0;
    for (uint32_t i = 0; i < c->sb.n; i++) {
        const struct tcp_txseg *g = tcp_sb_at(c, i);
        *sacked += g->flags & TXS_SACKED ? g->len : 0;
        *lost += g->flags & TXS_LOST ? g->len : 0;
        *retrans += g->flags & TXS_RETRANS ? g->len : 0;
    }
}

/* Split the record i at seq (strictly inside it) into two. */
static int
tcp_sb_split(struct stack *s, struct tcp_pcb *c, uint32_t i, tcp_seq seq)
{
    if (c->sb.n == c->sb.cap && tcp_sb_grow(c) < 0) {
        s->stats.tcp.sb_full++;
        return -1;
    }
    for (uint32_t j = c->sb.n; j > i + 1; j--)
        *tcp_sb_at(c, j) = *tcp_sb_at(c, j - 1);
    c->sb.n++;
    struct tcp_txseg *a = tcp_sb_at(c, i), *b = tcp_sb_at(c, i + 1);
    *b = *a;
    a->len = seq - a->seq;
    a->flags &= (uint8_t)~TXS_FIN;
    b->seq = seq;
    b->len -= a->len;
    return 0;
}

/* The cumulative ACK reached ack: release the records below it. */
static void
tcp_sb_ack(struct stack *s, struct tcp_pcb *c, tcp_seq ack)
{
    while (c->sb.n) {
        struct tcp_txseg *g = tcp_sb_at(c, 0);
        if (seq_le(g->seq + g->len, ack)) {
            if (!(g->flags & TXS_SACKED)) {
                tcp_pmtu_delivered(s, c, g->len, 0);
                tcp_rack_delivered(s, c, g);
            }
            c->sb.head = (c->sb.head + 1) % c->sb.cap;
            c->sb.n--;
            continue;
        }
        if (seq_lt(g->seq, ack)) { /* acked in part */
            g->len -= ack - g->seq;
            g->seq = ack;
        }
        break;
    }
}

/* RFC 2018 §5 / RFC 2883 §4: a block is a D-SACK if it lies below the
 * cumulative ACK, or inside the second block. */
static int
tcp_is_dsack(const struct tcp_repr *h, unsigned i)
{
    if (i != 0)
        return 0;
    if (seq_le(h->sack[0].right, h->ack))
        return 1;
    return h->nsack > 1 && seq_ge(h->sack[0].left, h->sack[1].left) &&
           seq_le(h->sack[0].right, h->sack[1].right);
}

/* Mark the records inside one block SACKed, splitting at its edges. */
static void
tcp_sb_mark(struct stack *s, struct tcp_pcb *c, tcp_seq left, tcp_seq right)
{
    for (uint32_t i = 0; i < c->sb.n; i++) {
        struct tcp_txseg *g = tcp_sb_at(c, i);
        tcp_seq end = g->seq + g->len;
        if (seq_le(end, left) || (g->flags & TXS_SACKED))
            continue;
        if (seq_ge(g->seq, right))
            break;
        if (seq_lt(g->seq, left)) {
            if (tcp_sb_split(s, c, i, left) < 0)
                return;
            continue; /* the next record starts at left */
        }
        if (seq_gt(end, right) && tcp_sb_split(s, c, i, right) < 0)
            return;
        g = tcp_sb_at(c, i);
        g->flags |= TXS_SACKED;
        g->flags &= (uint8_t)~(TXS_LOST | TXS_RETRANS);
        tcp_pmtu_delivered(s, c, g->len, 0);
        tcp_rack_delivered(s, c, g);
    }
}

static void tcp_sack_undo_dsack(struct stack *s, struct tcp_pcb *c, tcp_seq left);

/* The peer's blocks: validated (RFC 2018 §3: inside what we sent, left
 * before right) and marked. */
static void
tcp_sack_blocks(struct stack *s, struct tcp_pcb *c, const struct tcp_repr *h)
{
    for (unsigned i = 0; i < h->nsack; i++) {
        tcp_seq l = h->sack[i].left, r = h->sack[i].right;
        s->stats.tcp.rx_sack_blocks++;
        if (tcp_is_dsack(h, i)) {
            s->stats.tcp.rx_dsack++;
            tcp_rack_dsack(s, c);
            tcp_sack_undo_dsack(s, c, l);
            if (c->tlp_out && c->tlp_retrans && seq_lt(l, c->tlp_high_seq))
                c->tlp_dsacked = 1;
            continue;
        }
        if (!seq_lt(l, r) || seq_le(l, c->snd_una) || seq_gt(r, c->snd_max)) {
            s->stats.tcp.rx_sack_bad++;
            continue;
        }
        tcp_sb_mark(s, c, l, r);
    }
}

/* RFC 6675 §4 IsLost: DupThresh segments SACKed above a record. */
static int
tcp_sb_islost(struct stack *s, struct tcp_pcb *c)
{
    int sacked_above = 0, marked = 0;

    for (uint32_t i = c->sb.n; i-- > 0;) {
        struct tcp_txseg *g = tcp_sb_at(c, i);
        if (g->flags & TXS_SACKED) {
            sacked_above++;
            continue;
        }
        if (sacked_above >= DUP_THRESH && !(g->flags & (TXS_LOST | TXS_RETRANS))) {
            g->flags |= TXS_LOST;
            marked++;
        }
    }
    (void)s;
    return marked;
}

int
tcp_sb_lost_pending(const struct tcp_pcb *c)
{
    for (uint32_t i = 0; i < c->sb.n; i++)
        if ((tcp_sb_at(c, i)->flags & (TXS_LOST | TXS_RETRANS)) == TXS_LOST)
            return 1;
    return 0;
}

/* ---- undoing a reduction for nothing (RFC 3708, RFC 3522) ----
 *
 * A segment only delayed (reordered) looks lost and is sent again; cwnd
 * was cut for nothing. The episode (a recovery, or a timeout) remembers
 * cwnd and ssthresh from before, and counts its retransmissions. If a
 * D-SACK comes back for each of them (RFC 3708 §3: the peer had them
 * all), or if the ACK that ends the recovery echoes a timestamp older
 * than the first retransmission (RFC 3522: it answers the original),
 * nothing was lost: cwnd and ssthresh go back. */
void
tcp_sack_undo_arm(struct tcp_pcb *c)
{
    c->undo_armed = 1;
    c->undo_retrans = 0;
    c->undo_ts_set = 0;
    c->undo_marker = c->snd_una;
    c->prior_cwnd = c->cwnd;
    c->prior_ssthresh = c->ssthresh;
}

static void
tcp_sack_undo(struct stack *s, struct tcp_pcb *c)
{
    if (c->cwnd < c->prior_cwnd)
        c->cwnd = c->prior_cwnd;
    if (c->ssthresh < c->prior_ssthresh)
        c->ssthresh = c->prior_ssthresh;
    c->in_recovery = 0;
    c->in_loss = 0;
    c->recover = c->snd_una;
    c->undo_armed = 0;
    /* what the episode held lost and has not sent again, RACK may find
     * lost again; it is not lost for this episode's sake */
    for (uint32_t i = 0; i < c->sb.n; i++) {
        struct tcp_txseg *g = tcp_sb_at(c, i);
        if ((g->flags & (TXS_LOST | TXS_RETRANS)) == TXS_LOST)
            g->flags &= (uint8_t)~TXS_LOST;
    }
    (void)s;
}

/* RFC 3708 §3: a D-SACK of data the episode sent again. */
static void
tcp_sack_undo_dsack(struct stack *s, struct tcp_pcb *c, tcp_seq left)
{
    if (!c->undo_armed || seq_lt(left, c->undo_marker) || c->undo_retrans <= 0)
        return;
    /* also after the episode ended: the original filled the hole (and
     * ended the recovery) before the copy came in as a duplicate */
    if (--c->undo_retrans == 0) {
        s->stats.tcp.undo_dsack++;
        tcp_sack_undo(s, c);
    }
}

/* The ACK that ends the recovery: was all of it for nothing? */
static int
tcp_sack_undo_at_end(struct stack *s, struct tcp_pcb *c)
{
    if (!c->undo_armed)
        return 0;
    if (c->undo_ts_set && c->ack_tsecr && (int32_t)(c->ack_tsecr - c->undo_tsval) < 0) {
        s->stats.tcp.undo_ts++; /* RFC 3522 §2: the original's echo */
        tcp_sack_undo(s, c);
        return 1;
    }
    return 0;
}

void
tcp_sack_enter_recovery(struct stack *s, struct tcp_pcb *c)
{
    if (c->in_recovery || seq_lt(c->snd_una, c->recover))
        return;
    tcp_sack_undo_arm(c);
    /* RFC 6675 §5 step 4: RecoveryPoint = HighData, cwnd = ssthresh, the
     * algorithm's (RFC 5681's half the flight, CUBIC's 0.7) */
    c->ssthresh = c->cc->ssthresh(s, c);
    c->cwnd = c->ssthresh;
    c->recover = c->snd_max;
    c->in_recovery = 1;
    c->tlp_out = 0; /* recovery answers for the probe's episode too */
    c->t_tlp = 0;
    s->stats.tcp.sack_recoveries++;
    TCP_TRACE(s, tcp_trace_vars(s, c, "loss seen by SACK or RACK"));
    /* step 4.3: the first segment deemed lost goes at once, whatever
     * cwnd - pipe says */
    for (uint32_t i = 0; i < c->sb.n; i++) {
        struct tcp_txseg *g = tcp_sb_at(c, i);
        if ((g->flags & (TXS_LOST | TXS_RETRANS | TXS_SACKED)) == TXS_LOST) {
            tcp_sb_send(s, c, g);
            s->stats.tcp.sack_retransmits++;
            break;
        }
    }
}

int
tcp_sack_ack(struct stack *s, struct tcp_pcb *c, const struct tcp_repr *h, int advanced)
{
    c->ack_tsecr = h->has_ts ? h->tsecr : 0;
    tcp_sb_ack(s, c, c->snd_una);
    tcp_sack_blocks(s, c, h);
    tcp_tlp_ack(s, c, c->snd_una, advanced);
    int lost = tcp_rack_detect_loss(s, c) + tcp_sb_islost(s, c);
    if (c->in_recovery && seq_ge(c->snd_una, c->recover)) {
        tcp_rack_recovery_done(c);
        if (tcp_sack_undo_at_end(s, c))
            return 1;
        c->in_recovery = 0; /* RFC 6675 §5: the recovery point is acknowledged */
        c->cwnd = c->ssthresh;
        return 1;
    }
    if ((lost || tcp_sb_lost_pending(c)) && !c->in_recovery)
        tcp_sack_enter_recovery(s, c);
    tcp_tlp_arm(s, c); /* RFC 8985 §7.2: restarted by an ACK */
    return c->in_recovery;
}

/* Send record g again, cut first to SND.MSS if that fell since it went
 * (path MTU, tcp_pmtu.c): the rest becomes a record of its own. */
void
tcp_sb_send(struct stack *s, struct tcp_pcb *c, struct tcp_txseg *g)
{
    int fin = (g->flags & TXS_FIN) != 0;
    uint32_t n = g->len - (fin ? 1 : 0);

    if (n > tcp_eff_mss(c)) {
        uint32_t i = (uint32_t)((g - c->sb.seg + c->sb.cap - c->sb.head) % c->sb.cap);
        if (tcp_sb_split(s, c, i, g->seq + tcp_eff_mss(c)) < 0)
            return;
        g = tcp_sb_at(c, i);
        fin = 0;
        n = g->len;
    }

    c->rtt_timing = 0; /* Karn */
    c->retransmits++;
    s->stats.tcp.retransmitted_segs++;
    if (s->why.kind != WHY_TLP && s->why.kind != WHY_RTO)
        stack_why(s, WHY_SACK_RETRANSMIT, 0, 0, 0);
    if (tcp_xmit(s, c, g->seq, n, (uint8_t)(fin ? TCP_FIN : 0)) < 0)
        return;
    g->xmit_us = s->now_us;
    g->flags |= TXS_RETRANS | TXS_EVER_RETRANS;
    if (c->undo_armed) {
        c->undo_retrans++;
        if (c->ts_ok && !c->undo_ts_set) {
            c->undo_tsval = tcp_ts_now(s, c);
            c->undo_ts_set = 1;
        }
    }
    if (!c->t_rexmt)
        tcp_timer_rexmt_restart(s, c);
}

/* RFC 6675 §5 step (C): while cwnd - pipe >= 1 SMSS, NextSeg rule 1. */
void
tcp_sack_retransmit(struct stack *s, struct tcp_pcb *c)
{
    uint32_t pipe = tcp_sb_pipe(c);

    for (uint32_t i = 0; i < c->sb.n; i++) {
        struct tcp_txseg *g = tcp_sb_at(c, i);
        if ((g->flags & (TXS_LOST | TXS_RETRANS | TXS_SACKED)) != TXS_LOST)
            continue;
        if (pipe + g->len > c->cwnd && pipe > 0)
            break;
        tcp_sb_send(s, c, g);
        s->stats.tcp.sack_retransmits++;
        pipe += g->len;
    }
}

void
tcp_sb_all_lost(struct tcp_pcb *c)
{
    for (uint32_t i = 0; i < c->sb.n; i++) {
        struct tcp_txseg *g = tcp_sb_at(c, i);
        if (!(g->flags & TXS_SACKED)) {
            g->flags |= TXS_LOST;
            g->flags &= (uint8_t)~TXS_RETRANS;
        }
    }
}

void
tcp_sack_rto(struct stack *s, struct tcp_pcb *c)
{
    /* RFC 2018 §8: SACKs are advisory. The timeout found SND.UNA at data
     * the peer had SACKed: it dropped what it held (reneged); forget every
     * SACK and send it all again */
    if (c->sb.n && (tcp_sb_at(c, 0)->flags & TXS_SACKED)) {
        s->stats.tcp.sack_reneged++;
        for (uint32_t i = 0; i < c->sb.n; i++)
            tcp_sb_at(c, i)->flags &= (uint8_t)~TXS_SACKED;
    }
    tcp_sb_all_lost(c);
    c->tlp_out = 0;
    c->t_tlp = c->t_reo = 0;
}
