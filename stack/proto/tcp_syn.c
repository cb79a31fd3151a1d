/*
 * tcp_syn.c - a listener's half-open connections: the SYN queue, and SYN
 * cookies (RFC 4987 §3.6) once it is full.
 *
 * Owns the synq list and cookie_us of a listener, and the flood summary
 * of struct stack. A SYN on a listener (RFC 9293 §3.10.7.2) makes a
 * struct tcp_syn_entry of a few dozen bytes, not a connection block and
 * two rings: the SYN,ACK and its retransmissions (RFC 6298 backoff,
 * TCP_SYN_RETRIES tries) come from the entry, and RFC 9293 §3.10.7.4's checks for
 * SYN-RECEIVED are made on it. The ACK that completes the handshake builds the block, its
 * rings (allocate at commitment) and hands it to tcp_in.c in SYN_RECEIVED, where the
 * usual steps take it to ESTABLISHED with whatever data the ACK holds.
 *
 * When the queue holds 2 * backlog + TCP_SYNQ_EXTRA entries, or the
 * engine's memory budget is spent, a SYN is answered statelessly: the
 * SYN,ACK's ISN is a cookie, as Linux's (net/ipv4/syncookies.c):
 *   ISS = H0(4-tuple) + IRS + (count << 24)
 *         + ((H1(4-tuple, count) + mss_index) & 0xffffff)
 * with H0 and H1 SipHash-2-4 under the RFC 6528 secret (tags 'c', 'C'),
 * count a coarse clock of COOKIE_PERIOD_US, and mss_index into a small
 * table of common MSS values. When the peer offers timestamps, its window
 * scale and SACK-Permitted ride in the low COOKIE_TS_BITS of our TSval,
 * which the ACK echoes in its TSecr; without timestamps the SYN,ACK offers
 * neither (nothing would remember them). The ACK is checked the other way
 * round; a cookie older than COOKIE_MAX_AGE periods, or forged, fails
 * (tcp.syncookies_bad) and gets the RST any stray ACK gets.
 *
 * Floods are logged as one summary line a second at most (tcp_syn_note),
 * never a line a SYN.
 *
 * Leaves out: data on the SYN (TCP Fast Open); a cookie carries no ECN bit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/siphash.h"
#include "proto/ipv4.h"
#include "proto/tcp.h"
#include "stack_var.h"
#include "wire/ipv4_hdr.h"
#include "wire/tcp_hdr.h"

#define COOKIE_PERIOD_US (60ull * 1000000) /* Linux: a minute */
#define COOKIE_MAX_AGE 2                   /* Linux MAX_SYNCOOKIE_AGE */
#define COOKIE_TS_BITS 6                   /* Linux TSBITS */
#define COOKIE_TS_MASK ((1u << COOKIE_TS_BITS) - 1)
#define COOKIE_WS_NONE 0x0f
#define COOKIE_SACK 0x10
#define SYN_LOG_US 1000000

/* Linux's msstab (net/ipv4/syncookies.c): the MSS a cookie can carry */
static const uint16_t cookie_mss[] = {536, 1300, 1440, 1460};
#define COOKIE_NMSS (sizeof(cookie_mss) / sizeof(cookie_mss[0]))

static uint32_t
syn_limit(const struct tcp_pcb *l)
{
    return 2 * l->backlog + TCP_SYNQ_EXTRA;
}

static struct tcp_syn_entry *
syn_find(const struct stack *s, const struct tcp_pcb *l, uint32_t raddr, uint16_t rport,
         uint32_t laddr)
{
    return tcp_syn_find(s, laddr, l->lport, raddr, rport);
}

static void
syn_remove(struct stack *s, struct tcp_pcb *l, struct tcp_syn_entry *e)
{
    for (struct tcp_syn_entry **pp = &l->synq; *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    }
    tcp_syn_hash_remove(s, e);
    if (e->t_rexmt == l->synq_at)
        l->synq_at = tcp_syn_poll_at(s, l); /* the earliest left */
    l->n_syn--;
    tcp_mem_uncharge(s, sizeof(*e));
    free(e);
}

