/*
 * udp.c - UDP input, output and endpoints. See udp.h.
 */
#include "proto/udp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "proto/icmp.h"
#include "proto/ipv4.h"
#include "stack_var.h"
#include "wire/addr.h"
#include "wire/icmp_hdr.h"
#include "wire/ipv4_hdr.h"
#include "wire/udp_hdr.h"

static void
udp_notify(struct stack *s, struct udp_pcb *u)
{
    if (s->cfg.notify && u->owner)
        s->cfg.notify(s->cfg.notify_ctx, u->owner);
}

/* The endpoint a datagram to dst:dport from src:sport belongs to: a
 * connected one matching the whole 4-tuple first, then one bound to the
 * port on dst or on any address (RFC 1122 §4.1.3.5 leaves the choice to
 * the host; this is the BSD order). */
static struct udp_pcb *
udp_lookup(struct stack *s, uint32_t dst, uint16_t dport, uint32_t src, uint16_t sport)
{
    struct udp_pcb *best = NULL;

    for (struct udp_pcb *u = s->udp.pcbs; u; u = u->next) {
        if (u->lport != dport || (u->laddr && u->laddr != dst))
            continue;
        if (u->raddr) {
            if (u->raddr == src && u->rport == sport)
                return u;
            continue;
        }
        if (!best || (u->laddr && !best->laddr))
            best = u;
    }
    return best;
}

void
udp_input(struct stack *s, struct pkb *p, const struct ip_meta *m)
{
    struct udp_repr r;
    enum udp_bad why;
    char b[64];

    s->stats.udp.rx_datagrams++;
    if (udp_parse(pkb_data(p), p->len, m->src, m->dst, &r, &why) < 0) {
        if (why == UDP_BAD_LEN)
            s->stats.udp.rx_bad_len++;
        else
            s->stats.udp.rx_bad_cksum++;
        goto drop;
    }
    SLOG(s, LOG_DEBUG, "udp", "rx %s", udp_fmt(&r, b, sizeof(b)));
    struct udp_pcb *u = udp_lookup(s, m->dst, r.dport, m->src, r.sport);
    if (!u) {
        /* RFC 1122 §4.1.3.1: port unreachable (icmp_error declines it for
         * broadcasts) */
        s->stats.udp.rx_no_port++;
        icmp_error(s, p, m, ICMP_DEST_UNREACH, ICMP_UNREACH_PORT);
        goto drop;
    }
    size_t n = r.len - UDP_HDR_LEN;
    if (u->rxq && u->rxq_truesize + p->cap > u->rcvbuf) {
        s->stats.udp.rx_queue_full++;
        goto drop;
    }
    if (s->udp.rx_bufs >= s->cfg.pkb_count / 2) {
        s->stats.udp.rx_no_mem++; /* the pool is for everyone */
        goto drop;
    }
    pkb_trim(p, r.len);
    pkb_pull(p, UDP_HDR_LEN);
    p->aux = m->src;
    p->aux2 = r.sport;
    p->next = NULL;
    if (u->rxq_tail)
        u->rxq_tail->next = p;
    else
        u->rxq = p;
    u->rxq_tail = p;
    u->rxq_bytes += (uint32_t)n;
    u->rxq_truesize += p->cap;
    s->udp.rx_bufs++;
    s->stats.udp.rx_delivered++;
    udp_notify(s, u);
    return;
drop:
    pkb_free(p);
}

void
udp_icmp_error(struct stack *s, uint8_t type, uint8_t code, const uint8_t *q,
               size_t q_len)
{
    size_t ihl = (size_t)(q[0] & 0x0f) * 4;

    if (q_len < ihl + UDP_HDR_LEN)
        return;
    uint32_t src = be32_get(q + 12), dst = be32_get(q + 16);
    uint16_t sport = be16_get(q + ihl), dport = be16_get(q + ihl + 2);
    if (src != s->addr)
        return;
    /* Linux reports these only on connected sockets (no IP_RECVERR here);
     * an unconnected one (raddr 0) must not match a quote naming 0.0.0.0:0 */
    for (struct udp_pcb *u = s->udp.pcbs; u; u = u->next) {
        if (u->raddr && u->lport == sport && u->raddr == dst && u->rport == dport) {
            if (type == ICMP_DEST_UNREACH &&
                (code == ICMP_UNREACH_PORT || code == ICMP_UNREACH_PROTO))
                u->so_error = ECONNREFUSED;
            else if (type == ICMP_DEST_UNREACH)
                u->so_error = EHOSTUNREACH;
            else
                return;
            s->stats.udp.rx_icmp_errors++;
            udp_notify(s, u);
            return;
        }
    }
}

