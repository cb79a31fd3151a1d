/*
 * tcp_hdr.h - TCP header and options (RFC 9293 §3.1, §3.2).
 *
 * Owns: parse of a received segment (data offset, checksum over the pseudo
 * header, options walked defensively) and emit of the segments we send.
 * Options understood: End, NOP, MSS (RFC 9293 §3.7.1), Window Scale
 * (RFC 7323 §2), SACK-Permitted and SACK (RFC 2018 §2, §3), Timestamps
 * (RFC 7323 §3). Others are skipped by their length; a zero, one-byte or
 * overrunning length, or a known kind with the wrong length, makes the
 * whole segment malformed.
 */
#ifndef USTACK_WIRE_TCP_HDR_H
#define USTACK_WIRE_TCP_HDR_H

#include <stddef.h>
#include <stdint.h>

#include "core/seq.h"

#define TCP_HDR_MIN 20
#define TCP_HDR_MAX 60

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

#define TCP_OPT_END 0
#define TCP_OPT_NOP 1
#define TCP_OPT_MSS 2
#define TCP_OPT_WSCALE 3
#define TCP_OPT_SACK_PERM 4
#define TCP_OPT_SACK 5
#define TCP_OPT_TS 8

#define TCP_OPT_SPACE 40  /* TCP_HDR_MAX - TCP_HDR_MIN */
#define TCP_SACK_MAX 4    /* blocks in one option: 2 + 4 * 8 = 34 bytes */
#define TCP_TS_LEN 12     /* NOP NOP kind len TSval TSecr */

/* RFC 2018 §3: one block, [left, right) of data the receiver holds. */
struct tcp_sack_block {
    tcp_seq left, right;
};

struct tcp_repr {
    uint16_t sport, dport;
    tcp_seq seq, ack;
    uint8_t hdr_len; /* bytes, 20..60 */
    uint8_t flags;
    uint16_t wnd;    /* as on the wire (unscaled) */
    uint16_t urg;
    uint16_t mss;    /* 0: option absent */
    uint8_t wscale;  /* valid when has_wscale */
    uint8_t has_wscale;
    uint8_t sack_perm; /* SACK-Permitted (on a SYN) */
    uint8_t has_ts;
    uint32_t tsval, tsecr; /* valid when has_ts */
    uint8_t nsack;   /* blocks in sack[]; emit sends as many as fit */
    struct tcp_sack_block sack[TCP_SACK_MAX];
};

enum tcp_bad { TCP_BAD_NONE, TCP_BAD_LEN, TCP_BAD_DOFF, TCP_BAD_CKSUM, TCP_BAD_OPT };

/* Parse the segment of len bytes IP delivered from src to dst. 0, or
 * -EBADMSG with *why. */
int tcp_parse(const uint8_t *b, size_t len, uint32_t src, uint32_t dst,
              struct tcp_repr *r, enum tcp_bad *why);
/* Header length tcp_emit will write for r: MSS, SACK-Permitted,
 * timestamps, window scale (in Linux's order and layout), then as many of
 * the SACK blocks as fit in the 40 bytes of option space. */
size_t tcp_hdr_len(const struct tcp_repr *r);
/* Write the header (and options) at b; the payload must already follow it;
 * len = header + payload. Returns the header length, or -EMSGSIZE. */
int tcp_emit(const struct tcp_repr *r, uint8_t *b, size_t len, uint32_t src,
             uint32_t dst);
/* SACK blocks tcp_emit will write for r (nsack, or fewer if they don't fit). */
unsigned tcp_sack_fit(const struct tcp_repr *r);
/* "S." style flags and seq/ack/win, like tcpdump. */
const char *tcp_fmt(const struct tcp_repr *r, size_t payload, char *buf, size_t cap);

#endif
