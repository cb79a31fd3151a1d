/*
 * fault.c - a middleware that damages the frames going through it.
 *
 * Owns: the device it wraps (closed with it) and two fault lines
 * (fault_line.h): "out" for the frames the engine sends, "in" for the
 * frames recv() takes from the inner device. Each line decides loss,
 * duplication, reordering, corruption, delay and rate on its own, with
 * its own RNG drawn from the seed, and holds the frames until they are
 * due.
 *
 *   send(frame, now)  the frame enters "out"; whatever is due by now goes
 *                     to the inner device. Returns 0 whatever happens to
 *                     the frame (a wire does not tell the sender).
 *   recv(now)         returns the next frame of "in" due by now; while
 *                     none is, takes frames from the inner device into
 *                     "in" until it has none (-EAGAIN).
 *   poll_at()         the earlier of the lines' next due times (and the
 *                     inner device's own)
 *   poll(now)         "out"'s due frames go to the inner device; "in"'s
 *                     are left for the driver's next recv()
 * A direction whose configuration does nothing is not a line at all: its
 * frames pass straight through, uncopied (the cost of an idle middleware
 * is one indirect call and a test per frame). fault_set() changes the
 * settings while frames flow (ustackd's control socket, ustack-ctl): a
 * line is made the first time its direction has something to do, and a
 * direction made clean again passes frames through once the line has let
 * go of what it held.
 *
 * The same seed and the same frames at the same times give the same
 * faults, byte for byte; nothing here reads a clock or a global. Frames
 * still held at close() are lost.
 */
#include "dev/dev.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FAULT_IN, FAULT_OUT };

/* the out line's seed is the seed itself; in's is drawn apart from it */
#define FAULT_IN_SEED_MIX 0x9e3779b97f4a7c15ull

struct fault {
    struct dev dev; /* first: a struct dev * is a struct fault * */
    struct dev *inner;
    bool active[2]; /* false: frames pass straight through */
    bool ready[2];  /* line[i] has been made (fault_line_init) */
    struct fault_line_config cfg[2]; /* the settings in force */
    uint64_t seed[2];
    struct fault_line line[2];
    uint8_t frame[FAULT_FRAME_MAX]; /* a due frame on its way to inner */
};

static const struct dev_ops fault_ops;

static struct fault *
fault_of(struct dev *d)
{
    return (struct fault *)d;
}

/* Every frame of "out" due by now goes to the inner device; what the
 * inner device refuses is lost, as on a wire. */
static void
fault_drain_out(struct fault *f, uint64_t now_us)
{
    ssize_t n;

    while ((n = fault_line_output(&f->line[FAULT_OUT], now_us, f->frame,
                                  sizeof(f->frame))) != -EAGAIN)
        if (n > 0)
            dev_send(f->inner, f->frame, (size_t)n, now_us);
}

/* A clean direction whose line holds nothing passes frames through. */
static void
fault_settle(struct fault *f, int i)
{
    if (f->active[i] && fault_line_config_clean(&f->cfg[i]) &&
        !fault_line_holds(&f->line[i]))
        f->active[i] = false;
}

static int
fault_send(struct dev *d, const uint8_t *frame, size_t len, uint64_t now_us)
{
    struct fault *f = fault_of(d);

    fault_settle(f, FAULT_OUT);
    if (!f->active[FAULT_OUT]) {
        fault_line_passed(&f->line[FAULT_OUT]);
        return dev_send(f->inner, frame, len, now_us);
    }
    fault_line_input(&f->line[FAULT_OUT], frame, len, now_us);
    fault_drain_out(f, now_us);
    return 0;
}

static ssize_t
fault_recv(struct dev *d, uint8_t *buf, size_t cap, uint64_t *ts_us)
{
    struct fault *f = fault_of(d);
    struct fault_line *in = &f->line[FAULT_IN];

    fault_settle(f, FAULT_IN);
    if (!f->active[FAULT_IN]) {
        ssize_t n = dev_recv(f->inner, buf, cap, ts_us);
        if (n > 0)
            fault_line_passed(in);
        return n;
    }
    for (;;) {
        ssize_t n = fault_line_output(in, *ts_us, buf, cap);
        if (n != -EAGAIN)
            return n;
        /* nothing due: move what the inner device has into the line */
        n = dev_recv(f->inner, buf, cap, ts_us);
        if (n <= 0)
            return n;
        fault_line_input(in, buf, (size_t)n, *ts_us);
    }
}

static int
fault_fd(struct dev *d)
{
    return dev_fd(fault_of(d)->inner);
}

static uint64_t
fault_poll_at(struct dev *d)
{
    struct fault *f = fault_of(d);
    uint64_t at = dev_poll_at(f->inner);

    for (int i = 0; i < 2; i++) {
        uint64_t t = f->active[i] ? fault_line_next_us(&f->line[i]) : DEV_NEVER;
        if (t < at)
            at = t;
    }
    return at;
}

static void
fault_poll(struct dev *d, uint64_t now_us)
{
    struct fault *f = fault_of(d);

    if (f->active[FAULT_OUT])
        fault_drain_out(f, now_us);
    dev_poll(f->inner, now_us);
}

