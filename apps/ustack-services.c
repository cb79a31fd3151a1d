/*
 * ustack-services - the classic small services over ustack, in one
 * process and one poll() loop, as inetd once served them:
 *
 *   TCP 7   echo     (RFC 862)  every byte back, until the client closes
 *   TCP 9   discard  (RFC 863)  every byte thrown away
 *   TCP 13  daytime  (RFC 867)  the date and time as a line of text, then
 *                               the server closes
 *   TCP 19  chargen  (RFC 864)  the rotating 72-character lines, for as
 *                               long as the client reads; what it sends is
 *                               thrown away
 *   UDP 7   echo     (RFC 862)  every datagram back to its sender
 *
 *   ustack-services [-o OFFSET] [-v]
 *
 * -o OFFSET serves every port at PORT + OFFSET (ports below 1024 need
 * root: the daemon checks the uid). -v logs each connection on stderr.
 *
 * Everything is non-blocking; every connection is a small state machine
 * in the loop. Nothing is buffered without bound: echo holds at most one
 * 64 KiB read per connection and reads no more until it is written back
 * (a client that does not read its echo is throttled by its TCP window);
 * chargen writes only what the socket takes when it is writable (the
 * peer's window paces it) from a precomputed block of lines. When accept
 * fails for want of descriptors or memory (EMFILE: our quota in the
 * daemon; ENFILE, ENOBUFS), the listeners rest from 10 ms up to 1 s
 * rather than spin on a connection that keeps waiting, with one log line
 * a second at most. Runs until killed, or until the daemon goes away
 * (exit 1, saying so); exit 1 if a service cannot be set up, 2 for bad
 * arguments.
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
#include "lib/app.h"

#define PROG "ustack-services"
#define BUF_LEN (64 * 1024)
#define DGRAM_MAX 65507
#define BACKLOG 128
#define ACCEPT_BURST 32 /* connections taken per wakeup of a listener */
#define UDP_BURST 64    /* datagrams echoed per wakeup */

/* RFC 864: lines of 72 characters from the 95 printable ASCII characters,
 * each starting one character further on, CR LF after each. */
#define CHARGEN_LINE 72
#define CHARGEN_CHARS 95
#define CHARGEN_PERIOD (CHARGEN_CHARS * (CHARGEN_LINE + 2)) /* bytes, 7030 */

enum svc { SVC_ECHO, SVC_DISCARD, SVC_DAYTIME, SVC_CHARGEN, SVC_UDP_ECHO, SVC_N };

static const struct {
    const char *name;
    int port;
} svcs[SVC_N] = {
    [SVC_ECHO] = {"echo", 7},         [SVC_DISCARD] = {"discard", 9},
    [SVC_DAYTIME] = {"daytime", 13},  [SVC_CHARGEN] = {"chargen", 19},
    [SVC_UDP_ECHO] = {"udp echo", 7},
};

struct conn {
    int fd;
    enum svc svc;
    struct sockaddr_in peer;
    unsigned char *buf; /* echo: read, not yet written back; daytime: the line */
    size_t off, len;
    uint64_t pos; /* chargen: bytes sent */
    int eof;      /* the client is done sending */
};

static int verbose;
static int listeners[SVC_N];
static struct app_backoff backoff; /* accept short of descriptors: wait */
static struct conn *conns;
static size_t nconns, capconns;
/* CHARGEN_PERIOD bytes repeated to cover any offset plus one full send */
static unsigned char chargen_block[CHARGEN_PERIOD + BUF_LEN];
static unsigned char udp_buf[DGRAM_MAX + 1];
static unsigned char discard_buf[BUF_LEN];

static void
usage(void)
{
    fprintf(stderr, "usage: " PROG " [-o OFFSET] [-v]\n"
                    "  TCP echo 7, discard 9, daytime 13, chargen 19 and UDP echo 7,\n"
                    "  each at PORT + OFFSET (default 0; below 1024 needs root);\n"
                    "  -v logs every connection\n");
    exit(2);
}

static const char *
peer_str(const struct sockaddr_in *peer, char *b, size_t len)
{
    char a[INET_ADDRSTRLEN];

    inet_ntop(AF_INET, &peer->sin_addr, a, sizeof(a));
    snprintf(b, len, "%s:%u", a, ntohs(peer->sin_port));
    return b;
}

static void
conn_log(const struct conn *c, const char *what, int err)
{
    char p[32];

    if (err)
        fprintf(stderr, PROG ": %s %s: %s: %s\n", svcs[c->svc].name,
                peer_str(&c->peer, p, sizeof(p)), what, strerror(err));
    else if (verbose)
        fprintf(stderr, PROG ": %s %s: %s\n", svcs[c->svc].name,
                peer_str(&c->peer, p, sizeof(p)), what);
}

