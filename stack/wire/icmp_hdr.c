/*
 * icmp_hdr.c - ICMP header parse/emit, RFC 792. See icmp_hdr.h.
 */
#include "wire/icmp_hdr.h"

#include <errno.h>
#include <stdio.h>

#include "core/bytes.h"
#include "core/cksum.h"

int
icmp_parse(const uint8_t *b, size_t len, struct icmp_repr *r, enum icmp_bad *why)
{
    *why = ICMP_BAD_NONE;
    if (len < ICMP_HDR_LEN) {
        *why = ICMP_BAD_LEN;
        return -EBADMSG;
    }
    if (cksum(b, len) != 0) {
        *why = ICMP_BAD_CKSUM;
        return -EBADMSG;
    }
    r->type = b[0];
    r->code = b[1];
    r->rest = be32_get(b + 4);
    return 0;
}

int
icmp_emit(const struct icmp_repr *r, uint8_t *b, size_t len)
{
    if (len < ICMP_HDR_LEN)
        return -EMSGSIZE;
    b[0] = r->type;
    b[1] = r->code;
    be16_put(b + 2, 0);
    be32_put(b + 4, r->rest);
    be16_put(b + 2, cksum(b, len));
    return ICMP_HDR_LEN;
}

const char *
icmp_fmt(const struct icmp_repr *r, char *buf, size_t cap)
{
    switch (r->type) {
    case ICMP_ECHO_REQUEST:
    case ICMP_ECHO_REPLY:
        snprintf(buf, cap, "echo %s id %u seq %u",
                 r->type == ICMP_ECHO_REQUEST ? "request" : "reply", r->rest >> 16,
                 r->rest & 0xffff);
        break;
    default:
        snprintf(buf, cap, "type %u code %u", r->type, r->code);
    }
    return buf;
}
