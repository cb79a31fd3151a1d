/*
 * quota.c - sockets per daemon, uid and process. See quota.h.
 */
#include "daemon/quota.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/slots.h"

struct quota_ent {
    uint32_t key;
    uint32_t count;
    struct quota_ent *next;
};

void
quota_limits_default(struct quota_limits *l, uint64_t fd_limit)
{
    uint64_t table =
        fd_limit > 2 * QUOTA_FD_RESERVE ? fd_limit - QUOTA_FD_RESERVE : fd_limit / 2;

    if (table > SLOTS_LIMIT_MAX)
        table = SLOTS_LIMIT_MAX;
    if (table < 1)
        table = 1;
    l->table = (uint32_t)table;
    if (!l->per_uid)
        l->per_uid = l->table / 2 ? l->table / 2 : 1;
    if (!l->per_process)
        l->per_process = l->table / 4 ? l->table / 4 : 1;
    if (l->per_uid > l->table)
        l->per_uid = l->table;
    if (l->per_process > l->table)
        l->per_process = l->table;
}

static uint32_t
quota_hash(uint32_t key)
{
    return (key * 2654435761u) >> 22; /* Knuth's multiplicative: 10 bits */
}

static struct quota_ent **
quota_find(struct quota_map *m, uint32_t key)
{
    struct quota_ent **pp = &m->b[quota_hash(key) % QUOTA_BUCKETS];

    while (*pp && (*pp)->key != key)
        pp = &(*pp)->next;
    return pp;
}

static uint32_t
quota_get(const struct quota_map *m, uint32_t key)
{
    for (const struct quota_ent *e = m->b[quota_hash(key) % QUOTA_BUCKETS]; e;
         e = e->next)
        if (e->key == key)
            return e->count;
    return 0;
}

static int
quota_add(struct quota_map *m, uint32_t key)
{
    struct quota_ent **pp = quota_find(m, key);

    if (!*pp) {
        struct quota_ent *e = calloc(1, sizeof(*e));
        if (!e)
            return -ENOMEM;
        e->key = key;
        *pp = e;
        m->keys++;
    }
    (*pp)->count++;
    return 0;
}

static void
quota_sub(struct quota_map *m, uint32_t key)
{
    struct quota_ent **pp = quota_find(m, key), *e = *pp;

    if (!e)
        return;
    if (--e->count == 0) {
        *pp = e->next;
        free(e);
        m->keys--;
    }
}

static void
quota_map_free(struct quota_map *m)
{
    for (unsigned i = 0; i < QUOTA_BUCKETS; i++) {
        while (m->b[i]) {
            struct quota_ent *e = m->b[i];
            m->b[i] = e->next;
            free(e);
        }
    }
    m->keys = 0;
}

void
quota_init(struct quota *q, const struct quota_limits *l)
{
    memset(q, 0, sizeof(*q));
    q->lim = *l;
}

void
quota_free(struct quota *q)
{
    quota_map_free(&q->uid);
    quota_map_free(&q->pid);
    q->total = 0;
}

int
quota_charge(struct quota *q, uid_t uid, pid_t pid)
{
    /* as the kernel's socket(2): the descriptor (EMFILE) before the file
     * (ENFILE) */
    if (quota_get(&q->pid, (uint32_t)pid) >= q->lim.per_process ||
        quota_get(&q->uid, (uint32_t)uid) >= q->lim.per_uid)
        return -EMFILE;
    if (q->total >= q->lim.table)
        return -ENFILE;
    if (quota_add(&q->pid, (uint32_t)pid) < 0)
        return -ENOMEM;
    if (quota_add(&q->uid, (uint32_t)uid) < 0) {
        quota_sub(&q->pid, (uint32_t)pid);
        return -ENOMEM;
    }
    q->total++;
    return 0;
}

void
quota_release(struct quota *q, uid_t uid, pid_t pid)
{
    quota_sub(&q->pid, (uint32_t)pid);
    quota_sub(&q->uid, (uint32_t)uid);
    if (q->total)
        q->total--;
}

uint32_t
quota_of_uid(const struct quota *q, uid_t uid)
{
    return quota_get(&q->uid, (uint32_t)uid);
}

uint32_t
quota_of_pid(const struct quota *q, pid_t pid)
{
    return quota_get(&q->pid, (uint32_t)pid);
}
