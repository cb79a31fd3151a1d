/*
 * test_fault.c - the fault line, the fault middleware's two directions and
 * the fault options.
 *
 * Owns: checks that each fault happens at its configured rate (100,000
 * frames, a fixed seed, within 4 standard deviations), that delay, jitter
 * and the rate limit release frames at exactly the due time on a virtual
 * clock, that the queues are bounded and overflow is counted, that
 * received frames are damaged too, that a seed replays the same faults,
 * and that the option syntax shared by ustackd and lossy-link takes what
 * it documents and refuses the rest. (test_tcp_link.c covers the
 * middleware's send direction under TCP.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/fault_opt.h"
#include "harness.h"

#define T0 H_T0
#define NFRAMES 100000

static uint8_t frame_buf[FAULT_FRAME_MAX];

/* A frame of len bytes numbered i (bytes 14.. carry i). */
static void
numbered(uint8_t *f, size_t len, uint32_t i)
{
    memset(f, 0xee, len);
    memcpy(f + 14, &i, sizeof(i));
}

static uint32_t
number_of(const uint8_t *f)
{
    uint32_t i;

    memcpy(&i, f + 14, sizeof(i));
    return i;
}

static void
line_open(struct fault_line *l, const struct fault_line_config *c, uint64_t seed)
{
    assert_int_equal(fault_line_init(l, c, seed), 0);
}

/* Everything due by now; returns how many came out. */
static size_t
drain(struct fault_line *l, uint64_t now)
{
    size_t n = 0;

    while (fault_line_output(l, now, frame_buf, sizeof(frame_buf)) > 0)
        n++;
    return n;
}

static void
assert_balanced(const struct fault_line_stats *s)
{
    assert_int_equal(s->frames - s->dropped - s->overflow + s->duplicated,
                     s->sent + s->queued);
}

/* count out of n at ppm: within 4 standard deviations (16 variances); the
 * seeds are fixed, so this cannot flake */
static void
assert_rate(uint64_t count, uint64_t n, uint32_t ppm)
{
    double p = ppm / 1e6, mean = p * (double)n, var = (double)n * p * (1 - p);
    double off = (double)count - mean;

    if (off * off > 16 * var)
        fail_msg("%llu of %llu, expected %.0f (variance %.0f)", (unsigned long long)count,
                 (unsigned long long)n, mean, var);
}

/* ---- rates ---- */

static void
run_rates(const struct fault_line_config *c, uint64_t seed, struct fault_line_stats *st)
{
    struct fault_line l;
    uint8_t f[100];

    line_open(&l, c, seed);
    for (uint32_t i = 0; i < NFRAMES; i++) {
        numbered(f, sizeof(f), i);
        fault_line_input(&l, f, sizeof(f), T0 + i);
        drain(&l, T0 + i);
    }
    drain(&l, T0 + NFRAMES + FAULT_REORDER_HOLD_US);
    *st = l.st;
    fault_line_free(&l);
}

static void
test_rates_each(void **state)
{
    (void)state;
    struct fault_line_stats st;
    struct fault_line_config c;

    c = (struct fault_line_config){.drop_ppm = 50000};
    run_rates(&c, 1, &st);
    assert_rate(st.dropped, NFRAMES, 50000);
    assert_int_equal(st.sent, NFRAMES - st.dropped);

    c = (struct fault_line_config){.dup_ppm = 10000};
    run_rates(&c, 2, &st);
    assert_rate(st.duplicated, NFRAMES, 10000);
    assert_int_equal(st.sent, NFRAMES + st.duplicated);

    c = (struct fault_line_config){.reorder_ppm = 20000};
    run_rates(&c, 3, &st);
    /* a frame is not held when one already is: a little under 2% */
    assert_rate(st.reordered, NFRAMES, 20000);

    c = (struct fault_line_config){.corrupt_ppm = 5000};
    run_rates(&c, 4, &st);
    assert_rate(st.corrupted, NFRAMES, 5000);
    assert_int_equal(st.sent, NFRAMES);
    assert_int_equal(st.queued, 0);
}

