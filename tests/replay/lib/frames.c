/*
 * frames.c - frame lists, the recording device, comparison. See frames.h.
 */
#include "frames.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
frame_list_add(struct frame_list *l, const uint8_t *data, size_t len, size_t rec)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct frame *v = realloc(l->v, cap * sizeof(*v));

        if (!v)
            return -ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    uint8_t *copy = malloc(len ? len : 1);

    if (!copy)
        return -ENOMEM;
    memcpy(copy, data, len);
    l->v[l->n] = (struct frame){.data = copy, .len = len, .rec = rec};
    l->n++;
    return 0;
}

void
frame_list_free(struct frame_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].data);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static int
rec_send(struct dev *d, const uint8_t *frame, size_t len, uint64_t now_us)
{
    struct rec_dev *r = (struct rec_dev *)d;

    (void)now_us;
    if (frame_list_add(&r->sent, frame, len, 0) < 0) {
        r->failed = 1;
        return -ENOBUFS;
    }
    return 0;
}

static ssize_t
rec_recv(struct dev *d, uint8_t *buf, size_t cap, uint64_t *ts_us)
{
    struct rec_dev *r = (struct rec_dev *)d;
    size_t n = r->inbox_len < cap ? r->inbox_len : cap;

    if (!r->inbox)
        return -EAGAIN;
    memcpy(buf, r->inbox, n);
    *ts_us = r->inbox_ts;
    r->inbox = NULL;
    return (ssize_t)n;
}

void
rec_feed(struct dev *top, struct rec_dev *r, const uint8_t *f, size_t n, uint64_t ts_us)
{
    static uint8_t scratch[65536];
    uint64_t ts = ts_us;

    r->inbox = f;
    r->inbox_len = n;
    r->inbox_ts = ts_us;
    (void)dev_recv(top, scratch, sizeof(scratch), &ts);
    r->inbox = NULL;
}

static void
rec_close(struct dev *d)
{
    struct rec_dev *r = (struct rec_dev *)d;

    frame_list_free(&r->sent);
    free(r);
}

static const struct dev_ops rec_ops = {
    .send = rec_send,
    .recv = rec_recv,
    .fd = NULL,
    .close = rec_close,
};

struct rec_dev *
rec_open(void)
{
    struct rec_dev *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    r->dev.ops = &rec_ops;
    snprintf(r->dev.name, sizeof(r->dev.name), "record");
    return r;
}

size_t
frames_compare(const struct frame_list *got, const struct frame_list *want)
{
    size_t n = got->n < want->n ? got->n : want->n;

    for (size_t i = 0; i < n; i++)
        if (got->v[i].len != want->v[i].len ||
            memcmp(got->v[i].data, want->v[i].data, got->v[i].len) != 0)
            return i;
    return got->n == want->n ? SIZE_MAX : n;
}

static void
hexdump_line(const char *label, const struct frame *f, size_t from)
{
    printf("  %-8s @%04zx:", label, from);
    for (size_t i = from; i < from + 16 && i < f->len; i++)
        printf(" %02x", f->data[i]);
    printf("\n");
}

void
frames_report_mismatch(const char *tool, const char *path, const struct frame_list *got,
                       const struct frame_list *want, size_t i)
{
    printf("%s %s: MISMATCH at output frame %zu (engine sent %zu frames, "
           "capture expects %zu)\n",
           tool, path, i, got->n, want->n);
    if (i >= got->n) {
        printf("  engine:   (no frame)\n  expected: %zu bytes, capture record %zu "
               "(Wireshark frame %zu)\n",
               want->v[i].len, want->v[i].rec, want->v[i].rec + 1);
        hexdump_line("expected", &want->v[i], 0);
        return;
    }
    if (i >= want->n) {
        printf("  engine:   %zu bytes\n  expected: (no frame)\n", got->v[i].len);
        hexdump_line("engine", &got->v[i], 0);
        return;
    }
    const struct frame *g = &got->v[i], *w = &want->v[i];
    size_t n = g->len < w->len ? g->len : w->len, off = 0;

    while (off < n && g->data[off] == w->data[off])
        off++;
    printf("  capture record %zu (Wireshark frame %zu); engine: %zu bytes, expected: %zu "
           "bytes, first difference at offset %zu (0x%zx)\n",
           w->rec, w->rec + 1, g->len, w->len, off, off);
    size_t from = off & ~(size_t)15;

    for (size_t row = from; row < from + 32; row += 16) {
        if (row >= g->len && row >= w->len)
            break;
        hexdump_line("engine", g, row);
        hexdump_line("expected", w, row);
    }
}
