/*
 * ipv4.c - IPv4 input, routing and output. See ipv4.h.
 */
#include "proto/ipv4.h"

#include <errno.h>
#include <string.h>

#include "core/siphash.h"
#include "proto/arp.h"
#include "proto/eth.h"
#include "proto/icmp.h"
#include "proto/ip_reass.h"
#include "proto/tcp.h"
#include "proto/udp.h"
#include "stack_var.h"
#include "wire/icmp_hdr.h"
#include "wire/eth_hdr.h"
#include "wire/ipv4_hdr.h"

#define IPV4_TTL 64 /* RFC 1700 default, as Linux */

static void
ipv4_count_bad(struct stack *s, enum ipv4_bad why)
{
    switch (why) {
    case IPV4_BAD_LEN: s->stats.ipv4.rx_bad_len++; break;
    case IPV4_BAD_VERSION: s->stats.ipv4.rx_bad_version++; break;
    case IPV4_BAD_IHL: s->stats.ipv4.rx_bad_ihl++; break;
    case IPV4_BAD_TOTAL_LEN: s->stats.ipv4.rx_bad_total_len++; break;
    case IPV4_BAD_CKSUM: s->stats.ipv4.rx_bad_cksum++; break;
    case IPV4_BAD_FRAG: s->stats.ipv4.rx_bad_frag++; break;
    case IPV4_BAD_NONE: break;
    }
}

/* Hand a whole datagram to its protocol. Consumes p. */
static void
ipv4_deliver(struct stack *s, struct pkb *p, const struct ip_meta *m)
{
    switch (m->proto) {
    case IP_PROTO_ICMP:
        icmp_input(s, p, m);
        return;
    case IP_PROTO_UDP:
        udp_input(s, p, m);
        return;
    case IP_PROTO_TCP:
        tcp_input(s, p, m);
        return;
    default:
        /* RFC 1122 §3.2.2.1: protocol unreachable */
        s->stats.ipv4.rx_unknown_proto++;
        icmp_error(s, p, m, ICMP_DEST_UNREACH, ICMP_UNREACH_PROTO);
        pkb_free(p);
    }
}

void
ipv4_input(struct stack *s, struct pkb *p, unsigned flags)
{
    int link_bcast = (flags & IPV4_IN_LINK_BCAST) != 0;
    struct ipv4_repr r;
    enum ipv4_bad why;
    char b[128];

    s->stats.ipv4.rx_packets++;
    if (ipv4_parse(pkb_data(p), p->len, &r, &why) < 0) {
        ipv4_count_bad(s, why);
        SLOG(s, LOG_DEBUG, "ipv4", "drop: bad header (reason %d)", (int)why);
        goto drop;
    }
    SLOG(s, LOG_DEBUG, "ipv4", "rx %s", ipv4_fmt(&r, b, sizeof(b)));
    int bcast = stack_addr_is_bcast(s, r.dst);
    if (r.dst != s->addr && !bcast && !(flags & IPV4_IN_LOOP)) {
        s->stats.ipv4.rx_not_for_us++; /* we do not forward */
        goto drop;
    }
    /* RFC 1122 §3.3.6: a link-layer broadcast must carry an IP broadcast */
    if (link_bcast && !bcast) {
        s->stats.ipv4.rx_link_bcast++;
        goto drop;
    }
    /* RFC 1122 §3.2.1.3: silently discard a datagram from a source that
     * cannot be a host (broadcast, multicast, 0, loopback) */
    if (!(flags & IPV4_IN_LOOP) && (stack_addr_is_martian(s, r.src) || r.src == s->addr)) {
        s->stats.ipv4.rx_bad_src++;
        goto drop;
    }
    pkb_trim(p, r.total_len); /* Ethernet padding */
    pkb_pull(p, r.hdr_len);

    struct ip_meta m = {
        .src = r.src, .dst = r.dst, .proto = r.proto, .ttl = r.ttl,
        .hdr_len = r.hdr_len, .bcast = (uint8_t)bcast,
        .frag_off = (uint16_t)ipv4_frag_offset(&r),
        .payload_len = (uint16_t)(r.total_len - r.hdr_len),
    };
    if (ipv4_is_fragment(&r)) {
        s->stats.ipv4.rx_fragments++;
        p = ip_reass_insert(s, p, &r, &m);
        if (!p)
            return;
    }
    ipv4_deliver(s, p, &m);
    return;
drop:
    pkb_free(p);
}

