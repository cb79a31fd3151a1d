/*
 * tcp_timer.c - TCP timers and round-trip estimation.
 *
 * Each connection has deadline fields (0 = off), checked by tcp_poll():
 *   t_rexmt   retransmission (RFC 6298): back off, go back to SND.UNA
 *   t_delack  delayed ACK (RFC 1122 §4.2.3.2)
 *   t_persist zero-window probe (RFC 9293 §3.8.6.1), backing off; gives up
 *             after unanswered probes, an orphan also after a long shut window
 *   t_keep    keepalive (RFC 1122 §4.2.3.6), off unless SO_KEEPALIVE
 *   t_2msl    the orphaned FIN_WAIT_2 limit (tcp_fin_timeout; TIME_WAIT is
 *             tcp_tw.c's)
 * and, beside the connections, the SYN,ACKs of the listeners' SYN queues
 * (tcp_syn.c) and the TIME_WAIT records (tcp_tw.c).
 * Every wait has an end: retransmission, probing and keepalive give up
 * after a bounded number of tries (fewer for an orphan, one the
 * application closed), each counted by its reason.
 *   t_reo     RACK's reordering window ends (tcp_rack.c, RFC 8985 §6.3)
 *   t_tlp     tail loss probe (tcp_rack.c, RFC 8985 §7)
 */
#include <errno.h>
#include <stdlib.h>

#include "proto/tcp.h"
#include "proto/tcp_trace.h"
#include "stack_var.h"

#define RTO_G_US 1000 /* clock granularity G of RFC 6298 §2 */

static uint64_t
min_nonzero(uint64_t a, uint64_t b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    return a < b ? a : b;
}

/* RFC 6298 §2.2-2.4: fold one measurement into SRTT and RTTVAR, with
 * alpha = 1/(8n) and beta = 1/(4n): n = 1 as RFC 6298 has it, more when
 * every ACK gives a sample (RFC 7323 Appendix G, tcp_ts.c). */
void
tcp_rtt_sample_n(struct stack *s, struct tcp_pcb *c, uint32_t r, uint32_t n)
{
    if (r == 0)
        r = 1;
    /* the path's least RTT (RACK's min RTT, RFC 8985 §6.2): the handshake
     * is measured here too, free of the queueing of a burst */
    if (!c->rack_min_rtt_us || r < c->rack_min_rtt_us)
        c->rack_min_rtt_us = r;
    if (!c->srtt_us) {
        c->srtt_us = r;
        c->rttvar_us = r / 2;
    } else {
        uint64_t delta = c->srtt_us > r ? c->srtt_us - r : r - c->srtt_us;
        uint64_t a = 8ull * n, b = 4ull * n; /* 1/alpha, 1/beta */
        c->rttvar_us = (uint32_t)(((b - 1) * c->rttvar_us + delta) / b);
        c->srtt_us = (uint32_t)(((a - 1) * c->srtt_us + r) / a);
    }
    uint64_t k = 4ull * c->rttvar_us;
    uint64_t rto = c->srtt_us + (k > RTO_G_US ? k : RTO_G_US);
    uint64_t min = (uint64_t)s->cfg.tcp_rto_min_ms * 1000;
    /* DEVIATION(rfc6298): §2.4 says at least 1 s; Linux and we use 200 ms */
    if (rto < min)
        rto = min;
    if (rto > TCP_RTO_MAX_US)
        rto = TCP_RTO_MAX_US;
    c->rto_us = (uint32_t)rto;
    TCP_TRACE(s, tcp_trace_rtt(s, c, r));
}

void
tcp_rtt_sample(struct stack *s, struct tcp_pcb *c, uint32_t r)
{
    tcp_rtt_sample_n(s, c, r, 1);
}

static uint64_t
tcp_backed_off_rto(const struct tcp_pcb *c)
{
    uint64_t rto = (uint64_t)c->rto_us << (c->backoff < 16 ? c->backoff : 16);

    return rto > TCP_RTO_MAX_US ? TCP_RTO_MAX_US : rto;
}

/* RFC 6298 §5.1/5.3: (re)start the timer when data is outstanding. */
void
tcp_timer_rexmt_restart(struct stack *s, struct tcp_pcb *c)
{
    c->t_rexmt = s->now_us + tcp_backed_off_rto(c);
    tcp_timer_sched(s, c);
}

/* The application let go of c (a child waiting for accept() is not an
 * orphan: its listener holds it). */
static int
tcp_orphan(const struct tcp_pcb *c)
{
    return c->app_closed && !c->listener;
}

