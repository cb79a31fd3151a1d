/*
 * siphash.h - SipHash-2-4 (Aumasson and Bernstein), a keyed hash.
 *
 * Owns: the keyed hash behind TCP initial sequence numbers (RFC 6528 §3:
 * ISN = M + F(localip, localport, remoteip, remoteport, secretkey)).
 */
#ifndef USTACK_CORE_SIPHASH_H
#define USTACK_CORE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

#endif
