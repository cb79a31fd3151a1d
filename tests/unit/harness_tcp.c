/*
 * harness_tcp.c - TCP segments by hand, and scripted opens. See
 * harness_tcp.h.
 */
#include "harness_tcp.h"

#include <string.h>

#include "core/bytes.h"
#include "core/cksum.h"
#include "stack_var.h"

struct h_env *
ht_env(void **state, const struct stack_config *cfg)
{
    struct stack_config d;

    if (!cfg) {
        h_config(&d);
        cfg = &d;
    }
    struct stack_config c = *cfg;
    c.arp_timeout_s = 1000000; /* the peer's entry outlives every timer */
    struct h_env *e = *state = h_env_new(&c, H_T0);
    h_learn(e, H_IP_PEER, h_mac_peer);
    return e;
}

size_t
ht_frame(uint8_t *f, const struct ht_seg *g)
{
    uint8_t seg[20 + 20 + 1500];
    size_t hl = 20 + (g->mss ? 4 : 0) + (g->wscale >= 0 ? 4 : 0) + (g->has_ts ? 12 : 0);
    uint8_t *o = seg + 20;

    assert_true(g->len <= 1500);
    be16_put(seg, g->sport);
    be16_put(seg + 2, g->dport);
    be32_put(seg + 4, g->seq);
    be32_put(seg + 8, g->ack);
    seg[12] = (uint8_t)(hl / 4 << 4);
    seg[13] = g->flags;
    be16_put(seg + 14, g->wnd);
    be16_put(seg + 16, 0);
    be16_put(seg + 18, 0);
    if (g->mss) {
        memcpy(o, (uint8_t[]){2, 4, (uint8_t)(g->mss >> 8), (uint8_t)g->mss}, 4);
        o += 4;
    }
    if (g->wscale >= 0) {
        memcpy(o, (uint8_t[]){1, 3, 3, (uint8_t)g->wscale}, 4);
        o += 4;
    }
    if (g->has_ts) { /* NOP NOP TS, RFC 7323 Appendix A's layout */
        memcpy(o, (uint8_t[]){1, 1, 8, 10}, 4);
        be32_put(o + 4, g->tsval);
        be32_put(o + 8, g->tsecr);
    }
    if (g->len)
        memcpy(seg + hl, g->data, g->len);
    size_t n = hl + g->len;
    be16_put(seg + 16,
             cksum_finish(cksum_add(
                 cksum_pseudo(H_IP_PEER, H_IP_US, IP_PROTO_TCP, (uint16_t)n), seg, n)));
    return h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_TCP, (uint16_t)g->seq, 0, seg, n);
}

void
ht_input(struct h_env *e, const struct ht_seg *g)
{
    h_input(e, e->buf, ht_frame(e->buf, g));
}

void
ht_raw(struct h_env *e, uint16_t sport, uint16_t dport, uint8_t flags, tcp_seq seq,
       tcp_seq ack, const uint8_t *data, size_t len)
{
    struct ht_seg g = {.sport = sport,
                       .dport = dport,
                       .seq = seq,
                       .ack = ack,
                       .flags = flags,
                       .wnd = 65535,
                       .wscale = HT_NOWS,
                       .data = data,
                       .len = len};

    if (flags & TCP_SYN)
        g.mss = HT_MSS;
    ht_input(e, &g);
}

void
ht_send_at(struct ht_conn *k, uint8_t flags, tcp_seq seq, tcp_seq ack,
           const uint8_t *data, size_t len)
{
    struct ht_seg g = {.sport = k->pport,
                       .dport = k->lport,
                       .seq = seq,
                       .ack = ack,
                       .flags = flags,
                       .wnd = k->pwnd,
                       .wscale = HT_NOWS,
                       .data = data,
                       .len = len,
                       .has_ts = k->ts,
                       .tsval = k->ptsval,
                       .tsecr = k->ptsecr};

    ht_input(k->e, &g);
}

void
ht_send(struct ht_conn *k, uint8_t flags, const uint8_t *data, size_t len)
{
    ht_send_at(k, flags, k->pseq, k->pack, data, len);
}

