/*
 * sock.c - the daemon's socket table. See sock.h for the design.
 */
#include "daemon/sock.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/loop.h"
#include "proto/udp.h"

#define SOCK_PAIR_SNDBUF 65536     /* daemon end; the kernel doubles it: 128 KiB */
#define SOCK_DGRAM_BUF (65536 + 1) /* one datagram, and a byte to see a longer one */
#define SOCK_TX_BURST 32           /* datagrams read from one socket per wakeup */
/* SO_RCVBUF / SO_SNDBUF as Linux computes them (net/core/sock.c): the value
 * is capped at rmem_max / wmem_max, doubled for bookkeeping overhead, and
 * raised to a minimum. Our cap is chosen so that the doubled value is the
 * most the engine's queue will take (UDP_RCVBUF_MAX). */
#define SOCK_BUF_VAL_MAX (UDP_RCVBUF_MAX / 2)
#define SOCK_MIN_RCVBUF 2304
#define SOCK_MIN_SNDBUF 4608
#define SOCK_SNDBUF_DEFAULT 212992 /* net.core.wmem_default */

enum sock_state { SOCK_IDLE, SOCK_BOUND, SOCK_CONNECTED, SOCK_LISTENING };

struct sock {
    uint32_t id;
    uint32_t slot;
    int type;  /* SOCK_DGRAM */
    int dfd;   /* the daemon's end of the pair */
    dev_t dev; /* the application's end: the socket's identity */
    ino_t ino;
    pid_t owner_pid; /* the process that created it */
    uid_t owner_uid;
    struct udp_pcb *udp;
    int so_error;       /* the daemon's own pending error (positive errno) */
    int32_t rcvbuf;     /* SO_RCVBUF as reported */
    int32_t sndbuf;     /* SO_SNDBUF as reported */
    bool rd_shut;       /* shutdown(SHUT_RD): the pair's daemon->app side is shut */
    bool wr_shut;       /* shutdown(SHUT_WR): no more sending */
    bool rd_eof;        /* the application shut its writing side of the pair */
    bool err_signalled; /* the pending error has been signalled in-band */
    bool pending;       /* on t->pending */
    struct sock *pend_next;
    uint32_t events; /* epoll interest */
};

static uint64_t
sock_tag(const struct sock *so)
{
    return loop_tag(LOOP_SOCK, so->slot, so->id);
}

static void
sock_set_events(struct sock_table *t, struct sock *so, uint32_t events)
{
    if (events == so->events)
        return;
    if (loop_rewatch(t->epoll_fd, so->dfd, events, sock_tag(so)) == 0)
        so->events = events;
    else
        DLOG(t->log, LOG_ERROR, "sock", "epoll_ctl socket %u: %s", so->id,
             strerror(errno));
}

/* EPOLLOUT while datagrams wait for room in the pair, not otherwise (it
 * would wake us at once, every time). */
static void
sock_want_out(struct sock_table *t, struct sock *so, bool on)
{
    uint32_t ev = so->events & ~(uint32_t)EPOLLOUT;

    sock_set_events(t, so, on ? ev | EPOLLOUT : ev);
}

static void
sock_mark(struct sock_table *t, struct sock *so)
{
    if (so->pending)
        return;
    so->pending = true;
    so->pend_next = t->pending;
    t->pending = so;
}

static void
sock_unmark(struct sock_table *t, struct sock *so)
{
    if (!so->pending)
        return;
    for (struct sock **pp = &t->pending; *pp; pp = &(*pp)->pend_next) {
        if (*pp == so) {
            *pp = so->pend_next;
            break;
        }
    }
    so->pending = false;
    so->pend_next = NULL;
}

