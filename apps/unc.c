/*
 * unc - a small netcat over ustack: standard input to a socket, the socket
 * to standard output.
 *
 *   unc [-q SECS] HOST PORT       TCP: connect to HOST:PORT
 *   unc -l [-q SECS] PORT         TCP: listen on 0.0.0.0:PORT, accept one
 *                                 connection (then stop listening)
 *   unc -u [-q SECS] HOST PORT    UDP to HOST:PORT (a connected socket)
 *   unc -u -l [-q SECS] PORT      UDP on 0.0.0.0:PORT; the first datagram's
 *                                 sender becomes the peer, as with nc -u -l
 *
 * TCP: a byte stream both ways, 64 KiB at a time. At end of input unc
 * half-closes the connection once everything read was sent (shutdown
 * SHUT_WR, FIN after the data, as `nc -N`) and keeps printing what
 * arrives until the peer closes; it ends when both directions are done
 * (the peer's FIN, and end of input: as OpenBSD nc, input still open
 * keeps it going after the peer's FIN). Reading from standard input stops
 * while the socket cannot take more, so a slow peer throttles the sender
 * and nothing is buffered without bound. Errors (ECONNREFUSED,
 * ECONNRESET...) end it with status 1.
 *
 * UDP: each read() from standard input (a line from a terminal, up to
 * 65507 bytes from a pipe) is one datagram; each datagram received is
 * written to standard output as it is. At end of input unc keeps printing
 * what arrives, until interrupted.
 *
 * If the daemon goes away (its control connection hangs up), unc says so
 * and exits 1, whatever it was waiting for.
 *
 * -q SECS: quit SECS seconds after the end of input (-q 0: at once), like
 * OpenBSD nc, whatever the peer does. -C NAME: the TCP connection's
 * congestion control (TCP_CONGESTION: cubic, reno), set before connecting
 * or listening.
 *
 * Structure: a way to open the socket per mode (tcp_dial, tcp_listen,
 * udp_dial, udp_listen) and one pump per kind moving bytes both ways with
 * poll() on standard input and the socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ustack.h"
#include "ustack_admin.h"
#include "lib/app.h"

#define PROG "unc"
#define CHUNK_MAX 65536 /* TCP chunks; UDP datagrams are at most 65507 */
#define UDP_MAX 65507   /* the largest UDP payload */

struct unc_opts {
    int udp;                 /* -u; else TCP */
    int listen;              /* -l */
    int quit_secs;           /* -q; -1: do not quit at end of input */
    const char *cc;          /* -C; NULL: the stack's default */
    struct sockaddr_in addr; /* the peer (dial) or our port (listen) */
};

static unsigned char buf[CHUNK_MAX];  /* socket -> standard output */
static unsigned char obuf[CHUNK_MAX]; /* standard input -> socket (TCP) */

static void
usage(void)
{
    fprintf(stderr, "usage: " PROG " [-u] [-q SECS] [-C CC] HOST PORT\n"
                    "       " PROG " [-u] -l [-q SECS] [-C CC] PORT\n"
                    "  TCP unless -u (UDP); -l listen (TCP: accept one connection);\n"
                    "  -q SECS quit SECS after end of input;\n"
                    "  -C CC TCP congestion control (cubic, reno)\n");
    exit(2);
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
            app_fail("write");
        }
        p += n;
        len -= (size_t)n;
    }
}

/* A TCP socket, with -C's congestion control. */
static int
tcp_socket(const struct unc_opts *o)
{
    int fd = us_socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        app_fail("socket");
    if (o->cc && us_setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, o->cc,
                               (socklen_t)strlen(o->cc)) < 0)
        app_fail("setsockopt TCP_CONGESTION");
    return fd;
}

