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

/* One known option of olen bytes at o into r. -1 if its length is wrong. */
static int
tcp_parse_option(const uint8_t *o, uint8_t olen, struct tcp_repr *r)
{
    switch (o[0]) {
    case TCP_OPT_MSS:
        if (olen != 4)
            return -1;
        r->mss = be16_get(o + 2);
        return 0;
    case TCP_OPT_WSCALE:
        if (olen != 3)
            return -1;
        r->has_wscale = 1;
        r->wscale = o[2] > 14 ? 14 : o[2]; /* RFC 7323 §2.3 */
        return 0;
    case TCP_OPT_SACK_PERM: /* RFC 2018 §2 */
        if (olen != 2)
            return -1;
        r->sack_perm = 1;
        return 0;
    case TCP_OPT_SACK: /* RFC 2018 §3: 2 + 8n bytes */
        if (olen < 10 || (olen - 2) % 8 != 0 || olen > 2 + 8 * TCP_SACK_MAX)
            return -1;
        r->nsack = (uint8_t)((olen - 2) / 8);
        for (unsigned i = 0; i < r->nsack; i++) {
            r->sack[i].left = be32_get(o + 2 + 8 * i);
            r->sack[i].right = be32_get(o + 6 + 8 * i);
        }
        return 0;
    case TCP_OPT_TS: /* RFC 7323 §3.2 */
        if (olen != 10)
            return -1;
        r->has_ts = 1;
        r->tsval = be32_get(o + 2);
        r->tsecr = be32_get(o + 6);
        return 0;
    default:
        return 0; /* unknown: skipped by its length */
    }
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
        if (tcp_parse_option(o + i, o[i + 1], r) < 0)
            return -1;
        i += o[i + 1];
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

/* Option bytes before the SACK blocks. */
static size_t
tcp_opts_fixed(const struct tcp_repr *r)
{
    size_t n = (r->mss ? 4 : 0) + (r->has_wscale ? 4 : 0);

    if (r->has_ts)
        n += TCP_TS_LEN; /* SACK-Permitted rides in the TS option's NOPs */
    else if (r->sack_perm)
        n += 4;
    return n;
}

unsigned
tcp_sack_fit(const struct tcp_repr *r)
{
    size_t used = tcp_opts_fixed(r);
    unsigned fit = used + 4 + 8 <= TCP_OPT_SPACE
                       ? (unsigned)((TCP_OPT_SPACE - used - 4) / 8) : 0;

    return r->nsack < fit ? r->nsack : fit;
}

size_t
tcp_hdr_len(const struct tcp_repr *r)
{
    unsigned ns = tcp_sack_fit(r);

    return TCP_HDR_MIN + tcp_opts_fixed(r) + (ns ? 4 + 8 * (size_t)ns : 0);
}

/* Write the options in Linux's layout, each group 4-byte aligned:
 * MSS; SACK-Permitted + timestamps (or NOP NOP + either alone); NOP +
 * window scale; NOP NOP + SACK blocks. Returns the end. */
static uint8_t *
tcp_emit_options(const struct tcp_repr *r, uint8_t *o)
{
    if (r->mss) {
        o[0] = TCP_OPT_MSS;
        o[1] = 4;
        be16_put(o + 2, r->mss);
        o += 4;
    }
    if (r->sack_perm || r->has_ts) {
        if (r->sack_perm && r->has_ts) {
            o[0] = TCP_OPT_SACK_PERM;
            o[1] = 2;
        } else {
            o[0] = o[1] = TCP_OPT_NOP;
        }
        if (r->sack_perm && !r->has_ts) {
            o[2] = TCP_OPT_SACK_PERM;
            o[3] = 2;
            o += 4;
        } else {
            o[2] = TCP_OPT_TS;
            o[3] = 10;
            be32_put(o + 4, r->tsval);
            be32_put(o + 8, r->tsecr);
            o += TCP_TS_LEN;
        }
    }
    if (r->has_wscale) {
        o[0] = TCP_OPT_NOP;
        o[1] = TCP_OPT_WSCALE;
        o[2] = 3;
        o[3] = r->wscale;
        o += 4;
    }
    unsigned ns = tcp_sack_fit(r);
    if (ns) {
        o[0] = o[1] = TCP_OPT_NOP;
        o[2] = TCP_OPT_SACK;
        o[3] = (uint8_t)(2 + 8 * ns);
        for (unsigned i = 0; i < ns; i++) {
            be32_put(o + 4 + 8 * i, r->sack[i].left);
            be32_put(o + 8 + 8 * i, r->sack[i].right);
        }
        o += 4 + 8 * ns;
    }
    return o;
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
    tcp_emit_options(r, b + TCP_HDR_MIN);
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
