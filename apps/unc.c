/*
 * unc - a small netcat over ustack: standard input to a socket, the socket
 * to standard output.
 *
 *   unc -u [-q SECS] HOST PORT    UDP to HOST:PORT (a connected socket)
 *   unc -u -l [-q SECS] PORT      UDP on 0.0.0.0:PORT; the first datagram's
 *                                 sender becomes the peer, as with nc -u -l
 *
 * UDP: each read() from standard input (a line from a terminal, up to
 * 65507 bytes from a pipe) is one datagram; each datagram received is
 * written to standard output as it is. At end of input unc keeps printing
 * what arrives, until interrupted, or for SECS seconds with -q SECS (-q 0:
 * quit at once), like OpenBSD nc. Errors (ECONNREFUSED when nobody listens
 * at the peer) end it with status 1.
 *
 * Structure: a way to open the socket per mode (udp_dial, udp_listen; TCP
 * will add tcp_dial and tcp_listen, which accept) and one pump() moving
 * bytes both ways with poll() on standard input and the socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ustack.h"
#include "ustack_admin.h"

#define PROG "unc"
#define CHUNK_MAX 65507 /* the largest UDP payload */

struct unc_opts {
    int udp;                 /* -u; else TCP (not yet) */
    int listen;              /* -l */
    int quit_secs;           /* -q; -1: do not quit at end of input */
    struct sockaddr_in addr; /* the peer (dial) or our port (listen) */
};

static unsigned char buf[CHUNK_MAX];

static void
usage(void)
{
    fprintf(stderr,
            "usage: " PROG " -u [-q SECS] HOST PORT\n"
            "       " PROG " -u -l [-q SECS] PORT\n"
            "  -u UDP (TCP is to come)  -l listen  -q SECS quit SECS after end of "
            "input\n");
    exit(2);
}

static void
fail(const char *what)
{
    int err = errno;

    fprintf(stderr, PROG ": %s: %s", what, strerror(err));
    if (err == ENOENT || err == ECONNREFUSED)
        if (strcmp(what, "socket") == 0)
            fprintf(stderr, " (is ustackd running with --ctl %s?)", us_ctl_path());
    fputc('\n', stderr);
    exit(1);
}

static long
parse_num(const char *s, const char *what, long lo, long hi)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno || v < lo || v > hi) {
        fprintf(stderr, PROG ": %s '%s' must be a number from %ld to %ld\n", what, s, lo,
                hi);
        usage();
    }
    return v;
}

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
write_all(int fd, const unsigned char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail("write");
        }
        p += n;
        len -= (size_t)n;
    }
}

/* -u HOST PORT: a connected UDP socket. */
static int
udp_dial(const struct unc_opts *o)
{
    int fd = us_socket(AF_INET, SOCK_DGRAM, 0);

    if (fd < 0)
        fail("socket");
    if (us_connect(fd, (const struct sockaddr *)&o->addr, sizeof(o->addr)) < 0)
        fail("connect");
    return fd;
}

/* -u -l PORT: bind, wait for the first datagram, print it and connect to
 * its sender, so that replies go there and nobody else is heard. */
static int
udp_listen(const struct unc_opts *o)
{
    struct sockaddr_in src;
    socklen_t len;
    ssize_t n;
    int fd = us_socket(AF_INET, SOCK_DGRAM, 0);

    if (fd < 0)
        fail("socket");
    if (us_bind(fd, (const struct sockaddr *)&o->addr, sizeof(o->addr)) < 0)
        fail("bind");
    do {
        len = sizeof(src);
        n = us_recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&src, &len);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        fail("recvfrom");
    if (len == 0) {
        fprintf(stderr, PROG ": the stack closed the socket\n");
        exit(1);
    }
    write_all(STDOUT_FILENO, buf, (size_t)n);
    if (us_connect(fd, (struct sockaddr *)&src, len) < 0)
        fail("connect");
    return fd;
}

/* Standard input to fd, fd to standard output, until the socket ends or
 * fails, or quit_secs after the end of input. */
static int
pump(int fd, const struct unc_opts *o)
{
    int in_open = 1;
    int64_t quit_at = -1;

    for (;;) {
        struct pollfd p[2] = {
            {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
            {.fd = fd, .events = POLLIN},
        };
        int timeout = -1;
        if (quit_at >= 0) {
            int64_t left = quit_at - now_ms();
            if (left <= 0)
                return 0;
            timeout = (int)left;
        }
        if (poll(p, 2, timeout) < 0) {
            if (errno == EINTR)
                continue;
            fail("poll");
        }
        if (p[0].revents) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
            if (n < 0 && errno != EINTR && errno != EAGAIN)
                fail("read");
            if (n == 0) {
                in_open = 0;
                if (o->quit_secs >= 0)
                    quit_at = now_ms() + (int64_t)o->quit_secs * 1000;
            } else if (n > 0 && us_send(fd, buf, (size_t)n, 0) < 0) {
                fail("send");
            }
        }
        if (p[1].revents) {
            struct sockaddr_in src;
            socklen_t len = sizeof(src);
            ssize_t n = us_recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
                                    (struct sockaddr *)&src, &len);
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                fail("recv");
            if (n == 0 && len == 0)
                return 0; /* end of file from the stack */
            if (n > 0)
                write_all(STDOUT_FILENO, buf, (size_t)n);
        }
    }
}

int
main(int argc, char **argv)
{
    struct unc_opts o = {.quit_secs = -1, .addr = {.sin_family = AF_INET}};
    int c;

    while ((c = getopt(argc, argv, "ulq:h")) != -1) {
        switch (c) {
        case 'u': o.udp = 1; break;
        case 'l': o.listen = 1; break;
        case 'q': o.quit_secs = (int)parse_num(optarg, "SECS", 0, 86400); break;
        default: usage();
        }
    }
    int nargs = argc - optind;
    if (o.listen ? nargs != 1 : nargs != 2)
        usage();
    if (!o.listen && inet_pton(AF_INET, argv[optind], &o.addr.sin_addr) != 1) {
        fprintf(stderr, PROG ": '%s' is not an IPv4 address A.B.C.D\n", argv[optind]);
        usage();
    }
    o.addr.sin_port = htons((uint16_t)parse_num(argv[argc - 1], "PORT", 1, 65535));
    if (!o.udp) {
        fprintf(stderr, PROG ": TCP is not there yet: use -u for UDP\n");
        return 2;
    }

    int fd = o.listen ? udp_listen(&o) : udp_dial(&o);
    int r = pump(fd, &o);
    us_close(fd);
    return r;
}
