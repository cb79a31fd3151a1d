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
 */
#include "ustack.h"

#include <errno.h>
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

ssize_t
us_send(int fd, const void *buf, size_t len, int flags)
{
    struct stat st;
    int r, connected;

    if ((r = us_fd_stat(fd, &st)) < 0)
        return us_fail(r);
    if (us_fd_kind(fd, &st, &connected) != US_DGRAM)
        return send(fd, buf, len, flags); /* a stream: SIGPIPE as the kernel's */

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
    int rflags =
        (flags & (MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC | MSG_WAITALL)) | MSG_CMSG_CLOEXEC;

    for (;;) {
        struct iovec iov = {.iov_base = buf, .iov_len = len};
        union {
            char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(4 * sizeof(int))];
            struct cmsghdr align;
        } u;
        struct msghdr mh = {
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = u.b,
            .msg_controllen = sizeof(u.b),
        };
        struct ucred uc;
        int have_src = 0;

        ssize_t n = recvmsg(fd, &mh, rflags);
        if (n < 0)
            return -1; /* EAGAIN, EINTR, EBADF, ENOTSOCK, EFAULT: the kernel's own */
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

ssize_t
us_recv(int fd, void *buf, size_t len, int flags)
{
    return us_recvfrom(fd, buf, len, flags, NULL, NULL);
}
