/*
 * tcp_hash.c - finding a connection by hash (FreeBSD's in_pcblookup_hash).
 *
 * Owns four tables of struct stack, each an intrusive htab (core/htab.h)
 * keyed by SipHash-2-4 with a secret derived from the RFC 6528 ISN key,
 * so that a remote peer, who chooses its address and port, cannot aim its
 * connections at one chain:
 *   conns      blocks in a synchronized or SYN state, by 4-tuple
 *   listeners  blocks in LISTEN, by local port
 *   synq       the listeners' half-open connections (tcp_syn.c), by 4-tuple
 *   tws        the TIME_WAIT records (tcp_tw.c), by 4-tuple
 * A block enters and leaves conns and listeners as its state changes
 * (tcp_set_state calls tcp_hash_update), so its 4-tuple must be set
 * before it leaves CLOSED, as tcp_connect and tcp_syn.c do.
 *
 * A SYN-queue entry is found by its 4-tuple alone: for one 4-tuple,
 * tcp_listener_find gives one listener, the only one that makes entries
 * for it (a listener that closes takes its entries with it).
 *
 * When several blocks match, the one the old walk of the block list
 * found wins, so that the same input gives the same output: the newest
 * connection, the oldest listener (blocks are numbered as they open).
 *
 * Leaves out: a table of bound ports (tcp_bind still walks the blocks and
 * the TIME_WAIT records: once per bind, never per segment or wakeup).
 */
#include <string.h>

#include "core/siphash.h"
#include "proto/tcp.h"
#include "stack_var.h"

enum { HASHED_NONE, HASHED_CONN, HASHED_LISTEN };

/* The hash secret: SipHash of the ISN secret under two labels, so no
 * draw of the RNG is added (the ISNs and ports of a seed stay). */
static void
tcp_hash_key(struct stack *s)
{
    static const char labels[2][8] = {"tcphash0", "tcphash1"};

    for (int i = 0; i < 2; i++) {
        uint64_t k = siphash24(s->tcp.isn_key, labels[i], sizeof(labels[i]));
        memcpy(s->tcp.hash_key + 8 * i, &k, 8);
    }
}

uint64_t
tcp_hash4(const struct stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr,
          uint16_t rport)
{
    uint8_t t[12];

    memcpy(t, &laddr, 4);
    memcpy(t + 4, &raddr, 4);
    memcpy(t + 8, &lport, 2);
    memcpy(t + 10, &rport, 2);
    return siphash24(s->tcp.hash_key, t, sizeof(t));
}

static uint64_t
tcp_hash_port(const struct stack *s, uint16_t port)
{
    return siphash24(s->tcp.hash_key, &port, sizeof(port));
}

static uint64_t
conn_hash(const struct hnode *n, const void *ctx)
{
    const struct tcp_pcb *c = HTAB_ENTRY(n, struct tcp_pcb, hnode);

    return tcp_hash4(ctx, c->laddr, c->lport, c->raddr, c->rport);
}

static uint64_t
listener_hash(const struct hnode *n, const void *ctx)
{
    return tcp_hash_port(ctx, HTAB_ENTRY(n, struct tcp_pcb, hnode)->lport);
}

static uint64_t
syn_hash(const struct hnode *n, const void *ctx)
{
    const struct tcp_syn_entry *e = HTAB_ENTRY(n, struct tcp_syn_entry, hnode);

    return tcp_hash4(ctx, e->laddr, e->lport, e->raddr, e->rport);
}

static uint64_t
tw_hash(const struct hnode *n, const void *ctx)
{
    const struct tcp_tw *tw = HTAB_ENTRY(n, struct tcp_tw, hnode);

    return tcp_hash4(ctx, tw->laddr, tw->lport, tw->raddr, tw->rport);
}

int
tcp_hash_init(struct stack *s)
{
    tcp_hash_key(s);
    if (htab_init(&s->tcp.conns, conn_hash, s) < 0 ||
        htab_init(&s->tcp.listeners, listener_hash, s) < 0 ||
        htab_init(&s->tcp.synq, syn_hash, s) < 0 ||
        htab_init(&s->tcp.tws, tw_hash, s) < 0)
        return -1;
    return 0;
}

void
tcp_hash_free(struct stack *s)
{
    htab_free(&s->tcp.conns);
    htab_free(&s->tcp.listeners);
    htab_free(&s->tcp.synq);
    htab_free(&s->tcp.tws);
}

void
tcp_syn_hash_insert(struct stack *s, struct tcp_syn_entry *e)
{
    htab_insert(&s->tcp.synq, &e->hnode, syn_hash(&e->hnode, s));
}

