/*
 * sock_udp.c - datagram sockets: a UDP pcb behind a SOCK_SEQPACKET pair.
 * See sock.h for how datagrams and errors cross the pair.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/loop.h"
#include "daemon/sock.h"
#include "daemon/sock_var.h"
#include "proto/udp_api.h"

#define SOCK_PAIR_SNDBUF 65536     /* daemon end; the kernel doubles it: 128 KiB */
#define SOCK_DGRAM_BUF (65536 + 1) /* one datagram, and a byte to see a longer one */
#define SOCK_TX_BURST 32           /* datagrams read from one socket per wakeup */
/* Our cap on SO_RCVBUF / SO_SNDBUF, chosen so that the doubled value is the
 * most the engine's queue will take (UDP_RCVBUF_MAX). */
#define SOCK_BUF_VAL_MAX (UDP_RCVBUF_MAX / 2)

/* EPOLLOUT while datagrams wait for room in the pair, not otherwise (it
 * would wake us at once, every time). */
static void
sock_want_out(struct sock_table *t, struct sock *so, bool on)
{
    uint32_t ev = so->events & ~(uint32_t)EPOLLOUT;

    sock_set_events(t, so, on ? ev | EPOLLOUT : ev);
}

static bool
sock_error_pending(const struct sock *so)
{
    return so->so_error != 0 || udp_error(so->udp) != 0;
}

/* The socket's pending error becomes err (the latest wins, as sk_err), to
 * be signalled to the application. */
static void
sock_set_error(struct sock_table *t, struct sock *so, int err)
{
    so->so_error = err;
    sock_mark(t, so);
}

int
sock_udp_open(struct sock_table *t, struct sock *so, int app_fd)
{
    int one = 1, sndbuf = SOCK_PAIR_SNDBUF;

    /* SO_PASSCRED on both ends: the application receives the source of each
     * datagram, and every message we receive carries credentials, which is
     * how an empty datagram is told from the end of the stream. */
    if (setsockopt(so->dfd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
        setsockopt(app_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
        setsockopt(so->dfd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) < 0) {
        DLOG(t->log, LOG_WARN, "sock", "setting up the socketpair: %s", strerror(errno));
        return -ENOBUFS;
    }
    so->udp = udp_open(t->s, so);
    if (!so->udp)
        return -ENOBUFS;
    so->rcvbuf = (int32_t)udp_rcvbuf(so->udp);
    return 0;
}

void
sock_udp_close(struct sock_table *t, struct sock *so)
{
    udp_close(t->s, so->udp);
    so->udp = NULL;
}

/* ---- the operations ---------------------------------------------------- */

int
sock_udp_bind(struct sock_table *t, struct sock *so, uint32_t addr, uint16_t port)
{
    return udp_bind(t->s, so->udp, addr, port);
}

int
sock_udp_connect(struct sock_table *t, struct sock *so, int family, uint32_t addr,
                 uint16_t port)
{
    int rc;

    if (family == AF_UNSPEC) {
        rc = udp_connect(t->s, so->udp, 0, 0);
    } else if (family == AF_INET) {
        /* DEVIATION: Linux takes 0.0.0.0 as "this host"; the engine has no
         * loopback, and udp_connect(0, port) would half-connect */
        if (addr == 0)
            return -EINVAL;
        rc = udp_connect(t->s, so->udp, addr, port);
        if (rc == 0) {
            /* the engine clears its own error on connect; so do we */
            so->so_error = 0;
            so->err_signalled = false;
        }
    } else {
        return -EAFNOSUPPORT;
    }
    return rc;
}

int
sock_udp_sendto(struct sock_table *t, struct sock *so, uint32_t addr, uint16_t port,
                const void *data, size_t len)
{
    if (so->wr_shut)
        return -EPIPE;
    /* DEVIATION: as in sock_udp_connect, 0.0.0.0 with a port is refused */
    if (addr == 0 && port != 0)
        return -EINVAL;
    ssize_t rc = udp_sendto(t->s, so->udp, data, len, addr, port);
    return (int)rc;
}

int
sock_udp_name(struct sock *so, int peer, uint32_t *addr, uint16_t *port)
{
    if (peer) {
        udp_peer_name(so->udp, addr, port);
        if (!*addr)
            return -ENOTCONN;
    } else {
        udp_local_name(so->udp, addr, port);
    }
    return 0;
}

int
sock_udp_setopt(struct sock_table *t, struct sock *so, int fd, int level, int name,
                int32_t value)
{
    if (level != SOL_SOCKET)
        return -ENOPROTOOPT;
    switch (name) {
    case SO_BROADCAST: udp_set_broadcast(so->udp, value != 0); return 0;
    case SO_REUSEADDR: udp_set_reuseaddr(so->udp, value != 0); return 0;
    case SO_RCVBUF:
        so->rcvbuf = sock_buf_size(value, SOCK_MIN_RCVBUF, SOCK_BUF_VAL_MAX);
        udp_set_rcvbuf(so->udp, (uint32_t)so->rcvbuf);
        return 0;
    case SO_SNDBUF: {
        /* What the application may have queued towards us is its end's
         * send buffer: size it to the request, but never below one
         * largest datagram (an AF_UNIX datagram must fit in it whole).
         * The kernel doubles what it is given, as we did. */
        so->sndbuf = sock_buf_size(value, SOCK_MIN_SNDBUF, SOCK_BUF_VAL_MAX);
        int half = so->sndbuf / 2 < SOCK_PAIR_SNDBUF ? SOCK_PAIR_SNDBUF : so->sndbuf / 2;
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &half, sizeof(half)) < 0)
            DLOG(t->log, LOG_DEBUG, "sock", "socket %u: SO_SNDBUF on the pair: %s",
                 so->id, strerror(errno));
        return 0;
    }
    default: return -ENOPROTOOPT;
    }
}

