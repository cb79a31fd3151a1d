/*
 * eth.c - Ethernet II input and output. See eth.h.
 */
#include "proto/eth.h"

#include <errno.h>
#include <string.h>

#include "proto/arp.h"
#include "proto/ipv4.h"
#include "stack_var.h"
#include "wire/eth_hdr.h"

void
eth_input(struct stack *s, struct pkb *p)
{
    struct eth_repr e;

    s->stats.eth.rx_frames++;
    s->stats.eth.rx_bytes += p->len;
    if (eth_parse(pkb_data(p), p->len, &e) < 0) {
        s->stats.eth.rx_runt++;
        goto drop;
    }
    if (memcmp(e.dst, s->mac, ETH_ADDR_LEN) != 0 && !eth_is_broadcast(e.dst)) {
        s->stats.eth.rx_not_for_us++; /* other hosts' unicast, multicast */
        goto drop;
    }
    pkb_pull(p, ETH_HDR_LEN);
    switch (e.type) {
    case ETH_TYPE_ARP:
        arp_input(s, p);
        return;
    case ETH_TYPE_IPV4:
        ipv4_input(s, p, eth_is_broadcast(e.dst) ? IPV4_IN_LINK_BCAST : 0);
        return;
    default:
        s->stats.eth.rx_unknown_type++; /* IPv6, 802.1Q, LLDP, ... */
        goto drop;
    }
drop:
    pkb_free(p);
}

int
eth_output(struct stack *s, struct pkb *p, const uint8_t dst[6], uint16_t type)
{
    struct eth_repr e = {.type = type};
    uint8_t *h = pkb_push(p, ETH_HDR_LEN);

    if (!h) {
        pkb_free(p);
        return -ENOBUFS;
    }
    memcpy(e.dst, dst, ETH_ADDR_LEN);
    memcpy(e.src, s->mac, ETH_ADDR_LEN);
    eth_emit(&e, h, ETH_HDR_LEN);
    if (p->len < ETH_MIN_FRAME) { /* pad runts with zeros */
        size_t pad = ETH_MIN_FRAME - p->len;
        uint8_t *tail = pkb_put(p, pad);
        if (tail)
            memset(tail, 0, pad);
    }
    stack_xmit(s, p);
    return 0;
}
