/*
 * pkb.c - packet buffer pool. See pkb.h.
 */
#include "core/pkb.h"

#include <stdlib.h>

int
pkb_pool_init(struct pkb_pool *pool, uint32_t count, uint32_t buf_size,
              size_t large_limit)
{
    *pool = (struct pkb_pool){.buf_size = buf_size, .count = count,
                              .large_limit = large_limit};
    pool->mem = malloc((size_t)count * buf_size);
    pool->hdrs = calloc(count, sizeof(*pool->hdrs));
    if (!pool->mem || !pool->hdrs) {
        pkb_pool_destroy(pool);
        return -1;
    }
    for (uint32_t i = count; i-- > 0;) {
        struct pkb *p = &pool->hdrs[i];
        p->pool = pool;
        p->buf = pool->mem + (size_t)i * buf_size;
        p->cap = buf_size;
        p->next = pool->free;
        pool->free = p;
    }
    return 0;
}

void
pkb_pool_destroy(struct pkb_pool *pool)
{
    free(pool->mem);
    free(pool->hdrs);
    pool->mem = NULL;
    pool->hdrs = NULL;
    pool->free = NULL;
}

static struct pkb *
pkb_alloc_large(struct pkb_pool *pool, size_t cap)
{
    if (pool->large_bytes + cap > pool->large_limit)
        return NULL;
    struct pkb *p = malloc(sizeof(*p) + cap);
    if (!p)
        return NULL;
    *p = (struct pkb){.pool = pool, .buf = (uint8_t *)(p + 1),
                      .cap = (uint32_t)cap, .large = 1};
    pool->large_bytes += cap;
    return p;
}

struct pkb *
pkb_alloc(struct pkb_pool *pool, size_t size)
{
    struct pkb *p;

    if (size > UINT32_MAX - PKB_HEADROOM) /* also keeps cap from wrapping */
        return NULL;
    size_t cap = PKB_HEADROOM + size;
    if (cap > pool->buf_size) {
        p = pkb_alloc_large(pool, cap);
    } else {
        p = pool->free;
        if (p) {
            pool->free = p->next;
            pool->in_use++;
        }
    }
    if (p) {
        p->next = NULL;
        p->head = PKB_HEADROOM;
        p->len = 0;
    }
    return p;
}

void
pkb_free(struct pkb *p)
{
    if (!p)
        return;
    struct pkb_pool *pool = p->pool;
    if (p->large) {
        pool->large_bytes -= p->cap;
        free(p);
        return;
    }
    p->next = pool->free;
    pool->free = p;
    pool->in_use--;
}

void
pkb_free_chain(struct pkb *p)
{
    while (p) {
        struct pkb *next = p->next;
        pkb_free(p);
        p = next;
    }
}

uint8_t *
pkb_pull(struct pkb *p, size_t n)
{
    if (n > p->len)
        return NULL;
    uint8_t *old = pkb_data(p);
    p->head += (uint32_t)n;
    p->len -= (uint32_t)n;
    return old;
}

uint8_t *
pkb_push(struct pkb *p, size_t n)
{
    if (n > p->head)
        return NULL;
    p->head -= (uint32_t)n;
    p->len += (uint32_t)n;
    return pkb_data(p);
}

uint8_t *
pkb_put(struct pkb *p, size_t n)
{
    if (n > (size_t)p->cap - p->head - p->len)
        return NULL;
    uint8_t *tail = pkb_data(p) + p->len;
    p->len += (uint32_t)n;
    return tail;
}

void
pkb_trim(struct pkb *p, size_t len)
{
    if (len < p->len)
        p->len = (uint32_t)len;
}
