/*
 * echo-client - check a TCP echo service (RFC 862) end to end over ustack
 * and measure it: every byte sent must come back, in order, unchanged.
 *
 *   echo-client [-n BYTES] [-c CONNS] [-t SECS] HOST PORT
 *
 * Opens CONNS connections (default 1) at once, non-blocking, and drives
 * them all from one poll() loop: each sends BYTES (default 1 MiB; K, M, G
 * suffixes) of a pattern of its own, then half-closes (shutdown SHUT_WR),
 * and reads the echo until the server closes, comparing byte for byte as
 * it arrives. Sending and reading overlap, so the server's buffering and
 * both TCP windows are exercised. A connection that makes no progress for
 * SECS seconds (default 30) is given up.
 *
 * Prints one line per problem on stderr, then on stdout
 *   C/CONNS connections echoed BYTES bytes intact: T bytes each way in
 *   S s, X MB/s each way (connect avg/max A/B ms)
 * Exit 0 only if every connection echoed every byte intact; 1 otherwise;
 * 2 for bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

#define PROG "echo-client"
#define BUF_LEN (64 * 1024)
#define CONNS_MAX 10000

enum phase { CONNECTING, RUNNING, DONE, FAILED };

struct conn {
    int fd;
    uint32_t id;
    enum phase phase;
    uint64_t sent, rcvd;
    int wr_shut;
    int64_t t_start_us, t_conn_us, t_progress_us;
};

static uint64_t bytes = 1024 * 1024;
static uint32_t run_salt;

static void
usage(void)
{
    fprintf(stderr, "usage: " PROG " [-n BYTES] [-c CONNS] [-t SECS] HOST PORT\n"
                    "  send BYTES (default 1M; K, M, G suffixes) on each of CONNS\n"
                    "  connections (default 1) to a TCP echo server at HOST (A.B.C.D)\n"
                    "  and check the echo; give up after SECS (default 30) without\n"
                    "  progress\n");
    exit(2);
}

/* 123, 64K, 10M, 1G */
static uint64_t
parse_size(const char *s)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    uint64_t mult = 1;
    if (*end == 'K' || *end == 'k')
        mult = 1024, end++;
    else if (*end == 'M' || *end == 'm')
        mult = 1024 * 1024, end++;
    else if (*end == 'G' || *end == 'g')
        mult = 1024 * 1024 * 1024, end++;
    if (*s == '\0' || *s == '-' || *end != '\0' || errno || v > (1ull << 40) / mult) {
        fprintf(stderr, PROG ": BYTES '%s' must be a count up to 1T (K, M, G suffixes)\n",
                s);
        usage();
    }
    return v * mult;
}

static int64_t
now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Byte `off` of connection id's stream: changes with every byte, repeats
 * only after 2^32 bytes, and differs between connections and runs, so a
 * byte lost, doubled, reordered or crossed from another connection shows. */
static inline uint8_t
pattern_byte(uint32_t id, uint64_t off)
{
    uint32_t x = (uint32_t)(off >> 2) * 2654435761u ^ (id * 40503u + run_salt);
    x ^= x >> 15;
    return (uint8_t)(x >> (8 * (off & 3)));
}

static void
pattern_fill(uint8_t *b, size_t len, uint32_t id, uint64_t off)
{
    for (size_t i = 0; i < len; i++)
        b[i] = pattern_byte(id, off + i);
}

