/*
 * pkb.h - packet buffers.
 *
 * Owns: one contiguous frame with headroom in front and tailroom behind,
 * and the pool that hands them out. Layers move the data window with
 * bounds-checked pkb_pull (strip a header on input) and pkb_push (prepend a
 * header on output); both return NULL rather than step outside the buffer.
 *
 * Buffers come from a fixed pool sized for the device's largest frame, so
 * the hot path never calls malloc. A request larger than a pool buffer (a
 * reassembled 64 KiB datagram, an echo reply to it) gets a heap buffer,
 * bounded in total by the pool's large_limit. An empty pool or an exhausted
 * large budget is NULL, which callers count and report as -ENOBUFS.
 *
 * Ownership: a function that receives a pkb consumes it on every path.
 */
#ifndef USTACK_CORE_PKB_H
#define USTACK_CORE_PKB_H

#include <stddef.h>
#include <stdint.h>

#include "core/why.h"

/* Room for Ethernet + the largest IPv4 and TCP headers in front of data. */
#define PKB_HEADROOM 128

struct pkb_pool;

struct pkb {
    struct pkb *next;      /* link for whichever queue holds it */
    struct pkb_pool *pool; /* owner */
    uint8_t *buf;
    uint32_t cap;          /* bytes at buf */
    uint32_t head;         /* offset of the first data byte */
    uint32_t len;          /* data bytes */
    uint32_t aux, aux2;    /* the holder's own use: reassembly keeps the
                              fragment offset, UDP the source address
                              and port */
    uint8_t large;         /* heap buffer, not from the pool array */
    struct why why;        /* why it leaves, kept while ARP holds it */
};

struct pkb_pool {
    struct pkb *free;
    uint8_t *mem;           /* count * buf_size bytes */
    struct pkb *hdrs;       /* count headers */
    uint32_t buf_size;
    uint32_t count;
    uint32_t in_use;
    size_t large_bytes;     /* heap bytes held by large pkbs now */
    size_t large_limit;
};

int pkb_pool_init(struct pkb_pool *pool, uint32_t count, uint32_t buf_size,
                  size_t large_limit);
void pkb_pool_destroy(struct pkb_pool *pool);

/* A pkb able to hold `size` data bytes after PKB_HEADROOM, with len 0 and
 * the data window at the headroom mark. NULL when none is free. */
struct pkb *pkb_alloc(struct pkb_pool *pool, size_t size);
void pkb_free(struct pkb *p);
/* Free a whole ->next chain. */
void pkb_free_chain(struct pkb *p);

static inline uint8_t *
pkb_data(const struct pkb *p)
{
    return p->buf + p->head;
}

/* Remove n bytes from the front; returns where they were, or NULL if the
 * buffer holds fewer than n. */
uint8_t *pkb_pull(struct pkb *p, size_t n);
/* Open n bytes in front of the data; returns the new start, or NULL if the
 * headroom is short. */
uint8_t *pkb_push(struct pkb *p, size_t n);
/* Append n bytes at the tail; returns them, or NULL if tailroom is short. */
uint8_t *pkb_put(struct pkb *p, size_t n);
/* Cut the data to len bytes (no-op if already shorter). */
void pkb_trim(struct pkb *p, size_t len);

#endif
