/*
 * test_pcapng.c - the pcapng writer (stack/dev/pcapng.c) block by block
 * against draft-ietf-opsawg-pcapng's layout, and the capture middleware
 * (stack/dev/capture.c) over an in-memory link: a received frame is held
 * until the engine's note on it, a frame sent meanwhile follows it, each
 * with its direction and comment.
 */
/* cmocka needs these before it */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dev/dev.h"
#include "dev/pcapng.h"

static uint32_t
le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint16_t
le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* §3.1: both length fields agree and the block is a multiple of 4 */
static void
check_frame_of_block(const uint8_t *b, ssize_t n, uint32_t type)
{
    assert_true(n > 12);
    assert_int_equal(n % 4, 0);
    assert_int_equal(le32(b), type);
    assert_int_equal(le32(b + 4), (uint32_t)n);
    assert_int_equal(le32(b + n - 4), (uint32_t)n);
}

static void
test_shb(void **state)
{
    uint8_t b[128];
    ssize_t n = pcapng_shb(b, sizeof(b), "ustack");
    /* clang-format off */
    static const uint8_t want[] = {
        0x0a, 0x0d, 0x0d, 0x0a, 44, 0, 0, 0,             /* type, length */
        0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,              /* magic, 1.0 */
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* section length -1 */
        4, 0, 6, 0, 'u', 's', 't', 'a', 'c', 'k', 0, 0,  /* shb_userappl */
        0, 0, 0, 0,                                      /* opt_endofopt */
        44, 0, 0, 0,
    };
    /* clang-format on */

    (void)state;
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(b, want, sizeof(want));
    /* no application: no options at all */
    n = pcapng_shb(b, sizeof(b), NULL);
    check_frame_of_block(b, n, PCAPNG_SHB_TYPE);
    assert_int_equal(n, 28);
}

static void
test_idb(void **state)
{
    uint8_t b[128];
    ssize_t n = pcapng_idb(b, sizeof(b), 65535, "tap0");
    /* clang-format off */
    static const uint8_t want[] = {
        1, 0, 0, 0, 40, 0, 0, 0,                /* type, length */
        1, 0, 0, 0, 0xff, 0xff, 0, 0,           /* Ethernet, reserved, snaplen */
        2, 0, 4, 0, 't', 'a', 'p', '0',         /* if_name */
        9, 0, 1, 0, 9, 0, 0, 0,                 /* if_tsresol: 10^-9 */
        0, 0, 0, 0,                             /* opt_endofopt */
        40, 0, 0, 0,
    };
    /* clang-format on */

    (void)state;
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(b, want, sizeof(want));
}

static void
test_epb_with_comment(void **state)
{
    uint8_t b[128];
    const uint8_t frame[5] = {1, 2, 3, 4, 5};
    uint64_t ts = (5ull << 32) | 7;
    ssize_t n = pcapng_epb(b, sizeof(b), ts, frame, 5, 60, PCAPNG_DIR_OUT, "hi");

    (void)state;
    check_frame_of_block(b, n, PCAPNG_EPB_TYPE);
    assert_int_equal(n, 60);
    assert_int_equal((size_t)n, pcapng_epb_size(5, "hi"));
    assert_int_equal(le32(b + 8), 0);  /* interface 0 */
    assert_int_equal(le32(b + 12), 5); /* timestamp, upper half first */
    assert_int_equal(le32(b + 16), 7);
    assert_int_equal(le32(b + 20), 5);  /* captured */
    assert_int_equal(le32(b + 24), 60); /* original length */
    assert_memory_equal(b + 28, frame, 5);
    assert_int_equal(b[33] | b[34] | b[35], 0); /* padded to 32 bits */
    assert_int_equal(le16(b + 36), 2);          /* epb_flags */
    assert_int_equal(le16(b + 38), 4);
    assert_int_equal(le32(b + 40), PCAPNG_DIR_OUT);
    assert_int_equal(le16(b + 44), 1); /* opt_comment */
    assert_int_equal(le16(b + 46), 2);
    assert_memory_equal(b + 48, "hi\0\0", 4);
    assert_int_equal(le32(b + 52), 0); /* opt_endofopt */
}

static void
test_epb_without_comment(void **state)
{
    uint8_t b[128];
    const uint8_t frame[8] = {0};

    (void)state;
    for (int i = 0; i < 2; i++) {
        const char *comment = i ? "" : NULL;
        ssize_t n = pcapng_epb(b, sizeof(b), 0, frame, 8, 8, PCAPNG_DIR_IN, comment);
        check_frame_of_block(b, n, PCAPNG_EPB_TYPE);
        assert_int_equal(n, 28 + 8 + 8 + 4 + 4);
        assert_int_equal((size_t)n, pcapng_epb_size(8, comment));
        assert_int_equal(le32(b + 40), PCAPNG_DIR_IN);
        assert_int_equal(le32(b + 44), 0); /* opt_endofopt follows the flags */
    }
}

