/*
 * arp_hdr.c - ARP parse/emit, RFC 826 "Packet format". See arp_hdr.h.
 */
#include "wire/arp_hdr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/bytes.h"
#include "wire/addr.h"
#include "wire/eth_hdr.h"

int
arp_parse(const uint8_t *b, size_t len, struct arp_repr *r)
{
    if (len < 8)
        return -EBADMSG;
    if (be16_get(b) != ARP_HRD_ETHER || be16_get(b + 2) != ETH_TYPE_IPV4 ||
        b[4] != ETH_ADDR_LEN || b[5] != 4)
        return -EPROTONOSUPPORT;
    if (len < ARP_LEN)
        return -EBADMSG;
    r->op = be16_get(b + 6);
    memcpy(r->sha, b + 8, 6);
    r->spa = be32_get(b + 14);
    memcpy(r->tha, b + 18, 6);
    r->tpa = be32_get(b + 24);
    return 0;
}

int
arp_emit(const struct arp_repr *r, uint8_t *b, size_t cap)
{
    if (cap < ARP_LEN)
        return -EMSGSIZE;
    be16_put(b, ARP_HRD_ETHER);
    be16_put(b + 2, ETH_TYPE_IPV4);
    b[4] = ETH_ADDR_LEN;
    b[5] = 4;
    be16_put(b + 6, r->op);
    memcpy(b + 8, r->sha, 6);
    be32_put(b + 14, r->spa);
    memcpy(b + 18, r->tha, 6);
    be32_put(b + 24, r->tpa);
    return ARP_LEN;
}

const char *
arp_fmt(const struct arp_repr *r, char *buf, size_t cap)
{
    char s[IP_STR_LEN], t[IP_STR_LEN], m[MAC_STR_LEN];

    if (r->op == ARP_OP_REQUEST)
        snprintf(buf, cap, "who-has %s tell %s (%s)", ip_fmt(r->tpa, t),
                 ip_fmt(r->spa, s), mac_fmt(r->sha, m));
    else if (r->op == ARP_OP_REPLY)
        snprintf(buf, cap, "%s is-at %s", ip_fmt(r->spa, s), mac_fmt(r->sha, m));
    else
        snprintf(buf, cap, "op %u from %s", r->op, ip_fmt(r->spa, s));
    return buf;
}
