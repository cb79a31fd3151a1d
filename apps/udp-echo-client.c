/*
 * udp-echo-client - check a UDP echo service (RFC 862) end to end over
 * ustack: datagrams of a chosen size go out one at a time and each echo
 * must come back whole and byte for byte the same.
 *
 *   udp-echo-client [-n COUNT] [-s SIZE] [-t TIMEOUT_MS] HOST PORT
 *
 * COUNT datagrams (default 5) of SIZE bytes (0..65507, default 64), each
 * waited for up to TIMEOUT_MS (default 1000) before the next is sent.
 * Datagram k carries k (32 bits, big-endian) in its first 4 bytes, a run
 * number in the next 4 and then a pattern computed from k and the offset,
 * so a late echo of an earlier datagram is told from a corrupted one (a
 * datagram shorter than 8 bytes carries what fits). Prints one line per
 * problem on stderr and then
 *   N/COUNT echoed, rtt min/avg/max = A/B/C us
 * on stdout. Exit 0 only if every datagram came back intact; 1 otherwise;
 * 2 for bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ustack.h"
#include "ustack_admin.h"
#include "lib/app.h"

#define PROG "udp-echo-client"
#define DGRAM_MAX 65507

static void
usage(void)
{
    fprintf(stderr,
            "usage: " PROG " [-n COUNT] [-s SIZE] [-t TIMEOUT_MS] HOST PORT\n"
            "  COUNT datagrams (default 5) of SIZE bytes (0..65507, default 64),\n"
            "  each echo awaited TIMEOUT_MS (default 1000); HOST is A.B.C.D\n");
    exit(2);
}

static int64_t
now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Byte i of datagram seq of run `run`. The (i >> 8) term makes a slip by
 * a multiple of 256 bytes show. */
static uint8_t
pattern_byte(uint32_t seq, uint32_t run, size_t i)
{
    if (i < 4)
        return (uint8_t)(seq >> (24 - 8 * i));
    if (i < 8)
        return (uint8_t)(run >> (24 - 8 * (i - 4)));
    return (uint8_t)(i + (i >> 8) * 3 + seq * 37 + run);
}

static void
pattern_fill(uint8_t *b, size_t len, uint32_t seq, uint32_t run)
{
    for (size_t i = 0; i < len; i++)
        b[i] = pattern_byte(seq, run, i);
}

/* Offset of the first byte that is not datagram seq's, or len if none. */
static size_t
pattern_check(const uint8_t *b, size_t len, uint32_t seq, uint32_t run)
{
    for (size_t i = 0; i < len; i++)
        if (b[i] != pattern_byte(seq, run, i))
            return i;
    return len;
}

int
main(int argc, char **argv)
{
    static uint8_t tx[DGRAM_MAX], rx[DGRAM_MAX];
    long count = 5, size = 64, timeout_ms = 1000;
    int c;

    while ((c = getopt(argc, argv, "n:s:t:h")) != -1) {
        switch (c) {
        case 'n': count = app_num(optarg, "COUNT", 1, 1000000000, usage); break;
        case 's': size = app_num(optarg, "SIZE", 0, DGRAM_MAX, usage); break;
        case 't': timeout_ms = app_num(optarg, "TIMEOUT_MS", 1, 3600000, usage); break;
        default: usage();
        }
    }
    if (argc - optind != 2)
        usage();
    struct sockaddr_in dst = {.sin_family = AF_INET};
    if (inet_pton(AF_INET, argv[optind], &dst.sin_addr) != 1) {
        fprintf(stderr, PROG ": '%s' is not an IPv4 address A.B.C.D\n", argv[optind]);
        usage();
    }
    dst.sin_port = htons((uint16_t)app_num(argv[optind + 1], "PORT", 1, 65535, usage));

    int fd = us_socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        app_fail("socket");
    if (us_connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
        app_fail("connect");

    uint32_t run = (uint32_t)getpid() * 2654435761u ^ (uint32_t)now_us();
    long ok = 0;
    int64_t rtt_min = INT64_MAX, rtt_max = 0, rtt_sum = 0;

    for (uint32_t seq = 0; seq < (uint32_t)count; seq++) {
        pattern_fill(tx, (size_t)size, seq, run);
        int64_t t0 = now_us(), deadline = t0 + timeout_ms * 1000;
        if (us_send(fd, tx, (size_t)size, 0) < 0) {
            fprintf(stderr, PROG ": #%u: send: %s\n", seq, strerror(errno));
            if (errno == ENOENT || errno == ECONNREFUSED || errno == EPIPE)
                app_fail("send"); /* the stack is gone: stop */
            continue;
        }
        for (;;) {
            int64_t left = deadline - now_us();
            if (left <= 0) {
                fprintf(stderr, PROG ": #%u: no echo within %ld ms\n", seq, timeout_ms);
                break;
            }
            struct pollfd p = {.fd = fd, .events = POLLIN};
            int pr = poll(&p, 1, (int)((left + 999) / 1000));
            if (pr < 0 && errno != EINTR)
                app_fail("poll");
            if (pr <= 0)
                continue;
            /* MSG_TRUNC: the real length, even of an echo longer than we sent */
            ssize_t n = us_recv(fd, rx, sizeof(rx), MSG_DONTWAIT | MSG_TRUNC);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    continue;
                fprintf(stderr, PROG ": #%u: recv: %s\n", seq, strerror(errno));
                break;
            }
            int64_t rtt = now_us() - t0;
            size_t got = (size_t)n < sizeof(rx) ? (size_t)n : sizeof(rx);
            if (n == size && pattern_check(rx, got, seq, run) == got) {
                ok++;
                rtt_sum += rtt;
                rtt_min = rtt < rtt_min ? rtt : rtt_min;
                rtt_max = rtt > rtt_max ? rtt : rtt_max;
                break;
            }
            if (n == size && size >= 8) {
                uint32_t old = (uint32_t)rx[0] << 24 | rx[1] << 16 | rx[2] << 8 | rx[3];
                if (old < seq && pattern_check(rx, got, old, run) == got) {
                    fprintf(stderr, PROG ": #%u: late echo of #%u (ignored)\n", seq, old);
                    continue;
                }
            }
            if (n != size)
                fprintf(stderr, PROG ": #%u: echo of %zd bytes, sent %ld\n", seq, n,
                        size);
            else
                fprintf(stderr, PROG ": #%u: echo differs from byte %zu on\n", seq,
                        pattern_check(rx, got, seq, run));
            break;
        }
    }

    printf("%ld/%ld echoed", ok, count);
    if (ok > 0)
        printf(", rtt min/avg/max = %lld/%lld/%lld us", (long long)rtt_min,
               (long long)(rtt_sum / ok), (long long)rtt_max);
    printf("\n");
    us_close(fd);
    return ok == count ? 0 : 1;
}