static void
chargen_init(void)
{
    size_t k = 0;

    for (int line = 0; line < CHARGEN_CHARS; line++) {
        for (int i = 0; i < CHARGEN_LINE; i++)
            chargen_block[k++] = (unsigned char)(' ' + (line + i) % CHARGEN_CHARS);
        chargen_block[k++] = '\r';
        chargen_block[k++] = '\n';
    }
    for (; k < sizeof(chargen_block); k++)
        chargen_block[k] = chargen_block[k - CHARGEN_PERIOD];
}

static int
open_service(enum svc s, int offset)
{
    int udp = s == SVC_UDP_ECHO, one = 1, port = svcs[s].port + offset;
    int fd = us_socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK, 0);
    char what[64];

    if (fd < 0)
        app_fail("socket");
    if (!udp && us_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
        app_fail("setsockopt SO_REUSEADDR");
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (us_bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
        snprintf(what, sizeof(what), "%s: bind to port %d", svcs[s].name, port);
        app_fail(what);
    }
    if (!udp && us_listen(fd, BACKLOG) < 0) {
        snprintf(what, sizeof(what), "%s: listen", svcs[s].name);
        app_fail(what);
    }
    return fd;
}

/* RFC 867 leaves the format open; this is its example's: "Tuesday,
 * February 22, 1982 17:37:43-PST". */
static size_t
daytime_line(unsigned char *b, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;

    localtime_r(&t, &tm);
    return strftime((char *)b, cap, "%A, %B %d, %Y %H:%M:%S-%Z\r\n", &tm);
}

static void
conn_close(size_t i)
{
    conn_log(&conns[i], "closed", 0);
    us_close(conns[i].fd);
    free(conns[i].buf);
    conns[i] = conns[--nconns];
}

/* Write out buf[off, off+len); 0, or -1 on an error (connection done). */
static int
conn_flush(struct conn *c)
{
    while (c->len > 0) {
        ssize_t w = us_send(c->fd, c->buf + c->off, c->len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return 0;
            conn_log(c, "send", errno);
            return -1;
        }
        c->off += (size_t)w;
        c->len -= (size_t)w;
    }
    c->off = 0;
    return 0;
}

/* Read into buf (echo) or throw away (discard, chargen, daytime): 0, or -1
 * on an error. Sets eof at the client's end of file. */
static int
conn_read(struct conn *c)
{
    int echo = c->svc == SVC_ECHO;
    ssize_t n = us_recv(c->fd, echo ? c->buf : discard_buf, BUF_LEN, MSG_DONTWAIT);

    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return 0;
        if (errno != ECONNRESET || verbose)
            conn_log(c, "recv", errno);
        return -1;
    }
    if (n == 0) {
        c->eof = 1;
        return 0;
    }
    if (echo) {
        c->off = 0;
        c->len = (size_t)n;
        return conn_flush(c);
    }
    return 0;
}

/* chargen: as much as the socket takes now. */
static int
chargen_send(struct conn *c)
{
    for (int k = 0; k < 4; k++) {
        const unsigned char *p = chargen_block + c->pos % CHARGEN_PERIOD;
        ssize_t w = us_send(c->fd, p, BUF_LEN, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return 0;
            /* the client went away: what chargen clients do */
            if ((errno != EPIPE && errno != ECONNRESET) || verbose)
                conn_log(c, "send", errno);
            return -1;
        }
        c->pos += (uint64_t)w;
        if (w < BUF_LEN)
            return 0;
    }
    return 0;
}

/* What the connection waits for. */
static short
conn_events(const struct conn *c)
{
    switch (c->svc) {
    case SVC_ECHO: return c->len > 0 ? POLLOUT : POLLIN;
    case SVC_DAYTIME: return POLLOUT;
    case SVC_CHARGEN: return (short)(POLLOUT | (c->eof ? 0 : POLLIN));
    default: return POLLIN;
    }
}

/* One wakeup of connection c; 1 when it is finished with. */
static int
conn_step(struct conn *c, short re)
{
    if (re & POLLNVAL)
        return 1;
    switch (c->svc) {
    case SVC_ECHO:
        if (c->len > 0 ? conn_flush(c) < 0 : conn_read(c) < 0)
            return 1;
        return c->eof && c->len == 0; /* all echoed: close after it */
    case SVC_DISCARD: return conn_read(c) < 0 || c->eof;
    case SVC_DAYTIME:
        /* RFC 867: send the line, then the server closes */
        return conn_flush(c) < 0 || c->len == 0;
    case SVC_CHARGEN:
        /* RFC 864: until the client closes. Its FIN alone (a half-close,
         * nc -N) only ends what it sends: it may still be reading */
        if ((re & POLLIN) && !c->eof && conn_read(c) < 0)
            return 1;
        return (re & (POLLOUT | POLLHUP | POLLERR)) && chargen_send(c) < 0;
    default: return 1;
    }
}

