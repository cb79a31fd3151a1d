/*
 * ipv4.h - IPv4 input, routing and output.
 *
 * Owns: header validation on input (RFC 791 §3.1, RFC 1122 §3.2.1),
 * which datagrams are ours, handing fragments to reassembly, dispatch to
 * the transport protocols, protocol-unreachable for the rest; on output,
 * on-link vs default-gateway routing and fragmentation to the MTU (or
 * the Don't Fragment bit, for a caller doing path MTU discovery);
 * identification values per RFC 6864 and RFC 7739 §5.3.
 * Leaves out: forwarding (we are a host), IP options (accepted and
 * ignored on input, never sent), multicast.
 */
#ifndef USTACK_PROTO_IPV4_H
#define USTACK_PROTO_IPV4_H

#include <stdint.h>

struct stack;
struct pkb;

/* What IPv4 hands up, host order. The payload is at pkb_data(); the IP
 * header of the datagram stays in the hdr_len bytes before it, which is
 * what ICMP error messages quote. */
struct ip_meta {
    uint32_t src;
    uint32_t dst;
    uint8_t proto;
    uint8_t ttl;
    uint8_t hdr_len;
    uint8_t bcast;        /* sent to a broadcast IP or Ethernet address */
    uint16_t frag_off;    /* bytes; non-zero only for a lone later fragment */
    uint16_t payload_len;
};

#define IPV4_IN_LINK_BCAST 1 /* arrived in a link-layer broadcast */
#define IPV4_IN_LOOP 2       /* sent by this host to itself */

void ipv4_input(struct stack *s, struct pkb *p, unsigned flags);
/* Deliver what this host sent to itself (to our address or 127/8);
 * stack_poll calls it. */
void ipv4_loop_drain(struct stack *s);
/* RFC 7739 §5.3: counters of identification values, one chosen for each
 * (src, dst, proto) by a keyed hash */
#define IPV4_ID_BUCKETS 1024
/* The identification secret, from a 64-bit draw of the seeded RNG. */
void ipv4_id_init(struct stack *s, uint64_t secret);

/* ipv4_output flags */
#define IPV4_OUT_DF 1 /* set Don't Fragment (RFC 791 §3.1; RFC 1191 §3
                         path MTU discovery): never fragmented here */

/* Send payload p (starting at the transport header) to dst. Consumes p.
 * 0, or -EHOSTUNREACH (no route), -ENOBUFS, -EMSGSIZE (over 65515, or
 * with IPV4_OUT_DF over the link MTU). */
int ipv4_output(struct stack *s, struct pkb *p, uint32_t dst, uint8_t proto,
                unsigned flags);
/* 0 if dst can be reached (on-link or through the gateway), else
 * -ENETUNREACH. */
int ipv4_route_check(const struct stack *s, uint32_t dst);

#endif
