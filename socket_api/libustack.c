/*
 * libustack.c - the BSD socket calls over ustackd. See ustack.h for the
 * design and every known difference from the kernel.
 *
 * Each call checks its arguments in the order Linux does (the descriptor,
 * then copying the arguments in, then the protocol's own checks) and hands
 * the rest to the daemon through ctl_call(). This file: creating sockets,
 * addresses, options, the socket table; sending and receiving are in
 * us_data.c.
 *
 * The library remembers two facts per descriptor (keyed by the open
 * file's inode, so a closed and reused number is noticed): whether it is a
 * datagram or a stream socket, and what is known of its connection
 * (enum us_conn): whether a datagram socket is connected (to give
 * EDESTADDRREQ without asking the daemon on every send), and whether a
 * stream socket is connecting, connected or listening (so that data calls
 * on a connected stream go straight to the descriptor, and no call ever
 * reads a listener's accept tokens as data).
 */
#include "ustack.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "us_priv.h"
#include "ustack_admin.h"

#define US_SOCK_MAX 11     /* the kernel's SOCK_MAX: types are 1..10 */
#define US_IPPROTO_MAX 263 /* the kernel's IPPROTO_MAX */
#define US_ADDR_MAX ((socklen_t)sizeof(struct sockaddr_storage))

int
us_fail(int neg_errno)
{
    errno = -neg_errno;
    return -1;
}

/* ---- what we remember about a descriptor ---- */

struct us_note {
    dev_t dev;
    ino_t ino;
    uint8_t kind; /* enum us_kind */
    uint8_t conn; /* enum us_conn */
};

static pthread_mutex_t notes_lock = PTHREAD_MUTEX_INITIALIZER;
static struct us_note *notes; /* indexed by descriptor */
static size_t notes_len;

/* The kernel's sockfd_lookup(): EBADF, or ENOTSOCK for a file that is not
 * a socket. */
int
us_fd_stat(int fd, struct stat *st)
{
    if (fd < 0 || fstat(fd, st) < 0)
        return -EBADF;
    return S_ISSOCK(st->st_mode) ? 0 : -ENOTSOCK;
}

void
us_note_set(int fd, const struct stat *st, enum us_kind kind, int conn)
{
    pthread_mutex_lock(&notes_lock);
    if ((size_t)fd >= notes_len) {
        size_t len = notes_len ? notes_len : 64;
        while (len <= (size_t)fd)
            len *= 2;
        struct us_note *n = realloc(notes, len * sizeof(*n));
        if (!n)
            goto out; /* not remembering only costs a question later */
        memset(n + notes_len, 0, (len - notes_len) * sizeof(*n));
        notes = n;
        notes_len = len;
    }
    notes[fd] = (struct us_note){st->st_dev, st->st_ino, (uint8_t)kind, (uint8_t)conn};
out:
    pthread_mutex_unlock(&notes_lock);
}

/* What fd is: from the note if it is about this open file, else from the
 * socketpair's type (SOCK_SEQPACKET carries datagrams, SOCK_STREAM a
 * byte stream; anything that is not AF_UNIX is not ours). */
enum us_kind
us_fd_kind(int fd, const struct stat *st, int *conn)
{
    enum us_kind kind = US_UNKNOWN;
    int found = 0;

    *conn = US_CONN_UNKNOWN;
    pthread_mutex_lock(&notes_lock);
    if ((size_t)fd < notes_len && notes[fd].ino == st->st_ino &&
        notes[fd].dev == st->st_dev && notes[fd].kind != US_UNKNOWN) {
        kind = notes[fd].kind;
        *conn = notes[fd].conn;
        found = 1;
    }
    pthread_mutex_unlock(&notes_lock);
    if (found)
        return kind;
    int domain = 0, type = 0;
    socklen_t len = sizeof(int);
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_UNIX &&
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0)
        kind = type == SOCK_SEQPACKET ? US_DGRAM
               : type == SOCK_STREAM  ? US_STREAM
                                      : US_UNKNOWN;
    if (kind != US_UNKNOWN)
        us_note_set(fd, st, kind, US_CONN_UNKNOWN);
    return kind;
}

/* ---- addresses ---- */

/* sockaddr_in from the daemon's host-order address. */
struct sockaddr_in
us_sin(uint32_t addr, uint16_t port)
{
    struct sockaddr_in sin;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(addr);
    return sin;
}

