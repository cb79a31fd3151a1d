/*
 * echo-server - RFC 862 echo over ustack TCP, in the three shapes a server
 * can take.
 *
 *   echo-server [-p PORT] [-m seq|fork|poll]     (default port 7, poll)
 *
 *   seq   one connection at a time: accept, echo until the client's end
 *         of file, close, accept the next. Others wait in the backlog.
 *   fork  a process per connection: the child inherits the accepted
 *         socket (and closes its copy of the listener), the parent closes
 *         its copy and accepts the next; children are reaped on SIGCHLD.
 *   poll  one process, one poll() loop over the listener and every
 *         connection, all non-blocking. Each connection has a pending
 *         buffer: what was read and could not be written back yet. While
 *         it holds anything the connection is not read from, so a client
 *         that does not read its echo is throttled (its TCP window closes)
 *         and never loses a byte.
 *
 * Echoes until the client half-closes (or closes), then closes its side
 * after the last byte. Buffers are 64 KiB. Runs until killed; exit 1 if
 * the listening socket cannot be set up, 2 for bad arguments. The daemon
 * is found through $USTACK_CTL.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ustack.h"
#include "ustack_admin.h"
#include "lib/app.h"

#define PROG "echo-server"
#define BUF_LEN (64 * 1024)
#define BACKLOG 128
#define ACCEPT_BURST 32 /* connections taken per wakeup of the listener */

enum mode { MODE_SEQ, MODE_FORK, MODE_POLL };

static void
usage(void)
{
    fprintf(stderr, "usage: " PROG " [-p PORT] [-m seq|fork|poll]\n"
                    "  TCP echo (RFC 862) on 0.0.0.0:PORT (default 7); one connection\n"
                    "  at a time (seq), a process each (fork) or one poll loop (poll,\n"
                    "  the default)\n");
    exit(2);
}

/* One connection's trouble: a line, and the server goes on. */
static void
conn_warn(const struct sockaddr_in *peer, const char *what)
{
    char a[INET_ADDRSTRLEN];

    inet_ntop(AF_INET, &peer->sin_addr, a, sizeof(a));
    fprintf(stderr, PROG ": %s:%u: %s: %s\n", a, ntohs(peer->sin_port), what,
            strerror(errno));
}

static int
listen_on(int port, int nonblock)
{
    int fd = us_socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0), one = 1;

    if (fd < 0)
        app_fail("socket");
    if (us_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
        app_fail("setsockopt SO_REUSEADDR");
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (us_bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
        app_fail("bind");
    if (us_listen(fd, BACKLOG) < 0)
        app_fail("listen");
    return fd;
}

/* accept failing for want of descriptors or memory: wait, do not spin */
static struct app_backoff backoff;

/* Blocking accept; EINTR (a reaped child) and a connection that died
 * before we took it are no reason to stop. */
static int
accept_one(int lfd, struct sockaddr_in *peer)
{
    for (;;) {
        socklen_t len = sizeof(*peer);
        int fd = us_accept(lfd, (struct sockaddr *)peer, &len);
        if (fd >= 0) {
            app_backoff_ok(&backoff);
            return fd;
        }
        if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)
            continue;
        if (app_backoff_fail(&backoff, "accept", errno)) {
            int wait_ms = -1;
            app_backoff_ready(&backoff, &wait_ms);
            poll(NULL, 0, wait_ms);
            continue;
        }
        app_fail("accept");
    }
}

/* seq and fork: echo on a blocking socket until end of file. */
static void
echo_blocking(int fd, const struct sockaddr_in *peer)
{
    static unsigned char buf[BUF_LEN];

    for (;;) {
        ssize_t n = us_recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            conn_warn(peer, "recv");
            return;
        }
        if (n == 0)
            return;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = us_send(fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                conn_warn(peer, "send");
                return;
            }
            off += w;
        }
    }
}

static void
serve_seq(int port)
{
    int lfd = listen_on(port, 0);

    fprintf(stderr, PROG ": echoing on 0.0.0.0:%d, one connection at a time\n", port);
    for (;;) {
        struct sockaddr_in peer;
        int fd = accept_one(lfd, &peer);
        echo_blocking(fd, &peer);
        us_close(fd);
    }
}

static void
on_sigchld(int sig)
{
    int saved = errno;

    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    errno = saved;
}

static void
serve_fork(int port)
{
    int lfd = listen_on(port, 0);
    struct sigaction sa = {.sa_handler = on_sigchld,
                           .sa_flags = SA_RESTART | SA_NOCLDSTOP};

    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGCHLD, &sa, NULL) < 0)
        app_fail("sigaction");
    fprintf(stderr, PROG ": echoing on 0.0.0.0:%d, a process per connection\n", port);
    for (;;) {
        struct sockaddr_in peer;
        int fd = accept_one(lfd, &peer);
        pid_t pid = fork();
        if (pid < 0) {
            conn_warn(&peer, "fork");
            us_close(fd);
            continue;
        }
        if (pid == 0) {
            /* the child: this connection only */
            signal(SIGCHLD, SIG_DFL);
            us_close(lfd);
            echo_blocking(fd, &peer);
            us_close(fd);
            _exit(0);
        }
        us_close(fd); /* the child holds it now */
    }
}

