/*
 * capture.c - a middleware that records every frame to a pcapng file.
 *
 * Owns: the file, the device it wraps, and the frames held back until
 * their comment is known. send(), recv(), fd(), poll_at() and poll() are
 * forwarded to the inner device; each frame received (length > 0) and
 * each frame the inner device accepted for sending is written as one
 * Enhanced Packet Block (pcapng.c, draft-ietf-opsawg-pcapng §4.3) with
 * its direction and, as opt_comment, the engine's note: why a frame left
 * ("SYN-ACK: passive open (RFC 9293 3.5)") or why a received one was
 * dropped ("dropped: tcp.rx_bad_cksum"). `tshark -r F -T fields -e
 * frame.comment` prints them. A frame the inner device refused (-EAGAIN,
 * -ENOBUFS, ...) never left, so it is not recorded; the engine counts it
 * as a transmit error.
 *
 * A received frame's fate is known only after the engine has processed
 * it, and the engine may send replies meanwhile: the received frame is
 * held, the frames sent in between are encoded behind it in memory, and
 * all are written in order when the engine's DEV_NOTE_RX note comes (or
 * at the next recv(), flush or close, with no comment, for a driver that
 * sends no notes).
 *
 * Record time is now_us + epoch_us: tests with a virtual clock pass 0 and
 * get the same file for the same input, byte for byte. A received frame
 * takes the time recv() reports (the replay device's own timestamp, or
 * the caller's clock). After capture_use_realtime() (ustackd) the time is
 * CLOCK_REALTIME in nanoseconds, read when the frame is received or sent.
 *
 * Leaves out: snaplen below 65535 (longer frames are cut), write errors
 * (a stdio stream; a full disk shows up as a short file).
 */
#include "dev/dev.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dev/pcapng.h"

#define CAPTURE_SNAPLEN 65535
#define CAPTURE_NOTE_MAX 256

struct capture {
    struct dev dev; /* first: a struct dev * is a struct capture * */
    struct dev *inner;
    FILE *f;
    int64_t epoch_us;
    int realtime;
    char note[CAPTURE_NOTE_MAX]; /* for the next frame sent; "" if none */
    uint8_t *rx;                 /* the held received frame */
    size_t rx_len, rx_orig_len;
    uint64_t rx_ns;
    int rx_held;
    uint8_t *pend; /* EPBs of frames sent while rx is held */
    size_t pend_len, pend_cap;
    uint8_t *blk; /* one encoded block */
    size_t blk_cap;
};

static const struct dev_ops capture_ops;

static struct capture *
capture_of(struct dev *d)
{
    return (struct capture *)d;
}

static uint64_t
capture_time_ns(const struct capture *c, uint64_t now_us)
{
    if (c->realtime) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    }
    int64_t t_us = (int64_t)now_us + c->epoch_us;
    return t_us < 0 ? 0 : (uint64_t)t_us * 1000u;
}

/* Encode one EPB into c->blk; its length, or -1 when memory is short. */
static ssize_t
capture_encode(struct capture *c, uint64_t ts_ns, const uint8_t *frame, size_t caplen,
               size_t len, enum pcapng_dir dir, const char *comment)
{
    size_t need = pcapng_epb_size(caplen, comment);

    if (need > c->blk_cap) {
        uint8_t *b = realloc(c->blk, need);
        if (!b)
            return -1;
        c->blk = b;
        c->blk_cap = need;
    }
    return pcapng_epb(c->blk, c->blk_cap, ts_ns, frame, caplen, len, dir, comment);
}

static void
capture_write_rx(struct capture *c, const char *comment)
{
    if (!c->rx_held)
        return;
    ssize_t n = capture_encode(c, c->rx_ns, c->rx, c->rx_len, c->rx_orig_len,
                               PCAPNG_DIR_IN, comment);
    if (n > 0)
        fwrite(c->blk, 1, (size_t)n, c->f);
    if (c->pend_len)
        fwrite(c->pend, 1, c->pend_len, c->f);
    c->pend_len = 0;
    c->rx_held = 0;
}

/* Queue an encoded block behind the held received frame. */
static void
capture_pend(struct capture *c, size_t n)
{
    if (c->pend_cap - c->pend_len < n) {
        size_t cap = c->pend_cap ? c->pend_cap : 4096;
        while (cap - c->pend_len < n)
            cap *= 2;
        uint8_t *p = realloc(c->pend, cap);
        if (!p) {
            /* no room to hold it back: the order is kept by writing all */
            capture_write_rx(c, NULL);
            fwrite(c->blk, 1, n, c->f);
            return;
        }
        c->pend = p;
        c->pend_cap = cap;
    }
    memcpy(c->pend + c->pend_len, c->blk, n);
    c->pend_len += n;
}