static void
test_short_buffer(void **state)
{
    uint8_t b[64];
    const uint8_t frame[60] = {0};

    (void)state;
    assert_int_equal(pcapng_epb(b, sizeof(b), 0, frame, 60, 60, PCAPNG_DIR_IN, NULL),
                     -EMSGSIZE);
    assert_int_equal(pcapng_shb(b, 10, "ustack"), -EMSGSIZE);
    assert_int_equal(pcapng_idb(b, 20, 65535, "x"), -EMSGSIZE);
    /* caplen beyond the frame's length */
    assert_int_equal(pcapng_epb(b, sizeof(b), 0, frame, 8, 4, PCAPNG_DIR_IN, NULL),
                     -EMSGSIZE);
}

/* Read path whole; *len its size. */
static uint8_t *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = malloc(1 << 16);

    assert_non_null(f);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

/* The comment of the EPB at b, or "" */
static void
epb_comment(const uint8_t *b, char *out, size_t cap)
{
    uint32_t total = le32(b + 4), caplen = le32(b + 20);
    size_t off = 28 + ((caplen + 3) & ~3u);

    out[0] = '\0';
    while (off + 4 <= total - 4) {
        uint16_t code = le16(b + off), len = le16(b + off + 2);
        if (code == 0)
            break;
        if (code == 1 && len < cap) {
            memcpy(out, b + off + 4, len);
            out[len] = '\0';
        }
        off += 4 + ((len + 3u) & ~3u);
    }
}

static void
test_capture_holds_received_frame(void **state)
{
    struct dev *a, *b;
    char path[] = "/tmp/test_pcapng-XXXXXX";
    char err[128], text[64];
    uint8_t in[60] = {0x11}, out[60] = {0x22}, quiet[60] = {0x33}, buf[128];
    uint64_t ts = 2000000;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(loop_pair(&a, &b), 0);
    struct dev *cap = capture_open(a, path, 0, err, sizeof(err));
    assert_non_null(cap);
    assert_int_equal(dev_wants_notes(cap), 1);
    assert_int_equal(dev_wants_notes(b), 0); /* a device without a capture */

    assert_int_equal(dev_send(b, in, sizeof(in), 1000000), 0);
    assert_int_equal(dev_recv(cap, buf, sizeof(buf), &ts), (ssize_t)sizeof(in));
    dev_note(cap, DEV_NOTE_TX, "reply");
    assert_int_equal(dev_send(cap, out, sizeof(out), 2000001), 0);
    dev_note(cap, DEV_NOTE_RX, "dropped: test.reason");
    assert_int_equal(dev_send(cap, quiet, sizeof(quiet), 2000002), 0);
    capture_flush(cap);

    size_t len;
    uint8_t *f = slurp(path, &len);
    size_t off = 0;
    uint32_t types[5] = {0};
    int nblk = 0;
    while (off + 12 <= len && nblk < 5) {
        types[nblk++] = le32(f + off);
        off += le32(f + off + 4);
    }
    assert_int_equal(off, len); /* whole blocks only */
    assert_int_equal(nblk, 5);
    assert_int_equal(types[0], PCAPNG_SHB_TYPE);
    assert_int_equal(types[1], PCAPNG_IDB_TYPE);
    size_t b1 = le32(f + 4) + le32(f + le32(f + 4) + 4);
    size_t b2 = b1 + le32(f + b1 + 4), b3 = b2 + le32(f + b2 + 4);
    /* the received frame first, though its note came after the reply */
    assert_int_equal(f[b1 + 28], 0x11);
    assert_int_equal(le32(f + b1 + 12 + 4), 2000000000u); /* ts in ns (low half) */
    epb_comment(f + b1, text, sizeof(text));
    assert_string_equal(text, "dropped: test.reason");
    assert_int_equal(f[b2 + 28], 0x22);
    epb_comment(f + b2, text, sizeof(text));
    assert_string_equal(text, "reply");
    /* a note explains one frame: the next has none */
    assert_int_equal(f[b3 + 28], 0x33);
    epb_comment(f + b3, text, sizeof(text));
    assert_string_equal(text, "");
    free(f);
    dev_close(cap);
    dev_close(b);
    unlink(path);
}

static void
test_capture_open_fails_cleanly(void **state)
{
    struct dev *a, *b;
    char err[128] = "";

    (void)state;
    assert_int_equal(loop_pair(&a, &b), 0);
    assert_null(capture_open(a, "/nonexistent-dir/x.pcapng", 0, err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent-dir/x.pcapng"));
    assert_null(capture_open(a, "", 0, err, sizeof(err)));
    dev_close(a); /* still the caller's */
    dev_close(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shb),
        cmocka_unit_test(test_idb),
        cmocka_unit_test(test_epb_with_comment),
        cmocka_unit_test(test_epb_without_comment),
        cmocka_unit_test(test_short_buffer),
        cmocka_unit_test(test_capture_holds_received_frame),
        cmocka_unit_test(test_capture_open_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
