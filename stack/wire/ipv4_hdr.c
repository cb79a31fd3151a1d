/*
 * ipv4_hdr.c - IPv4 header parse/emit, RFC 791 §3.1. See ipv4_hdr.h.
 */
#include "wire/ipv4_hdr.h"

#include <errno.h>
#include <stdio.h>

#include "core/bytes.h"
#include "core/cksum.h"
#include "wire/addr.h"

static int
bad(enum ipv4_bad *why, enum ipv4_bad reason)
{
    *why = reason;
    return -EBADMSG;
}

int
ipv4_parse(const uint8_t *b, size_t len, struct ipv4_repr *r, enum ipv4_bad *why)
{
    *why = IPV4_BAD_NONE;
    if (len < IPV4_HDR_MIN)
        return bad(why, IPV4_BAD_LEN);
    if ((b[0] >> 4) != 4)
        return bad(why, IPV4_BAD_VERSION);
    size_t ihl = (size_t)(b[0] & 0x0f) * 4, total = be16_get(b + 2);
    if (ihl < IPV4_HDR_MIN || ihl > len)
        return bad(why, IPV4_BAD_IHL);
    if (total < ihl || total > len)
        return bad(why, IPV4_BAD_TOTAL_LEN);
    if (cksum(b, ihl) != 0) /* RFC 791: the sum over the header is zero */
        return bad(why, IPV4_BAD_CKSUM);

    r->hdr_len = (uint8_t)ihl;
    r->tos = b[1];
    r->total_len = (uint16_t)total;
    r->id = be16_get(b + 4);
    r->frag = be16_get(b + 6);
    r->ttl = b[8];
    r->proto = b[9];
    r->src = be32_get(b + 12);
    r->dst = be32_get(b + 16);

    /* A fragment must carry data, all but the last a multiple of 8 bytes
     * (RFC 791 §3.2 "Fragmentation"), and must end inside 65535 bytes. */
    size_t payload = total - ihl;
    if (ipv4_is_fragment(r)) {
        if (payload == 0 || (ipv4_more_frags(r) && payload % 8 != 0) ||
            ipv4_frag_offset(r) + payload > IPV4_MAX_LEN - ihl)
            return bad(why, IPV4_BAD_FRAG);
    }
    return 0;
}

int
ipv4_emit(const struct ipv4_repr *r, uint8_t *b, size_t cap)
{
    if (cap < IPV4_HDR_MIN)
        return -EMSGSIZE;
    b[0] = 0x45;
    b[1] = r->tos;
    be16_put(b + 2, r->total_len);
    be16_put(b + 4, r->id);
    be16_put(b + 6, r->frag);
    b[8] = r->ttl;
    b[9] = r->proto;
    be16_put(b + 10, 0);
    be32_put(b + 12, r->src);
    be32_put(b + 16, r->dst);
    be16_put(b + 10, cksum(b, IPV4_HDR_MIN));
    return IPV4_HDR_MIN;
}

const char *
ipv4_fmt(const struct ipv4_repr *r, char *buf, size_t cap)
{
    char s[IP_STR_LEN], d[IP_STR_LEN];

    snprintf(buf, cap, "%s > %s proto %u len %u id %u off %u%s ttl %u",
             ip_fmt(r->src, s), ip_fmt(r->dst, d), r->proto, r->total_len, r->id,
             ipv4_frag_offset(r), ipv4_more_frags(r) ? " MF" : "", r->ttl);
    return buf;
}