/* All four at once, as the loss benchmark runs them. */
static void
test_rates_together(void **state)
{
    (void)state;
    struct fault_line_config c = {
        .drop_ppm = 100000, .dup_ppm = 10000, .reorder_ppm = 20000, .corrupt_ppm = 5000};
    struct fault_line_stats st;

    run_rates(&c, 7, &st);
    assert_rate(st.dropped, NFRAMES, 100000);
    /* the others are drawn for frames that were not dropped */
    uint64_t kept = NFRAMES - st.dropped;
    assert_rate(st.duplicated, kept, 10000);
    assert_rate(st.corrupted, kept, 5000);
    assert_true(st.reordered > 0);
    assert_int_equal(st.queued, 0);
    assert_balanced(&st);
}

/* Reordered frames go right after the next one; a corrupted frame has
 * exactly one bit flipped, never in the Ethernet header. */
static void
test_reorder_and_corrupt_shape(void **state)
{
    (void)state;
    struct fault_line l;
    struct fault_line_config c = {.reorder_ppm = FAULT_PPM_MAX};
    uint8_t f[100];
    uint32_t order[5];
    size_t n = 0;

    line_open(&l, &c, 1);
    for (uint32_t i = 0; i < 5; i++) {
        numbered(f, sizeof(f), i);
        fault_line_input(&l, f, sizeof(f), T0);
        while (fault_line_output(&l, T0, frame_buf, sizeof(frame_buf)) > 0)
            order[n++] = number_of(frame_buf);
    }
    assert_int_equal(n, 4);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 0);
    assert_int_equal(order[2], 3);
    assert_int_equal(order[3], 2);
    /* frame 4 is held: no next frame, so it goes FAULT_REORDER_HOLD_US later */
    assert_int_equal(fault_line_next_us(&l), T0 + FAULT_REORDER_HOLD_US);
    assert_int_equal(fault_line_output(&l, T0 + FAULT_REORDER_HOLD_US - 1, frame_buf,
                                       sizeof(frame_buf)),
                     -EAGAIN);
    assert_int_equal(
        fault_line_output(&l, T0 + FAULT_REORDER_HOLD_US, frame_buf, sizeof(frame_buf)),
        100);
    assert_int_equal(number_of(frame_buf), 4);
    assert_int_equal(fault_line_next_us(&l), FAULT_LINE_NEVER);
    fault_line_free(&l);

    c = (struct fault_line_config){.corrupt_ppm = FAULT_PPM_MAX};
    line_open(&l, &c, 1);
    for (uint32_t i = 0; i < 500; i++) {
        int bits = 0;
        numbered(f, sizeof(f), i);
        fault_line_input(&l, f, sizeof(f), T0);
        assert_int_equal(fault_line_output(&l, T0, frame_buf, sizeof(frame_buf)), 100);
        for (size_t k = 0; k < sizeof(f); k++) {
            uint8_t x = frame_buf[k] ^ f[k];
            if (x)
                assert_true(k >= 14);
            bits += __builtin_popcount(x);
        }
        assert_int_equal(bits, 1);
    }
    fault_line_free(&l);
}

/* ---- time ---- */

static void
test_delay_exact(void **state)
{
    (void)state;
    struct fault_line l;
    struct fault_line_config c = {.delay_us = 10000};
    uint8_t f[60];

    line_open(&l, &c, 1);
    assert_int_equal(fault_line_next_us(&l), FAULT_LINE_NEVER);
    numbered(f, sizeof(f), 1);
    fault_line_input(&l, f, sizeof(f), T0 + 1000);
    numbered(f, sizeof(f), 2);
    fault_line_input(&l, f, sizeof(f), T0 + 4000);
    assert_int_equal(fault_line_next_us(&l), T0 + 11000);
    assert_int_equal(fault_line_output(&l, T0 + 10999, frame_buf, sizeof(frame_buf)),
                     -EAGAIN);
    assert_int_equal(fault_line_output(&l, T0 + 11000, frame_buf, sizeof(frame_buf)), 60);
    assert_int_equal(number_of(frame_buf), 1);
    assert_int_equal(fault_line_next_us(&l), T0 + 14000);
    assert_int_equal(fault_line_output(&l, T0 + 13999, frame_buf, sizeof(frame_buf)),
                     -EAGAIN);
    assert_int_equal(fault_line_output(&l, T0 + 14000, frame_buf, sizeof(frame_buf)), 60);
    assert_int_equal(number_of(frame_buf), 2);
    assert_int_equal(l.st.delayed, 2);
    assert_int_equal(l.st.queued, 0);
    fault_line_free(&l);
}