/* The kernel's move_addr_to_user(): copy what fits, say the real size. */
void
us_addr_out(const struct sockaddr_in *sin, struct sockaddr *addr, socklen_t *addrlen)
{
    socklen_t n = *addrlen < sizeof(*sin) ? *addrlen : (socklen_t)sizeof(*sin);

    if (n > 0)
        memcpy(addr, sin, n);
    *addrlen = sizeof(*sin);
}

/* The kernel's move_addr_to_kernel(): the length, then the pointer. The
 * caller goes on with the protocol's checks on *sin and len. */
int
us_addr_in(const struct sockaddr *addr, socklen_t len, struct sockaddr_in *sin)
{
    memset(sin, 0, sizeof(*sin));
    if (len > US_ADDR_MAX) /* includes a negative int */
        return -EINVAL;
    if (len > 0 && !addr)
        return -EFAULT;
    if (len > 0)
        memcpy(sin, addr, len < sizeof(*sin) ? len : sizeof(*sin));
    return 0;
}

/* A user's socklen_t that the kernel reads as an int. */
int
us_len_ok(const socklen_t *len)
{
    if (!len)
        return -EFAULT;
    return (int)*len < 0 ? -EINVAL : 0;
}

/* ---- requests ---- */

int
us_call(int type, int fd, struct ctl_msg *m)
{
    struct ctl_msg req = *m;

    req.h.type = (uint8_t)type;
    return ctl_call(&req, fd, m, NULL, NULL, 0);
}

/* SO_ERROR from the daemon: the pending error (positive), 0, or a
 * negative errno if the question could not be asked. */
int
us_take_error(int fd)
{
    struct ctl_msg m = {.u.sockopt = {SOL_SOCKET, SO_ERROR, 0}};
    int r = us_call(CTL_GETSOCKOPT, fd, &m);

    return r < 0 ? r : m.u.sockopt.value;
}

/* ---- the calls ---- */

int
us_socket(int domain, int type, int protocol)
{
    int flags = type & ~0xf, base = type & 0xf;
    struct ctl_msg m = {0};
    struct stat st;
    int fd = -1, r;

    /* __sys_socket(), __sock_create(), inet_create(), in that order */
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
        return us_fail(-EINVAL);
    if (domain < 0 || domain >= AF_MAX)
        return us_fail(-EAFNOSUPPORT);
    if (base >= US_SOCK_MAX)
        return us_fail(-EINVAL);
    if (domain != AF_INET)
        return us_fail(-EAFNOSUPPORT); /* DEVIATION: AF_INET6 and the rest */
    if (protocol < 0 || protocol >= US_IPPROTO_MAX)
        return us_fail(-EINVAL);
    switch (base) {
    case SOCK_DGRAM:
        if (protocol == IPPROTO_ICMP)
            return us_fail(-EACCES); /* a ping socket; net.ipv4.ping_group_range
                                        is empty by default */
        if (protocol != 0 && protocol != IPPROTO_UDP)
            return us_fail(-EPROTONOSUPPORT);
        break;
    case SOCK_STREAM:
        if (protocol != 0 && protocol != IPPROTO_TCP)
            return us_fail(-EPROTONOSUPPORT);
        break;
    case SOCK_RAW:
        /* DEVIATION: no raw sockets; the kernel accepts protocol != 0 */
        return us_fail(protocol == 0 ? -EPROTONOSUPPORT : -ESOCKTNOSUPPORT);
    default: return us_fail(-ESOCKTNOSUPPORT);
    }

    m.h.type = CTL_SOCKET;
    m.u.socket = (struct ctl_socket){domain, base, protocol};
    r = ctl_call(&m, -1, &m, &fd, NULL, 0);
    if (r < 0)
        return us_fail(r);
    /* the reply's descriptor arrives close-on-exec (MSG_CMSG_CLOEXEC), so no
     * window in which a concurrent exec could inherit it */
    if (us_fd_stat(fd, &st) < 0) {
        close(fd);
        return us_fail(-EPROTO);
    }
    if (!(flags & SOCK_CLOEXEC) && fcntl(fd, F_SETFD, 0) < 0)
        goto fail;
    if (flags & SOCK_NONBLOCK) {
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
            goto fail;
    }
    us_note_set(fd, &st, base == SOCK_DGRAM ? US_DGRAM : US_STREAM, 0);
    return fd;
fail:
    r = -errno;
    close(fd);
    return us_fail(r);
}

