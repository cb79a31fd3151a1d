/*
 * tcp_trace.c - TCP's event trace (tcp_trace.h; the schema is in
 * docs/TRACE.md).
 *
 * Owns: one JSON line per event, handed to cfg.trace, and a table of the
 * connections the trace has seen, by 4-tuple: a short id (1, 2, ... in
 * order of first sight), each side's ISN (so that sequence numbers read
 * as RFC 9293's relative ones: our SYN is 0, our first data byte 1), each
 * side's window shift (RFC 7323 §2.3: never applied to a SYN), the
 * highest sequence each side has sent (a segment below it is a
 * retransmission), and the variables, timer deadlines and queue levels
 * last reported, so that only changes are written.
 *
 * Every value comes from the engine's state and clock (s->now_us), never
 * from the host's, so the same input at the same times gives the same
 * trace, byte for byte.
 *
 * Leaves out: the table is bounded (TRACE_CONNS_MAX); past it, it starts
 * over, and a connection seen again gets a new id. A connection whose
 * ISNs the trace has not seen (the table started over, or memory ran out)
 * has absolute sequence numbers, said with "rel":false.
 */
#include "proto/tcp_trace.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/tcp.h"
#include "stack_var.h"
#include "wire/addr.h"
#include "wire/tcp_hdr.h"

#define TRACE_CONNS_MAX 16384 /* connections remembered */
#define TRACE_LINE_MAX 1024   /* longest line: a segment with 4 SACK blocks is ~400 */
#define TRACE_WS_NONE 0xff

enum trace_timer {
    TT_REXMT,
    TT_DELACK,
    TT_PERSIST,
    TT_KEEP,
    TT_2MSL,
    TT_REO,
    TT_TLP,
    TT_N
};

static const char *const timer_names[TT_N] = {"rexmt", "delack", "persist", "keep",
                                              "2msl",  "reo",    "tlp"};

struct trace_conn {
    uint32_t id; /* 0: a free slot */
    uint32_t laddr, raddr;
    uint16_t lport, rport;
    tcp_seq iss, irs;
    tcp_seq snd_high, rcv_high; /* end of the highest segment each way */
    uint8_t have_iss, have_irs, have_snd_high, have_rcv_high;
    uint8_t our_ws, peer_ws; /* shifts from the SYNs; TRACE_WS_NONE */
    uint8_t vars_known;      /* the variables below were reported */
    uint8_t ca;
    uint32_t cwnd, ssthresh, srtt, rttvar, rto, flight;
    uint64_t timers[TT_N];
    uint64_t sndq, rcvq;
};

struct tcp_trace {
    struct trace_conn *tab; /* open addressing, linear probing */
    uint32_t cap, n;        /* slots (a power of two), used */
    uint32_t next_id;
    size_t len;
    char line[TRACE_LINE_MAX];
};

/* ---- the table ---- */

static struct tcp_trace *
trace_state(struct stack *s)
{
    if (!s->tcp.trace)
        s->tcp.trace = calloc(1, sizeof(*s->tcp.trace));
    return s->tcp.trace;
}

static int
conn_is(const struct trace_conn *e, uint32_t laddr, uint16_t lport, uint32_t raddr,
        uint16_t rport)
{
    return e->laddr == laddr && e->lport == lport && e->raddr == raddr &&
           e->rport == rport;
}

static struct trace_conn *
slot_for(const struct stack *s, struct trace_conn *tab, uint32_t cap, uint32_t laddr,
         uint16_t lport, uint32_t raddr, uint16_t rport)
{
    uint32_t i = (uint32_t)tcp_hash4(s, laddr, lport, raddr, rport) & (cap - 1);

    while (tab[i].id && !conn_is(&tab[i], laddr, lport, raddr, rport))
        i = (i + 1) & (cap - 1);
    return &tab[i];
}

/* Room for one more: grow to twice the slots, or start over at the
 * bound. 0, or -1 when memory is short. */