void
ht_peer_bytes(uint8_t *b, size_t off, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint32_t x = (uint32_t)(off + i);
        b[i] = (uint8_t)((x * 2654435761u) >> 24 ^ x);
    }
}

void
ht_data(struct ht_conn *k, size_t len)
{
    uint8_t b[1500];

    assert_true(len <= sizeof(b));
    ht_peer_bytes(b, k->pdata, len);
    ht_send(k, TCP_ACK | TCP_PSH, b, len);
    k->pseq += (uint32_t)len;
    k->pdata += (uint32_t)len;
}

void
ht_out(const struct h_env *e, size_t i, struct ht_out *o)
{
    struct h_out ip;
    enum tcp_bad why;

    h_out_ip(e->rec, i, &ip);
    assert_int_equal(ip.ip.proto, IP_PROTO_TCP);
    assert_int_equal(ip.ip.src, H_IP_US);
    assert_int_equal(ip.ip.dst, H_IP_PEER);
    assert_int_equal(tcp_parse(ip.data, ip.data_len, H_IP_US, H_IP_PEER, &o->h, &why), 0);
    o->data = ip.data + o->h.hdr_len;
    o->len = ip.data_len - o->h.hdr_len;
    o->at_us = e->rec->f[i].at_us;
}

void
ht_expect(const struct h_env *e, size_t i, uint8_t flags, tcp_seq seq, tcp_seq ack,
          long wnd, size_t len)
{
    struct ht_out o;
    char b[128];

    if (i >= e->rec->n)
        fail_msg("frame %zu expected, %zu sent", i, e->rec->n);
    ht_out(e, i, &o);
    tcp_fmt(&o.h, o.len, b, sizeof(b));
    if (o.h.flags != flags || o.h.seq != seq || ((flags & TCP_ACK) && o.h.ack != ack) ||
        (wnd >= 0 && o.h.wnd != wnd) || o.len != len)
        fail_msg("frame %zu is %s; want flags %#x seq %u ack %u win %ld len %zu", i, b,
                 flags, seq, ack, wnd, len);
}

void
ht_nsent(const struct h_env *e, size_t n)
{
    if (e->rec->n != n) {
        char b[128];
        for (size_t i = 0; i < e->rec->n; i++) {
            struct ht_out o;
            ht_out(e, i, &o);
            print_message("  sent %zu: %s\n", i, tcp_fmt(&o.h, o.len, b, sizeof(b)));
        }
        fail_msg("%zu segments sent, want %zu", e->rec->n, n);
    }
}

struct tcp_pcb *
ht_listen(struct h_env *e, uint16_t port, uint32_t rcvbuf, int backlog)
{
    struct tcp_pcb *l = tcp_open(e->s, (void *)1);

    assert_non_null(l);
    if (rcvbuf)
        assert_int_equal(tcp_set_bufs(e->s, l, 0, rcvbuf), 0);
    assert_int_equal(tcp_bind(e->s, l, 0, port), 0);
    assert_int_equal(tcp_listen(e->s, l, backlog), 0);
    assert_int_equal(l->state, TCP_LISTEN);
    return l;
}

