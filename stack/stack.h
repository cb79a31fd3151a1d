/*
 * stack.h - the engine's public interface.
 *
 * Owns: creating an engine and driving it. The engine is single-threaded
 * and keeps no clock or randomness of its own:
 *   stack_input(s, frame, len, now)  one received Ethernet frame
 *   stack_poll(s, now)               run due timers and queued output
 *   stack_poll_at(s)                 when the next stack_poll is due
 * Output leaves through the struct dev given to stack_new(). Two engines
 * may live in one process (no globals), which is how the tests run them
 * back to back over a loop device.
 */
#ifndef USTACK_STACK_H
#define USTACK_STACK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/stats.h"

struct dev;
struct stack;

#define STACK_NEVER UINT64_MAX

struct stack_config {
    uint8_t mac[6];
    uint32_t addr;          /* our IPv4 address, host order */
    uint8_t prefix_len;     /* on-link prefix, e.g. 24 */
    uint32_t gateway;       /* default gateway, host order; 0 = none */
    uint16_t mtu;           /* IP MTU of the link (576..9000), default 1500 */
    uint64_t seed;          /* RNG seed: same seed + same input = same output */
    uint32_t arp_timeout_s; /* cache entry lifetime, default 60 */
    uint32_t arp_retries;   /* requests before giving up, default 3 */
    uint32_t arp_retry_ms;  /* between requests, default 1000 */
    uint32_t arp_queue_len; /* packets held per unresolved entry, default 64:
                              the fragments of one 64 KiB datagram */
    uint32_t reass_timeout_s;  /* RFC 791 reassembly timer, default 30 */
    uint32_t reass_max_bytes;  /* buffer bytes held by reassembly, default 1 MiB */
    uint32_t reass_max_count;  /* datagrams under reassembly at once, default 16 */
    uint32_t icmp_rate_per_s;  /* ICMP error token refill, default 100 */
    uint32_t icmp_burst;       /* ICMP error bucket size, default 50 */
    uint32_t pkb_count;        /* frames in the buffer pool, default 1024 */
    uint32_t tcp_rto_min_ms;   /* RFC 6298 minimum RTO, default 200 (Linux) */
    uint32_t tcp_msl_s;        /* maximum segment lifetime, default 30:
                                  TIME_WAIT lasts 2 MSL */
    uint32_t tcp_challenge_per_s; /* RFC 5961 §7 challenge ACKs a second, 1000 on
                                     average (each second's budget is random) */
    uint64_t tcp_mem_max;      /* bytes all TCP connections may hold: blocks,
                                  rings, SYN-queue entries, TIME_WAIT records;
                                  default 1 GiB. Past it new connections are
                                  refused (SYNs get cookies) */
    const char *tcp_cc;        /* congestion control of new connections, by
                                  Linux's name: "cubic" (default) or "reno" */
    /* Called when a socket endpoint (UDP pcb, later TCP) becomes readable
     * or gets an error: notify(notify_ctx, owner). May be NULL. */
    void (*notify)(void *notify_ctx, void *owner);
    void *notify_ctx;
    /* TCP's event trace (docs/TRACE.md): each event as one JSON line, its
     * newline included, to trace(trace_ctx, line, len). NULL: off. */
    void (*trace)(void *trace_ctx, const char *line, size_t len);
    void *trace_ctx;
    FILE *log_out;          /* NULL: silent */
    int log_level;          /* enum log_level */
};

/* Fill every field with its default (address 0: set addr before stack_new). */
void stack_config_defaults(struct stack_config *c);

/* NULL on a bad config (message on log_out) or out of memory. The engine
 * does not own dev; close it after stack_free(). */
struct stack *stack_new(const struct stack_config *c, struct dev *dev);
void stack_free(struct stack *s);

void stack_input(struct stack *s, const uint8_t *frame, size_t len, uint64_t now_us);
void stack_poll(struct stack *s, uint64_t now_us);
/* Next time stack_poll has work; STACK_NEVER if none. */
uint64_t stack_poll_at(const struct stack *s);

const struct stats *stack_stats(const struct stack *s);

/* One entry of the ARP cache (for ustat arp, like ip neigh). */
struct stack_neigh {
    uint32_t addr;
    uint8_t mac[6];
    uint8_t reachable; /* 0: INCOMPLETE (being resolved) */
    uint8_t tries;     /* requests sent while INCOMPLETE */
    uint32_t left_ms;  /* until expiry (REACHABLE) or the next request */
    uint32_t queued;   /* packets waiting for the address */
};
/* Fill up to max entries of the ARP cache; returns how many it holds. */
size_t stack_neighbours(const struct stack *s, struct stack_neigh *out, size_t max);

/* Send an ICMP echo request (a ping) with `len` payload bytes of a fixed
 * pattern. 0, or a negative errno (-EHOSTUNREACH, -ENOBUFS, -EMSGSIZE). */
int stack_ping(struct stack *s, uint32_t dst, uint16_t id, uint16_t seq,
               size_t len, uint64_t now_us);

/* 1 if the engine has a TCP congestion control of that name (what
 * cfg.tcp_cc and TCP_CONGESTION take), else 0. */
int stack_tcp_cc_known(const char *name);

/* "10.0.0.2" -> host order; -1 on failure. Likewise "10.0.0.2/24". */
int ip_parse(const char *str, uint32_t *addr);
int ip_prefix_parse(const char *str, uint32_t *addr, uint8_t *prefix_len);
/* "02:00:00:00:00:02" -> 6 bytes; -1 on failure. */
int mac_parse(const char *str, uint8_t mac[6]);
/* The default MAC for an address: locally administered 02:00:00 and the
 * address's low three bytes (10.0.0.2 -> 02:00:00:00:00:02). */
void mac_from_addr(uint32_t addr, uint8_t mac[6]);

#endif
