/*
 * tcp_view.c - the engine's connection tables as rows, for ustat (what
 * the kernel's inet_diag gives ss). See tcp_api.h.
 *
 * Owns: walking every connection the engine holds, whatever holds it: a
 * block (every state but TIME-WAIT, orphans included: a block the
 * application let go of stays until its FIN exchange or its timers end),
 * a listener's SYN queue (SYN-RECEIVED before the ACK, tcp_syn.c) and the
 * TIME-WAIT records (tcp_tw.c). The daemon reads the rows; it never sees
 * the structures.
 *
 * Leaves out: any order but the engine's own (blocks newest first, each
 * listener's SYN queue after it, records by expiry); a snapshot across
 * calls (the tables change between them).
 */
#include <string.h>

#include "proto/tcp.h"
#include "stack_var.h"

/* Milliseconds from now to deadline (0 if it is past), rounded up. */
static uint32_t
view_ms_left(const struct stack *s, uint64_t deadline_us)
{
    if (deadline_us <= s->now_us)
        return 0;
    uint64_t ms = (deadline_us - s->now_us + 999) / 1000;
    return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

static uint64_t
view_earliest(uint64_t a, uint64_t b)
{
    if (!a)
        return b;
    return b && b < a ? b : a;
}

/* The timer ss -o would show for a block, as Linux's inet_diag picks it:
 * retransmission first, then the zero-window probe, then keepalive (which
 * in Linux also carries the FIN-WAIT-2 timeout). */
static void
view_pcb_timer(const struct stack *s, const struct tcp_pcb *c, struct tcp_view *v)
{
    uint64_t on = view_earliest(view_earliest(c->t_rexmt, c->t_tlp), c->t_reo);

    if (on) {
        v->timer = TCP_VIEW_TIMER_ON;
        v->timer_ms = view_ms_left(s, on);
        v->timer_retries = c->backoff;
    } else if (c->t_persist) {
        v->timer = TCP_VIEW_TIMER_PERSIST;
        v->timer_ms = view_ms_left(s, c->t_persist);
        v->timer_retries = c->probes_out;
    } else if (c->t_keep || c->t_2msl) {
        v->timer = TCP_VIEW_TIMER_KEEPALIVE;
        v->timer_ms = view_ms_left(s, view_earliest(c->t_keep, c->t_2msl));
        v->timer_retries = c->keep_sent;
    }
}

static void
view_pcb(const struct stack *s, const struct tcp_pcb *c, struct tcp_view *v)
{
    memset(v, 0, sizeof(*v));
    v->kind = TCP_VIEW_PCB;
    v->state = c->state;
    v->owner = c->owner;
    v->orphan = c->app_closed;
    v->laddr = c->laddr;
    v->raddr = c->raddr;
    v->lport = c->lport;
    v->rport = c->rport;
    if (c->state == TCP_LISTEN) {
        /* as Linux: the accept queue and its bound */
        v->recv_q = c->n_accept;
        v->send_q = c->backlog;
        return;
    }
    tcp_get_info(c, &v->info);
    v->recv_q = (uint32_t)c->rcv.len;
    v->send_q = (uint32_t)c->snd.len;
    if (c->state != TCP_SYN_SENT && c->state != TCP_CLOSED) {
        /* sequence space less the SYN and, once counted, the FIN */
        v->bytes_acked = c->snd_una - c->iss - 1 - (c->fin_acked ? 1 : 0);
        v->bytes_received = c->rcv_nxt - c->irs - 1 - (c->rcv_fin ? 1 : 0);
    }
    view_pcb_timer(s, c, v);
}

static void
view_syn(const struct stack *s, const struct tcp_syn_entry *e, struct tcp_view *v)
{
    memset(v, 0, sizeof(*v));
    v->kind = TCP_VIEW_SYN;
    v->state = TCP_SYN_RECEIVED;
    v->orphan = 1; /* no socket until accept() */
    v->laddr = e->laddr;
    v->raddr = e->raddr;
    v->lport = e->lport;
    v->rport = e->rport;
    v->timer = TCP_VIEW_TIMER_ON;
    v->timer_ms = view_ms_left(s, e->t_rexmt);
    v->timer_retries = e->retries;
}

static void
view_tw(const struct stack *s, const struct tcp_tw *tw, struct tcp_view *v)
{
    memset(v, 0, sizeof(*v));
    v->kind = TCP_VIEW_TW;
    v->state = TCP_TIME_WAIT;
    v->orphan = 1;
    v->laddr = tw->laddr;
    v->raddr = tw->raddr;
    v->lport = tw->lport;
    v->rport = tw->rport;
    v->timer = TCP_VIEW_TIMER_TIMEWAIT;
    v->timer_ms = view_ms_left(s, tw->t_2msl);
}

size_t
tcp_view_walk(const struct stack *s, int (*fn)(void *arg, const struct tcp_view *v),
              void *arg)
{
    struct tcp_view v;
    size_t n = 0;

    for (const struct tcp_pcb *c = s->tcp.pcbs; c; c = c->next) {
        if (c->state == TCP_CLOSED)
            continue; /* a socket not yet bound or connected: the daemon's row */
        view_pcb(s, c, &v);
        n++;
        if (fn(arg, &v))
            return n;
        for (const struct tcp_syn_entry *e = c->synq; e; e = e->next) {
            view_syn(s, e, &v);
            n++;
            if (fn(arg, &v))
                return n;
        }
    }
    for (const struct tcp_tw *tw = s->tcp.tw; tw; tw = tw->next) {
        view_tw(s, tw, &v);
        n++;
        if (fn(arg, &v))
            return n;
    }
    return n;
}
