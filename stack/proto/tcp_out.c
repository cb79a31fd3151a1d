/*
 * tcp_out.c - TCP output: building segments, deciding what to send.
 *
 * tcp_output() sends whatever the windows allow: new data cut to SND.MSS
 * less the options every segment carries (tcp_eff_mss: 12 bytes with
 * timestamps, RFC 7323 §3.2, RFC 6691),
 * limited by min(SND.WND, cwnd) minus what is in flight, held back by
 * Nagle (RFC 896, RFC 1122 §4.2.3.4) and sender silly window avoidance,
 * then the FIN once the data is out. The receive window we advertise
 * follows RFC 1122 §4.2.3.3 (receiver SWS avoidance: the right edge moves
 * only by a useful amount, and never back, RFC 9293 §3.8.6.2.2).
 */
#include <errno.h>
#include <string.h>

#include "proto/ipv4.h"
#include "proto/tcp.h"
#include "proto/tcp_trace.h"
#include "stack_var.h"
#include "wire/ipv4_hdr.h"
#include "wire/tcp_hdr.h"

/* Not seq_gt(SND.UNA, ISS): modulo 2^32 (RFC 9293 §3.4) that stops
 * being true once 2 GiB have been acknowledged. */
tcp_seq
tcp_data_seq0(const struct tcp_pcb *c)
{
    return c->syn_acked ? c->snd_una : c->iss + 1;
}

uint32_t
tcp_flight(const struct tcp_pcb *c)
{
    return c->snd_nxt - c->snd_una;
}

static uint16_t
tcp_our_mss(const struct stack *s)
{
    return (uint16_t)(s->cfg.mtu - IPV4_HDR_MIN - TCP_HDR_MIN);
}

/* The window field to send, and RCV.WND / the advertised edge updated. */
static uint16_t
tcp_rcv_window(struct tcp_pcb *c, int syn)
{
    uint32_t space = c->rcv.cap ? (uint32_t)ring_space(&c->rcv) : 0;
    tcp_seq edge = c->rcv_nxt + space;

    if (syn) { /* RFC 7323 §2.2: the window in a SYN is never scaled */
        uint32_t field = space > 65535 ? 65535 : space;
        /* a SYN,ACK offers this window: segments may use it at once */
        if (c->state != TCP_SYN_SENT) {
            c->rcv_wnd = field;
            if (seq_gt(c->rcv_nxt + field, c->rcv_adv))
                c->rcv_adv = c->rcv_nxt + field;
        }
        return (uint16_t)field;
    }
    /* RFC 1122 §4.2.3.3: move the edge only by min(buffer / 2, MSS) or
     * more; also, and above all, when the window offered is 0 (the edge is
     * at RCV.NXT). Not when a FIN took RCV.NXT past the edge. */
    uint32_t step = c->rcv.cap / 2 < c->snd_mss ? (uint32_t)c->rcv.cap / 2 : c->snd_mss;
    if (seq_gt(edge, c->rcv_adv) && edge - c->rcv_adv < step &&
        seq_ge(c->rcv_adv, c->rcv_nxt))
        edge = c->rcv_adv;
    if (seq_lt(edge, c->rcv_adv))
        edge = c->rcv_adv; /* never shrink */
    uint32_t wnd = edge - c->rcv_nxt;
    uint32_t field = wnd >> c->rcv_wscale;
    if (field > 65535)
        field = 65535;
    c->rcv_wnd = field << c->rcv_wscale;
    if (seq_gt(c->rcv_nxt + c->rcv_wnd, c->rcv_adv))
        c->rcv_adv = c->rcv_nxt + c->rcv_wnd;
    return (uint16_t)field;
}

/* The reason this segment leaves (core/why.h): the one recorded if it
 * fits the segment, else one that describes it. Returns whether the
 * recorded one was used. */
static int
tcp_why_pick(struct stack *s, const struct tcp_pcb *c, tcp_seq seq, uint32_t len,
             uint8_t flags)
{
    int data = len || (flags & TCP_FIN), syn = (flags & TCP_SYN) != 0;

    if (why_fits_tcp((enum why_kind)s->why.kind, data, syn))
        return 1;
    if (syn)
        stack_why(s, c->state == TCP_SYN_SENT ? WHY_SYN : WHY_SYN_ACK, 0, 0, 0);
    else if (data && seq_lt(seq, c->snd_max))
        stack_why(s, WHY_RETRANSMIT, len, 0, 0);
    else if (len)
        stack_why(s, WHY_DATA, len, 0, 0);
    else if (data)
        stack_why(s, WHY_FIN_APP, 0, 0, 0);
    else
        stack_why(s, WHY_ACK, 0, 0, 0);
    return 0;
}

