/*
 * ring.c - byte ring buffer. See ring.h.
 */
#include "core/ring.h"

#include <stdlib.h>
#include <string.h>

int
ring_init(struct ring *r, size_t cap)
{
    *r = (struct ring){.cap = cap};
    r->buf = malloc(cap ? cap : 1);
    return r->buf ? 0 : -1;
}

void
ring_free(struct ring *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = r->len = r->head = 0;
}

size_t
ring_write(struct ring *r, const void *src, size_t n)
{
    const uint8_t *s = src;

    if (n > ring_space(r))
        n = ring_space(r);
    if (n == 0)
        return 0; /* src may be NULL: memcpy must not see it */
    size_t tail = (r->head + r->len) % r->cap;
    size_t first = r->cap - tail < n ? r->cap - tail : n;
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
    size_t start = (r->head + off) % r->cap;
    size_t first = r->cap - start < n ? r->cap - start : n;
    memcpy(d, r->buf + start, first);
    memcpy(d + first, r->buf, n - first);
    return n;
}

void
ring_drop(struct ring *r, size_t n)
{
    if (n > r->len)
        n = r->len;
    r->head = (r->head + n) % r->cap;
    r->len -= n;
}

size_t
ring_write_at(struct ring *r, size_t off, const void *src, size_t n)
{
    const uint8_t *s = src;

    if (off >= ring_space(r))
        return 0;
    if (n > ring_space(r) - off)
        n = ring_space(r) - off;
    if (n == 0)
        return 0; /* a bare FIN beyond a hole has no data, src NULL */
    size_t at = (r->head + r->len + off) % r->cap;
    size_t first = r->cap - at < n ? r->cap - at : n;
    memcpy(r->buf + at, s, first);
    memcpy(r->buf, s + first, n - first);
    return n;
}

void
ring_commit(struct ring *r, size_t n)
{
    r->len += n < ring_space(r) ? n : ring_space(r);
}

int
ring_resize(struct ring *r, size_t cap)
{
    if (cap < r->len || cap == 0)
        return -1;
    uint8_t *nb = malloc(cap);
    if (!nb)
        return -1;
    /* the free space too, from the head on: it may hold out-of-order data
     * (ring_write_at) */
    size_t keep = cap < r->cap ? cap : r->cap;
    size_t first = r->cap - r->head < keep ? r->cap - r->head : keep;
    memcpy(nb, r->buf + r->head, first);
    memcpy(nb + first, r->buf, keep - first);
    free(r->buf);
    r->buf = nb;
    r->cap = cap;
    r->head = 0;
    return 0;
}
