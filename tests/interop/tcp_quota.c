/*
 * tcp_quota.c - helper of tests/interop/scale.sh and scripts/scale-soak.sh:
 * a program that holds its quota of ustack sockets, and one that opens,
 * uses and closes connections one after the other.
 *
 *   tcp_quota hold [MAX]             open TCP sockets until socket() fails
 *                                    (or MAX are open); print "held N
 *                                    ERRNAME" (or "held N -"), then sleep
 *                                    until killed
 *   tcp_quota cycle N HOST PORT      N times: socket, connect to HOST:PORT,
 *                                    send 64 bytes of its own, read them
 *                                    back, close; print "cycled OK/N" and
 *                                    the first failure; exit 0 if all
 *                                    succeeded
 *
 * The errno names are what the test compares: EMFILE at a process's or a
 * uid's quota, ENFILE when the daemon's table is full, as Linux gives
 * them for RLIMIT_NOFILE and file-max.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ustack.h"

#define MSG_LEN 64

static void __attribute__((noreturn)) hold(long max)
{
    long n = 0;
    int err = 0;

    while (max <= 0 || n < max) {
        if (us_socket(AF_INET, SOCK_STREAM, 0) < 0) {
            err = errno;
            break;
        }
        n++;
    }
    printf("held %ld %s\n", n, err ? strerrorname_np(err) : "-");
    fflush(stdout);
    for (;;)
        pause();
}

/* One connection: 0, or -1 with errno and *step saying where. */
static int
cycle_one(const struct sockaddr_in *dst, long i, const char **step)
{
    char tx[MSG_LEN], rx[MSG_LEN];
    size_t got = 0;
    int fd;

    snprintf(tx, sizeof(tx), "connection %ld of tcp_quota pid %ld ", i, (long)getpid());
    memset(tx + strlen(tx), 'x', sizeof(tx) - strlen(tx));
    *step = "socket";
    if ((fd = us_socket(AF_INET, SOCK_STREAM, 0)) < 0)
        return -1;
    *step = "connect";
    if (us_connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) < 0)
        goto fail;
    *step = "send";
    if (us_send(fd, tx, sizeof(tx), MSG_NOSIGNAL) != (ssize_t)sizeof(tx))
        goto fail;
    *step = "recv";
    while (got < sizeof(rx)) {
        ssize_t n = us_recv(fd, rx + got, sizeof(rx) - got, 0);
        if (n <= 0) {
            if (n == 0)
                errno = EPIPE;
            goto fail;
        }
        got += (size_t)n;
    }
    *step = "echo differs";
    if (memcmp(tx, rx, sizeof(tx)) != 0) {
        errno = EBADMSG;
        goto fail;
    }
    us_close(fd);
    return 0;
fail:;
    int err = errno;
    us_close(fd);
    errno = err;
    return -1;
}

static int
cycle(long n, const char *host, const char *port)
{
    struct sockaddr_in dst = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)atoi(port))};
    long ok = 0;
    const char *step = NULL, *first = NULL;
    int first_err = 0;

    if (inet_pton(AF_INET, host, &dst.sin_addr) != 1) {
        fprintf(stderr, "tcp_quota: '%s' is not an address\n", host);
        return 2;
    }
    for (long i = 0; i < n; i++) {
        if (cycle_one(&dst, i, &step) == 0) {
            ok++;
        } else if (!first) {
            first = step;
            first_err = errno;
        }
    }
    printf("cycled %ld/%ld", ok, n);
    if (first)
        printf(" (first failure: %s: %s)", first, strerrorname_np(first_err));
    printf("\n");
    return ok == n ? 0 : 1;
}

int
main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "hold") == 0 && argc <= 3)
        hold(argc == 3 ? atol(argv[2]) : 0);
    if (argc == 5 && strcmp(argv[1], "cycle") == 0)
        return cycle(atol(argv[2]), argv[3], argv[4]);
    fprintf(stderr, "usage: tcp_quota hold [MAX] | tcp_quota cycle N HOST PORT\n");
    return 2;
}