int
sock_udp_getopt(struct sock_table *t, struct sock *so, int level, int name,
                int32_t *value)
{
    if (level != SOL_SOCKET)
        return -ENOPROTOOPT;
    switch (name) {
    case SO_BROADCAST: *value = udp_broadcast(so->udp); return 0;
    case SO_REUSEADDR: *value = udp_reuseaddr(so->udp); return 0;
    case SO_ERROR:
        if (so->so_error) {
            *value = so->so_error;
            so->so_error = 0;
        } else {
            *value = udp_take_error(so->udp);
        }
        /* read once; if another error is still pending, signal it anew */
        so->err_signalled = false;
        if (sock_error_pending(so))
            sock_mark(t, so);
        return 0;
    default: return -ENOPROTOOPT;
    }
}

int
sock_udp_shutdown(struct sock_table *t, struct sock *so, int how)
{
    uint32_t raddr;
    uint16_t rport;

    udp_peer_name(so->udp, &raddr, &rport);
    if (!raddr)
        return -ENOTCONN; /* a UDP socket must be connected, as in Linux */
    if (how != SHUT_WR && !so->rd_shut) {
        /* The application reads what the pair holds, then end of file.
         * Only ever our sending side: the application's close is seen as
         * EPOLLHUP, which both sides shut would also raise. */
        so->rd_shut = true;
        if (shutdown(so->dfd, SHUT_WR) < 0)
            DLOG(t->log, LOG_DEBUG, "sock", "socket %u: shutdown: %s", so->id,
                 strerror(errno));
        sock_mark(t, so); /* to discard what the engine holds */
    }
    if (how != SHUT_RD)
        so->wr_shut = true;
    return 0;
}

void
sock_udp_row(const struct sock *so, struct ctl_sock_info *r)
{
    const struct udp_pcb *u = so->udp;

    udp_local_name(u, &r->laddr, &r->lport);
    udp_peer_name(u, &r->raddr, &r->rport);
    r->state = r->raddr ? SOCK_CONNECTED : r->lport ? SOCK_BOUND : SOCK_IDLE;
    r->rx_queued = udp_rx_queued(u);
}

/* ---- datagrams, application -> daemon ---------------------------------- */

/* Descriptors an application passed on its socket: never ours to keep. */
static void
sock_close_passed(struct msghdr *mh)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            close(fd);
        }
    }
}

/* Up to a burst of datagrams from the application, each sent to the
 * connected peer. true at end of stream (the application shut its side,
 * or closed it), false when the pair is empty or the burst is done. */
static bool
sock_read_burst(struct sock_table *t, struct sock *so)
{
    for (int i = 0; i < SOCK_TX_BURST; i++) {
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 4)];
        } cm;
        struct iovec iov = {.iov_base = t->buf, .iov_len = SOCK_DGRAM_BUF};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = cm.buf,
                            .msg_controllen = sizeof(cm.buf)};
        ssize_t n = recvmsg(so->dfd, &mh, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);

        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return false;
            /* ECONNRESET, reported once: the application closed with our
             * messages unread; what it sent before closing still goes out */
            if (errno == EINTR || errno == ECONNRESET)
                continue;
            return true;
        }
        sock_close_passed(&mh);
        /* Every message carries credentials (SO_PASSCRED); nothing at all
         * is the end of the stream. */
        if (n == 0 && mh.msg_controllen == 0)
            return true;
        if ((mh.msg_flags & MSG_TRUNC) || n > CTL_DATA_MAX) {
            t->stats.tx_too_big++;
            sock_set_error(t, so, EMSGSIZE);
            continue;
        }
        if (so->wr_shut) {
            t->stats.tx_after_shutdown++;
            sock_set_error(t, so, EPIPE);
            continue;
        }
        ssize_t rc = udp_sendto(t->s, so->udp, t->buf, (size_t)n, 0, 0);
        if (rc < 0) {
            t->stats.tx_errors++;
            sock_set_error(t, so, (int)-rc);
        } else {
            t->stats.tx_datagrams++;
        }
    }
    return false;
}

