/*
 * scripts/kernel-sockets/ustack.h - the us_* calls of socket_api/ustack.h
 * on the kernel's own sockets, for like-for-like benchmarks.
 *
 * scripts/bench.sh compiles the very same programs twice: once as usual
 * (-Isocket_api, linked with libustack: sockets served by ustackd) and
 * once with -Iscripts/kernel-sockets instead, where each us_* call is the
 * system call of the same name. Any difference in the numbers is then the
 * stack's, not the program's. Not a part of libustack; never installed.
 */
#ifndef USTACK_H
#define USTACK_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

static inline int
us_socket(int domain, int type, int protocol)
{
    return socket(domain, type, protocol);
}

static inline int
us_bind(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
    return bind(fd, addr, addrlen);
}

static inline int
us_connect(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
    return connect(fd, addr, addrlen);
}

static inline int
us_listen(int fd, int backlog)
{
    return listen(fd, backlog);
}

static inline int
us_accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    return accept(fd, addr, addrlen);
}

static inline int
us_accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
    return accept4(fd, addr, addrlen, flags);
}

static inline ssize_t
us_send(int fd, const void *buf, size_t len, int flags)
{
    return send(fd, buf, len, flags | MSG_NOSIGNAL);
}

static inline ssize_t
us_recv(int fd, void *buf, size_t len, int flags)
{
    return recv(fd, buf, len, flags);
}

static inline ssize_t
us_sendto(int fd, const void *buf, size_t len, int flags,
          const struct sockaddr *dest_addr, socklen_t addrlen)
{
    return sendto(fd, buf, len, flags, dest_addr, addrlen);
}

static inline ssize_t
us_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *src_addr,
            socklen_t *addrlen)
{
    return recvfrom(fd, buf, len, flags, src_addr, addrlen);
}

static inline int
us_close(int fd)
{
    return close(fd);
}

static inline int
us_shutdown(int fd, int how)
{
    return shutdown(fd, how);
}

static inline int
us_getsockname(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    return getsockname(fd, addr, addrlen);
}

static inline int
us_getpeername(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    return getpeername(fd, addr, addrlen);
}

static inline int
us_setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen)
{
    return setsockopt(fd, level, optname, optval, optlen);
}

static inline int
us_getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
{
    return getsockopt(fd, level, optname, optval, optlen);
}

#endif
