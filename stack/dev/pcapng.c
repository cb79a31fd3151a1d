/*
 * pcapng.c - pcapng blocks into memory (draft-ietf-opsawg-pcapng). See
 * pcapng.h.
 *
 * Every block (§3.1) is: Block Type, Block Total Length, the body, the
 * options (§3.5: code, length, value padded to 32 bits, ended by
 * opt_endofopt) and Block Total Length again.
 */
#include "dev/pcapng.h"

#include <errno.h>
#include <string.h>

/* option codes: §3.5 (common), §4.1 (SHB), §4.2 (IDB), §4.3 (EPB) */
#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_TSRESOL 9
#define EPB_FLAGS 2

/* The text options this writer emits are capped: a comment is a line. */
#define PCAPNG_OPT_MAX 1024

struct out {
    uint8_t *buf;
    size_t cap, len;
    int short_; /* ran out of room */
};

static size_t
pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

static void
put(struct out *o, const void *v, size_t n)
{
    if (n == 0)
        return;
    if (o->short_ || o->cap - o->len < n) {
        o->short_ = 1;
        return;
    }
    memcpy(o->buf + o->len, v, n);
    o->len += n;
}

static void
put_zeros(struct out *o, size_t n)
{
    static const uint8_t z[4];

    while (n) {
        size_t k = n < sizeof(z) ? n : sizeof(z);
        put(o, z, k);
        n -= k;
    }
}

static void
put_u16(struct out *o, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(o, b, 2);
}

static void
put_u32(struct out *o, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                    (uint8_t)(v >> 24)};
    put(o, b, 4);
}

static size_t
text_len(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    return n < PCAPNG_OPT_MAX ? n : PCAPNG_OPT_MAX;
}

/* §3.5: one option, its value padded to 32 bits */
static void
put_opt(struct out *o, uint16_t code, const void *v, size_t n)
{
    put_u16(o, code);
    put_u16(o, (uint16_t)n);
    put(o, v, n);
    put_zeros(o, pad4(n) - n);
}

static void
put_text_opt(struct out *o, uint16_t code, const char *t)
{
    size_t n = text_len(t);

    if (n)
        put_opt(o, code, t, n);
}

/* Block Type and a placeholder for Block Total Length */
static void
block_begin(struct out *o, uint32_t type)
{
    put_u32(o, type);
    put_u32(o, 0);
}

/* Block Total Length at both ends (§3.1) */
static ssize_t
block_end(struct out *o)
{
    uint32_t total = (uint32_t)(o->len + 4);

    put_u32(o, total);
    if (o->short_)
        return -EMSGSIZE;
    uint8_t b[4] = {(uint8_t)total, (uint8_t)(total >> 8), (uint8_t)(total >> 16),
                    (uint8_t)(total >> 24)};
    memcpy(o->buf + 4, b, 4);
    return (ssize_t)o->len;
}

ssize_t
pcapng_shb(uint8_t *buf, size_t cap, const char *app)
{
    struct out o = {.buf = buf, .cap = cap};

    block_begin(&o, PCAPNG_SHB_TYPE);
    put_u32(&o, PCAPNG_BYTE_ORDER_MAGIC); /* §4.1: written in our order */
    put_u16(&o, 1);                       /* Major Version */
    put_u16(&o, 0);                       /* Minor Version */
    put_u32(&o, 0xffffffffu);             /* Section Length -1: not given */
    put_u32(&o, 0xffffffffu);
    if (text_len(app)) {
        put_text_opt(&o, SHB_USERAPPL, app);
        put_opt(&o, OPT_ENDOFOPT, NULL, 0);
    }
    return block_end(&o);
}

ssize_t
pcapng_idb(uint8_t *buf, size_t cap, uint32_t snaplen, const char *name)
{
    struct out o = {.buf = buf, .cap = cap};
    uint8_t tsresol = 9; /* §4.2 if_tsresol: 10^-9 s */

    block_begin(&o, PCAPNG_IDB_TYPE);
    put_u16(&o, PCAPNG_LINKTYPE_ETHERNET);
    put_u16(&o, 0); /* Reserved */
    put_u32(&o, snaplen);
    put_text_opt(&o, IF_NAME, name);
    put_opt(&o, IF_TSRESOL, &tsresol, 1);
    put_opt(&o, OPT_ENDOFOPT, NULL, 0);
    return block_end(&o);
}

size_t
pcapng_epb_size(size_t caplen, const char *comment)
{
    size_t n = text_len(comment);

    /* header 28, data, epb_flags 8, comment, opt_endofopt 4, trailer 4 */
    return 28 + pad4(caplen) + 8 + (n ? 4 + pad4(n) : 0) + 4 + 4;
}

ssize_t
pcapng_epb(uint8_t *buf, size_t cap, uint64_t ts_ns, const uint8_t *frame, size_t caplen,
           size_t len, enum pcapng_dir dir, const char *comment)
{
    struct out o = {.buf = buf, .cap = cap};
    uint8_t flags[4] = {(uint8_t)dir, 0, 0, 0}; /* §4.3.1: bits 0-1 direction */

    if (caplen > len || caplen > UINT32_MAX || len > UINT32_MAX)
        return -EMSGSIZE;
    block_begin(&o, PCAPNG_EPB_TYPE);
    put_u32(&o, 0); /* Interface ID: the one IDB */
    /* §4.3: the timestamp in units of if_tsresol, upper 32 bits first */
    put_u32(&o, (uint32_t)(ts_ns >> 32));
    put_u32(&o, (uint32_t)ts_ns);
    put_u32(&o, (uint32_t)caplen);
    put_u32(&o, (uint32_t)len);
    put(&o, frame, caplen);
    put_zeros(&o, pad4(caplen) - caplen);
    /* epb_flags is a 32-bit value in the file's byte order */
    put_opt(&o, EPB_FLAGS, flags, 4);
    put_text_opt(&o, OPT_COMMENT, comment);
    put_opt(&o, OPT_ENDOFOPT, NULL, 0);
    return block_end(&o);
}
