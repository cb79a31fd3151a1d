/*
 * us_data.c - sending and receiving: us_send, us_sendto, us_recv,
 * us_recvfrom. See ustack.h for the design and the differences from the
 * kernel.
 *
 * Data is read and written on the socket's own descriptor (the
 * socketpair), except us_sendto() with an address, which is a request on
 * the control connection. Each datagram from the daemon is one message
 * with its source in SCM_CREDENTIALS (uid = address, gid = port); an empty
 * message from 0.0.0.0:0 is the daemon's notice of a pending error, which
 * is then read with SO_ERROR.
 *
 * A stream is the descriptor's own byte stream once connected: send and
 * recv go straight to it (blocking, MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL,
 * timeouts are the descriptor's), with three additions: the socket's state
 * is asked the first time (nothing is read from a listener, whose
 * descriptor carries accept tokens, nor waited for on a socket that was
 * never connected), end of file asks SO_ERROR once (a reset reads as
 * ECONNRESET, as tcp_recvmsg() gives it), and EPIPE asks it too (as
 * sk_stream_error()), raising SIGPIPE as the kernel does.
 */
#include "ustack.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "us_priv.h"

/* Is a pending-error notice (an empty message from 0.0.0.0:0) at the head
 * of fd's receive queue? Looks without taking it. */
static int
us_error_at_head(int fd)
{
    union {
        char b[CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {.msg_control = u.b, .msg_controllen = sizeof(u.b)};

    if (recvmsg(fd, &mh, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC) != 0)
        return 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred uc;
            memcpy(&uc, CMSG_DATA(c), sizeof(uc));
            return uc.uid == 0 && uc.gid == 0;
        }
    }
    return 0;
}

/* ---- streams ---- */

/* EPIPE as sk_stream_error() gives it: a pending error instead, if there
 * is one; else EPIPE, with SIGPIPE unless MSG_NOSIGNAL. */
static ssize_t
us_stream_epipe(int fd, int flags)
{
    int e = us_take_error(fd);

    if (e > 0)
        return us_fail(-e);
    if (!(flags & MSG_NOSIGNAL))
        raise(SIGPIPE);
    return us_fail(-EPIPE);
}

static ssize_t
us_stream_send(int fd, const struct stat *st, int conn, const void *buf, size_t len,
               int flags)
{
    if (flags & MSG_OOB)
        return us_fail(-EOPNOTSUPP); /* DEVIATION: no urgent data */
    if (conn == US_CONN_BROKEN)
        return us_stream_epipe(fd, flags); /* the error was reported */
    if (conn != US_CONN_CONNECTED && conn != US_CONN_CONNECTING) {
        conn = us_tcp_conn(fd, st, conn);
        if (conn < 0)
            return us_fail(conn);
        /* tcp_sendmsg(): sk_stream_wait_connect() on a socket that is
         * neither connected nor connecting */
        if (conn == US_CONN_UNKNOWN || conn == US_CONN_LISTENING)
            return us_stream_epipe(fd, flags);
    }
    /* connecting: the descriptor is not writable until the handshake
     * ended, so this blocks (or EAGAIN) as tcp_sendmsg() would */
    ssize_t n = send(fd, buf, len, (flags & MSG_DONTWAIT) | MSG_NOSIGNAL);
    if (n < 0 && errno == EPIPE)
        return us_stream_epipe(fd, flags);
    return n;
}

/* MSG_TRUNC on a stream (tcp_recvmsg()): take up to len bytes, copy none. */
static ssize_t
us_stream_discard(int fd, size_t len, int rflags)
{
    size_t cap = len < 256 * 1024 ? len : 256 * 1024, done = 0;
    void *scratch = malloc(cap ? cap : 1);

    if (!scratch)
        return us_fail(-ENOMEM);
    ssize_t n = recv(fd, scratch, cap, rflags);
    /* more of it only when it waits for all, or without waiting */
    while (n > 0 && !(rflags & MSG_PEEK)) {
        done += (size_t)n;
        size_t want = len - done < cap ? len - done : cap;
        if (want == 0)
            break;
        n = recv(fd, scratch, want,
                 (rflags & MSG_WAITALL) ? rflags : rflags | MSG_DONTWAIT);
        if (n < 0 && done > 0 && (errno == EAGAIN || errno == EINTR))
            n = 0;
    }
    free(scratch);
    if (n < 0)
        return -1;
    return (rflags & MSG_PEEK) ? n : (ssize_t)done;
}