/* ---- poll ---- */

struct conn {
    int fd;
    struct sockaddr_in peer;
    unsigned char *buf; /* pending: read, not yet written back */
    size_t off, len;
    int eof; /* the client is done sending */
};

static struct conn *conns;
static size_t nconns, capconns;

static void
conn_close(size_t i)
{
    us_close(conns[i].fd);
    free(conns[i].buf);
    conns[i] = conns[--nconns];
}

/* Write back what is pending; 0, or -1 when the connection is finished
 * with (an error). */
static int
conn_flush(struct conn *c)
{
    while (c->len > 0) {
        ssize_t w = us_send(c->fd, c->buf + c->off, c->len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return 0;
            conn_warn(&c->peer, "send");
            return -1;
        }
        c->off += (size_t)w;
        c->len -= (size_t)w;
    }
    c->off = 0;
    return 0;
}

/* Read into the (empty) pending buffer and echo at once what fits. */
static int
conn_read(struct conn *c)
{
    ssize_t n = us_recv(c->fd, c->buf, BUF_LEN, MSG_DONTWAIT);

    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return 0;
        conn_warn(&c->peer, "recv");
        return -1;
    }
    if (n == 0) {
        c->eof = 1;
        return 0;
    }
    c->off = 0;
    c->len = (size_t)n;
    return conn_flush(c);
}

static void
accept_burst(int lfd)
{
    for (int k = 0; k < ACCEPT_BURST; k++) {
        struct sockaddr_in peer;
        socklen_t plen = sizeof(peer);
        int fd = us_accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK);
        if (fd < 0) {
            if (app_backoff_fail(&backoff, "accept", errno))
                return; /* EMFILE...: the listener rests a while */
            if (errno == ENOENT || errno == ECONNREFUSED)
                app_fail("accept"); /* the daemon is gone */
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                perror(PROG ": accept");
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
        *c = (struct conn){.fd = fd, .peer = peer, .buf = malloc(BUF_LEN)};
        if (!c->buf) {
            fprintf(stderr, PROG ": out of memory: refusing a connection\n");
            us_close(fd);
            return;
        }
        nconns++;
    }
}

static void
serve_poll(int port)
{
    int lfd = listen_on(port, 1), dfd = app_daemon_fd();
    struct pollfd *pfd = NULL;
    size_t cappfd = 0;

    fprintf(stderr, PROG ": echoing on 0.0.0.0:%d, one poll loop\n", port);
    for (;;) {
        int timeout = -1;
        if (cappfd < nconns + 2) {
            cappfd = (nconns + 2) * 2;
            pfd = realloc(pfd, cappfd * sizeof(*pfd));
            if (!pfd)
                app_fail("realloc");
        }
        /* the daemon's control connection: its hangup ends us */
        pfd[0] = (struct pollfd){.fd = dfd, .events = POLLIN};
        pfd[1] = (struct pollfd){.fd = app_backoff_ready(&backoff, &timeout) ? lfd : -1,
                                 .events = POLLIN};
        for (size_t i = 0; i < nconns; i++) {
            /* the pending buffer full: wait for room, read nothing more */
            short ev = conns[i].len > 0 ? POLLOUT : POLLIN;
            pfd[i + 2] = (struct pollfd){.fd = conns[i].fd, .events = ev};
        }
        size_t n = nconns;
        if (poll(pfd, n + 2, timeout) < 0) {
            if (errno == EINTR)
                continue;
            app_fail("poll");
        }
        app_daemon_check(pfd[0].revents);
        /* back to front: conn_close() moves the last one into the hole */
        for (size_t i = n; i-- > 0;) {
            struct conn *c = &conns[i];
            short re = pfd[i + 2].revents;
            int r = 0;
            if (!re)
                continue;
            if (c->len > 0)
                r = conn_flush(c);
            else
                r = conn_read(c);
            /* the client is done and has all of its echo: close */
            if (r < 0 || (c->eof && c->len == 0) || (re & POLLNVAL))
                conn_close(i);
        }
        if (pfd[1].revents)
            accept_burst(lfd);
    }
}

int
main(int argc, char **argv)
{
    int port = 7, c;
    enum mode mode = MODE_POLL;

    while ((c = getopt(argc, argv, "p:m:h")) != -1) {
        switch (c) {
        case 'p': port = app_port(optarg, usage); break;
        case 'm':
            if (strcmp(optarg, "seq") == 0)
                mode = MODE_SEQ;
            else if (strcmp(optarg, "fork") == 0)
                mode = MODE_FORK;
            else if (strcmp(optarg, "poll") == 0)
                mode = MODE_POLL;
            else {
                fprintf(stderr, PROG ": mode '%s' is not seq, fork or poll\n", optarg);
                usage();
            }
            break;
        default: usage();
        }
    }
    if (optind != argc)
        usage();
    switch (mode) {
    case MODE_SEQ: serve_seq(port); break;
    case MODE_FORK: serve_fork(port); break;
    case MODE_POLL: serve_poll(port); break;
    }
    return 1;
}