static int
capture_send(struct dev *d, const uint8_t *frame, size_t len, uint64_t now_us)
{
    struct capture *c = capture_of(d);
    int rc = dev_send(c->inner, frame, len, now_us);

    if (rc >= 0) {
        size_t caplen = len < CAPTURE_SNAPLEN ? len : CAPTURE_SNAPLEN;
        ssize_t n = capture_encode(c, capture_time_ns(c, now_us), frame, caplen, len,
                                   PCAPNG_DIR_OUT, c->note);
        if (n > 0 && c->rx_held)
            capture_pend(c, (size_t)n);
        else if (n > 0)
            fwrite(c->blk, 1, (size_t)n, c->f);
    }
    c->note[0] = '\0';
    return rc;
}

static ssize_t
capture_recv(struct dev *d, uint8_t *buf, size_t cap, uint64_t *ts_us)
{
    struct capture *c = capture_of(d);

    capture_write_rx(c, NULL); /* a driver that gave no note for it */
    ssize_t n = dev_recv(c->inner, buf, cap, ts_us);
    if (n > 0) {
        c->rx_orig_len = (size_t)n;
        c->rx_len = (size_t)n < CAPTURE_SNAPLEN ? (size_t)n : CAPTURE_SNAPLEN;
        memcpy(c->rx, buf, c->rx_len);
        c->rx_ns = capture_time_ns(c, *ts_us);
        c->rx_held = 1;
    }
    return n;
}

static int
capture_wants_notes(struct dev *d)
{
    (void)d;
    return 1;
}

static void
capture_note(struct dev *d, int dir, const char *text)
{
    struct capture *c = capture_of(d);

    if (dir == DEV_NOTE_RX) {
        capture_write_rx(c, text);
    } else if (text) {
        snprintf(c->note, sizeof(c->note), "%s", text);
    }
    dev_note(c->inner, dir, text);
}

static int
capture_fd(struct dev *d)
{
    return dev_fd(capture_of(d)->inner);
}

static uint64_t
capture_poll_at(struct dev *d)
{
    return dev_poll_at(capture_of(d)->inner);
}

static void
capture_poll(struct dev *d, uint64_t now_us)
{
    dev_poll(capture_of(d)->inner, now_us);
}

static void
capture_close(struct dev *d)
{
    struct capture *c = capture_of(d);

    capture_write_rx(c, NULL);
    fclose(c->f);
    dev_close(c->inner);
    free(c->rx);
    free(c->pend);
    free(c->blk);
    free(c);
}

static const struct dev_ops capture_ops = {
    .send = capture_send,
    .recv = capture_recv,
    .fd = capture_fd,
    .close = capture_close,
    .poll_at = capture_poll_at,
    .poll = capture_poll,
    .wants_notes = capture_wants_notes,
    .note = capture_note,
};

/* The file's first blocks: SHB and the one IDB (§4.1, §4.2). */
static int
capture_header(FILE *f, const char *ifname)
{
    uint8_t b[256];
    ssize_t n = pcapng_shb(b, sizeof(b), "ustack");

    if (n < 0 || fwrite(b, 1, (size_t)n, f) != (size_t)n)
        return -1;
    n = pcapng_idb(b, sizeof(b), CAPTURE_SNAPLEN, ifname);
    if (n < 0 || fwrite(b, 1, (size_t)n, f) != (size_t)n)
        return -1;
    return fflush(f) == 0 ? 0 : -1;
}

/* On failure inner is left open: the caller still owns it. */
struct dev *
capture_open(struct dev *inner, const char *path, int64_t epoch_us, char *err,
             size_t errlen)
{
    if (!inner || !path || !*path) {
        snprintf(err, errlen, "capture needs a device and a file name");
        return NULL;
    }
    struct capture *c = calloc(1, sizeof(*c));
    uint8_t *rx = malloc(CAPTURE_SNAPLEN);

    if (!c || !rx) {
        snprintf(err, errlen, "out of memory");
        free(c);
        free(rx);
        return NULL;
    }
    FILE *f = fopen(path, "wb");
    if (!f || capture_header(f, inner->name[0] ? inner->name : NULL) < 0) {
        snprintf(err, errlen, "cannot write pcapng: %s: %s", path, strerror(errno));
        if (f)
            fclose(f);
        free(c);
        free(rx);
        return NULL;
    }
    c->dev.ops = &capture_ops;
    memcpy(c->dev.name, inner->name, sizeof(c->dev.name));
    c->inner = inner;
    c->f = f;
    c->rx = rx;
    c->epoch_us = epoch_us;
    return &c->dev;
}

void
capture_use_realtime(struct dev *d)
{
    if (d && d->ops == &capture_ops)
        capture_of(d)->realtime = 1;
}

void
capture_flush(struct dev *d)
{
    if (d && d->ops == &capture_ops) {
        struct capture *c = capture_of(d);

        capture_write_rx(c, NULL);
        fflush(c->f);
    }
}