/* Each frame alone: due within delay +- jitter, both ends nearly
 * reached. Frames in a burst: never out of order. */
static void
test_jitter_bounds(void **state)
{
    (void)state;
    struct fault_line l;
    struct fault_line_config c = {.delay_us = 10000, .jitter_us = 3000};
    uint8_t f[60];
    uint64_t lo = UINT64_MAX, hi = 0;

    line_open(&l, &c, 5);
    for (uint32_t i = 0; i < 2000; i++) {
        uint64_t t = T0 + (uint64_t)i * 100000; /* 100 ms apart */
        numbered(f, sizeof(f), i);
        fault_line_input(&l, f, sizeof(f), t);
        uint64_t due = fault_line_next_us(&l) - t;
        assert_in_range(due, 7000, 13000);
        lo = due < lo ? due : lo;
        hi = due > hi ? due : hi;
        assert_int_equal(fault_line_output(&l, t + due - 1, frame_buf, sizeof(frame_buf)),
                         -EAGAIN);
        assert_int_equal(fault_line_output(&l, t + due, frame_buf, sizeof(frame_buf)),
                         60);
    }
    assert_true(lo < 7100);
    assert_true(hi > 12900);

    /* 1000 frames 1 us apart: they leave in the order they came */
    uint32_t next = 0;
    for (uint32_t i = 0; i < 1000; i++) {
        numbered(f, sizeof(f), i);
        fault_line_input(&l, f, sizeof(f), T0 + 1000000000 + i);
    }
    for (uint64_t t = T0 + 1000000000; next < 1000; t += 100)
        while (fault_line_output(&l, t, frame_buf, sizeof(frame_buf)) > 0)
            assert_int_equal(number_of(frame_buf), next++);
    assert_int_equal(l.st.reordered, 0);
    fault_line_free(&l);
}

/* 1000-byte frames at 8 Mbit/s: one every 1000 us, plus the delay. */
static void
test_rate_spacing(void **state)
{
    (void)state;
    struct fault_line l;
    struct fault_line_config c = {.rate_bps = 8000000, .delay_us = 500};
    uint8_t f[1000];

    line_open(&l, &c, 1);
    for (uint32_t i = 0; i < 10; i++) {
        numbered(f, sizeof(f), i);
        fault_line_input(&l, f, sizeof(f), T0);
    }
    for (uint32_t i = 0; i < 10; i++) {
        uint64_t due = T0 + (i + 1) * 1000 + 500;
        assert_int_equal(fault_line_next_us(&l), due);
        assert_int_equal(fault_line_output(&l, due - 1, frame_buf, sizeof(frame_buf)),
                         -EAGAIN);
        assert_int_equal(fault_line_output(&l, due, frame_buf, sizeof(frame_buf)), 1000);
        assert_int_equal(number_of(frame_buf), i);
    }
    /* an idle link starts again at once: 1000 us after the frame arrives */
    numbered(f, sizeof(f), 99);
    fault_line_input(&l, f, sizeof(f), T0 + 1000000);
    assert_int_equal(fault_line_next_us(&l), T0 + 1000000 + 1000 + 500);
    /* 100 Mbit/s, 1000 bytes: 80 us each; 100 frames take 8000 us */
    fault_line_free(&l);
    c = (struct fault_line_config){.rate_bps = 100000000};
    line_open(&l, &c, 1);
    for (uint32_t i = 0; i < 100; i++)
        fault_line_input(&l, f, 1000, T0);
    assert_int_equal(drain(&l, T0 + 7999), 99);
    assert_int_equal(drain(&l, T0 + 8000), 1);
    fault_line_free(&l);
}

