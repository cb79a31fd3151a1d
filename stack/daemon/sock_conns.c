/*
 * sock_conns.c - CTL_CONNS: the engine's TCP connections as ustat shows
 * them (as the kernel's inet_diag answers ss). See sock.h.
 *
 * Owns: joining each row of tcp_view_walk (proto/tcp_api.h: the engine's
 * own tables, so connections no socket holds any more, half-open ones on
 * a SYN queue and TIME-WAIT records are there too) with the socket table:
 * the engine's owner of a connection is its struct sock. Reads the engine
 * only through tcp_api.h.
 */
#include <string.h>

#include "daemon/sock.h"
#include "daemon/sock_var.h"
#include "proto/tcp_api.h"

struct conns_walk {
    uid_t uid;      /* who asks */
    uint32_t first; /* rows to skip */
    struct ctl_conn_info *rows;
    size_t max, out;
    uint32_t seen;
};

static void
conn_info_from(const struct tcp_view *v, struct ctl_conn_info *r)
{
    const struct tcp_info_lite *i = &v->info;

    r->state = v->state;
    r->laddr = v->laddr;
    r->raddr = v->raddr;
    r->lport = v->lport;
    r->rport = v->rport;
    r->recv_q = v->recv_q;
    r->send_q = v->send_q;
    r->timer = v->timer;
    r->timer_ms = v->timer_ms;
    r->timer_retries = v->timer_retries;
    if (v->orphan)
        r->flags |= CTL_CONN_ORPHAN;
    if (v->kind == TCP_VIEW_SYN)
        r->flags |= CTL_CONN_SYNQ;
    else if (v->kind == TCP_VIEW_TW)
        r->flags |= CTL_CONN_TW;
    else if (v->state != TCP_LISTEN)
        r->flags |= CTL_CONN_INFO;
    r->rtt_us = i->rtt_us;
    r->rttvar_us = i->rttvar_us;
    r->rto_us = i->rto_us;
    r->snd_mss = i->snd_mss;
    r->rcv_mss = i->rcv_mss;
    r->cwnd = i->cwnd;
    r->ssthresh = i->ssthresh;
    r->snd_wscale = i->snd_wscale;
    r->rcv_wscale = i->rcv_wscale;
    r->bytes_acked = v->bytes_acked;
    r->bytes_received = v->bytes_received;
    r->total_retrans = i->total_retrans;
    r->snd_wnd = i->snd_wnd;
    r->rcv_wnd = i->rcv_wnd;
    r->unacked = i->unacked;
    r->options = i->options;
}

static int
conns_row(void *arg, const struct tcp_view *v)
{
    struct conns_walk *w = arg;

    if (w->seen++ < w->first || w->out == w->max)
        return 0; /* keep counting: *total is every connection */
    struct ctl_conn_info *r = &w->rows[w->out++];
    memset(r, 0, sizeof(*r));
    conn_info_from(v, r);
    const struct sock *so = v->owner;
    if (so) {
        r->flags |= CTL_CONN_SOCK;
        r->sock_id = so->id;
        r->owner_uid = (uint32_t)so->owner_uid;
        if (so->app_gone)
            r->flags |= CTL_CONN_ORPHAN; /* the daemon drains what it wrote */
        if (w->uid == 0 || w->uid == so->owner_uid) {
            r->flags |= CTL_CONN_PID;
            r->owner_pid = (uint32_t)so->owner_pid;
        }
    }
    return 0;
}

size_t
sock_conns(struct sock_table *t, uid_t uid, uint32_t first, struct ctl_conn_info *rows,
           size_t max, uint32_t *total)
{
    struct conns_walk w = {.uid = uid, .first = first, .rows = rows, .max = max};

    if (t->s)
        tcp_view_walk(t->s, conns_row, &w);
    *total = w.seen;
    return w.out;
}
