/*
 * tcp_scenario.c - TCP captures with the kernel as the peer, recorded and
 * replayed exactly.
 *
 * Owns: the replay tier's TCP tool (build/san/tools/tcp_scenario) and the
 * scripted applications ("scenarios") it runs on the engine. ARP and ICMP
 * need no application, so tests/replay/replay.c replays them; TCP does:
 * what the engine sends depends on when the application reads, writes and
 * closes. Through ustackd that depends on scheduling, so a capture made
 * there cannot be replayed byte for byte. Here the application acts only
 * at points that replay reproduces:
 *
 *   after every stack_input(frame, t) and every stack_poll(deadline),
 *   scen_step(t) looks at the engine (tcp_accept, tcp_recv, states, what
 *   arrived) and may call tcp_send / tcp_recv / tcp_shutdown / tcp_close.
 *
 * The engine's clock takes only three kinds of values, all of which replay
 * knows: the start (the time of the gratuitous ARP, the first record), the
 * time a frame was read (its record's timestamp), and a deadline
 * (stack_poll_at, or the application's own wake_us; deadlines due before
 * a frame run at their own times, before it). So the same frames at the
 * same times reach the same decisions, and the engine sends the same
 * frames.
 *
 *   tcp_scenario --live TAP --pcap OUT --scenario NAME --addr A.B.C.D/LEN
 *                [--gw G] [--mac MAC] --seed N [--timeout S] [--log LEVEL]
 *     runs the engine on the TAP (engine -> capture [-> loss] -> TAP),
 *     prints "tcp_scenario: ready" once listening, and exits when the
 *     scenario is done: 0, or 1 if it failed or timed out. The clock is
 *     CLOCK_MONOTONIC moved to the Unix epoch by an offset read once, and
 *     the capture stores exactly the times the engine was given (so the
 *     pcap's timestamps are wall-clock and replay feeds the same ISN clock).
 *     A scenario may lose data segments on purpose: the loss sits
 *     between the capture and the TAP, so the capture holds the segment
 *     (the kernel never saw it) and its retransmission.
 *   tcp_scenario --replay IN --scenario NAME --addr ... --seed N
 *                [--trace FILE]
 *     feeds IN's frames that are not from our MAC to a fresh engine at
 *     their times, runs the same scenario, and compares what the engine
 *     sends with IN's frames from our MAC, byte for byte. Exit 0 when they
 *     match and the scenario finished, 1 otherwise (the first differing
 *     output frame, its capture record and byte offset are printed), 2 on
 *     a usage error or a capture that cannot be read. With --pcap OUT
 *     the replayed run is also written to OUT as pcapng, every frame with
 *     the engine's note (why it left, why it was dropped), at the times
 *     of IN: the same file for the same input.
 *
 * Scenarios (ustack at 10.0.0.2, the kernel at 10.0.0.1; the kernel's side
 * is scripts/tcp-peer.py, run by scripts/record-pcaps.sh):
 *   tcp-handshake         listen on 7; the peer connects and closes; close on EOF
 *   tcp-transfer          echo everything back; close on EOF
 *   tcp-close-peer-first  read to EOF, send a reply, close (CLOSE_WAIT -> LAST_ACK)
 *   tcp-close-us-first    accept, send 10 KiB, close first (-> TIME_WAIT)
 *   tcp-zero-window       16 KiB receive buffer, unread until two zero-window
 *                         probes have arrived; then read all; close on EOF
 *   tcp-retransmit        read a request line, send 20 KiB; the third data
 *                         segment is lost once (live); close on EOF
 *   tcp-sack-recovery     the same with the third and the sixth lost: both
 *                         repaired in one SACK recovery (RFC 6675, RACK)
 *   tcp-tail-loss         the same with a reply of 10 full segments, the
 *                         last two lost: a tail loss probe (RFC 8985 §7)
 *                         finds them, not a retransmission timeout
 *   tcp-connect           0.5 s after the start connect to 10.0.0.1:8000
 *                         (nc -l), send a line, shut down writing, read to
 *                         EOF, close (-> TIME_WAIT)
 * A scenario is done when the application has closed and the connection is
 * in TIME_WAIT or gone; the live run stops recording there.
 *
 * Leaves out: timestamps of output frames are not compared (the engine
 * stamps them with its clock, which replay reproduces anyway); the
 * recording device and the comparison are the same as replay.c's (each
 * tool is one file, see the Makefile).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bytes.h"
#include "core/log.h"
#include "dev/dev.h"
#include "proto/tcp.h"
#include "stack.h"
#include "stack_var.h"
#include "wire/tcp_hdr.h"
#include "lib/engine_opts.h"
#include "lib/frames.h"

#define FRAME_MAX 65536
#define RX_BURST 64
#define ECHO_PORT 7
#define PEER_ADDR 0x0a000001u /* 10.0.0.1, the kernel's side of the TAP */
#define PEER_PORT 8000        /* where tcp-connect finds the kernel's nc -l */
#define APP_BUF (64 * 1024)
#define LIVE_TIMEOUT_S 30

