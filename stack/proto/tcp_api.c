/*
 * tcp_api.c - the calls the socket layer makes (RFC 9293 §3.10.1-§3.10.6:
 * OPEN, SEND, RECEIVE, CLOSE, ABORT, STATUS), and the life of a
 * connection block: created by tcp_open or a listener, ended by tcp_drop,
 * freed by tcp_reap once nobody holds it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/siphash.h"
#include "proto/ipv4.h"
#include "proto/tcp.h"
#include "proto/tcp_trace.h"
#include "stack_var.h"
#include "wire/tcp_hdr.h"

#define TCP_EPHEMERAL_LO 49152
#define TCP_EPHEMERAL_HI 65535

int
tcp_init(struct stack *s)
{
    s->tcp.cc = tcp_cc_find(s->cfg.tcp_cc);
    if (!s->tcp.cc)
        return -ENOENT;
    for (int i = 0; i < 16; i += 4) {
        uint32_t r = rng_u32(&s->rng);
        memcpy(s->tcp.isn_key + i, &r, 4);
    }
    return tcp_hash_init(s) < 0 ? -ENOMEM : 0;
}

/* RFC 6528 §3: ISN = M + F(4-tuple, secret), M a 4 µs clock. */
tcp_seq
tcp_isn(struct stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
    uint8_t t[12];

    memcpy(t, &laddr, 4);
    memcpy(t + 4, &raddr, 4);
    memcpy(t + 8, &lport, 2);
    memcpy(t + 10, &rport, 2);
    return (tcp_seq)(s->now_us / 4) + (tcp_seq)siphash24(s->tcp.isn_key, t, sizeof(t));
}

void
tcp_notify(struct stack *s, struct tcp_pcb *c)
{
    void *owner = c->owner ? c->owner : (c->listener ? c->listener->owner : NULL);

    if (s->cfg.notify && owner)
        s->cfg.notify(s->cfg.notify_ctx, owner);
}

int
tcp_mem_charge(struct stack *s, size_t n)
{
    if (s->tcp.mem_used + n > s->cfg.tcp_mem_max) {
        s->stats.tcp.mem_refused++;
        return -ENOBUFS;
    }
    s->tcp.mem_used += n;
    return 0;
}

void
tcp_mem_uncharge(struct stack *s, size_t n)
{
    s->tcp.mem_used -= n < s->tcp.mem_used ? n : s->tcp.mem_used;
}

uint64_t
tcp_mem_used(const struct stack *s)
{
    return s->tcp.mem_used;
}

/* Allocate at commitment: a connection gets its rings when it is
 * established (tcp_syn.c) or when the application connects. They are
 * bounds (sndbuf, rcvbuf) with no storage yet: tcp_ring_reserve adds it
 * as bytes come, tcp_ring_release frees it when they are gone, and the
 * budget is charged for the storage there is, so that an idle connection
 * costs its block and nothing more. */
int
tcp_rings_alloc(struct stack *s, struct tcp_pcb *c)
{
    (void)s;
    if (c->snd.cap)
        return 0;
    ring_setup(&c->snd, c->sndbuf);
    ring_setup(&c->rcv, c->rcvbuf);
    return 0;
}

/* What the budget leaves. */
static size_t
tcp_mem_headroom(const struct stack *s)
{
    return s->tcp.mem_used < s->cfg.tcp_mem_max ? s->cfg.tcp_mem_max - s->tcp.mem_used
                                                : 0;
}

int
tcp_ring_reserve(struct stack *s, struct tcp_pcb *c, struct ring *r, size_t need)
{
    if (need > r->cap)
        need = r->cap;
    if (need <= r->size)
        return 0;
    size_t old = r->size, to = ring_grow_size(r, need);
    if (to - old > tcp_mem_headroom(s))
        to = need; /* the budget is short of the next step: what is needed */
    if (tcp_mem_charge(s, to - old) < 0)
        return -ENOBUFS;
    if (ring_set_size(r, to) < 0) {
        tcp_mem_uncharge(s, to - old);
        return -ENOBUFS;
    }
    c->mem_charged += (uint32_t)(to - old);
    return 0;
}

