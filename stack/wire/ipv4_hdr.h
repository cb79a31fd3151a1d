/*
 * ipv4_hdr.h - IPv4 header (RFC 791 §3.1).
 *
 * Owns: validation and parse of a received header, and emit of the
 * 20-byte header we send (we never send options). Every length a later
 * layer relies on (IHL, total length, fragment offset) is checked here.
 */
#ifndef USTACK_WIRE_IPV4_HDR_H
#define USTACK_WIRE_IPV4_HDR_H

#include <stddef.h>
#include <stdint.h>

#define IPV4_HDR_MIN 20
#define IPV4_HDR_MAX 60
#define IPV4_MAX_LEN 65535
#define IPV4_FLAG_DF 0x4000
#define IPV4_FLAG_MF 0x2000
#define IPV4_OFF_MASK 0x1fff

#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17

#define IPV4_BROADCAST 0xffffffffu

struct ipv4_repr {
    uint8_t hdr_len;    /* bytes, 20..60 */
    uint8_t tos;
    uint16_t total_len; /* header + payload */
    uint16_t id;
    uint16_t frag;      /* flags and offset as on the wire */
    uint8_t ttl;
    uint8_t proto;
    uint32_t src;       /* host order */
    uint32_t dst;
};

/* Why a header was refused; each has its own counter. */
enum ipv4_bad {
    IPV4_BAD_NONE,
    IPV4_BAD_LEN,       /* shorter than 20 bytes */
    IPV4_BAD_VERSION,   /* not 4 */
    IPV4_BAD_IHL,       /* IHL < 5 or header longer than the frame */
    IPV4_BAD_TOTAL_LEN, /* total length < IHL or > the frame */
    IPV4_BAD_CKSUM,
    IPV4_BAD_FRAG,      /* fragment fields impossible */
};

/* 0, or -EBADMSG with *why saying which rule failed. */
int ipv4_parse(const uint8_t *b, size_t len, struct ipv4_repr *r, enum ipv4_bad *why);
/* Writes a 20-byte header with its checksum; returns 20 or -EMSGSIZE.
 * hdr_len in r is ignored. */
int ipv4_emit(const struct ipv4_repr *r, uint8_t *b, size_t cap);
const char *ipv4_fmt(const struct ipv4_repr *r, char *buf, size_t cap);

static inline uint32_t
ipv4_frag_offset(const struct ipv4_repr *r) /* bytes */
{
    return (uint32_t)(r->frag & IPV4_OFF_MASK) * 8;
}

static inline int
ipv4_more_frags(const struct ipv4_repr *r)
{
    return (r->frag & IPV4_FLAG_MF) != 0;
}

static inline int
ipv4_is_fragment(const struct ipv4_repr *r)
{
    return ipv4_more_frags(r) || ipv4_frag_offset(r) != 0;
}

static inline int
ipv4_is_multicast(uint32_t a)
{
    return (a >> 28) == 0xe;
}

#endif
