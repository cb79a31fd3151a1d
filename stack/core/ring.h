/*
 * ring.h - a byte ring buffer.
 *
 * Owns: the per-connection byte queues of TCP. The send ring holds the
 * bytes from SND.UNA on (sent-but-unacknowledged, then not yet sent), so
 * a retransmission re-reads it from the start; the receive ring holds
 * in-order bytes the application has not read, and in its free space the
 * out-of-order bytes that arrived beyond them, each at its own offset
 * (ring_write_at), until the hole fills (ring_commit). Reads at an offset
 * do not consume; ring_drop consumes.
 */
#ifndef USTACK_CORE_RING_H
#define USTACK_CORE_RING_H

#include <stddef.h>
#include <stdint.h>

struct ring {
    uint8_t *buf;
    size_t cap;
    size_t head; /* index of the first byte */
    size_t len;  /* bytes held */
};

int ring_init(struct ring *r, size_t cap);
void ring_free(struct ring *r);
static inline size_t ring_space(const struct ring *r) { return r->cap - r->len; }
/* Append up to n bytes; returns how many fitted. */
size_t ring_write(struct ring *r, const void *src, size_t n);
/* Copy up to n bytes starting `off` bytes past the head; returns the count. */
size_t ring_peek(const struct ring *r, size_t off, void *dst, size_t n);
/* Consume n bytes (at most len) from the head. */
void ring_drop(struct ring *r, size_t n);
/* Put n bytes `off` bytes past the held ones, in the free space, without
 * holding them (yet); returns how many fitted. */
size_t ring_write_at(struct ring *r, size_t off, const void *src, size_t n);
/* Hold the next n bytes of the free space, as ring_write_at left them. */
void ring_commit(struct ring *r, size_t n);
/* Grow or shrink capacity, keeping the contents and, as far as the new
 * capacity goes, what the free space holds; -1 if they don't fit or
 * memory is short. */
int ring_resize(struct ring *r, size_t cap);

#endif
