/*
 * fuzz_ctl.c - libFuzzer target: the control protocol decoder.
 *
 * Owns: the control-message fuzz target (build/fuzz/fuzz_ctl). The input
 * is one message as it would arrive on the control socket; it is decoded
 * as a request and as a reply (ctl_decode must answer 0, -EBADMSG or
 * -EPROTONOSUPPORT and never read past the input, which libFuzzer hands
 * over in a heap block of exactly its size). Whatever decodes must
 * re-encode to the very same bytes (the format has one encoding per
 * message), decode again to the same message, and be refused with
 * -EMSGSIZE by a buffer one byte short. Any other outcome traps.
 * Needs only socket_api/ctl_proto.c, no engine. Seeds:
 * tests/fuzz/ctl_seeds.py.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"

static void
same_or_trap(const struct ctl_msg *a, const struct ctl_msg *b)
{
    if (a->h.magic != b->h.magic || a->h.version != b->h.version ||
        a->h.type != b->h.type || a->h.len != b->h.len || a->h.seq != b->h.seq ||
        a->h.status != b->h.status)
        __builtin_trap();
    /* both were zeroed by ctl_decode and filled field by field */
    if (memcmp(&a->u, &b->u, sizeof(a->u)) != 0)
        __builtin_trap();
    if (a->data_len != b->data_len ||
        (a->data_len && memcmp(a->data, b->data, a->data_len) != 0))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int dir = CTL_REQUEST; dir <= CTL_REPLY; dir++) {
        struct ctl_msg m, again;
        int rc = ctl_decode(data, size, (enum ctl_dir)dir, &m);

        if (rc == -EBADMSG || rc == -EPROTONOSUPPORT)
            continue;
        if (rc != 0 || size < CTL_HDR_LEN || m.h.len != size)
            __builtin_trap();
        if (m.data_len && (m.data < data || m.data + m.data_len != data + size))
            __builtin_trap();

        uint8_t *b = malloc(size); /* exactly: a write past it is an ASan report */
        if (!b)
            return 0;
        if (ctl_encode(&m, (enum ctl_dir)dir, b, size) != (int)size ||
            memcmp(b, data, size) != 0)
            __builtin_trap();
        if (ctl_decode(b, size, (enum ctl_dir)dir, &again) != 0)
            __builtin_trap();
        same_or_trap(&m, &again);
        if (ctl_encode(&m, (enum ctl_dir)dir, b, size - 1) != -EMSGSIZE)
            __builtin_trap();
        free(b);
    }
    return 0;
}
