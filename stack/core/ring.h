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
 *
 * A ring has a bound (cap: the most it may ever hold) and storage (size
 * bytes, at most cap), which need not be there while it is empty:
 * ring_init allocates all of it at once, ring_setup none, and the owner
 * grows it (ring_grow_size, ring_set_size) before writing and frees it
 * (ring_set_size 0) when the ring drains, as TCP does so that an idle
 * connection holds no buffer (as Linux frees its skbs). Writes go only
 * into storage; ring_space tells what the bound leaves.
 */
#ifndef USTACK_CORE_RING_H
#define USTACK_CORE_RING_H

#include <stddef.h>
#include <stdint.h>

#define RING_STEP_MIN 2048 /* the smallest storage ring_grow_size picks */

struct ring {
    uint8_t *buf; /* storage, NULL when size is 0 */
    size_t cap;   /* the bound: bytes it may hold */
    size_t size;  /* bytes of storage, <= cap */
    size_t head;  /* index of the first byte */
    size_t len;   /* bytes held */
};

/* A ring with all its storage: 0 or -1 when memory is short. */
int ring_init(struct ring *r, size_t cap);
/* A ring bounded by cap with no storage yet. */
void ring_setup(struct ring *r, size_t cap);
void ring_free(struct ring *r);
static inline size_t
ring_space(const struct ring *r)
{
    return r->cap - r->len;
}
/* Free storage: what a write can take now. */
static inline size_t
ring_room(const struct ring *r)
{
    return r->size - r->len;
}
/* The storage to hold `need` bytes from the head (held and free space):
 * the present size when it is enough, else the next power of two from
 * RING_STEP_MIN, never more than cap, never less than need (<= cap). */
size_t ring_grow_size(const struct ring *r, size_t need);
/* Storage of exactly size bytes (0 frees it), keeping the contents and,
 * as far as the new size goes, what the free space holds; -1 if the
 * contents don't fit, size passes cap, or memory is short. */
int ring_set_size(struct ring *r, size_t size);
/* A new bound, at least what is held and the storage: 0 or -1. */
int ring_set_cap(struct ring *r, size_t cap);
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
/* Grow or shrink the bound and the storage together (a ring_init ring),
 * keeping the contents and, as far as the new capacity goes, what the
 * free space holds; -1 if they don't fit or memory is short. */
int ring_resize(struct ring *r, size_t cap);

#endif