void
sock_udp_on_event(struct sock_table *t, struct sock *so, uint32_t events)
{
    bool eof = so->rd_eof;

    if (!eof && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
        eof = sock_read_burst(t, so);
    if (eof && (events & (EPOLLHUP | EPOLLERR))) {
        /* The application closed its last copy of the descriptor: this is
         * what makes a killed process's sockets go away. */
        sock_destroy(t, so);
        return;
    }
    if (eof && !so->rd_eof) {
        /* It shut only its writing side (shutdown(2) on the descriptor):
         * stop reading, or the end of file would wake us for ever. Its
         * close still comes as EPOLLHUP, which epoll always reports. */
        so->rd_eof = true;
        sock_set_events(t, so, so->events & ~(uint32_t)(EPOLLIN | EPOLLRDHUP));
    }
    if (events & EPOLLOUT)
        sock_mark(t, so);
}

/* ---- datagrams, daemon -> application ---------------------------------- */

/* One message up the pair: the payload, with the source in the
 * credentials. 0, or -errno (-EAGAIN: the pair is full). */
static int
sock_send_up(struct sock_table *t, struct sock *so, const void *data, size_t len,
             uint32_t src, uint16_t sport)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(struct ucred))];
    } cm;
    struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

    if (!t->no_creds) {
        struct ucred cr = {.pid = t->pid, .uid = src, .gid = sport};
        memset(&cm, 0, sizeof(cm));
        mh.msg_control = cm.buf;
        mh.msg_controllen = sizeof(cm.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_CREDENTIALS;
        c->cmsg_len = CMSG_LEN(sizeof(cr));
        memcpy(CMSG_DATA(c), &cr, sizeof(cr));
        if (sendmsg(so->dfd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
            return 0;
        if (errno != EPERM && errno != EINVAL)
            return -errno;
        /* EPERM: we may not claim other ids (not root, no CAP_SETUID /
         * CAP_SETGID); EINVAL: an id not mapped in our user namespace. The
         * kernel then fills in our own credentials. */
        if (errno == EPERM)
            t->no_creds = true;
        if (!t->warned_creds) {
            t->warned_creds = true;
            DLOG(t->log, LOG_WARN, "sock",
                 "cannot pass datagram sources as credentials (%s); applications "
                 "will see the daemon's ids as the source",
                 strerror(errno));
        }
        mh.msg_control = NULL;
        mh.msg_controllen = 0;
    }
    t->stats.rx_no_creds++;
    if (sendmsg(so->dfd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
        return 0;
    return -errno;
}

/* What one marked socket has for its application: first a pending error,
 * signalled once (recvfrom on Linux reports the error before queued data),
 * then the queued datagrams until the pair is full. */
void
sock_udp_push(struct sock_table *t, struct sock *so)
{
    const uint8_t *data;
    size_t len;
    uint32_t src;
    uint16_t sport;
    int rc;

    if (sock_error_pending(so) && !so->err_signalled && !so->rd_shut) {
        rc = sock_send_up(t, so, NULL, 0, 0, 0);
        if (rc == -EAGAIN) {
            t->stats.rx_backlogged++;
            sock_want_out(t, so, true);
            return;
        }
        so->err_signalled = true;
        t->stats.error_signals++;
    }
    while ((data = udp_front(so->udp, &len, &src, &sport))) {
        if (so->rd_shut) {
            t->stats.rx_dropped_shutdown++;
        } else {
            rc = sock_send_up(t, so, data, len, src, sport);
            if (rc == -EAGAIN) {
                t->stats.rx_backlogged++;
                sock_want_out(t, so, true);
                return;
            }
            if (rc < 0) /* e.g. EPIPE: it is closing; EPOLLHUP follows */
                t->stats.rx_send_errors++;
            else
                t->stats.rx_datagrams++;
        }
        udp_pop(t->s, so->udp);
    }
    sock_want_out(t, so, false);
}