static void
ht_syn_opts(struct ht_conn *k, struct h_env *e, struct tcp_pcb *l, uint16_t pport, int ws,
            int ts, uint32_t tsval)
{
    struct ht_out o;

    *k = (struct ht_conn){.e = e,
                          .l = l,
                          .lport = l->lport,
                          .pport = pport,
                          .pseq = HT_PEER_ISN,
                          .pwnd = 65535};
    rec_clear(e->rec);
    struct ht_seg syn = {.sport = pport,
                         .dport = k->lport,
                         .seq = k->pseq,
                         .flags = TCP_SYN,
                         .wnd = 65535,
                         .mss = HT_MSS,
                         .wscale = ws,
                         .has_ts = ts,
                         .tsval = tsval};
    ht_input(e, &syn);
    ht_nsent(e, 1);
    ht_out(e, 0, &o);
    k->iss = o.h.seq;
    /* RFC 7323 §2.2: the window of a SYN is never scaled */
    ht_expect(e, 0, TCP_SYN | TCP_ACK, k->iss, HT_PEER_ISN + 1,
              l->rcvbuf > 65535 ? 65535 : l->rcvbuf, 0);
    assert_int_equal(o.h.mss, HT_MSS);
    assert_int_equal(o.h.has_wscale, ws >= 0);
    /* RFC 7323 §3.2: timestamps answered only when offered */
    assert_int_equal(o.h.has_ts, ts);
    if (ts) {
        assert_int_equal(o.h.tsecr, tsval);
        k->ts = 1;
        k->ptsval = tsval;
        k->ptsecr = o.h.tsval;
    }
    k->pseq = HT_PEER_ISN + 1;
    k->pack = k->iss + 1;
    /* a half-open connection is an entry of the SYN queue, not a block
     * (tcp_syn.c): k->c comes with the ACK (ht_ack_accept) */
    k->c = NULL;
    assert_non_null(ht_synq_find(l, pport));
    rec_clear(e->rec);
}

void
ht_syn(struct ht_conn *k, struct h_env *e, struct tcp_pcb *l, uint16_t pport, int ws)
{
    ht_syn_opts(k, e, l, pport, ws, 0, 0);
}

void
ht_syn_ts(struct ht_conn *k, struct h_env *e, struct tcp_pcb *l, uint16_t pport, int ws,
          uint32_t tsval)
{
    ht_syn_opts(k, e, l, pport, ws, 1, tsval);
}

void
ht_ack_accept(struct ht_conn *k)
{
    struct h_env *e = k->e;

    rec_clear(e->rec);
    ht_send(k, TCP_ACK, NULL, 0);
    ht_nsent(e, 0);
    assert_null(ht_synq_find(k->l, k->pport));
    k->c = tcp_accept(e->s, k->l, (void *)2);
    assert_non_null(k->c);
    assert_int_equal(k->c->state, TCP_ESTABLISHED);
}

struct tcp_syn_entry *
ht_synq_find(const struct tcp_pcb *l, uint16_t pport)
{
    for (struct tcp_syn_entry *q = l->synq; q; q = q->next)
        if (q->rport == pport)
            return q;
    return NULL;
}

struct tcp_repr
ht_only(struct h_env *e, uint8_t flags, tcp_seq seq, tcp_seq ack, long wnd, size_t len)
{
    struct ht_out o;

    ht_nsent(e, 1);
    ht_expect(e, 0, flags, seq, ack, wnd, len);
    ht_out(e, 0, &o);
    rec_clear(e->rec);
    return o.h;
}

static void
ht_passive_opts(struct ht_conn *k, struct h_env *e, uint32_t rcvbuf, int ws, int ts,
                uint32_t tsval)
{
    struct tcp_pcb *l = ht_listen(e, HT_PORT, rcvbuf, 4);

    ht_syn_opts(k, e, l, HT_PEER_PORT, ws, ts, tsval);
    assert_null(tcp_accept(e->s, l, (void *)2)); /* not yet established */
    ht_ack_accept(k);
    assert_null(tcp_accept(e->s, l, (void *)2));
}

void
ht_passive(struct ht_conn *k, struct h_env *e, uint32_t rcvbuf, int ws)
{
    ht_passive_opts(k, e, rcvbuf, ws, 0, 0);
}

void
ht_passive_ts(struct ht_conn *k, struct h_env *e, uint32_t rcvbuf, int ws, uint32_t tsval)
{
    ht_passive_opts(k, e, rcvbuf, ws, 1, tsval);
}

