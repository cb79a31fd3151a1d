/*
 * cksum.c - the Internet checksum, RFC 1071.
 */
#include "core/cksum.h"

#include <string.h>

/* RFC 1071 §2(B): the one's-complement sum does not depend on byte
 * order, so sum native 64-bit words (four 16-bit words at a time, with the
 * carries kept in the upper bits of a 64-bit accumulator) and swap the
 * folded result to network order once, at the end. */
uint32_t
cksum_add(uint32_t sum, const uint8_t *b, size_t len)
{
    uint64_t acc = 0;

    for (; len >= 8; b += 8, len -= 8) {
        uint64_t v;
        memcpy(&v, b, 8);
        acc += (v & 0xffffffffu) + (v >> 32);
    }
    for (; len >= 2; b += 2, len -= 2) {
        uint16_t w;
        memcpy(&w, b, 2);
        acc += w;
    }
    if (len) { /* RFC 1071 §4.1: pad the odd byte with zero */
        const uint8_t last[2] = {b[0], 0};
        uint16_t w;
        memcpy(&w, last, 2);
        acc += w;
    }
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    uint16_t folded = (uint16_t)acc;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    folded = (uint16_t)(folded << 8 | folded >> 8);
#endif
    uint64_t total = (uint64_t)sum + folded;
    return (uint32_t)((total & 0xffffffffu) + (total >> 32));
}

uint16_t
cksum_finish(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint16_t
cksum(const uint8_t *b, size_t len)
{
    return cksum_finish(cksum_add(0, b, len));
}

uint32_t
cksum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
    uint64_t acc = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
                   proto + len;
    return (uint32_t)((acc & 0xffffffffu) + (acc >> 32));
}
