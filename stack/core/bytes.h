/*
 * bytes.h - big-endian field accessors for wire formats.
 *
 * Owns: reading and writing network-order integers at a byte pointer.
 * Every header parser and emitter goes through these instead of struct
 * overlays, so alignment and byte order are never an issue.
 */
#ifndef USTACK_CORE_BYTES_H
#define USTACK_CORE_BYTES_H

#include <stdint.h>

static inline uint16_t
be16_get(const uint8_t *b)
{
    return (uint16_t)((uint16_t)b[0] << 8 | b[1]);
}

static inline uint32_t
be32_get(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline void
be16_put(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static inline void
be32_put(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

#endif