/* Where a datagram to dst goes on the link: 0 and *next_hop, with
 * *bcast set for a broadcast address; -EHOSTUNREACH without a route. */
static int
ipv4_route(const struct stack *s, uint32_t dst, uint32_t *next_hop, int *bcast)
{
    *bcast = stack_addr_is_bcast(s, dst);
    if (*bcast || (dst & s->netmask) == (s->addr & s->netmask))
        *next_hop = dst;
    else if (s->cfg.gateway)
        *next_hop = s->cfg.gateway;
    else
        return -EHOSTUNREACH;
    return 0;
}

int
ipv4_route_check(const struct stack *s, uint32_t dst)
{
    uint32_t next_hop;
    int bcast;

    return ipv4_route(s, dst, &next_hop, &bcast) < 0 ? -ENETUNREACH : 0;
}

/* Put the IP header in front of p and send it on the link. Consumes p. */
static int
ipv4_send_frame(struct stack *s, struct pkb *p, const struct ipv4_repr *r,
                uint32_t next_hop, int bcast)
{
    uint8_t *h = pkb_push(p, IPV4_HDR_MIN);

    if (!h) {
        pkb_free(p);
        return -ENOBUFS;
    }
    ipv4_emit(r, h, IPV4_HDR_MIN);
    s->stats.ipv4.tx_packets++;
    if (bcast)
        return eth_output(s, p, eth_broadcast, ETH_TYPE_IPV4);
    return arp_output(s, p, next_hop);
}

/* RFC 791 §3.2 "Fragmentation": cut p into pieces whose data are
 * multiples of 8 bytes and fit the MTU. Consumes p. */
static int
ipv4_fragment(struct stack *s, struct pkb *p, struct ipv4_repr *r,
              uint32_t next_hop, int bcast)
{
    size_t chunk = (size_t)(s->cfg.mtu - IPV4_HDR_MIN) & ~(size_t)7;
    int rc = 0;
    struct why why = s->why; /* every fragment leaves for the same reason */

    for (size_t off = 0; off < p->len && rc == 0; off += chunk) {
        size_t n = p->len - off < chunk ? p->len - off : chunk;
        struct pkb *f = pkb_alloc(&s->pool, IPV4_HDR_MIN + n);
        if (!f) {
            s->stats.ipv4.tx_nobufs++;
            rc = -ENOBUFS;
            break;
        }
        memcpy(pkb_put(f, n), pkb_data(p) + off, n);
        r->total_len = (uint16_t)(IPV4_HDR_MIN + n);
        r->frag = (uint16_t)(off / 8) | (off + n < p->len ? IPV4_FLAG_MF : 0);
        s->stats.ipv4.tx_fragments++;
        s->why = why;
        rc = ipv4_send_frame(s, f, r, next_hop, bcast);
    }
    pkb_free(p);
    return rc;
}

/* RFC 1122 §3.2.1.3: what is addressed to this host (or to 127/8,
 * which must never reach the wire) goes back up through a queue that
 * stack_poll drains, never recursively from inside an output call. */
static int
ipv4_is_local(const struct stack *s, uint32_t dst)
{
    return dst == s->addr || (dst >> 24) == 127;
}

static int
ipv4_loop(struct stack *s, struct pkb *p, struct ipv4_repr *r)
{
    uint8_t *h = pkb_push(p, IPV4_HDR_MIN);

    /* datagrams waiting for local delivery: up to half the pool */
    if (!h || s->loop_len >= s->cfg.pkb_count / 2) {
        s->stats.ipv4.tx_nobufs++;
        pkb_free(p);
        return -ENOBUFS;
    }
    r->total_len = (uint16_t)p->len;
    ipv4_emit(r, h, IPV4_HDR_MIN);
    p->next = NULL;
    if (s->loop_tail)
        s->loop_tail->next = p;
    else
        s->loop_head = p;
    s->loop_tail = p;
    s->loop_len++;
    s->stats.ipv4.tx_loopback++;
    return 0;
}