void
tcp_syn_hash_remove(struct stack *s, struct tcp_syn_entry *e)
{
    htab_remove(&s->tcp.synq, &e->hnode, syn_hash(&e->hnode, s));
}

struct tcp_syn_entry *
tcp_syn_find(const struct stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr,
             uint16_t rport)
{
    uint64_t h = tcp_hash4(s, laddr, lport, raddr, rport);

    for (struct hnode *n = htab_chain(&s->tcp.synq, h); n; n = n->next) {
        struct tcp_syn_entry *e = HTAB_ENTRY(n, struct tcp_syn_entry, hnode);
        if (e->lport == lport && e->rport == rport && e->raddr == raddr &&
            e->laddr == laddr)
            return e;
    }
    return NULL;
}

void
tcp_tw_hash_insert(struct stack *s, struct tcp_tw *tw)
{
    htab_insert(&s->tcp.tws, &tw->hnode, tw_hash(&tw->hnode, s));
}

void
tcp_tw_hash_remove(struct stack *s, struct tcp_tw *tw)
{
    htab_remove(&s->tcp.tws, &tw->hnode, tw_hash(&tw->hnode, s));
}

/* Of two records on one 4-tuple (a port reused with SO_REUSEADDR), the
 * one that expires first, as the walk of the expiry list found. */
struct tcp_tw *
tcp_tw_lookup(const struct stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr,
              uint16_t rport)
{
    uint64_t h = tcp_hash4(s, laddr, lport, raddr, rport);
    struct tcp_tw *found = NULL;

    for (struct hnode *n = htab_chain(&s->tcp.tws, h); n; n = n->next) {
        struct tcp_tw *tw = HTAB_ENTRY(n, struct tcp_tw, hnode);
        if (tw->lport != lport || tw->rport != rport || tw->raddr != raddr ||
            tw->laddr != laddr)
            continue;
        if (!found || tw->t_2msl < found->t_2msl)
            found = tw;
    }
    return found;
}

static int
tcp_hash_want(const struct tcp_pcb *c)
{
    switch (c->state) {
    case TCP_CLOSED: return HASHED_NONE;
    case TCP_LISTEN: return HASHED_LISTEN;
    default: return HASHED_CONN;
    }
}

void
tcp_hash_unlink(struct stack *s, struct tcp_pcb *c)
{
    if (c->hashed == HASHED_CONN)
        htab_remove(&s->tcp.conns, &c->hnode, conn_hash(&c->hnode, s));
    else if (c->hashed == HASHED_LISTEN)
        htab_remove(&s->tcp.listeners, &c->hnode, listener_hash(&c->hnode, s));
    c->hashed = HASHED_NONE;
}

void
tcp_hash_update(struct stack *s, struct tcp_pcb *c)
{
    int want = tcp_hash_want(c);

    if (want == c->hashed)
        return;
    tcp_hash_unlink(s, c);
    if (want == HASHED_CONN)
        htab_insert(&s->tcp.conns, &c->hnode, conn_hash(&c->hnode, s));
    else if (want == HASHED_LISTEN)
        htab_insert(&s->tcp.listeners, &c->hnode, listener_hash(&c->hnode, s));
    c->hashed = (uint8_t)want;
}

struct tcp_pcb *
tcp_conn_find(const struct stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr,
              uint16_t rport)
{
    uint64_t h = tcp_hash4(s, laddr, lport, raddr, rport);
    struct tcp_pcb *found = NULL;

    for (struct hnode *n = htab_chain(&s->tcp.conns, h); n; n = n->next) {
        struct tcp_pcb *c = HTAB_ENTRY(n, struct tcp_pcb, hnode);
        if (c->lport != lport || c->rport != rport || c->raddr != raddr ||
            c->laddr != laddr)
            continue;
        if (!found || c->id > found->id)
            found = c;
    }
    return found;
}

struct tcp_pcb *
tcp_listener_find(const struct stack *s, uint32_t addr, uint16_t port)
{
    uint64_t h = tcp_hash_port(s, port);
    struct tcp_pcb *found = NULL;

    for (struct hnode *n = htab_chain(&s->tcp.listeners, h); n; n = n->next) {
        struct tcp_pcb *c = HTAB_ENTRY(n, struct tcp_pcb, hnode);
        if (c->lport != port || (c->laddr && c->laddr != addr))
            continue;
        if (!found || c->id < found->id)
            found = c;
    }
    return found;
}
