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

struct stack;
struct pkb;
struct ip_meta;

#define UDP_RCVBUF_DEFAULT 212992 /* as Linux's net.core.rmem_default */
#define UDP_RCVBUF_MIN 2048
#define UDP_RCVBUF_MAX (4 * 1024 * 1024)
/* The receive queue is charged the buffer each datagram holds, not its
 * payload (as Linux charges truesize), so empty datagrams cannot pile up
 * without bound; one datagram is always accepted into an empty queue; and
 * all UDP queues together may hold at most half the engine's buffers. */
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

/* The socket interface. Errors are negative errnos as the kernel gives them. */
struct udp_pcb *udp_open(struct stack *s, void *owner);
void udp_close(struct stack *s, struct udp_pcb *u);
/* port 0: an ephemeral port. addr 0: any. -EADDRINUSE, -EADDRNOTAVAIL,
 * -EINVAL (already bound). */
int udp_bind(struct stack *s, struct udp_pcb *u, uint32_t addr, uint16_t port);
/* addr 0 and port 0 dissolve the association (AF_UNSPEC). Binds an
 * ephemeral port first if needed. */
int udp_connect(struct stack *s, struct udp_pcb *u, uint32_t addr, uint16_t port);
/* dst 0: to the connected peer (-EDESTADDRREQ if none). Returns len, or
 * -EMSGSIZE, -EACCES (broadcast without SO_BROADCAST), -EHOSTUNREACH,
 * -ENOBUFS, -EAGAIN (no ephemeral port free). */
ssize_t udp_sendto(struct stack *s, struct udp_pcb *u, const void *buf, size_t len,
                   uint32_t dst, uint16_t dport);
/* The oldest queued datagram, or NULL: payload, its length and source. */
const uint8_t *udp_front(const struct udp_pcb *u, size_t *len, uint32_t *src,
                         uint16_t *sport);
void udp_pop(struct stack *s, struct udp_pcb *u);
/* The pending error (positive errno) or 0; clears it, as SO_ERROR does. */
int udp_take_error(struct udp_pcb *u);
void udp_set_rcvbuf(struct udp_pcb *u, uint32_t bytes);

#endif
