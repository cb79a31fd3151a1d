/*
 * fuzz_tcp.c - libFuzzer target: a peer that has completed two
 * handshakes drives established TCP connections with the input.
 *
 * Owns: build/fuzz/fuzz_tcp. Each input gets a fresh engine (10.0.0.2/24,
 * seed 1) on a device that discards what it is sent, and a fixed opening
 * the input does not control: the peer 10.0.0.1 (its MAC learnt from its
 * ARP request) connects to a listener on port 7 (connection 0, accepted)
 * and accepts a connection from us to its port 8000 (connection 1), both
 * SYNs offering MSS 1460, window scale 7, SACK-Permitted and timestamps,
 * so that SACK and timestamps are in use; we also connect to its port
 * 8001 (connection 2, left in SYN_SENT: the input answers it, or not); a
 * UDP endpoint listens on port 7. Connection 3 is the peer opening more
 * connections to the listener, from port 41000 + conn / 4 (the child's
 * ISS is then what its ack is relative to; children are accepted).
 * Then the input is a list of operations, each one byte then its fields
 * (big-endian; an input that ends early ends the list):
 *   0 SEG   conn, flags, seq, ack, wnd (2), opts; [tsval, tsecr if opts&1];
 *           [n, n x (left, right) if opts&2]; dlen (2). seq, ack, tsval,
 *           tsecr and the SACK edges are relative (to the peer's ISN, our
 *           ISS, the peer's first TSval, our first TSval): the values of
 *           a real exchange land in the window. opts&4: MSS 1460, &8:
 *           window scale 7, &16: SACK-Permitted (for a SYN). dlen bytes of
 *           a pattern.
 *   1 TIME  ms (2): the clock moves on, every timer due runs at its time
 *   2 APP   conn, action, n (2): 0 read n, 1 write n, 2 shutdown(SHUT_WR),
 *           3 close, 4 echo on/off (after each operation, read what is
 *           there and write it back, as the pcaps' echo application)
 *   3 UDP   dport (2), dlen (2), then dlen bytes of the input
 *   4 FRAME len (2), then len bytes fed as a raw Ethernet frame
 * Each operation runs 100 µs after the last. At the end every socket is
 * closed and the clock runs an hour on: every wait has an end, so the
 * engine must hold no TCP block then (a trap otherwise), and stack_free
 * lets LeakSanitizer see the rest. TCP's event trace is on for inputs of
 * odd length (trace_line checks each line's shape). Seeds: tests/fuzz/tcp_seeds.py turns
 * the TCP captures of pcaps/ into these operations.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/log.h"
#include "dev/dev.h"
#include "proto/tcp.h"
#include "proto/udp.h"
#include "stack.h"
#include "stack_var.h"
#include "wire/eth_hdr.h"
#include "wire/ipv4_hdr.h"
#include "wire/tcp_hdr.h"
#include "wire/udp_hdr.h"

#define US 0x0a000002u   /* 10.0.0.2 */
#define PEER 0x0a000001u /* 10.0.0.1 */
#define PEER_ISN 0x80000000u
#define PEER_TS0 1000u
#define FRAME_MAX 1514

static const uint8_t peer_mac[6] = {2, 0, 0, 0, 0, 1};

#define NCONN 4
#define NEXTRA 8

struct fz {
    struct stack *s;
    struct fz_dev *dev;
    uint64_t now;
    struct tcp_pcb *l, *c[NCONN];
    struct tcp_pcb *extra[NEXTRA]; /* connection 3's accepted children */
    struct udp_pcb *u;
    tcp_seq iss[NCONN];  /* ours */
    uint32_t ts0[NCONN]; /* our first TSval */
    uint16_t pport[NCONN], lport[NCONN];
    uint8_t echo[NCONN];
    const uint8_t *in;
    size_t left;
};

/* The device: discards what it is sent, but notes our last SYN,ACK from
 * port 7 (a listener's half-open connections are SYN-queue entries, not
 * blocks: their ISS is read off the wire, as the peer would). */