void
tcp_ring_release(struct stack *s, struct tcp_pcb *c, struct ring *r)
{
    size_t n = r->size;

    /* the receive ring's free space may hold out-of-order runs */
    if (!n || r->len || (r == &c->rcv && c->n_ooo))
        return;
    ring_set_size(r, 0);
    tcp_mem_uncharge(s, n);
    c->mem_charged -= (uint32_t)n;
}

/* Take a child off its listener's books. */
static void
tcp_unlink_child(struct tcp_pcb *c)
{
    struct tcp_pcb *l = c->listener;

    if (!l)
        return;
    if (c->in_acceptq) {
        for (struct tcp_pcb **pp = &l->acceptq; *pp; pp = &(*pp)->acceptq) {
            if (*pp == c) {
                *pp = c->acceptq;
                break;
            }
        }
        l->n_accept--;
        c->in_acceptq = 0;
    } else {
        l->n_syn--;
    }
    c->listener = NULL;
}

static void tcp_kill(struct stack *s, struct tcp_pcb *c);

void
tcp_drop(struct stack *s, struct tcp_pcb *c, int err)
{
    if (c->state == TCP_CLOSED)
        return;
    if (err) {
        c->so_error = err;
        s->stats.tcp.aborted++;
    }
    if (c->state == TCP_LISTEN) { /* its children go with it */
        for (struct tcp_pcb *k = s->tcp.pcbs; k; k = k->next)
            if (k->listener == c)
                tcp_kill(s, k);
        tcp_syn_flush(s, c, 1);
    }
    tcp_set_state(s, c, TCP_CLOSED,
                  err == ECONNRESET     ? "RST"
                  : err == ECONNREFUSED ? "refused"
                  : err == ETIMEDOUT    ? "timeout"
                  : err                 ? "error"
                                        : "done");
    c->t_rexmt = c->t_delack = c->t_persist = c->t_keep = c->t_2msl = 0;
    c->t_reo = c->t_tlp = 0;
    tcp_ooo_clear(c);
    tcp_sb_free(c);
    tcp_timer_sched(s, c);
    tcp_notify(s, c);
    tcp_unlink_child(c);
}

void
tcp_reap_note(struct stack *s, struct tcp_pcb *c)
{
    if (c->reap_queued || c->state != TCP_CLOSED || !c->app_closed)
        return;
    c->reap_queued = 1;
    c->reap_next = s->tcp.reap;
    s->tcp.reap = c;
}

static void
tcp_free(struct stack *s, struct tcp_pcb *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        s->tcp.pcbs = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->tcp.n_pcbs--;
    tcp_hash_unlink(s, c);
    tcp_timer_unlink(s, c);
    tcp_unlink_child(c);
    tcp_syn_flush(s, c, 0);
    tcp_sb_free(c);
    ring_free(&c->snd);
    ring_free(&c->rcv);
    tcp_mem_uncharge(s, c->mem_charged);
    free(c);
}

/* Free the blocks queued by tcp_reap_note that are still CLOSED and let
 * go (one accepted meanwhile is queued again when it ends). */
void
tcp_reap(struct stack *s)
{
    if (s->tcp.polling)
        return;
    while (s->tcp.reap) {
        struct tcp_pcb *c = s->tcp.reap;
        s->tcp.reap = c->reap_next;
        c->reap_queued = 0;
        if (c->state == TCP_CLOSED && c->app_closed)
            tcp_free(s, c);
    }
}

void
tcp_free_all(struct stack *s)
{
    tcp_trace_free(s);
    while (s->tcp.pcbs) {
        s->tcp.pcbs->state = TCP_CLOSED; /* no transitions, no output: we are going */
        tcp_free(s, s->tcp.pcbs);
    }
    s->tcp.reap = NULL;
    tcp_tw_free_all(s);
    tcp_hash_free(s);
    tcp_timer_free(s);
}