/* The window of a SYN,ACK (RFC 7323 §2.2: never scaled). */
static uint16_t
syn_wnd(const struct tcp_pcb *l)
{
    return (uint16_t)(l->rcvbuf > 65535 ? 65535 : l->rcvbuf);
}

/* RFC 7323 §5.4: our TSval now for the entry's 4-tuple. */
static uint32_t
syn_tsval(const struct stack *s, const struct tcp_pcb *l, const struct tcp_syn_entry *e)
{
    return (uint32_t)(s->now_us / 1000) +
           tcp_ts_offset4(s, e->laddr, l->lport, e->raddr, e->rport);
}

/* Send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> (flags SYN) or the ACK of
 * SYN-RECEIVED <SEQ=ISS+1><ACK=RCV.NXT> (flags 0), with the TSval given. */
static void
syn_send(struct stack *s, const struct tcp_pcb *l, const struct tcp_syn_entry *e,
         uint8_t flags, uint32_t tsval)
{
    struct tcp_repr r = {.sport = l->lport,
                         .dport = e->rport,
                         .ack = e->irs + 1,
                         .flags = (uint8_t)(flags | TCP_ACK),
                         .wnd = syn_wnd(l)};
    int ws = e->snd_wscale != TCP_WS_NONE;

    r.seq = (flags & TCP_SYN) ? e->iss : e->iss + 1;
    if (flags & TCP_SYN) {
        r.mss = (uint16_t)(s->cfg.mtu - IPV4_HDR_MIN - TCP_HDR_MIN);
        r.has_wscale = (uint8_t)ws; /* RFC 7323 §2.2: answered if offered */
        r.wscale = tcp_wscale_for(l->rcvbuf);
        r.sack_perm = e->sack_ok; /* RFC 2018 §2: likewise */
    } else if (ws) {
        uint32_t w = l->rcvbuf >> tcp_wscale_for(l->rcvbuf);
        r.wnd = (uint16_t)(w > 65535 ? 65535 : w);
    }
    if (e->ts_ok) { /* RFC 7323 §3.2: only if the peer's SYN had them */
        r.has_ts = 1;
        r.tsval = tsval;
        r.tsecr = e->ts_recent;
    }
    tcp_send_ctl(s, &r, e->laddr, e->raddr);
}

/* What the peer's SYN tells (RFC 9293 §3.7.1: MSS 536 if absent). */
static void
syn_parse(struct tcp_syn_entry *e, const struct tcp_repr *h, uint32_t src, uint32_t dst)
{
    *e = (struct tcp_syn_entry){.laddr = dst,
                                .raddr = src,
                                .rport = h->sport,
                                .irs = h->seq,
                                .mss = h->mss ? h->mss : 536,
                                .wnd = h->wnd,
                                .sack_ok = h->sack_perm,
                                .ts_ok = h->has_ts,
                                .ts_recent = h->tsval};
    e->snd_wscale = h->has_wscale ? h->wscale : TCP_WS_NONE;
    if (e->snd_wscale != TCP_WS_NONE && e->snd_wscale > 14)
        e->snd_wscale = 14; /* RFC 7323 §2.3 */
}

/* ---- cookies ---- */

static uint32_t
cookie_hash(const struct stack *s, const struct tcp_pcb *l, const struct tcp_syn_entry *e,
            uint32_t count, uint8_t tag)
{
    uint8_t t[17];

    memcpy(t, &e->laddr, 4);
    memcpy(t + 4, &e->raddr, 4);
    memcpy(t + 8, &l->lport, 2);
    memcpy(t + 10, &e->rport, 2);
    memcpy(t + 12, &count, 4);
    t[16] = tag;
    return (uint32_t)siphash24(s->tcp.isn_key, t, sizeof(t));
}

static uint32_t
cookie_count(const struct stack *s)
{
    return (uint32_t)(s->now_us / COOKIE_PERIOD_US);
}

static tcp_seq
cookie_make(const struct stack *s, const struct tcp_pcb *l, const struct tcp_syn_entry *e,
            uint32_t mss_index)
{
    uint32_t count = cookie_count(s);

    return cookie_hash(s, l, e, 0, 'c') + e->irs + (count << 24) +
           ((cookie_hash(s, l, e, count, 'C') + mss_index) & 0xffffff);
}

