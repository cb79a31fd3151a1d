/*
 * tcp_api.c - helper of tests/interop/tcp_apps.sh: libustack's TCP calls
 * against kernel TCP peers, checking results and errnos against what
 * Linux gives for the same calls (ustack.h).
 *
 *   tcp_api [--cc-default NAME] KERNEL_ADDR STACK_ADDR SILENT_ADDR PORT
 *
 * KERNEL_ADDR is this namespace's own address on the TAP link (kernel
 * sockets of this process listen and connect there), STACK_ADDR the
 * daemon's, SILENT_ADDR an address on the link nobody answers (a connect
 * to it stays in SYN_SENT), PORT the first of a few ports used. Prints
 * TAP-style lines; exit 0 only if all passed. --cc-default NAME: only the
 * TCP_CONGESTION checks, with NAME what a new socket must have (ustackd
 * --cc; cubic when not given).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ustack.h"

#define WAIT_MS 3000
#define CC_NAME_MAX 16 /* Linux's TCP_CA_NAME_MAX: a name and its NUL */

static int failures;
static struct in_addr kern_ip, stack_ip, silent_ip;
static int port;
static volatile sig_atomic_t sigpipes;

static void
report(int ok, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    printf("%s - tcp_api: ", ok ? "ok" : "not ok");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
    if (!ok)
        failures++;
}

/* A call that must fail with errno want. */
#define EXPECT_ERR(want, call, what)                                                     \
    do {                                                                                 \
        errno = 0;                                                                       \
        long r_ = (long)(call);                                                          \
        int e_ = errno;                                                                  \
        report(r_ == -1 && e_ == (want), "%s: %s (got %ld, %s)", what, strerror(want),   \
               r_, r_ == -1 ? strerror(e_) : "no error");                                \
    } while (0)
/* A call that must succeed (return >= 0). */
#define EXPECT_OK(call, what)                                                            \
    do {                                                                                 \
        errno = 0;                                                                       \
        long r_ = (long)(call);                                                          \
        report(r_ >= 0, "%s (got %ld%s%s)", what, r_, r_ < 0 ? ", " : "",                \
               r_ < 0 ? strerror(errno) : "");                                           \
    } while (0)

static struct sockaddr_in
sin_of(struct in_addr a, int p)
{
    struct sockaddr_in s = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)p), .sin_addr = a};
    return s;
}

static void
die(const char *what)
{
    printf("not ok - tcp_api: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* A kernel listener on KERNEL_ADDR:p. */
static int
kern_listen(int p)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = sin_of(kern_ip, p);

    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0)
        die("kernel listener");
    return fd;
}

static int
kern_accept(int lfd)
{
    struct pollfd p = {.fd = lfd, .events = POLLIN};

    if (poll(&p, 1, WAIT_MS) != 1)
        return -1;
    return accept(lfd, NULL, NULL);
}

/* A ustack socket connected (blocking) to the kernel at KERNEL_ADDR:p;
 * *kfd is the kernel's end. */
