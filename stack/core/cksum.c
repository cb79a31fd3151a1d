/*
 * cksum.c - the Internet checksum, RFC 1071.
 */
#include "core/cksum.h"

uint32_t
cksum_add(uint32_t sum, const uint8_t *b, size_t len)
{
    uint64_t acc = sum;

    while (len >= 2) {
        acc += (uint32_t)b[0] << 8 | b[1];
        b += 2;
        len -= 2;
    }
    if (len) /* RFC 1071 §4.1: pad the odd byte with zero */
        acc += (uint32_t)b[0] << 8;
    while (acc >> 32)
        acc = (acc & 0xffffffffu) + (acc >> 32);
    return (uint32_t)acc;
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
