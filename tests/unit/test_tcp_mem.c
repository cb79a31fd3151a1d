/*
 * test_tcp_mem.c - what a peer can make the engine hold, and for how long:
 * the SYN queue and SYN cookies (RFC 4987 §3.6, tcp_syn.c), out-of-order
 * data in the receive ring (tcp_ooo.c), and the engine-wide memory budget
 * (cfg.tcp_mem_max). One engine on the recording device, the peer's
 * segments built by hand and fed at chosen virtual times.
 */
#include "harness_tcp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "stack_var.h"

#define MS H_MS
#define SEC H_SEC

static struct {
    FILE *f;
    char *buf;
    size_t len;
} lg;

static struct h_env *
env_with(void **state, uint64_t mem_max)
{
    struct stack_config cfg;

    h_config(&cfg);
    lg.f = open_memstream(&lg.buf, &lg.len);
    assert_non_null(lg.f);
    cfg.log_out = lg.f;
    cfg.log_level = LOG_INFO;
    if (mem_max)
        cfg.tcp_mem_max = mem_max;
    return ht_env(state, &cfg);
}

static int
teardown(void **state)
{
    h_env_free(*state);
    *state = NULL;
    fclose(lg.f);
    free(lg.buf);
    memset(&lg, 0, sizeof(lg));
    return 0;
}

/* Lines the engine logged so far. */
static size_t
log_lines(void)
{
    size_t n = 0;

    fflush(lg.f);
    for (size_t i = 0; i < lg.len; i++)
        n += lg.buf[i] == '\n';
    return n;
}

/* A segment from the peer's port to ours with any options. */
static void
seg(struct h_env *e, const struct tcp_repr *r, const uint8_t *data, size_t len)
{
    uint8_t b[TCP_HDR_MAX + 2000], f[H_FRAME_MAX];
    size_t hl = tcp_hdr_len(r);

    assert_true(hl + len <= sizeof(b));
    if (len)
        memcpy(b + hl, data, len);
    assert_int_equal(tcp_emit(r, b, hl + len, H_IP_PEER, H_IP_US), (int)hl);
    h_input(e, f, h_ip_frame(f, H_IP_PEER, H_IP_US, IP_PROTO_TCP, 1, 0, b, hl + len));
}

/* A SYN from sport: MSS 1400, window scale 7, SACK-Permitted, TSval. */
static void
syn_full(struct h_env *e, uint16_t sport, tcp_seq isn, uint32_t tsval)
{
    struct tcp_repr r = {.sport = sport,
                         .dport = HT_PORT,
                         .seq = isn,
                         .flags = TCP_SYN,
                         .wnd = 65535,
                         .mss = 1400,
                         .has_wscale = 1,
                         .wscale = 7,
                         .sack_perm = 1,
                         .has_ts = 1,
                         .tsval = tsval};
    seg(e, &r, NULL, 0);
}

/* Exactly one frame left, a SYN,ACK acknowledging ack (its ISN is the
 * engine's, or a cookie); then the recorder is cleared. */
static struct tcp_repr
synack(struct h_env *e, tcp_seq ack)
{
    struct ht_out o;

    ht_nsent(e, 1);
    ht_out(e, 0, &o);
    assert_int_equal(o.h.flags, TCP_SYN | TCP_ACK);
    assert_int_equal(o.h.ack, ack);
    assert_int_equal(o.h.wnd, 65535);
    rec_clear(e->rec);
    return o.h;
}

/* A flood of n SYNs (no options but MSS) from ports 20000 on. */
static void
flood_from(struct h_env *e, uint16_t port, int n)
{
    for (int i = 0; i < n; i++)
        ht_raw(e, (uint16_t)(port + i), HT_PORT, TCP_SYN, 1000u * (uint32_t)i, 0, NULL,
               0);
}

static void
flood(struct h_env *e, int n)
{
    flood_from(e, 20000, n);
}

/* SYN flood into a listener with backlog 4: 2 * 4 + 16 entries, then
 * every SYN is answered with a cookie; nothing is logged per SYN, one
 * summary line a second. A client offering every option completes its
 * handshake through a cookie with the right MSS, window scale and SACK. */
