/*
 * ip_reass.h - IPv4 fragment reassembly.
 *
 * Owns: the datagrams under reassembly (RFC 791 §3.2, RFC 815 for the
 * idea of tracking what is still missing). Fragments are kept as received,
 * sorted by offset, and copied into one buffer once nothing is missing.
 * Safety rules:
 *   - an exact duplicate fragment is dropped and counted;
 *   - any other overlap discards the whole datagram (as RFC 5722 does for
 *     IPv6 and Linux does for IPv4 since 2018), so no overlap trick can
 *     make us deliver a datagram other than the sender's;
 *   - a datagram is abandoned after reass_timeout_s (RFC 791 suggests 15 s,
 *     RFC 1122 §3.3.2 60-120 s; we default to 30 s as Linux), with an ICMP
 *     time exceeded (code 1) if its first fragment had arrived;
 *   - memory (buffer bytes held) and the number of datagrams are capped;
 *     when full, the oldest datagram is dropped to make room.
 */
#ifndef USTACK_PROTO_IP_REASS_H
#define USTACK_PROTO_IP_REASS_H

#include <stdint.h>

#include "wire/ipv4_hdr.h"

struct stack;
struct pkb;
struct ip_meta;

struct reass_dgram {
    uint8_t used;
    uint8_t proto;
    uint16_t id;
    uint32_t src, dst;
    uint32_t total_len;   /* payload bytes; 0 until the last fragment came */
    uint64_t expires_us;
    uint64_t created_us;  /* for choosing the oldest to evict */
    struct pkb *frags;    /* sorted by offset (pkb->aux), data at payload */
    uint32_t held_bytes;  /* buffer bytes of frags */
    uint8_t hdr[IPV4_HDR_MAX]; /* header of the first fragment */
    uint8_t hdr_len;      /* 0 until the first fragment came */
    uint8_t bcast;
};

struct ip_reass {
    struct reass_dgram *d; /* cfg.reass_max_count slots */
    uint32_t count;
    uint32_t held_bytes;   /* over all datagrams */
};

int ip_reass_init(struct stack *s);
void ip_reass_free(struct stack *s);
/* Take fragment p (data at its payload, header in front) described by r.
 * Consumes p. Returns the whole datagram, with m updated, once complete;
 * NULL otherwise. */
struct pkb *ip_reass_insert(struct stack *s, struct pkb *p, const struct ipv4_repr *r,
                            struct ip_meta *m);
void ip_reass_poll(struct stack *s);
uint64_t ip_reass_poll_at(const struct stack *s);

#endif