/* The MSS index a cookie carries, or -1 if it is stale or forged. */
static int
cookie_check(const struct stack *s, const struct tcp_pcb *l,
             const struct tcp_syn_entry *e)
{
    uint32_t count = cookie_count(s);
    uint32_t v = e->iss - cookie_hash(s, l, e, 0, 'c') - e->irs;
    uint32_t age = (count - (v >> 24)) & 0xff;

    if (age >= COOKIE_MAX_AGE)
        return -1;
    uint32_t idx = (v - cookie_hash(s, l, e, count - age, 'C')) & 0xffffff;
    return idx < COOKIE_NMSS ? (int)idx : -1;
}

/* Linux's cookie_init_timestamp: the options in the low bits of a TSval
 * that never runs ahead of our clock. */
static uint32_t
cookie_tsval(uint32_t now_ts, const struct tcp_syn_entry *e)
{
    uint32_t opts = e->snd_wscale == TCP_WS_NONE ? COOKIE_WS_NONE : e->snd_wscale;
    uint32_t ts = (now_ts & ~COOKIE_TS_MASK) | opts | (e->sack_ok ? COOKIE_SACK : 0);

    return (int32_t)(ts - now_ts) > 0 ? ts - (COOKIE_TS_MASK + 1) : ts;
}

/* The SYN queue is full: answer with a cookie, keep nothing. */
static void
cookie_send(struct stack *s, struct tcp_pcb *l, struct tcp_syn_entry *e)
{
    uint32_t i = COOKIE_NMSS - 1;

    while (i > 0 && cookie_mss[i] > e->mss)
        i--;
    if (!e->ts_ok) { /* nowhere to keep them */
        e->snd_wscale = TCP_WS_NONE;
        e->sack_ok = 0;
    }
    e->iss = cookie_make(s, l, e, i);
    stack_why(s, WHY_SYN_ACK_COOKIE, 0, 0, 0);
    syn_send(s, l, e, TCP_SYN, cookie_tsval(syn_tsval(s, l, e), e));
    s->stats.tcp.syncookies_sent++;
    l->cookie_us = s->now_us;
    tcp_syn_note(s, 1);
}

/* An ACK for no entry: rebuild the entry from a valid cookie. Returns 1
 * if it is one, 0 if not. */
static int
cookie_input(struct stack *s, struct tcp_pcb *l, const struct tcp_repr *h, uint32_t src,
             uint32_t dst, struct tcp_syn_entry *e)
{
    if (!l->cookie_us || s->now_us - l->cookie_us > COOKIE_MAX_AGE * COOKIE_PERIOD_US)
        return 0; /* no cookie sent lately: not one (as Linux) */
    *e = (struct tcp_syn_entry){.laddr = dst,
                                .raddr = src,
                                .rport = h->sport,
                                .irs = h->seq - 1,
                                .iss = h->ack - 1,
                                .wnd = h->wnd,
                                .snd_wscale = TCP_WS_NONE};
    int idx = cookie_check(s, l, e);
    if (idx < 0) {
        s->stats.tcp.syncookies_bad++;
        return 0;
    }
    e->mss = cookie_mss[idx];
    if (h->has_ts) {
        uint32_t o = h->tsecr & COOKIE_TS_MASK, ws = o & 0x0f;
        if (ws != COOKIE_WS_NONE && ws > 14) {
            s->stats.tcp.syncookies_bad++;
            return 0;
        }
        e->snd_wscale = ws == COOKIE_WS_NONE ? TCP_WS_NONE : (uint8_t)ws;
        e->sack_ok = (o & COOKIE_SACK) != 0;
        e->ts_ok = 1;
        e->ts_recent = h->tsval;
    }
    return 1;
}

/* ---- the connection, once the ACK has come ---- */