/* ---- frames: a list, the recording device, a view of a TCP segment ---- */

/* An Ethernet frame holding an unfragmented IPv4 TCP segment, host order.
 * Only what the scenarios and the loss device look at; the engine does
 * the real validation. */
struct seg_view {
    uint32_t src, dst;
    uint16_t sport, dport;
    tcp_seq seq, ack;
    uint8_t flags;
    uint16_t wnd;
    uint32_t len; /* payload bytes */
};

static int
seg_view_parse(const uint8_t *f, size_t n, struct seg_view *v)
{
    if (n < 14 + 20 || be16_get(f + 12) != 0x0800)
        return -1;
    const uint8_t *ip = f + 14;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4, total = be16_get(ip + 2);

    if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl || 14 + total > n || ip[9] != 6 ||
        (be16_get(ip + 6) & 0x3fff) != 0)
        return -1;
    const uint8_t *t = ip + ihl;
    size_t tlen = total - ihl, doff;

    if (tlen < 20 || (doff = (size_t)(t[12] >> 4) * 4) < 20 || doff > tlen)
        return -1;
    *v = (struct seg_view){
        .src = be32_get(ip + 12),
        .dst = be32_get(ip + 16),
        .sport = be16_get(t),
        .dport = be16_get(t + 2),
        .seq = be32_get(t + 4),
        .ack = be32_get(t + 8),
        .flags = t[13],
        .wnd = be16_get(t + 14),
        .len = (uint32_t)(tlen - doff),
    };
    return 0;
}

/* ---- the loss device: live only, between the capture and the TAP ---- */

/* Loses the data segments whose numbers (1 for the first TCP segment with
 * data that passes through it) are set in a mask, once each, and says they
 * were sent (a wire loses frames silently). */
struct loss_dev {
    struct dev dev;
    struct dev *inner;
    uint32_t mask, seen;
    uint32_t lost;
};

static int
loss_send(struct dev *d, const uint8_t *frame, size_t len, uint64_t now_us)
{
    struct loss_dev *l = (struct loss_dev *)d;
    struct seg_view v;

    if (seg_view_parse(frame, len, &v) == 0 && v.len > 0 && ++l->seen <= 32 &&
        (l->mask >> (l->seen - 1) & 1)) {
        l->lost++;
        return 0;
    }
    return dev_send(l->inner, frame, len, now_us);
}

static ssize_t
loss_recv(struct dev *d, uint8_t *buf, size_t cap, uint64_t *ts_us)
{
    return dev_recv(((struct loss_dev *)d)->inner, buf, cap, ts_us);
}

static int
loss_fd(struct dev *d)
{
    return dev_fd(((struct loss_dev *)d)->inner);
}

static void
loss_close(struct dev *d)
{
    struct loss_dev *l = (struct loss_dev *)d;

    dev_close(l->inner);
    free(l);
}

static const struct dev_ops loss_ops = {
    .send = loss_send,
    .recv = loss_recv,
    .fd = loss_fd,
    .close = loss_close,
};

/* On failure inner is left open. */
static struct loss_dev *
loss_open(struct dev *inner, uint32_t mask)
{
    struct loss_dev *l = calloc(1, sizeof(*l));

    if (!l)
        return NULL;
    l->dev.ops = &loss_ops;
    memcpy(l->dev.name, inner->name, sizeof(l->dev.name));
    l->inner = inner;
    l->mask = mask;
    return l;
}

/* ---- scenarios ---- */

struct scen;

#define LOSE(n) (1u << ((n) - 1))

struct scen_def {
    const char *name;
    uint32_t rcvbuf;   /* 0: the default */
    uint32_t lose;     /* live: lose these data segments once (LOSE(n): the
                          nth; 0: none) */
    uint32_t reply_len; /* bytes step_retransmit sends back (0: 20 KiB) */
    void (*start)(struct scen *sc);
    void (*step)(struct scen *sc);
};

