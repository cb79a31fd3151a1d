/*
 * tcp_in.c - segment arrival, RFC 9293 §3.10.7 in order.
 *
 *   tcp_input            parse, find the connection (§3.10.7.1 if none)
 *   tcp_listen_input     §3.10.7.2 LISTEN
 *   tcp_syn_sent_input   §3.10.7.3 SYN-SENT
 *   tcp_sync_input       §3.10.7.4 the other states, one function a step:
 *     tcp_ts_paws_reject  before the first step: RFC 7323 §5.3 R1 (tcp_ts.c)
 *     tcp_check_seq   first: is the segment in the window? trim it
 *     tcp_check_rst   second: RST (RFC 5961 §3)
 *     tcp_check_syn   fourth: SYN (RFC 5961 §4)
 *     tcp_check_ack   fifth: ACK (RFC 5961 §5, RFC 5681, RFC 6298)
 *     tcp_text        seventh: data, in order or into the out-of-order queue
 *     tcp_fin         eighth: FIN
 * Each step returns STEP_GO to continue or STEP_DROP when it is done.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "proto/ipv4.h"
#include "proto/tcp.h"
#include "proto/tcp_trace.h"
#include "stack_var.h"
#include "wire/icmp_hdr.h"
#include "wire/ipv4_hdr.h"
#include "wire/tcp_hdr.h"

enum step { STEP_GO, STEP_DROP };

/* One arriving segment, host order. */
struct tcp_seg {
    struct tcp_repr h;
    const uint8_t *data;
    uint32_t len;     /* data bytes */
    uint32_t src, dst;
};

static uint32_t
seg_len(const struct tcp_seg *g) /* RFC 9293 §3.4: SEG.LEN counts SYN and FIN */
{
    return g->len + ((g->h.flags & TCP_SYN) ? 1 : 0) + ((g->h.flags & TCP_FIN) ? 1 : 0);
}

/* The connection for g, and the listener on its port (both are looked
 * for: a SYN may end a TIME_WAIT only when a listener would take it). */
static struct tcp_pcb *
tcp_lookup(struct stack *s, const struct tcp_seg *g, struct tcp_pcb **listener)
{
    *listener = tcp_listener_find(s, g->dst, g->h.dport);
    return tcp_conn_find(s, g->dst, g->h.dport, g->src, g->h.sport);
}

/* §3.10.7.1: no connection. Answer anything but a RST with a RST. */
static void
tcp_closed_input(struct stack *s, const struct tcp_seg *g)
{
    s->stats.tcp.rx_no_conn++;
    stack_why(s, WHY_RST_NO_LISTENER, g->h.dport, 0, 0);
    if (g->h.flags & TCP_RST)
        return;
    if (g->h.flags & TCP_ACK)
        tcp_send_rst(s, g->dst, g->src, g->h.dport, g->h.sport, g->h.ack, 0, 0);
    else
        tcp_send_rst(s, g->dst, g->src, g->h.dport, g->h.sport, 0,
                     g->h.seq + seg_len(g), 1);
}

/* Window scale shift so that the largest window covers the buffer. */
uint8_t
tcp_wscale_for(uint32_t buf)
{
    uint8_t ws = 0;

    while (ws < 14 && (65535u << ws) < buf)
        ws++;
    return ws;
}

/* The options of a SYN: MSS (RFC 9293 §3.7.1: 536 if absent) and scaling. */
static void
tcp_syn_options(struct stack *s, struct tcp_pcb *c, const struct tcp_seg *g)
{
    uint16_t ours = (uint16_t)(s->cfg.mtu - IPV4_HDR_MIN - TCP_HDR_MIN);
    uint16_t peer = g->h.mss ? g->h.mss : 536;

    c->snd_mss = peer < ours ? peer : ours;
    if (c->snd_mss < 64)
        c->snd_mss = 64;
    if (g->h.has_wscale) {
        c->wscale_ok = 1;
        c->snd_wscale = g->h.wscale;
        c->rcv_wscale = tcp_wscale_for(c->rcvbuf);
    } else {
        c->wscale_ok = 0;
        c->snd_wscale = c->rcv_wscale = 0;
    }
    c->sack_ok = g->h.sack_perm; /* RFC 2018 §2: we offer it on every SYN */
    c->snd_wnd = g->h.wnd; /* never scaled in a SYN */
    c->max_snd_wnd = c->snd_wnd;
    c->snd_wl1 = g->h.seq;
    tcp_ts_syn_input(s, c, &g->h);
}