static void
child_options(struct stack *s, struct tcp_pcb *c, const struct tcp_syn_entry *e)
{
    uint16_t ours = (uint16_t)(s->cfg.mtu - IPV4_HDR_MIN - TCP_HDR_MIN);

    c->snd_mss = e->mss < ours ? e->mss : ours;
    if (c->snd_mss < 64)
        c->snd_mss = 64;
    if (e->snd_wscale != TCP_WS_NONE) {
        c->wscale_ok = 1;
        c->snd_wscale = e->snd_wscale;
        c->rcv_wscale = tcp_wscale_for(c->rcvbuf);
    }
    c->sack_ok = e->sack_ok;
    c->snd_wnd = c->max_snd_wnd = e->wnd;
    c->snd_wl1 = e->irs;
    c->ts_ok = e->ts_ok;
    if (e->ts_ok) {
        c->ts_recent = e->ts_recent;
        c->ts_recent_ok = 1;
        c->ts_recent_us = s->now_us;
        c->ts_off = tcp_ts_offset4(s, c->laddr, c->lport, c->raddr, c->rport);
    }
}

/* A block in SYN_RECEIVED, with its rings, from an entry (timed: the
 * first SYN,ACK's RTT is measured, as it was for a block). */
static struct tcp_pcb *
child_make(struct stack *s, struct tcp_pcb *l, const struct tcp_syn_entry *e, int timed)
{
    struct tcp_pcb *c = tcp_open(s, NULL);

    if (!c)
        return NULL;
    c->app_closed = 1; /* nobody holds it until accept() */
    c->passive = 1;
    c->nodelay = l->nodelay;
    c->reuseaddr = l->reuseaddr; /* as Linux's sk_clone: sk_reuse */
    c->reuseport = l->reuseport;
    c->uid = l->uid;
    c->cc = l->cc;
    c->sndbuf = l->sndbuf;
    c->rcvbuf = l->rcvbuf;
    tcp_set_keepalive(s, c, l->keepalive, l->keep_idle_s, l->keep_intvl_s, l->keep_cnt);
    c->laddr = e->laddr;
    c->lport = l->lport;
    c->raddr = e->raddr;
    c->rport = e->rport;
    if (tcp_rings_alloc(s, c) < 0)
        return NULL; /* CLOSED and nobody's: the next tcp_reap frees it */
    c->listener = l;
    l->n_syn++;
    c->irs = e->irs;
    c->rcv_nxt = c->last_ack_sent = e->irs + 1;
    c->rcv_wnd = syn_wnd(l);
    c->rcv_adv = c->rcv_nxt + c->rcv_wnd;
    child_options(s, c, e);
    c->iss = c->snd_una = e->iss;
    c->snd_nxt = c->snd_max = e->iss + 1;
    c->syn_rexmt = e->retries != 0;
    if (timed && !e->retries) { /* Karn: not after a retransmission */
        c->rtt_timing = 1;
        c->rtt_seq = e->iss + 1;
        c->rtt_start_us = e->t_rexmt - TCP_RTO_INITIAL_US;
    }
    tcp_cc_init(s, c);
    tcp_set_state(s, c, TCP_SYN_RECEIVED, "ACK of a half-open connection");
    return c;
}

void
tcp_syn_settle(struct stack *s, struct tcp_pcb *l, struct tcp_pcb *c)
{
    struct tcp_syn_entry *e = syn_find(s, l, c->raddr, c->rport, c->laddr);

    if (c->state == TCP_SYN_RECEIVED) { /* the ACK did not complete it */
        tcp_drop(s, c, 0);
        return; /* the entry (if any) stays: the peer will try again */
    }
    if (e)
        syn_remove(s, l, e);
}

/* ---- segments for a listener ---- */

/* RFC 9293 §3.10.7.4 first, for SYN-RECEIVED: RCV.NXT = IRS + 1 and
 * RCV.WND the SYN,ACK's window. */
static int
syn_acceptable(const struct tcp_pcb *l, const struct tcp_syn_entry *e,
               const struct tcp_repr *h, uint32_t len)
{
    tcp_seq nxt = e->irs + 1, seq = h->seq;
    uint32_t wnd = syn_wnd(l);

    if (h->flags & TCP_RST) /* RFC 5961 §3.2: the strict edge */
        return seq_le(nxt, seq) && seq_lt(seq, nxt + wnd);
    if (len == 0) /* DEVIATION(rfc9293) as tcp_check_seq: edge included */
        return seq_le(nxt, seq) && seq_le(seq, nxt + wnd);
    return seq_lt(seq, nxt + wnd) && seq_gt(seq + len, nxt);
}