struct scen {
    const struct scen_def *def;
    struct stack *s;
    uint64_t now_us;   /* of the current step */
    uint64_t wake_us;  /* the application's own timer (0: none): a
                          step at this time, as a deadline of the
                          engine's would be */
    struct tcp_pcb *l; /* the listener */
    struct tcp_pcb *c; /* the connection, while the application holds it */
    uint32_t raddr;    /* its 4-tuple, to follow it after tcp_close */
    uint16_t lport, rport;
    int accepted, closed, eof, done;
    char why[160];        /* set when the scenario failed */
    struct dev *cap;      /* replay with --pcap: the capture, fed each frame */
    struct rec_dev *rec;  /* and the recording device inside it */
    uint64_t rx_bytes;    /* read by the application */
    uint64_t tx_bytes;    /* queued by the application */
    uint8_t out[APP_BUF]; /* to send: out[out_off .. out_len) */
    size_t out_off, out_len;
    char line[256]; /* the first line received (tcp-close-peer-first,
                       tcp-retransmit) */
    size_t line_len;
    int replied;
    uint32_t probes; /* zero-window probes seen (tcp-zero-window) */
    int reading;     /* tcp-zero-window: the application reads now */
};

static void
scen_fail(struct scen *sc, const char *why)
{
    if (!sc->why[0])
        snprintf(sc->why, sizeof(sc->why), "%s", why);
    sc->done = 1;
}

/* The connection block, also after the application let go of it; NULL
 * once the engine has freed it. */
static struct tcp_pcb *
scen_conn(const struct scen *sc)
{
    if (sc->c)
        return sc->c;
    if (!sc->accepted)
        return NULL;
    for (struct tcp_pcb *c = sc->s->tcp.pcbs; c; c = c->next)
        if (c->state != TCP_LISTEN && c->lport == sc->lport && c->rport == sc->rport &&
            c->raddr == sc->raddr)
            return c;
    return NULL;
}

static void
scen_listen(struct scen *sc)
{
    int rc;

    sc->l = tcp_open(sc->s, sc);
    if (!sc->l) {
        scen_fail(sc, "tcp_open: out of memory");
        return;
    }
    if (sc->def->rcvbuf && tcp_set_bufs(sc->s, sc->l, 0, sc->def->rcvbuf) < 0)
        scen_fail(sc, "tcp_set_bufs refused the receive buffer");
    if ((rc = tcp_bind(sc->s, sc->l, 0, ECHO_PORT)) < 0 ||
        (rc = tcp_listen(sc->s, sc->l, 4)) < 0) {
        char b[64];
        snprintf(b, sizeof(b), "listen on port %d: %s", ECHO_PORT, strerror(-rc));
        scen_fail(sc, b);
    }
}

/* Take the connection off the listener when one is waiting. 1 when the
 * application holds one. */
static int
scen_accept(struct scen *sc)
{
    if (sc->c)
        return 1;
    if (sc->accepted || !sc->l)
        return 0;
    sc->c = tcp_accept(sc->s, sc->l, sc);
    if (!sc->c)
        return 0;
    sc->accepted = 1;
    sc->lport = sc->c->lport;
    sc->rport = sc->c->rport;
    sc->raddr = sc->c->raddr;
    return 1;
}

/* Queue what waits in out[]; the rest stays for a later step. */
static void
scen_flush(struct scen *sc)
{
    while (sc->c && sc->out_off < sc->out_len) {
        ssize_t n =
            tcp_send(sc->s, sc->c, sc->out + sc->out_off, sc->out_len - sc->out_off);
        if (n == -EAGAIN)
            return;
        if (n < 0) {
            char b[64];
            snprintf(b, sizeof(b), "tcp_send: %s", strerror((int)-n));
            scen_fail(sc, b);
            return;
        }
        sc->out_off += (size_t)n;
        sc->tx_bytes += (uint64_t)n;
    }
    if (sc->out_off == sc->out_len)
        sc->out_off = sc->out_len = 0;
}

/* Queue len bytes of b (at most what out[] has room for). */
static void
scen_write(struct scen *sc, const void *b, size_t len)
{
    if (sc->out_off)
        memmove(sc->out, sc->out + sc->out_off, sc->out_len - sc->out_off);
    sc->out_len -= sc->out_off;
    sc->out_off = 0;
    if (len > sizeof(sc->out) - sc->out_len)
        len = sizeof(sc->out) - sc->out_len;
    memcpy(sc->out + sc->out_len, b, len);
    sc->out_len += len;
    scen_flush(sc);
}