static ssize_t
us_stream_recv(int fd, const struct stat *st, int conn, void *buf, size_t len, int flags)
{
    if (flags & MSG_OOB)
        return us_fail(-EINVAL); /* tcp_recv_urg(): no urgent data here */
    if (conn != US_CONN_CONNECTED && conn != US_CONN_CONNECTING &&
        conn != US_CONN_BROKEN) {
        conn = us_tcp_conn(fd, st, conn);
        if (conn < 0)
            return us_fail(conn);
        if (conn == US_CONN_LISTENING)
            return us_fail(-ENOTCONN); /* tcp_recvmsg() on a listener */
        if (conn == US_CONN_UNKNOWN) {
            /* closed: a connection that ended has its end of file (or
             * data) waiting; one that never was has nothing */
            char c;
            if (recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0)
                return us_fail(errno == EAGAIN ? -ENOTCONN : -errno);
            us_note_set(fd, st, US_STREAM, US_CONN_CONNECTED);
        }
    }
    int rflags = flags & (MSG_DONTWAIT | MSG_PEEK | MSG_WAITALL);
    ssize_t n = (flags & MSG_TRUNC) ? us_stream_discard(fd, len, rflags)
                                    : recv(fd, buf, len, rflags);
    if (n == 0 && len > 0) {
        /* end of file: after a reset or a timeout SO_ERROR says so, once;
         * a daemon we cannot ask any more is end of file too */
        int e = us_take_error(fd);
        if (e > 0) {
            us_note_set(fd, st, US_STREAM, US_CONN_BROKEN);
            return us_fail(-e);
        }
    }
    return n;
}

/* ---- datagrams ---- */

ssize_t
us_dgram_recv(int fd, struct iovec *iov, size_t iovcnt, int flags,
              struct sockaddr *src_addr, socklen_t *addrlen, int *msg_flags)
{
    int r, rflags = (flags & (MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC | MSG_WAITALL)) |
                    MSG_CMSG_CLOEXEC;

    for (;;) {
        union {
            char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(4 * sizeof(int))];
            struct cmsghdr align;
        } u;
        struct msghdr mh = {
            .msg_iov = iov,
            .msg_iovlen = iovcnt,
            .msg_control = u.b,
            .msg_controllen = sizeof(u.b),
        };
        struct ucred uc;
        int have_src = 0;

        ssize_t n = recvmsg(fd, &mh, rflags);
        if (n < 0)
            return -1; /* EAGAIN, EINTR, EBADF, ENOTSOCK, EFAULT: the kernel's own */
        *msg_flags = mh.msg_flags & MSG_TRUNC; /* the kernel's UDP sets no other */
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level != SOL_SOCKET)
                continue;
            if (c->cmsg_type == SCM_CREDENTIALS) {
                memcpy(&uc, CMSG_DATA(c), sizeof(uc));
                have_src = 1;
            } else if (c->cmsg_type == SCM_RIGHTS) {
                /* never sent by the daemon; do not leak them */
                size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < nfds; i++) {
                    int x;
                    memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                    close(x);
                }
            }
        }
        if (have_src && n == 0 && uc.uid == 0 && uc.gid == 0) {
            /* the daemon's "pending error" notice, not a datagram */
            if (flags & MSG_PEEK) {
                /* take the notice off the queue. If another thread took it
                 * first, this takes the datagram behind it: a loss, as
                 * peeking readers racing each other may see anyway */
                struct msghdr drop = {0};
                recvmsg(fd, &drop, MSG_DONTWAIT);
            }
            r = us_take_error(fd);
            if (r != 0)
                return us_fail(r < 0 ? r : -r);
            continue;
        }
        if (src_addr) {
            /* as the kernel: checked once the datagram is taken, so lost */
            if ((r = us_len_ok(addrlen)) < 0)
                return us_fail(r);
            if (have_src) {
                struct sockaddr_in sin = us_sin(uc.uid, (uint16_t)uc.gid);
                us_addr_out(&sin, src_addr, addrlen);
            } else {
                *addrlen = 0; /* end of file, or a stream: no address (as Linux) */
            }
        }
        return n;
    }
}

/* ---- the calls ---- */