static void
test_syn_flood_cookies(void **state)
{
    struct h_env *e = env_with(state, 0);
    struct tcp_pcb *l = ht_listen(e, HT_PORT, 0, 4);
    uint64_t mem0 = tcp_mem_used(e->s);
    size_t lines0 = log_lines();

    assert_true(sizeof(struct tcp_syn_entry) <= 64); /* a few dozen bytes */
    rec_clear(e->rec);
    flood(e, 200);
    ht_nsent(e, 200); /* every SYN answered */
    assert_int_equal(l->n_syn, 24);
    assert_int_equal(h_stat(e, "tcp.syncookies_sent"), 176);
    assert_int_equal(h_stat(e, "tcp.rx_syn_queue_full"), 176);
    assert_int_equal(tcp_mem_used(e->s) - mem0, 24 * sizeof(struct tcp_syn_entry));
    assert_int_equal(ht_npcbs(e), 1); /* no block for a half-open connection */
    assert_int_equal(log_lines(), lines0);
    /* a second later, one summary line */
    ht_at(e, e->now + SEC);
    assert_int_equal(log_lines(), lines0 + 1);
    assert_non_null(strstr(lg.buf, "176 SYNs answered with cookies, 0 dropped"));

    /* a legitimate client, while the queue is still full */
    rec_clear(e->rec);
    const uint32_t P0 = 5000;
    syn_full(e, 30000, HT_PEER_ISN, P0);
    struct tcp_repr sa = synack(e, HT_PEER_ISN + 1);
    assert_int_equal(sa.has_wscale, 1);
    assert_int_equal(sa.sack_perm, 1);
    assert_int_equal(sa.has_ts, 1);
    assert_int_equal(sa.tsecr, P0);
    assert_int_equal(sa.tsval & 0x3f, 7 | 0x10); /* wscale 7, SACK */
    assert_int_equal(h_stat(e, "tcp.syncookies_sent"), 177);
    ht_at(e, e->now + 30 * MS);
    struct tcp_repr ack = {.sport = 30000,
                           .dport = HT_PORT,
                           .seq = HT_PEER_ISN + 1,
                           .ack = sa.seq + 1,
                           .flags = TCP_ACK,
                           .wnd = 1000,
                           .has_ts = 1,
                           .tsval = P0 + 30,
                           .tsecr = sa.tsval};
    seg(e, &ack, (const uint8_t *)"hello", 5);
    assert_int_equal(h_stat(e, "tcp.syncookies_ok"), 1);
    struct tcp_pcb *c = tcp_accept(e->s, l, (void *)2);
    assert_non_null(c);
    assert_int_equal(c->state, TCP_ESTABLISHED);
    assert_int_equal(c->snd_mss, 1300); /* the table's largest <= 1400 */
    assert_int_equal(c->snd_wscale, 7);
    assert_int_equal(c->snd_wnd, 1000 << 7);
    assert_int_equal(c->rcv_wscale, 3);
    assert_int_equal(c->sack_ok, 1);
    assert_int_equal(c->ts_ok, 1);
    assert_int_equal(c->ts_recent, P0 + 30);
    assert_int_equal(tcp_recv(e->s, c, e->buf2, 10), 5);
    assert_memory_equal(e->buf2, "hello", 5);
    assert_int_equal(l->n_syn, 24);
    /* the flood's entries give up after 6 SYN,ACKs (127 s) */
    uint64_t end = e->now + 130 * SEC;
    while (stack_poll_at(e->s) <= end)
        ht_at(e, stack_poll_at(e->s));
    assert_int_equal(l->n_syn, 0);
    assert_int_equal(h_stat(e, "tcp.syn_queue_timed_out"), 24);
    /* the block; its rings drained, their storage went with the bytes */
    assert_int_equal(tcp_mem_used(e->s), mem0 + sizeof(struct tcp_pcb));
}

