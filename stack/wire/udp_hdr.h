/*
 * udp_hdr.h - UDP header (RFC 768).
 *
 * Owns: parse of a received datagram (length field checked against what IP
 * delivered, checksum over the pseudo header verified unless it is zero)
 * and emit with the checksum always computed (RFC 1122 §4.1.3.4).
 */
#ifndef USTACK_WIRE_UDP_HDR_H
#define USTACK_WIRE_UDP_HDR_H

#include <stddef.h>
#include <stdint.h>

#define UDP_HDR_LEN 8
#define UDP_MAX_PAYLOAD (65535 - 20 - UDP_HDR_LEN) /* 65507 */

struct udp_repr {
    uint16_t sport;
    uint16_t dport;
    uint16_t len; /* header + payload, from the length field */
};

enum udp_bad { UDP_BAD_NONE, UDP_BAD_LEN, UDP_BAD_CKSUM };

/* Parse len bytes at b that IP delivered from src to dst (host order).
 * 0, or -EBADMSG with *why. Bytes past the length field are padding. */
int udp_parse(const uint8_t *b, size_t len, uint32_t src, uint32_t dst,
              struct udp_repr *r, enum udp_bad *why);
/* Write the header at b, payload already at b + 8, len = header + payload,
 * and the checksum. Returns 8 or -EMSGSIZE. */
int udp_emit(const struct udp_repr *r, uint8_t *b, size_t len, uint32_t src,
             uint32_t dst);
const char *udp_fmt(const struct udp_repr *r, char *buf, size_t cap);

#endif