struct tcp_pcb *
tcp_open(struct stack *s, void *owner)
{
    if (tcp_timer_reserve(s) < 0)
        return NULL;
    if (tcp_mem_charge(s, sizeof(struct tcp_pcb)) < 0)
        return NULL;
    struct tcp_pcb *c = calloc(1, sizeof(*c));
    if (!c) {
        tcp_mem_uncharge(s, sizeof(*c));
        return NULL;
    }
    c->mem_charged = sizeof(*c);
    c->id = ++s->tcp.next_id;
    c->owner = owner;
    c->state = TCP_CLOSED;
    c->sndbuf = c->rcvbuf = TCP_BUF_DEFAULT;
    c->rto_us = TCP_RTO_INITIAL_US;
    c->snd_mss = TCP_MSS_MIN;
    c->pmtu = s->cfg.mtu;
    c->cc = s->tcp.cc;
    c->keep_idle_s = 7200; /* RFC 1122 §4.2.3.6: at least two hours */
    c->keep_intvl_s = 75;
    c->keep_cnt = 9;
    c->next = s->tcp.pcbs;
    if (c->next)
        c->next->prev = c;
    s->tcp.pcbs = c;
    s->tcp.n_pcbs++;
    return c;
}

/* Linux's inet_bind_conflict: may me share a port with c? Both with
 * SO_REUSEADDR while c does not listen, or both with SO_REUSEPORT and one
 * owner. (TIME_WAIT is a record, not a block: tcp_port_taken asks
 * tcp_tw.c. DEVIATION: a record gives way to any newcomer with
 * SO_REUSEADDR; Linux keeps the option in its timewait sock and asks
 * both.) */
static int
tcp_bind_conflict(const struct tcp_pcb *me, const struct tcp_pcb *c)
{
    if (me->reuseaddr && c->reuseaddr && c->state != TCP_LISTEN)
        return 0;
    if (me->reuseport && c->reuseport && me->uid == c->uid)
        return 0;
    return 1;
}

/* c holds its port from bind() on: bound and idle (CLOSED, never
 * connected), listening, or in a connection, until the application let go
 * of it and it ended. A connection that ended gives its port back (as
 * Linux's tcp_done, for a port it did not bind explicitly); its TIME_WAIT
 * record holds it then. */
static int
tcp_holds_port(const struct tcp_pcb *c)
{
    if (c->state != TCP_CLOSED)
        return 1;
    return c->lport && !c->app_closed && !c->rport;
}

/* addr:port is taken by a block me may not share it with. */
static int
tcp_port_taken(struct stack *s, const struct tcp_pcb *me, uint32_t addr, uint16_t port)
{
    for (struct tcp_pcb *c = s->tcp.pcbs; c; c = c->next) {
        if (c == me || c->lport != port || !tcp_holds_port(c))
            continue;
        if (c->laddr && addr && c->laddr != addr)
            continue;
        if (tcp_bind_conflict(me, c))
            return 1;
    }
    return !me->reuseaddr && tcp_tw_port_taken(s, addr, port);
}

int
tcp_bind(struct stack *s, struct tcp_pcb *c, uint32_t addr, uint16_t port)
{
    if (c->lport || c->state != TCP_CLOSED)
        return -EINVAL;
    if (addr && addr != s->addr)
        return -EADDRNOTAVAIL;
    if (port == 0) {
        uint32_t span = TCP_EPHEMERAL_HI - TCP_EPHEMERAL_LO + 1;
        uint32_t next = rng_range(&s->rng, 0, span - 1);
        uint32_t i;
        for (i = 0; i < span; i++, next++) {
            port = (uint16_t)(TCP_EPHEMERAL_LO + next % span); /* RFC 6056 §3.3.1 */
            if (!tcp_port_taken(s, c, addr, port))
                break;
        }
        if (i == span)
            return -EAGAIN;
    } else if (tcp_port_taken(s, c, addr, port)) {
        return -EADDRINUSE;
    }
    c->laddr = addr;
    c->lport = port;
    return 0;
}

int
tcp_listen(struct stack *s, struct tcp_pcb *c, int backlog)
{
    if (c->state == TCP_LISTEN) {
        c->backlog = backlog < 1 ? 1 : backlog > 4096 ? 4096 : (uint32_t)backlog;
        return 0;
    }
    if (c->state != TCP_CLOSED || c->so_error)
        return -EINVAL;
    if (!c->lport) {
        int rc = tcp_bind(s, c, 0, 0);
        if (rc < 0)
            return rc;
    } else if (tcp_port_taken(s, c, c->laddr, c->lport)) {
        return -EADDRINUSE; /* shared while bound; another listens now */
    }
    c->backlog = backlog < 1 ? 1 : backlog > 4096 ? 4096 : (uint32_t)backlog;
    tcp_set_state(s, c, TCP_LISTEN, "listen");
    return 0;
}