struct fz_dev {
    struct dev dev; /* first: a struct dev * is a struct fz_dev * */
    uint16_t synack_dport;
    tcp_seq synack_seq;
    uint32_t synack_tsval;
};

static void
note_synack(struct fz_dev *d, const uint8_t *f, size_t len)
{
    struct tcp_repr r;
    enum tcp_bad why;

    if (len < 34 || be16_get(f + 12) != ETH_TYPE_IPV4 || f[23] != 6)
        return;
    size_t ihl = (size_t)(f[14] & 15) * 4, total = be16_get(f + 16);
    if (14 + total > len || ihl + 20 > total)
        return;
    if (tcp_parse(f + 14 + ihl, total - ihl, US, PEER, &r, &why) < 0 || r.sport != 7 ||
        (r.flags & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK))
        return;
    d->synack_dport = r.dport;
    d->synack_seq = r.seq;
    d->synack_tsval = r.has_ts ? r.tsval : 0;
}

static int
null_send(struct dev *d, const uint8_t *frame, size_t len, uint64_t now_us)
{
    (void)now_us;
    volatile uint8_t sum = 0; /* ASan sees a frame built past its buffer */

    for (size_t i = 0; i < len; i++)
        sum ^= frame[i];
    (void)sum;
    note_synack((struct fz_dev *)d, frame, len);
    return 0;
}

static ssize_t
null_recv(struct dev *d, uint8_t *buf, size_t cap, uint64_t *ts_us)
{
    (void)d, (void)buf, (void)cap, (void)ts_us;
    return -EAGAIN;
}

static void
null_close(struct dev *d)
{
    (void)d;
}

static const struct dev_ops null_ops = {
    .send = null_send, .recv = null_recv, .fd = NULL, .close = null_close};

/* The next n input bytes as a big-endian number (0 past the end). */
static uint32_t
take(struct fz *f, size_t n)
{
    uint32_t v = 0;

    for (size_t i = 0; i < n; i++) {
        v <<= 8;
        if (f->left) {
            v |= *f->in++;
            f->left--;
        }
    }
    return v;
}

/* Run every timer due up to t at its own deadline, then poll at t. */
static void
run_until(struct fz *f, uint64_t t)
{
    uint64_t at;

    for (int i = 0; i < 100000 && (at = stack_poll_at(f->s)) <= t; i++) {
        if (at < f->now)
            at = f->now; /* a past deadline: poll now */
        f->now = at;
        stack_poll(f->s, at);
    }
    f->now = t;
    stack_poll(f->s, t);
}

/* Ethernet + IPv4 from the peer around the payload at f[34..34+len). */
static void
send_ip(struct fz *f, uint8_t *fr, uint8_t proto, size_t len)
{
    struct eth_repr e = {.type = ETH_TYPE_IPV4};
    struct ipv4_repr ip = {.hdr_len = 20,
                           .total_len = (uint16_t)(20 + len),
                           .ttl = 64,
                           .proto = proto,
                           .src = PEER,
                           .dst = US};

    memcpy(e.dst, f->s->mac, 6);
    memcpy(e.src, peer_mac, 6);
    eth_emit(&e, fr, 14);
    ipv4_emit(&ip, fr + 14, 20);
    stack_input(f->s, fr, 34 + len, f->now);
}

static void
send_tcp(struct fz *f, struct tcp_repr *r, size_t dlen)
{
    uint8_t fr[FRAME_MAX];
    size_t hl = tcp_hdr_len(r);

    if (hl + dlen > FRAME_MAX - 34)
        dlen = FRAME_MAX - 34 - hl;
    for (size_t i = 0; i < dlen; i++)
        fr[34 + hl + i] = (uint8_t)(i * 7 + 3);
    if (tcp_emit(r, fr + 34, hl + dlen, PEER, US) < 0)
        return;
    send_ip(f, fr, 6, hl + dlen);
}

