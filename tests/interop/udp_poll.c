/*
 * udp_poll.c - helper of tests/interop/udp.sh: a ustack socket is a real
 * descriptor, so poll(), select() and epoll watch it beside any other
 * (docs/SOCKETS.md, "data and readiness").
 *
 *   udp_poll STACK_ADDR
 *
 * One ustack socket (bound to an ephemeral port) and one pipe, watched
 * together. The pipe must be reported readable when written and only
 * then; the socket when a datagram has arrived (sent by a kernel socket of
 * this process to STACK_ADDR, through the TAP) and only then; both when
 * both. Then the same with epoll and with select. Prints TAP-style lines;
 * exit 0 only if all passed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ustack.h"

#define WAIT_MS 2000

static int failures;
static int us_fd, pipe_rd, pipe_wr, kern_fd;
static struct sockaddr_in us_addr; /* the ustack socket, as the kernel sends to it */

static void
report(int ok, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    printf("%s - ", ok ? "ok" : "not ok");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
    if (!ok)
        failures++;
}

static void
note(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "#   udp_poll: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

/* poll both for POLLIN, up to ms. Bit 0: the socket, bit 1: the pipe;
 * -1 on error. With `want`, keeps polling (within ms) until all of want
 * is seen, so that a datagram and a pipe byte need not land together. */
static int
poll_both(int ms, int want)
{
    struct timespec t0, t;
    int seen = 0;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct pollfd p[2] = {{.fd = us_fd, .events = POLLIN},
                              {.fd = pipe_rd, .events = POLLIN}};
        clock_gettime(CLOCK_MONOTONIC, &t);
        long left =
            ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        int n = poll(p, 2, left > 0 ? (int)left : 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            note("poll: %s", strerror(errno));
            return -1;
        }
        seen = (p[0].revents ? 1 : 0) | (p[1].revents ? 2 : 0);
        if (p[0].revents & ~POLLIN)
            note("socket revents 0x%x", p[0].revents);
        if (!want || (seen & want) == want || left <= 0)
            return seen;
    }
}

static void
send_datagram(const char *msg)
{
    if (sendto(kern_fd, msg, strlen(msg), 0, (struct sockaddr *)&us_addr,
               sizeof(us_addr)) < 0)
        note("kernel sendto: %s", strerror(errno));
}

/* Take one datagram off the ustack socket; 0 if it is msg from the kernel
 * socket's address. */
static int
recv_datagram(const char *msg)
{
    char buf[256];
    struct sockaddr_in src, kern;
    socklen_t len = sizeof(src), klen = sizeof(kern);

    ssize_t n =
        us_recvfrom(us_fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&src, &len);
    if (n < 0) {
        note("recvfrom: %s", strerror(errno));
        return -1;
    }
    getsockname(kern_fd, (struct sockaddr *)&kern, &klen);
    if ((size_t)n != strlen(msg) || memcmp(buf, msg, (size_t)n) != 0 ||
        src.sin_port != kern.sin_port || len != sizeof(src)) {
        note("got %zd bytes from port %u (kernel socket: port %u)", n,
             ntohs(src.sin_port), ntohs(kern.sin_port));
        return -1;
    }
    return 0;
}

static void
pipe_write(void)
{
    if (write(pipe_wr, "p", 1) != 1)
        note("pipe write: %s", strerror(errno));
}

static void
pipe_drain(void)
{
    char c;

    if (read(pipe_rd, &c, 1) != 1)
        note("pipe read: %s", strerror(errno));
}

static void
test_poll(void)
{
    int r;

    r = poll_both(200, 0);
    report(r == 0, "poll: neither the socket nor the pipe is readable at first (%d)", r);

    pipe_write();
    r = poll_both(WAIT_MS, 2);
    report(r == 2, "poll: the pipe alone is readable once written (%d)", r);
    pipe_drain();
    r = poll_both(0, 0);
    report(r == 0, "poll: nothing readable once the pipe is drained (%d)", r);

    send_datagram("to the socket");
    r = poll_both(WAIT_MS, 1);
    report(r == 1, "poll: the socket alone is readable when a datagram arrives (%d)", r);
    report(recv_datagram("to the socket") == 0,
           "poll: the datagram and its source are the kernel's");
    r = poll_both(100, 0);
    report(r == 0, "poll: nothing readable once the datagram is read (%d)", r);

    pipe_write();
    send_datagram("both");
    r = poll_both(WAIT_MS, 3);
    report(r == 3, "poll: both readable when both have data (%d)", r);
    pipe_drain();
    recv_datagram("both");
}

static void
test_epoll(void)
{
    struct epoll_event ev[4];
    int ep = epoll_create1(EPOLL_CLOEXEC), n;

    struct epoll_event a = {.events = EPOLLIN, .data.fd = us_fd};
    struct epoll_event b = {.events = EPOLLIN, .data.fd = pipe_rd};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, us_fd, &a) < 0 ||
        epoll_ctl(ep, EPOLL_CTL_ADD, pipe_rd, &b) < 0) {
        report(0, "epoll: setting up: %s", strerror(errno));
        return;
    }
    n = epoll_wait(ep, ev, 4, 100);
    report(n == 0, "epoll: nothing ready at first (%d)", n);
    send_datagram("epoll");
    n = epoll_wait(ep, ev, 4, WAIT_MS);
    report(n == 1 && ev[0].data.fd == us_fd && (ev[0].events & EPOLLIN),
           "epoll: the socket alone is ready when a datagram arrives (%d)", n);
    recv_datagram("epoll");
    pipe_write();
    n = epoll_wait(ep, ev, 4, WAIT_MS);
    report(n == 1 && ev[0].data.fd == pipe_rd,
           "epoll: the pipe alone is ready once written (%d)", n);
    pipe_drain();
    close(ep);
}

static void
test_select(void)
{
    fd_set rd;
    int maxfd = us_fd > pipe_rd ? us_fd : pipe_rd;
    struct timeval tv = {.tv_sec = WAIT_MS / 1000};

    send_datagram("select");
    FD_ZERO(&rd);
    FD_SET(us_fd, &rd);
    FD_SET(pipe_rd, &rd);
    int n = select(maxfd + 1, &rd, NULL, NULL, &tv);
    report(n == 1 && FD_ISSET(us_fd, &rd) && !FD_ISSET(pipe_rd, &rd),
           "select: the socket alone is readable when a datagram arrives (%d)", n);
    recv_datagram("select");
}

int
main(int argc, char **argv)
{
    int p[2];

    us_addr.sin_family = AF_INET;
    if (argc != 2 || inet_pton(AF_INET, argv[1], &us_addr.sin_addr) != 1) {
        fprintf(stderr, "usage: udp_poll STACK_ADDR\n");
        return 2;
    }
    struct sockaddr_in any = {.sin_family = AF_INET};
    socklen_t len = sizeof(any);
    us_fd = us_socket(AF_INET, SOCK_DGRAM, 0);
    kern_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (us_fd < 0 || kern_fd < 0 || pipe(p) < 0 ||
        us_bind(us_fd, (struct sockaddr *)&any, sizeof(any)) < 0 ||
        us_getsockname(us_fd, (struct sockaddr *)&any, &len) < 0) {
        report(0, "poll: setting up: %s", strerror(errno));
        return 1;
    }
    us_addr.sin_port = any.sin_port;
    pipe_rd = p[0];
    pipe_wr = p[1];

    test_poll();
    test_epoll();
    test_select();
    us_close(us_fd);
    close(kern_fd);
    close(pipe_rd);
    close(pipe_wr);
    return failures ? 1 : 0;
}