static int
table_room(struct stack *s, struct tcp_trace *t)
{
    if (t->cap && (t->n + 1) * 2 <= t->cap)
        return 0;
    if (t->n >= TRACE_CONNS_MAX) {
        memset(t->tab, 0, sizeof(*t->tab) * t->cap);
        t->n = 0;
        return 0;
    }
    uint32_t cap = t->cap ? t->cap * 2 : 64;
    struct trace_conn *tab = calloc(cap, sizeof(*tab));
    if (!tab)
        return -1;
    for (uint32_t i = 0; i < t->cap; i++)
        if (t->tab[i].id)
            *slot_for(s, tab, cap, t->tab[i].laddr, t->tab[i].lport, t->tab[i].raddr,
                      t->tab[i].rport) = t->tab[i];
    free(t->tab);
    t->tab = tab;
    t->cap = cap;
    return 0;
}

static void
conn_reset(struct tcp_trace *t, struct trace_conn *e, uint32_t laddr, uint16_t lport,
           uint32_t raddr, uint16_t rport)
{
    *e = (struct trace_conn){.id = ++t->next_id,
                             .laddr = laddr,
                             .lport = lport,
                             .raddr = raddr,
                             .rport = rport,
                             .our_ws = TRACE_WS_NONE,
                             .peer_ws = TRACE_WS_NONE};
}

/* The record of a 4-tuple, made if new; NULL when memory is short. */
static struct trace_conn *
conn_get(struct stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
    struct tcp_trace *t = trace_state(s);

    if (!t)
        return NULL;
    if (t->cap) {
        struct trace_conn *e = slot_for(s, t->tab, t->cap, laddr, lport, raddr, rport);
        if (e->id)
            return e;
    }
    if (table_room(s, t) < 0)
        return NULL;
    struct trace_conn *e = slot_for(s, t->tab, t->cap, laddr, lport, raddr, rport);
    conn_reset(t, e, laddr, lport, raddr, rport);
    t->n++;
    return e;
}

void
tcp_trace_free(struct stack *s)
{
    s->cfg.trace = NULL; /* what the engine does as it goes is no event */
    if (!s->tcp.trace)
        return;
    free(s->tcp.trace->tab);
    free(s->tcp.trace);
    s->tcp.trace = NULL;
}

/* ---- lines ---- */

