/*
 * udp_api.h - what the socket layer (ustackd's sock_udp.c) sees of UDP.
 *
 * Owns: the calls on an endpoint and the accessors of its state and
 * options. The endpoint is an opaque struct udp_pcb: its layout is the
 * engine's (proto/udp.h), which the daemon never includes. udp.c
 * implements it.
 */
#ifndef USTACK_PROTO_UDP_API_H
#define USTACK_PROTO_UDP_API_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct stack;
struct udp_pcb;

#define UDP_RCVBUF_DEFAULT 212992 /* as Linux's net.core.rmem_default */
#define UDP_RCVBUF_MIN 2048
#define UDP_RCVBUF_MAX (4 * 1024 * 1024)
/* The receive queue is charged the buffer each datagram holds, not its
 * payload (as Linux charges truesize), so empty datagrams cannot pile up
 * without bound; one datagram is always accepted into an empty queue; and
 * all UDP queues together may hold at most half the engine's buffers. */
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

/* A pending error (positive errno), left pending; 0 if none. */
int udp_error(const struct udp_pcb *u);
uint32_t udp_rcvbuf(const struct udp_pcb *u);
/* The local and the connected address and port (0 when unset). */
void udp_local_name(const struct udp_pcb *u, uint32_t *addr, uint16_t *port);
void udp_peer_name(const struct udp_pcb *u, uint32_t *addr, uint16_t *port);
/* SO_BROADCAST, SO_REUSEADDR */
void udp_set_broadcast(struct udp_pcb *u, int on);
int udp_broadcast(const struct udp_pcb *u);
void udp_set_reuseaddr(struct udp_pcb *u, int on);
int udp_reuseaddr(const struct udp_pcb *u);
/* Payload bytes queued for the application. */
uint32_t udp_rx_queued(const struct udp_pcb *u);

#endif
