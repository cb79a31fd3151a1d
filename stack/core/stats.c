/*
 * stats.c - counter lookup and printing, generated from the lists in stats.h.
 */
#include "core/stats.h"

#include <stddef.h>
#include <string.h>

struct stats_entry {
    const char *name;
    size_t off;
};

#define ENTRY_(mod, name) {#mod "." #name, offsetof(struct stats, mod.name)},
#define MOD_(mod, LIST) LIST(ENTRY_##mod)
#define ENTRY_eth(n) ENTRY_(eth, n)
#define ENTRY_arp(n) ENTRY_(arp, n)
#define ENTRY_ipv4(n) ENTRY_(ipv4, n)
#define ENTRY_icmp(n) ENTRY_(icmp, n)
#define ENTRY_udp(n) ENTRY_(udp, n)
#define ENTRY_tcp(n) ENTRY_(tcp, n)
static const struct stats_entry entries[] = {STATS_MODULES(MOD_)};

static uint64_t
value_at(const struct stats *st, size_t off)
{
    return *(const uint64_t *)((const char *)st + off);
}

int64_t
stats_get(const struct stats *st, const char *name)
{
    for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
        if (strcmp(entries[i].name, name) == 0)
            return (int64_t)value_at(st, entries[i].off);
    return -1;
}

void
stats_print(const struct stats *st, FILE *f)
{
    int shown = 0;

    for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
        uint64_t v = value_at(st, entries[i].off);
        if (v) {
            fprintf(f, "  %-24s %llu\n", entries[i].name, (unsigned long long)v);
            shown++;
        }
    }
    fprintf(f, "  (%d of %zu counters non-zero)\n", shown,
            sizeof(entries) / sizeof(entries[0]));
}