static int
us_pair(int lfd, int p, int *kfd)
{
    int fd = us_socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = sin_of(kern_ip, p);

    if (fd < 0)
        die("us_socket");
    if (us_connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
        die("us_connect to the kernel");
    *kfd = kern_accept(lfd);
    if (*kfd < 0)
        die("kernel accept");
    return fd;
}

static int64_t
now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* poll one descriptor for ev, up to ms: its revents, or 0. */
static short
poll1(int fd, short ev, int ms)
{
    struct pollfd p = {.fd = fd, .events = ev};

    return poll(&p, 1, ms) == 1 ? p.revents : 0;
}

/* read exactly len bytes from a blocking kernel socket (bounded wait) */
static int
kern_read_all(int fd, char *b, size_t len)
{
    size_t got = 0;

    while (got < len) {
        if (!(poll1(fd, POLLIN, WAIT_MS) & (POLLIN | POLLHUP)))
            return -1;
        ssize_t n = recv(fd, b + got, len - got, 0);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

static void
on_sigpipe(int sig)
{
    (void)sig;
    sigpipes++;
}

/* ---- the checks ---- */

static void
test_errors_unconnected(void)
{
    int fd = us_socket(AF_INET, SOCK_STREAM, 0), v;
    int u = us_socket(AF_INET, SOCK_DGRAM, 0);
    char b[8];
    socklen_t len = sizeof(v);

    if (fd < 0 || u < 0)
        die("us_socket");
    EXPECT_ERR(EINVAL, us_accept(fd, NULL, NULL), "accept on a TCP socket not listening");
    EXPECT_ERR(EOPNOTSUPP, us_accept(u, NULL, NULL), "accept on a UDP socket");
    EXPECT_ERR(EOPNOTSUPP, us_listen(u, 1), "listen on a UDP socket");
    EXPECT_ERR(EINVAL, us_accept4(fd, NULL, NULL, 0x1234), "accept4 with unknown flags");
    EXPECT_ERR(EPIPE, us_send(fd, "x", 1, MSG_NOSIGNAL), "send on an unconnected socket");
    EXPECT_ERR(ENOTCONN, us_recv(fd, b, sizeof(b), MSG_DONTWAIT),
               "recv on an unconnected socket");
    EXPECT_ERR(ENOTCONN, us_shutdown(fd, SHUT_WR), "shutdown on an unconnected socket");
    EXPECT_ERR(EINVAL, us_shutdown(fd, 7), "shutdown with how 7");
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    EXPECT_ERR(ENOTCONN, us_getpeername(fd, (struct sockaddr *)&a, &alen),
               "getpeername on an unconnected socket");
    EXPECT_ERR(EOPNOTSUPP, us_getsockopt(u, IPPROTO_TCP, TCP_INFO, b, &len),
               "TCP_INFO on a UDP socket");
    sigpipes = 0;
    EXPECT_ERR(EPIPE, us_send(fd, "x", 1, 0), "send without MSG_NOSIGNAL");
    report(sigpipes == 1, "... and it raised SIGPIPE once (%d)", (int)sigpipes);
    len = sizeof(v);
    EXPECT_OK(us_getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len), "SO_TYPE");
    report(v == SOCK_STREAM, "SO_TYPE is SOCK_STREAM (%d)", v);
    struct sockaddr_in6 six = {.sin6_family = AF_INET6};
    EXPECT_ERR(EAFNOSUPPORT, us_connect(fd, (struct sockaddr *)&six, sizeof(six)),
               "connect to an AF_INET6 address");
    a = sin_of(kern_ip, port);
    EXPECT_ERR(EINVAL, us_connect(fd, (struct sockaddr *)&a, 8),
               "connect, short address");
    us_close(fd);
    us_close(u);
}

static void
test_connect_refused(void)
{
    struct sockaddr_in a = sin_of(kern_ip, port + 9); /* nobody listens */
    int fd = us_socket(AF_INET, SOCK_STREAM, 0);

    EXPECT_ERR(ECONNREFUSED, us_connect(fd, (struct sockaddr *)&a, sizeof(a)),
               "blocking connect to a closed kernel port");
    us_close(fd);

    fd = us_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    EXPECT_ERR(EINPROGRESS, us_connect(fd, (struct sockaddr *)&a, sizeof(a)),
               "non-blocking connect to a closed port");
    short re = poll1(fd, POLLOUT, WAIT_MS);
    report(re & POLLOUT, "... POLLOUT when it failed (revents 0x%x)", re);
    int err = 0;
    socklen_t len = sizeof(err);
    EXPECT_OK(us_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), "getsockopt SO_ERROR");
    report(err == ECONNREFUSED, "... SO_ERROR is ECONNREFUSED (%s)", strerror(err));
    len = sizeof(err);
    us_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    report(err == 0, "... and reads 0 the second time (%d)", err);
    us_close(fd);
}

static void
test_connect_nonblocking(int lfd)
{
    struct sockaddr_in a = sin_of(kern_ip, port);
    int fd = us_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

    EXPECT_ERR(EINPROGRESS, us_connect(fd, (struct sockaddr *)&a, sizeof(a)),
               "non-blocking connect to a kernel listener");
    short re = poll1(fd, POLLOUT, WAIT_MS);
    report(re & POLLOUT, "... POLLOUT once connected (revents 0x%x)", re);
    int err = -1;
    socklen_t len = sizeof(err);
    us_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    report(err == 0, "... SO_ERROR 0 (%d)", err);
    EXPECT_OK(us_connect(fd, (struct sockaddr *)&a, sizeof(a)),
              "connect again after it completed: 0 once (as Linux)");
    EXPECT_ERR(EISCONN, us_connect(fd, (struct sockaddr *)&a, sizeof(a)),
               "... then EISCONN");
    int kfd = kern_accept(lfd);
    report(kfd >= 0, "kernel accepted it");
    EXPECT_ERR(EINVAL, us_listen(fd, 1), "listen on a connected socket");
    EXPECT_ERR(EINVAL, us_accept(fd, NULL, NULL), "accept on a connected socket");
    struct sockaddr_in me, peer, kpeer;
    socklen_t l1 = sizeof(me), l2 = sizeof(peer), l3 = sizeof(kpeer);
    us_getsockname(fd, (struct sockaddr *)&me, &l1);
    us_getpeername(fd, (struct sockaddr *)&peer, &l2);
    getpeername(kfd, (struct sockaddr *)&kpeer, &l3);
    report(me.sin_addr.s_addr == stack_ip.s_addr && me.sin_port == kpeer.sin_port &&
               peer.sin_addr.s_addr == kern_ip.s_addr && peer.sin_port == htons(port),
           "getsockname/getpeername agree with the kernel's view");
    /* a non-blocking send of more than fits: EAGAIN eventually, never a block */
    static char big[1 << 16];
    ssize_t total = 0, n;
    int64_t t0 = now_ms();
    while ((n = us_send(fd, big, sizeof(big), MSG_NOSIGNAL)) > 0 && now_ms() - t0 < 5000)
        total += n;
    report(n < 0 && errno == EAGAIN,
           "non-blocking send to a peer that does not read ends in EAGAIN (after %zd "
           "bytes)",
           total);
    us_close(fd);
    close(kfd);
}

static void
test_connect_pending(void)
{
    struct sockaddr_in a = sin_of(silent_ip, port);
    int fd = us_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

    EXPECT_ERR(EINPROGRESS, us_connect(fd, (struct sockaddr *)&a, sizeof(a)),
               "non-blocking connect to an address nobody answers");
    EXPECT_ERR(EALREADY, us_connect(fd, (struct sockaddr *)&a, sizeof(a)),
               "connect again while it is under way");
    report(!(poll1(fd, POLLOUT, 200) & POLLOUT), "not writable while connecting");
    EXPECT_ERR(EAGAIN, us_send(fd, "x", 1, MSG_NOSIGNAL), "send while connecting");
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    EXPECT_OK(us_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), "TCP_INFO");
    report(ti.tcpi_state == TCP_SYN_SENT, "TCP_INFO while connecting: TCP_SYN_SENT (%d)",
           ti.tcpi_state);
    us_close(fd);

    /* a blocking connect gives up after SO_SNDTIMEO, with EINPROGRESS */
    fd = us_socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {.tv_usec = 300000};
    us_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int64_t t0 = now_ms();
    EXPECT_ERR(EINPROGRESS, us_connect(fd, (struct sockaddr *)&a, sizeof(a)),
               "blocking connect with SO_SNDTIMEO 300 ms to nobody");
    int64_t dt = now_ms() - t0;
    report(dt >= 250 && dt < 2000, "... after about 300 ms (%lld)", (long long)dt);
    us_close(fd);
}