ssize_t
us_send(int fd, const void *buf, size_t len, int flags)
{
    struct stat st;
    int r, connected;

    if ((r = us_fd_stat(fd, &st)) < 0)
        return us_fail(r);
    enum us_kind kind = us_fd_kind(fd, &st, &connected);
    if (kind == US_STREAM)
        return us_stream_send(fd, &st, connected, buf, len, flags);
    if (kind != US_DGRAM)
        return send(fd, buf, len, flags); /* not ours: the kernel's */

    /* udp_sendmsg(), in its order */
    if (len > US_IP_MAX)
        return us_fail(-EMSGSIZE);
    if (flags & MSG_OOB)
        return us_fail(-EOPNOTSUPP);
    if (!connected) {
        struct ctl_msg m = {0};
        r = us_call(CTL_GETPEERNAME, fd, &m);
        if (r == -ENOTCONN)
            return us_fail(-EDESTADDRREQ);
        if (r < 0)
            return us_fail(r);
        us_note_set(fd, &st, US_DGRAM, 1);
    }
    if (len > US_UDP_MAX)
        return us_fail(-EMSGSIZE);
    if (us_error_at_head(fd)) {
        /* sock_alloc_send_skb() reports a pending error; the notice stays
         * queued for the reader, who finds SO_ERROR cleared */
        r = us_take_error(fd);
        if (r != 0)
            return us_fail(r < 0 ? r : -r);
    }
    return send(fd, buf, len, (flags & MSG_DONTWAIT) | MSG_NOSIGNAL);
}

ssize_t
us_sendto(int fd, const void *buf, size_t len, int flags,
          const struct sockaddr *dest_addr, socklen_t addrlen)
{
    struct sockaddr_in sin;
    struct stat st;
    int r, connected;

    if (!dest_addr)
        return us_send(fd, buf, len, flags);
    if ((r = us_fd_stat(fd, &st)) < 0 || (r = us_addr_in(dest_addr, addrlen, &sin)) < 0)
        return us_fail(r);
    if (us_fd_kind(fd, &st, &connected) != US_DGRAM)
        return us_send(fd, buf, len, flags); /* TCP ignores the address */

    /* udp_sendmsg(), in its order */
    if (len > US_IP_MAX)
        return us_fail(-EMSGSIZE);
    if (flags & MSG_OOB)
        return us_fail(-EOPNOTSUPP);
    if (addrlen < sizeof(sin))
        return us_fail(-EINVAL);
    if (sin.sin_family != AF_INET && sin.sin_family != AF_UNSPEC)
        return us_fail(-EAFNOSUPPORT); /* AF_UNSPEC passes, as in Linux */
    if (sin.sin_port == 0)
        return us_fail(-EINVAL);
    if (len > US_UDP_MAX)
        return us_fail(-EMSGSIZE);
    if (!buf && len > 0)
        return us_fail(-EFAULT); /* DEVIATION: other bad pointers crash here */

    struct ctl_msg m = {
        .h.type = CTL_SENDTO,
        .u.sendto = {ntohl(sin.sin_addr.s_addr), ntohs(sin.sin_port), 0,
                     flags & ~MSG_NOSIGNAL},
        .data = buf,
        .data_len = len,
    };
    r = ctl_call(&m, fd, &m, NULL, NULL, 0);
    return r < 0 ? us_fail(r) : r;
}

ssize_t
us_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *src_addr,
            socklen_t *addrlen)
{
    struct stat st;
    int r;

    if (flags & MSG_ERRQUEUE)
        return us_fail(us_fd_stat(fd, &st) < 0 ? -EBADF : -EAGAIN); /* no error queue */
    int conn;
    if (us_fd_stat(fd, &st) == 0 && us_fd_kind(fd, &st, &conn) == US_STREAM) {
        ssize_t n = us_stream_recv(fd, &st, conn, buf, len, flags);
        if (n >= 0 && src_addr) {
            /* tcp_recvmsg() gives no address: *addrlen = 0, once the data
             * is taken (as move_addr_to_user()) */
            if ((r = us_len_ok(addrlen)) < 0)
                return us_fail(r);
            *addrlen = 0;
        }
        return n;
    }
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    int mflags;
    return us_dgram_recv(fd, &iov, 1, flags, src_addr, addrlen, &mflags);
}

ssize_t
us_recv(int fd, void *buf, size_t len, int flags)
{
    return us_recvfrom(fd, buf, len, flags, NULL, NULL);
}