static bool
sock_error_pending(const struct sock *so)
{
    return so->so_error != 0 || so->udp->so_error != 0;
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
sock_table_init(struct sock_table *t, int epoll_fd, const struct log *log)
{
    memset(t, 0, sizeof(*t));
    t->epoll_fd = epoll_fd;
    t->log = log;
    t->pid = getpid();
    t->buf = malloc(SOCK_DGRAM_BUF);
    return t->buf ? 0 : -ENOMEM;
}

void
sock_table_attach(struct sock_table *t, struct stack *s)
{
    t->s = s;
}

void
sock_table_free(struct sock_table *t)
{
    for (unsigned i = 0; i < SOCK_MAX; i++)
        if (t->slots[i])
            sock_destroy(t, t->slots[i]);
    free(t->buf);
    t->buf = NULL;
}

uint32_t
sock_id(const struct sock *so)
{
    return so->id;
}

static struct sock *
sock_by_tag(struct sock_table *t, uint32_t slot, uint32_t id)
{
    struct sock *so = slot < SOCK_MAX ? t->slots[slot] : NULL;

    return so && so->id == id ? so : NULL;
}

/* ---- creating, finding, closing ---------------------------------------- */

int
sock_create(struct sock_table *t, int domain, int type, int protocol, pid_t pid,
            uid_t uid, struct sock **out, int *app_fd)
{
    int flags = type & ~0xf, base = type & 0xf;
    int sv[2] = {-1, -1}, one = 1, sndbuf = SOCK_PAIR_SNDBUF, rc;
    struct sock *so = NULL;
    struct stat st;
    uint32_t slot;

    if (domain != AF_INET)
        return -EAFNOSUPPORT;
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL; /* as socket(2) */
    /* SOCK_STREAM too, until TCP exists */
    if (base != SOCK_DGRAM || (protocol != 0 && protocol != IPPROTO_UDP))
        return -EPROTONOSUPPORT;
    if (t->count >= SOCK_MAX)
        return -ENFILE;
    for (slot = 0; slot < SOCK_MAX && t->slots[slot]; slot++)
        ;

    /* Non-blocking on our side only: O_NONBLOCK belongs to the open file,
     * which the application shares, so its end gets it only if asked. */
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        rc = errno == EMFILE || errno == ENFILE ? -ENFILE : -ENOBUFS;
        DLOG(t->log, LOG_WARN, "sock", "socketpair: %s", strerror(errno));
        return rc;
    }
    /* SO_PASSCRED on both ends: the application receives the source of each
     * datagram, and every message we receive carries credentials, which is
     * how an empty datagram is told from the end of the stream. */
    if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0 ||
        ((type & SOCK_NONBLOCK) && fcntl(sv[1], F_SETFL, O_NONBLOCK) < 0) ||
        setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
        setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
        setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) < 0 ||
        fstat(sv[1], &st) < 0) {
        DLOG(t->log, LOG_WARN, "sock", "setting up the socketpair: %s", strerror(errno));
        rc = -ENOBUFS;
        goto fail;
    }
    so = calloc(1, sizeof(*so));
    if (!so) {
        rc = -ENOBUFS;
        goto fail;
    }
    so->udp = udp_open(t->s, so);
    if (!so->udp) {
        rc = -ENOBUFS;
        goto fail;
    }
    if (++t->next_id == 0)
        t->next_id = 1;
    so->id = t->next_id;
    so->slot = slot;
    so->type = SOCK_DGRAM;
    so->dfd = sv[0];
    so->dev = st.st_dev;
    so->ino = st.st_ino;
    so->owner_pid = pid;
    so->owner_uid = uid;
    so->rcvbuf = (int32_t)so->udp->rcvbuf;
    so->sndbuf = SOCK_SNDBUF_DEFAULT;
    so->events = EPOLLIN | EPOLLRDHUP;
    if (loop_watch(t->epoll_fd, so->dfd, so->events, sock_tag(so)) < 0) {
        DLOG(t->log, LOG_ERROR, "sock", "epoll_ctl: %s", strerror(errno));
        rc = -ENOBUFS;
        goto fail;
    }
    t->slots[slot] = so;
    t->count++;
    t->stats.opened++;
    DLOG(t->log, LOG_DEBUG, "sock", "socket %u opened (pid %ld uid %lu, inode %lu)",
         so->id, (long)pid, (unsigned long)uid, (unsigned long)so->ino);
    *out = so;
    *app_fd = sv[1];
    return 0;