/* The text ustack sends: numbered 64-byte lines, easy to read in
 * Wireshark's "Follow TCP Stream"; written with one call, as one write()
 * of the whole reply would be. */
static void
scen_write_text(struct scen *sc, size_t len)
{
    static uint8_t text[APP_BUF];
    char line[128];

    if (len > sizeof(text))
        len = sizeof(text);
    for (size_t i = 0; i < len; i += 64) {
        snprintf(line, sizeof(line),
                 "%05zu ustack to the Linux kernel, line by line, "
                 "over TCP/IP ..........",
                 i / 64);
        line[63] = '\n';
        memcpy(text + i, line, len - i < 64 ? len - i : 64);
    }
    scen_write(sc, text, len);
}

/* Read what is there (all of it, or until `room` bytes) into sink, or
 * discard it when sink is NULL. Sets eof; fails the scenario on an error. */
static size_t
scen_read(struct scen *sc, uint8_t *sink, size_t room)
{
    static uint8_t scratch[APP_BUF];
    size_t got = 0;

    while (sc->c && !sc->eof) {
        uint8_t *to = sink ? sink + got : scratch;
        size_t cap = sink ? room - got : sizeof(scratch);
        if (cap == 0)
            break;
        ssize_t n = tcp_recv(sc->s, sc->c, to, cap);
        if (n == -EAGAIN)
            break;
        if (n < 0) {
            char b[64];
            snprintf(b, sizeof(b), "tcp_recv: %s", strerror((int)-n));
            scen_fail(sc, b);
            break;
        }
        if (n == 0) {
            sc->eof = 1;
            break;
        }
        got += (size_t)n;
        sc->rx_bytes += (uint64_t)n;
    }
    return got;
}

/* Keep the first line (up to sizeof(line) - 1 bytes) of what is read. */
static void
scen_read_line(struct scen *sc)
{
    uint8_t b[APP_BUF];
    size_t n;

    while ((n = scen_read(sc, b, sizeof(b))) > 0) {
        for (size_t i = 0; i < n && sc->line_len < sizeof(sc->line) - 1; i++) {
            if (memchr(sc->line, '\n', sc->line_len))
                break;
            sc->line[sc->line_len++] = (char)b[i];
        }
    }
}

static int
scen_have_line(const struct scen *sc)
{
    return memchr(sc->line, '\n', sc->line_len) != NULL;
}

static void
scen_close(struct scen *sc)
{
    if (!sc->c)
        return;
    tcp_close(sc->s, sc->c);
    sc->c = NULL;
    sc->closed = 1;
}

/* Done once the application has closed and the connection is in
 * TIME_WAIT or gone; failed if it ended with an error before that. */
static void
scen_check_end(struct scen *sc)
{
    if (sc->done)
        return;
    if (sc->c && sc->c->state == TCP_CLOSED && sc->c->so_error) {
        char b[64];
        snprintf(b, sizeof(b), "the connection ended: %s", strerror(sc->c->so_error));
        scen_fail(sc, b);
        return;
    }
    if (!sc->closed)
        return;
    struct tcp_pcb *c = scen_conn(sc);
    if (!c || c->state == TCP_CLOSED || c->state == TCP_TIME_WAIT)
        sc->done = 1;
}

/* tcp-handshake, tcp-transfer: echo what arrives; close on EOF. */
static void
step_echo(struct scen *sc)
{
    uint8_t b[APP_BUF];

    if (!scen_accept(sc))
        return;
    scen_flush(sc);
    for (;;) {
        size_t room = sizeof(sc->out) - (sc->out_len - sc->out_off);
        size_t n = scen_read(sc, b, room);
        if (n == 0)
            break;
        scen_write(sc, b, n);
    }
    if (sc->eof && sc->out_len == 0)
        scen_close(sc);
}

/* tcp-close-peer-first: the peer sends a line and shuts down its side;
 * read to EOF, reply, close: CLOSE_WAIT -> LAST_ACK -> CLOSED. */
static void
step_close_peer_first(struct scen *sc)
{
    if (!scen_accept(sc))
        return;
    scen_read_line(sc);
    if (sc->eof && !sc->replied) {
        char reply[320];
        int n = snprintf(reply, sizeof(reply), "ustack read %" PRIu64 " bytes: %.*s",
                         sc->rx_bytes, (int)sc->line_len, sc->line);
        if (n > 0 && reply[n - 1] != '\n' && n < (int)sizeof(reply) - 1)
            reply[n++] = '\n';
        scen_write(sc, reply, (size_t)n);
        sc->replied = 1;
    }
    scen_flush(sc);
    if (sc->replied && sc->out_len == 0)
        scen_close(sc);
}