void
ht_connect(struct ht_conn *k, struct h_env *e, uint16_t pport)
{
    struct ht_out o;

    *k = (struct ht_conn){.e = e, .pport = pport, .pseq = HT_PEER_ISN, .pwnd = 65535};
    k->c = tcp_open(e->s, (void *)3);
    assert_non_null(k->c);
    rec_clear(e->rec);
    assert_int_equal(tcp_connect(e->s, k->c, H_IP_PEER, pport), 0);
    assert_int_equal(k->c->state, TCP_SYN_SENT);
    ht_nsent(e, 1);
    ht_out(e, 0, &o);
    k->iss = o.h.seq;
    k->lport = o.h.sport;
    assert_true(k->lport >= 49152); /* RFC 6056: the ephemeral range */
    assert_int_equal(o.h.dport, pport);
    ht_expect(e, 0, TCP_SYN, k->iss, 0, 65535, 0);
    assert_int_equal(o.h.mss, HT_MSS);
    assert_int_equal(o.h.has_wscale, 1); /* RFC 7323 §2.2: offered on a SYN */
    assert_int_equal(o.h.wscale, 3);     /* 256 KiB needs a shift of 3 */
    assert_int_equal(o.h.has_ts, 1);     /* RFC 7323 §3.2: offered on a SYN */
    assert_int_equal(o.h.tsecr, 0);
    k->ptsecr = o.h.tsval;
    rec_clear(e->rec);
}

static void
ht_active_opts(struct ht_conn *k, struct h_env *e, int ws, uint64_t rtt_us, int ts,
               uint32_t tsval)
{
    struct ht_out o;

    ht_connect(k, e, HT_PEER_PORT);
    ht_at(e, e->now + rtt_us);
    ht_nsent(e, 0);
    struct ht_seg sa = {.sport = k->pport,
                        .dport = k->lport,
                        .seq = k->pseq,
                        .ack = k->iss + 1,
                        .flags = TCP_SYN | TCP_ACK,
                        .wnd = 65535,
                        .mss = HT_MSS,
                        .wscale = ws,
                        .has_ts = ts,
                        .tsval = tsval,
                        .tsecr = k->ptsecr};
    ht_input(e, &sa);
    k->pseq++;
    k->pack = k->iss + 1;
    ht_nsent(e, 1);
    /* RFC 7323 §2.3: scaled by our shift once both sides sent the option */
    ht_expect(e, 0, TCP_ACK, k->iss + 1, k->pseq, ws >= 0 ? TCP_BUF_DEFAULT >> 3 : 65535,
              0);
    ht_out(e, 0, &o);
    assert_int_equal(o.h.has_ts, ts);
    if (ts) {
        assert_int_equal(o.h.tsecr, tsval);
        k->ts = 1;
        k->ptsval = tsval;
        k->ptsecr = o.h.tsval;
    }
    assert_int_equal(k->c->state, TCP_ESTABLISHED);
    rec_clear(e->rec);
}

void
ht_active(struct ht_conn *k, struct h_env *e, int ws, uint64_t rtt_us)
{
    ht_active_opts(k, e, ws, rtt_us, 0, 0);
}

void
ht_active_ts(struct ht_conn *k, struct h_env *e, int ws, uint64_t rtt_us, uint32_t tsval)
{
    ht_active_opts(k, e, ws, rtt_us, 1, tsval);
}

void
ht_fin(struct ht_conn *k)
{
    ht_send(k, TCP_FIN | TCP_ACK, NULL, 0);
    k->pseq++;
}

void
ht_ack(struct ht_conn *k, tcp_seq ack)
{
    k->pack = ack;
    ht_send(k, TCP_ACK, NULL, 0);
}

void
ht_recv_expect(struct h_env *e, struct tcp_pcb *c, size_t off, size_t len)
{
    uint8_t got[8192], want[8192];

    assert_true(len <= sizeof(got));
    assert_int_equal(tcp_recv(e->s, c, got, sizeof(got)), len);
    ht_peer_bytes(want, off, len);
    assert_memory_equal(got, want, len);
}

void
ht_at(struct h_env *e, uint64_t t)
{
    h_poll(e, t);
}

size_t
ht_npcbs(const struct h_env *e)
{
    size_t n = 0;

    for (const struct tcp_pcb *c = e->s->tcp.pcbs; c; c = c->next)
        n++;
    return n;
}

struct tcp_info_lite
ht_info(const struct tcp_pcb *c)
{
    struct tcp_info_lite i;

    tcp_get_info(c, &i);
    return i;
}
