/*
 * arp.h - ARP: address resolution for IPv4 over Ethernet.
 *
 * Owns: the neighbour cache (RFC 826, RFC 1122 §2.3.2.1), answering
 * requests for our address, resolving next hops with retries and a small
 * queue of packets per unresolved entry, expiry of entries, and the
 * gratuitous announcement at start (RFC 5227 §2.3).
 * Leaves out: proxy ARP, address conflict defence beyond a log line,
 * reverse ARP.
 */
#ifndef USTACK_PROTO_ARP_H
#define USTACK_PROTO_ARP_H

#include <stdint.h>

struct stack;
struct pkb;

#define ARP_CACHE_SIZE 64

enum arp_state { ARP_FREE, ARP_INCOMPLETE, ARP_REACHABLE };

struct arp_entry {
    uint32_t ip;
    uint8_t mac[6];
    uint8_t state;        /* enum arp_state */
    uint8_t tries;        /* requests sent while INCOMPLETE */
    uint64_t deadline_us; /* INCOMPLETE: next retry; REACHABLE: expiry */
    uint64_t used_us;     /* last use, for eviction */
    struct pkb *queue;    /* packets waiting for resolution, oldest first */
    uint32_t queue_len;
};

struct arp_cache {
    struct arp_entry e[ARP_CACHE_SIZE];
};

void arp_input(struct stack *s, struct pkb *p);
/* Send an IPv4 packet (p starts at the IP header) to the on-link host
 * next_hop: now if its MAC is known, else after resolution. Consumes p.
 * 0: sent, queued, or dropped because the entry's queue is full (counted
 * in arp.queue_full). */
int arp_output(struct stack *s, struct pkb *p, uint32_t next_hop);
/* Broadcast a gratuitous ARP for our address. */
void arp_announce(struct stack *s);
void arp_poll(struct stack *s);
uint64_t arp_poll_at(const struct stack *s);
void arp_free(struct stack *s);
/* The cache entry for ip, or NULL (for tests and tools). */
const struct arp_entry *arp_lookup(const struct stack *s, uint32_t ip);

#endif