/* ---- bounds ---- */

static void
test_queue_overflow(void **state)
{
    (void)state;
    struct fault_line l;
    struct fault_line_config c = {.rate_bps = 8000000, .queue_bytes = 3000};
    uint8_t f[1000];

    /* the backlog behind the rate holds 3000 bytes: the 4th frame is dropped */
    line_open(&l, &c, 1);
    for (uint32_t i = 0; i < 5; i++) {
        numbered(f, sizeof(f), i);
        fault_line_input(&l, f, sizeof(f), T0);
    }
    assert_int_equal(l.st.overflow, 2);
    assert_int_equal(l.st.queued, 3);
    /* one frame sent (1000 us): room for one more */
    assert_int_equal(drain(&l, T0 + 1000), 1);
    fault_line_input(&l, f, sizeof(f), T0 + 1000);
    fault_line_input(&l, f, sizeof(f), T0 + 1000);
    assert_int_equal(l.st.overflow, 3);
    assert_int_equal(drain(&l, T0 + 4000), 3);
    assert_balanced(&l.st);
    fault_line_free(&l);

    /* without a rate, the delay's frames fit in hold_bytes, headers
     * included: 10 records of 1012 bytes in 10200 */
    c = (struct fault_line_config){.delay_us = 1000, .hold_bytes = 10200};
    line_open(&l, &c, 1);
    for (uint32_t i = 0; i < 12; i++)
        fault_line_input(&l, f, sizeof(f), T0);
    assert_int_equal(l.st.queued, 10);
    assert_int_equal(l.st.overflow, 2);
    assert_int_equal(drain(&l, T0 + 1000), 10);
    fault_line_input(&l, f, sizeof(f), T0 + 1000);
    assert_int_equal(l.st.overflow, 2);
    /* a receiver with too small a buffer loses the frame, counted */
    assert_int_equal(fault_line_output(&l, T0 + 2000, frame_buf, 10), -EMSGSIZE);
    assert_int_equal(l.st.overflow, 3);
    assert_balanced(&l.st);
    fault_line_free(&l);
}

/* ---- the middleware's two directions ---- */

static void
test_middleware_recv(void **state)
{
    (void)state;
    struct dev *a, *b;
    uint8_t f[80];
    uint64_t t = T0;

    assert_int_equal(loop_pair(&a, &b), 0);
    struct fault_config fc = {.seed = 3, .in = {.drop_ppm = 500000, .delay_us = 2000}};
    struct dev *d = fault_open(b, &fc);
    assert_non_null(d);
    for (uint32_t i = 0; i < 100; i++) {
        numbered(f, sizeof(f), i);
        assert_int_equal(dev_send(a, f, sizeof(f), T0), 0);
    }
    /* taken in at T0, nothing due before T0 + 2 ms */
    assert_int_equal(dev_recv(d, frame_buf, sizeof(frame_buf), &t), -EAGAIN);
    assert_int_equal(loop_pending(b), 0);
    assert_int_equal(dev_poll_at(d), T0 + 2000);
    t = T0 + 2000;
    dev_poll(d, t);
    size_t got = 0;
    uint32_t last = 0;
    ssize_t n;
    while ((n = dev_recv(d, frame_buf, sizeof(frame_buf), &t)) > 0) {
        assert_int_equal(n, 80);
        assert_true(got == 0 || number_of(frame_buf) > last);
        last = number_of(frame_buf);
        got++;
    }
    assert_int_equal(n, -EAGAIN);
    struct fault_line_stats in, out;
    assert_int_equal(fault_stats(d, &in, &out), 0);
    assert_int_equal(in.frames, 100);
    assert_int_equal(in.sent, got);
    assert_int_equal(in.dropped, 100 - got);
    assert_in_range(got, 30, 70);
    assert_int_equal(out.frames, 0); /* a clean direction is no line */
    assert_int_equal(dev_poll_at(d), DEV_NEVER);
    dev_close(d);
    dev_close(a);
}

