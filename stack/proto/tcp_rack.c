/*
 * tcp_rack.c - RACK-TLP (RFC 8985): loss detection by time, and the tail
 * loss probe.
 *
 * RACK: a segment is lost when a segment sent after it has been delivered
 * (acknowledged or SACKed) and more than RACK.rtt + reo_wnd has passed
 * since it was sent. Deliveries update RACK's reference (the latest send
 * time delivered, its RTT); a segment delivered below the highest one
 * delivered, never retransmitted, shows reordering, which opens the
 * reordering window (min RTT / 4). Segments not yet overdue arm the
 * reordering timer for the moment they will be.
 *
 * TLP: with data in flight and no loss known, a probe timeout (PTO) of
 * 2 SRTT (plus the peer's delayed-ACK allowance when one segment is out)
 * sends one segment, new data if the window allows, else the last segment
 * again (a probe due with the RTO goes first and restarts it), so that a lost tail is
 * found by RACK from the probe's ACK, not by an RTO. A retransmitted probe whose ACK
 * comes without a D-SACK repaired a real loss: cwnd is reduced (§7.4).
 *
 * Works on the scoreboard of tcp_sack.c; only connections that negotiated
 * SACK have one (RFC 8985 §4: RACK needs SACK).
 * The reordering window is 0 until reordering is seen (in recovery, or
 * with DupThresh segments SACKed), then min RTT / 4 times a multiplier
 * that D-SACKs raise (§6.2 step 4), never more than SRTT.
 */
#include "proto/tcp.h"
#include "stack_var.h"

#define DUP_THRESH 3
#define TLP_PTO_MIN_US 10000   /* as Linux: never probe sooner than 10 ms */
#define TLP_WCDELACK_US 200000 /* §7.2 WCDelAckT: the peer's delayed ACK */

/* Was the delivery of record g (retransmitted) the copy's, or could it be
 * an earlier transmission's? For a cumulative ACK the echoed timestamp
 * says, when the copy's TSval differs from the first's: an echo older
 * than the copy's is an earlier one's, an echo of the copy's tick is the
 * copy's. TSvals tick each millisecond: a copy sent within the same tick
 * (a path of a few hundred microseconds) cannot be told apart that way.
 * A SACK echoes the segment before the hole. Otherwise, as without
 * timestamps, an RTT below the path's minimum can only be an earlier
 * one's. */
static int
tcp_rack_ambiguous(const struct tcp_pcb *c, const struct tcp_txseg *g, uint64_t rtt)
{
    if (c->ts_ok && c->ack_tsecr && !(g->flags & TXS_SACKED)) {
        uint32_t tsval = (uint32_t)(g->xmit_us / 1000) + c->ts_off;
        uint32_t first = (uint32_t)(g->first_us / 1000) + c->ts_off;
        if ((int32_t)(c->ack_tsecr - tsval) < 0)
            return 1;
        if (first != tsval)
            return 0;
    }
    return rtt < c->rack_min_rtt_us;
}

/* §6.2 step 2-3: record g (acked or SACKed just now) updates RACK. */
void
tcp_rack_delivered(struct stack *s, struct tcp_pcb *c, const struct tcp_txseg *g)
{
    uint64_t xmit = g->xmit_us, rtt = s->now_us - xmit;
    tcp_seq end = g->seq + g->len;

    /* DEVIATION(rfc8985): §6.2 step 2 ignores an ambiguous delivery; we
     * take it as the first transmission's, a longer RTT that can only
     * make RACK wait more. It still proves that what was sent before that
     * first transmission should have arrived (a probe's SACK finds the
     * loss before it at once) */
    if ((g->flags & TXS_EVER_RETRANS) && tcp_rack_ambiguous(c, g, rtt)) {
        xmit = g->first_us;
        rtt = s->now_us - xmit;
    }
    if (seq_lt(end, c->rack_fack)) {
        if (!(g->flags & TXS_EVER_RETRANS) && !c->rack_reord) {
            c->rack_reord = 1;
            s->stats.tcp.rack_reord++;
        }
    } else {
        c->rack_fack = end;
    }
    c->rack_rtt_us = (uint32_t)rtt;
    if (!c->rack_min_rtt_us || rtt < c->rack_min_rtt_us)
        c->rack_min_rtt_us = rtt ? (uint32_t)rtt : 1;
    if (xmit > c->rack_xmit_us ||
        (xmit == c->rack_xmit_us && seq_gt(end, c->rack_end_seq))) {
        c->rack_xmit_us = xmit;
        c->rack_end_seq = end;
    }
}