struct tcp_pcb *
tcp_accept(struct stack *s, struct tcp_pcb *l, void *owner)
{
    struct tcp_pcb *c = l->acceptq;

    (void)s;
    if (!c)
        return NULL;
    tcp_unlink_child(c);
    c->owner = owner;
    c->app_closed = 0;
    return c;
}

int
tcp_connect(struct stack *s, struct tcp_pcb *c, uint32_t addr, uint16_t port)
{
    switch (c->state) {
    case TCP_CLOSED:
        break;
    case TCP_SYN_SENT:
        return -EALREADY;
    case TCP_LISTEN:
        return -EINVAL;
    default:
        return -EISCONN;
    }
    if (c->so_error || c->rcv_fin || c->snd.cap)
        return -EINVAL; /* a used block: the socket layer needs a new one */
    if (addr == 0 || stack_addr_is_martian(s, addr) || ipv4_route_check(s, addr) < 0)
        return -ENETUNREACH;
    if (!c->lport) {
        int rc = tcp_bind(s, c, 0, 0);
        if (rc < 0)
            return rc;
    }
    if (tcp_rings_alloc(s, c) < 0)
        return -ENOBUFS;
    c->laddr = c->laddr ? c->laddr : s->addr;
    c->raddr = addr;
    c->rport = port;
    c->rcv_wscale = 0;
    while (c->rcv_wscale < 14 && (65535u << c->rcv_wscale) < c->rcvbuf)
        c->rcv_wscale++;
    c->iss = tcp_isn(s, c->laddr, c->lport, c->raddr, c->rport);
    c->snd_una = c->snd_nxt = c->snd_max = c->iss;
    s->stats.tcp.active_opens++;
    tcp_set_state(s, c, TCP_SYN_SENT, "connect");
    tcp_output(s, c);
    return 0;
}

ssize_t
tcp_send(struct stack *s, struct tcp_pcb *c, const void *buf, size_t len)
{
    if (c->so_error)
        return -tcp_take_error(c);
    switch (c->state) {
    case TCP_SYN_SENT:
    case TCP_SYN_RECEIVED:
    case TCP_ESTABLISHED:
    case TCP_CLOSE_WAIT:
        break;
    case TCP_CLOSED:
    case TCP_LISTEN:
        return c->snd.cap ? -EPIPE : -ENOTCONN;
    default:
        return -EPIPE;
    }
    if (c->fin_queued)
        return -EPIPE;
    size_t want = len < ring_space(&c->snd) ? len : ring_space(&c->snd);
    if (tcp_ring_reserve(s, c, &c->snd, c->snd.len + want) < 0 &&
        ring_room(&c->snd) == 0 && want)
        return -ENOBUFS;
    size_t n = ring_write(&c->snd, buf, len);
    if (n == 0 && len)
        return -EAGAIN;
    TCP_TRACE(s, tcp_trace_app(s, c, 1, n));
    stack_why(s, WHY_DATA_APP, (uint32_t)n, 0, 0);
    tcp_output(s, c);
    return (ssize_t)n;
}

ssize_t
tcp_recv(struct stack *s, struct tcp_pcb *c, void *buf, size_t len)
{
    if (c->rcv.len) {
        uint32_t before = (uint32_t)(c->rcv_adv - c->rcv_nxt);
        size_t n = ring_peek(&c->rcv, 0, buf, len);
        ring_drop(&c->rcv, n);
        TCP_TRACE(s, tcp_trace_app(s, c, 0, n));
        tcp_ring_release(s, c, &c->rcv);
        /* RFC 1122 §4.2.3.3: tell the peer when the window opened usefully
         * (what the 16-bit field can show of it: more space than that
         * would only repeat the same window, a duplicate ACK to the peer).
         * As Linux (tcp_cleanup_rbuf): only once the window offered has
         * fallen to half the buffer or less and would at least double;
         * while it is wide open, ACKs of arriving data carry the news. */
        uint32_t step = (uint32_t)c->rcv.cap / 2 < c->snd_mss ? (uint32_t)c->rcv.cap / 2
                                                              : c->snd_mss;
        uint64_t space = ring_space(&c->rcv), shown = 65535ull << c->rcv_wscale;
        uint64_t now_wnd = space < shown ? space : shown;
        if (c->state != TCP_CLOSED && c->state != TCP_LISTEN &&
            before <= c->rcv.cap / 2 && now_wnd >= 2ull * before &&
            now_wnd >= (uint64_t)before + step) {
            c->ack_now = 1;
            stack_why(s, WHY_WINDOW_UPDATE, (uint32_t)n, 0, 0);
            tcp_output(s, c);
        }
        return (ssize_t)n;
    }
    if (c->rcv_fin)
        return 0;
    if (c->so_error)
        return -tcp_take_error(c);
    if (c->state == TCP_CLOSED)
        return c->snd.cap ? 0 : -ENOTCONN;
    if (c->state == TCP_LISTEN)
        return -ENOTCONN;
    return -EAGAIN;
}