static void tcp_sync_input(struct stack *s, struct tcp_pcb *c, struct tcp_seg *g);

/* §3.10.7.2 LISTEN, and SYN-RECEIVED for the half-open connections of
 * the listener's SYN queue (tcp_syn.c): the ACK that completes one makes
 * a block, which goes through §3.10.7.4 here. */
static void
tcp_listen_input(struct stack *s, struct tcp_pcb *l, struct tcp_seg *g)
{
    struct tcp_pcb *c = tcp_syn_listen_input(s, l, &g->h, g->src, g->dst, g->len);

    if (!c)
        return;
    c->last_rx_us = s->now_us;
    tcp_sync_input(s, c, g);
    tcp_syn_settle(s, l, c);
    tcp_timer_sched(s, c);
}

/* The handshake completed: the connection is usable. */
static void
tcp_established(struct stack *s, struct tcp_pcb *c, const char *why)
{
    tcp_cc_init(s, c);
    /* RFC 6298 §5.7: a SYN timed out: start data with an RTO of 3 s */
    if (c->syn_rexmt && !c->srtt_us && c->rto_us < 3000000)
        c->rto_us = 3000000;
    tcp_set_state(s, c, TCP_ESTABLISHED, why);
    s->stats.tcp.established++;
    if (c->sack_ok && !c->sb.seg)
        tcp_sb_init(c); /* without it we send as if SACK were off */
    if (c->keepalive)
        c->t_keep = s->now_us + (uint64_t)c->keep_idle_s * 1000000;
    if (c->fin_queued) /* shutdown(SHUT_WR) came during the handshake */
        tcp_set_state(s, c, TCP_FIN_WAIT_1, "close queued during handshake");
    tcp_notify(s, c);
}

static enum step tcp_text(struct stack *s, struct tcp_pcb *c, const struct tcp_seg *g);
static void tcp_check_fin(struct stack *s, struct tcp_pcb *c, const struct tcp_seg *g);

/* §3.10.7.3: "If there are other controls or text in the segment, then
 * continue processing at the sixth step": the data and the FIN a SYN,ACK
 * carries, inside the window our SYN offered (RFC 7323 §2.2: unscaled). */
static void
tcp_syn_ack_text(struct stack *s, struct tcp_pcb *c, const struct tcp_seg *syn)
{
    struct tcp_seg g = *syn;
    uint32_t space = (uint32_t)ring_space(&c->rcv);
    uint32_t wnd = space < 65535 ? space : 65535;

    if (!g.len && !(g.h.flags & TCP_FIN))
        return;
    g.h.flags &= (uint8_t)~TCP_SYN;
    g.h.seq++;         /* the text follows the SYN */
    if (g.len > wnd) { /* beyond the window: cut, and the FIN with it */
        s->stats.tcp.rx_out_of_window++;
        g.len = wnd;
        g.h.flags &= (uint8_t)~TCP_FIN;
    }
    if (tcp_text(s, c, &g) == STEP_GO)
        tcp_check_fin(s, c, &g);
}