/* A forged ACK, a stale cookie, a cookie without timestamps. */
static void
test_cookie_checks(void **state)
{
    struct h_env *e = env_with(state, 0);
    struct tcp_pcb *l = ht_listen(e, HT_PORT, 0, 1);

    /* before any cookie was sent, a stray ACK is just a stray ACK */
    rec_clear(e->rec);
    ht_raw(e, 30000, HT_PORT, TCP_ACK, 1, 12345, NULL, 0);
    ht_only(e, TCP_RST, 12345, 0, 0, 0);
    assert_int_equal(h_stat(e, "tcp.syncookies_bad"), 0);
    flood(e, 18); /* 2 * 1 + 16 entries, then cookies */
    assert_int_equal(h_stat(e, "tcp.syncookies_sent"), 0);
    rec_clear(e->rec);
    /* a peer without timestamps, MSS 536: no window scale nor SACK offered */
    ht_raw(e, 30001, HT_PORT, TCP_SYN, 777, 0, NULL, 0);
    struct tcp_repr sa = synack(e, 778);
    assert_int_equal(h_stat(e, "tcp.syncookies_sent"), 1);
    assert_int_equal(sa.has_wscale, 0);
    assert_int_equal(sa.sack_perm, 0);
    assert_int_equal(sa.has_ts, 0);
    /* forged: wrong cookie, or right cookie for another ISN */
    ht_raw(e, 30001, HT_PORT, TCP_ACK, 778, sa.seq + 2, NULL, 0);
    ht_only(e, TCP_RST, sa.seq + 2, 0, 0, 0);
    ht_raw(e, 30001, HT_PORT, TCP_ACK, 5778, sa.seq + 1, NULL, 0);
    ht_only(e, TCP_RST, sa.seq + 1, 0, 0, 0);
    ht_raw(e, 30002, HT_PORT, TCP_ACK, 778, sa.seq + 1, NULL, 0);
    ht_only(e, TCP_RST, sa.seq + 1, 0, 0, 0);
    assert_int_equal(h_stat(e, "tcp.syncookies_bad"), 3);
    assert_int_equal(ht_npcbs(e), 1);
    /* the right one, 90 s later (one period of the coarse clock may pass) */
    ht_at(e, e->now + 90 * SEC);
    rec_clear(e->rec); /* the entries' SYN,ACKs again */
    ht_raw(e, 30001, HT_PORT, TCP_ACK, 778, sa.seq + 1, NULL, 0);
    ht_nsent(e, 0);
    struct tcp_pcb *c = tcp_accept(e->s, l, (void *)2);
    assert_non_null(c);
    assert_int_equal(c->snd_mss, 1460);
    assert_int_equal(c->wscale_ok, 0);
    assert_int_equal(c->sack_ok, 0);
    assert_int_equal(c->ts_ok, 0);
    /* stale: the same cookie three minutes on */
    tcp_abort(e->s, c);
    rec_clear(e->rec);
    ht_raw(e, 30003, HT_PORT, TCP_SYN, 5000, 0, NULL, 0);
    sa = synack(e, 5001);
    uint64_t end = e->now + 180 * SEC;
    while (stack_poll_at(e->s) <= end) /* the entries time out */
        ht_at(e, stack_poll_at(e->s));
    ht_at(e, end);
    assert_int_equal(l->n_syn, 0);
    flood_from(e, 21000, 19); /* cookies in use again: ACKs are checked */
    assert_int_equal(h_stat(e, "tcp.syncookies_sent"), 3);
    rec_clear(e->rec);
    ht_raw(e, 30003, HT_PORT, TCP_ACK, 5001, sa.seq + 1, NULL, 0);
    ht_only(e, TCP_RST, sa.seq + 1, 0, 0, 0);
    assert_int_equal(h_stat(e, "tcp.syncookies_bad"), 4);
    assert_int_equal(h_stat(e, "tcp.syncookies_ok"), 1);
}

/* Out-of-order segments overlapping in every way reassemble byte-exact,
 * in the receive ring: the only memory taken for them is the ring's
 * storage up to the last byte held, freed when the application reads. */