static void
test_data(int lfd)
{
    int kfd, fd = us_pair(lfd, port, &kfd);
    char b[64];

    EXPECT_ERR(EAGAIN, us_recv(fd, b, sizeof(b), MSG_DONTWAIT), "recv, nothing there");
    send(kfd, "hello world", 11, 0);
    report(poll1(fd, POLLIN, WAIT_MS) & POLLIN, "POLLIN when the kernel sent");
    ssize_t n = us_recv(fd, b, 5, MSG_PEEK);
    report(n == 5 && memcmp(b, "hello", 5) == 0, "MSG_PEEK sees 5 bytes (%zd)", n);
    n = us_recv(fd, b, 5, MSG_TRUNC);
    report(n == 5, "MSG_TRUNC takes 5 bytes without copying (%zd)", n);
    n = us_recv(fd, b, sizeof(b), 0);
    report(n == 6 && memcmp(b, " world", 6) == 0, "recv gets the rest (%zd)", n);
    /* MSG_WAITALL: 3 sends, one recv */
    send(kfd, "abc", 3, 0);
    usleep(50000);
    send(kfd, "def", 3, 0);
    usleep(50000);
    send(kfd, "ghi", 3, 0);
    n = us_recv(fd, b, 9, MSG_WAITALL);
    report(n == 9 && memcmp(b, "abcdefghi", 9) == 0, "MSG_WAITALL waits for all 9 (%zd)",
           n);
    n = us_send(fd, "0123456789", 10, 0);
    report(n == 10 && kern_read_all(kfd, b, 10) == 0 && memcmp(b, "0123456789", 10) == 0,
           "send reaches the kernel");

    /* SHUT_WR: the kernel reads EOF and can still send */
    EXPECT_OK(us_shutdown(fd, SHUT_WR), "shutdown SHUT_WR");
    report((poll1(kfd, POLLIN, WAIT_MS) & POLLIN) && recv(kfd, b, sizeof(b), 0) == 0,
           "the kernel reads end of file");
    EXPECT_ERR(EPIPE, us_send(fd, "x", 1, MSG_NOSIGNAL), "send after SHUT_WR");
    send(kfd, "late", 4, 0);
    n = us_recv(fd, b, sizeof(b), 0);
    report(n == 4 && memcmp(b, "late", 4) == 0, "still receives after SHUT_WR (%zd)", n);
    close(kfd);
    n = us_recv(fd, b, sizeof(b), 0);
    report(n == 0, "end of file after the kernel closed (%zd)", n);
    us_close(fd);

    /* SHUT_RD */
    fd = us_pair(lfd, port, &kfd);
    EXPECT_OK(us_shutdown(fd, SHUT_RD), "shutdown SHUT_RD");
    n = us_recv(fd, b, sizeof(b), 0);
    report(n == 0, "recv after SHUT_RD: end of file (%zd)", n);
    n = us_send(fd, "still", 5, 0);
    report(n == 5 && kern_read_all(kfd, b, 5) == 0, "still sends after SHUT_RD");
    us_close(fd);
    close(kfd);
}