/* tcp-close-us-first: send 10 KiB and close at once: FIN_WAIT_1 ->
 * FIN_WAIT_2 -> TIME_WAIT when the peer's FIN comes. */
static void
step_close_us_first(struct scen *sc)
{
    if (!scen_accept(sc))
        return;
    if (!sc->replied) {
        scen_write_text(sc, 10 * 1024);
        sc->replied = 1;
    }
    scen_flush(sc);
    if (sc->out_len == 0)
        scen_close(sc);
}

/* tcp-zero-window: do not read until the peer has probed the closed
 * window twice; then read everything, close on EOF. */
static void
step_zero_window(struct scen *sc)
{
    if (!scen_accept(sc))
        return;
    if (!sc->reading && sc->probes >= 2)
        sc->reading = 1;
    if (!sc->reading)
        return;
    scen_read(sc, NULL, 0);
    if (sc->eof)
        scen_close(sc);
}

/* tcp-retransmit: a request line in, 20 KiB out (the live run loses the
 * third data segment once, after the capture), close on EOF. */
static void
step_retransmit(struct scen *sc)
{
    if (!scen_accept(sc))
        return;
    if (!sc->replied)
        scen_read_line(sc);
    else
        scen_read(sc, NULL, 0);
    if (!sc->replied && scen_have_line(sc)) {
        scen_write_text(sc, sc->def->reply_len ? sc->def->reply_len : 20 * 1024);
        sc->replied = 1;
    }
    scen_flush(sc);
    if (sc->eof && sc->out_len == 0)
        scen_close(sc);
}

/* tcp-connect: an active open to the kernel's nc -l, half a second after
 * the start, when the kernel surely sends on the TAP (its queue discipline
 * drops what it sends until it has seen the carrier come up). */
#define CONNECT_DELAY_US 500000

static void
start_connect(struct scen *sc)
{
    sc->wake_us = sc->now_us + CONNECT_DELAY_US;
}

static void
scen_connect(struct scen *sc)
{
    int rc;

    sc->c = tcp_open(sc->s, sc);
    if (!sc->c) {
        scen_fail(sc, "tcp_open: out of memory");
        return;
    }
    if ((rc = tcp_connect(sc->s, sc->c, PEER_ADDR, PEER_PORT)) < 0) {
        char b[64];
        snprintf(b, sizeof(b), "tcp_connect: %s", strerror(-rc));
        scen_fail(sc, b);
        return;
    }
    sc->accepted = 1;
    sc->lport = sc->c->lport;
    sc->rport = sc->c->rport;
    sc->raddr = sc->c->raddr;
}

static void
step_connect(struct scen *sc)
{
    static const char hello[] = "hello from ustack\n";

    if (!sc->accepted && !sc->wake_us)
        scen_connect(sc);
    if (!sc->c)
        return;
    if (sc->c->state == TCP_CLOSED) {
        /* refused or timed out: scen_check_end says so; or the peer's FIN
         * came and TIME_WAIT went to its record: the EOF is still read */
        scen_read(sc, NULL, 0);
        if (sc->eof)
            scen_close(sc);
        return;
    }
    if (sc->c->state == TCP_SYN_SENT)
        return;
    if (!sc->replied) {
        scen_write(sc, hello, sizeof(hello) - 1);
        sc->replied = 1;
    }
    scen_flush(sc);
    if (sc->out_len == 0 && !sc->c->fin_queued)
        tcp_shutdown(sc->s, sc->c, 1);
    scen_read(sc, NULL, 0);
    if (sc->eof)
        scen_close(sc);
}

static const struct scen_def scenarios[] = {
    {"tcp-handshake", 0, 0, 0, scen_listen, step_echo},
    {"tcp-transfer", 0, 0, 0, scen_listen, step_echo},
    {"tcp-close-peer-first", 0, 0, 0, scen_listen, step_close_peer_first},
    {"tcp-close-us-first", 0, 0, 0, scen_listen, step_close_us_first},
    {"tcp-zero-window", 16 * 1024, 0, 0, scen_listen, step_zero_window},
    {"tcp-retransmit", 0, LOSE(3), 0, scen_listen, step_retransmit},
    {"tcp-sack-recovery", 0, LOSE(3) | LOSE(6), 0, scen_listen, step_retransmit},
    {"tcp-tail-loss", 0, LOSE(9) | LOSE(10), 10 * 1448, scen_listen, step_retransmit},
    {"tcp-connect", 0, 0, 0, start_connect, step_connect},
};