/* §3.10.7.3 SYN-SENT. */
static void
tcp_syn_sent_input(struct stack *s, struct tcp_pcb *c, const struct tcp_seg *g)
{
    int ack = (g->h.flags & TCP_ACK) != 0;

    if (ack && (seq_le(g->h.ack, c->iss) || seq_gt(g->h.ack, c->snd_max))) {
        stack_why(s, WHY_RST_BAD_ACK, 0, 0, 0);
        if (!(g->h.flags & TCP_RST))
            tcp_send_rst(s, g->dst, g->src, g->h.dport, g->h.sport, g->h.ack, 0, 0);
        return;
    }
    if (g->h.flags & TCP_RST) {
        if (ack)
            tcp_drop(s, c, ECONNREFUSED);
        return;
    }
    if (!(g->h.flags & TCP_SYN))
        return;
    c->irs = g->h.seq;
    c->rcv_nxt = g->h.seq + 1;
    c->rcv_adv = c->rcv_nxt;
    tcp_syn_options(s, c, g);
    tcp_cc_init(s, c); /* the peer's MSS is known now */
    if (!ack) { /* simultaneous open: answer with SYN,ACK from ISS */
        c->snd_nxt = c->iss;
        c->t_rexmt = 0;
        tcp_set_state(s, c, TCP_SYN_RECEIVED, "SYN in SYN_SENT (simultaneous open)");
        tcp_output(s, c);
        return;
    }
    c->snd_una = g->h.ack;
    c->syn_acked = 1;
    c->snd_wl2 = g->h.ack;
    if (c->rtt_timing && seq_ge(g->h.ack, c->rtt_seq)) {
        tcp_rtt_sample(s, c, (uint32_t)(s->now_us - c->rtt_start_us));
        c->rtt_timing = 0;
    }
    c->t_rexmt = 0;
    c->backoff = 0;
    stack_why(s, WHY_ACK_SYN_ACK, 0, 0, 0);
    c->ack_now = 1;
    tcp_established(s, c, "SYN,ACK");
    tcp_syn_ack_text(s, c, g);
    tcp_output(s, c);
}

/* §3.10.7.4 first: segment acceptability (the four cases), then trim the
 * segment to the window. */
static enum step
tcp_check_seq(struct stack *s, struct tcp_pcb *c, struct tcp_seg *g)
{
    uint32_t wnd = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    tcp_seq seq = g->h.seq, end = seq + seg_len(g);
    int ok;

    /* DEVIATION(rfc9293): the RFC accepts a zero-length segment only if
     * SEG.SEQ < RCV.NXT + RCV.WND. A sender that filled our window beyond
     * a hole sends its bare ACKs exactly at the right edge; dropping them
     * loses the ACKs of our data (issue 7's stall). Like Linux
     * (tcp_sequence), the right edge is included; with RCV.WND = 0 this is
     * the RFC's SEG.SEQ = RCV.NXT. Not for a RST: RFC 5961 §3.2 drops one
     * outside RCV.NXT =< SEG.SEQ < RCV.NXT + RCV.WND silently. */
    if (seg_len(g) == 0)
        ok = seq_le(c->rcv_nxt, seq) &&
             (g->h.flags & TCP_RST ? seq_lt(seq, c->rcv_nxt + wnd)
                                   : seq_le(seq, c->rcv_nxt + wnd));
    else
        ok = wnd != 0 && ((seq_le(c->rcv_nxt, seq) && seq_lt(seq, c->rcv_nxt + wnd)) ||
                          (seq_lt(c->rcv_nxt, end) && seq_le(end, c->rcv_nxt + wnd)));
    /* RFC 9293 §3.10.7.4: with RCV.WND == 0 a segment at RCV.NXT still
     * carries a valid ACK, RST or FIN */
    if (!ok && wnd == 0 && seq == c->rcv_nxt) {
        ok = 1;
        if (g->len) { /* the data is not acceptable: an ACK shows the window */
            s->stats.tcp.rx_out_of_window++;
            stack_why(s, WHY_ACK_OUT_OF_WINDOW, 0, 0, 0);
            c->ack_now = 1;
            g->len = 0;
            /* nor is a FIN behind it: taken, it would end the stream with
             * the data missing */
            g->h.flags &= (uint8_t)~TCP_FIN;
        }
    }
    if (!ok) {
        s->stats.tcp.rx_out_of_window++;
        stack_why(s, WHY_ACK_OUT_OF_WINDOW, 0, 0, 0);
        if (g->len && seq_le(end, c->rcv_nxt)) /* all old: RFC 2883 §4 */
            tcp_sack_rcv_dup(s, c, seq, seq + g->len);
        /* §3.10.7.4 eighth: in TIME-WAIT a retransmitted FIN is
         * acknowledged and restarts the 2 MSL timeout */
        if (c->state == TCP_TIME_WAIT && (g->h.flags & TCP_FIN) && end == c->rcv_nxt)
            c->t_2msl = s->now_us + 2ull * s->cfg.tcp_msl_s * 1000000;
        if (!(g->h.flags & TCP_RST))
            c->ack_now = 1;
        return STEP_DROP;
    }
    tcp_ts_recent_update(s, c, &g->h); /* RFC 7323 §5.3 R3, before trimming */
    if (seq_lt(seq, c->rcv_nxt)) { /* already received: cut the front */
        uint32_t dup = c->rcv_nxt - seq;
        if (g->h.flags & TCP_SYN) {
            g->h.flags &= (uint8_t)~TCP_SYN;
            g->h.seq++;
            dup--;
        }
        if (dup > g->len)
            dup = g->len;
        s->stats.tcp.rx_dup_data += dup ? 1 : 0;
        tcp_sack_rcv_dup(s, c, g->h.seq, g->h.seq + dup);
        g->data += dup;
        g->len -= dup;
        g->h.seq += dup;
    }
    tcp_seq right = c->rcv_nxt + wnd;
    if (seq_gt(g->h.seq + g->len, right)) { /* beyond the window: cut the tail */
        g->len = seq_gt(right, g->h.seq) ? right - g->h.seq : 0;
        g->h.flags &= (uint8_t)~TCP_FIN;
    }
    return STEP_GO;
}