int
tcp_xmit(struct stack *s, struct tcp_pcb *c, tcp_seq seq, uint32_t len, uint8_t flags)
{
    struct tcp_repr r = {.sport = c->lport, .dport = c->rport, .seq = seq,
                         .ack = c->rcv_nxt, .flags = flags};

    if (c->state != TCP_SYN_SENT)
        r.flags |= TCP_ACK;
    if (flags & TCP_SYN) {
        r.mss = tcp_our_mss(s);
        /* RFC 7323 §2.2: offer scaling on an active SYN; answer it only
         * if the peer offered it */
        if (c->state == TCP_SYN_SENT || c->wscale_ok) {
            r.has_wscale = 1;
            r.wscale = c->rcv_wscale;
        }
        /* RFC 2018 §2: likewise SACK-Permitted */
        r.sack_perm = c->state == TCP_SYN_SENT || c->sack_ok;
    } else if (r.flags & TCP_ACK) {
        tcp_sack_fill(s, c, &r);
    }
    tcp_ts_out(s, c, &r);
    /* the blocks must not push the frame past the path MTU (DF is set) */
    while (r.nsack && tcp_hdr_len(&r) + len + IPV4_HDR_MIN > c->pmtu)
        r.nsack--;
    r.wnd = tcp_rcv_window(c, flags & TCP_SYN);
    size_t hl = tcp_hdr_len(&r);
    struct pkb *p = pkb_alloc(&s->pool, hl + len);
    if (!p) {
        s->stats.tcp.tx_nobufs++;
        return -ENOBUFS;
    }
    uint8_t *h = pkb_put(p, hl + len);
    if (len)
        ring_peek(&c->snd, seq - tcp_data_seq0(c), h + hl, len);
    tcp_emit(&r, h, hl + len, c->laddr, c->raddr);
    if (r.flags & TCP_ACK) {
        c->t_delack = 0;
        c->delack_segs = 0;
        c->ack_now = 0;
    }
    s->stats.tcp.tx_segments++;
    s->stats.tcp.tx_data_bytes += len;
    if (s->log.level >= LOG_DEBUG) {
        char b[96];
        SLOG(s, LOG_DEBUG, "tcp", "tx %s", tcp_fmt(&r, len, b, sizeof(b)));
    }
    TCP_TRACE(s, tcp_trace_xmit(s, c, &r, len));
    /* a reason that did not fit waits for its segment (an ACK's behind
     * data); "app wrote" explains every segment of that write */
    struct why keep = s->why;
    int used = tcp_why_pick(s, c, seq, len, flags);
    int rc = ipv4_output(s, p, c->raddr, IP_PROTO_TCP, tcp_ip_flags(c));
    s->why = used && keep.kind != WHY_DATA_APP ? (struct why){0} : keep;
    return rc;
}

/* The sequence number of a segment without data: SND.NXT, unless data of
 * ours lies beyond the peer's window (it shut the window on it, or dropped
 * what it had SACKed). The peer accepts a bare ACK only inside its window
 * (RFC 9293 §3.10.7.4), so it carries the window's right edge then, as
 * Linux's tcp_acceptable_seq. */
static tcp_seq
tcp_ack_seq(const struct tcp_pcb *c)
{
    tcp_seq edge = c->snd_una + c->snd_wnd;

    return seq_gt(c->snd_nxt, edge) && seq_ge(edge, c->snd_una) ? edge : c->snd_nxt;
}

void
tcp_send_ack(struct stack *s, struct tcp_pcb *c)
{
    /* no buffer: the ACK is still owed. As Linux's tcp_send_ack, the
     * delayed ACK timer comes back to it later, never at a deadline that
     * has passed (the event loop would spin on it) */
    if (tcp_xmit(s, c, tcp_ack_seq(c), 0, 0) == -ENOBUFS)
        c->t_delack = s->now_us + TCP_DELACK_US;
}