struct udp_pcb *
udp_open(struct stack *s, void *owner)
{
    struct udp_pcb *u = calloc(1, sizeof(*u));

    if (!u)
        return NULL;
    u->owner = owner;
    u->rcvbuf = UDP_RCVBUF_DEFAULT;
    u->next = s->udp.pcbs;
    s->udp.pcbs = u;
    return u;
}

void
udp_close(struct stack *s, struct udp_pcb *u)
{
    for (struct udp_pcb **pp = &s->udp.pcbs; *pp; pp = &(*pp)->next) {
        if (*pp == u) {
            *pp = u->next;
            break;
        }
    }
    while (u->rxq)
        udp_pop(s, u);
    free(u);
}

void
udp_free_all(struct stack *s)
{
    while (s->udp.pcbs)
        udp_close(s, s->udp.pcbs);
}

/* Someone else holds addr:port (SO_REUSEADDR on both lets them share). */
static int
udp_port_taken(struct stack *s, const struct udp_pcb *me, uint32_t addr, uint16_t port)
{
    for (struct udp_pcb *u = s->udp.pcbs; u; u = u->next) {
        if (u == me || u->lport != port)
            continue;
        if (u->laddr && addr && u->laddr != addr)
            continue;
        if (!(u->reuseaddr && me->reuseaddr))
            return 1;
    }
    return 0;
}

/* RFC 6056 §3.3.1 (Algorithm 1): a random port, tried until a free one. */
static int
udp_ephemeral(struct stack *s, struct udp_pcb *u, uint32_t addr, uint16_t *port)
{
    uint32_t span = UDP_EPHEMERAL_HI - UDP_EPHEMERAL_LO + 1;
    uint32_t next = rng_range(&s->rng, 0, span - 1);

    for (uint32_t i = 0; i < span; i++, next++) {
        uint16_t cand = (uint16_t)(UDP_EPHEMERAL_LO + next % span);
        if (!udp_port_taken(s, u, addr, cand)) {
            *port = cand;
            return 0;
        }
    }
    return -EAGAIN; /* Linux says EAGAIN when the range is exhausted */
}

int
udp_bind(struct stack *s, struct udp_pcb *u, uint32_t addr, uint16_t port)
{
    if (u->lport)
        return -EINVAL;
    if (addr && addr != s->addr && !stack_addr_is_bcast(s, addr))
        return -EADDRNOTAVAIL;
    if (port == 0) {
        int rc = udp_ephemeral(s, u, addr, &port);
        if (rc < 0)
            return rc;
    } else if (udp_port_taken(s, u, addr, port)) {
        return -EADDRINUSE;
    }
    u->laddr = addr;
    u->lport = port;
    return 0;
}

int
udp_connect(struct stack *s, struct udp_pcb *u, uint32_t addr, uint16_t port)
{
    if (addr == 0 && port == 0) { /* AF_UNSPEC: dissolve */
        u->raddr = 0;
        u->rport = 0;
        if (u->laddr_auto) { /* the wildcard again, as Linux's udp_disconnect */
            u->laddr = 0;
            u->laddr_auto = 0;
        }
        return 0;
    }
    if (port == 0)
        return -EINVAL;
    if (stack_addr_is_bcast(s, addr) && !u->broadcast)
        return -EACCES;
    if (!u->lport) {
        int rc = udp_bind(s, u, 0, 0);
        if (rc < 0)
            return rc;
    }
    /* the source address is fixed now, as Linux's ip4_datagram_connect
     * does: getsockname shows it, and only datagrams to it are taken
     * (ustack has one address, so it is the route's choice) */
    if (!u->laddr) {
        u->laddr = s->cfg.addr;
        u->laddr_auto = 1;
    }
    u->raddr = addr;
    u->rport = port;
    u->so_error = 0;
    return 0;
}