/* §3.10.7.4 second, with RFC 5961 §3.2: only an exact RST resets. */
static enum step
tcp_check_rst(struct stack *s, struct tcp_pcb *c, const struct tcp_seg *g)
{
    if (!(g->h.flags & TCP_RST))
        return STEP_GO;
    s->stats.tcp.rx_rst++;
    if (g->h.seq != c->rcv_nxt) {
        s->stats.tcp.rx_rst_challenged++;
        stack_why(s, WHY_CHALLENGE_ACK, 3, 0, 0);
        tcp_send_challenge_ack(s, c);
        return STEP_DROP;
    }
    switch (c->state) {
    case TCP_SYN_RECEIVED:
        tcp_drop(s, c, c->passive ? 0 : ECONNREFUSED);
        break;
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_FIN_WAIT_2:
    case TCP_CLOSE_WAIT:
        tcp_drop(s, c, ECONNRESET);
        break;
    default: /* CLOSING, LAST_ACK, TIME_WAIT */
        tcp_drop(s, c, 0);
    }
    return STEP_DROP;
}

/* §3.10.7.4 fourth, RFC 5961 §4: a SYN in a synchronized state gets a
 * challenge ACK; a genuine restart of the peer then answers with a RST. */
static enum step
tcp_check_syn(struct stack *s, struct tcp_pcb *c, const struct tcp_seg *g)
{
    if (!(g->h.flags & TCP_SYN))
        return STEP_GO;
    s->stats.tcp.rx_syn_challenged++;
    stack_why(s, WHY_CHALLENGE_ACK, 4, 0, 0);
    tcp_send_challenge_ack(s, c);
    return STEP_DROP;
}

/* SND.UNA moved to ack: release acknowledged bytes, sample the RTT.
 * Returns the bytes of data acknowledged: not the SYN or the FIN, which
 * RFC 5681 §3.1 does not count when growing cwnd. */