/* RFC 5961 §7: challenge ACKs are rate-limited, engine-wide. A fixed
 * budget is a side channel (CVE-2016-5696: an off-path attacker counts
 * the challenge ACKs it provokes, and what is missing went to the
 * connection it probes). As Linux after that CVE (tcp_send_challenge_ack):
 * a budget for each second of the clock, drawn afresh from
 * [limit/2, limit/2 + limit) with the seeded RNG. */
static int
tcp_challenge_allowed(struct stack *s)
{
    uint32_t limit = s->cfg.tcp_challenge_per_s;
    uint64_t sec = s->now_us / 1000000 + 1; /* + 1: 0 is "never" */

    if (sec != s->tcp.challenge_sec) {
        s->tcp.challenge_sec = sec;
        s->tcp.challenge_left =
            limit ? (limit + 1) / 2 + rng_range(&s->rng, 0, limit - 1) : 0;
    }
    if (!s->tcp.challenge_left)
        return 0;
    s->tcp.challenge_left--;
    return 1;
}

int
tcp_challenge_ok(struct stack *s)
{
    if (!tcp_challenge_allowed(s)) {
        s->stats.tcp.challenge_limited++;
        return 0;
    }
    s->stats.tcp.challenge_acks++;
    return 1;
}

void
tcp_send_challenge_ack(struct stack *s, struct tcp_pcb *c)
{
    if (tcp_challenge_ok(s))
        tcp_send_ack(s, c);
}

void
tcp_send_ctl(struct stack *s, struct tcp_repr *r, uint32_t laddr, uint32_t raddr)
{
    size_t hl = tcp_hdr_len(r);
    struct pkb *p = pkb_alloc(&s->pool, hl);

    if (s->why.kind == WHY_NONE)
        stack_why(s, (r->flags & TCP_SYN) ? WHY_SYN_ACK : WHY_ACK, 0, 0, 0);
    if (!p) {
        s->stats.tcp.tx_nobufs++;
        return;
    }
    tcp_emit(r, pkb_put(p, hl), hl, laddr, raddr);
    s->stats.tcp.tx_segments++;
    if (s->log.level >= LOG_DEBUG) {
        char b[96];
        SLOG(s, LOG_DEBUG, "tcp", "tx %s", tcp_fmt(r, 0, b, sizeof(b)));
    }
    TCP_TRACE(s, tcp_trace_seg(s, 1, r, laddr, raddr, 0));
    ipv4_output(s, p, raddr, IP_PROTO_TCP, IPV4_OUT_DF);
}

void
tcp_send_rst(struct stack *s, uint32_t src, uint32_t dst, uint16_t sport,
             uint16_t dport, tcp_seq seq, tcp_seq ack, int with_ack)
{
    struct tcp_repr r = {.sport = sport, .dport = dport, .seq = seq,
                         .ack = with_ack ? ack : 0,
                         .flags = (uint8_t)(TCP_RST | (with_ack ? TCP_ACK : 0))};
    struct pkb *p = pkb_alloc(&s->pool, TCP_HDR_MIN);

    if (s->why.kind < WHY_RST_NO_LISTENER) /* the RST reasons end the list */
        stack_why(s, WHY_RST_OTHER, 0, 0, 0);
    if (!p) {
        s->stats.tcp.tx_nobufs++;
        return;
    }
    tcp_emit(&r, pkb_put(p, TCP_HDR_MIN), TCP_HDR_MIN, src, dst);
    s->stats.tcp.tx_rst++;
    TCP_TRACE(s, tcp_trace_seg(s, 1, &r, src, dst, 0));
    ipv4_output(s, p, dst, IP_PROTO_TCP, IPV4_OUT_DF);
}

/* The SYN (or SYN,ACK) while the handshake is under way. */
static void
tcp_output_syn(struct stack *s, struct tcp_pcb *c)
{
    if (c->snd_nxt != c->iss)
        return; /* sent; the retransmission timer rewinds snd_nxt */
    uint8_t flags = TCP_SYN;
    if (c->backoff == 0 && !c->rtt_timing) {
        c->rtt_timing = 1;
        c->rtt_seq = c->iss + 1;
        c->rtt_start_us = s->now_us;
    }
    tcp_xmit(s, c, c->iss, 0, flags);
    c->snd_nxt = c->iss + 1;
    if (seq_gt(c->snd_nxt, c->snd_max))
        c->snd_max = c->snd_nxt;
    if (!c->t_rexmt)
        tcp_timer_rexmt_restart(s, c);
}