static const struct scen_def *
scen_find(const char *name)
{
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
        if (strcmp(scenarios[i].name, name) == 0)
            return &scenarios[i];
    return NULL;
}

/* A frame is about to be fed: count the peer's zero-window probes (an
 * empty segment one below RCV.NXT while the window we advertised is 0). */
static void
scen_on_frame(struct scen *sc, const uint8_t *f, size_t n)
{
    struct seg_view v;
    struct tcp_pcb *c = sc->c;

    if (!c || seg_view_parse(f, n, &v) < 0 || v.sport != c->rport ||
        v.dport != c->lport || v.src != c->raddr)
        return;
    if (v.len == 0 && !(v.flags & (TCP_SYN | TCP_FIN | TCP_RST)) &&
        v.seq == c->rcv_nxt - 1 && c->rcv_wnd == 0)
        sc->probes++;
}

static void
scen_step(struct scen *sc, uint64_t now_us)
{
    sc->now_us = now_us;
    if (sc->done)
        return;
    sc->def->step(sc);
    scen_check_end(sc);
}

/* ---- driving the engine: the same calls in both modes ---- */

/* The earlier of the engine's next deadline and the application's. */
static uint64_t
drive_next(const struct scen *sc)
{
    uint64_t at = stack_poll_at(sc->s);

    return sc->wake_us && sc->wake_us < at ? sc->wake_us : at;
}

/* Every timer due at or before now runs at its own deadline, and the
 * scenario steps after each. */
static void
drive_timers(struct scen *sc, uint64_t now_us)
{
    uint64_t at;

    while ((at = drive_next(sc)) <= now_us) {
        if (at == sc->wake_us)
            sc->wake_us = 0;
        stack_poll(sc->s, at);
        scen_step(sc, at);
        if (drive_next(sc) == at)
            break; /* the deadline did not move; both modes stop here alike */
    }
}

static void
drive_frame(struct scen *sc, const uint8_t *f, size_t n, uint64_t ts_us)
{
    drive_timers(sc, ts_us);
    sc->now_us = ts_us;
    if (sc->cap)
        rec_feed(sc->cap, sc->rec, f, n, ts_us);
    scen_on_frame(sc, f, n);
    stack_input(sc->s, f, n, ts_us);
    scen_step(sc, ts_us);
}

/* The start: the gratuitous ARP, then the application sets up. */
static void
drive_start(struct scen *sc, uint64_t t0_us)
{
    stack_poll(sc->s, t0_us);
    sc->now_us = t0_us;
    sc->def->start(sc);
    scen_step(sc, t0_us);
}

static void
scen_summary(const struct scen *sc, const char *mode)
{
    const struct stats *st = stack_stats(sc->s);

    printf("tcp_scenario %s %s: %s; app read %" PRIu64 " bytes, wrote %" PRIu64
           " bytes; tcp segments in %" PRId64 " out %" PRId64 ", retransmitted %" PRId64
           " (fast %" PRId64 ", rto %" PRId64 "), persist probes %" PRId64
           ", zero-window probes seen %" PRIu32 "\n",
           mode, sc->def->name,
           sc->why[0] ? sc->why
           : sc->done ? "done"
                      : "not finished",
           sc->rx_bytes, sc->tx_bytes, stats_get(st, "tcp.rx_segments"),
           stats_get(st, "tcp.tx_segments"), stats_get(st, "tcp.retransmitted_segs"),
           stats_get(st, "tcp.fast_retransmits"), stats_get(st, "tcp.rto_expired"),
           stats_get(st, "tcp.persist_probes"), sc->probes);
}

/* ---- live ---- */