size_t
tcp_send_space(const struct stack *s, const struct tcp_pcb *c)
{
    /* what the bound leaves, as far as storage there is and the budget
     * for more go */
    size_t space = ring_space(&c->snd), can = ring_room(&c->snd) + tcp_mem_headroom(s);

    return space < can ? space : can;
}

size_t
tcp_recv_avail(const struct tcp_pcb *c)
{
    return c->rcv.len;
}

int
tcp_shutdown(struct stack *s, struct tcp_pcb *c, int how)
{
    if (how < 0 || how > 2)
        return -EINVAL;
    switch (c->state) {
    case TCP_CLOSED:
    case TCP_LISTEN:
        return -ENOTCONN;
    default:
        break;
    }
    if (how == 0 || how == 2)
        c->shut_rd = 1;
    if (how == 0 || c->fin_queued)
        return 0;
    c->fin_queued = 1;
    switch (c->state) {
    case TCP_SYN_RECEIVED: /* RFC 9293 §3.10.4: the FIN may go now */
    case TCP_ESTABLISHED:
        tcp_set_state(s, c, TCP_FIN_WAIT_1, "close");
        break;
    case TCP_CLOSE_WAIT:
        tcp_set_state(s, c, TCP_LAST_ACK, "close");
        break;
    default: /* SYN_SENT: FIN_WAIT_1 once established */
        break;
    }
    stack_why(s, WHY_FIN_APP, 0, 0, 0);
    tcp_output(s, c);
    return 0;
}

void
tcp_close(struct stack *s, struct tcp_pcb *c)
{
    c->owner = NULL;
    c->app_closed = 1;
    switch (c->state) {
    case TCP_LISTEN:
    case TCP_SYN_SENT:
        tcp_drop(s, c, 0);
        break;
    case TCP_SYN_RECEIVED:
    case TCP_ESTABLISHED:
    case TCP_CLOSE_WAIT:
        /* RFC 2525 §2.17: closing with unread data aborts (as Linux) */
        if (c->rcv.len) {
            tcp_kill(s, c);
            break;
        }
        tcp_shutdown(s, c, 2);
        break;
    case TCP_FIN_WAIT_2:
        c->t_2msl = s->now_us + TCP_FIN_TIMEOUT_US;
        break;
    default:
        break;
    }
    tcp_timer_sched(s, c);
    tcp_reap_note(s, c);
    tcp_reap(s);
}

/* RST if synchronized, then CLOSED; freed by the next tcp_reap. */
static void
tcp_kill(struct stack *s, struct tcp_pcb *c)
{
    switch (c->state) {
    case TCP_SYN_RECEIVED:
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_FIN_WAIT_2:
    case TCP_CLOSE_WAIT:
        /* RFC 9293 §3.10.5: ABORT sends <SEQ=SND.NXT><CTL=RST> */
        stack_why(s, WHY_RST_ABORT, 0, 0, 0);
        tcp_send_rst(s, c->laddr, c->raddr, c->lport, c->rport, c->snd_nxt, 0, 0);
        break;
    default:
        break;
    }
    c->owner = NULL;
    c->app_closed = 1;
    tcp_drop(s, c, 0);
    tcp_reap_note(s, c);
}

void
tcp_abort(struct stack *s, struct tcp_pcb *c)
{
    tcp_kill(s, c);
    tcp_reap(s);
}

int
tcp_take_error(struct tcp_pcb *c)
{
    int e = c->so_error;

    c->so_error = 0;
    return e;
}

