/*
 * eth_hdr.c - Ethernet II header parse/emit. See eth_hdr.h.
 */
#include "wire/eth_hdr.h"

#include <errno.h>
#include <stdio.h>

#include "core/bytes.h"
#include "wire/addr.h"

const uint8_t eth_broadcast[ETH_ADDR_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

int
eth_parse(const uint8_t *b, size_t len, struct eth_repr *r)
{
    if (len < ETH_HDR_LEN)
        return -EBADMSG;
    memcpy(r->dst, b, ETH_ADDR_LEN);
    memcpy(r->src, b + 6, ETH_ADDR_LEN);
    r->type = be16_get(b + 12);
    return 0;
}

int
eth_emit(const struct eth_repr *r, uint8_t *b, size_t cap)
{
    if (cap < ETH_HDR_LEN)
        return -EMSGSIZE;
    memcpy(b, r->dst, ETH_ADDR_LEN);
    memcpy(b + 6, r->src, ETH_ADDR_LEN);
    be16_put(b + 12, r->type);
    return ETH_HDR_LEN;
}

const char *
eth_fmt(const struct eth_repr *r, char *buf, size_t cap)
{
    char s[MAC_STR_LEN], d[MAC_STR_LEN];

    snprintf(buf, cap, "%s > %s type 0x%04x", mac_fmt(r->src, s), mac_fmt(r->dst, d),
             r->type);
    return buf;
}