static void
accept_burst(enum svc s)
{
    for (int k = 0; k < ACCEPT_BURST; k++) {
        struct sockaddr_in peer;
        socklen_t plen = sizeof(peer);
        int fd = us_accept4(listeners[s], (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK);
        if (fd < 0) {
            if (app_backoff_fail(&backoff, "accept", errno))
                return;
            if (errno == ENOENT || errno == ECONNREFUSED)
                app_fail("accept"); /* the daemon is gone */
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                fprintf(stderr, PROG ": %s: accept: %s\n", svcs[s].name, strerror(errno));
            return;
        }
        app_backoff_ok(&backoff);
        if (nconns == capconns) {
            size_t cap = capconns ? capconns * 2 : 64;
            struct conn *n = realloc(conns, cap * sizeof(*n));
            if (!n) {
                fprintf(stderr, PROG ": out of memory: refusing a connection\n");
                us_close(fd);
                return;
            }
            conns = n;
            capconns = cap;
        }
        struct conn *c = &conns[nconns];
        *c = (struct conn){.fd = fd, .svc = s, .peer = peer};
        if (s == SVC_ECHO || s == SVC_DAYTIME) {
            c->buf = malloc(s == SVC_ECHO ? BUF_LEN : 128);
            if (!c->buf) {
                fprintf(stderr, PROG ": out of memory: refusing a connection\n");
                us_close(fd);
                return;
            }
            if (s == SVC_DAYTIME)
                c->len = daytime_line(c->buf, 128);
        }
        nconns++;
        conn_log(c, "connected", 0);
    }
}

/* UDP echo: every datagram waiting, back to its sender (up to a burst, to
 * be fair to the TCP connections). */
static void
udp_echo(int fd)
{
    for (int k = 0; k < UDP_BURST; k++) {
        struct sockaddr_in src;
        socklen_t len = sizeof(src);
        ssize_t n = us_recvfrom(fd, udp_buf, sizeof(udp_buf), MSG_DONTWAIT,
                                (struct sockaddr *)&src, &len);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                fprintf(stderr, PROG ": udp echo: recvfrom: %s\n", strerror(errno));
            return;
        }
        if (n == 0 && len == 0) {
            app_daemon_check_now(); /* the daemon went away: say so */
            fprintf(stderr, PROG ": udp echo: the stack closed the socket\n");
            exit(1);
        }
        if (us_sendto(fd, udp_buf, (size_t)n, 0, (struct sockaddr *)&src, len) < 0) {
            char p[32];
            fprintf(stderr, PROG ": udp echo %s: sendto: %s\n",
                    peer_str(&src, p, sizeof(p)), strerror(errno));
        }
    }
}

int
main(int argc, char **argv)
{
    int offset = 0, c, dfd;
    struct pollfd *pfd = NULL;
    size_t cappfd = 0;

    while ((c = getopt(argc, argv, "o:vh")) != -1) {
        switch (c) {
        case 'o': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 0 || v > 65535 - 19) {
                fprintf(stderr, PROG ": OFFSET '%s' must be a number from 0 to %d\n",
                        optarg, 65535 - 19);
                usage();
            }
            offset = (int)v;
            break;
        }
        case 'v': verbose = 1; break;
        default: usage();
        }
    }
    if (optind != argc)
        usage();
    chargen_init();
    for (int s = 0; s < SVC_N; s++)
        listeners[s] = open_service((enum svc)s, offset);
    dfd = app_daemon_fd();
    fprintf(stderr,
            PROG ": TCP echo %d, discard %d, daytime %d, chargen %d; UDP echo %d\n",
            7 + offset, 9 + offset, 13 + offset, 19 + offset, 7 + offset);

    /* pfd: the listeners, the connections, and last the daemon's control
     * connection (its hangup ends us) */
    for (;;) {
        int timeout = -1, rested;
        if (cappfd < nconns + SVC_N + 1) {
            cappfd = (nconns + SVC_N + 1) * 2;
            pfd = realloc(pfd, cappfd * sizeof(*pfd));
            if (!pfd)
                app_fail("realloc");
        }
        rested = !app_backoff_ready(&backoff, &timeout);
        for (int s = 0; s < SVC_N; s++) {
            int tcp = s != SVC_UDP_ECHO;
            pfd[s] = (struct pollfd){.fd = tcp && rested ? -1 : listeners[s],
                                     .events = POLLIN};
        }
        for (size_t i = 0; i < nconns; i++)
            pfd[SVC_N + i] =
                (struct pollfd){.fd = conns[i].fd, .events = conn_events(&conns[i])};
        size_t n = nconns;
        pfd[SVC_N + n] = (struct pollfd){.fd = dfd, .events = POLLIN};
        if (poll(pfd, SVC_N + n + 1, timeout) < 0) {
            if (errno == EINTR)
                continue;
            app_fail("poll");
        }
        app_daemon_check(pfd[SVC_N + n].revents);
        /* back to front: conn_close() moves the last one into the hole */
        for (size_t i = n; i-- > 0;) {
            short re = pfd[SVC_N + i].revents;
            if (re && conn_step(&conns[i], re))
                conn_close(i);
        }
        for (int s = 0; s < SVC_N; s++) {
            if (!pfd[s].revents)
                continue;
            if (s == SVC_UDP_ECHO)
                udp_echo(listeners[s]);
            else
                accept_burst((enum svc)s);
        }
    }
}