/* The peer's SYN (or SYN,ACK) options: MSS, scaling, SACK, timestamps. */
static void
syn_opts(struct tcp_repr *r, uint32_t tsecr)
{
    r->mss = 1460;
    r->has_wscale = 1;
    r->wscale = 7;
    r->sack_perm = 1;
    r->has_ts = 1;
    r->tsval = PEER_TS0;
    r->tsecr = tsecr;
    r->wnd = 65535;
}

/* The opening: ARP, the listener's connection, ours. 0 on success. */
static int
open_both(struct fz *f)
{
    uint8_t fr[64] = {0};
    struct eth_repr e = {.type = ETH_TYPE_ARP};

    memcpy(e.dst, eth_broadcast, 6);
    memcpy(e.src, peer_mac, 6);
    eth_emit(&e, fr, 14);
    static const uint8_t arp[8] = {0, 1, 8, 0, 6, 4, 0, 1}; /* request */
    memcpy(fr + 14, arp, 8);
    memcpy(fr + 22, peer_mac, 6);
    be32_put(fr + 28, PEER);
    be32_put(fr + 38, US);
    stack_input(f->s, fr, 60, f->now);

    f->l = tcp_open(f->s, (void *)1);
    if (!f->l || tcp_bind(f->s, f->l, 0, 7) < 0 || tcp_listen(f->s, f->l, 8) < 0)
        return -1;
    f->pport[0] = 40000;
    f->lport[0] = 7;
    struct tcp_repr r = {.sport = 40000, .dport = 7, .seq = PEER_ISN, .flags = TCP_SYN};
    syn_opts(&r, 0);
    send_tcp(f, &r, 0);
    if (f->dev->synack_dport != 40000)
        return -1;
    f->iss[0] = f->dev->synack_seq;
    f->ts0[0] = f->dev->synack_tsval;
    r = (struct tcp_repr){.sport = 40000,
                          .dport = 7,
                          .seq = PEER_ISN + 1,
                          .ack = f->iss[0] + 1,
                          .flags = TCP_ACK,
                          .wnd = 512,
                          .has_ts = 1,
                          .tsval = PEER_TS0,
                          .tsecr = f->ts0[0]};
    send_tcp(f, &r, 0);
    f->c[0] = tcp_accept(f->s, f->l, (void *)2);
    if (!f->c[0])
        return -1;

    f->c[1] = tcp_open(f->s, (void *)3);
    if (!f->c[1] || tcp_connect(f->s, f->c[1], PEER, 8000) < 0)
        return -1;
    struct tcp_pcb *k = f->c[1];
    f->iss[1] = k->iss;
    f->ts0[1] = tcp_ts_now(f->s, k);
    f->pport[1] = 8000;
    f->lport[1] = k->lport;
    f->now += 1000;
    r = (struct tcp_repr){.sport = 8000,
                          .dport = k->lport,
                          .seq = PEER_ISN,
                          .ack = k->iss + 1,
                          .flags = TCP_SYN | TCP_ACK};
    syn_opts(&r, f->ts0[1]);
    send_tcp(f, &r, 0);
    if (k->state != TCP_ESTABLISHED)
        return -1;
    f->c[2] = k = tcp_open(f->s, (void *)3);
    if (!k || tcp_connect(f->s, k, PEER, 8001) < 0)
        return -1;
    f->iss[2] = k->iss;
    f->ts0[2] = tcp_ts_now(f->s, k);
    f->pport[2] = 8001;
    f->lport[2] = k->lport;
    f->lport[3] = 7;
    f->u = udp_open(f->s, (void *)4);
    return f->u && udp_bind(f->s, f->u, 0, 7) == 0 ? 0 : -1;
}

/* Connection 3 from sport: our ISS and first TSval, from the last SYN,ACK
 * we sent it (0 if none). */
