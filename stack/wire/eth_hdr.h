/*
 * eth_hdr.h - Ethernet II header (IEEE 802.3 framing as used by RFC 894).
 *
 * Owns: parse/emit of the 14-byte header. No FCS: TAP devices neither give
 * nor want it. 802.1Q tags are not parsed (such frames have an unknown
 * type and are dropped by eth_input).
 */
#ifndef USTACK_WIRE_ETH_HDR_H
#define USTACK_WIRE_ETH_HDR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ETH_ADDR_LEN 6
#define ETH_HDR_LEN 14
#define ETH_MIN_FRAME 60 /* without FCS: short frames are padded to this */
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP 0x0806

struct eth_repr {
    uint8_t dst[ETH_ADDR_LEN];
    uint8_t src[ETH_ADDR_LEN];
    uint16_t type;
};

extern const uint8_t eth_broadcast[ETH_ADDR_LEN];

/* 0, or -EBADMSG if shorter than a header. */
int eth_parse(const uint8_t *b, size_t len, struct eth_repr *r);
/* Bytes written (14), or -EMSGSIZE. */
int eth_emit(const struct eth_repr *r, uint8_t *b, size_t cap);
/* "02:..:02 > ff:..:ff type 0x0806" into buf; returns buf. */
const char *eth_fmt(const struct eth_repr *r, char *buf, size_t cap);

static inline int
eth_is_broadcast(const uint8_t a[ETH_ADDR_LEN])
{
    return memcmp(a, eth_broadcast, ETH_ADDR_LEN) == 0;
}

/* Group bit: broadcast and multicast. */
static inline int
eth_is_group(const uint8_t a[ETH_ADDR_LEN])
{
    return a[0] & 1;
}

#endif
