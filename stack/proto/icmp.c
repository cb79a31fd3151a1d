/*
 * icmp.c - ICMP echo and errors. See icmp.h.
 */
#include "proto/icmp.h"

#include <errno.h>
#include <string.h>

#include "core/bytes.h"
#include "proto/ipv4.h"
#include "proto/tcp.h"
#include "proto/udp.h"
#include "stack_var.h"
#include "wire/icmp_hdr.h"
#include "wire/ipv4_hdr.h"

/* RFC 1812 §4.3.2.3: quote as much of the datagram as fits in 576 bytes */
#define ICMP_QUOTE_MAX (576 - IPV4_HDR_MIN - ICMP_HDR_LEN)

void
icmp_init(struct stack *s)
{
    s->icmp.tokens = (uint64_t)s->cfg.icmp_burst * 1000000;
    s->icmp.last_us = s->now_us;
}

/* Token bucket: icmp_rate_per_s errors a second, bursts of icmp_burst. */
static int
icmp_rate_ok(struct stack *s)
{
    uint64_t cap = (uint64_t)s->cfg.icmp_burst * 1000000;
    uint64_t elapsed = s->now_us - s->icmp.last_us;

    s->icmp.last_us = s->now_us;
    s->icmp.tokens += elapsed * s->cfg.icmp_rate_per_s;
    if (s->icmp.tokens > cap || elapsed > 3600ull * 1000000)
        s->icmp.tokens = cap;
    if (s->icmp.tokens < 1000000)
        return 0;
    s->icmp.tokens -= 1000000;
    return 1;
}

static void
icmp_echo_reply(struct stack *s, struct pkb *p, const struct ip_meta *m,
                const struct icmp_repr *req)
{
    /* RFC 1122 §3.2.2.6: a request to a broadcast address MAY be ignored;
     * Linux ignores them by default (icmp_echo_ignore_broadcasts) */
    if (m->bcast) {
        s->stats.icmp.rx_bcast_echo++;
        pkb_free(p);
        return;
    }
    /* Reuse the request's buffer: same id, sequence and data, new type. */
    struct icmp_repr rep = {.type = ICMP_ECHO_REPLY, .code = 0, .rest = req->rest};
    icmp_emit(&rep, pkb_data(p), p->len);
    s->stats.icmp.tx_echo_replies++;
    stack_why(s, WHY_ECHO_REPLY, 0, 0, 0);
    ipv4_output(s, p, m->src, IP_PROTO_ICMP, 0);
}

/* RFC 1122 §3.2.2.1: hand an error to the transport whose datagram it
 * quotes (the quote is an IP header and at least 8 bytes of it). */
static void
icmp_error_input(struct stack *s, const struct pkb *p, const struct icmp_repr *r)
{
    const uint8_t *q = pkb_data(p) + ICMP_HDR_LEN;
    size_t q_len = p->len - ICMP_HDR_LEN;

    if (q_len < IPV4_HDR_MIN || (q[0] >> 4) != 4 || (size_t)(q[0] & 0x0f) * 4 < IPV4_HDR_MIN)
        return;
    if (q[9] == IP_PROTO_UDP)
        udp_icmp_error(s, r->type, r->code, q, q_len);
    else if (q[9] == IP_PROTO_TCP)
        tcp_icmp_error(s, r, q, q_len);
}

void
icmp_input(struct stack *s, struct pkb *p, const struct ip_meta *m)
{
    struct icmp_repr r;
    enum icmp_bad why;
    char b[64];

    s->stats.icmp.rx_packets++;
    if (icmp_parse(pkb_data(p), p->len, &r, &why) < 0) {
        if (why == ICMP_BAD_LEN)
            s->stats.icmp.rx_bad_len++;
        else
            s->stats.icmp.rx_bad_cksum++;
        goto drop;
    }
    SLOG(s, LOG_DEBUG, "icmp", "rx %s len %u", icmp_fmt(&r, b, sizeof(b)), p->len);
    switch (r.type) {
    case ICMP_ECHO_REQUEST:
        s->stats.icmp.rx_echo_requests++;
        icmp_echo_reply(s, p, m, &r);
        return;
    case ICMP_ECHO_REPLY:
        s->stats.icmp.rx_echo_replies++;
        break;
    default:
        if (icmp_is_error(r.type)) {
            s->stats.icmp.rx_errors++;
            icmp_error_input(s, p, &r);
        } else
            s->stats.icmp.rx_unknown_type++;
    }
drop:
    pkb_free(p);
}

/* RFC 1122 §3.2.2: never an error about an ICMP error, a datagram to a
 * broadcast or multicast address, a non-initial fragment, or one whose
 * source is not a single host. */
static int
icmp_error_allowed(const struct stack *s, const struct pkb *p, const struct ip_meta *m)
{
    if (m->bcast || m->frag_off != 0 || stack_addr_is_martian(s, m->src))
        return 0;
    if (m->proto == IP_PROTO_ICMP && (p->len < 1 || icmp_is_error(pkb_data(p)[0])))
        return 0;
    return 1;
}

void
icmp_error(struct stack *s, const struct pkb *p, const struct ip_meta *m,
           uint8_t type, uint8_t code)
{
    if (!icmp_error_allowed(s, p, m)) {
        s->stats.icmp.tx_err_suppressed++;
        return;
    }
    if (!icmp_rate_ok(s)) {
        s->stats.icmp.tx_rate_limited++;
        return;
    }
    size_t quote = (size_t)m->hdr_len + p->len;
    if (quote > ICMP_QUOTE_MAX)
        quote = ICMP_QUOTE_MAX;
    struct pkb *e = pkb_alloc(&s->pool, ICMP_HDR_LEN + quote);
    if (!e) {
        s->stats.icmp.tx_nobufs++;
        return;
    }
    uint8_t *msg = pkb_put(e, ICMP_HDR_LEN + quote);
    memcpy(msg + ICMP_HDR_LEN, pkb_data(p) - m->hdr_len, quote);
    struct icmp_repr r = {.type = type, .code = code, .rest = 0};
    icmp_emit(&r, msg, ICMP_HDR_LEN + quote);
    if (type == ICMP_DEST_UNREACH)
        s->stats.icmp.tx_unreach++;
    else
        s->stats.icmp.tx_time_exceeded++;
    stack_why(s, type == ICMP_DEST_UNREACH ? WHY_ICMP_UNREACH : WHY_ICMP_TIME_EXCEEDED,
              code, 0, 0);
    ipv4_output(s, e, m->src, IP_PROTO_ICMP, 0);
}

int
icmp_echo_request(struct stack *s, uint32_t dst, uint16_t id, uint16_t seq, size_t len)
{
    if (len > IPV4_MAX_LEN - IPV4_HDR_MIN - ICMP_HDR_LEN)
        return -EMSGSIZE;
    struct pkb *p = pkb_alloc(&s->pool, ICMP_HDR_LEN + len);
    if (!p) {
        s->stats.icmp.tx_nobufs++;
        return -ENOBUFS;
    }
    uint8_t *msg = pkb_put(p, ICMP_HDR_LEN + len);
    for (size_t i = 0; i < len; i++)
        msg[ICMP_HDR_LEN + i] = (uint8_t)i;
    struct icmp_repr r = {.type = ICMP_ECHO_REQUEST, .rest = (uint32_t)id << 16 | seq};
    icmp_emit(&r, msg, ICMP_HDR_LEN + len);
    s->stats.icmp.tx_echo_requests++;
    return ipv4_output(s, p, dst, IP_PROTO_ICMP, 0);
}