static void
test_ooo_overlaps(void **state)
{
    struct h_env *e = env_with(state, 0);
    struct ht_conn k;
    uint8_t b[3000], got[3000];
    /* [from, to) of the peer's stream, in arrival order; 0..100 comes last */
    static const struct {
        uint16_t from, to;
        uint8_t runs; /* runs held after it */
    } segs[] = {
        {1000, 1200, 1},                /* alone */
        {1000, 1200, 1},                /* the same again */
        {1050, 1100, 1},                /* inside */
        {900, 1300, 1},                 /* around */
        {800, 950, 1},                  /* over the left edge */
        {1250, 1400, 1},                /* over the right edge */
        {1600, 1700, 2},                /* a second run */
        {1400, 1500, 2},                /* touching the first on its right */
        {2000, 2100, 3},                /* a third */
        {1450, 2050, 1},                /* bridging the three */
        {500, 800, 1},                  /* touching on the left */
        {200, 300, 2},   {300, 500, 1}, /* filling between two runs exactly */
        {2900, 3000, 2},                /* up to the end of what is sent */
        {100, 1500, 2},                 /* over a run's left edge, ending inside it */
        {1500, 2900, 1},                /* the rest of the middle, touching both */
    };

    ht_passive(&k, e, 0, HT_NOWS);
    tcp_seq base = k.pseq;
    uint64_t mem = tcp_mem_used(e->s);
    ht_peer_bytes(b, 0, sizeof(b));
    for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
        ht_send_at(&k, TCP_ACK, base + segs[i].from, k.pack, b + segs[i].from,
                   segs[i].to - segs[i].from);
        if (k.c->n_ooo != segs[i].runs)
            fail_msg("after segment %zu: %u runs, want %u", i, k.c->n_ooo, segs[i].runs);
        assert_int_equal(tcp_recv_avail(k.c), 0);
    }
    assert_int_equal(k.c->ooo[0].left, base + 100);
    assert_int_equal(k.c->ooo[0].right, base + 3000);
    assert_int_equal(k.c->rcv.size, 4096); /* 3000 bytes: one step */
    assert_int_equal(tcp_mem_used(e->s), mem + 4096);
    rec_clear(e->rec);
    ht_send_at(&k, TCP_ACK, base, k.pack, b, 150); /* fills, overlapping */
    ht_only(e, TCP_ACK, k.iss + 1, base + 3000, -1, 0);
    assert_int_equal(k.c->n_ooo, 0);
    assert_int_equal(tcp_recv(e->s, k.c, got, sizeof(got)), 3000);
    assert_memory_equal(got, b, 3000);
    assert_int_equal(k.c->rcv.size, 0);
    assert_int_equal(tcp_mem_used(e->s), mem);
}

/* The run list is bounded: a 17th run apart from the others is dropped
 * (and counted); a segment past the window is cut to it. */
static void
test_ooo_bounds(void **state)
{
    struct h_env *e = env_with(state, 0);
    struct ht_conn k;
    uint8_t b[4096];

    ht_passive(&k, e, 4096, HT_NOWS);
    tcp_seq base = k.pseq;
    ht_peer_bytes(b, 0, sizeof(b));
    for (unsigned i = 0; i < TCP_OOO_RANGES + 1; i++)
        ht_send_at(&k, TCP_ACK, base + 100 + 200 * i, k.pack, b + 100 + 200 * i, 10);
    assert_int_equal(k.c->n_ooo, TCP_OOO_RANGES);
    assert_int_equal(h_stat(e, "tcp.rx_ooo_ranges_full"), 1);
    assert_int_equal(h_stat(e, "tcp.rx_ooo_dropped"), 1);
    /* but one that merges two runs is still taken */
    ht_send_at(&k, TCP_ACK, base + 105, k.pack, b + 105, 200);
    assert_int_equal(k.c->n_ooo, TCP_OOO_RANGES - 1);
    /* 1400 bytes at 3000: the window (4096) ends at 4096 */
    uint8_t big[1400];
    ht_peer_bytes(big, 3000, sizeof(big));
    ht_send_at(&k, TCP_ACK, base + 3000, k.pack, big, sizeof(big));
    assert_int_equal(k.c->ooo[k.c->n_ooo - 1].right, base + 4096);
    /* fill everything in order: byte-exact, and the window is full */
    for (unsigned off = 0; off < 4096; off += 1000) {
        unsigned n = 4096 - off < 1000 ? 4096 - off : 1000;
        ht_peer_bytes(b, off, n);
        ht_send_at(&k, TCP_ACK, base + off, k.pack, b, n);
    }
    uint8_t got[4096];
    assert_int_equal(tcp_recv(e->s, k.c, got, sizeof(got)), 4096);
    ht_peer_bytes(b, 0, sizeof(b));
    assert_memory_equal(got, b, 4096);
}

/* The engine-wide budget bites: the SYN that finds no room for an entry
 * gets a cookie, the ACK that finds no room for the block and its rings
 * is dropped (the peer tries again), all counted; nothing breaks. */
