/*
 * htab.h - an intrusive hash table of chains that grows by doubling.
 *
 * Owns: the buckets; the caller embeds a struct hnode (one pointer) in
 * each element and computes its 64-bit hash (a keyed one, siphash24,
 * where a remote peer chooses the key: then it cannot aim every element
 * at one chain). The hash is not stored, to keep small records small
 * (tcp_tw.c's): the table asks the caller's hash function for it when it
 * grows. Lookup walks the chain of a hash's bucket; the caller compares
 * the key. No allocation per element: only the bucket array, which
 * doubles when the table holds more elements than buckets (if that
 * allocation fails, the table keeps working with longer chains).
 *
 * Leaves out: shrinking, iteration over every element.
 */
#ifndef USTACK_CORE_HTAB_H
#define USTACK_CORE_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct hnode {
    struct hnode *next;
};

/* The hash of element e (the one htab_insert was given). */
typedef uint64_t (*htab_hash_fn)(const struct hnode *e, const void *ctx);

struct htab {
    struct hnode **b;
    uint32_t mask; /* buckets - 1 */
    size_t n;      /* elements */
    htab_hash_fn hash;
    const void *ctx;
};

#define HTAB_MIN_BUCKETS 64

/* The element that holds member m at address p. */
#define HTAB_ENTRY(p, type, m) ((type *)(void *)((char *)(p)-offsetof(type, m)))

/* 0, or -ENOMEM. */
int htab_init(struct htab *t, htab_hash_fn hash, const void *ctx);
void htab_free(struct htab *t);
void htab_insert(struct htab *t, struct hnode *e, uint64_t hash);
/* e, in t with this hash, leaves it. */
void htab_remove(struct htab *t, struct hnode *e, uint64_t hash);
/* The chain that holds every element of this hash (and others): walk it
 * with e->next, comparing keys. */
struct hnode *htab_chain(const struct htab *t, uint64_t hash);
/* Buckets now (tests). */
size_t htab_buckets(const struct htab *t);

#endif