static void
put(struct tcp_trace *t, const char *fmt, ...)
{
    va_list ap;
    size_t room = sizeof(t->line) - t->len;

    va_start(ap, fmt);
    int n = vsnprintf(t->line + t->len, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n < room ? (size_t)n : room - 1;
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void
put_str(struct tcp_trace *t, const char *str)
{
    put(t, "\"");
    for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
        if (*p == '"' || *p == '\\')
            put(t, "\\%c", *p);
        else if (*p < 0x20)
            put(t, "\\u%04x", *p);
        else
            put(t, "%c", *p);
    }
    put(t, "\"");
}

/* {"t":...,"ev":...,"c":...,"local":...,"remote":... */
static struct tcp_trace *
begin(struct stack *s, const char *ev, const struct trace_conn *e, uint32_t laddr,
      uint16_t lport, uint32_t raddr, uint16_t rport)
{
    struct tcp_trace *t = trace_state(s);
    char l[IP_STR_LEN], r[IP_STR_LEN];

    if (!t)
        return NULL;
    t->len = 0;
    put(t, "{\"t\":%llu,\"ev\":\"%s\",\"c\":%u,\"local\":\"%s:%u\",\"remote\":\"%s:%u\"",
        (unsigned long long)s->now_us, ev, e ? e->id : 0, ip_fmt(laddr, l), lport,
        ip_fmt(raddr, r), rport);
    return t;
}

static void
end(struct stack *s, struct tcp_trace *t)
{
    if (t->len > sizeof(t->line) - 3)
        t->len = sizeof(t->line) - 3; /* cannot happen: the longest line fits */
    t->line[t->len++] = '}';
    t->line[t->len++] = '\n';
    t->line[t->len] = '\0';
    s->cfg.trace(s->cfg.trace_ctx, t->line, t->len);
}

static struct tcp_trace *
begin_conn(struct stack *s, const char *ev, const struct trace_conn *e,
           const struct tcp_pcb *c)
{
    return begin(s, ev, e, c->laddr, c->lport, c->raddr, c->rport);
}

/* ---- events ---- */

void
tcp_trace_state(struct stack *s, const struct tcp_pcb *c, int to, const char *why)
{
    struct trace_conn *e = conn_get(s, c->laddr, c->lport, c->raddr, c->rport);
    struct tcp_trace *t = begin_conn(s, "state", e, c);

    if (!t)
        return;
    put(t, ",\"from\":\"%s\",\"to\":\"%s\",\"why\":", tcp_state_name(c->state),
        tcp_state_name(to));
    put_str(t, why ? why : "");
    end(s, t);
}

static void
put_flags(struct tcp_trace *t, uint8_t f)
{
    static const char names[] = "FSRPAU"; /* tcpdump's letters, bit 0 first */
    char b[8];
    size_t n = 0;

    for (int i = 0; i < 6; i++)
        if (f & (1u << i))
            b[n++] = names[i];
    b[n] = '\0';
    put(t, ",\"flags\":\"%s\"", b);
}

/* The SYNs carry each side's ISN and window shift; a SYN with another
 * ISN on a known 4-tuple is a new connection (a new id). */
static struct trace_conn *
learn_syn(struct stack *s, struct trace_conn *e, int out, const struct tcp_repr *r)
{
    if (!(r->flags & TCP_SYN))
        return e;
    if (out && e->have_iss && e->iss != r->seq) {
        conn_reset(s->tcp.trace, e, e->laddr, e->lport, e->raddr, e->rport);
    } else if (!out && !(r->flags & TCP_ACK) && e->have_irs && e->irs != r->seq) {
        conn_reset(s->tcp.trace, e, e->laddr, e->lport, e->raddr, e->rport);
    }
    uint8_t ws = r->has_wscale ? r->wscale : TRACE_WS_NONE;
    if (out) {
        e->iss = r->seq;
        e->have_iss = 1;
        e->our_ws = ws;
    } else {
        e->irs = r->seq;
        e->have_irs = 1;
        e->peer_ws = ws;
    }
    return e;
}

/* 1 if the segment [seq, seq + n) begins below what this side has sent
 * already: a retransmission. The high mark follows. */
static int
note_high(tcp_seq *high, uint8_t *have, tcp_seq seq, uint32_t n)
{
    int again = *have && seq_lt(seq, *high);

    if (n && (!*have || seq_gt(seq + n, *high))) {
        *high = seq + n;
        *have = 1;
    }
    return n ? again : 0;
}

static void
put_opts(struct tcp_trace *t, int out, const struct tcp_repr *r, tcp_seq base)
{
    unsigned nsack = out ? tcp_sack_fit(r) : r->nsack;
    const char *sep = "";

    if (!r->mss && !r->has_wscale && !r->sack_perm && !r->has_ts && !nsack)
        return;
    put(t, ",\"opts\":{");
    if (r->mss) {
        put(t, "\"mss\":%u", r->mss);
        sep = ",";
    }
    if (r->has_wscale) {
        put(t, "%s\"ws\":%u", sep, r->wscale);
        sep = ",";
    }
    if (r->sack_perm) {
        put(t, "%s\"sackok\":true", sep);
        sep = ",";
    }
    if (r->has_ts) {
        put(t, "%s\"ts\":[%u,%u]", sep, r->tsval, r->tsecr);
        sep = ",";
    }
    if (nsack) {
        put(t, "%s\"sack\":[", sep);
        for (unsigned i = 0; i < nsack; i++)
            put(t, "%s[%u,%u]", i ? "," : "", r->sack[i].left - base,
                r->sack[i].right - base);
        put(t, "]");
    }
    put(t, "}");
}

void
tcp_trace_seg(struct stack *s, int out, const struct tcp_repr *r, uint32_t laddr,
              uint32_t raddr, uint32_t len)
{
    uint16_t lport = out ? r->sport : r->dport, rport = out ? r->dport : r->sport;
    struct trace_conn *e = conn_get(s, laddr, lport, raddr, rport);
    uint32_t n = len + !!(r->flags & TCP_SYN) + !!(r->flags & TCP_FIN);
    struct trace_conn none = {.our_ws = TRACE_WS_NONE, .peer_ws = TRACE_WS_NONE};

    if (e)
        e = learn_syn(s, e, out, r);
    struct trace_conn *k = e ? e : &none;
    /* our sequence space is from ISS, the peer's from IRS (RFC 9293 §3.4) */
    int have_seq = out ? k->have_iss : k->have_irs,
        have_ack = out ? k->have_irs : k->have_iss;
    tcp_seq seq0 = have_seq ? (out ? k->iss : k->irs) : 0;
    tcp_seq ack0 = have_ack ? (out ? k->irs : k->iss) : 0;
    int again = out ? note_high(&k->snd_high, &k->have_snd_high, r->seq, n)
                    : note_high(&k->rcv_high, &k->have_rcv_high, r->seq, n);
    /* RFC 7323 §2.3: the shift of the side that sends the window, once
     * both SYNs carried the option; a SYN's window is never scaled */
    uint8_t ws = out ? k->our_ws : k->peer_ws;
    int scaled = !(r->flags & TCP_SYN) && k->our_ws != TRACE_WS_NONE &&
                 k->peer_ws != TRACE_WS_NONE;
    struct tcp_trace *t = begin(s, out ? "send" : "recv", e, laddr, lport, raddr, rport);

    if (!t)
        return;
    put_flags(t, r->flags);
    put(t, ",\"seq\":%u", r->seq - seq0);
    if (r->flags & TCP_ACK)
        put(t, ",\"ack\":%u", r->ack - ack0);
    put(t, ",\"win\":%u,\"wnd\":%llu,\"len\":%u", r->wnd,
        (unsigned long long)r->wnd << (scaled ? ws : 0), len);
    if (r->flags & TCP_SYN)
        put(t, ",\"isn\":%u", r->seq);
    put_opts(t, out, r, ack0);
    if (again)
        put(t, ",\"rexmit\":true");
    if (!have_seq || ((r->flags & TCP_ACK) && !have_ack))
        put(t, ",\"rel\":false");
    end(s, t);
}

void
tcp_trace_xmit(struct stack *s, const struct tcp_pcb *c, const struct tcp_repr *r,
               uint32_t len)
{
    tcp_trace_vars(s, c, NULL);
    tcp_trace_seg(s, 1, r, c->laddr, c->raddr, len);
}

static uint64_t
timer_at(const struct tcp_pcb *c, int i)
{
    switch (i) {
    case TT_REXMT: return c->t_rexmt;
    case TT_DELACK: return c->t_delack;
    case TT_PERSIST: return c->t_persist;
    case TT_KEEP: return c->t_keep;
    case TT_2MSL: return c->t_2msl;
    case TT_REO: return c->t_reo;
    default: return c->t_tlp;
    }
}

static const char *
ca_name(uint8_t ca)
{
    switch (ca) {
    case TCP_CA_OPEN: return "open";
    case TCP_CA_DISORDER: return "disorder";
    case TCP_CA_RECOVERY: return "recovery";
    default: return "loss";
    }
}

/* The connection blocks the trace follows: not listeners, not a block
 * without a peer yet. */
static struct trace_conn *
conn_of(struct stack *s, const struct tcp_pcb *c)
{
    if (c->state == TCP_LISTEN || !c->rport)
        return NULL;
    return conn_get(s, c->laddr, c->lport, c->raddr, c->rport);
}

static void
vars_note(struct trace_conn *e, const struct tcp_pcb *c)
{
    e->vars_known = 1;
    e->cwnd = c->cwnd;
    e->ssthresh = c->ssthresh;
    e->srtt = c->srtt_us;
    e->rttvar = c->rttvar_us;
    e->rto = c->rto_us;
    e->flight = tcp_flight(c);
    e->ca = tcp_cc_ca_state(c);
}

static void
vars_report(struct stack *s, struct trace_conn *e, const struct tcp_pcb *c,
            const char *why)
{
    if (e->vars_known && e->cwnd == c->cwnd && e->ssthresh == c->ssthresh &&
        e->srtt == c->srtt_us && e->rttvar == c->rttvar_us && e->rto == c->rto_us &&
        e->flight == tcp_flight(c) && e->ca == tcp_cc_ca_state(c))
        return;
    vars_note(e, c);
    struct tcp_trace *t = begin_conn(s, "cc", e, c);
    put(t,
        ",\"cwnd\":%u,\"ssthresh\":%u,\"flight\":%u,\"srtt_us\":%u,\"rttvar_us\":%u,"
        "\"rto_us\":%u,\"ca\":\"%s\"",
        e->cwnd, e->ssthresh, e->flight, e->srtt, e->rttvar, e->rto, ca_name(e->ca));
    if (why) {
        put(t, ",\"why\":");
        put_str(t, why);
    }
    end(s, t);
}

static void
timer_event(struct stack *s, struct trace_conn *e, const struct tcp_pcb *c, int i,
            const char *op, uint64_t at)
{
    struct tcp_trace *t = begin_conn(s, "timer", e, c);

    put(t, ",\"timer\":\"%s\",\"op\":\"%s\",\"deadline\":%llu", timer_names[i], op,
        (unsigned long long)at);
    end(s, t);
}

static void
queue_report(struct stack *s, struct trace_conn *e, const struct tcp_pcb *c)
{
    if (e->sndq == c->snd.len && e->rcvq == c->rcv.len)
        return;
    e->sndq = c->snd.len;
    e->rcvq = c->rcv.len;
    struct tcp_trace *t = begin_conn(s, "queue", e, c);
    put(t, ",\"sndq\":%llu,\"rcvq\":%llu", (unsigned long long)e->sndq,
        (unsigned long long)e->rcvq);
    end(s, t);
}

void
tcp_trace_vars(struct stack *s, const struct tcp_pcb *c, const char *why)
{
    struct trace_conn *e = conn_of(s, c);

    if (!e || !s->tcp.trace)
        return;
    vars_report(s, e, c, why);
    for (int i = 0; i < TT_N; i++) {
        uint64_t at = timer_at(c, i);
        if (at == e->timers[i])
            continue;
        timer_event(s, e, c, i, at ? "armed" : "stopped", at ? at : e->timers[i]);
        e->timers[i] = at;
    }
    queue_report(s, e, c);
}

void
tcp_trace_rtt(struct stack *s, const struct tcp_pcb *c, uint32_t rtt_us)
{
    struct trace_conn *e = conn_of(s, c);

    if (!e || !s->tcp.trace)
        return;
    /* these three are told here; the others wait for the next report */
    e->srtt = c->srtt_us;
    e->rttvar = c->rttvar_us;
    e->rto = c->rto_us;
    struct tcp_trace *t = begin_conn(s, "rtt", e, c);
    put(t, ",\"sample_us\":%u,\"srtt_us\":%u,\"rttvar_us\":%u,\"rto_us\":%u", rtt_us,
        c->srtt_us, c->rttvar_us, c->rto_us);
    end(s, t);
}

void
tcp_trace_fired(struct stack *s, const struct tcp_pcb *c)
{
    struct trace_conn *e = conn_of(s, c);

    if (!e || !s->tcp.trace)
        return;
    for (int i = 0; i < TT_N; i++) {
        uint64_t at = timer_at(c, i);
        if (!at || at > s->now_us)
            continue;
        timer_event(s, e, c, i, "fired", at);
        e->timers[i] = 0; /* what it arms next is news */
    }
}

void
tcp_trace_tw(struct stack *s, const struct tcp_tw *tw, int ends)
{
    struct trace_conn *e = conn_get(s, tw->laddr, tw->lport, tw->raddr, tw->rport);
    struct tcp_trace *t =
        begin(s, "timewait", e, tw->laddr, tw->lport, tw->raddr, tw->rport);

    if (!t)
        return;
    put(t, ",\"op\":\"%s\",\"deadline\":%llu", ends ? "end" : "start",
        (unsigned long long)tw->t_2msl);
    if (ends)
        put(t, ",\"expired\":%s", s->now_us >= tw->t_2msl ? "true" : "false");
    end(s, t);
}

void
tcp_trace_app(struct stack *s, const struct tcp_pcb *c, int write, size_t n)
{
    struct trace_conn *e = conn_of(s, c);

    if (!e || !s->tcp.trace)
        return;
    e->sndq = c->snd.len;
    e->rcvq = c->rcv.len;
    struct tcp_trace *t = begin_conn(s, "app", e, c);
    put(t, ",\"op\":\"%s\",\"bytes\":%zu,\"sndq\":%zu,\"rcvq\":%zu",
        write ? "write" : "read", n, c->snd.len, c->rcv.len);
    end(s, t);
}