static void
test_mem_budget(void **state)
{
    struct h_env *e = env_with(state, 0);
    struct ht_conn a, b;

    struct tcp_pcb *l = ht_listen(e, HT_PORT, 0, 8);
    ht_syn(&a, e, l, 40001, HT_NOWS);
    ht_ack_accept(&a);
    /* room for one entry more, not for a second connection */
    e->s->cfg.tcp_mem_max = tcp_mem_used(e->s) + sizeof(struct tcp_syn_entry);
    ht_syn(&b, e, l, 40002, HT_NOWS); /* an entry */
    assert_int_equal(l->n_syn, 1);
    rec_clear(e->rec);
    ht_raw(e, 40003, HT_PORT, TCP_SYN, 1, 0, NULL, 0);
    synack(e, 2);
    assert_int_equal(h_stat(e, "tcp.syncookies_sent"), 1);
    assert_int_equal(h_stat(e, "tcp.mem_refused"), 1);
    ht_send(&b, TCP_ACK, NULL, 0);
    ht_nsent(e, 0);
    assert_int_equal(h_stat(e, "tcp.mem_refused"), 2);
    assert_non_null(ht_synq_find(l, 40002));
    assert_null(tcp_accept(e->s, l, (void *)2));
    /* a connect finds no room either */
    struct tcp_pcb *c = tcp_open(e->s, (void *)3);
    assert_null(c);
    assert_int_equal(h_stat(e, "tcp.mem_refused"), 3);
    /* a wider budget: b's next ACK gets through */
    e->s->cfg.tcp_mem_max = (uint64_t)1 << 30;
    ht_ack_accept(&b);
}

/* What the budget holds for c beyond its block: the storage of its rings,
 * and the block's own charge agrees. */
static void
rings_charged(struct h_env *e, const struct tcp_pcb *c, uint64_t mem0)
{
    assert_true(c->snd.size <= c->snd.cap && c->rcv.size <= c->rcv.cap);
    assert_int_equal(c->mem_charged, sizeof(struct tcp_pcb) + c->snd.size + c->rcv.size);
    assert_int_equal(tcp_mem_used(e->s), mem0 + c->snd.size + c->rcv.size);
}

/* tcp_recv of exactly len bytes: the peer's stream from off. */
static void
recv_n(struct h_env *e, struct tcp_pcb *c, size_t off, size_t len)
{
    uint8_t got[8192], want[8192];

    assert_true(len <= sizeof(got));
    assert_int_equal(tcp_recv(e->s, c, got, len), len);
    ht_peer_bytes(want, off, len);
    assert_memory_equal(got, want, len);
}

/* An idle connection costs its block: the rings get storage as bytes
 * come (in steps of powers of two from RING_STEP_MIN), give it back when
 * they drain, and the budget follows every byte of it. */
static void
test_rings_idle(void **state)
{
    struct h_env *e = env_with(state, 0);
    struct ht_conn k;
    uint8_t b[2000];

    ht_passive(&k, e, 0, HT_NOWS);
    struct tcp_pcb *c = k.c;
    uint64_t mem0 = tcp_mem_used(e->s);
    assert_int_equal(c->rcv.cap, TCP_BUF_DEFAULT);
    assert_int_equal(c->snd.cap, TCP_BUF_DEFAULT);
    assert_null(c->rcv.buf);
    assert_null(c->snd.buf);
    rings_charged(e, c, mem0);
    /* the peer's bytes: one step of storage; read, none */
    ht_data(&k, 100);
    assert_int_equal(c->rcv.size, RING_STEP_MIN);
    rings_charged(e, c, mem0);
    ht_recv_expect(e, c, 0, 100);
    assert_null(c->rcv.buf);
    rings_charged(e, c, mem0);
    /* ours: kept until acknowledged, then none */
    assert_int_equal(tcp_send(e->s, c, "echo", 4), 4);
    assert_int_equal(c->snd.size, RING_STEP_MIN);
    rings_charged(e, c, mem0);
    ht_ack(&k, k.iss + 1 + 2);
    assert_int_equal(c->snd.size, RING_STEP_MIN); /* two bytes still out */
    ht_ack(&k, k.iss + 1 + 4);
    assert_null(c->snd.buf);
    rings_charged(e, c, mem0);
    /* bytes piling up grow it by doubling, the contents kept */
    for (int i = 0; i < 10; i++)
        ht_data(&k, 1000);
    assert_int_equal(c->rcv.len, 10000);
    assert_int_equal(c->rcv.size, 16384);
    rings_charged(e, c, mem0);
    recv_n(e, c, 100, 6000);
    assert_int_equal(c->rcv.size, 16384); /* not empty: kept */
    recv_n(e, c, 6100, 4000);
    assert_null(c->rcv.buf);
    rings_charged(e, c, mem0);
    /* out of order: storage reaches the run's end and stays while the run
     * waits, though nothing is held in order */
    ht_peer_bytes(b, 10100 + 3000, 1000);
    ht_send_at(&k, TCP_ACK, k.pseq + 3000, k.pack, b, 1000);
    assert_int_equal(c->n_ooo, 1);
    assert_int_equal(c->rcv.size, 4096);
    assert_int_equal(tcp_recv(e->s, c, b, sizeof(b)), -EAGAIN);
    assert_int_equal(c->rcv.size, 4096);
    rings_charged(e, c, mem0);
    for (int i = 0; i < 3; i++)
        ht_data(&k, 1000);
    recv_n(e, c, 10100, 4000);
    assert_null(c->rcv.buf);
    rings_charged(e, c, mem0);
}