static void
test_reset(int lfd)
{
    int kfd, fd = us_pair(lfd, port, &kfd);
    struct linger lg = {1, 0};
    char b[16];

    /* the kernel resets the connection */
    setsockopt(kfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(kfd);
    report(poll1(fd, POLLIN, WAIT_MS) & POLLIN, "POLLIN after the kernel's RST");
    EXPECT_ERR(ECONNRESET, us_recv(fd, b, sizeof(b), 0), "recv after RST");
    ssize_t n = us_recv(fd, b, sizeof(b), 0);
    report(n == 0, "... then end of file (%zd)", n);
    n = us_send(fd, "x", 1, MSG_NOSIGNAL);
    int e = errno;
    report(n < 0 && (e == EPIPE || e == ECONNRESET), "send after RST: EPIPE (%zd, %s)", n,
           n < 0 ? strerror(e) : "-");
    us_close(fd);

    /* we reset it: SO_LINGER {1, 0} */
    fd = us_pair(lfd, port, &kfd);
    EXPECT_OK(us_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)),
              "SO_LINGER {1, 0}");
    us_close(fd);
    report(poll1(kfd, POLLIN, WAIT_MS) & (POLLIN | POLLHUP | POLLERR),
           "the kernel notices the close");
    n = recv(kfd, b, sizeof(b), 0);
    e = errno;
    report(n < 0 && e == ECONNRESET,
           "close with SO_LINGER {1, 0}: the kernel gets "
           "ECONNRESET (%zd, %s)",
           n, n < 0 ? strerror(e) : "-");
    close(kfd);

    /* a graceful close: the data, then FIN */
    fd = us_pair(lfd, port, &kfd);
    static char big[200000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 7);
    size_t off = 0;
    while (off < sizeof(big)) {
        n = us_send(fd, big + off, sizeof(big) - off, 0);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    us_close(fd);
    static char got[sizeof(big)];
    int okread = kern_read_all(kfd, got, sizeof(got)) == 0;
    n = recv(kfd, b, sizeof(b), 0);
    report(okread && memcmp(big, got, sizeof(big)) == 0 && n == 0,
           "close after 200000 bytes: the kernel reads all of them, then end of file");
    close(kfd);
}

