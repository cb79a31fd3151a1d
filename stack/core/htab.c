/*
 * htab.c - an intrusive hash table of chains that grows by doubling.
 */
#include "core/htab.h"

#include <errno.h>
#include <stdlib.h>

int
htab_init(struct htab *t, htab_hash_fn hash, const void *ctx)
{
    t->b = calloc(HTAB_MIN_BUCKETS, sizeof(*t->b));
    if (!t->b)
        return -ENOMEM;
    t->mask = HTAB_MIN_BUCKETS - 1;
    t->n = 0;
    t->hash = hash;
    t->ctx = ctx;
    return 0;
}

void
htab_free(struct htab *t)
{
    free(t->b);
    t->b = NULL;
    t->mask = 0;
    t->n = 0;
}

static void
htab_link(struct hnode **head, struct hnode *e)
{
    e->next = *head;
    *head = e;
}

/* Twice the buckets; on failure the old ones stay. */
static void
htab_grow(struct htab *t)
{
    uint32_t mask = t->mask * 2 + 1;
    struct hnode **b = mask > t->mask ? calloc((size_t)mask + 1, sizeof(*b)) : NULL;

    if (!b)
        return;
    for (uint32_t i = 0; i <= t->mask; i++) {
        struct hnode *e = t->b[i], *next;
        for (; e; e = next) {
            next = e->next;
            htab_link(&b[t->hash(e, t->ctx) & mask], e);
        }
    }
    free(t->b);
    t->b = b;
    t->mask = mask;
}

void
htab_insert(struct htab *t, struct hnode *e, uint64_t hash)
{
    htab_link(&t->b[hash & t->mask], e);
    t->n++;
    if (t->n > (size_t)t->mask + 1)
        htab_grow(t);
}

void
htab_remove(struct htab *t, struct hnode *e, uint64_t hash)
{
    for (struct hnode **pp = &t->b[hash & t->mask]; *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            e->next = NULL;
            t->n--;
            return;
        }
    }
}

struct hnode *
htab_chain(const struct htab *t, uint64_t hash)
{
    return t->b[hash & t->mask];
}

size_t
htab_buckets(const struct htab *t)
{
    return (size_t)t->mask + 1;
}
