/*
 * seq.h - TCP sequence number arithmetic (RFC 9293 §3.4, RFC 1982).
 *
 * Owns: the only comparisons allowed on sequence numbers. A raw `<` on
 * two tcp_seq values is a bug at the wrap; use these.
 */
#ifndef USTACK_CORE_SEQ_H
#define USTACK_CORE_SEQ_H

#include <stdint.h>

typedef uint32_t tcp_seq;

static inline int seq_lt(tcp_seq a, tcp_seq b) { return (int32_t)(a - b) < 0; }
static inline int seq_le(tcp_seq a, tcp_seq b) { return (int32_t)(a - b) <= 0; }
static inline int seq_gt(tcp_seq a, tcp_seq b) { return (int32_t)(a - b) > 0; }
static inline int seq_ge(tcp_seq a, tcp_seq b) { return (int32_t)(a - b) >= 0; }

#endif