static void
test_middleware_send_delay(void **state)
{
    (void)state;
    struct rec_dev *r = rec_open();
    struct fault_config fc = {.seed = 1, .out = {.delay_us = 5000}};
    struct dev *d = fault_open(&r->dev, &fc);
    uint8_t f[60];

    assert_non_null(d);
    numbered(f, sizeof(f), 7);
    assert_int_equal(dev_send(d, f, sizeof(f), T0), 0);
    assert_int_equal(r->n, 0);
    assert_int_equal(dev_poll_at(d), T0 + 5000);
    dev_poll(d, T0 + 4999);
    assert_int_equal(r->n, 0);
    dev_poll(d, T0 + 5000);
    assert_int_equal(r->n, 1);
    assert_int_equal(r->f[0].at_us, T0 + 5000);
    assert_int_equal(number_of(r->f[0].data), 7);
    /* the top-level rates are out's when out leaves them 0 */
    dev_close(d);
    r = rec_open();
    fc = (struct fault_config){.seed = 1, .drop_ppm = FAULT_PPM_MAX};
    d = fault_open(&r->dev, &fc);
    dev_send(d, f, sizeof(f), T0);
    assert_int_equal(r->n, 0);
    dev_close(d);
    /* a bad configuration is refused, inner left open */
    r = rec_open();
    fc = (struct fault_config){.in = {.delay_us = 10, .jitter_us = 11}};
    assert_null(fault_open(&r->dev, &fc));
    rec_close(r);
}

/* The same seed and the same frames at the same times: the same output. */
static void
test_same_seed(void **state)
{
    (void)state;
    struct fault_line_config c = {.drop_ppm = 50000,
                                  .dup_ppm = 50000,
                                  .reorder_ppm = 50000,
                                  .corrupt_ppm = 50000,
                                  .delay_us = 1000,
                                  .jitter_us = 500};
    struct fault_line l[3];
    uint8_t f[64];

    for (int k = 0; k < 3; k++)
        line_open(&l[k], &c, k == 2 ? 43 : 42);
    bool differ = false;
    for (uint32_t i = 0; i < 20000; i++) {
        numbered(f, sizeof(f), i);
        for (int k = 0; k < 3; k++)
            fault_line_input(&l[k], f, sizeof(f), T0 + i * 10);
        for (;;) {
            uint8_t o[3][64];
            ssize_t n[3];
            for (int k = 0; k < 3; k++)
                n[k] = fault_line_output(&l[k], T0 + i * 10, o[k], sizeof(o[k]));
            assert_int_equal(n[0], n[1]);
            if (n[0] > 0)
                assert_memory_equal(o[0], o[1], (size_t)n[0]);
            if (n[0] != n[2] || (n[0] > 0 && memcmp(o[0], o[2], (size_t)n[0]) != 0))
                differ = true;
            if (n[0] < 0 && n[2] < 0)
                break;
        }
    }
    assert_memory_equal(&l[0].st, &l[1].st, sizeof(l[0].st));
    assert_true(differ);
    assert_true(memcmp(&l[0].st, &l[2].st, sizeof(l[0].st)) != 0);
    for (int k = 0; k < 3; k++)
        fault_line_free(&l[k]);
}

/* The report: one line per direction, a fixed format tests grep. */
static void
test_report_format(void **state)
{
    (void)state;
    struct fault_line_stats st = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(f);
    fault_line_print(&st, "a->b", f);
    fclose(f);
    assert_string_equal(text, "fault a->b: frames=1 sent=2 dropped=3 duplicated=4 "
                              "reordered=5 corrupted=6 delayed=7 overflow=8 queued=9\n");
    free(text);
}

/* ---- options ---- */

static const char *const dirs[2] = {"in", "out"};

static int
opt(struct fault_opts *o, const char *name, const char *arg)
{
    char err[200];

    return fault_opt_parse(o, name, arg, dirs, err, sizeof(err));
}

