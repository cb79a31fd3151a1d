/*
 * cksum.h - the Internet checksum (RFC 1071).
 *
 * Owns: the one's-complement sum used by IPv4, ICMP, UDP and TCP, and the
 * IPv4 pseudo-header sum (RFC 793 §3.1 / RFC 768). Odd lengths are padded
 * with a zero byte as RFC 1071 §4.1 says.
 */
#ifndef USTACK_CORE_CKSUM_H
#define USTACK_CORE_CKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add len bytes at b to a running 32-bit sum (not yet folded). */
uint32_t cksum_add(uint32_t sum, const uint8_t *b, size_t len);
/* Fold a running sum to 16 bits and complement it. */
uint16_t cksum_finish(uint32_t sum);
/* Checksum of one buffer: cksum_finish(cksum_add(0, b, len)). A buffer that
 * already holds a correct checksum field sums to 0. */
uint16_t cksum(const uint8_t *b, size_t len);
/* Running sum of the IPv4 pseudo header (addresses host order). */
uint32_t cksum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

#endif
