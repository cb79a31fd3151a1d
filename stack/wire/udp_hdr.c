/*
 * udp_hdr.c - UDP header parse/emit, RFC 768. See udp_hdr.h.
 */
#include "wire/udp_hdr.h"

#include <errno.h>
#include <stdio.h>

#include "core/bytes.h"
#include "core/cksum.h"
#include "wire/ipv4_hdr.h"

int
udp_parse(const uint8_t *b, size_t len, uint32_t src, uint32_t dst, struct udp_repr *r,
          enum udp_bad *why)
{
    *why = UDP_BAD_NONE;
    if (len < UDP_HDR_LEN) {
        *why = UDP_BAD_LEN;
        return -EBADMSG;
    }
    size_t ulen = be16_get(b + 4);
    if (ulen < UDP_HDR_LEN || ulen > len) {
        *why = UDP_BAD_LEN;
        return -EBADMSG;
    }
    /* RFC 768: an all-zero checksum means the sender computed none */
    if (be16_get(b + 6) != 0 &&
        cksum_finish(cksum_add(cksum_pseudo(src, dst, IP_PROTO_UDP, (uint16_t)ulen), b,
                               ulen)) != 0) {
        *why = UDP_BAD_CKSUM;
        return -EBADMSG;
    }
    r->sport = be16_get(b);
    r->dport = be16_get(b + 2);
    r->len = (uint16_t)ulen;
    return 0;
}

int
udp_emit(const struct udp_repr *r, uint8_t *b, size_t len, uint32_t src, uint32_t dst)
{
    if (len < UDP_HDR_LEN || len > 65535)
        return -EMSGSIZE;
    be16_put(b, r->sport);
    be16_put(b + 2, r->dport);
    be16_put(b + 4, (uint16_t)len);
    be16_put(b + 6, 0);
    uint16_t c = cksum_finish(cksum_add(cksum_pseudo(src, dst, IP_PROTO_UDP, (uint16_t)len),
                                        b, len));
    be16_put(b + 6, c ? c : 0xffff); /* RFC 768: a computed 0 is sent as all ones */
    return UDP_HDR_LEN;
}

const char *
udp_fmt(const struct udp_repr *r, char *buf, size_t cap)
{
    snprintf(buf, cap, "udp %u > %u len %u", r->sport, r->dport, r->len);
    return buf;
}