static uint32_t
tcp_ack_advance(struct stack *s, struct tcp_pcb *c, tcp_seq ack)
{
    tcp_seq seq0 = tcp_data_seq0(c);
    uint32_t acked = 0;

    if (seq_gt(ack, seq0)) {
        acked = ack - seq0;
        if (acked > c->snd.len) { /* the rest is our FIN */
            acked = (uint32_t)c->snd.len;
            c->fin_acked = 1;
        }
        ring_drop(&c->snd, acked);
        tcp_ring_release(s, c, &c->snd);
    }
    c->snd_una = ack;
    c->syn_acked = 1; /* whatever it acknowledged, the SYN came first */
    if (seq_lt(c->snd_nxt, c->snd_una))
        c->snd_nxt = c->snd_una;
    if (c->rtt_timing && seq_ge(ack, c->rtt_seq)) {
        tcp_rtt_sample(s, c, (uint32_t)(s->now_us - c->rtt_start_us));
        c->rtt_timing = 0;
    }
    c->backoff = 0;
    /* RFC 6298 §5.2-5.3: stop when all is acked, else restart */
    if (c->snd_una == c->snd_max)
        c->t_rexmt = 0;
    else
        tcp_timer_rexmt_restart(s, c);
    return acked;
}

/* RFC 9293 §3.10.7.4 fifth: update SND.WND from a newer segment. */
static void
tcp_window_update(struct tcp_pcb *c, const struct tcp_seg *g)
{
    if (seq_lt(c->snd_wl1, g->h.seq) ||
        (c->snd_wl1 == g->h.seq && seq_le(c->snd_wl2, g->h.ack))) {
        c->snd_wnd = (uint32_t)g->h.wnd << c->snd_wscale;
        c->snd_wl1 = g->h.seq;
        c->snd_wl2 = g->h.ack;
        if (c->snd_wnd > c->max_snd_wnd)
            c->max_snd_wnd = c->snd_wnd;
        if (c->snd_wnd > 0) {
            c->t_persist = 0;
            c->persist_shift = 0;
            c->persist_since_us = 0;
        }
    }
}

/* RFC 9293 §3.6: 2 MSL in TIME-WAIT, kept by a compact record (tcp_tw.c);
 * the block goes CLOSED. */
static void
tcp_enter_time_wait(struct stack *s, struct tcp_pcb *c, const char *why)
{
    tcp_set_state(s, c, TCP_TIME_WAIT, why);
    c->t_rexmt = c->t_persist = c->t_keep = c->t_delack = c->t_reo = c->t_tlp = 0;
    tcp_tw_enter(s, c);
}

/* A child on its listener's accept queue: its owner can accept() it. */
static int
tcp_to_acceptq(struct stack *s, struct tcp_pcb *c)
{
    struct tcp_pcb *l = c->listener;

    if (!l)
        return 0;
    if (l->n_accept >= l->backlog) {
        s->stats.tcp.rx_accept_queue_full++;
        return -1;
    }
    struct tcp_pcb **tail = &l->acceptq;
    while (*tail)
        tail = &(*tail)->acceptq;
    *tail = c;
    c->acceptq = NULL;
    c->in_acceptq = 1;
    l->n_syn--;
    l->n_accept++;
    return 0;
}

