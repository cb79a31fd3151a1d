/*
 * tcp_hdr.c - TCP header parse/emit. See tcp_hdr.h.
 */
#include "wire/tcp_hdr.h"

#include <errno.h>
#include <stdio.h>

#include "core/bytes.h"
#include "core/cksum.h"
#include "wire/ipv4_hdr.h"

static int
bad(enum tcp_bad *why, enum tcp_bad reason)
{
    *why = reason;
    return -EBADMSG;
}

/* RFC 9293 §3.2: walk the options; unknown kinds are skipped by length. */
static int
tcp_parse_options(const uint8_t *o, size_t n, struct tcp_repr *r)
{
    size_t i = 0;

    while (i < n) {
        uint8_t kind = o[i];
        if (kind == TCP_OPT_END)
            break;
        if (kind == TCP_OPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
            return -1; /* no room for the length, or a bad length */
        uint8_t olen = o[i + 1];
        if (kind == TCP_OPT_MSS && olen == 4) {
            r->mss = be16_get(o + i + 2);
        } else if (kind == TCP_OPT_WSCALE && olen == 3) {
            r->has_wscale = 1;
            r->wscale = o[i + 2] > 14 ? 14 : o[i + 2]; /* RFC 7323 §2.3 */
        } else if (kind == TCP_OPT_MSS || kind == TCP_OPT_WSCALE) {
            return -1;
        }
        i += olen;
    }
    return 0;
}

int
tcp_parse(const uint8_t *b, size_t len, uint32_t src, uint32_t dst, struct tcp_repr *r,
          enum tcp_bad *why)
{
    *why = TCP_BAD_NONE;
    if (len < TCP_HDR_MIN)
        return bad(why, TCP_BAD_LEN);
    size_t doff = (size_t)(b[12] >> 4) * 4;
    if (doff < TCP_HDR_MIN || doff > len)
        return bad(why, TCP_BAD_DOFF);
    if (len > 65535 ||
        cksum_finish(cksum_add(cksum_pseudo(src, dst, IP_PROTO_TCP, (uint16_t)len), b,
                               len)) != 0)
        return bad(why, TCP_BAD_CKSUM);
    *r = (struct tcp_repr){
        .sport = be16_get(b), .dport = be16_get(b + 2),
        .seq = be32_get(b + 4), .ack = be32_get(b + 8),
        .hdr_len = (uint8_t)doff, .flags = b[13] & 0x3f,
        .wnd = be16_get(b + 14), .urg = be16_get(b + 18),
    };
    if (tcp_parse_options(b + TCP_HDR_MIN, doff - TCP_HDR_MIN, r) < 0)
        return bad(why, TCP_BAD_OPT);
    return 0;
}

size_t
tcp_hdr_len(const struct tcp_repr *r)
{
    return TCP_HDR_MIN + (r->mss ? 4 : 0) + (r->has_wscale ? 4 : 0);
}

int
tcp_emit(const struct tcp_repr *r, uint8_t *b, size_t len, uint32_t src, uint32_t dst)
{
    size_t hl = tcp_hdr_len(r);

    if (len < hl || len > 65535)
        return -EMSGSIZE;
    be16_put(b, r->sport);
    be16_put(b + 2, r->dport);
    be32_put(b + 4, r->seq);
    be32_put(b + 8, r->ack);
    b[12] = (uint8_t)((hl / 4) << 4);
    b[13] = r->flags;
    be16_put(b + 14, r->wnd);
    be16_put(b + 16, 0);
    be16_put(b + 18, r->urg);
    uint8_t *o = b + TCP_HDR_MIN;
    if (r->mss) {
        o[0] = TCP_OPT_MSS;
        o[1] = 4;
        be16_put(o + 2, r->mss);
        o += 4;
    }
    if (r->has_wscale) {
        o[0] = TCP_OPT_NOP;
        o[1] = TCP_OPT_WSCALE;
        o[2] = 3;
        o[3] = r->wscale;
    }
    be16_put(b + 16, cksum_finish(cksum_add(
                         cksum_pseudo(src, dst, IP_PROTO_TCP, (uint16_t)len), b, len)));
    return (int)hl;
}

const char *
tcp_fmt(const struct tcp_repr *r, size_t payload, char *buf, size_t cap)
{
    char f[8];
    int n = 0;

    if (r->flags & TCP_SYN) f[n++] = 'S';
    if (r->flags & TCP_FIN) f[n++] = 'F';
    if (r->flags & TCP_RST) f[n++] = 'R';
    if (r->flags & TCP_PSH) f[n++] = 'P';
    if (r->flags & TCP_ACK) f[n++] = '.';
    f[n] = '\0';
    snprintf(buf, cap, "%u > %u [%s] seq %u ack %u win %u len %zu", r->sport, r->dport,
             f, r->seq, r->ack, r->wnd, payload);
    return buf;
}