static void
child_of(struct fz *f, uint16_t sport)
{
    if (f->pport[3] == sport && f->iss[3])
        return;
    f->pport[3] = sport;
    f->iss[3] = f->ts0[3] = 0;
    if (f->dev->synack_dport == sport) {
        f->iss[3] = f->dev->synack_seq;
        f->ts0[3] = f->dev->synack_tsval;
    }
}

/* Accept what waits on the listener (connection 3's children). */
static void
accept_extra(struct fz *f)
{
    struct tcp_pcb *c;

    while (f->l && (c = tcp_accept(f->s, f->l, (void *)5)) != NULL) {
        int i = 0;
        while (i < NEXTRA && f->extra[i])
            i++;
        if (i == NEXTRA) {
            tcp_close(f->s, c);
            continue;
        }
        f->extra[i] = c;
    }
}

static void
op_seg(struct fz *f)
{
    uint32_t conn = take(f, 1);
    int i = (int)(conn % NCONN);

    if (i == 3)
        child_of(f, (uint16_t)(41000 + conn / NCONN));
    struct tcp_repr r = {.sport = f->pport[i], .dport = f->lport[i]};

    r.flags = (uint8_t)take(f, 1);
    r.seq = PEER_ISN + take(f, 4);
    r.ack = f->iss[i] + take(f, 4);
    r.wnd = (uint16_t)take(f, 2);
    uint8_t opts = (uint8_t)take(f, 1);
    if (opts & 1) {
        r.has_ts = 1;
        r.tsval = PEER_TS0 + take(f, 4);
        r.tsecr = f->ts0[i] + take(f, 4);
    }
    if (opts & 2) {
        r.nsack = (uint8_t)(take(f, 1) % (TCP_SACK_MAX + 1));
        for (int b = 0; b < r.nsack; b++) {
            r.sack[b].left = f->iss[i] + take(f, 4);
            r.sack[b].right = f->iss[i] + take(f, 4);
        }
    }
    if (opts & 4)
        r.mss = 1460;
    r.has_wscale = (opts & 8) != 0;
    r.wscale = 7;
    r.sack_perm = (opts & 16) != 0;
    send_tcp(f, &r, take(f, 2));
    accept_extra(f);
}

/* The application: read (and echo back) or write, as the operation says. */
static void
app_io(struct fz *f, int i, int write, size_t n)
{
    uint8_t b[8192];
    struct tcp_pcb *c = f->c[i];

    if (!c)
        return;
    if (n > sizeof(b))
        n = sizeof(b);
    if (write) {
        memset(b, 'w', n);
        tcp_send(f->s, c, b, n);
        return;
    }
    ssize_t got = tcp_recv(f->s, c, b, n);
    if (got > 0 && f->echo[i])
        tcp_send(f->s, c, b, (size_t)got);
}

static void
op_app(struct fz *f)
{
    int i = (int)(take(f, 1) % 3);
    uint32_t action = take(f, 1) % 5, n = take(f, 2);

    switch (action) {
    case 0: app_io(f, i, 0, n); break;
    case 1: app_io(f, i, 1, n); break;
    case 2:
        if (f->c[i])
            tcp_shutdown(f->s, f->c[i], 1);
        break;
    case 3:
        if (f->c[i])
            tcp_close(f->s, f->c[i]);
        f->c[i] = NULL;
        break;
    default: f->echo[i] ^= 1;
    }
}

static void
op_udp(struct fz *f)
{
    uint8_t fr[FRAME_MAX];
    struct udp_repr r = {.sport = 5353, .dport = (uint16_t)take(f, 2)};
    size_t n = take(f, 2);

    if (n > FRAME_MAX - 42)
        n = FRAME_MAX - 42;
    if (n > f->left)
        n = f->left;
    memcpy(fr + 42, f->in, n);
    f->in += n;
    f->left -= n;
    r.len = (uint16_t)(8 + n);
    udp_emit(&r, fr + 34, 8 + n, PEER, US);
    send_ip(f, fr, 17, 8 + n);
    const uint8_t *d;
    size_t len;
    uint32_t src;
    uint16_t sport;
    while ((d = udp_front(f->u, &len, &src, &sport)) != NULL)
        udp_pop(f->s, f->u);
}