/* HOST PORT: a connected TCP socket, non-blocking for the pump. */
static int
tcp_dial(const struct unc_opts *o)
{
    int fd = tcp_socket(o);

    while (us_connect(fd, (const struct sockaddr *)&o->addr, sizeof(o->addr)) < 0) {
        if (errno != EINTR)
            app_fail("connect");
        /* interrupted: the handshake goes on; connect again for its end */
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        app_fail("fcntl");
    return fd;
}

/* -l PORT: listen, take the first connection, stop listening. */
static int
tcp_listen(const struct unc_opts *o)
{
    int lfd = tcp_socket(o), one = 1, fd;

    if (us_setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
        app_fail("setsockopt SO_REUSEADDR");
    if (us_bind(lfd, (const struct sockaddr *)&o->addr, sizeof(o->addr)) < 0)
        app_fail("bind");
    if (us_listen(lfd, 1) < 0)
        app_fail("listen");
    do
        fd = us_accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
    while (fd < 0 && (errno == EINTR || errno == ECONNABORTED));
    if (fd < 0)
        app_fail("accept");
    us_close(lfd);
    return fd;
}

/* -u HOST PORT: a connected UDP socket. */
static int
udp_dial(const struct unc_opts *o)
{
    int fd = us_socket(AF_INET, SOCK_DGRAM, 0);

    if (fd < 0)
        app_fail("socket");
    if (us_connect(fd, (const struct sockaddr *)&o->addr, sizeof(o->addr)) < 0)
        app_fail("connect");
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
        app_fail("socket");
    if (us_bind(fd, (const struct sockaddr *)&o->addr, sizeof(o->addr)) < 0)
        app_fail("bind");
    do {
        len = sizeof(src);
        n = us_recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&src, &len);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        app_fail("recvfrom");
    if (len == 0) {
        fprintf(stderr, PROG ": the stack closed the socket\n");
        exit(1);
    }
    write_all(STDOUT_FILENO, buf, (size_t)n);
    if (us_connect(fd, (struct sockaddr *)&src, len) < 0)
        app_fail("connect");
    return fd;
}

/* TCP: standard input to fd, fd to standard output, until both are done
 * (or quit_secs after the end of input). fd is non-blocking; what was
 * read from standard input and not yet taken by the socket waits in obuf,
 * and standard input is not read until it is gone. */
static int
pump_tcp(int fd, const struct unc_opts *o)
{
    int in_open = 1, net_open = 1, wr_shut = 0;
    size_t off = 0, len = 0; /* pending in obuf */
    int64_t quit_at = -1;
    int dfd = app_daemon_fd();

    for (;;) {
        if (!in_open && len == 0 && !wr_shut) {
            /* all of the input is sent: FIN after it, as nc -N */
            if (us_shutdown(fd, SHUT_WR) < 0)
                app_fail("shutdown");
            wr_shut = 1;
        }
        if (!net_open && wr_shut)
            return 0;
        /* a socket that has given end of file is out of the set: its
         * POLLHUP would wake us for ever */
        struct pollfd p[3] = {
            {.fd = in_open && len == 0 ? STDIN_FILENO : -1, .events = POLLIN},
            {.fd = net_open || len ? fd : -1,
             .events = (short)((net_open ? POLLIN : 0) | (len ? POLLOUT : 0))},
            {.fd = dfd, .events = POLLIN},
        };
        int timeout = -1;
        if (quit_at >= 0) {
            int64_t left = quit_at - now_ms();
            if (left <= 0)
                return 0;
            timeout = (int)left;
        }
        if (poll(p, 3, timeout) < 0) {
            if (errno == EINTR)
                continue;
            app_fail("poll");
        }
        app_daemon_check(p[2].revents);
        if (p[0].revents) {
            ssize_t n = read(STDIN_FILENO, obuf, sizeof(obuf));
            if (n < 0 && errno != EINTR && errno != EAGAIN)
                app_fail("read");
            if (n == 0) {
                in_open = 0;
                if (o->quit_secs >= 0)
                    quit_at = now_ms() + (int64_t)o->quit_secs * 1000;
            } else if (n > 0) {
                off = 0;
                len = (size_t)n;
            }
        }
        while (len > 0) {
            ssize_t n = us_send(fd, obuf + off, len, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    break;
                app_fail("send");
            }
            off += (size_t)n;
            len -= (size_t)n;
        }
        if (net_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = us_recv(fd, buf, sizeof(buf), 0);
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                app_fail("recv");
            if (n == 0)
                net_open = 0; /* the peer's FIN */
            if (n > 0)
                write_all(STDOUT_FILENO, buf, (size_t)n);
        }
    }
}

/* UDP: standard input to fd, fd to standard output, until the socket ends
 * or fails, or quit_secs after the end of input. */
static int
pump_udp(int fd, const struct unc_opts *o)
{
    int in_open = 1;
    int64_t quit_at = -1;
    int dfd = app_daemon_fd();

    for (;;) {
        struct pollfd p[3] = {
            {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
            {.fd = fd, .events = POLLIN},
            {.fd = dfd, .events = POLLIN},
        };
        int timeout = -1;
        if (quit_at >= 0) {
            int64_t left = quit_at - now_ms();
            if (left <= 0)
                return 0;
            timeout = (int)left;
        }
        if (poll(p, 3, timeout) < 0) {
            if (errno == EINTR)
                continue;
            app_fail("poll");
        }
        app_daemon_check(p[2].revents);
        if (p[0].revents) {
            ssize_t n = read(STDIN_FILENO, buf, UDP_MAX);
            if (n < 0 && errno != EINTR && errno != EAGAIN)
                app_fail("read");
            if (n == 0) {
                in_open = 0;
                if (o->quit_secs >= 0)
                    quit_at = now_ms() + (int64_t)o->quit_secs * 1000;
            } else if (n > 0 && us_send(fd, buf, (size_t)n, 0) < 0) {
                app_fail("send");
            }
        }
        if (p[1].revents) {
            struct sockaddr_in src;
            socklen_t len = sizeof(src);
            ssize_t n = us_recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
                                    (struct sockaddr *)&src, &len);
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                app_fail("recv");
            if (n == 0 && len == 0) {
                app_daemon_check_now(); /* the daemon went away, or the socket */
                return 0;               /* end of file from the stack */
            }
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

    while ((c = getopt(argc, argv, "ulq:C:h")) != -1) {
        switch (c) {
        case 'u': o.udp = 1; break;
        case 'l': o.listen = 1; break;
        case 'q': o.quit_secs = (int)app_num(optarg, "SECS", 0, 86400, usage); break;
        case 'C': o.cc = optarg; break;
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
    o.addr.sin_port = htons((uint16_t)app_num(argv[argc - 1], "PORT", 1, 65535, usage));

    int fd, r;
    if (o.udp) {
        fd = o.listen ? udp_listen(&o) : udp_dial(&o);
        r = pump_udp(fd, &o);
    } else {
        fd = o.listen ? tcp_listen(&o) : tcp_dial(&o);
        r = pump_tcp(fd, &o);
    }
    us_close(fd);
    return r;
}