fail:
    if (so && so->udp)
        udp_close(t->s, so->udp);
    free(so);
    close(sv[0]);
    close(sv[1]);
    return rc;
}

void
sock_destroy(struct sock_table *t, struct sock *so)
{
    DLOG(t->log, LOG_DEBUG, "sock", "socket %u closed", so->id);
    sock_unmark(t, so);
    loop_unwatch(t->epoll_fd, so->dfd);
    close(so->dfd);
    udp_close(t->s, so->udp);
    t->slots[so->slot] = NULL;
    t->count--;
    t->stats.closed++;
    free(so);
}

int
sock_find(struct sock_table *t, int fd, struct sock **out)
{
    struct stat st;

    if (fd < 0 || fstat(fd, &st) < 0)
        return -EBADF;
    if (!S_ISSOCK(st.st_mode))
        return -ENOTSOCK;
    for (unsigned i = 0; i < SOCK_MAX; i++) {
        struct sock *so = t->slots[i];
        if (so && so->ino == st.st_ino && so->dev == st.st_dev) {
            *out = so;
            return 0;
        }
    }
    return -ENOTSOCK;
}

/* ---- the operations ---------------------------------------------------- */

int
sock_bind(struct sock_table *t, struct sock *so, uid_t uid, int family, uint32_t addr,
          uint16_t port)
{
    if (family != AF_INET)
        return -EAFNOSUPPORT;
    /* as the kernel for a process without CAP_NET_BIND_SERVICE */
    if (port != 0 && port < 1024 && uid != 0)
        return -EACCES;
    return udp_bind(t->s, so->udp, addr, port);
}