static void
fault_close(struct dev *d)
{
    struct fault *f = fault_of(d);

    dev_close(f->inner);
    for (int i = 0; i < 2; i++)
        fault_line_free(&f->line[i]);
    free(f);
}

/* Notes go through to a capture inside (ustackd puts the capture
 * outside the faults: a note then always reaches the frame it is for). */
static int
fault_wants_notes(struct dev *d)
{
    return dev_wants_notes(fault_of(d)->inner);
}

static void
fault_note(struct dev *d, int dir, const char *text)
{
    dev_note(fault_of(d)->inner, dir, text);
}

static const struct dev_ops fault_ops = {
    .send = fault_send,
    .recv = fault_recv,
    .fd = fault_fd,
    .close = fault_close,
    .poll_at = fault_poll_at,
    .poll = fault_poll,
    .wants_notes = fault_wants_notes,
    .note = fault_note,
};

/* out, with the top-level rates standing in for the ones it leaves 0 */
static struct fault_line_config
fault_out_config(const struct fault_config *fc)
{
    struct fault_line_config c = fc->out;

    if (!c.drop_ppm)
        c.drop_ppm = fc->drop_ppm;
    if (!c.dup_ppm)
        c.dup_ppm = fc->dup_ppm;
    if (!c.reorder_ppm)
        c.reorder_ppm = fc->reorder_ppm;
    if (!c.corrupt_ppm)
        c.corrupt_ppm = fc->corrupt_ppm;
    return c;
}

struct dev *
fault_open(struct dev *inner, const struct fault_config *fc)
{
    if (!inner || !fc)
        return NULL;
    struct fault_line_config cfg[2] = {fc->in, fault_out_config(fc)};
    uint64_t seed[2] = {fc->seed ^ FAULT_IN_SEED_MIX, fc->seed};
    if (fault_line_config_problem(&cfg[FAULT_IN]) ||
        fault_line_config_problem(&cfg[FAULT_OUT]))
        return NULL;
    struct fault *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    for (int i = 0; i < 2; i++) {
        f->cfg[i] = cfg[i];
        f->seed[i] = seed[i];
        f->active[i] = f->ready[i] = !fault_line_config_clean(&cfg[i]);
        if (f->active[i] && fault_line_init(&f->line[i], &cfg[i], seed[i]) < 0) {
            fault_line_free(&f->line[0]);
            free(f);
            return NULL;
        }
    }
    f->dev.ops = &fault_ops;
    memcpy(f->dev.name, inner->name, sizeof(f->dev.name));
    f->inner = inner;
    return &f->dev;
}

int
fault_set(struct dev *d, const struct fault_line_config *in,
          const struct fault_line_config *out)
{
    const struct fault_line_config *cfg[2] = {in, out};

    if (!d || d->ops != &fault_ops || fault_line_config_problem(in) ||
        fault_line_config_problem(out))
        return -EINVAL;
    struct fault *f = fault_of(d);
    for (int i = 0; i < 2; i++) {
        bool clean = fault_line_config_clean(cfg[i]);
        if (!f->ready[i] && !clean) {
            struct fault_line_stats passed = f->line[i].st;
            if (fault_line_init(&f->line[i], cfg[i], f->seed[i]) < 0)
                return -ENOMEM;
            f->line[i].st = passed; /* the frames that went by before */
            f->ready[i] = true;
        } else if (f->ready[i]) {
            fault_line_set(&f->line[i], cfg[i]); /* checked above */
        }
        f->cfg[i] = *cfg[i];
        f->active[i] = f->ready[i] && (!clean || fault_line_holds(&f->line[i]));
    }
    return 0;
}

int
fault_get(struct dev *d, struct fault_line_config *in, struct fault_line_config *out)
{
    if (!d || d->ops != &fault_ops)
        return -EINVAL;
    *in = fault_of(d)->cfg[FAULT_IN];
    *out = fault_of(d)->cfg[FAULT_OUT];
    return 0;
}

int
fault_stats(struct dev *d, struct fault_line_stats *in, struct fault_line_stats *out)
{
    if (!d || d->ops != &fault_ops)
        return -EINVAL;
    *in = fault_of(d)->line[FAULT_IN].st;
    *out = fault_of(d)->line[FAULT_OUT].st;
    return 0;
}

void
fault_counts(struct dev *d, uint64_t out[4])
{
    struct fault_line_stats in, o;

    if (fault_stats(d, &in, &o) < 0) {
        memset(out, 0, sizeof(uint64_t) * FAULT_NKINDS);
        return;
    }
    out[FAULT_DROP] = o.dropped;
    out[FAULT_DUP] = o.duplicated;
    out[FAULT_REORDER] = o.reordered;
    out[FAULT_CORRUPT] = o.corrupted;
}

void
fault_print(struct dev *d, FILE *f)
{
    struct fault_line_stats in, out;

    if (fault_stats(d, &in, &out) < 0)
        return;
    fault_line_print(&in, "in", f);
    fault_line_print(&out, "out", f);
}
