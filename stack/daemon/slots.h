/*
 * slots.h - a growable table of pointers with a free list: the daemon's
 * sockets (sock.c) and control clients (ctl.c) live in one each.
 *
 * Owns: the slot numbers. A slot is taken in O(1) (the free list, newest
 * freed first, else the next never used) and the array doubles when it is
 * full, up to a limit the caller sets; nothing searches for a free slot.
 * A slot number is what an epoll tag carries (loop.h: 24 bits), so the
 * limit is at most SLOTS_LIMIT_MAX.
 *
 * Leaves out: shrinking (a table that once held N entries keeps room for
 * N pointers and N free-list entries: 12 bytes each).
 */
#ifndef USTACK_DAEMON_SLOTS_H
#define USTACK_DAEMON_SLOTS_H

#include <stdint.h>

#define SLOTS_LIMIT_MAX 0xffffffu /* what an epoll tag holds of a slot */
#define SLOTS_INITIAL 64

struct slots {
    void **p;       /* p[slot]: the entry, or NULL */
    uint32_t *free; /* freed slots, a stack */
    uint32_t nfree; /* entries on it */
    uint32_t used;  /* slots [0, used) have been handed out at least once */
    uint32_t cap;   /* room in p and free */
    uint32_t count; /* entries now in the table */
    uint32_t limit; /* never more entries than this */
};

/* An empty table for at most limit entries (capped at SLOTS_LIMIT_MAX).
 * Allocates nothing until the first slots_take. */
void slots_init(struct slots *t, uint32_t limit);
void slots_free(struct slots *t);
/* Put e in a free slot: the slot number, or -ENFILE (limit reached), or
 * -ENOMEM (the array could not grow). */
int64_t slots_take(struct slots *t, void *e);
/* Empty a slot that holds an entry. */
void slots_put(struct slots *t, uint32_t slot);
/* The entry in slot, or NULL (free, or beyond the table). */
void *slots_get(const struct slots *t, uint32_t slot);
/* For loops over every slot: slots [0, slots_end) may hold entries. */
uint32_t slots_end(const struct slots *t);

#endif
