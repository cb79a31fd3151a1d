/*
 * udp-flood - how many UDP echoes per second get through, with several
 * datagrams in flight (make bench; scripts/bench.sh builds it twice: on
 * ustack with libustack, and on the kernel's sockets with
 * scripts/kernel-sockets/, the same source).
 *
 *   udp-flood [-w WINDOW] [-s SIZE] [-d SECONDS] HOST PORT
 *
 * A connected UDP socket keeps WINDOW datagrams (default 16) of SIZE bytes
 * (default 64) outstanding towards an echo service: each echo that comes
 * back sends the next. When nothing comes back for 100 ms, what is
 * outstanding is counted lost and the window is refilled. After SECONDS
 * (default 2, fractions allowed) it stops sending and waits 200 ms for
 * the last echoes. Prints one line:
 *   sent S echoed E lost L in T s: R echoes/s
 * Exit 0 if any echo came back, 1 otherwise, 2 for bad arguments. A
 * measurement, not a check: the contents are not compared.
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

#define DGRAM_MAX 65507

static int64_t
now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
usage(void)
{
    fprintf(stderr, "usage: udp-flood [-w WINDOW] [-s SIZE] [-d SECONDS] HOST PORT\n");
    exit(2);
}

int
main(int argc, char **argv)
{
    static uint8_t tx[DGRAM_MAX], rx[DGRAM_MAX];
    long window = 16, size = 64;
    double secs = 2;
    int c;

    while ((c = getopt(argc, argv, "w:s:d:")) != -1) {
        switch (c) {
        case 'w': window = atol(optarg); break;
        case 's': size = atol(optarg); break;
        case 'd': secs = atof(optarg); break;
        default: usage();
        }
    }
    struct sockaddr_in dst = {.sin_family = AF_INET};
    if (argc - optind != 2 || window < 1 || window > 4096 || size < 0 ||
        size > DGRAM_MAX || secs <= 0 ||
        inet_pton(AF_INET, argv[optind], &dst.sin_addr) != 1)
        usage();
    dst.sin_port = htons((uint16_t)atoi(argv[optind + 1]));

    int fd = us_socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || us_connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
        fprintf(stderr, "udp-flood: socket: %s\n", strerror(errno));
        return 1;
    }
    memset(tx, 0xa5, (size_t)size);

    long sent = 0, echoed = 0, lost = 0, outstanding = 0;
    int64_t t0 = now_us(), stop = t0 + (int64_t)(secs * 1e6), end = stop + 200000;
    for (;;) {
        int64_t t = now_us();
        if (t >= end || (t >= stop && outstanding == 0))
            break;
        while (t < stop && outstanding < window) {
            if (us_send(fd, tx, (size_t)size, 0) < 0) {
                if (errno != ECONNREFUSED)
                    fprintf(stderr, "udp-flood: send: %s\n", strerror(errno));
                break;
            }
            sent++;
            outstanding++;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int wait_ms = (int)((t < stop ? 100000 : end - t) / 1000) + 1;
        int n = poll(&p, 1, wait_ms);
        if (n < 0 && errno != EINTR)
            break;
        if (n == 0 && t < stop) {
            lost += outstanding; /* nothing for 100 ms: refill the window */
            outstanding = 0;
            continue;
        }
        for (;;) {
            ssize_t got = us_recv(fd, rx, sizeof(rx), MSG_DONTWAIT);
            if (got < 0)
                break; /* EAGAIN; ECONNREFUSED (a pending error) counts as nothing */
            echoed++;
            if (outstanding > 0)
                outstanding--;
        }
    }
    lost += outstanding;
    double elapsed = (double)(now_us() - t0) / 1e6;
    printf("sent %ld echoed %ld lost %ld in %.3f s: %.0f echoes/s\n", sent, echoed, lost,
           elapsed, (double)echoed / elapsed);
    us_close(fd);
    return echoed > 0 ? 0 : 1;
}
