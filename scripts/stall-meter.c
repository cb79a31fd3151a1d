/*
 * stall-meter.c - standard input to standard output, timing the arrivals
 * (build/stall-meter; the loss benchmark's receivers pipe through it).
 *
 * Owns: one pass over a stream: copies every byte through unchanged (so
 * a checksum can follow it in the pipe) and notes when each read brought
 * data. At end of input prints one line to stderr:
 *   stall-meter: bytes=N first_ns=T last_ns=T max_gap_us=N
 * first_ns and last_ns are CLOCK_REALTIME (comparable with `date +%s%N`
 * in the script) of the first and the last data; max_gap_us is the
 * longest time between two reads that brought data: the longest stall of
 * the transfer once it had started. Exits 1 on a read or write error.
 *
 * Leaves out: anything but a byte count (the script checks content with
 * sha256sum after it).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536

static uint64_t
realtime_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* All of buf to standard output; 0 or -1. */
static int
write_all(const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int
main(void)
{
    static uint8_t buf[CHUNK];
    uint64_t bytes = 0, first = 0, last = 0, max_gap = 0;

    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "stall-meter: read: %s\n", strerror(errno));
            return 1;
        }
        if (n == 0)
            break;
        uint64_t now = realtime_ns();
        if (!first)
            first = now;
        else if (now - last > max_gap)
            max_gap = now - last;
        last = now;
        bytes += (uint64_t)n;
        if (write_all(buf, (size_t)n) < 0) {
            fprintf(stderr, "stall-meter: write: %s\n", strerror(errno));
            return 1;
        }
    }
    fprintf(stderr,
            "stall-meter: bytes=%llu first_ns=%llu last_ns=%llu max_gap_us=%llu\n",
            (unsigned long long)bytes, (unsigned long long)first,
            (unsigned long long)last, (unsigned long long)(max_gap / 1000));
    return 0;
}