int
us_bind(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
    struct sockaddr_in sin;
    struct stat st;
    int r;

    if ((r = us_fd_stat(fd, &st)) < 0 || (r = us_addr_in(addr, addrlen, &sin)) < 0)
        return us_fail(r);
    /* inet_bind_sk() */
    if (addrlen < sizeof(sin))
        return us_fail(-EINVAL);
    if (sin.sin_family != AF_INET &&
        (sin.sin_family != AF_UNSPEC || sin.sin_addr.s_addr != htonl(INADDR_ANY)))
        return us_fail(-EAFNOSUPPORT); /* AF_UNSPEC is accepted for INADDR_ANY only */
    struct ctl_msg m = {
        .u.addr = {ntohl(sin.sin_addr.s_addr), ntohs(sin.sin_port), AF_INET}};
    r = us_call(CTL_BIND, fd, &m);
    return r < 0 ? us_fail(r) : 0;
}

int
us_connect(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
    struct sockaddr_in sin;
    struct stat st;
    struct ctl_msg m = {0};
    int r, conn;

    if ((r = us_fd_stat(fd, &st)) < 0 || (r = us_addr_in(addr, addrlen, &sin)) < 0)
        return us_fail(r);
    /* inet_dgram_connect() / inet_stream_connect() */
    if (addrlen < sizeof(sin.sin_family))
        return us_fail(-EINVAL);
    enum us_kind kind = us_fd_kind(fd, &st, &conn);
    if (kind == US_STREAM && sin.sin_family != AF_UNSPEC) {
        /* tcp_v4_connect() checks the address once the state allows */
        int addr_err = addrlen < sizeof(sin)       ? -EINVAL
                       : sin.sin_family != AF_INET ? -EAFNOSUPPORT
                                                   : 0;
        struct ctl_addr to = {ntohl(sin.sin_addr.s_addr), ntohs(sin.sin_port), AF_INET};
        return us_tcp_connect(fd, &st, conn, &to, addr_err);
    }
    if (sin.sin_family == AF_UNSPEC) {
        /* dissolve the association (a stream: the daemon's disconnect) */
        m.u.addr.family = AF_UNSPEC;
    } else {
        /* ip4_datagram_connect() */
        if (addrlen < sizeof(sin))
            return us_fail(-EINVAL);
        if (sin.sin_family != AF_INET)
            return us_fail(-EAFNOSUPPORT);
        m.u.addr =
            (struct ctl_addr){ntohl(sin.sin_addr.s_addr), ntohs(sin.sin_port), AF_INET};
    }
    r = us_call(CTL_CONNECT, fd, &m);
    if (r < 0)
        return us_fail(r);
    if (kind != US_UNKNOWN)
        us_note_set(fd, &st, kind,
                    kind == US_DGRAM && sin.sin_family != AF_UNSPEC ? US_CONN_CONNECTED
                                                                    : US_CONN_UNKNOWN);
    return 0;
}

int
us_close(int fd)
{
    pthread_mutex_lock(&notes_lock);
    if (fd >= 0 && (size_t)fd < notes_len)
        memset(&notes[fd], 0, sizeof(notes[fd]));
    pthread_mutex_unlock(&notes_lock);
    return close(fd);
}

int
us_shutdown(int fd, int how)
{
    struct ctl_msg m = {.u.shutdown = {how}};
    struct stat st;
    int r, conn;

    if ((r = us_fd_stat(fd, &st)) < 0)
        return us_fail(r);
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
        return us_fail(-EINVAL);
    if (us_fd_kind(fd, &st, &conn) == US_STREAM)
        return us_tcp_shutdown(fd, how);
    r = us_call(CTL_SHUTDOWN, fd, &m);
    return r < 0 ? us_fail(r) : 0;
}

static int
us_getname(int type, int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    struct ctl_msg m = {0};
    struct stat st;
    int r;

    if ((r = us_fd_stat(fd, &st)) < 0 || (r = us_call(type, fd, &m)) < 0)
        return us_fail(r);
    /* the kernel asks the protocol (ENOTCONN) before touching the arguments */
    if ((r = us_len_ok(addrlen)) < 0)
        return us_fail(r);
    if (!addr && *addrlen > 0)
        return us_fail(-EFAULT);
    struct sockaddr_in sin = us_sin(m.u.addr.addr, m.u.addr.port);
    us_addr_out(&sin, addr, addrlen);
    return 0;
}

int
us_getsockname(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    return us_getname(CTL_GETSOCKNAME, fd, addr, addrlen);
}