/* Linux's tcpi_retrans: retransmitted bytes not yet acknowledged. */
static uint32_t
tcp_info_retrans(const struct tcp_pcb *c)
{
    if (c->in_loss) { /* went again from SND.UNA on, up to recover */
        tcp_seq end = seq_lt(c->snd_nxt, c->recover) ? c->snd_nxt : c->recover;
        return seq_gt(end, c->snd_una) ? end - c->snd_una : 0;
    }
    if (c->in_recovery) { /* the segment at SND.UNA */
        uint32_t out = c->snd_max - c->snd_una;
        return out < c->snd_mss ? out : c->snd_mss;
    }
    return 0;
}

void
tcp_get_info(const struct tcp_pcb *c, struct tcp_info_lite *i)
{
    tcp_seq seq0 = tcp_data_seq0(c);
    uint32_t sent = seq_gt(c->snd_nxt, seq0) ? c->snd_nxt - seq0 : 0;
    /* as Linux before it has measured anything: min(MSS, 536) */
    uint16_t rcv_mss = c->rcv_mss ? c->rcv_mss : c->snd_mss < 536 ? c->snd_mss : 536;

    *i = (struct tcp_info_lite){
        .state = c->state, .ca_state = tcp_cc_ca_state(c), .backoff = c->backoff,
        .options = c->wscale_ok ? TCP_INFO_OPT_WSCALE : 0,
        .snd_wscale = c->wscale_ok ? c->snd_wscale : 0,
        .rcv_wscale = c->wscale_ok ? c->rcv_wscale : 0,
        .rtt_us = c->srtt_us, .rttvar_us = c->rttvar_us, .rto_us = c->rto_us,
        .snd_mss = tcp_eff_mss(c), .rcv_mss = rcv_mss, .pmtu = c->pmtu,
        .cwnd = c->cwnd, .ssthresh = c->ssthresh, .total_retrans = c->retransmits,
        .snd_wnd = c->snd_wnd, .rcv_wnd = c->rcv_wnd,
        .unacked = c->snd_nxt - c->snd_una,
        .unsent = sent < c->snd.len ? (uint32_t)c->snd.len - sent : 0,
        .rcv_queued = (uint32_t)c->rcv.len,
        .retrans = tcp_info_retrans(c),
    };
    if (c->sack_ok)
        i->options |= TCP_INFO_OPT_SACK;
    if (c->ts_ok)
        i->options |= TCP_INFO_OPT_TIMESTAMPS;
    if (c->sb.seg) /* the scoreboard knows better, in bytes */
        tcp_sb_counts(c, &i->sacked, &i->lost, &i->retrans);
}

int
tcp_set_cc(struct stack *s, struct tcp_pcb *c, const char *name)
{
    const struct tcp_cc_ops *ops = tcp_cc_find(name);

    if (!name || !ops)
        return -ENOENT;
    /* as Linux (tcp_reinit_congestion_control): a new algorithm starts
     * from its own initial state; cwnd and ssthresh stay */
    if (ops != c->cc) {
        c->cc = ops;
        ops->init(s, c);
    }
    return 0;
}

const char *
tcp_cc_name(const struct tcp_pcb *c)
{
    return c->cc->name;
}

int
tcp_set_bufs(struct stack *s, struct tcp_pcb *c, uint32_t sndbuf, uint32_t rcvbuf)
{
    if (sndbuf) {
        sndbuf = sndbuf < TCP_BUF_MIN ? TCP_BUF_MIN : sndbuf > TCP_BUF_MAX ? TCP_BUF_MAX : sndbuf;
        if (c->snd.cap) {
            struct ring *r = &c->snd;
            size_t old = r->size;
            if (sndbuf < r->len)
                return -ENOBUFS;
            if (old > sndbuf) { /* less storage: the bound comes down to it */
                if (ring_set_size(r, r->len ? sndbuf : 0) < 0)
                    return -ENOBUFS;
                tcp_mem_uncharge(s, old - r->size);
                c->mem_charged -= (uint32_t)(old - r->size);
            }
            ring_set_cap(r, sndbuf);
        }
        c->sndbuf = sndbuf;
    }
    if (rcvbuf) {
        rcvbuf = rcvbuf < TCP_BUF_MIN ? TCP_BUF_MIN : rcvbuf > TCP_BUF_MAX ? TCP_BUF_MAX : rcvbuf;
        /* the window already offered must stay covered */
        if (c->rcv.cap && (rcvbuf < c->rcv.cap || ring_set_cap(&c->rcv, rcvbuf) < 0))
            return -EINVAL;
        c->rcvbuf = rcvbuf;
    }
    return 0;
}

