/*
 * icmp_hdr.h - ICMP message header (RFC 792).
 *
 * Owns: parse (with checksum over the whole message) and emit of the
 * 8-byte ICMP header. The 4 bytes after the checksum are kept raw in
 * `rest` (identifier and sequence for echo, the next-hop MTU for
 * "fragmentation needed", unused for other errors).
 */
#ifndef USTACK_WIRE_ICMP_HDR_H
#define USTACK_WIRE_ICMP_HDR_H

#include <stddef.h>
#include <stdint.h>

#define ICMP_HDR_LEN 8

#define ICMP_ECHO_REPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_ECHO_REQUEST 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAM_PROBLEM 12

#define ICMP_UNREACH_PROTO 2
#define ICMP_UNREACH_PORT 3
#define ICMP_UNREACH_NEEDFRAG 4 /* fragmentation needed and DF set */
#define ICMP_EXC_REASS 1 /* fragment reassembly time exceeded */

struct icmp_repr {
    uint8_t type;
    uint8_t code;
    uint32_t rest; /* echo: id << 16 | seq */
};

enum icmp_bad { ICMP_BAD_NONE, ICMP_BAD_LEN, ICMP_BAD_CKSUM };

/* Parses the message of len bytes at b (header and data); 0, or -EBADMSG
 * with *why set. */
int icmp_parse(const uint8_t *b, size_t len, struct icmp_repr *r, enum icmp_bad *why);
/* Writes the header at b and the checksum over all len bytes (the data
 * must already be at b + 8). Returns 8, or -EMSGSIZE. */
int icmp_emit(const struct icmp_repr *r, uint8_t *b, size_t len);
const char *icmp_fmt(const struct icmp_repr *r, char *buf, size_t cap);

/* RFC 1191 §4: a "fragmentation needed" message carries the next-hop MTU
 * in the low 16 bits of the word after the checksum (0 from a router
 * older than RFC 1191). */
static inline uint16_t
icmp_next_hop_mtu(const struct icmp_repr *r)
{
    return (uint16_t)(r->rest & 0xffff);
}

/* RFC 1122 §3.2.2: the types that are error messages. */
static inline int
icmp_is_error(uint8_t type)
{
    return type == ICMP_DEST_UNREACH || type == ICMP_SOURCE_QUENCH ||
           type == ICMP_REDIRECT || type == ICMP_TIME_EXCEEDED ||
           type == ICMP_PARAM_PROBLEM;
}

#endif
