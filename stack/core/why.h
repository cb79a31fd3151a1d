/*
 * why.h - why a frame leaves: the reason the engine records for the
 * capture's packet comments.
 *
 * Owns: the list of reasons and their text. A site that is about to send
 * records a reason (stack_why() in stack_var.h: a kind and up to three
 * numbers, a few stores); stack_xmit() formats it, only when the device
 * chain keeps notes (a capture), and hands the line to the device
 * (dev_note). A reason is used by one frame, then cleared; the entry
 * points clear what is left, so a reason never reaches the frame of a
 * later event. TCP picks a reason that fits the segment it builds
 * (tcp_xmit: an ACK's reason waits while data goes first) and falls back
 * on one that describes the segment.
 *
 * Each text names the rule being applied, as the comments in the code do.
 */
#ifndef USTACK_CORE_WHY_H
#define USTACK_CORE_WHY_H

#include <stddef.h>
#include <stdint.h>

/* clang-format off */
#define WHY_LIST(X)                                                                      \
    X(NONE)                                                                              \
    X(ARP_REQUEST) X(ARP_REPLY) X(ARP_ANNOUNCE) X(ARP_RESOLVED)                          \
    X(ECHO_REPLY) X(ECHO_REQUEST) X(ICMP_UNREACH) X(ICMP_TIME_EXCEEDED) X(UDP_DATA)      \
    X(SYN) X(SYN_ACK) X(SYN_ACK_COOKIE)                                                  \
    X(ACK) X(ACK_SYN_ACK) X(ACK_DELAYED_2ND) X(ACK_DELAYED_TIMER) X(ACK_OOO) X(ACK_HOLE_FILLED)        \
    X(ACK_FIN) X(ACK_PAWS) X(ACK_UNSENT) X(ACK_OUT_OF_WINDOW) X(CHALLENGE_ACK) X(WINDOW_UPDATE)      \
    X(TIME_WAIT_ACK)                                                                     \
    X(DATA) X(DATA_APP) X(FIN_APP) X(RETRANSMIT) X(RTO) X(FAST_RETRANSMIT)               \
    X(PARTIAL_ACK) X(SACK_RETRANSMIT) X(TLP) X(ZERO_WINDOW_PROBE) X(PERSIST_FORCE)       \
    X(KEEPALIVE)                                                                         \
    X(RST_NO_LISTENER) X(RST_LISTEN_ACK) X(RST_BAD_ACK) X(RST_ABORT) X(RST_OTHER)
/* clang-format on */

#define WHY_ENUM_(k) WHY_##k,
enum why_kind { WHY_LIST(WHY_ENUM_) WHY_NKINDS };
#undef WHY_ENUM_

struct why {
    uint8_t kind; /* enum why_kind; WHY_NONE: nothing recorded */
    uint32_t a, b, c;
};

/* The comment for a frame sent with reason w (WHY_NONE gives a line that
 * says nothing was recorded). Returns buf. */
const char *why_fmt(const struct why *w, char *buf, size_t len);

/* TCP: may reason kind explain a segment with these properties? (data:
 * it carries data or a FIN; syn: a SYN; an RST goes without tcp_xmit.) */
int why_fits_tcp(enum why_kind kind, int data, int syn);

#endif
