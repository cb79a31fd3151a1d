/*
 * tcp_cc.h - TCP congestion-window algorithms, and the interface between
 * them and loss recovery.
 *
 * Owns: struct tcp_cc_ops, what an algorithm (NewReno in tcp_reno.c,
 * CUBIC in tcp_cubic.c) decides: how cwnd grows on a new ACK outside
 * recovery (slow start and congestion avoidance), what ssthresh becomes
 * at a congestion event, and what it keeps after a retransmission
 * timeout. Loss detection and recovery themselves (duplicate ACKs, fast
 * retransmit, NewReno partial ACKs, the RTO's loss window) are
 * tcp_cc.c's, the same for every algorithm; it calls the algorithm at
 * those points. The per-connection state of an algorithm lives in the
 * connection (struct tcp_pcb, union cc_priv), so nothing is allocated.
 *
 * The names are Linux's (TCP_CONGESTION, net.ipv4.tcp_congestion_control):
 * "reno" (which in Linux, as here, recovers with NewReno) and "cubic".
 * Windows are in bytes; SMSS is c->snd_mss.
 */
#ifndef USTACK_PROTO_TCP_CC_H
#define USTACK_PROTO_TCP_CC_H

#include <stdint.h>

struct stack;
struct tcp_pcb;

#define TCP_CA_NAME_MAX 16 /* as Linux: a name and its NUL */
#define TCP_CC_DEFAULT "cubic"

struct tcp_cc_ops {
    const char *name;
    /* Forget the algorithm's state (a new connection, or a switch of
     * algorithm on a live one); cwnd and ssthresh are left alone. */
    void (*init)(struct stack *s, struct tcp_pcb *c);
    /* A new ACK for acked bytes of data, outside loss recovery: grow
     * cwnd (slow start below ssthresh, congestion avoidance above). */
    void (*cong_avoid)(struct stack *s, struct tcp_pcb *c, uint32_t acked);
    /* A congestion event (the third duplicate ACK, or the first RTO of a
     * flight), before cwnd is reduced: the new ssthresh. */
    uint32_t (*ssthresh)(struct stack *s, struct tcp_pcb *c);
    /* After a retransmission timeout reduced cwnd to the loss window. */
    void (*on_rto)(struct stack *s, struct tcp_pcb *c);
};

/* CUBIC's per-connection state (RFC 9438 §4.1.2; bytes, ms and µs). */
struct tcp_cubic {
    uint32_t w_max;       /* W_max; 0: none yet (K = 0 from cwnd_epoch) */
    uint32_t cwnd_prior;  /* cwnd when ssthresh was last set */
    uint32_t w_est;       /* W_est, the Reno-friendly estimate */
    int64_t k_ms;         /* K; negative when cwnd_epoch > W_max */
    uint64_t t_epoch_us;  /* t_epoch, moved on past application-limited time */
    uint64_t t_last_us;   /* the previous ACK of this stage */
    uint64_t grow_rem;    /* what the byte divisions left over */
    uint64_t est_rem;
    uint8_t in_epoch;     /* a congestion avoidance stage has started */
    uint8_t after_rto;    /* §4.8: the next stage starts with K = 0 */
    uint8_t idle;         /* the previous ACK left nothing in flight */
};

extern const struct tcp_cc_ops tcp_reno_ops;
extern const struct tcp_cc_ops tcp_cubic_ops;

/* The algorithm of that name; NULL if there is none. NULL finds the
 * default (TCP_CC_DEFAULT). */
const struct tcp_cc_ops *tcp_cc_find(const char *name);

/* Shared by the algorithms: RFC 5681 §3.1 slow start (with RFC 3465's
 * L = 2 SMSS), and the floor of 2 SMSS for a new ssthresh. */
void tcp_cc_slow_start(struct tcp_pcb *c, uint32_t acked);
uint32_t tcp_cc_ssthresh_floor(const struct tcp_pcb *c, uint64_t ssthresh);

#endif