/* §3.10.7.4 fifth: the ACK field. */
static enum step
tcp_check_ack(struct stack *s, struct tcp_pcb *c, const struct tcp_seg *g)
{
    tcp_seq ack = g->h.ack;

    if (!(g->h.flags & TCP_ACK))
        return STEP_DROP;
    if (c->state == TCP_SYN_RECEIVED) {
        if (!(seq_lt(c->snd_una, ack) && seq_le(ack, c->snd_max))) {
            stack_why(s, WHY_RST_BAD_ACK, 0, 0, 0);
            tcp_send_rst(s, c->laddr, c->raddr, c->lport, c->rport, ack, 0, 0);
            return STEP_DROP;
        }
        if (tcp_to_acceptq(s, c) < 0)
            return STEP_DROP; /* the peer retransmits; maybe room then */
        c->snd_wnd = (uint32_t)g->h.wnd << c->snd_wscale;
        c->snd_wl1 = g->h.seq;
        c->snd_wl2 = ack;
        tcp_established(s, c, "ACK of SYN");
    }
    if (seq_gt(ack, c->snd_max)) { /* acks what we never sent */
        s->stats.tcp.rx_ack_unsent++;
        stack_why(s, WHY_ACK_UNSENT, 0, 0, 0);
        c->ack_now = 1;
        return STEP_DROP;
    }
    /* RFC 5961 §5.2: an ACK too far in the past is challenged */
    if (seq_lt(ack, c->snd_una - c->max_snd_wnd)) {
        s->stats.tcp.rx_ack_challenged++;
        stack_why(s, WHY_CHALLENGE_ACK, 5, 0, 0);
        tcp_send_challenge_ack(s, c);
        return STEP_DROP;
    }
    c->probes_out = 0; /* the peer is alive (as Linux's tcp_ack) */
    if (seq_gt(ack, c->snd_una) && g->h.has_ts)
        tcp_pmtu_delivered(s, c, 0, g->h.tsecr);
    if (c->sb.seg) { /* SACK: RFC 6675 and RACK-TLP decide */
        int advanced = seq_gt(ack, c->snd_una);
        if (advanced)
            tcp_ts_rtt(s, c, &g->h); /* RFC 7323 §4.1 RTTM */
        uint32_t acked = advanced ? tcp_ack_advance(s, c, ack) : 0;
        if (!tcp_sack_ack(s, c, &g->h, advanced) && advanced)
            tcp_cc_ack(s, c, acked);
        if (advanced)
            tcp_notify(s, c); /* send space */
    } else if (seq_gt(ack, c->snd_una)) {
        tcp_ts_rtt(s, c, &g->h); /* RFC 7323 §4.1 RTTM */
        uint32_t acked = tcp_ack_advance(s, c, ack);
        tcp_cc_ack(s, c, acked);
        tcp_notify(s, c); /* send space */
    } else if (ack == c->snd_una && g->len == 0 &&
               !(g->h.flags & (TCP_SYN | TCP_FIN)) &&
               ((uint32_t)g->h.wnd << c->snd_wscale) == c->snd_wnd && tcp_flight(c)) {
        /* RFC 5681 §2: a duplicate ACK */
        if (tcp_cc_dupack(s, c))
            tcp_retransmit_una(s, c); /* fast retransmit */
    }
    tcp_window_update(c, g);

    switch (c->state) {
    case TCP_FIN_WAIT_1:
        if (c->fin_acked) {
            tcp_set_state(s, c, TCP_FIN_WAIT_2, "ACK of FIN");
            if (c->app_closed) /* nobody will read: don't wait forever */
                c->t_2msl = s->now_us + TCP_FIN_TIMEOUT_US;
        }
        break;
    case TCP_CLOSING:
        if (c->fin_acked)
            tcp_enter_time_wait(s, c, "ACK of FIN");
        break;
    case TCP_LAST_ACK:
        if (c->fin_acked) {
            tcp_drop(s, c, 0);
            return STEP_DROP;
        }
        break;
    case TCP_TIME_WAIT: /* a retransmitted FIN: ACK it, restart 2 MSL */
        if (g->h.flags & TCP_FIN) {
            c->ack_now = 1;
            c->t_2msl = s->now_us + 2ull * s->cfg.tcp_msl_s * 1000000;
        }
        return STEP_DROP;
    default:
        break;
    }
    return STEP_GO;
}

static void tcp_fin(struct stack *s, struct tcp_pcb *c);

/* Append in-order bytes; returns how many fitted. */
static uint32_t
tcp_deliver(struct stack *s, struct tcp_pcb *c, const uint8_t *data, uint32_t len)
{
    /* short of budget: what storage there is takes what fits, and the
     * rest comes again (RFC 9293 §3.10.7.4: "if the segment ... cannot be
     * accepted", tcp.mem_refused) */
    tcp_ring_reserve(s, c, &c->rcv, c->rcv.len + len);
    uint32_t n = (uint32_t)ring_write(&c->rcv, data, len);

    c->rcv_nxt += n;
    if (len > c->rcv_mss && len <= UINT16_MAX)
        c->rcv_mss = (uint16_t)len; /* TCP_INFO's tcpi_rcv_mss */
    return n;
}