static void
test_options(void **state)
{
    (void)state;
    struct fault_opts o;
    char err[200];

    memset(&o, 0, sizeof(o));
    assert_int_equal(opt(&o, "loss", "5"), 0);
    assert_int_equal(o.dir[0].drop_ppm, 50000);
    assert_int_equal(o.dir[1].drop_ppm, 50000);
    assert_true(o.any);
    assert_int_equal(opt(&o, "loss", "in:5,out:1"), 0);
    assert_int_equal(o.dir[0].drop_ppm, 50000);
    assert_int_equal(o.dir[1].drop_ppm, 10000);
    assert_int_equal(opt(&o, "loss", "out:0.5"), 0); /* in keeps its 5 */
    assert_int_equal(o.dir[0].drop_ppm, 50000);
    assert_int_equal(o.dir[1].drop_ppm, 5000);
    assert_int_equal(opt(&o, "dup", "0.0001"), 0);
    assert_int_equal(o.dir[1].dup_ppm, 1);
    assert_int_equal(opt(&o, "reorder", "100"), 0);
    assert_int_equal(o.dir[0].reorder_ppm, 1000000);
    assert_int_equal(opt(&o, "corrupt", "out:2.25"), 0);
    assert_int_equal(o.dir[1].corrupt_ppm, 22500);
    assert_int_equal(opt(&o, "delay", "20/5"), 0);
    assert_int_equal(o.dir[0].delay_us, 20000);
    assert_int_equal(o.dir[1].jitter_us, 5000);
    assert_int_equal(opt(&o, "delay", "in:0.5,out:1.25/0.25"), 0);
    assert_int_equal(o.dir[0].delay_us, 500);
    assert_int_equal(o.dir[0].jitter_us, 0);
    assert_int_equal(o.dir[1].delay_us, 1250);
    assert_int_equal(o.dir[1].jitter_us, 250);
    assert_int_equal(opt(&o, "rate", "10"), 0);
    assert_int_equal(o.dir[0].rate_bps, 10000000);
    assert_int_equal(opt(&o, "rate", "out:0.5"), 0);
    assert_int_equal(o.dir[1].rate_bps, 500000);
    assert_int_equal(opt(&o, "fault-seed", "0x10"), 0);
    assert_int_equal(o.seed, 16);
    assert_true(o.have_seed);

    /* refused, and nothing changed by a refused value */
    struct fault_opts before = o;
    const char *bad[][2] = {
        {"loss", "101"},       {"loss", "-1"},         {"loss", "5%"},
        {"loss", ""},          {"loss", " 5"},         {"loss", "1e1"},
        {"loss", "0.12345"},   {"loss", "5."},         {"loss", ".5"},
        {"loss", "in:5,in:1"}, {"loss", "up:5"},       {"loss", "in:5,"},
        {"loss", "in:"},       {"loss", "in:5,out:x"}, {"loss", "5,out:1"},
        {"delay", "10/11"},    {"delay", "60001"},     {"delay", "10/"},
        {"delay", "/1"},       {"delay", "1.2345"},    {"rate", "0.0005"},
        {"rate", "1000001"},   {"rate", "fast"},       {"fault-seed", "-1"},
        {"fault-seed", "0x"},  {"fault-seed", "12a"},  {"loss", "1234567890"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        int rc = fault_opt_parse(&o, bad[i][0], bad[i][1], dirs, err, sizeof(err));
        if (rc != -EINVAL)
            fail_msg("--%s '%s' was taken (%d)", bad[i][0], bad[i][1], rc);
        /* one line naming the option */
        assert_non_null(strstr(err, bad[i][0]));
        assert_null(strchr(err, '\n'));
    }
    assert_memory_equal(&o, &before, sizeof(o));
    assert_int_equal(opt(&o, "speed", "5"), -ENOENT);

    /* other names for the directions: lossy-link's */
    const char *const ab[2] = {"a->b", "b->a"};
    memset(&o, 0, sizeof(o));
    assert_int_equal(fault_opt_parse(&o, "loss", "a->b:5,b->a:1", ab, err, sizeof(err)),
                     0);
    assert_int_equal(o.dir[0].drop_ppm, 50000);
    assert_int_equal(o.dir[1].drop_ppm, 10000);
    assert_int_equal(fault_opt_parse(&o, "loss", "in:5", ab, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "a->b:VALUE"));
}

/* Settings changed while frames flow (ustack-ctl fault): a clean
 * middleware passes frames straight through; loss turned on drops them;
 * a delay turned off lets the held frames go when due, in order, and the
 * direction passes frames through again once it is empty. */
static void
test_live_set(void **state)
{
    (void)state;
    struct rec_dev *r = rec_open();
    struct fault_config fc = {.seed = 5};
    struct dev *d = fault_open(&r->dev, &fc);
    struct fault_line_config in, out, clean = {0};
    struct fault_line_stats si, so;
    uint8_t f[60];

    assert_non_null(d);
    for (uint32_t i = 0; i < 10; i++) {
        numbered(f, sizeof(f), i);
        assert_int_equal(dev_send(d, f, sizeof(f), T0), 0);
    }
    assert_int_equal(r->n, 10);
    assert_int_equal(fault_stats(d, &si, &so), 0);
    /* no line: straight through, but counted, so that `fault show` of
     * a clean daemon says what went by */
    assert_int_equal(so.frames, 10);
    assert_int_equal(so.sent, 10);

    struct fault_line_config loss = {.drop_ppm = FAULT_PPM_MAX};
    assert_int_equal(fault_set(d, &clean, &loss), 0);
    assert_int_equal(fault_get(d, &in, &out), 0);
    assert_int_equal(out.drop_ppm, FAULT_PPM_MAX);
    assert_int_equal(in.drop_ppm, 0);
    for (uint32_t i = 0; i < 10; i++)
        dev_send(d, f, sizeof(f), T0 + 1);
    assert_int_equal(r->n, 10);
    fault_stats(d, &si, &so);
    assert_int_equal(so.frames, 20);
    assert_int_equal(so.dropped, 10);

    struct fault_line_config delay = {.delay_us = 5000};
    assert_int_equal(fault_set(d, &clean, &delay), 0);
    numbered(f, sizeof(f), 100);
    dev_send(d, f, sizeof(f), T0 + 10);
    assert_int_equal(fault_set(d, &clean, &clean), 0);
    numbered(f, sizeof(f), 101);
    dev_send(d, f, sizeof(f), T0 + 20); /* behind the held one: order kept */
    assert_int_equal(r->n, 10);
    assert_int_equal(dev_poll_at(d), T0 + 5010);
    dev_poll(d, T0 + 5010);
    assert_int_equal(r->n, 12);
    assert_int_equal(number_of(r->f[10].data), 100);
    assert_int_equal(number_of(r->f[11].data), 101);
    fault_stats(d, &si, &so);
    uint64_t frames = so.frames;
    dev_send(d, f, sizeof(f), T0 + 6000); /* empty and clean: through */
    assert_int_equal(r->n, 13);
    fault_stats(d, &si, &so);
    assert_int_equal(so.frames, frames + 1);
    assert_int_equal(dev_poll_at(d), DEV_NEVER);

    /* a bad configuration changes nothing; nor does a device that is not
     * a fault middleware take one */
    struct fault_line_config bad = {.delay_us = 10, .jitter_us = 11};
    assert_int_equal(fault_set(d, &bad, &loss), -EINVAL);
    fault_get(d, &in, &out);
    assert_int_equal(out.drop_ppm, 0);
    assert_int_equal(fault_set(&r->dev, &clean, &clean), -EINVAL);
    assert_int_equal(fault_get(&r->dev, &in, &out), -EINVAL);
    dev_close(d);
}

static int
words(struct fault_opts *o, const char *line, char *err, size_t len)
{
    static const char *const in_out[2] = {"in", "out"};

    return fault_opt_parse_words(o, line, in_out, err, len);
}

/* ustack-ctl fault's words: NAME VALUE or NAME=VALUE, "off", '%'. */
static void
test_option_words(void **state)
{
    (void)state;
    struct fault_opts o = {0};
    char err[160];

    assert_int_equal(words(&o, "loss 10%", err, sizeof(err)), 0);
    assert_int_equal(o.dir[0].drop_ppm, 100000);
    assert_int_equal(o.dir[1].drop_ppm, 100000);
    assert_int_equal(
        words(&o, "loss=in:5%,out:1 --delay out:20/5 dup 0.5", err, sizeof(err)), 0);
    assert_int_equal(o.dir[0].drop_ppm, 50000);
    assert_int_equal(o.dir[1].drop_ppm, 10000);
    assert_int_equal(o.dir[0].delay_us, 0);
    assert_int_equal(o.dir[1].delay_us, 20000);
    assert_int_equal(o.dir[1].jitter_us, 5000);
    assert_int_equal(o.dir[0].dup_ppm, 5000);
    assert_int_equal(words(&o, "rate in:100", err, sizeof(err)), 0);
    assert_int_equal(o.dir[0].rate_bps, 100000000);
    assert_int_equal(o.dir[1].drop_ppm, 10000); /* not named: kept */
    assert_int_equal(words(&o, "off", err, sizeof(err)), 0);
    assert_true(fault_line_config_clean(&o.dir[0]) && fault_line_config_clean(&o.dir[1]));
    assert_int_equal(words(&o, "off reorder 1", err, sizeof(err)), 0);
    assert_int_equal(o.dir[1].reorder_ppm, 10000);

    /* refused, saying why, o unchanged */
    const struct {
        const char *line, *why;
    } bad[] = {
        {"", "no settings"},
        {"   ", "no settings"},
        {"loss", "wants a value"},
        {"bogus 1", "not one of"},
        {"fault-seed 3", "not one of"},
        {"loss 200", "--loss '200'"},
        {"loss 5%%", "--loss"},
        {"rate 10%", "--rate"},
        {"delay 5/10", "jitter"},
        {"loss in:5,in:6", "twice"},
    };
    struct fault_opts before = o;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (words(&o, bad[i].line, err, sizeof(err)) != -EINVAL)
            fail_msg("'%s' accepted", bad[i].line);
        if (!strstr(err, bad[i].why))
            fail_msg("'%s': '%s' does not say '%s'", bad[i].line, err, bad[i].why);
        assert_memory_equal(&o, &before, sizeof(o));
    }
    char longline[1100];
    memset(longline, 'x', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    assert_int_equal(words(&o, longline, err, sizeof(err)), -EINVAL);
}

/* fault show's words for one direction. */
static void
test_option_fmt(void **state)
{
    (void)state;
    char b[160];
    struct fault_line_config c = {.drop_ppm = 100000,
                                  .dup_ppm = 1,
                                  .corrupt_ppm = 12345,
                                  .delay_us = 20000,
                                  .jitter_us = 1500,
                                  .rate_bps = 1500000};

    fault_opt_fmt(&c, b, sizeof(b));
    assert_string_equal(b, "loss 10% dup 0.0001% reorder 0% corrupt 1.2345% delay 20ms "
                           "jitter 1.5ms rate 1.5Mbit");
    memset(&c, 0, sizeof(c));
    fault_opt_fmt(&c, b, sizeof(b));
    assert_string_equal(b, "loss 0% dup 0% reorder 0% corrupt 0% delay 0ms jitter 0ms "
                           "rate unlimited");
    c = (struct fault_line_config){.drop_ppm = FAULT_PPM_MAX, .rate_bps = 1000};
    fault_opt_fmt(&c, b, sizeof(b));
    assert_string_equal(b, "loss 100% dup 0% reorder 0% corrupt 0% delay 0ms jitter 0ms "
                           "rate 0.001Mbit");
    fault_opt_fmt(&c, b, 10); /* cut, terminated */
    assert_int_equal(strlen(b), 9);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rates_each),
        cmocka_unit_test(test_rates_together),
        cmocka_unit_test(test_reorder_and_corrupt_shape),
        cmocka_unit_test(test_delay_exact),
        cmocka_unit_test(test_jitter_bounds),
        cmocka_unit_test(test_rate_spacing),
        cmocka_unit_test(test_queue_overflow),
        cmocka_unit_test(test_middleware_recv),
        cmocka_unit_test(test_middleware_send_delay),
        cmocka_unit_test(test_same_seed),
        cmocka_unit_test(test_report_format),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_live_set),
        cmocka_unit_test(test_option_words),
        cmocka_unit_test(test_option_fmt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