/* Give up on c: the peer is gone. why counts the reason. */
static void
tcp_give_up(struct stack *s, struct tcp_pcb *c, uint64_t *why)
{
    (*why)++;
    s->stats.tcp.timed_out++;
    tcp_drop(s, c, ETIMEDOUT);
}

static void
tcp_timer_rexmt(struct stack *s, struct tcp_pcb *c)
{
    int syn = c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED;
    /* an orphan gets fewer tries (Linux's tcp_orphan_retries) */
    int limit = syn             ? TCP_SYN_RETRIES
                : tcp_orphan(c) ? TCP_ORPHAN_RETRIES
                                : TCP_DATA_RETRIES;

    c->t_rexmt = 0;
    /* nothing was ever sent past SND.UNA: the timer ran for a segment that
     * found no buffer (tcp_output). Nothing was lost, so nothing backs
     * off: it is simply sent now */
    if (c->snd_max == c->snd_una) {
        tcp_output(s, c);
        return;
    }
    if (c->backoff >= limit) {
        if (!syn && tcp_orphan(c))
            s->stats.tcp.orphan_timed_out++;
        s->stats.tcp.timed_out++;
        tcp_drop(s, c, ETIMEDOUT);
        return;
    }
    s->stats.tcp.rto_expired++;
    if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED)
        c->syn_rexmt = 1;
    if (c->sb.seg && c->backoff == 0)
        tcp_sack_undo_arm(c); /* the timeout may prove spurious */
    tcp_cc_timeout(s, c);
    stack_why(s, WHY_RTO, c->backoff + 1u, (uint32_t)(tcp_backed_off_rto(c) / 1000),
              c->cwnd / c->snd_mss);
    c->backoff++;            /* RFC 6298 §5.5 */
    tcp_pmtu_rto(s, c);      /* a black hole may be eating big segments */
    c->rtt_timing = 0;       /* Karn: no sample from a retransmitted segment */
    if (c->sb.seg)
        tcp_sack_rto(s, c); /* resend what is not SACKed, in order */
    else
        c->snd_nxt = c->snd_una; /* go back to the first unacknowledged byte */
    c->retransmits++;
    tcp_output(s, c);
    if (!c->t_rexmt && tcp_flight(c))
        tcp_timer_rexmt_restart(s, c);
}

/* Every wait has an end. RFC 1122 §4.2.2.17: probing goes on as long as
 * the receiver answers; any ACK answers, even one keeping the window
 * shut (tcp_check_ack clears probes_out, as Linux's tcp_ack does). As
 * Linux's tcp_probe_timer: TCP_DATA_RETRIES unanswered probes in a row
 * end the connection, TCP_ORPHAN_RETRIES for an orphan. An orphan also
 * gives up when the window has stayed shut for TCP_FIN_TIMEOUT_US, even
 * if each probe is answered: nobody will ever read what it holds, and
 * such a peer would keep it for ever (Linux bounds it only by memory,
 * or TCP_USER_TIMEOUT). Returns 1 if c was dropped. */
static int
tcp_persist_give_up(struct stack *s, struct tcp_pcb *c)
{
    if (!tcp_orphan(c)) {
        if (c->probes_out < TCP_DATA_RETRIES)
            return 0;
        tcp_give_up(s, c, &s->stats.tcp.persist_timed_out);
        return 1;
    }
    if (c->probes_out < TCP_ORPHAN_RETRIES &&
        !(c->persist_since_us && s->now_us - c->persist_since_us >= TCP_FIN_TIMEOUT_US))
        return 0;
    tcp_give_up(s, c, &s->stats.tcp.orphan_timed_out);
    return 1;
}

static void
tcp_timer_persist(struct stack *s, struct tcp_pcb *c)
{
    uint64_t d = c->rto_us > TCP_PERSIST_MIN_US ? c->rto_us : TCP_PERSIST_MIN_US;

    if (tcp_persist_give_up(s, c))
        return;
    /* RFC 1122 §4.2.2.17: probe while the window stays shut, backing off.
     * The probe carries an old sequence number, so the peer answers with
     * an ACK showing its window, and no sequence space is used. */
    s->stats.tcp.persist_probes++;
    if (c->snd_wnd > 0) {
        tcp_output_force(s, c); /* open but small: SWS override */
        if (tcp_flight(c)) {
            c->t_persist = 0; /* the retransmission timer takes over */
            return;
        }
    } else {
        stack_why(s, WHY_ZERO_WINDOW_PROBE, c->probes_out + 1u, 0, 0);
        tcp_xmit(s, c, c->snd_una - 1, 0, 0);
        c->probes_out++;
        if (!c->persist_since_us)
            c->persist_since_us = s->now_us;
    }
    /* the first probe came after one RTO; each next waits twice as long */
    if (c->persist_shift < 8)
        c->persist_shift++;
    d <<= c->persist_shift;
    c->t_persist = s->now_us + (d > TCP_RTO_MAX_US ? TCP_RTO_MAX_US : d);
}

