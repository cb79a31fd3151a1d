/*
 * icmp.h - ICMP for IPv4.
 *
 * Owns: echo replies (RFC 792, RFC 1122 §3.2.2.6) for any size a datagram
 * allows; echo requests (stack_ping); error messages we send (destination
 * unreachable, time exceeded) with the RFC 1122 §3.2.2 rules on when not
 * to send one, rate-limited by a token bucket (RFC 1812 §4.3.2.8 idea).
 * Received errors are counted and handed to the transport whose datagram
 * they quote (udp_icmp_error, tcp_icmp_error; TCP also reads the next-hop
 * MTU of "fragmentation needed", RFC 1191).
 * Leaves out: timestamp, address mask, redirects (ignored).
 */
#ifndef USTACK_PROTO_ICMP_H
#define USTACK_PROTO_ICMP_H

#include <stddef.h>
#include <stdint.h>

struct stack;
struct pkb;
struct ip_meta;

struct icmp_state {
    uint64_t tokens;   /* error budget, in millionths of a message */
    uint64_t last_us;  /* last refill */
};

void icmp_init(struct stack *s);
void icmp_input(struct stack *s, struct pkb *p, const struct ip_meta *m);
/* Send an ICMP error about datagram p (data at its payload, its IP header
 * in the m->hdr_len bytes in front). Does not consume p: callers keep
 * ownership. Silently declines when RFC 1122 §3.2.2 forbids an error or
 * the rate limit is spent (counted). */
void icmp_error(struct stack *s, const struct pkb *p, const struct ip_meta *m,
                uint8_t type, uint8_t code);
int icmp_echo_request(struct stack *s, uint32_t dst, uint16_t id, uint16_t seq,
                      size_t len);

#endif
