/*
 * tcp_trace.h - TCP's event trace: one JSON object a line for each state
 * change, segment in and out, change of the congestion and RTT variables,
 * timer armed, stopped or fired, application read or write, and queue
 * level, stamped with the engine's clock (docs/TRACE.md has the schema).
 *
 * Owns: the formatting of the events and what the trace remembers of each
 * connection (its short id, both ISNs so that sequence numbers are
 * relative, both window shifts, the last values reported). The TCP modules
 * call in through TCP_TRACE, one line each; with cfg.trace NULL that is
 * one branch and nothing else.
 *
 * Leaves out: the SYN queue's own SYN,ACK timer (its segments are traced),
 * and anything that is not TCP.
 */
#ifndef USTACK_PROTO_TCP_TRACE_H
#define USTACK_PROTO_TCP_TRACE_H

#include <stddef.h>
#include <stdint.h>

struct stack;
struct tcp_pcb;
struct tcp_repr;
struct tcp_tw;

/* call runs only when a trace sink is set. */
#define TCP_TRACE(s, call) ((s)->cfg.trace ? (void)(call) : (void)0)

/* c goes from its state to `to` because of why. */
void tcp_trace_state(struct stack *s, const struct tcp_pcb *c, int to, const char *why);
/* A segment r with len data bytes, out (1: we send it) or in, between our
 * laddr and the peer's raddr. */
void tcp_trace_seg(struct stack *s, int out, const struct tcp_repr *r, uint32_t laddr,
                   uint32_t raddr, uint32_t len);
/* tcp_xmit's segment: c's variables first (what allowed it), then it. */
void tcp_trace_xmit(struct stack *s, const struct tcp_pcb *c, const struct tcp_repr *r,
                    uint32_t len);
/* Report c's congestion and RTT variables, timers and queues where they
 * changed since last reported; why (may be NULL) says what changed them. */
void tcp_trace_vars(struct stack *s, const struct tcp_pcb *c, const char *why);
/* An RTT measurement of rtt_us, just folded into c's SRTT and RTO. */
void tcp_trace_rtt(struct stack *s, const struct tcp_pcb *c, uint32_t rtt_us);
/* c's timers that are due now, about to run. */
void tcp_trace_fired(struct stack *s, const struct tcp_pcb *c);
/* The application wrote (write 1) or read n bytes. */
void tcp_trace_app(struct stack *s, const struct tcp_pcb *c, int write, size_t n);
/* A TIME-WAIT record takes over a connection (ends 0) or goes (ends 1). */
void tcp_trace_tw(struct stack *s, const struct tcp_tw *tw, int ends);
/* The engine goes: the trace stops, and what it remembers goes. */
void tcp_trace_free(struct stack *s);

#endif