/* Where a connection that stopped making progress is stuck (TCP_INFO). */
static void
conn_stuck(const struct conn *c)
{
    static const char *const names[] = {
        "?",         "ESTABLISHED", "SYN_SENT",   "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
        "TIME_WAIT", "CLOSE",       "CLOSE_WAIT", "LAST_ACK", "LISTEN",    "CLOSING",
    };
    struct tcp_info ti;
    socklen_t len = sizeof(ti);

    if (us_getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
        return;
    fprintf(stderr,
            PROG ": connection %u: %s%s, unacked %u segments, rto %u us, retransmitted "
                 "%u\n",
            c->id, ti.tcpi_state < 12 ? names[ti.tcpi_state] : "?",
            c->wr_shut ? " (we sent FIN)" : "", ti.tcpi_unacked, ti.tcpi_rto,
            ti.tcpi_total_retrans);
}

static void
conn_fail(struct conn *c, const char *what, int err)
{
    fprintf(stderr, PROG ": connection %u: %s: %s (sent %llu, echoed %llu of %llu)\n",
            c->id, what, strerror(err), (unsigned long long)c->sent,
            (unsigned long long)c->rcvd, (unsigned long long)bytes);
    c->phase = FAILED;
    us_close(c->fd);
    c->fd = -1;
}

/* Send what the socket takes; half-close after the last byte. */
static void
conn_send(struct conn *c, uint8_t *buf)
{
    while (c->sent < bytes) {
        size_t n = bytes - c->sent < BUF_LEN ? (size_t)(bytes - c->sent) : BUF_LEN;
        pattern_fill(buf, n, c->id, c->sent);
        ssize_t w = us_send(c->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return;
            conn_fail(c, "send", errno);
            return;
        }
        c->sent += (uint64_t)w;
        c->t_progress_us = now_us();
    }
    if (!c->wr_shut) {
        if (us_shutdown(c->fd, SHUT_WR) < 0) {
            conn_fail(c, "shutdown", errno);
            return;
        }
        c->wr_shut = 1;
    }
}

/* Read the echo and check it. */
static void
conn_recv(struct conn *c, uint8_t *buf)
{
    for (int k = 0; k < 4; k++) {
        ssize_t n = us_recv(c->fd, buf, BUF_LEN, MSG_DONTWAIT);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                conn_fail(c, "recv", errno);
            return;
        }
        if (n == 0) {
            if (c->rcvd != bytes || c->sent != bytes) {
                fprintf(stderr,
                        PROG ": connection %u: closed by the server after %llu of "
                             "%llu bytes echoed\n",
                        c->id, (unsigned long long)c->rcvd, (unsigned long long)bytes);
                c->phase = FAILED;
            } else {
                c->phase = DONE;
            }
            us_close(c->fd);
            c->fd = -1;
            return;
        }
        if (c->rcvd + (uint64_t)n > c->sent) {
            fprintf(stderr,
                    PROG ": connection %u: %llu bytes echoed, only %llu were sent\n",
                    c->id, (unsigned long long)(c->rcvd + (uint64_t)n),
                    (unsigned long long)c->sent);
            c->phase = FAILED;
            us_close(c->fd);
            c->fd = -1;
            return;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != pattern_byte(c->id, c->rcvd + (uint64_t)i)) {
                fprintf(stderr,
                        PROG ": connection %u: echo differs at byte %llu: 0x%02x, sent "
                             "0x%02x\n",
                        c->id, (unsigned long long)(c->rcvd + (uint64_t)i), buf[i],
                        pattern_byte(c->id, c->rcvd + (uint64_t)i));
                c->phase = FAILED;
                us_close(c->fd);
                c->fd = -1;
                return;
            }
        }
        c->rcvd += (uint64_t)n;
        c->t_progress_us = now_us();
        if (n < BUF_LEN)
            return;
    }
}

/* The non-blocking connect ended (POLLOUT): SO_ERROR says how. */
static void
conn_connected(struct conn *c)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (us_getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
        conn_fail(c, "getsockopt SO_ERROR", errno);
        return;
    }
    if (err) {
        conn_fail(c, "connect", err);
        return;
    }
    c->phase = RUNNING;
    c->t_conn_us = now_us();
    c->t_progress_us = c->t_conn_us;
}