static uint32_t
tcp_rack_sacked(const struct tcp_pcb *c)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < c->sb.n; i++)
        n += (tcp_sb_at(c, i)->flags & TXS_SACKED) != 0;
    return n;
}

/* §6.2 step 4: a D-SACK means we retransmitted for nothing: widen the
 * window by min RTT / 4, at most once a round trip; it narrows again
 * after 16 recoveries without one. */
void
tcp_rack_dsack(struct stack *s, struct tcp_pcb *c)
{
    (void)s;
    c->rack_reord = 1;
    if (c->rack_reo_mult && seq_lt(c->snd_una, c->rack_dsack_round))
        return;
    if (c->rack_reo_mult < 255)
        c->rack_reo_mult++;
    c->rack_dsack_round = c->snd_max;
    c->rack_reo_persist = 16;
}

/* A recovery ended: after 16 without a D-SACK the window is min RTT / 4. */
void
tcp_rack_recovery_done(struct tcp_pcb *c)
{
    if (c->rack_reo_persist && --c->rack_reo_persist == 0)
        c->rack_reo_mult = 1;
}

static uint64_t
tcp_rack_reo_wnd(const struct tcp_pcb *c)
{
    if (!c->rack_reord && (c->in_recovery || tcp_rack_sacked(c) >= DUP_THRESH))
        return 0;
    uint64_t w =
        (uint64_t)c->rack_min_rtt_us / 4 * (c->rack_reo_mult ? c->rack_reo_mult : 1);
    return c->srtt_us && w > c->srtt_us ? c->srtt_us : w;
}

/* Was g sent before RACK's reference segment? */
static int
tcp_rack_sent_before(const struct tcp_pcb *c, const struct tcp_txseg *g)
{
    return g->xmit_us < c->rack_xmit_us ||
           (g->xmit_us == c->rack_xmit_us && seq_lt(g->seq + g->len, c->rack_end_seq));
}

int
tcp_rack_detect_loss(struct stack *s, struct tcp_pcb *c)
{
    uint64_t reo = tcp_rack_reo_wnd(c), wait = 0;
    int n = 0;

    c->t_reo = 0;
    if (!c->rack_xmit_us)
        return 0;
    for (uint32_t i = 0; i < c->sb.n; i++) {
        struct tcp_txseg *g = tcp_sb_at(c, i);
        if ((g->flags & TXS_SACKED) || (g->flags & (TXS_LOST | TXS_RETRANS)) == TXS_LOST)
            continue;
        if (!tcp_rack_sent_before(c, g))
            continue;
        uint64_t due = g->xmit_us + c->rack_rtt_us + reo;
        if (due <= s->now_us) {
            g->flags = (uint8_t)((g->flags | TXS_LOST) & ~TXS_RETRANS);
            s->stats.tcp.rack_lost++;
            n++;
        } else if (due - s->now_us > wait) {
            wait = due - s->now_us;
        }
    }
    if (wait) /* §6.3: look again when the next one is due */
        c->t_reo = s->now_us + wait;
    return n;
}

