/*
 * arp.c - ARP cache, resolution and replies. See arp.h.
 */
#include "proto/arp.h"

#include <errno.h>
#include <string.h>

#include "proto/eth.h"
#include "stack_var.h"
#include "wire/addr.h"
#include "wire/arp_hdr.h"
#include "wire/eth_hdr.h"

static struct arp_entry *
arp_find(struct stack *s, uint32_t ip)
{
    for (int i = 0; i < ARP_CACHE_SIZE; i++)
        if (s->arp.e[i].state != ARP_FREE && s->arp.e[i].ip == ip)
            return &s->arp.e[i];
    return NULL;
}

const struct arp_entry *
arp_lookup(const struct stack *s, uint32_t ip)
{
    return arp_find((struct stack *)s, ip);
}

static void
arp_entry_clear(struct arp_entry *e)
{
    pkb_free_chain(e->queue);
    memset(e, 0, sizeof(*e));
}

/* A free slot, or the least recently used one (a full cache evicts). */
static struct arp_entry *
arp_slot(struct stack *s)
{
    struct arp_entry *victim = &s->arp.e[0];

    for (int i = 0; i < ARP_CACHE_SIZE; i++) {
        struct arp_entry *e = &s->arp.e[i];
        if (e->state == ARP_FREE)
            return e;
        if (e->used_us < victim->used_us)
            victim = e;
    }
    s->stats.arp.evicted++;
    arp_entry_clear(victim);
    return victim;
}

static void
arp_send(struct stack *s, uint16_t op, const uint8_t eth_dst[6],
         const uint8_t tha[6], uint32_t tpa)
{
    struct arp_repr a = {.op = op, .spa = s->addr, .tpa = tpa};
    struct pkb *p = pkb_alloc(&s->pool, ARP_LEN);

    if (!p) {
        s->stats.eth.tx_nobufs++;
        return;
    }
    memcpy(a.sha, s->mac, 6);
    memcpy(a.tha, tha, 6);
    arp_emit(&a, pkb_put(p, ARP_LEN), ARP_LEN);
    eth_output(s, p, eth_dst, ETH_TYPE_ARP);
}

static const uint8_t zero_mac[6];

static void
arp_request(struct stack *s, uint32_t ip)
{
    char b[IP_STR_LEN];

    SLOG(s, LOG_DEBUG, "arp", "who-has %s", ip_fmt(ip, b));
    s->stats.arp.tx_requests++;
    stack_why(s, WHY_ARP_REQUEST, ip, 0, 0);
    arp_send(s, ARP_OP_REQUEST, eth_broadcast, zero_mac, ip);
}

void
arp_announce(struct stack *s)
{
    char b[IP_STR_LEN];

    /* RFC 5227 §2.3: an ARP request with sender and target both our address */
    SLOG(s, LOG_INFO, "arp", "announcing %s", ip_fmt(s->addr, b));
    s->stats.arp.tx_announces++;
    stack_why(s, WHY_ARP_ANNOUNCE, 0, 0, 0);
    arp_send(s, ARP_OP_REQUEST, eth_broadcast, zero_mac, s->addr);
}

/* Learn (or refresh) ip -> mac and send whatever waited for it. */
static void
arp_update(struct stack *s, struct arp_entry *e, const uint8_t mac[6])
{
    struct pkb *q = e->queue;

    if (e->state == ARP_INCOMPLETE)
        s->stats.arp.resolved++;
    memcpy(e->mac, mac, 6);
    e->state = ARP_REACHABLE;
    e->deadline_us = s->now_us + (uint64_t)s->cfg.arp_timeout_s * 1000000;
    e->used_us = s->now_us;
    e->queue = NULL;
    e->queue_len = 0;
    while (q) {
        struct pkb *next = q->next;
        q->next = NULL;
        s->why = q->why.kind ? q->why : (struct why){.kind = WHY_ARP_RESOLVED};
        eth_output(s, q, e->mac, ETH_TYPE_IPV4);
        q = next;
    }
}

static int
arp_sender_ok(const struct stack *s, const struct arp_repr *a)
{
    if (eth_is_group(a->sha))
        return 0;
    return a->spa == 0 || !stack_addr_is_martian(s, a->spa);
}