static void
tcp_timer_keep(struct stack *s, struct tcp_pcb *c)
{
    if (c->keep_sent >= c->keep_cnt) {
        s->stats.tcp.timed_out++;
        tcp_drop(s, c, ETIMEDOUT);
        return;
    }
    s->stats.tcp.keepalive_probes++;
    c->keep_sent++;
    stack_why(s, WHY_KEEPALIVE, c->keep_sent, 0, 0);
    tcp_xmit(s, c, c->snd_una - 1, 0, 0); /* RFC 1122 §4.2.3.6: old seq, no data */
    c->t_keep = s->now_us + (uint64_t)c->keep_intvl_s * 1000000;
}

static void
tcp_timer_2msl(struct stack *s, struct tcp_pcb *c)
{
    if (c->state == TCP_FIN_WAIT_2) /* an orphan: tcp_fin_timeout ran out */
        s->stats.tcp.fin_wait_2_timed_out++;
    c->t_2msl = 0;
    tcp_drop(s, c, 0);
}

/* Run every due timer of one connection. Returns 0 if c was freed. */
static int
tcp_timers(struct stack *s, struct tcp_pcb *c)
{
    uint64_t now = s->now_us;

    TCP_TRACE(s, tcp_trace_fired(s, c));
    if (c->t_2msl && c->t_2msl <= now) {
        tcp_timer_2msl(s, c);
        return 0;
    }
    if (c->t_tlp && c->t_tlp <= now) /* before the RTO: it restarts it */
        tcp_tlp_fire(s, c);
    if (c->t_rexmt && c->t_rexmt <= now) {
        tcp_timer_rexmt(s, c);
        if (c->state == TCP_CLOSED)
            return 0;
    }
    if (c->t_reo && c->t_reo <= now)
        tcp_reo_fire(s, c);
    if (c->t_persist && c->t_persist <= now) {
        tcp_timer_persist(s, c);
        if (c->state == TCP_CLOSED)
            return 0;
    }
    if (c->t_keep && c->t_keep <= now) {
        tcp_timer_keep(s, c);
        if (c->state == TCP_CLOSED)
            return 0;
    }
    if (c->t_delack && c->t_delack <= now) {
        s->stats.tcp.delayed_acks++;
        stack_why(s, WHY_ACK_DELAYED_TIMER, 0, 0, 0);
        tcp_send_ack(s, c);
    }
    return 1;
}

/* ---- the heap: every block with a deadline, by its earliest ---- */

static uint64_t
tcp_deadline(const struct tcp_pcb *c)
{
    uint64_t at = 0;

    at = min_nonzero(at, c->t_rexmt);
    at = min_nonzero(at, c->t_delack);
    at = min_nonzero(at, c->t_persist);
    at = min_nonzero(at, c->t_keep);
    at = min_nonzero(at, c->t_2msl);
    at = min_nonzero(at, c->t_reo);
    at = min_nonzero(at, c->t_tlp);
    if (c->state == TCP_LISTEN)
        at = min_nonzero(at, c->synq_at);
    return at;
}

/* a goes before b: the earlier deadline, then the older block */
static int
heap_before(const struct tcp_pcb *a, const struct tcp_pcb *b)
{
    return a->t_next < b->t_next || (a->t_next == b->t_next && a->id < b->id);
}

static void
heap_put(struct stack *s, uint32_t i, struct tcp_pcb *c)
{
    s->tcp.heap[i] = c;
    c->t_heap = i + 1;
}

static void
heap_up(struct stack *s, uint32_t i)
{
    struct tcp_pcb *c = s->tcp.heap[i];

    while (i > 0) {
        uint32_t up = (i - 1) / 2;
        if (!heap_before(c, s->tcp.heap[up]))
            break;
        heap_put(s, i, s->tcp.heap[up]);
        i = up;
    }
    heap_put(s, i, c);
}

static void
heap_down(struct stack *s, uint32_t i)
{
    struct tcp_pcb *c = s->tcp.heap[i];

    for (;;) {
        uint32_t l = 2 * i + 1, m = i;
        const struct tcp_pcb *best = c;
        if (l < s->tcp.heap_n && heap_before(s->tcp.heap[l], best))
            m = l, best = s->tcp.heap[l];
        if (l + 1 < s->tcp.heap_n && heap_before(s->tcp.heap[l + 1], best))
            m = l + 1;
        if (m == i)
            break;
        heap_put(s, i, s->tcp.heap[m]);
        i = m;
    }
    heap_put(s, i, c);
}