int
sock_connect(struct sock_table *t, struct sock *so, int family, uint32_t addr,
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
sock_listen(struct sock_table *t, struct sock *so, int backlog)
{
    (void)t, (void)so, (void)backlog;
    return -EOPNOTSUPP; /* UDP */
}

int
sock_accept(struct sock_table *t, struct sock *so)
{
    (void)t, (void)so;
    return -EOPNOTSUPP; /* UDP */
}

int
sock_sendto(struct sock_table *t, struct sock *so, uint32_t addr, uint16_t port,
            const void *data, size_t len)
{
    if (so->wr_shut)
        return -EPIPE;
    /* DEVIATION: as in sock_connect, 0.0.0.0 with a port is refused */
    if (addr == 0 && port != 0)
        return -EINVAL;
    ssize_t rc = udp_sendto(t->s, so->udp, data, len, addr, port);
    return (int)rc;
}

int
sock_name(struct sock_table *t, struct sock *so, int peer, uint32_t *addr, uint16_t *port)
{
    (void)t;
    if (peer) {
        if (!so->udp->raddr)
            return -ENOTCONN;
        *addr = so->udp->raddr;
        *port = so->udp->rport;
    } else {
        *addr = so->udp->laddr;
        *port = so->udp->lport;
    }
    return 0;
}

/* Linux's arithmetic for SO_RCVBUF / SO_SNDBUF (the value is an int read as
 * unsigned, so a negative one is taken as the largest). */
static int32_t
sock_buf_size(int32_t value, int32_t min)
{
    uint32_t v = (uint32_t)value;

    if (v > SOCK_BUF_VAL_MAX)
        v = SOCK_BUF_VAL_MAX;
    return (int32_t)v * 2 < min ? min : (int32_t)v * 2;
}

int
sock_setopt(struct sock_table *t, struct sock *so, int fd, int level, int name,
            int32_t value)
{
    (void)t;
    if (level != SOL_SOCKET)
        return -ENOPROTOOPT;
    switch (name) {
    case SO_BROADCAST: so->udp->broadcast = value != 0; return 0;
    case SO_REUSEADDR: so->udp->reuseaddr = value != 0; return 0;
    case SO_RCVBUF:
        so->rcvbuf = sock_buf_size(value, SOCK_MIN_RCVBUF);
        udp_set_rcvbuf(so->udp, (uint32_t)so->rcvbuf);
        return 0;
    case SO_SNDBUF: {
        /* What the application may have queued towards us is its end's
         * send buffer: size it to the request, but never below one
         * largest datagram (an AF_UNIX datagram must fit in it whole).
         * The kernel doubles what it is given, as we did. */
        so->sndbuf = sock_buf_size(value, SOCK_MIN_SNDBUF);
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
sock_getopt(struct sock_table *t, struct sock *so, int level, int name, int32_t *value)
{
    if (level != SOL_SOCKET)
        return -ENOPROTOOPT;
    switch (name) {
    case SO_BROADCAST: *value = so->udp->broadcast; return 0;
    case SO_REUSEADDR: *value = so->udp->reuseaddr; return 0;
    case SO_RCVBUF: *value = so->rcvbuf; return 0;
    case SO_SNDBUF: *value = so->sndbuf; return 0;
    case SO_TYPE: *value = so->type; return 0;
    case SO_DOMAIN: *value = AF_INET; return 0;
    case SO_PROTOCOL: *value = IPPROTO_UDP; return 0;
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
sock_shutdown(struct sock_table *t, struct sock *so, int how)
{
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
        return -EINVAL;
    if (!so->udp->raddr)
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

static int
sock_cmp_id(const void *a, const void *b)
{
    uint32_t x = (*(struct sock *const *)a)->id, y = (*(struct sock *const *)b)->id;

    return x < y ? -1 : x > y;
}

size_t
sock_list(struct sock_table *t, uid_t uid, uint32_t first, struct ctl_sock_info *rows,
          size_t max, uint32_t *total)
{
    struct sock **seen = t->list_scratch;
    size_t n = 0, out = 0;

    for (unsigned i = 0; i < SOCK_MAX; i++) {
        struct sock *so = t->slots[i];
        if (so && (uid == 0 || so->owner_uid == uid))
            seen[n++] = so;
    }
    qsort(seen, n, sizeof(seen[0]), sock_cmp_id);
    *total = (uint32_t)n;
    for (size_t i = first; i < n && out < max; i++, out++) {
        const struct sock *so = seen[i];
        const struct udp_pcb *u = so->udp;
        struct ctl_sock_info *r = &rows[out];

        memset(r, 0, sizeof(*r));
        r->id = so->id;
        r->owner_pid = (int32_t)so->owner_pid;
        r->owner_uid = (uint32_t)so->owner_uid;
        r->type = (uint8_t)so->type;
        r->state = u->raddr ? SOCK_CONNECTED : u->lport ? SOCK_BOUND : SOCK_IDLE;
        r->laddr = u->laddr;
        r->lport = u->lport;
        r->raddr = u->raddr;
        r->rport = u->rport;
        r->rx_queued = u->rxq_bytes;
    }
    return out;
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
sock_on_event(struct sock_table *t, uint32_t slot, uint32_t id, uint32_t events)
{
    struct sock *so = sock_by_tag(t, slot, id);
    bool eof;

    if (!so)
        return; /* closed earlier in this batch */
    eof = so->rd_eof;
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

void
sock_notify(void *table, void *owner)
{
    sock_mark(table, owner);
}

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
static void
sock_push(struct sock_table *t, struct sock *so)
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

void
sock_flush(struct sock_table *t)
{
    while (t->pending) {
        struct sock *so = t->pending;
        t->pending = so->pend_next;
        so->pending = false;
        so->pend_next = NULL;
        sock_push(t, so);
    }
}

/* ---- counters ---------------------------------------------------------- */

void
sock_stats_print(const struct sock_table *t, FILE *f)
{
    fprintf(f, "  %-24s %u\n", "sock.open", t->count);
#define SOCK_STAT_PRINT_(name)                                                           \
    if (t->stats.name)                                                                   \
        fprintf(f, "  %-24s %llu\n", "sock." #name, (unsigned long long)t->stats.name);
    SOCK_STATS(SOCK_STAT_PRINT_)
#undef SOCK_STAT_PRINT_
}
