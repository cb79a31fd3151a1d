/*
 * fault.c - a middleware that damages the frames sent through it.
 *
 * Owns: the device it wraps (closed with it), its own seeded RNG, one
 * frame held back for reordering, a scratch copy for corruption, and four
 * counters (fault_counts). Each frame given to send() draws four numbers,
 * one per fault, each compared with its rate in parts per million:
 *   drop     the frame is lost (send() still says 0, as a wire would)
 *   corrupt  one random bit is flipped in one random byte past the
 *            Ethernet header (IP header, TCP/UDP header or payload, or the
 *            padding of a short frame, where it does no harm)
 *   dup      the frame is sent twice
 *   reorder  the frame is held back and sent right after the next one
 *            (if a frame is already held, this one goes at once)
 * A held frame leaves after the next frame has passed through, whatever
 * happened to that one; a frame still held at close() is lost.
 *
 * recv() and fd() pass through untouched: to damage both directions of a
 * link, put a fault device on each end. The same seed and the same frames
 * in the same order give the same faults, byte for byte; nothing here
 * reads a clock or a global.
 *
 * Leaves out: delay and jitter, bursts of loss (Gilbert-Elliott), rate
 * limiting, faults on receive, frames longer than FAULT_FRAME_MAX (passed
 * through unharmed).
 */
#include "dev/dev.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

#define FAULT_FRAME_MAX 16384
#define FAULT_ETH_HDR 14
#define FAULT_PPM 1000000u

struct fault {
    struct dev dev; /* first: a struct dev * is a struct fault * */
    struct dev *inner;
    struct fault_config cfg;
    struct rng rng;
    uint64_t count[FAULT_NKINDS];
    size_t held_len; /* 0: nothing held */
    uint8_t held[FAULT_FRAME_MAX];
    uint8_t scratch[FAULT_FRAME_MAX];
};

static const struct dev_ops fault_ops;

static struct fault *
fault_of(struct dev *d)
{
    return (struct fault *)d;
}

static int
fault_hit(struct fault *f, uint32_t ppm)
{
    return rng_range(&f->rng, 0, FAULT_PPM - 1) < ppm;
}

/* Send the held frame, if any, after the one that just passed. */
static void
fault_release(struct fault *f, uint64_t now_us)
{
    if (!f->held_len)
        return;
    dev_send(f->inner, f->held, f->held_len, now_us);
    f->held_len = 0;
}

static int
fault_send(struct dev *d, const uint8_t *frame, size_t len, uint64_t now_us)
{
    struct fault *f = fault_of(d);
    int drop = fault_hit(f, f->cfg.drop_ppm);
    int corrupt = fault_hit(f, f->cfg.corrupt_ppm);
    int dup = fault_hit(f, f->cfg.dup_ppm);
    int reorder = fault_hit(f, f->cfg.reorder_ppm);
    int rc = 0;

    if (len > FAULT_FRAME_MAX)
        return dev_send(f->inner, frame, len, now_us);
    if (drop) {
        f->count[FAULT_DROP]++;
        fault_release(f, now_us);
        return 0;
    }
    if (corrupt && len > FAULT_ETH_HDR) {
        uint32_t at = rng_range(&f->rng, FAULT_ETH_HDR, (uint32_t)len - 1);
        memcpy(f->scratch, frame, len);
        f->scratch[at] ^= (uint8_t)(1u << rng_range(&f->rng, 0, 7));
        frame = f->scratch;
        f->count[FAULT_CORRUPT]++;
    }
    if (reorder && !dup && !f->held_len) {
        memcpy(f->held, frame, len);
        f->held_len = len;
        f->count[FAULT_REORDER]++;
        return 0;
    }
    rc = dev_send(f->inner, frame, len, now_us);
    if (dup) {
        dev_send(f->inner, frame, len, now_us);
        f->count[FAULT_DUP]++;
    }
    fault_release(f, now_us);
    return rc;
}

static ssize_t
fault_recv(struct dev *d, uint8_t *buf, size_t cap, uint64_t *ts_us)
{
    return dev_recv(fault_of(d)->inner, buf, cap, ts_us);
}

static int
fault_fd(struct dev *d)
{
    return dev_fd(fault_of(d)->inner);
}

static void
fault_close(struct dev *d)
{
    struct fault *f = fault_of(d);

    dev_close(f->inner);
    free(f);
}

static const struct dev_ops fault_ops = {
    .send = fault_send,
    .recv = fault_recv,
    .fd = fault_fd,
    .close = fault_close,
};

struct dev *
fault_open(struct dev *inner, const struct fault_config *fc)
{
    if (!inner || !fc || fc->drop_ppm > FAULT_PPM || fc->dup_ppm > FAULT_PPM ||
        fc->reorder_ppm > FAULT_PPM || fc->corrupt_ppm > FAULT_PPM)
        return NULL;
    struct fault *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->dev.ops = &fault_ops;
    memcpy(f->dev.name, inner->name, sizeof(f->dev.name));
    f->inner = inner;
    f->cfg = *fc;
    rng_seed(&f->rng, fc->seed);
    return &f->dev;
}

void
fault_counts(struct dev *d, uint64_t out[4])
{
    if (!d || d->ops != &fault_ops) {
        memset(out, 0, sizeof(uint64_t) * FAULT_NKINDS);
        return;
    }
    memcpy(out, fault_of(d)->count, sizeof(uint64_t) * FAULT_NKINDS);
}