static void
test_listen_accept(void)
{
    int lfd = us_socket(AF_INET, SOCK_STREAM, 0), one = 1, v;
    struct sockaddr_in a = sin_of(stack_ip, port + 1);
    socklen_t len;
    char b[8];

    us_setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    EXPECT_OK(us_bind(lfd, (struct sockaddr *)&a, sizeof(a)), "bind a listener");
    EXPECT_OK(us_listen(lfd, 8), "listen");
    len = sizeof(v);
    us_getsockopt(lfd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len);
    report(v == 1, "SO_ACCEPTCONN 1 on a listener (%d)", v);
    EXPECT_ERR(ENOTCONN, us_recv(lfd, b, sizeof(b), MSG_DONTWAIT), "recv on a listener");
    EXPECT_ERR(EPIPE, us_send(lfd, "x", 1, MSG_NOSIGNAL), "send on a listener");
    EXPECT_OK(us_shutdown(lfd, SHUT_WR), "shutdown SHUT_WR on a listener: nothing");
    struct tcp_info ti;
    len = sizeof(ti);
    us_getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &len);
    report(ti.tcpi_state == TCP_LISTEN, "TCP_INFO on a listener: TCP_LISTEN (%d)",
           ti.tcpi_state);
    int fl = fcntl(lfd, F_GETFL);
    fcntl(lfd, F_SETFL, fl | O_NONBLOCK);
    EXPECT_ERR(EAGAIN, us_accept(lfd, NULL, NULL), "non-blocking accept, none waiting");
    report(!(poll1(lfd, POLLIN, 100) & POLLIN),
           "listener not readable with none waiting");

    int k = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(k, (struct sockaddr *)&a, sizeof(a)) < 0)
        die("kernel connect to the ustack listener");
    report(poll1(lfd, POLLIN, WAIT_MS) & POLLIN, "listener readable with one waiting");
    struct sockaddr_in peer, kme;
    socklen_t plen = sizeof(peer), klen = sizeof(kme);
    int fd =
        us_accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    report(fd >= 0, "accept4 (%d%s%s)", fd, fd < 0 ? ", " : "",
           fd < 0 ? strerror(errno) : "");
    getsockname(k, (struct sockaddr *)&kme, &klen);
    report(plen == sizeof(peer) && peer.sin_addr.s_addr == kme.sin_addr.s_addr &&
               peer.sin_port == kme.sin_port,
           "accept's address is the kernel's end");
    report((fcntl(fd, F_GETFL) & O_NONBLOCK) && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
           "SOCK_NONBLOCK and SOCK_CLOEXEC applied");
    report(!(poll1(lfd, POLLIN, 100) & POLLIN), "listener not readable once taken");
    send(k, "ping", 4, 0);
    report(poll1(fd, POLLIN, WAIT_MS) & POLLIN, "accepted socket readable");
    ssize_t n = us_recv(fd, b, sizeof(b), 0);
    report(n == 4 && memcmp(b, "ping", 4) == 0, "accepted socket receives (%zd)", n);
    len = sizeof(v);
    us_getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len);
    report(v == 0, "SO_ACCEPTCONN 0 on a connected socket (%d)", v);
    us_close(fd);
    close(k);

    /* plain accept: blocking, not close-on-exec */
    fcntl(lfd, F_SETFL, fl);
    k = socket(AF_INET, SOCK_STREAM, 0);
    connect(k, (struct sockaddr *)&a, sizeof(a));
    fd = us_accept(lfd, NULL, NULL);
    report(fd >= 0 && !(fcntl(fd, F_GETFL) & O_NONBLOCK) &&
               !(fcntl(fd, F_GETFD) & FD_CLOEXEC),
           "accept: a blocking descriptor, not close-on-exec");
    us_close(fd);
    close(k);

    /* several at once, taken in order */
    int ks[4];
    for (int i = 0; i < 4; i++) {
        ks[i] = socket(AF_INET, SOCK_STREAM, 0);
        connect(ks[i], (struct sockaddr *)&a, sizeof(a));
        send(ks[i], &i, 1, 0);
    }
    int got = 0;
    for (int i = 0; i < 4; i++) {
        fd = us_accept(lfd, NULL, NULL);
        char c = -1;
        if (fd >= 0 && us_recv(fd, &c, 1, 0) == 1)
            got |= 1 << c;
        us_close(fd);
    }
    report(got == 0xf, "four connections waiting, four accepted (mask 0x%x)", got);
    for (int i = 0; i < 4; i++)
        close(ks[i]);
    us_close(lfd);
}