static uint64_t
clock_us(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int
run_live(struct stack_config *cfg, const struct scen_def *def, const char *tap_name,
         const char *pcap, unsigned timeout_s)
{
    static uint8_t buf[FRAME_MAX];
    static struct scen sc;
    char err[256];
    struct loss_dev *loss = NULL;
    struct dev *tap = tap_open(tap_name, err, sizeof(err)), *inner, *dev;

    if (!tap) {
        fprintf(stderr, "tcp_scenario: %s\n", err);
        return 2;
    }
    inner = tap;
    if (def->lose) {
        if (!(loss = loss_open(tap, def->lose))) {
            fprintf(stderr, "tcp_scenario: out of memory\n");
            dev_close(tap);
            return 2;
        }
        inner = &loss->dev;
    }
    /* The capture stores the engine's own times (offset 0): the engine's
     * clock is CLOCK_MONOTONIC moved to the epoch once, so the pcap has
     * wall-clock times and replay gives the engine the same ones. */
    if (!(dev = capture_open(inner, pcap, 0, err, sizeof(err)))) {
        fprintf(stderr, "tcp_scenario: %s\n", err);
        dev_close(inner);
        return 2;
    }
    struct stack *s = stack_new(cfg, dev);
    if (!s) {
        fprintf(stderr, "tcp_scenario: the engine refused the configuration\n");
        dev_close(dev);
        return 2;
    }
    uint64_t offset = clock_us(CLOCK_REALTIME) - clock_us(CLOCK_MONOTONIC);
    uint64_t t0 = clock_us(CLOCK_MONOTONIC) + offset;
    uint64_t give_up = t0 + (uint64_t)timeout_s * 1000000u;
    int fd = dev_fd(dev), rc = 0;

    sc = (struct scen){.def = def, .s = s};
    drive_start(&sc, t0);
    printf("tcp_scenario: ready\n");
    fflush(stdout);
    while (!sc.done) {
        uint64_t now = clock_us(CLOCK_MONOTONIC) + offset, at = drive_next(&sc);
        if (now >= give_up) {
            scen_fail(&sc, "timed out");
            break;
        }
        uint64_t wait = give_up - now;
        if (at != STACK_NEVER)
            wait = at > now ? (at - now < wait ? at - now : wait) : 0;
        struct timespec ts = {.tv_sec = (time_t)(wait / 1000000u),
                              .tv_nsec = (long)(wait % 1000000u) * 1000};
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (ppoll(&pfd, 1, &ts, NULL) < 0 && errno != EINTR) {
            perror("tcp_scenario: ppoll");
            rc = 1;
            break;
        }
        drive_timers(&sc, clock_us(CLOCK_MONOTONIC) + offset);
        for (int i = 0; i < RX_BURST && !sc.done; i++) {
            uint64_t t = clock_us(CLOCK_MONOTONIC) + offset;
            ssize_t n = dev_recv(dev, buf, sizeof(buf), &t);
            if (n == -EAGAIN)
                break;
            if (n < 0) {
                fprintf(stderr, "tcp_scenario: reading %s: %s\n", tap_name,
                        strerror((int)-n));
                scen_fail(&sc, "the TAP failed");
                break;
            }
            if (n > 0)
                drive_frame(&sc, buf, (size_t)n, t);
        }
    }
    scen_summary(&sc, "live");
    if (loss)
        printf("tcp_scenario: lost data segments 0x%x on purpose (%u lost)\n", loss->mask,
               loss->lost);
    int64_t refused = stats_get(stack_stats(s), "eth.tx_dev_err");
    if (refused > 0) {
        /* a frame the TAP refused is missing from the capture, and replay
         * would send it: the capture cannot be replayed */
        fprintf(stderr, "tcp_scenario: the TAP refused %" PRId64 " frames\n", refused);
        rc = 1;
    }
    if (def->lose && (!loss || loss->lost != (uint32_t)__builtin_popcount(def->lose))) {
        fprintf(stderr, "tcp_scenario: a segment to lose was never sent\n");
        rc = 1;
    }
    if (sc.why[0] || !sc.done)
        rc = 1;
    stack_free(s);
    dev_close(dev);
    return rc;
}

/* ---- replay ---- */

/* With out_pcap, the engine's device is a capture around the recording
 * device, and every frame fed goes through it: the file shows the run
 * with its notes, at the recorded times (the same file for the same
 * input). */
static int
run_replay(struct stack_config *cfg, const struct scen_def *def, const char *pcap,
           const char *out_pcap)
{
    static uint8_t buf[FRAME_MAX];
    static struct scen sc;
    char err[256] = "";
    struct dev *in = replay_open(pcap, err, sizeof(err));

    if (!in) {
        fprintf(stderr, "tcp_scenario: %s\n", err);
        return 2;
    }
    struct rec_dev *out = rec_open();
    struct dev *top = out ? &out->dev : NULL;

    if (out && out_pcap &&
        !(top = capture_open(&out->dev, out_pcap, 0, err, sizeof(err)))) {
        fprintf(stderr, "tcp_scenario: %s\n", err);
        dev_close(&out->dev);
        dev_close(in);
        return 2;
    }
    struct stack *s = top ? stack_new(cfg, top) : NULL;

    if (!s) {
        fprintf(stderr, "tcp_scenario: cannot create the engine\n");
        if (top)
            dev_close(top);
        dev_close(in);
        return 2;
    }

    struct frame_list want = {0};
    size_t records = 0, fed = 0;
    uint64_t ts = 0;
    int rc = 0;

    sc = (struct scen){.def = def, .s = s, .cap = out_pcap ? top : NULL, .rec = out};
    for (;;) {
        uint64_t t = ts;
        ssize_t n = dev_recv(in, buf, sizeof(buf), &t);

        if (n == -ENODATA)
            break;
        if (n < 0) {
            fprintf(stderr, "tcp_scenario: %s: cannot read record %zu: %s\n", pcap,
                    records, strerror((int)-n));
            rc = 2;
            goto out;
        }
        if (records == 0)
            drive_start(&sc, t); /* the live run's start: its gratuitous ARP */
        else if (t < ts)
            t = ts;
        ts = t;
        if ((size_t)n >= 12 && memcmp(buf + 6, cfg->mac, 6) == 0) {
            if (frame_list_add(&want, buf, (size_t)n, records) < 0) {
                fprintf(stderr, "tcp_scenario: out of memory\n");
                rc = 2;
                goto out;
            }
        } else {
            drive_frame(&sc, buf, (size_t)n, ts);
            fed++;
        }
        records++;
    }
    if (records)
        drive_timers(&sc, ts);
    if (out->failed) {
        fprintf(stderr, "tcp_scenario: out of memory while recording\n");
        rc = 2;
        goto out;
    }
    size_t bad = frames_compare(&out->sent, &want);

    scen_summary(&sc, "replay");
    if (bad != SIZE_MAX) {
        frames_report_mismatch("tcp_scenario", pcap, &out->sent, &want, bad);
        rc = 1;
    } else if (!sc.done || sc.why[0]) {
        printf("tcp_scenario %s: the output matched but the scenario %s\n", pcap,
               sc.why[0] ? "failed" : "did not finish");
        rc = 1;
    } else {
        printf("tcp_scenario %s: match: %zu records, %zu fed, %zu frames sent as "
               "expected\n",
               pcap, records, fed, want.n);
    }
out:
    frame_list_free(&want);
    stack_free(s);
    dev_close(top);
    dev_close(in);
    return rc;
}

/* ---- command line ---- */

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: tcp_scenario (--live TAP --pcap OUT | --replay IN [--pcap OUT])\n"
            "                    --scenario NAME\n"
            "                    --addr A.B.C.D/LEN [--gw A.B.C.D] [--mac MAC] --seed N\n"
            "                    [--timeout SECONDS] [--log LEVEL] [--trace FILE]\n"
            "scenarios:");
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
        fprintf(f, " %s", scenarios[i].name);
    fprintf(f, "\n");
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"live", required_argument, NULL, 'L'},
        {"pcap", required_argument, NULL, 'p'},
        {"replay", required_argument, NULL, 'R'},
        {"scenario", required_argument, NULL, 'S'},
        {"timeout", required_argument, NULL, 't'},
        ENGINE_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct engine_opts eo;
    const char *tap = NULL, *pcap = NULL, *replay = NULL;
    const struct scen_def *def = NULL;
    int c, li = 0;
    uint64_t timeout_s = LIVE_TIMEOUT_S;

    engine_opts_init(&eo);
    while ((c = getopt_long(argc, argv, "", opts, &li)) != -1) {
        int r = engine_opt(&eo, c, optarg);
        if (r > 0)
            continue;
        if (r < 0)
            goto bad;
        switch (c) {
        case 'L': tap = optarg; break;
        case 'p': pcap = optarg; break;
        case 'R': replay = optarg; break;
        case 'S':
            if (!(def = scen_find(optarg)))
                goto bad;
            break;
        case 't':
            if (parse_u64(optarg, &timeout_s) < 0 || timeout_s == 0 || timeout_s > 3600)
                goto bad;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        continue;
    bad:
        fprintf(stderr, "tcp_scenario: bad value for --%s: '%s'\n", opts[li].name,
                optarg);
        usage(stderr);
        return 2;
    }
    if (optind != argc || !def || engine_opts_done(&eo) < 0 || !!tap == !!replay ||
        (tap && !pcap)) {
        usage(stderr);
        return 2;
    }
    if (tap)
        return run_live(&eo.cfg, def, tap, pcap, (unsigned)timeout_s);
    return run_replay(&eo.cfg, def, replay, pcap);
}