/* Bytes of new data the windows let go now: the peer's window (RFC 9293
 * §3.8.6.2.1) less what is sent beyond SND.UNA, and cwnd less what is in
 * flight (RFC 5681 §3; with a scoreboard, RFC 6675's pipe). */
static uint32_t
tcp_usable(const struct tcp_pcb *c)
{
    uint32_t sent = tcp_flight(c);
    uint32_t flight = c->sb.seg ? tcp_sb_pipe(c) : sent;
    uint32_t by_wnd = c->snd_wnd > sent ? c->snd_wnd - sent : 0;
    uint32_t by_cwnd = c->cwnd > flight ? c->cwnd - flight : 0;

    return by_wnd < by_cwnd ? by_wnd : by_cwnd;
}

/* Nagle and sender SWS avoidance (RFC 1122 §4.2.3.4): may a segment of
 * n bytes go now, with `unsent` bytes queued? */
static int
tcp_may_send(const struct tcp_pcb *c, uint32_t n, uint32_t unsent)
{
    if (n >= tcp_eff_mss(c))
        return 1;
    /* Nagle holds back new data only: the tail sent before goes again at
     * once (after the MSS fell, tcp_pmtu.c, it can be short) */
    if (n == unsent && (c->nodelay || tcp_flight(c) == 0 || seq_lt(c->snd_nxt, c->snd_max)))
        return 1;
    return c->max_snd_wnd && n >= c->max_snd_wnd / 2;
}

static void
tcp_output_run(struct stack *s, struct tcp_pcb *c)
{
    switch (c->state) {
    case TCP_CLOSED:
    case TCP_LISTEN:
        return;
    case TCP_SYN_SENT:
    case TCP_SYN_RECEIVED:
        tcp_output_syn(s, c);
        if (c->ack_now && c->state == TCP_SYN_RECEIVED && c->snd_nxt != c->iss)
            tcp_send_ack(s, c);
        return;
    default:
        break;
    }
    /* closed in SYN_RECEIVED, the FIN sent behind a SYN not yet
     * acknowledged, and the timer went back to it: the SYN first */
    if (!c->syn_acked && c->snd_nxt == c->iss)
        tcp_output_syn(s, c);
    if (c->sb.seg)
        tcp_sack_retransmit(s, c);
    tcp_seq seq0 = tcp_data_seq0(c);
    uint32_t unsent = 0;
    int nobufs = 0, sent_new = 0;
    for (;;) {
        uint32_t off = c->snd_nxt - seq0;
        unsent = off < c->snd.len ? (uint32_t)c->snd.len - off : 0;
        uint32_t usable = tcp_usable(c);
        /* the SACK blocks the segment will carry come out of its data, as
         * Linux's tcp_current_mss: a full segment keeps them (RFC 2018 §4) */
        uint32_t mss = tcp_eff_mss(c) - tcp_sack_room(c);
        uint32_t n = unsent < mss ? unsent : mss;
        if (n > usable)
            n = usable;
        tcp_seq fin_seq = seq0 + (uint32_t)c->snd.len;
        int fin = c->fin_queued && !c->fin_acked && n == unsent &&
                  c->snd_nxt + n == fin_seq;
        if (n == 0 && !fin)
            break;
        /* a segment that carries the FIN is never held back: nothing can
         * join it (Linux's tcp_nagle_test and BSD's tcp_output agree) */
        if (n && !fin && !tcp_may_send(c, n, unsent))
            break;
        uint8_t flags = (uint8_t)((fin ? TCP_FIN : 0) | (n && n == unsent ? TCP_PSH : 0));
        if (seq_lt(c->snd_nxt, c->snd_max)) {
            s->stats.tcp.retransmitted_segs++;
        } else if (!c->rtt_timing) {
            c->rtt_timing = 1; /* Karn: time only new data */
            c->rtt_seq = c->snd_nxt + n + (fin ? 1 : 0);
            c->rtt_start_us = s->now_us;
        }
        if (tcp_sb_full(c) && c->sb.n == c->sb.cap)
            break; /* no record for it: wait for ACKs to free some */
        if (tcp_xmit(s, c, c->snd_nxt, n, flags) == -ENOBUFS) {
            nobufs = 1;
            break;
        }
        if (seq_ge(c->snd_nxt, c->snd_max))
            tcp_sb_sent(s, c, c->snd_nxt, n + (fin ? 1 : 0), fin);
        sent_new = 1;
        c->snd_nxt += n + (fin ? 1 : 0);
        if (seq_gt(c->snd_nxt, c->snd_max))
            c->snd_max = c->snd_nxt;
        if (!c->t_rexmt)
            tcp_timer_rexmt_restart(s, c);
        c->t_persist = 0;
        if (fin)
            break;
    }
    /* RFC 9293 §3.8.6.1: data waits but nothing is in flight to bring an
     * ACK (the window is shut or too small): the persist timer probes */
    if (unsent && tcp_flight(c) == 0 && !c->t_persist && !c->t_rexmt) {
        c->persist_shift = 0;
        c->t_persist = s->now_us + (c->rto_us > TCP_PERSIST_MIN_US ? c->rto_us
                                                                  : TCP_PERSIST_MIN_US);
    }
    /* The segment found no buffer (the pool, or the loop queue of local
     * delivery, was full) and was not sent. With something in flight the
     * next ACK or the retransmission timer comes back to it, and data with
     * nothing in flight has the persist timer; a FIN alone has neither, and
     * would wait for ever: the retransmission timer runs for it (as
     * FreeBSD's tcp_output keeps it running on ENOBUFS) */
    if (nobufs && !c->t_rexmt && !c->t_persist)
        tcp_timer_rexmt_restart(s, c);
    if (sent_new && c->sb.seg)
        tcp_tlp_arm(s, c);
    if (c->ack_now)
        tcp_send_ack(s, c);
}