static void
test_options(int lfd)
{
    int kfd, fd = us_pair(lfd, port, &kfd), v;
    socklen_t len;

#define SETGET(level, name, set, want, what)                                             \
    do {                                                                                 \
        int s_ = (set), g_ = -12345;                                                     \
        socklen_t l_ = sizeof(g_);                                                       \
        int r1_ = us_setsockopt(fd, level, name, &s_, sizeof(s_));                       \
        int e1_ = errno;                                                                 \
        int r2_ = us_getsockopt(fd, level, name, &g_, &l_);                              \
        report(r1_ == 0 && r2_ == 0 && g_ == (want), "%s: set %d, get %d (want %d)%s%s", \
               what, s_, g_, (want), r1_ < 0 ? ": " : "", r1_ < 0 ? strerror(e1_) : ""); \
    } while (0)

    SETGET(SOL_SOCKET, SO_REUSEADDR, 1, 1, "SO_REUSEADDR");
    SETGET(SOL_SOCKET, SO_KEEPALIVE, 1, 1, "SO_KEEPALIVE");
    SETGET(SOL_SOCKET, SO_KEEPALIVE, 0, 0, "SO_KEEPALIVE off");
    SETGET(IPPROTO_TCP, TCP_NODELAY, 1, 1, "TCP_NODELAY");
    SETGET(IPPROTO_TCP, TCP_KEEPIDLE, 30, 30, "TCP_KEEPIDLE");
    SETGET(IPPROTO_TCP, TCP_KEEPINTVL, 5, 5, "TCP_KEEPINTVL");
    SETGET(IPPROTO_TCP, TCP_KEEPCNT, 3, 3, "TCP_KEEPCNT");
    SETGET(SOL_SOCKET, SO_SNDBUF, 65536, 131072, "SO_SNDBUF (doubled, as Linux)");
    SETGET(SOL_SOCKET, SO_RCVBUF, 1 << 20, 2 << 20, "SO_RCVBUF (doubled, as Linux)");
    len = sizeof(v);
    EXPECT_OK(us_getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &v, &len), "TCP_MAXSEG");
    report(v > 500 && v <= 1460, "TCP_MAXSEG on a 1500-byte link: %d", v);
    len = sizeof(v);
    us_getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &len);
    report(v == 0, "SO_ERROR 0 (%d)", v);

    struct linger lg = {1, 5}, lg2 = {-1, -1};
    len = sizeof(lg2);
    EXPECT_OK(us_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)),
              "SO_LINGER {1, 5}");
    EXPECT_OK(us_getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg2, &len), "get SO_LINGER");
    report(len == sizeof(lg2) && lg2.l_onoff == 1 && lg2.l_linger == 5,
           "SO_LINGER reads {1, 5} ({%d, %d}, len %u)", lg2.l_onoff, lg2.l_linger, len);
    lg = (struct linger){0, 0};
    us_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    len = sizeof(lg2);
    us_getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg2, &len);
    report(lg2.l_onoff == 0, "SO_LINGER off reads l_onoff 0 ({%d, %d})", lg2.l_onoff,
           lg2.l_linger);
    EXPECT_ERR(EINVAL, us_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, 4),
               "SO_LINGER with a short length");

    /* TCP_INFO after some traffic */
    static char big[100000];
    us_send(fd, big, sizeof(big), 0);
    static char sink[sizeof(big)];
    kern_read_all(kfd, sink, sizeof(sink));
    usleep(100000);
    struct tcp_info ti;
    memset(&ti, 0xff, sizeof(ti));
    len = sizeof(ti);
    EXPECT_OK(us_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), "TCP_INFO");
    report(len == sizeof(ti) && ti.tcpi_state == TCP_ESTABLISHED &&
               ti.tcpi_snd_mss > 500 && ti.tcpi_rto >= 200000 && ti.tcpi_rtt > 0 &&
               ti.tcpi_snd_cwnd >= 1 && ti.tcpi_unacked == 0,
           "TCP_INFO: state %u, snd_mss %u, rto %u us, rtt %u/%u us, cwnd %u, ssthresh "
           "%u, unacked %u, retrans %u",
           ti.tcpi_state, ti.tcpi_snd_mss, ti.tcpi_rto, ti.tcpi_rtt, ti.tcpi_rttvar,
           ti.tcpi_snd_cwnd, ti.tcpi_snd_ssthresh, ti.tcpi_unacked,
           ti.tcpi_total_retrans);
    len = 8;
    us_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len);
    report(len == 8, "TCP_INFO into 8 bytes: 8 copied (%u)", len);
    us_close(fd);
    close(kfd);
}

/* ---- TCP_CONGESTION ---- */

/* The name getsockopt gives in a 16-byte buffer; "" on failure. */
static const char *
cc_get(int fd, int kernel, char name[CC_NAME_MAX + 1])
{
    socklen_t len = CC_NAME_MAX;

    memset(name, 'x', CC_NAME_MAX + 1);
    int r = kernel ? getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len)
                   : us_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len);
    if (r < 0 || len != CC_NAME_MAX || name[CC_NAME_MAX - 1] != '\0' ||
        name[CC_NAME_MAX] != 'x')
        name[0] = '\0';
    return name;
}

/* setsockopt TCP_CONGESTION with n bytes of v on ustack's socket us and
 * the kernel's k (-1: none): both must give want (0 or an errno). */
static void
cc_set(int us, int k, const void *v, socklen_t n, int want, const char *what)
{
    errno = 0;
    int e1 = us_setsockopt(us, IPPROTO_TCP, TCP_CONGESTION, v, n) < 0 ? errno : 0;
    errno = 0;
    int e2 = k < 0 ? want : setsockopt(k, IPPROTO_TCP, TCP_CONGESTION, v, n) < 0 ? errno : 0;
    report(e1 == want && e2 == want, "TCP_CONGESTION %s: ustack %s, kernel %s (want %s)",
           what, e1 ? strerror(e1) : "0", e2 ? strerror(e2) : "0",
           want ? strerror(want) : "0");
}

/* A new socket's name (the daemon's --cc) and what it can be set to,
 * with the kernel's errors for the same calls. */