int
main(int argc, char **argv)
{
    static uint8_t txbuf[BUF_LEN], rxbuf[BUF_LEN];
    long nconns = 1, timeout_s = 30;
    int c;

    while ((c = getopt(argc, argv, "n:c:t:h")) != -1) {
        switch (c) {
        case 'n': bytes = parse_size(optarg); break;
        case 'c': nconns = app_num(optarg, "CONNS", 1, CONNS_MAX, usage); break;
        case 't': timeout_s = app_num(optarg, "SECS", 1, 86400, usage); break;
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

    struct conn *conns = calloc((size_t)nconns, sizeof(*conns));
    /* one more: the daemon's control connection, whose hangup ends us */
    struct pollfd *pfd = calloc((size_t)nconns + 1, sizeof(*pfd));
    if (!conns || !pfd)
        app_fail("calloc");
    run_salt = (uint32_t)getpid() * 2246822519u ^ (uint32_t)now_us();

    int64_t t0 = now_us();
    for (long i = 0; i < nconns; i++) {
        struct conn *k = &conns[i];
        k->id = (uint32_t)i;
        k->t_start_us = k->t_progress_us = now_us();
        k->fd = us_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (k->fd < 0)
            app_fail("socket");
        if (us_connect(k->fd, (struct sockaddr *)&dst, sizeof(dst)) == 0) {
            k->phase = RUNNING;
            k->t_conn_us = now_us();
        } else if (errno == EINPROGRESS) {
            k->phase = CONNECTING;
        } else {
            conn_fail(k, "connect", errno);
        }
    }

    int dfd = app_daemon_fd();
    for (;;) {
        nfds_t n = 1;
        int64_t now = now_us();
        pfd[0] = (struct pollfd){.fd = dfd, .events = POLLIN};
        for (long i = 0; i < nconns; i++) {
            struct conn *k = &conns[i];
            if (k->phase == CONNECTING || k->phase == RUNNING) {
                if (now - k->t_progress_us > timeout_s * 1000000) {
                    conn_stuck(k);
                    conn_fail(k, k->phase == CONNECTING ? "connect" : "no progress",
                              ETIMEDOUT);
                    continue;
                }
                short ev = k->phase == CONNECTING ? POLLOUT
                           : k->sent < bytes      ? POLLIN | POLLOUT
                                                  : POLLIN;
                pfd[n++] = (struct pollfd){.fd = k->fd, .events = ev};
            }
        }
        if (n == 1)
            break;
        if (poll(pfd, n, 1000) < 0) {
            if (errno == EINTR)
                continue;
            app_fail("poll");
        }
        app_daemon_check(pfd[0].revents);
        n = 1;
        for (long i = 0; i < nconns; i++) {
            struct conn *k = &conns[i];
            if (k->phase != CONNECTING && k->phase != RUNNING)
                continue;
            short re = pfd[n++].revents;
            if (!re)
                continue;
            if (k->phase == CONNECTING) {
                conn_connected(k);
                if (k->phase != RUNNING)
                    continue;
            }
            if (k->sent < bytes || !k->wr_shut)
                conn_send(k, txbuf);
            if (k->phase == RUNNING && (re & (POLLIN | POLLHUP | POLLERR)))
                conn_recv(k, rxbuf);
        }
    }
    double secs = (double)(now_us() - t0) / 1e6;

    long ok = 0;
    uint64_t total = 0;
    int64_t conn_sum = 0, conn_max = 0, nconnected = 0;
    for (long i = 0; i < nconns; i++) {
        if (conns[i].phase == DONE)
            ok++;
        total += conns[i].rcvd;
        if (conns[i].t_conn_us) {
            int64_t d = conns[i].t_conn_us - conns[i].t_start_us;
            nconnected++;
            conn_sum += d;
            conn_max = d > conn_max ? d : conn_max;
        }
    }
    printf("%ld/%ld connections echoed %llu bytes intact: %llu bytes each way in "
           "%.3f s, %.2f MB/s each way (connect avg/max %.1f/%.1f ms)\n",
           ok, nconns, (unsigned long long)bytes, (unsigned long long)total, secs,
           secs > 0 ? (double)total / secs / 1e6 : 0.0,
           nconnected ? (double)conn_sum / (double)nconnected / 1000.0 : 0.0,
           (double)conn_max / 1000.0);
    free(conns);
    free(pfd);
    return ok == nconns ? 0 : 1;
}