void
arp_input(struct stack *s, struct pkb *p)
{
    struct arp_repr a;
    char b[96];
    int rc = arp_parse(pkb_data(p), p->len, &a);

    s->stats.arp.rx_packets++;
    if (rc == -EPROTONOSUPPORT) {
        s->stats.arp.rx_bad_hw++;
        goto drop;
    }
    if (rc < 0) {
        s->stats.arp.rx_bad_len++;
        goto drop;
    }
    if (a.op != ARP_OP_REQUEST && a.op != ARP_OP_REPLY) {
        s->stats.arp.rx_bad_op++;
        goto drop;
    }
    if (!arp_sender_ok(s, &a)) {
        s->stats.arp.rx_bad_sender++;
        goto drop;
    }
    SLOG(s, LOG_DEBUG, "arp", "rx %s", arp_fmt(&a, b, sizeof(b)));
    if (a.spa == s->addr && memcmp(a.sha, s->mac, 6) != 0) {
        char m[MAC_STR_LEN];
        SLOG(s, LOG_WARN, "arp", "address conflict: %s also claimed by %s",
             ip_fmt(a.spa, b), mac_fmt(a.sha, m));
        s->stats.arp.rx_bad_sender++;
        goto drop;
    }

    /* RFC 826 "Packet Reception": merge first, then add if we are the target. */
    struct arp_entry *e = a.spa ? arp_find(s, a.spa) : NULL;
    int merged = e != NULL;
    if (e)
        arp_update(s, e, a.sha);
    if (a.tpa != s->addr) {
        s->stats.arp.rx_not_for_us++;
        goto drop;
    }
    if (!merged && a.spa) {
        e = arp_slot(s);
        e->ip = a.spa;
        arp_update(s, e, a.sha);
    }
    if (a.op == ARP_OP_REQUEST) {
        s->stats.arp.rx_requests++;
        s->stats.arp.tx_replies++;
        stack_why(s, WHY_ARP_REPLY, 0, 0, 0);
        arp_send(s, ARP_OP_REPLY, a.sha, a.sha, a.spa);
    } else {
        s->stats.arp.rx_replies++;
    }
drop:
    pkb_free(p);
}

int
arp_output(struct stack *s, struct pkb *p, uint32_t next_hop)
{
    struct arp_entry *e = arp_find(s, next_hop);

    p->why = s->why; /* the request below has its own */
    if (e && e->state == ARP_REACHABLE) {
        e->used_us = s->now_us;
        return eth_output(s, p, e->mac, ETH_TYPE_IPV4);
    }
    if (!e) {
        e = arp_slot(s);
        e->ip = next_hop;
        e->state = ARP_INCOMPLETE;
        e->tries = 1;
        e->used_us = s->now_us;
        e->deadline_us = s->now_us + (uint64_t)s->cfg.arp_retry_ms * 1000;
        arp_request(s, next_hop);
    }
    if (e->queue_len >= s->cfg.arp_queue_len) {
        /* dropped and counted; like Linux, not an error for the sender:
         * a lost datagram, or a TCP retransmission later */
        s->stats.arp.queue_full++;
        pkb_free(p);
        return 0;
    }
    /* append: packets leave in the order they were sent */
    struct pkb **tail = &e->queue;
    while (*tail)
        tail = &(*tail)->next;
    p->next = NULL;
    *tail = p;
    e->queue_len++;
    return 0;
}

void
arp_poll(struct stack *s)
{
    char b[IP_STR_LEN];

    for (int i = 0; i < ARP_CACHE_SIZE; i++) {
        struct arp_entry *e = &s->arp.e[i];
        if (e->state == ARP_FREE || e->deadline_us > s->now_us)
            continue;
        if (e->state == ARP_REACHABLE) {
            s->stats.arp.expired++;
            arp_entry_clear(e);
        } else if (e->tries < s->cfg.arp_retries) {
            /* RFC 1122 §2.3.2.1: no more than one request a second (here:
             * per arp_retry_ms), counted from this one even if polled late */
            e->tries++;
            e->deadline_us = s->now_us + (uint64_t)s->cfg.arp_retry_ms * 1000;
            arp_request(s, e->ip);
        } else {
            /* RFC 1122 §2.3.2.2: give up; what waited is dropped */
            SLOG(s, LOG_INFO, "arp", "%s did not answer %u requests",
                 ip_fmt(e->ip, b), e->tries);
            s->stats.arp.resolve_failed++;
            s->stats.arp.unresolved_drops += e->queue_len;
            arp_entry_clear(e);
        }
    }
}

uint64_t
arp_poll_at(const struct stack *s)
{
    uint64_t at = STACK_NEVER;

    for (int i = 0; i < ARP_CACHE_SIZE; i++) {
        const struct arp_entry *e = &s->arp.e[i];
        if (e->state != ARP_FREE && e->deadline_us < at)
            at = e->deadline_us;
    }
    return at;
}

void
arp_free(struct stack *s)
{
    for (int i = 0; i < ARP_CACHE_SIZE; i++)
        arp_entry_clear(&s->arp.e[i]);
}