/* The states that take text (§3.10.7.4 seventh): after the peer's FIN
 * no more data can come. */
static int
tcp_text_state(const struct tcp_pcb *c)
{
    switch (c->state) {
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_FIN_WAIT_2: return 1;
    default: return 0;
    }
}

/* §3.10.7.4 seventh: segment text. */
static enum step
tcp_text(struct stack *s, struct tcp_pcb *c, const struct tcp_seg *g)
{
    if (!tcp_text_state(c))
        return STEP_GO;
    if (g->len == 0)
        return STEP_GO;
    if (g->h.seq != c->rcv_nxt) {
        tcp_ooo_insert(s, c, g->h.seq, g->data, g->len, (g->h.flags & TCP_FIN) != 0);
        stack_why(s, WHY_ACK_OOO, 0, 0, 0);
        c->ack_now = 1; /* RFC 5681 §4.2: a duplicate ACK at once */
        return STEP_DROP;
    }
    uint32_t n = tcp_deliver(s, c, g->data, g->len);
    if (c->n_ooo) {
        if (tcp_ooo_pull(c))
            tcp_fin(s, c);
        stack_why(s, WHY_ACK_HOLE_FILLED, 0, 0, 0);
        c->ack_now = 1; /* RFC 5681 §4.2: ACK at once when a hole fills */
    } else if (++c->delack_segs >= 2) {
        stack_why(s, WHY_ACK_DELAYED_2ND, 0, 0, 0);
        c->ack_now = 1; /* RFC 1122 §4.2.3.2: at least every second segment */
    } else if (!c->t_delack) {
        c->t_delack = s->now_us + TCP_DELACK_US;
    }
    tcp_notify(s, c);
    return n == g->len ? STEP_GO : STEP_DROP; /* a cut segment loses its FIN */
}

/* §3.10.7.4 eighth: the FIN, once it is in order. */
static void
tcp_fin(struct stack *s, struct tcp_pcb *c)
{
    c->rcv_nxt++;
    c->rcv_fin = 1;
    stack_why(s, WHY_ACK_FIN, 0, 0, 0);
    c->ack_now = 1;
    switch (c->state) {
    case TCP_SYN_RECEIVED:
    case TCP_ESTABLISHED:
        tcp_set_state(s, c, TCP_CLOSE_WAIT, "rcv FIN");
        break;
    case TCP_FIN_WAIT_1: /* the ACK of our FIN would have made it FIN_WAIT_2 */
        tcp_set_state(s, c, TCP_CLOSING, "rcv FIN (simultaneous close)");
        break;
    case TCP_FIN_WAIT_2:
        tcp_enter_time_wait(s, c, "rcv FIN");
        break;
    default:
        break;
    }
    tcp_notify(s, c);
}

static void
tcp_check_fin(struct stack *s, struct tcp_pcb *c, const struct tcp_seg *g)
{
    if (!(g->h.flags & TCP_FIN))
        return;
    if (g->h.seq + g->len != c->rcv_nxt) {
        if (seq_gt(g->h.seq + g->len, c->rcv_nxt) && g->len == 0 &&
            tcp_text_state(c)) { /* a bare FIN beyond a hole */
            tcp_ooo_insert(s, c, g->h.seq, NULL, 0, 1);
            c->ack_now = 1; /* RFC 5681 §4.2: a duplicate ACK at once */
        }
        return;
    }
    switch (c->state) {
    case TCP_CLOSE_WAIT:
    case TCP_CLOSING:
    case TCP_LAST_ACK:
    case TCP_TIME_WAIT:
        c->ack_now = 1; /* a retransmitted FIN */
        return;
    default:
        tcp_fin(s, c);
    }
}