/* The storage never passes the bound: a full receive ring of 4096, a send
 * ring cut to 4096 takes 4096 of 10,000 bytes; shrinking the send buffer
 * below its storage gives storage back, charged exactly. */
static void
test_rings_bound(void **state)
{
    struct h_env *e = env_with(state, 0);
    struct ht_conn k;
    static uint8_t big[10000];

    ht_passive(&k, e, 4096, HT_NOWS);
    struct tcp_pcb *c = k.c;
    uint64_t mem0 = tcp_mem_used(e->s);
    for (int i = 0; i < 3; i++)
        ht_data(&k, 1400);
    assert_int_equal(c->rcv.len, 4096); /* the window: 4096 */
    assert_int_equal(c->rcv.size, 4096);
    rings_charged(e, c, mem0);
    k.pwnd = 0; /* nothing leaves: all stays in the send ring */
    ht_send(&k, TCP_ACK, NULL, 0);
    assert_int_equal(tcp_send(e->s, c, big, 9000), 9000);
    assert_int_equal(c->snd.size, 16384);
    rings_charged(e, c, mem0);
    assert_int_equal(tcp_set_bufs(e->s, c, 4096, 0), -ENOBUFS); /* holds more */
    assert_int_equal(tcp_set_bufs(e->s, c, 12000, 0), 0);
    assert_int_equal(c->snd.cap, 12000);
    assert_int_equal(c->snd.size, 12000);
    assert_int_equal(c->snd.len, 9000);
    rings_charged(e, c, mem0);
    assert_int_equal(tcp_send_space(e->s, c), 3000);
}

/* A budget short of a step: the ring grows by what is needed; with no
 * budget at all, the application's write and the peer's segment are
 * refused (counted), and the segment comes again once there is room. */
static void
test_rings_budget(void **state)
{
    struct h_env *e = env_with(state, 0);
    struct ht_conn k;

    ht_passive(&k, e, 0, HT_NOWS);
    struct tcp_pcb *c = k.c;
    uint64_t mem0 = tcp_mem_used(e->s);
    e->s->cfg.tcp_mem_max = mem0 + 100;
    assert_int_equal(tcp_send_space(e->s, c), 100);
    k.pwnd = 0;
    ht_send(&k, TCP_ACK, NULL, 0);
    assert_int_equal(tcp_send(e->s, c, "0123456789", 10), 10);
    assert_int_equal(c->snd.size, 10); /* not a step of 2048 */
    rings_charged(e, c, mem0);
    assert_int_equal(tcp_send_space(e->s, c), 90);
    assert_int_equal(h_stat(e, "tcp.mem_refused"), 0);
    e->s->cfg.tcp_mem_max = tcp_mem_used(e->s);
    assert_int_equal(tcp_send_space(e->s, c), 0);
    assert_int_equal(tcp_send(e->s, c, "x", 1), -ENOBUFS);
    assert_int_equal(h_stat(e, "tcp.mem_refused"), 1);
    /* the peer's bytes find no storage: not taken, RCV.NXT stays */
    tcp_seq nxt = c->rcv_nxt;
    ht_data(&k, 100);
    assert_int_equal(c->rcv_nxt, nxt);
    assert_int_equal(h_stat(e, "tcp.mem_refused"), 2);
    rings_charged(e, c, mem0);
    e->s->cfg.tcp_mem_max = (uint64_t)1 << 30;
    k.pseq = nxt;
    k.pdata = 0;
    ht_data(&k, 100);
    ht_recv_expect(e, c, 0, 100);
    rings_charged(e, c, mem0);
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_syn_flood_cookies), T(test_cookie_checks), T(test_ooo_overlaps),
        T(test_ooo_bounds),        T(test_mem_budget),    T(test_rings_idle),
        T(test_rings_bound),       T(test_rings_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