static void
op_frame(struct fz *f)
{
    size_t n = take(f, 2);

    if (n > f->left)
        n = f->left;
    stack_input(f->s, f->in, n, f->now);
    f->in += n;
    f->left -= n;
}

/* After each operation: the echo application reads and writes back. */
static void
echo_step(struct fz *f)
{
    for (int i = 0; i < 3; i++)
        if (f->echo[i] && f->c[i] && tcp_recv_avail(f->c[i]) &&
            tcp_send_space(f->s, f->c[i]) >= tcp_recv_avail(f->c[i]))
            app_io(f, i, 0, tcp_recv_avail(f->c[i]));
}

/* cfg.trace: every line one object ending in a newline, nothing else
 * (tcp_trace.c formats whatever the input makes the engine do). */
static void
trace_line(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    if (len < 3 || len > 1024 || line[0] != '{' || line[len - 2] != '}' ||
        line[len - 1] != '\n' || memchr(line, '\n', len - 1) || strlen(line) != len)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_dev dev = {.dev = {.ops = &null_ops, .name = "null"}};
    struct stack_config cfg;
    struct fz f = {
        .dev = &dev, .in = data, .left = size, .now = 1000000, .echo = {1, 1, 1}};

    stack_config_defaults(&cfg);
    cfg.addr = US;
    cfg.prefix_len = 24;
    cfg.seed = 1;
    cfg.pkb_count = 256;
    cfg.log_out = getenv("FUZZ_TCP_LOG") ? stderr : NULL; /* to reproduce */
    cfg.log_level = LOG_DEBUG;
    cfg.trace = size & 1 ? trace_line : NULL; /* half the inputs: it halves the speed */
    mac_from_addr(cfg.addr, cfg.mac);
    f.s = stack_new(&cfg, &dev.dev);
    if (!f.s)
        __builtin_trap(); /* a valid config must give an engine */
    stack_poll(f.s, f.now);
    if (open_both(&f) < 0)
        __builtin_trap(); /* the opening does not depend on the input */
    for (int ops = 0; f.left && ops < 4096; ops++) {
        switch (take(&f, 1) % 5) {
        case 0: op_seg(&f); break;
        case 1: run_until(&f, f.now + take(&f, 2) * 1000ull); break;
        case 2: op_app(&f); break;
        case 3: op_udp(&f); break;
        default: op_frame(&f);
        }
        echo_step(&f);
        run_until(&f, f.now + 100);
    }
    /* every wait has an end: closed, and an hour on, nothing is left */
    for (int i = 0; i < 3; i++)
        if (f.c[i])
            tcp_close(f.s, f.c[i]);
    for (int i = 0; i < NEXTRA; i++)
        if (f.extra[i])
            tcp_close(f.s, f.extra[i]);
    tcp_close(f.s, f.l);
    run_until(&f, f.now + 3600ull * 1000000);
    for (struct tcp_pcb *c = f.s->tcp.pcbs; c; c = c->next)
        fprintf(
            stderr,
            "fuzz_tcp: left after an hour: %s :%u -> :%u app_closed %d listener %d "
            "timers rexmt %llu persist %llu delack %llu 2msl %llu keep %llu now %llu\n",
            tcp_state_name(c->state), c->lport, c->rport, c->app_closed,
            c->listener != NULL, (unsigned long long)c->t_rexmt,
            (unsigned long long)c->t_persist, (unsigned long long)c->t_delack,
            (unsigned long long)c->t_2msl, (unsigned long long)c->t_keep,
            (unsigned long long)f.now);
    if (f.s->tcp.pcbs)
        __builtin_trap();
    udp_close(f.s, f.u);
    stack_free(f.s);
    return 0;
}
