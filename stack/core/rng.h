/*
 * rng.h - the stack's deterministic random number generator.
 *
 * Owns: every random choice the engine makes (the IP ID secret, ISNs,
 * ephemeral ports, the challenge-ACK budget). Protocol code never calls rand(): the daemon
 * seeds this from getrandom(), tests seed it with a constant, and the same
 * seed with the same input gives the same frames byte for byte.
 * xoshiro256** seeded through splitmix64 (public-domain algorithms by
 * Blackman and Vigna); not for cryptographic secrets on its own.
 */
#ifndef USTACK_CORE_RNG_H
#define USTACK_CORE_RNG_H

#include <stdint.h>

struct rng {
    uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_u64(struct rng *r);
uint32_t rng_u32(struct rng *r);
/* Uniform in [lo, hi], hi >= lo. */
uint32_t rng_range(struct rng *r, uint32_t lo, uint32_t hi);

#endif