/* §3.10.7.4: every state past SYN-SENT. */
static void
tcp_sync_input(struct stack *s, struct tcp_pcb *c, struct tcp_seg *g)
{
    /* the peer repeats its SYN: our SYN,ACK was lost; send it again now
     * rather than at our retransmission timeout (as Linux does) */
    if (c->state == TCP_SYN_RECEIVED && (g->h.flags & (TCP_SYN | TCP_ACK)) == TCP_SYN &&
        g->h.seq == c->irs) {
        c->snd_nxt = c->iss;
        tcp_output(s, c);
        return;
    }
    if (tcp_ts_paws_reject(s, c, &g->h)) /* RFC 7323 §5.3 R1 */
        goto out;
    if (tcp_check_seq(s, c, g) == STEP_DROP || tcp_check_rst(s, c, g) == STEP_DROP ||
        tcp_check_syn(s, c, g) == STEP_DROP || tcp_check_ack(s, c, g) == STEP_DROP)
        goto out;
    if (c->keepalive) {
        c->keep_sent = 0;
        c->t_keep = s->now_us + (uint64_t)c->keep_idle_s * 1000000;
    }
    if (tcp_text(s, c, g) == STEP_GO)
        tcp_check_fin(s, c, g);
out:
    if (c->state != TCP_CLOSED)
        tcp_output(s, c);
}

static void
tcp_count_bad(struct stack *s, enum tcp_bad why)
{
    switch (why) {
    case TCP_BAD_LEN: s->stats.tcp.rx_bad_len++; break;
    case TCP_BAD_DOFF: s->stats.tcp.rx_bad_doff++; break;
    case TCP_BAD_CKSUM: s->stats.tcp.rx_bad_cksum++; break;
    case TCP_BAD_OPT: s->stats.tcp.rx_bad_opt++; break;
    case TCP_BAD_NONE: break;
    }
}

void
tcp_input(struct stack *s, struct pkb *p, const struct ip_meta *m)
{
    struct tcp_seg g = {.src = m->src, .dst = m->dst};
    enum tcp_bad why;
    struct tcp_pcb *c, *l;
    struct tcp_tw *tw;

    s->stats.tcp.rx_segments++;
    if (m->bcast) { /* RFC 9293 §3.9.1: not for broadcast or multicast */
        s->stats.tcp.rx_bcast++;
        goto drop;
    }
    if (tcp_parse(pkb_data(p), p->len, m->src, m->dst, &g.h, &why) < 0) {
        tcp_count_bad(s, why);
        goto drop;
    }
    g.data = pkb_data(p) + g.h.hdr_len;
    g.len = p->len - g.h.hdr_len;
    if (s->log.level >= LOG_DEBUG) {
        char b[96];
        SLOG(s, LOG_DEBUG, "tcp", "rx %s", tcp_fmt(&g.h, g.len, b, sizeof(b)));
    }
    TCP_TRACE(s, tcp_trace_seg(s, 0, &g.h, g.dst, g.src, g.len));
    c = tcp_lookup(s, &g, &l);
    tw = c ? NULL : tcp_tw_lookup(s, g.dst, g.h.dport, g.src, g.h.sport);
    if (tw && !tcp_tw_input(s, tw, &g.h, g.len, l))
        goto done; /* TIME-WAIT answered it (a new SYN goes on to l) */
    if (c)
        c->last_rx_us = s->now_us;
    if (!c && l)
        tcp_listen_input(s, l, &g);
    else if (!c)
        tcp_closed_input(s, &g);
    else if (c->state == TCP_SYN_SENT)
        tcp_syn_sent_input(s, c, &g);
    else
        tcp_sync_input(s, c, &g);
    if (c)
        tcp_timer_sched(s, c);
    if (l)
        tcp_timer_sched(s, l);
done:
    tcp_reap(s);
drop:
    pkb_free(p);
}