void
tcp_timer_unlink(struct stack *s, struct tcp_pcb *c)
{
    uint32_t i = c->t_heap;

    if (!i--)
        return;
    c->t_heap = 0;
    c->t_next = 0;
    struct tcp_pcb *last = s->tcp.heap[--s->tcp.heap_n];
    if (last == c)
        return;
    heap_put(s, i, last);
    heap_up(s, i);
    heap_down(s, last->t_heap - 1);
}

int
tcp_timer_reserve(struct stack *s)
{
    uint32_t n = s->tcp.heap_cap ? s->tcp.heap_cap * 2 : 64;
    struct tcp_pcb **h, **d;

    if (s->tcp.heap_cap > s->tcp.n_pcbs)
        return 0;
    h = realloc(s->tcp.heap, n * sizeof(*h));
    if (!h)
        return -ENOMEM;
    s->tcp.heap = h;
    d = realloc(s->tcp.due, n * sizeof(*d));
    if (!d)
        return -ENOMEM;
    s->tcp.due = d;
    s->tcp.heap_cap = s->tcp.due_cap = n;
    return 0;
}

void
tcp_timer_sched(struct stack *s, struct tcp_pcb *c)
{
    uint64_t at = tcp_deadline(c);

    TCP_TRACE(s, tcp_trace_vars(s, c, NULL));
    if (!at) {
        tcp_timer_unlink(s, c);
        return;
    }
    if (c->t_heap && c->t_next == at)
        return;
    c->t_next = at;
    if (!c->t_heap) {
        /* tcp_open reserved a place for every block: heap_n < heap_cap */
        heap_put(s, s->tcp.heap_n++, c);
    }
    heap_up(s, c->t_heap - 1);
    heap_down(s, c->t_heap - 1);
}

void
tcp_timer_free(struct stack *s)
{
    free(s->tcp.heap);
    free(s->tcp.due);
    s->tcp.heap = s->tcp.due = NULL;
    s->tcp.heap_n = s->tcp.heap_cap = s->tcp.due_cap = 0;
}

size_t
tcp_timer_check(const struct stack *s)
{
    size_t bad = 0;

    for (const struct tcp_pcb *c = s->tcp.pcbs; c; c = c->next) {
        uint64_t at = tcp_deadline(c);
        if (at ? !c->t_heap || c->t_next != at || s->tcp.heap[c->t_heap - 1] != c
               : c->t_heap != 0)
            bad++;
    }
    return bad;
}

/* Newest block first, as the walk of the block list went before the
 * heap: the same input gives the same output. */
static int
due_cmp(const void *a, const void *b)
{
    uint64_t x = (*(struct tcp_pcb *const *)a)->id, y = (*(struct tcp_pcb *const *)b)->id;

    return x < y ? 1 : x > y ? -1 : 0;
}

/* Take the blocks whose earliest deadline has come off the heap, into
 * s->tcp.due in the order they run. Returns how many. */
static uint32_t
tcp_timer_due(struct stack *s)
{
    uint32_t n = 0;

    while (s->tcp.heap_n && s->tcp.heap[0]->t_next <= s->now_us) {
        s->tcp.due[n++] = s->tcp.heap[0];
        tcp_timer_unlink(s, s->tcp.heap[0]);
    }
    if (n > 1)
        qsort(s->tcp.due, n, sizeof(*s->tcp.due), due_cmp);
    return n;
}

/* Only the blocks with a deadline that has come are visited (counted in
 * tcp.timer_visits): an idle connection costs nothing here. */
void
tcp_poll(struct stack *s)
{
    uint32_t n = tcp_timer_due(s);

    s->tcp.polling = 1; /* a block the owner closes meanwhile stays */
    for (uint32_t i = 0; i < n; i++) {
        struct tcp_pcb *c = s->tcp.due[i];
        s->stats.tcp.timer_visits++;
        if (c->state == TCP_LISTEN)
            tcp_syn_poll(s, c);
        tcp_timers(s, c);
        tcp_timer_sched(s, c);
    }
    s->tcp.polling = 0;
    tcp_tw_poll(s);
    tcp_syn_log_poll(s);
    tcp_reap(s);
}

uint64_t
tcp_poll_at(const struct stack *s)
{
    uint64_t at = s->tcp.heap_n ? s->tcp.heap[0]->t_next : 0;

    at = min_nonzero(at, tcp_tw_poll_at(s));
    at = min_nonzero(at, tcp_syn_log_at(s));
    return at ? at : STACK_NEVER;
}