ssize_t
udp_sendto(struct stack *s, struct udp_pcb *u, const void *buf, size_t len,
           uint32_t dst, uint16_t dport)
{
    if (dst == 0) {
        if (!u->raddr)
            return -EDESTADDRREQ;
        dst = u->raddr;
        dport = u->rport;
    }
    if (dport == 0)
        return -EINVAL;
    if (len > UDP_MAX_PAYLOAD)
        return -EMSGSIZE;
    if (stack_addr_is_bcast(s, dst) && !u->broadcast)
        return -EACCES;
    if (!u->lport) {
        int rc = udp_bind(s, u, 0, 0);
        if (rc < 0)
            return rc;
    }
    struct pkb *p = pkb_alloc(&s->pool, UDP_HDR_LEN + len);
    if (!p) {
        s->stats.udp.tx_nobufs++;
        return -ENOBUFS;
    }
    uint8_t *h = pkb_put(p, UDP_HDR_LEN + len);
    memcpy(h + UDP_HDR_LEN, buf, len);
    struct udp_repr r = {.sport = u->lport, .dport = dport};
    udp_emit(&r, h, UDP_HDR_LEN + len, s->addr, dst);
    s->stats.udp.tx_datagrams++;
    stack_why(s, WHY_UDP_DATA, (uint32_t)len, 0, 0);
    /* DF clear: UDP does no path MTU discovery, a large datagram is
     * fragmented (RFC 791 §3.2) */
    int rc = ipv4_output(s, p, dst, IP_PROTO_UDP, 0);
    return rc < 0 ? rc : (ssize_t)len;
}

const uint8_t *
udp_front(const struct udp_pcb *u, size_t *len, uint32_t *src, uint16_t *sport)
{
    const struct pkb *p = u->rxq;

    if (!p)
        return NULL;
    *len = p->len;
    *src = p->aux;
    *sport = (uint16_t)p->aux2;
    return pkb_data(p);
}

void
udp_pop(struct stack *s, struct udp_pcb *u)
{
    struct pkb *p = u->rxq;

    if (!p)
        return;
    u->rxq = p->next;
    if (!u->rxq)
        u->rxq_tail = NULL;
    u->rxq_bytes -= p->len;
    u->rxq_truesize -= p->cap;
    s->udp.rx_bufs--;
    pkb_free(p);
}

int
udp_take_error(struct udp_pcb *u)
{
    int e = u->so_error;

    u->so_error = 0;
    return e;
}

void
udp_set_rcvbuf(struct udp_pcb *u, uint32_t bytes)
{
    if (bytes < UDP_RCVBUF_MIN)
        bytes = UDP_RCVBUF_MIN;
    if (bytes > UDP_RCVBUF_MAX)
        bytes = UDP_RCVBUF_MAX;
    u->rcvbuf = bytes;
}

/* ---- accessors (udp_api.h) ---- */

int
udp_error(const struct udp_pcb *u)
{
    return u->so_error;
}

uint32_t
udp_rcvbuf(const struct udp_pcb *u)
{
    return u->rcvbuf;
}

void
udp_local_name(const struct udp_pcb *u, uint32_t *addr, uint16_t *port)
{
    *addr = u->laddr;
    *port = u->lport;
}

void
udp_peer_name(const struct udp_pcb *u, uint32_t *addr, uint16_t *port)
{
    *addr = u->raddr;
    *port = u->rport;
}

void
udp_set_broadcast(struct udp_pcb *u, int on)
{
    u->broadcast = (uint8_t)(on != 0);
}

int
udp_broadcast(const struct udp_pcb *u)
{
    return u->broadcast;
}

void
udp_set_reuseaddr(struct udp_pcb *u, int on)
{
    u->reuseaddr = (uint8_t)(on != 0);
}

int
udp_reuseaddr(const struct udp_pcb *u)
{
    return u->reuseaddr;
}

uint32_t
udp_rx_queued(const struct udp_pcb *u)
{
    return u->rxq_bytes;
}