static void
test_congestion_names(const char *dflt)
{
    int fd = us_socket(AF_INET, SOCK_STREAM, 0), k = socket(AF_INET, SOCK_STREAM, 0);
    int u = us_socket(AF_INET, SOCK_DGRAM, 0), ku = socket(AF_INET, SOCK_DGRAM, 0);
    char name[CC_NAME_MAX + 1];
    socklen_t len;

    if (fd < 0 || k < 0 || u < 0 || ku < 0)
        die("sockets for TCP_CONGESTION");
    report(strcmp(cc_get(fd, 0, name), dflt) == 0,
           "TCP_CONGESTION of a new socket: \"%s\", NUL-padded to 16 bytes (\"%s\")", dflt,
           name);
    cc_set(fd, k, "reno", 4, 0, "\"reno\" (4 bytes)");
    report(strcmp(cc_get(fd, 0, name), "reno") == 0, "... reads \"reno\" (\"%s\")", name);
    cc_set(fd, k, "cubic", 6, 0, "\"cubic\" with its NUL");
    report(strcmp(cc_get(fd, 0, name), "cubic") == 0, "... reads \"cubic\" (\"%s\")", name);
    cc_set(fd, k, "renoXYZ", 4, 0, "the first 4 bytes of \"renoXYZ\"");
    report(strcmp(cc_get(fd, 0, name), "reno") == 0, "... reads \"reno\" (\"%s\")", name);
    cc_set(fd, k, "bogus", 5, ENOENT, "\"bogus\"");
    cc_set(fd, k, "renorenorenorenoreno", 20, ENOENT, "a 20-byte name (cut to 15)");
    cc_set(fd, k, "reno", 0, EINVAL, "length 0");
    report(strcmp(cc_get(fd, 0, name), "reno") == 0,
           "... none of them changed it: \"reno\" (\"%s\")", name);
    len = 3;
    memset(name, 'x', sizeof(name));
    EXPECT_OK(us_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len),
              "get TCP_CONGESTION into 3 bytes");
    report(len == 3 && memcmp(name, "renx", 4) == 0, "... 3 bytes, \"ren\" (len %u)", len);
    len = 100;
    EXPECT_OK(us_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len),
              "get TCP_CONGESTION into 100 bytes");
    report(len == CC_NAME_MAX, "... 16 bytes (len %u)", len);
    cc_set(u, ku, "reno", 4, ENOPROTOOPT, "on a UDP socket");
    len = sizeof(name);
    EXPECT_ERR(EOPNOTSUPP, us_getsockopt(u, IPPROTO_TCP, TCP_CONGESTION, name, &len),
               "get TCP_CONGESTION on a UDP socket");
    len = sizeof(name);
    report(getsockopt(ku, IPPROTO_TCP, TCP_CONGESTION, name, &len) < 0 &&
               errno == EOPNOTSUPP,
           "... as the kernel's UDP socket (%s)", strerror(errno));
    us_close(fd);
    us_close(u);
    close(k);
    close(ku);
}

/* TCP_INFO of a connection that moved data both ways under algorithm cc,
 * against what the kernel's end says. */
