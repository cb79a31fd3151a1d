/*
 * fuzz_frame.c - libFuzzer target: arbitrary frames into a fresh engine.
 *
 * Owns: the frame-input fuzz target (build/fuzz/fuzz_frame). The input is
 * a sequence of records, each [u16 big-endian length][that many bytes]
 * (a short last record is taken as it is). Record i is fed with
 * stack_input at 1 s + i ms, then the engine is polled 31 s and 61 s
 * after the last record so the reassembly timeout and ARP expiry run.
 * Every input gets its own engine (10.0.0.2/24, gw 10.0.0.1, seed 1) on a
 * device that discards what it is sent, so a crash reproduces from its
 * file alone; stack_free at the end lets LeakSanitizer see what is left.
 * Seeds: tests/fuzz/pcap2seeds.py turns pcaps/ into this format.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/bytes.h"
#include "dev/dev.h"
#include "stack.h"

#define FUZZ_T0_US 1000000ull
#define FUZZ_STEP_US 1000ull

static int
null_send(struct dev *d, const uint8_t *frame, size_t len, uint64_t now_us)
{
    (void)d, (void)now_us;
    /* Touch every byte so ASan sees a frame built past its buffer. */
    volatile uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum ^= frame[i];
    (void)sum;
    return 0;
}

static ssize_t
null_recv(struct dev *d, uint8_t *buf, size_t cap, uint64_t *ts_us)
{
    (void)d, (void)buf, (void)cap, (void)ts_us;
    return -EAGAIN;
}

static void
null_close(struct dev *d)
{
    (void)d;
}

static const struct dev_ops null_ops = {
    .send = null_send,
    .recv = null_recv,
    .fd = NULL,
    .close = null_close,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dev dev = {.ops = &null_ops, .name = "null"};
    struct stack_config cfg;

    stack_config_defaults(&cfg);
    cfg.addr = 0x0a000002; /* 10.0.0.2 */
    cfg.prefix_len = 24;
    cfg.gateway = 0x0a000001; /* 10.0.0.1 */
    cfg.seed = 1;
    cfg.pkb_count = 256;
    cfg.log_out = NULL;
    /* ustackd's default MAC for 10.0.0.2, which the seeds are addressed to */
    mac_from_addr(cfg.addr, cfg.mac);

    struct stack *s = stack_new(&cfg, &dev);

    if (!s)
        __builtin_trap(); /* a valid config must give an engine */

    uint64_t now = FUZZ_T0_US;

    stack_poll(s, now);
    while (size >= 2) {
        size_t len = be16_get(data);

        data += 2;
        size -= 2;
        if (len > size)
            len = size;
        stack_input(s, data, len, now);
        stack_poll(s, now);
        data += len;
        size -= len;
        now += FUZZ_STEP_US;
    }
    stack_poll(s, now + 31000000ull);
    stack_poll(s, now + 61000000ull);
    stack_free(s);
    return 0;
}
