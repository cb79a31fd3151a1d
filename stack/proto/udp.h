/*
 * udp.h - UDP (RFC 768, RFC 1122 §4.1) and its sockets inside the engine.
 *
 * Owns: the table of UDP endpoints (struct udp_pcb: "protocol control
 * block", the BSD name), demultiplexing received datagrams to them, a
 * bounded receive queue per endpoint (overflow dropped and counted, never
 * blocking the stack), ICMP port unreachable for closed ports, ephemeral
 * ports (RFC 6056 §3.3.1: random from 49152-65535), and the asynchronous
 * error a connected endpoint gets from an ICMP port unreachable.
 *
 * This is the interface ustackd's socket layer uses; the engine knows
 * nothing of file descriptors. When an endpoint becomes readable or gets
 * an error, the engine calls cfg.notify(cfg.notify_ctx, pcb->owner).
 * Leaves out: multicast, IP_RECVERR-style errors on unconnected sockets,
 * UDP-Lite.
 */
#ifndef USTACK_PROTO_UDP_H
#define USTACK_PROTO_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/udp_api.h"

struct stack;
struct pkb;
struct ip_meta;

#define UDP_EPHEMERAL_LO 49152
#define UDP_EPHEMERAL_HI 65535

struct udp_pcb {
    struct udp_pcb *next;
    void *owner;       /* the socket layer's object, handed to notify */
    uint32_t laddr;    /* 0 = any */
    uint16_t lport;    /* 0 = not bound */
    uint32_t raddr;    /* 0 = not connected */
    uint16_t rport;
    uint8_t broadcast; /* SO_BROADCAST */
    uint8_t reuseaddr; /* SO_REUSEADDR */
    uint8_t laddr_auto; /* laddr was chosen by connect, not by bind */
    int so_error;      /* pending error (positive errno), read once */
    struct pkb *rxq;   /* datagrams, oldest first; pkb->aux = source
                          address, aux2 = source port */
    struct pkb *rxq_tail;
    uint32_t rxq_bytes;    /* payload bytes queued (what ustat shows) */
    uint32_t rxq_truesize; /* buffer bytes queued: what SO_RCVBUF limits */
    uint32_t rcvbuf;       /* SO_RCVBUF */
};

void udp_input(struct stack *s, struct pkb *p, const struct ip_meta *m);
/* An ICMP error quoting one of our UDP datagrams (quoted IP header at q,
 * q_len bytes including at least 8 of UDP). */
void udp_icmp_error(struct stack *s, uint8_t type, uint8_t code, const uint8_t *q,
                    size_t q_len);
void udp_free_all(struct stack *s);

#endif