void
ipv4_loop_drain(struct stack *s)
{
    /* only what is queued now: a reply to a reply waits for the next poll */
    for (uint32_t n = s->loop_len; n > 0 && s->loop_head; n--) {
        struct pkb *p = s->loop_head;
        s->loop_head = p->next;
        if (!s->loop_head)
            s->loop_tail = NULL;
        s->loop_len--;
        p->next = NULL;
        ipv4_input(s, p, IPV4_IN_LOOP);
    }
}

void
ipv4_id_init(struct stack *s, uint64_t secret)
{
    uint64_t k2 = secret * 0x9e3779b97f4a7c15ull; /* the other half of the key */

    memcpy(s->ip_id_key, &secret, 8);
    memcpy(s->ip_id_key + 8, &k2, 8);
}

/* The identification of a datagram r about to leave.
 * RFC 6864 §4.1: an atomic datagram (DF set; such a datagram is never
 * fragmented) may carry any value: 0, which tells nothing (as Linux for
 * a datagram of no connected socket).
 * RFC 6864 §4.2, RFC 7739 §5.3: any other takes the next value of one of
 * IPV4_ID_BUCKETS counters, chosen by SipHash of (src, dst, proto) under
 * the secret, plus an offset from the same hash. So values do not repeat
 * for one triple within 2^16 datagrams, and tell nothing of the traffic
 * to other destinations but the few that share the counter; one global
 * counter told anyone how many datagrams we sent to everyone. */
static uint16_t
ipv4_next_id(struct stack *s, const struct ipv4_repr *r)
{
    uint8_t t[9];

    if (r->frag & IPV4_FLAG_DF)
        return 0;
    memcpy(t, &r->src, 4);
    memcpy(t + 4, &r->dst, 4);
    t[8] = r->proto;
    uint64_t h = siphash24(s->ip_id_key, t, sizeof(t));
    uint16_t *ctr = &s->ip_ids[h % IPV4_ID_BUCKETS];
    return (uint16_t)((h >> 48) + (*ctr)++);
}

int
ipv4_output(struct stack *s, struct pkb *p, uint32_t dst, uint8_t proto, unsigned flags)
{
    struct ipv4_repr r = {.ttl = IPV4_TTL, .proto = proto, .src = s->addr, .dst = dst,
                          .frag = (flags & IPV4_OUT_DF) ? IPV4_FLAG_DF : 0};
    uint32_t next_hop;
    int bcast;

    /* DEVIATION(rfc1122): to 127/8 the source stays our address (no
     * separate loopback interface), which the reply then comes back to */
    if (ipv4_is_local(s, dst)) {
        if (p->len > IPV4_MAX_LEN - IPV4_HDR_MIN) {
            s->stats.ipv4.tx_too_big++;
            pkb_free(p);
            return -EMSGSIZE;
        }
        r.id = ipv4_next_id(s, &r);
        return ipv4_loop(s, p, &r);
    }

    if (ipv4_route(s, dst, &next_hop, &bcast) < 0) {
        s->stats.ipv4.tx_no_route++;
        pkb_free(p);
        return -EHOSTUNREACH;
    }
    if (p->len > IPV4_MAX_LEN - IPV4_HDR_MIN) {
        s->stats.ipv4.tx_too_big++;
        pkb_free(p);
        return -EMSGSIZE;
    }
    if (IPV4_HDR_MIN + p->len > s->cfg.mtu && (flags & IPV4_OUT_DF)) {
        /* RFC 791 §3.2: a DF datagram is never fragmented; the caller
         * (TCP's segment size) should have made it fit */
        s->stats.ipv4.tx_df_too_big++;
        pkb_free(p);
        return -EMSGSIZE;
    }
    r.id = ipv4_next_id(s, &r);
    if (IPV4_HDR_MIN + p->len > s->cfg.mtu)
        return ipv4_fragment(s, p, &r, next_hop, bcast);
    r.total_len = (uint16_t)(IPV4_HDR_MIN + p->len);
    return ipv4_send_frame(s, p, &r, next_hop, bcast);
}