/* §7.2: arm the probe timeout, unless the RTO would come first. */
void
tcp_tlp_arm(struct stack *s, struct tcp_pcb *c)
{
    c->t_tlp = 0;
    if (!c->sb.seg || !c->sb.n || c->in_recovery || c->tlp_out || !c->snd_wnd ||
        tcp_sb_lost_pending(c))
        return; /* a shut window is the persist timer's */
    uint64_t pto = c->srtt_us ? 2ull * c->srtt_us : 1000000;
    if (c->sb.n == 1)
        pto += TLP_WCDELACK_US;
    if (pto < TLP_PTO_MIN_US)
        pto = TLP_PTO_MIN_US;
    /* no later than the RTO would come (as Linux): the probe then goes
     * in its place, without the RTO's collapse of cwnd */
    c->t_tlp = s->now_us + pto;
    if (c->t_rexmt && c->t_tlp > c->t_rexmt)
        c->t_tlp = c->t_rexmt;
}

/* §7.3: one new segment if the peer's window takes it, else the last. */
void
tcp_tlp_fire(struct stack *s, struct tcp_pcb *c)
{
    tcp_seq seq0 = tcp_data_seq0(c);
    uint32_t off = c->snd_nxt - seq0;
    uint32_t unsent = off < c->snd.len ? (uint32_t)c->snd.len - off : 0;
    uint32_t room = seq_lt(c->snd_nxt, c->snd_una + c->snd_wnd)
                        ? c->snd_una + c->snd_wnd - c->snd_nxt
                        : 0;
    uint32_t mss = tcp_eff_mss(c), n = unsent < mss ? unsent : mss;

    c->t_tlp = 0;
    if (!c->sb.n)
        return;
    s->stats.tcp.tlp_probes++;
    stack_why(s, WHY_TLP, 0, 0, 0);
    c->tlp_dsacked = 0;
    if (n && n <= room && !tcp_sb_full(c) &&
        tcp_xmit(s, c, c->snd_nxt, n, TCP_PSH) == 0) {
        tcp_sb_sent(s, c, c->snd_nxt, n, 0);
        c->snd_nxt += n;
        c->snd_max = c->snd_nxt;
        c->tlp_retrans = 0;
    } else {
        tcp_sb_send(s, c, tcp_sb_at(c, c->sb.n - 1));
        c->tlp_retrans = 1;
    }
    c->tlp_out = 1;
    c->tlp_high_seq = c->snd_max;
    tcp_timer_rexmt_restart(s, c);
}

/* §7.4: the end of a probe's episode. The ACK that reaches TLP.end_seq
 * may be the original's; the probe's own answer is a D-SACK (nothing was
 * lost), or an ACK beyond TLP.end_seq, or a duplicate ACK without a
 * D-SACK (a peer that does not send them: nothing is concluded). */
void
tcp_tlp_ack(struct stack *s, struct tcp_pcb *c, tcp_seq ack, int advanced)
{
    if (!c->tlp_out || seq_lt(ack, c->tlp_high_seq))
        return;
    if (!c->tlp_retrans) {
        c->tlp_out = 0; /* new data: what it found lost, RACK handles */
        return;
    }
    if (c->tlp_dsacked) {
        c->tlp_out = 0;
        s->stats.tcp.tlp_spurious++; /* the original arrived: nothing lost */
        return;
    }
    if (ack == c->tlp_high_seq) {
        if (!advanced)
            c->tlp_out = 0;
        return; /* else: wait for the probe's own answer */
    }
    /* §7.4.2: the probe repaired a loss: respond as to any loss */
    c->tlp_out = 0;
    s->stats.tcp.tlp_recovered++;
    c->ssthresh = c->cc->ssthresh(s, c);
    c->cwnd = c->ssthresh;
}

void
tcp_reo_fire(struct stack *s, struct tcp_pcb *c)
{
    c->t_reo = 0;
    if (tcp_rack_detect_loss(s, c) > 0)
        tcp_sack_enter_recovery(s, c);
    tcp_output(s, c);
}