/* Send what c may send now; its timers follow (tcp_timer_sched). */
void
tcp_output(struct stack *s, struct tcp_pcb *c)
{
    tcp_output_run(s, c);
    tcp_timer_sched(s, c);
}

/* The first unacknowledged segment again (fast retransmit, RFC 5681
 * §3.2; a NewReno partial ACK, RFC 6582 §3.2 step 3). Karn: it is not
 * timed, and any timing under way is abandoned. */
void
tcp_retransmit_una(struct stack *s, struct tcp_pcb *c)
{
    tcp_seq seq0 = tcp_data_seq0(c);
    uint32_t off = c->snd_una - seq0;
    uint32_t n = off < c->snd.len ? (uint32_t)c->snd.len - off : 0;

    if (n > tcp_eff_mss(c))
        n = tcp_eff_mss(c);
    c->rtt_timing = 0;
    c->retransmits++;
    s->stats.tcp.retransmitted_segs++;
    if (s->why.kind != WHY_PARTIAL_ACK)
        stack_why(s, WHY_FAST_RETRANSMIT, c->dupacks, 0, 0);
    tcp_xmit(s, c, c->snd_una, n,
             (uint8_t)(c->fin_queued && n == c->snd.len - off && !c->fin_acked ? TCP_FIN : 0));
}

/* The persist timer fired and the window is open but smaller than SWS
 * avoidance wants: send what fits (RFC 1122 §4.2.3.4 override). */
void
tcp_output_force(struct stack *s, struct tcp_pcb *c)
{
    tcp_seq seq0 = tcp_data_seq0(c);
    uint32_t off = c->snd_nxt - seq0;
    uint32_t unsent = off < c->snd.len ? (uint32_t)c->snd.len - off : 0;
    uint32_t n = unsent < c->snd_wnd ? unsent : c->snd_wnd;

    if (n > tcp_eff_mss(c))
        n = tcp_eff_mss(c);
    if (!n || tcp_flight(c))
        return;
    stack_why(s, WHY_PERSIST_FORCE, 0, 0, 0);
    if (tcp_xmit(s, c, c->snd_nxt, n, TCP_PSH) < 0)
        return;
    tcp_sb_sent(s, c, c->snd_nxt, n, 0);
    c->snd_nxt += n;
    if (seq_gt(c->snd_nxt, c->snd_max))
        c->snd_max = c->snd_nxt;
    if (!c->t_rexmt)
        tcp_timer_rexmt_restart(s, c);
}