static void
syn_challenge(struct stack *s, struct tcp_pcb *l, struct tcp_syn_entry *e)
{
    stack_why(s, WHY_CHALLENGE_ACK, 4, 0, 0);
    if (tcp_challenge_ok(s))
        syn_send(s, l, e, 0, syn_tsval(s, l, e));
}

/* A segment for a half-open connection. */
static struct tcp_pcb *
syn_entry_input(struct stack *s, struct tcp_pcb *l, struct tcp_syn_entry *e,
                const struct tcp_repr *h, uint32_t len)
{
    /* the peer repeats its SYN: our SYN,ACK was lost; again now rather
     * than at our retransmission timeout (as Linux does) */
    if ((h->flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN && h->seq == e->irs) {
        syn_send(s, l, e, TCP_SYN, syn_tsval(s, l, e));
        return NULL;
    }
    if (!syn_acceptable(l, e, h, len + ((h->flags & TCP_SYN) ? 1 : 0))) {
        if (!(h->flags & TCP_RST))
            syn_send(s, l, e, 0, syn_tsval(s, l, e));
        return NULL;
    }
    if (h->flags & TCP_RST) { /* RFC 5961 §3.2: only an exact RST resets */
        s->stats.tcp.rx_rst++;
        if (h->seq == e->irs + 1) {
            syn_remove(s, l, e);
            return NULL;
        }
        s->stats.tcp.rx_rst_challenged++;
        syn_challenge(s, l, e);
        return NULL;
    }
    if (h->flags & TCP_SYN) { /* RFC 5961 §4 */
        s->stats.tcp.rx_syn_challenged++;
        syn_challenge(s, l, e);
        return NULL;
    }
    if (!(h->flags & TCP_ACK))
        return NULL;
    if (h->ack != e->iss + 1) { /* §3.10.7.4 fifth: <SEQ=SEG.ACK><CTL=RST> */
        stack_why(s, WHY_RST_BAD_ACK, 0, 0, 0);
        tcp_send_rst(s, e->laddr, e->raddr, l->lport, e->rport, h->ack, 0, 0);
        return NULL;
    }
    if (l->n_accept >= l->backlog) { /* as Linux: dropped, the peer retries */
        s->stats.tcp.rx_accept_queue_full++;
        return NULL;
    }
    return child_make(s, l, e, 1);
}

/* RFC 9293 §3.10.7.2: a SYN on a listener. */
static void
syn_new(struct stack *s, struct tcp_pcb *l, const struct tcp_repr *h, uint32_t src,
        uint32_t dst)
{
    struct tcp_syn_entry e0, *e;

    if (l->n_accept >= l->backlog) { /* as Linux: drop, the peer retries */
        s->stats.tcp.rx_accept_queue_full++;
        tcp_syn_note(s, 0);
        return;
    }
    syn_parse(&e0, h, src, dst);
    if (l->n_syn >= syn_limit(l)) {
        s->stats.tcp.rx_syn_queue_full++;
        cookie_send(s, l, &e0);
        return;
    }
    if (tcp_mem_charge(s, sizeof(*e)) < 0) {
        cookie_send(s, l, &e0);
        return;
    }
    e = malloc(sizeof(*e));
    if (!e) {
        tcp_mem_uncharge(s, sizeof(*e));
        cookie_send(s, l, &e0);
        return;
    }
    *e = e0;
    e->iss = tcp_isn(s, dst, l->lport, src, h->sport);
    e->t_rexmt = s->now_us + TCP_RTO_INITIAL_US;
    e->lport = l->lport;
    e->next = l->synq;
    l->synq = e;
    tcp_syn_hash_insert(s, e);
    if (!l->synq_at || e->t_rexmt < l->synq_at)
        l->synq_at = e->t_rexmt;
    l->n_syn++;
    s->stats.tcp.passive_opens++;
    syn_send(s, l, e, TCP_SYN, syn_tsval(s, l, e));
}

struct tcp_pcb *
tcp_syn_listen_input(struct stack *s, struct tcp_pcb *l, const struct tcp_repr *h,
                     uint32_t src, uint32_t dst, uint32_t len)
{
    struct tcp_syn_entry *e = syn_find(s, l, src, h->sport, dst), e0;

    if (e)
        return syn_entry_input(s, l, e, h, len);
    if (h->flags & TCP_RST)
        return NULL;
    if (h->flags & TCP_ACK) {
        if (!(h->flags & (TCP_SYN | TCP_FIN)) && cookie_input(s, l, h, src, dst, &e0)) {
            if (l->n_accept >= l->backlog) {
                s->stats.tcp.rx_accept_queue_full++;
                return NULL;
            }
            struct tcp_pcb *c = child_make(s, l, &e0, 0);
            if (c) {
                s->stats.tcp.syncookies_ok++;
                s->stats.tcp.passive_opens++;
            }
            return c;
        }
        stack_why(s, WHY_RST_LISTEN_ACK, h->dport, 0, 0);
        tcp_send_rst(s, dst, src, h->dport, h->sport, h->ack, 0, 0);
        return NULL;
    }
    if (h->flags & TCP_SYN)
        syn_new(s, l, h, src, dst);
    return NULL;
}

/* ---- timers ---- */

void
tcp_syn_poll(struct stack *s, struct tcp_pcb *l)
{
    struct tcp_syn_entry *e = l->synq, *next;

    for (; e; e = next) {
        next = e->next;
        if (e->t_rexmt > s->now_us)
            continue;
        if (e->retries >= TCP_SYN_RETRIES) {
            s->stats.tcp.syn_queue_timed_out++;
            syn_remove(s, l, e);
            continue;
        }
        /* RFC 6298 §5.5: back off, up to the maximum (§2.5) */
        s->stats.tcp.rto_expired++;
        e->retries++;
        uint64_t rto = (uint64_t)TCP_RTO_INITIAL_US << e->retries;
        e->t_rexmt = s->now_us + (rto > TCP_RTO_MAX_US ? TCP_RTO_MAX_US : rto);
        stack_why(s, WHY_RTO, e->retries, (uint32_t)(rto / 2000), 1);
        syn_send(s, l, e, TCP_SYN, syn_tsval(s, l, e));
    }
    l->synq_at = tcp_syn_poll_at(s, l);
}

uint64_t
tcp_syn_poll_at(const struct stack *s, const struct tcp_pcb *l)
{
    uint64_t at = 0;

    (void)s;
    for (const struct tcp_syn_entry *e = l->synq; e; e = e->next)
        if (!at || e->t_rexmt < at)
            at = e->t_rexmt;
    return at;
}

void
tcp_syn_flush(struct stack *s, struct tcp_pcb *l, int rst)
{
    while (l->synq) {
        struct tcp_syn_entry *e = l->synq;
        stack_why(s, WHY_RST_ABORT, 0, 0, 0);
        if (rst) /* RFC 9293 §3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST> */
            tcp_send_rst(s, e->laddr, e->raddr, l->lport, e->rport, e->iss + 1, 0, 0);
        syn_remove(s, l, e);
    }
}

/* ---- the flood summary ---- */

void
tcp_syn_note(struct stack *s, int cookie)
{
    tcp_syn_log_poll(s); /* a second that has ended is told first */
    if (!s->tcp.syn_log_cookies && !s->tcp.syn_log_dropped)
        s->tcp.syn_log_us = s->now_us;
    if (cookie)
        s->tcp.syn_log_cookies++;
    else
        s->tcp.syn_log_dropped++;
}

uint64_t
tcp_syn_log_at(const struct stack *s)
{
    if (!s->tcp.syn_log_cookies && !s->tcp.syn_log_dropped)
        return 0;
    return s->tcp.syn_log_us + SYN_LOG_US;
}

void
tcp_syn_log_poll(struct stack *s)
{
    uint64_t at = tcp_syn_log_at(s);

    if (!at || s->now_us < at)
        return;
    SLOG(s, LOG_WARN, "tcp",
         "%u SYNs answered with cookies, %u dropped (accept queue full) in the last "
         "second",
         s->tcp.syn_log_cookies, s->tcp.syn_log_dropped);
    s->tcp.syn_log_cookies = s->tcp.syn_log_dropped = 0;
}