int
us_getpeername(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    return us_getname(CTL_GETPEERNAME, fd, addr, addrlen);
}

/* Options the socketpair's own descriptor keeps: blocking is its business. */
static int
us_native_opt(int level, int name)
{
    return level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO
#ifdef SO_RCVTIMEO_NEW
                                   || name == SO_RCVTIMEO_NEW || name == SO_SNDTIMEO_NEW
#endif
                                  );
}

/* Options whose value is a structure: the control protocol carries an int. */
static int
us_struct_opt(int level, int name)
{
    if (level == SOL_SOCKET)
        return name == SO_BINDTODEVICE || name == SO_ATTACH_FILTER || name == SO_PEERCRED;
    if (level == IPPROTO_IP)
        return name == IP_OPTIONS || name == IP_ADD_MEMBERSHIP ||
               name == IP_DROP_MEMBERSHIP || name == IP_MULTICAST_IF ||
               name == IP_MSFILTER;
    return 0;
}

int
us_setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen)
{
    struct stat st;
    int r, value = 0;

    if ((r = us_fd_stat(fd, &st)) < 0)
        return us_fail(r);
    if (us_native_opt(level, optname))
        return setsockopt(fd, level, optname, optval, optlen);
    if ((int)optlen < 0)
        return us_fail(-EINVAL);
    if (us_tcp_opt(level, optname))
        return us_tcp_setsockopt(fd, level, optname, optval, optlen);
    if (us_struct_opt(level, optname))
        return us_fail(-ENOPROTOOPT);
    if (optlen >= sizeof(int)) {
        if (!optval)
            return us_fail(-EFAULT);
        memcpy(&value, optval, sizeof(int));
    } else if (level == IPPROTO_IP && optlen >= 1) {
        /* do_ip_setsockopt() takes a single byte too */
        if (!optval)
            return us_fail(-EFAULT);
        value = *(const unsigned char *)optval;
    } else {
        return us_fail(-EINVAL);
    }
    struct ctl_msg m = {.u.sockopt = {level, optname, value}};
    r = us_call(CTL_SETSOCKOPT, fd, &m);
    return r < 0 ? us_fail(r) : 0;
}

int
us_getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
{
    struct stat st;
    int r, value, conn;

    if ((r = us_fd_stat(fd, &st)) < 0)
        return us_fail(r);
    if (us_native_opt(level, optname))
        return getsockopt(fd, level, optname, optval, optlen);
    if ((r = us_len_ok(optlen)) < 0)
        return us_fail(r);
    if (us_struct_opt(level, optname))
        return us_fail(-ENOPROTOOPT);
    enum us_kind kind = us_fd_kind(fd, &st, &conn);
    if (us_tcp_opt(level, optname))
        return us_tcp_getsockopt(fd, kind, level, optname, optval, optlen);
    if (level == SOL_SOCKET && optname == SO_TYPE && kind != US_UNKNOWN) {
        value = kind == US_DGRAM ? SOCK_DGRAM : SOCK_STREAM;
    } else if (level == SOL_SOCKET && optname == SO_DOMAIN && kind != US_UNKNOWN) {
        value = AF_INET;
    } else if (level == SOL_SOCKET && optname == SO_PROTOCOL && kind != US_UNKNOWN) {
        value = kind == US_DGRAM ? IPPROTO_UDP : IPPROTO_TCP;
    } else {
        struct ctl_msg m = {.u.sockopt = {level, optname, 0}};
        r = us_call(CTL_GETSOCKOPT, fd, &m);
        if (r < 0)
            return us_fail(r);
        value = m.u.sockopt.value;
    }
    socklen_t len = *optlen;
    if (len > 0 && !optval)
        return us_fail(-EFAULT);
    if (level == IPPROTO_IP && len > 0 && len < sizeof(int) && value >= 0 &&
        value <= 255) {
        /* do_ip_getsockopt(): a short buffer gets one byte */
        *(unsigned char *)optval = (unsigned char)value;
        *optlen = 1;
        return 0;
    }
    if (len > sizeof(int))
        len = sizeof(int);
    if (len > 0)
        memcpy(optval, &value, len);
    *optlen = len;
    return 0;
}

/* ---- ustack_admin.h ---- */

const char *
us_ctl_path(void)
{
    return ctl_path();
}

int
us_ctl_fd(void)
{
    int r = ctl_watch_fd();

    return r < 0 ? us_fail(r) : r;
}
