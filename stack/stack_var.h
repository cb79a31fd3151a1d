/*
 * stack_var.h - the inside of struct stack, for the protocol modules.
 *
 * Owns: the one structure that holds all engine state (no globals), and
 * the few helpers every layer uses: the clock, logging and transmission.
 * Applications and the daemon see only stack.h.
 */
#ifndef USTACK_STACK_VAR_H
#define USTACK_STACK_VAR_H

#include "core/log.h"
#include "core/pkb.h"
#include "core/rng.h"
#include "core/stats.h"
#include "core/why.h"
#include "proto/arp.h"
#include "proto/icmp.h"
#include "proto/ipv4.h"
#include "proto/ip_reass.h"
#include "proto/tcp.h"
#include "proto/udp.h"
#include "stack.h"

struct stack {
    struct stack_config cfg;
    struct dev *dev;
    uint8_t mac[6];
    uint32_t addr;     /* host order */
    uint32_t netmask;
    uint32_t bcast;    /* subnet broadcast */
    uint64_t now_us;   /* time of the current input or poll */
    int announced;     /* gratuitous ARP sent */
    uint8_t ip_id_key[16];  /* IPv4 identification (RFC 7739 §5.3): */
    uint16_t ip_ids[IPV4_ID_BUCKETS]; /* the secret and the counters */
    struct pkb *loop_head, *loop_tail; /* datagrams to ourselves */
    uint32_t loop_len;
    struct rng rng;
    struct log log;
    struct stats stats;
    struct why why; /* why the next frame leaves (core/why.h) */
    struct pkb_pool pool;
    struct arp_cache arp;
    struct ip_reass reass;
    struct icmp_state icmp;
    struct {
        struct udp_pcb *pcbs;
        uint32_t rx_bufs; /* buffers held by all UDP receive queues */
    } udp;
    struct {
        struct tcp_pcb *pcbs;
        size_t n_pcbs;
        struct tcp_pcb **heap; /* tcp_timer.c: by earliest deadline */
        uint32_t heap_n, heap_cap;
        struct tcp_pcb **due; /* one poll's due blocks */
        uint32_t due_cap;
        struct tcp_pcb *reap;         /* blocks that may be freed */
        uint8_t polling;              /* tcp_poll runs: tcp_reap waits */
        uint64_t next_id;             /* numbers blocks as they open */
        uint8_t hash_key[16];         /* the lookup tables' secret */
        struct htab conns, listeners; /* tcp_hash.c */
        struct htab synq, tws;
        const struct tcp_cc_ops *cc;  /* new connections' (cfg.tcp_cc) */
        uint8_t isn_key[16];        /* RFC 6528 secret, from the RNG */
        uint64_t challenge_sec;     /* RFC 5961 §7 rate limit: the second */
        uint32_t challenge_left;    /* and what is left of its budget */
        uint64_t mem_used;          /* bytes charged (cfg.tcp_mem_max) */
        struct tcp_tw *tw, *tw_tail; /* TIME_WAIT records, by expiry */
        size_t n_tw;
        uint64_t syn_log_us;        /* the flood summary's second began */
        uint32_t syn_log_cookies, syn_log_dropped;
        struct tcp_trace *trace;    /* tcp_trace.c, while cfg.trace is set */
    } tcp;
};

/* The arguments (often a header formatted for the line) are evaluated only
 * when the line is kept: a debug line costs nothing on the hot path. */
#define SLOG(s, lvl_, module, ...)                                                       \
    ((s)->log.out && (lvl_) <= (s)->log.level                                            \
         ? log_line(&(s)->log, (lvl_), (s)->now_us, (module), __VA_ARGS__)               \
         : (void)0)

/* Record why the next frame leaves (core/why.h): one line at the site
 * that decides to send; formatted only when a capture wants it. */
static inline void
stack_why(struct stack *s, enum why_kind kind, uint32_t a, uint32_t b, uint32_t c)
{
    s->why = (struct why){.kind = (uint8_t)kind, .a = a, .b = b, .c = c};
}

/* Hand a finished frame to the device; consumes p. */
void stack_xmit(struct stack *s, struct pkb *p);

/* True for 0.0.0.0, limited and subnet broadcast, multicast, loopback:
 * addresses that may not be the source of a datagram we accept. */
int stack_addr_is_martian(const struct stack *s, uint32_t a);
/* The address is the limited or our subnet broadcast. */
int stack_addr_is_bcast(const struct stack *s, uint32_t a);

#endif