static void
test_congestion_info(int lfd, const char *cc)
{
    int kfd, fd = us_socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = sin_of(kern_ip, port);
    char name[CC_NAME_MAX + 1];
    static char big[200000], sink[sizeof(big)];

    cc_set(fd, -1, cc, (socklen_t)strlen(cc), 0, cc);
    if (us_connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || (kfd = kern_accept(lfd)) < 0)
        die("a connection for TCP_INFO");
    report(strcmp(cc_get(fd, 0, name), cc) == 0, "%s kept through connect (\"%s\")", cc,
           name);
    if (send(kfd, big, sizeof(big), 0) != (ssize_t)sizeof(big))
        die("kernel send");
    size_t got = 0;
    while (got < sizeof(big)) {
        ssize_t n = us_recv(fd, sink, sizeof(sink), 0);
        if (n <= 0)
            die("us_recv");
        got += (size_t)n;
    }
    us_send(fd, big, sizeof(big), 0);
    kern_read_all(kfd, sink, sizeof(sink));
    usleep(100000);
    struct tcp_info ti, kt;
    socklen_t len = sizeof(ti), klen = sizeof(kt);
    EXPECT_OK(us_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), "TCP_INFO");
    getsockopt(kfd, IPPROTO_TCP, TCP_INFO, &kt, &klen);
    report(ti.tcpi_ca_state == 0 && ti.tcpi_retransmits == 0 && ti.tcpi_backoff == 0,
           "%s TCP_INFO: ca_state 0 (open), no timeouts (%u, %u, %u)", cc,
           ti.tcpi_ca_state, ti.tcpi_retransmits, ti.tcpi_backoff);
    report(ti.tcpi_snd_cwnd > 10 && ti.tcpi_snd_ssthresh == 0x7fffffff,
           "%s TCP_INFO: cwnd grew from 10 in slow start (%u), ssthresh unset (%u)", cc,
           ti.tcpi_snd_cwnd, ti.tcpi_snd_ssthresh);
    report((ti.tcpi_options & TCPI_OPT_WSCALE) && ti.tcpi_snd_wscale == kt.tcpi_rcv_wscale &&
               ti.tcpi_rcv_wscale == kt.tcpi_snd_wscale,
           "%s TCP_INFO: window scaling on, shifts %u/%u, the kernel's %u/%u", cc,
           ti.tcpi_snd_wscale, ti.tcpi_rcv_wscale, kt.tcpi_snd_wscale, kt.tcpi_rcv_wscale);
    /* the options both ends agreed on, as the kernel's end sees them */
    report(ti.tcpi_options == kt.tcpi_options,
           "%s TCP_INFO: options %#x (SACK, timestamps, window scale), the kernel's %#x", cc,
           ti.tcpi_options, kt.tcpi_options);
    report(ti.tcpi_snd_mss == kt.tcpi_snd_mss && ti.tcpi_rcv_mss == kt.tcpi_snd_mss &&
               ti.tcpi_pmtu == 1500 && ti.tcpi_unacked == 0 && ti.tcpi_retrans == 0 &&
               ti.tcpi_lost == 0 && ti.tcpi_sacked == 0,
           "%s TCP_INFO: snd_mss %u rcv_mss %u (the kernel sends %u), pmtu %u, unacked %u, "
           "retrans %u, lost %u, sacked %u",
           cc, ti.tcpi_snd_mss, ti.tcpi_rcv_mss, kt.tcpi_snd_mss, ti.tcpi_pmtu,
           ti.tcpi_unacked, ti.tcpi_retrans, ti.tcpi_lost, ti.tcpi_sacked);
    us_close(fd);
    close(kfd);
}

/* A listener's algorithm is its connections'. */
static void
test_congestion_inherited(const char *cc)
{
    int lfd = us_socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = sin_of(stack_ip, port + 2);
    char name[CC_NAME_MAX + 1];

    us_setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    cc_set(lfd, -1, cc, (socklen_t)strlen(cc), 0, "on a listener");
    if (us_bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || us_listen(lfd, 4) < 0)
        die("a ustack listener");
    int k = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(k, (struct sockaddr *)&a, sizeof(a)) < 0)
        die("kernel connect to the ustack listener");
    int fd = us_accept(lfd, NULL, NULL);
    report(fd >= 0 && strcmp(cc_get(fd, 0, name), cc) == 0,
           "an accepted connection has its listener's %s (\"%s\")", cc, name);
    us_close(fd);
    close(k);
    us_close(lfd);
}

int
main(int argc, char **argv)
{
    const char *cc_default = "cubic";
    char **argv0 = argv;

    if (argc == 7 && strcmp(argv[1], "--cc-default") == 0) {
        cc_default = argv[2];
        argv += 2;
        argc -= 2;
    }
    if (argc != 5 || inet_pton(AF_INET, argv[1], &kern_ip) != 1 ||
        inet_pton(AF_INET, argv[2], &stack_ip) != 1 ||
        inet_pton(AF_INET, argv[3], &silent_ip) != 1) {
        fprintf(stderr, "usage: tcp_api [--cc-default NAME] KERNEL_ADDR STACK_ADDR "
                        "SILENT_ADDR PORT\n");
        return 2;
    }
    port = atoi(argv[4]);
    signal(SIGPIPE, on_sigpipe);
    alarm(120); /* a hang is a failure */

    int lfd = kern_listen(port);
    if (argv != argv0) { /* --cc-default: only what a daemon's --cc changes */
        test_congestion_names(cc_default);
        test_congestion_inherited(strcmp(cc_default, "reno") ? "reno" : "cubic");
        close(lfd);
        return failures ? 1 : 0;
    }
    test_errors_unconnected();
    test_connect_refused();
    test_connect_nonblocking(lfd);
    test_connect_pending();
    test_data(lfd);
    test_reset(lfd);
    test_listen_accept();
    test_options(lfd);
    test_congestion_names(cc_default);
    test_congestion_info(lfd, "cubic");
    test_congestion_info(lfd, "reno");
    test_congestion_inherited(strcmp(cc_default, "reno") ? "reno" : "cubic");
    close(lfd);
    return failures ? 1 : 0;
}
