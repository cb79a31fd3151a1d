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

/* The counters that count input dropped for a reason (the rest count
 * traffic, events and what was sent). Not here: counters of input that
 * was still taken (tcp.rx_dup_data: the new part of the segment is;
 * tcp.rx_syn_queue_full, tcp.mem_refused: a SYN cookie answers;
 * tcp.rx_sack_bad: only the block is ignored). */
/* clang-format off */
static const char *const drop_names[] = {
    "eth.rx_runt", "eth.rx_too_long", "eth.rx_not_for_us", "eth.rx_unknown_type",
    "eth.rx_nobufs", "arp.rx_bad_len", "arp.rx_bad_hw", "arp.rx_bad_op",
    "arp.rx_bad_sender", "arp.rx_not_for_us", "ipv4.rx_bad_len", "ipv4.rx_bad_version",
    "ipv4.rx_bad_ihl", "ipv4.rx_bad_total_len", "ipv4.rx_bad_cksum", "ipv4.rx_bad_frag",
    "ipv4.rx_bad_src", "ipv4.rx_not_for_us", "ipv4.rx_link_bcast", "ipv4.rx_unknown_proto",
    "ipv4.reass_dup", "ipv4.reass_overlap", "ipv4.reass_too_big", "ipv4.reass_no_mem",
    "icmp.rx_bad_len", "icmp.rx_bad_cksum", "icmp.rx_bcast_echo", "icmp.rx_unknown_type",
    "udp.rx_bad_len", "udp.rx_bad_cksum", "udp.rx_no_port", "udp.rx_queue_full",
    "udp.rx_no_mem", "tcp.rx_bad_len", "tcp.rx_bad_doff", "tcp.rx_bad_cksum",
    "tcp.rx_bad_opt", "tcp.rx_no_conn", "tcp.rx_bcast", "tcp.rx_out_of_window",
    "tcp.rx_ooo_dropped", "tcp.rx_rst_challenged",
    "tcp.rx_syn_challenged", "tcp.rx_ack_challenged", "tcp.rx_ack_unsent", "tcp.rx_paws",
    "tcp.rx_accept_queue_full", "tcp.rx_icmp_short",
    "tcp.rx_icmp_no_conn", "tcp.rx_icmp_bad_seq", "tcp.rx_icmp_pmtu_stale",
    "tcp.rx_icmp_pmtu_handshake",
    "tcp.rx_ooo_ranges_full", "tcp.syncookies_bad",
};
/* clang-format on */

static int
is_drop(const char *name)
{
    for (size_t i = 0; i < sizeof(drop_names) / sizeof(drop_names[0]); i++)
        if (strcmp(drop_names[i], name) == 0)
            return 1;
    return 0;
}

const char *
stats_first_drop(const struct stats *before, const struct stats *after)
{
    for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
        size_t off = entries[i].off;
        if (value_at(after, off) > value_at(before, off) && is_drop(entries[i].name))
            return entries[i].name;
    }
    return NULL;
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
