/*
 * ring.c - byte ring buffer. See ring.h.
 */
#include "core/ring.h"

#include <stdlib.h>
#include <string.h>

int
ring_init(struct ring *r, size_t cap)
{
    ring_setup(r, cap);
    if (cap == 0) { /* as before: a buffer, though it holds nothing */
        r->buf = malloc(1);
        return r->buf ? 0 : -1;
    }
    return ring_set_size(r, cap);
}

void
ring_setup(struct ring *r, size_t cap)
{
    *r = (struct ring){.cap = cap};
}

void
ring_free(struct ring *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = r->size = r->len = r->head = 0;
}

size_t
ring_grow_size(const struct ring *r, size_t need)
{
    if (need <= r->size)
        return r->size;
    size_t to = RING_STEP_MIN;
    while (to < need && to < r->cap)
        to *= 2;
    return to > r->cap ? r->cap : to;
}

int
ring_set_size(struct ring *r, size_t size)
{
    if (size < r->len || size > r->cap)
        return -1;
    if (size == r->size)
        return 0;
    if (size == 0) {
        free(r->buf);
        r->buf = NULL;
        r->size = r->head = 0;
        return 0;
    }
    uint8_t *nb = malloc(size);
    if (!nb)
        return -1;
    /* the free space too, from the head on: it may hold out-of-order data
     * (ring_write_at) */
    size_t keep = size < r->size ? size : r->size;
    size_t first = r->size - r->head < keep ? r->size - r->head : keep;
    if (keep) {
        memcpy(nb, r->buf + r->head, first);
        memcpy(nb + first, r->buf, keep - first);
    }
    free(r->buf);
    r->buf = nb;
    r->size = size;
    r->head = 0;
    return 0;
}

int
ring_set_cap(struct ring *r, size_t cap)
{
    if (cap == 0 || cap < r->len || cap < r->size)
        return -1;
    r->cap = cap;
    return 0;
}

size_t
ring_write(struct ring *r, const void *src, size_t n)
{
    const uint8_t *s = src;

    if (n > ring_room(r))
        n = ring_room(r);
    if (n == 0)
        return 0; /* src may be NULL: memcpy must not see it */
    size_t tail = (r->head + r->len) % r->size;
    size_t first = r->size - tail < n ? r->size - tail : n;
    memcpy(r->buf + tail, s, first);
    memcpy(r->buf, s + first, n - first);
    r->len += n;
    return n;
}

size_t
ring_peek(const struct ring *r, size_t off, void *dst, size_t n)
{
    uint8_t *d = dst;

    if (off >= r->len)
        return 0;
    if (n > r->len - off)
        n = r->len - off;
    if (n == 0)
        return 0;
    size_t start = (r->head + off) % r->size;
    size_t first = r->size - start < n ? r->size - start : n;
    memcpy(d, r->buf + start, first);
    memcpy(d + first, r->buf, n - first);
    return n;
}

void
ring_drop(struct ring *r, size_t n)
{
    if (n > r->len)
        n = r->len;
    if (n == 0)
        return;
    r->head = (r->head + n) % r->size;
    r->len -= n;
}

size_t
ring_write_at(struct ring *r, size_t off, const void *src, size_t n)
{
    const uint8_t *s = src;

    if (off >= ring_room(r))
        return 0;
    if (n > ring_room(r) - off)
        n = ring_room(r) - off;
    if (n == 0)
        return 0; /* a bare FIN beyond a hole has no data, src NULL */
    size_t at = (r->head + r->len + off) % r->size;
    size_t first = r->size - at < n ? r->size - at : n;
    memcpy(r->buf + at, s, first);
    memcpy(r->buf, s + first, n - first);
    return n;
}

void
ring_commit(struct ring *r, size_t n)
{
    r->len += n < ring_room(r) ? n : ring_room(r);
}

int
ring_resize(struct ring *r, size_t cap)
{
    if (cap < r->len || cap == 0)
        return -1;
    size_t old = r->cap;
    r->cap = cap > old ? cap : old; /* ring_set_size checks against it */
    if (ring_set_size(r, cap) < 0) {
        r->cap = old;
        return -1;
    }
    r->cap = cap;
    return 0;
}
