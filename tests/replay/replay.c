/*
 * replay.c - drive the engine with a recorded capture and compare its output.
 *
 * Owns: the replay tier's tool (build/san/tools/replay). A capture made by
 * ustackd (scripts/record-pcaps.sh) holds both directions of a real
 * exchange. Frames whose Ethernet source is the engine's MAC are what the
 * engine must send, in order; every other frame is fed to a fresh engine
 * at its recorded time, with timers run at their own deadlines in between.
 * The engine's output goes to a recording device and is compared with the
 * expected frames byte for byte (same seed, same input, same frames).
 *
 *   replay --pcap FILE --addr A.B.C.D/LEN [--gw G] [--mac MAC] --seed N
 *          [--mtu N] [--log LEVEL] [--trace FILE]
 *
 * Exit 0 when every frame matches, 1 on a mismatch, 2 on a usage error or
 * a capture that cannot be read.
 *
 * Leaves out: timestamps are not compared (a daemon polls a little after a
 * deadline; the frame it sends is the same).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "dev/dev.h"
#include "stack.h"
#include "lib/engine_opts.h"
#include "lib/frames.h"

/* The largest frame a capture can hold: 64 KiB snaplen. */
#define REPLAY_FRAME_MAX 65536

/* Run every timer due at or before now at its own deadline, then poll at now. */
static void
poll_until(struct stack *s, uint64_t now_us)
{
    uint64_t at;

    while ((at = stack_poll_at(s)) <= now_us) {
        stack_poll(s, at);
        if (stack_poll_at(s) == at)
            break; /* the deadline did not move: poll at now below instead */
    }
    stack_poll(s, now_us);
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: replay --pcap FILE --addr A.B.C.D/LEN [--gw A.B.C.D] "
               "[--mac MAC] --seed N [--mtu N] [--log LEVEL] [--trace FILE]\n");
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"pcap", required_argument, NULL, 'p'},
        {"mtu", required_argument, NULL, 'u'},
        ENGINE_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct engine_opts eo;
    const char *pcap = NULL;
    int c, li = 0;
    uint64_t v;

    engine_opts_init(&eo);
    while ((c = getopt_long(argc, argv, "", opts, &li)) != -1) {
        int r = engine_opt(&eo, c, optarg);
        if (r > 0)
            continue;
        if (r < 0)
            goto bad;
        switch (c) {
        case 'p': pcap = optarg; break;
        case 'u':
            if (parse_u64(optarg, &v) < 0 || v > UINT16_MAX)
                goto bad;
            eo.cfg.mtu = (uint16_t)v;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        continue;
    bad:
        fprintf(stderr, "replay: bad value for --%s: '%s'\n", opts[li].name, optarg);
        usage(stderr);
        return 2;
    }
    if (optind != argc || !pcap || engine_opts_done(&eo) < 0) {
        usage(stderr);
        return 2;
    }

    char err[256] = "";
    struct dev *in = replay_open(pcap, err, sizeof(err));

    if (!in) {
        fprintf(stderr, "replay: %s: %s\n", pcap, err);
        return 2;
    }
    struct rec_dev *out = rec_open();
    struct stack *s = out ? stack_new(&eo.cfg, &out->dev) : NULL;

    if (!s) {
        fprintf(stderr, "replay: cannot create the engine\n");
        if (out)
            dev_close(&out->dev);
        dev_close(in);
        return 2;
    }

    static uint8_t buf[REPLAY_FRAME_MAX];
    struct frame_list want = {0};
    size_t records = 0, fed = 0;
    uint64_t ts = 0;
    int rc = 0;
    ssize_t n;

    for (;;) {
        uint64_t t = ts;

        n = dev_recv(in, buf, sizeof(buf), &t);
        if (n == -ENODATA)
            break;
        if (n < 0) {
            fprintf(stderr, "replay: %s: cannot read record %zu: %s\n", pcap, records,
                    strerror((int)-n));
            rc = 2;
            goto out;
        }
        if (records == 0)
            stack_poll(s, t); /* the daemon's start: gratuitous ARP */
        else if (t < ts)
            t = ts; /* the engine's clock never goes back */
        ts = t;
        records++;
        if ((size_t)n >= 12 && memcmp(buf + 6, eo.cfg.mac, 6) == 0) {
            if (frame_list_add(&want, buf, (size_t)n, records - 1) < 0) {
                fprintf(stderr, "replay: out of memory\n");
                rc = 2;
                goto out;
            }
            continue;
        }
        poll_until(s, ts);
        stack_input(s, buf, (size_t)n, ts);
        fed++;
    }
    if (records)
        poll_until(s, ts);
    if (out->failed) {
        fprintf(stderr, "replay: out of memory while recording\n");
        rc = 2;
        goto out;
    }

    size_t bad = frames_compare(&out->sent, &want);

    if (bad == SIZE_MAX) {
        printf("replay %s: match: %zu records, %zu fed, %zu frames sent as "
               "expected\n",
               pcap, records, fed, want.n);
    } else {
        frames_report_mismatch("replay", pcap, &out->sent, &want, bad);
        rc = 1;
    }
out:
    frame_list_free(&want);
    stack_free(s);
    dev_close(&out->dev);
    dev_close(in);
    return rc;
}
