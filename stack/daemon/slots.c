/*
 * slots.c - a growable table of pointers with a free list. See slots.h.
 */
#include "daemon/slots.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
slots_init(struct slots *t, uint32_t limit)
{
    memset(t, 0, sizeof(*t));
    t->limit = limit < SLOTS_LIMIT_MAX ? limit : SLOTS_LIMIT_MAX;
}

void
slots_free(struct slots *t)
{
    free(t->p);
    free(t->free);
    slots_init(t, t->limit);
}

/* Double the room (at least SLOTS_INITIAL, at most the limit). */
static int
slots_grow(struct slots *t)
{
    uint32_t cap = t->cap ? t->cap * 2 : SLOTS_INITIAL;

    if (cap > t->limit)
        cap = t->limit;
    void **p = realloc(t->p, (size_t)cap * sizeof(*p));
    if (!p)
        return -ENOMEM;
    t->p = p;
    uint32_t *f = realloc(t->free, (size_t)cap * sizeof(*f));
    if (!f)
        return -ENOMEM; /* p grew; cap says how much of it is ours */
    t->free = f;
    memset(p + t->cap, 0, (size_t)(cap - t->cap) * sizeof(*p));
    t->cap = cap;
    return 0;
}

int64_t
slots_take(struct slots *t, void *e)
{
    uint32_t slot;

    if (t->count >= t->limit)
        return -ENFILE;
    if (t->nfree) {
        slot = t->free[--t->nfree];
    } else {
        if (t->used == t->cap && slots_grow(t) < 0)
            return -ENOMEM;
        slot = t->used++;
    }
    t->p[slot] = e;
    t->count++;
    return slot;
}

void
slots_put(struct slots *t, uint32_t slot)
{
    if (slot >= t->used || !t->p[slot])
        return;
    t->p[slot] = NULL;
    t->free[t->nfree++] = slot;
    t->count--;
}

void *
slots_get(const struct slots *t, uint32_t slot)
{
    return slot < t->used ? t->p[slot] : NULL;
}

uint32_t
slots_end(const struct slots *t)
{
    return t->used;
}