void
tcp_set_reuseaddr(struct tcp_pcb *c, int on)
{
    c->reuseaddr = (uint8_t)(on != 0);
}

void
tcp_set_reuseport(struct tcp_pcb *c, int on, uint32_t uid)
{
    c->reuseport = (uint8_t)(on != 0);
    c->uid = uid;
}

void
tcp_set_nodelay(struct stack *s, struct tcp_pcb *c, int on)
{
    c->nodelay = (uint8_t)(on != 0);
    if (on)
        tcp_output(s, c);
    tcp_timer_sched(s, c);
}

void
tcp_set_keepalive(struct stack *s, struct tcp_pcb *c, int on, uint32_t idle_s,
                  uint32_t intvl_s, uint32_t cnt)
{
    c->keepalive = (uint8_t)(on != 0);
    if (idle_s)
        c->keep_idle_s = idle_s;
    if (intvl_s)
        c->keep_intvl_s = intvl_s;
    if (cnt)
        c->keep_cnt = cnt;
    c->keep_sent = 0;
    int synced = c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT ||
                 c->state == TCP_FIN_WAIT_1 || c->state == TCP_FIN_WAIT_2;
    c->t_keep = on && synced ? s->now_us + (uint64_t)c->keep_idle_s * 1000000 : 0;
    tcp_timer_sched(s, c);
}

/* ---- accessors (tcp_api.h) ---- */

int
tcp_state(const struct tcp_pcb *c)
{
    return c->state;
}

int
tcp_sendable(const struct tcp_pcb *c)
{
    if (c->fin_queued)
        return 0;
    switch (c->state) {
    case TCP_SYN_SENT:
    case TCP_SYN_RECEIVED:
    case TCP_ESTABLISHED:
    case TCP_CLOSE_WAIT: return 1;
    default: return 0;
    }
}

int
tcp_error(const struct tcp_pcb *c)
{
    return c->so_error;
}

int
tcp_recv_eof(const struct tcp_pcb *c)
{
    return c->rcv_fin;
}

uint32_t
tcp_sndbuf(const struct tcp_pcb *c)
{
    return c->sndbuf;
}

uint32_t
tcp_rcvbuf(const struct tcp_pcb *c)
{
    return c->rcvbuf;
}

uint32_t
tcp_accept_ready(const struct tcp_pcb *l)
{
    return l->n_accept;
}

void
tcp_local_name(const struct tcp_pcb *c, uint32_t *addr, uint16_t *port)
{
    *addr = c->laddr;
    *port = c->lport;
}

void
tcp_peer_name(const struct tcp_pcb *c, uint32_t *addr, uint16_t *port)
{
    *addr = c->raddr;
    *port = c->rport;
}

int
tcp_reuseaddr(const struct tcp_pcb *c)
{
    return c->reuseaddr;
}

int
tcp_reuseport(const struct tcp_pcb *c)
{
    return c->reuseport;
}

int
tcp_nodelay(const struct tcp_pcb *c)
{
    return c->nodelay;
}

void
tcp_get_keepalive(const struct tcp_pcb *c, int *on, uint32_t *idle_s, uint32_t *intvl_s,
                  uint32_t *cnt)
{
    *on = c->keepalive;
    *idle_s = c->keep_idle_s;
    *intvl_s = c->keep_intvl_s;
    *cnt = c->keep_cnt;
}

uint32_t
tcp_mss(const struct tcp_pcb *c)
{
    return c->snd_mss;
}

void
tcp_copy_options(struct stack *s, struct tcp_pcb *to, const struct tcp_pcb *from)
{
    tcp_set_bufs(s, to, from->sndbuf, from->rcvbuf);
    tcp_set_reuseaddr(to, from->reuseaddr);
    tcp_set_reuseport(to, from->reuseport, from->uid);
    tcp_set_nodelay(s, to, from->nodelay);
    tcp_set_keepalive(s, to, from->keepalive, from->keep_idle_s, from->keep_intvl_s,
                      from->keep_cnt);
    tcp_set_cc(s, to, tcp_cc_name(from));
}
