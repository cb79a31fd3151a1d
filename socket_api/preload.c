/*
 * preload.c - libustack-preload.so: unmodified programs over ustack.
 * Loaded with LD_PRELOAD (build/ustack-run sets it), it puts itself in
 * front of libc's socket calls: AF_INET sockets are made by ustackd
 * (us_socket()) and every call on them goes to libustack's us_* function;
 * everything else (AF_UNIX, AF_NETLINK, pipes, files, kernel sockets) goes
 * straight to libc. docs/SOCKETS.md, "Unmodified programs", has the list
 * of calls and what does not work.
 *
 * Owns:
 *  - the real libc functions, found once with dlsym(RTLD_NEXT) (in the
 *    constructor, or by the first call if another library's constructor
 *    comes first). libustack's own objects are linked into this library
 *    with their references to these functions renamed to us_libc_*
 *    (objcopy --redefine-sym, see the Makefile), so libustack never calls
 *    back into the shim.
 *  - the descriptor table: one 64-bit word per descriptor number, 0 for
 *    "not ustack's", else the socket's inode and kind. Read without a
 *    lock (an atomic load); a descriptor the table does not name is
 *    passed to libc with no other work. The inode guards against a
 *    number reused behind our back (a close libc made internally, fclose
 *    of an fdopen()ed socket): a word whose inode is not the descriptor's
 *    any more is cleared and the call goes to libc. Kept across close,
 *    dup, dup2, dup3, fcntl(F_DUPFD*), close_range; inherited by fork
 *    (memory is copied); rebuilt after exec (below). A vfork() child
 *    shares its parent's table until it execs, and must not write to it:
 *    only the owner's pid does (tab_put).
 *  - exec: the new image learns which inherited descriptors are ustack
 *    sockets by asking the kernel, not the environment (which a program
 *    can clear, and which goes stale when it closes or moves descriptors
 *    before exec). A ustack socket is an unnamed AF_UNIX stream or
 *    seqpacket socket made by socketpair() in the daemon, so the kernel
 *    reports the daemon's pid as its peer (SO_PEERCRED: socketpair()
 *    records its caller on both ends). The constructor lists
 *    /proc/self/fd and, if an inherited descriptor looks like that, asks
 *    the control socket once for the daemon's pid (SO_PEERCRED of a
 *    connection to it) and takes the descriptors whose peer it is.
 *
 * Policy for other families: AF_INET6 sockets fail with EAFNOSUPPORT, so
 * that programs fall back to AF_INET (ustack has no IPv6, and sending v6
 * through the kernel would leave the program on two stacks at once). Name
 * resolution inside libc (getaddrinfo's DNS and netlink sockets) uses
 * libc's internal calls, which no preload can see: it goes through the
 * kernel.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "us_priv.h"
#include "ustack.h"

#define PL_EXPORT __attribute__((visibility("default")))
#define PL_TAB_MAX (1u << 20) /* descriptors the table can name */
#define PL_DGRAM 1u
#define PL_STREAM 2u
#define PL_MMSG_MAX 1024u /* the kernel's UIO_MAXIOV: messages per sendmmsg/recvmmsg */

/* ---- the real functions ---- */

static struct {
    int (*socket)(int, int, int);
    int (*socketpair)(int, int, int, int[2]);
    int (*bind)(int, const struct sockaddr *, socklen_t);
    int (*listen)(int, int);
    int (*accept)(int, struct sockaddr *, socklen_t *);
    int (*accept4)(int, struct sockaddr *, socklen_t *, int);
    int (*connect)(int, const struct sockaddr *, socklen_t);
    int (*shutdown)(int, int);
    int (*getsockname)(int, struct sockaddr *, socklen_t *);
    int (*getpeername)(int, struct sockaddr *, socklen_t *);
    int (*setsockopt)(int, int, int, const void *, socklen_t);
    int (*getsockopt)(int, int, int, void *, socklen_t *);
    ssize_t (*send)(int, const void *, size_t, int);
    ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    ssize_t (*sendmsg)(int, const struct msghdr *, int);
    int (*sendmmsg)(int, struct mmsghdr *, unsigned int, int);
    ssize_t (*recv)(int, void *, size_t, int);
    ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
    ssize_t (*recvmsg)(int, struct msghdr *, int);
    int (*recvmmsg)(int, struct mmsghdr *, unsigned int, int, struct timespec *);
    int (*close)(int);
    int (*dup)(int);
    int (*dup2)(int, int);
    int (*dup3)(int, int, int);
    int (*fcntl)(int, int, ...);
    int (*fcntl64)(int, int, ...);
    int (*close_range)(unsigned int, unsigned int, int);
} real;

static pthread_once_t pl_once = PTHREAD_ONCE_INIT;
static atomic_int pl_resolved;
static _Atomic uint64_t *pl_tab;
static size_t pl_tab_len;
static _Atomic pid_t pl_owner; /* the process whose table this is */

static void
pl_atfork_child(void)
{
    atomic_store_explicit(&pl_owner, getpid(), memory_order_relaxed);
}

/* dlsym() returns void *; POSIX guarantees it converts to a function
 * pointer. */
#define PL_FIND(name)                                                                    \
    memcpy(&real.name, &(void *){dlsym(RTLD_NEXT, #name)}, sizeof(void *))

static void
pl_resolve(void)
{
    PL_FIND(socket);
    PL_FIND(socketpair);
    PL_FIND(bind);
    PL_FIND(listen);
    PL_FIND(accept);
    PL_FIND(accept4);
    PL_FIND(connect);
    PL_FIND(shutdown);
    PL_FIND(getsockname);
    PL_FIND(getpeername);
    PL_FIND(setsockopt);
    PL_FIND(getsockopt);
    PL_FIND(send);
    PL_FIND(sendto);
    PL_FIND(sendmsg);
    PL_FIND(sendmmsg);
    PL_FIND(recv);
    PL_FIND(recvfrom);
    PL_FIND(recvmsg);
    PL_FIND(recvmmsg);
    PL_FIND(close);
    PL_FIND(dup);
    PL_FIND(dup2);
    PL_FIND(dup3);
    PL_FIND(fcntl);
    PL_FIND(fcntl64);
    PL_FIND(close_range);
    if (!real.fcntl64)
        real.fcntl64 = real.fcntl;

    /* the table: virtual memory for every descriptor the process may
     * have, pages committed as they are touched */
    struct rlimit rl;
    size_t n = PL_TAB_MAX;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
        rl.rlim_max < n)
        n = rl.rlim_max < 1024 ? 1024 : (size_t)rl.rlim_max;
    void *p = mmap(NULL, n * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) {
        pl_tab = p;
        pl_tab_len = n;
    }
    atomic_store_explicit(&pl_owner, getpid(), memory_order_relaxed);
    pthread_atfork(NULL, NULL, pl_atfork_child);
    atomic_store_explicit(&pl_resolved, 1, memory_order_release);
}

static inline void
pl_ready(void)
{
    if (__builtin_expect(!atomic_load_explicit(&pl_resolved, memory_order_acquire), 0))
        pthread_once(&pl_once, pl_resolve);
}

/* ---- the table ---- */

static inline uint64_t
tab_get(int fd)
{
    pl_ready();
    if (fd < 0 || (size_t)fd >= pl_tab_len)
        return 0;
    return atomic_load_explicit(&pl_tab[fd], memory_order_acquire);
}

/* A write to the table, unless this is a vfork() child (or any clone that
 * shares the parent's memory): it runs in the parent's table until it
 * execs, and what it closes or moves there (close_range, dup2 before exec)
 * is not the parent's doing. fork() gives the child a copy, and
 * pl_atfork_child() makes it the owner of that copy. */
static inline void
tab_put(int fd, uint64_t word)
{
    if (fd < 0 || (size_t)fd >= pl_tab_len ||
        atomic_load_explicit(&pl_tab[fd], memory_order_relaxed) == word)
        return;
    if (getpid() != atomic_load_explicit(&pl_owner, memory_order_relaxed))
        return;
    atomic_store_explicit(&pl_tab[fd], word, memory_order_release);
}

static uint64_t
tab_word(const struct stat *st, unsigned kind)
{
    return ((uint64_t)st->st_ino << 2) | kind;
}

/* Note a new ustack descriptor; 0, or -EMFILE past the table (closed). */
static int
tab_add(int fd, unsigned kind)
{
    struct stat st;

    if ((size_t)fd >= pl_tab_len || fstat(fd, &st) < 0) {
        real.close(fd);
        return -EMFILE;
    }
    tab_put(fd, tab_word(&st, kind));
    return 0;
}

/* Is fd a ustack socket? The table says, checked against the inode. */
static int
pl_ours(int fd)
{
    uint64_t w = tab_get(fd);
    struct stat st;

    if (w == 0)
        return 0;
    if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
        tab_word(&st, (unsigned)(w & 3)) == w)
        return 1;
    if (getpid() == atomic_load_explicit(&pl_owner, memory_order_relaxed))
        atomic_compare_exchange_strong(&pl_tab[fd], &w, 0); /* reused behind our back */
    return 0;
}

/* ---- what libustack calls: always libc ---- */

US_INTERNAL int
us_libc_socket(int d, int t, int p)
{
    pl_ready();
    return real.socket(d, t, p);
}

US_INTERNAL int
us_libc_connect(int fd, const struct sockaddr *a, socklen_t l)
{
    pl_ready();
    return real.connect(fd, a, l);
}

US_INTERNAL int
us_libc_close(int fd)
{
    pl_ready();
    return real.close(fd);
}

US_INTERNAL int
us_libc_shutdown(int fd, int how)
{
    pl_ready();
    return real.shutdown(fd, how);
}

US_INTERNAL int
us_libc_setsockopt(int fd, int lv, int n, const void *v, socklen_t l)
{
    pl_ready();
    return real.setsockopt(fd, lv, n, v, l);
}

US_INTERNAL int
us_libc_getsockopt(int fd, int lv, int n, void *v, socklen_t *l)
{
    pl_ready();
    return real.getsockopt(fd, lv, n, v, l);
}

US_INTERNAL ssize_t
us_libc_send(int fd, const void *b, size_t l, int f)
{
    pl_ready();
    return real.send(fd, b, l, f);
}

US_INTERNAL ssize_t
us_libc_recv(int fd, void *b, size_t l, int f)
{
    pl_ready();
    return real.recv(fd, b, l, f);
}

US_INTERNAL ssize_t
us_libc_sendmsg(int fd, const struct msghdr *m, int f)
{
    pl_ready();
    return real.sendmsg(fd, m, f);
}

US_INTERNAL ssize_t
us_libc_recvmsg(int fd, struct msghdr *m, int f)
{
    pl_ready();
    return real.recvmsg(fd, m, f);
}

US_INTERNAL int
us_libc_fcntl(int fd, int cmd, ...)
{
    va_list ap;

    va_start(ap, cmd);
    void *arg = va_arg(ap, void *); /* as libc's own wrapper reads it */
    va_end(ap);
    pl_ready();
    return real.fcntl(fd, cmd, arg);
}

US_INTERNAL int
us_libc_fcntl64(int fd, int cmd, ...)
{
    va_list ap;

    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    pl_ready();
    return real.fcntl64(fd, cmd, arg);
}

/* ---- creating ---- */

PL_EXPORT int
socket(int domain, int type, int protocol)
{
    pl_ready();
    if (domain == AF_INET6) {
        errno = EAFNOSUPPORT; /* no IPv6 in ustack: programs fall back to v4 */
        return -1;
    }
    if (domain != AF_INET) {
        int fd = real.socket(domain, type, protocol);
        tab_put(fd, 0);
        return fd;
    }
    int fd = us_socket(domain, type, protocol);
    if (fd < 0)
        return -1;
    int r = tab_add(fd, (type & 0xf) == SOCK_DGRAM ? PL_DGRAM : PL_STREAM);
    return r < 0 ? us_fail(r) : fd;
}

PL_EXPORT int
socketpair(int domain, int type, int protocol, int sv[2])
{
    pl_ready();
    int r = real.socketpair(domain, type, protocol, sv);
    if (r == 0) {
        tab_put(sv[0], 0);
        tab_put(sv[1], 0);
    }
    return r;
}

static int
pl_accepted(int nfd)
{
    if (nfd < 0)
        return nfd;
    int r = tab_add(nfd, PL_STREAM);
    return r < 0 ? us_fail(r) : nfd;
}

PL_EXPORT int
accept(int fd, __SOCKADDR_ARG sa, socklen_t *addrlen)
{
    struct sockaddr *addr = sa.__sockaddr__;

    if (!pl_ours(fd)) {
        int nfd = real.accept(fd, addr, addrlen);
        tab_put(nfd, 0);
        return nfd;
    }
    return pl_accepted(us_accept(fd, addr, addrlen));
}

PL_EXPORT int
accept4(int fd, __SOCKADDR_ARG sa, socklen_t *addrlen, int flags)
{
    struct sockaddr *addr = sa.__sockaddr__;

    if (!pl_ours(fd)) {
        int nfd = real.accept4(fd, addr, addrlen, flags);
        tab_put(nfd, 0);
        return nfd;
    }
    return pl_accepted(us_accept4(fd, addr, addrlen, flags));
}

/* ---- the calls that name a socket ---- */

PL_EXPORT int
bind(int fd, __CONST_SOCKADDR_ARG sa, socklen_t len)
{
    const struct sockaddr *addr = sa.__sockaddr__;

    return pl_ours(fd) ? us_bind(fd, addr, len) : real.bind(fd, addr, len);
}

PL_EXPORT int
listen(int fd, int backlog)
{
    return pl_ours(fd) ? us_listen(fd, backlog) : real.listen(fd, backlog);
}

PL_EXPORT int
connect(int fd, __CONST_SOCKADDR_ARG sa, socklen_t len)
{
    const struct sockaddr *addr = sa.__sockaddr__;

    return pl_ours(fd) ? us_connect(fd, addr, len) : real.connect(fd, addr, len);
}

PL_EXPORT int
shutdown(int fd, int how)
{
    return pl_ours(fd) ? us_shutdown(fd, how) : real.shutdown(fd, how);
}

PL_EXPORT int
getsockname(int fd, __SOCKADDR_ARG sa, socklen_t *len)
{
    struct sockaddr *addr = sa.__sockaddr__;

    return pl_ours(fd) ? us_getsockname(fd, addr, len) : real.getsockname(fd, addr, len);
}

PL_EXPORT int
getpeername(int fd, __SOCKADDR_ARG sa, socklen_t *len)
{
    struct sockaddr *addr = sa.__sockaddr__;

    return pl_ours(fd) ? us_getpeername(fd, addr, len) : real.getpeername(fd, addr, len);
}

PL_EXPORT int
setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    return pl_ours(fd) ? us_setsockopt(fd, level, name, val, len)
                       : real.setsockopt(fd, level, name, val, len);
}

PL_EXPORT int
getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    return pl_ours(fd) ? us_getsockopt(fd, level, name, val, len)
                       : real.getsockopt(fd, level, name, val, len);
}

/* ---- data ---- */

PL_EXPORT ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
    return pl_ours(fd) ? us_send(fd, buf, len, flags) : real.send(fd, buf, len, flags);
}

PL_EXPORT ssize_t
sendto(int fd, const void *buf, size_t len, int flags, __CONST_SOCKADDR_ARG sa,
       socklen_t tolen)
{
    const struct sockaddr *to = sa.__sockaddr__;

    return pl_ours(fd) ? us_sendto(fd, buf, len, flags, to, tolen)
                       : real.sendto(fd, buf, len, flags, to, tolen);
}

PL_EXPORT ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
    return pl_ours(fd) ? us_recv(fd, buf, len, flags) : real.recv(fd, buf, len, flags);
}

PL_EXPORT ssize_t
recvfrom(int fd, void *buf, size_t len, int flags, __SOCKADDR_ARG sa, socklen_t *fromlen)
{
    struct sockaddr *from = sa.__sockaddr__;

    return pl_ours(fd) ? us_recvfrom(fd, buf, len, flags, from, fromlen)
                       : real.recvfrom(fd, buf, len, flags, from, fromlen);
}

/* The first buffer of an iovec with room, for a stream: reading or writing
 * less than asked is allowed there. */
static const struct iovec *
pl_first_iov(const struct msghdr *m)
{
    static const struct iovec none = {0};

    if (!m->msg_iov)
        return &none;
    for (size_t i = 0; i < m->msg_iovlen; i++)
        if (m->msg_iov[i].iov_len > 0)
            return &m->msg_iov[i];
    return &none;
}

/* A datagram's buffers gathered into one (a datagram is sent whole). */
static ssize_t
pl_gather(const struct msghdr *m, char **out)
{
    size_t len = 0;

    for (size_t i = 0; i < m->msg_iovlen; i++) {
        if (m->msg_iov[i].iov_len > US_IP_MAX - len)
            return -EMSGSIZE;
        len += m->msg_iov[i].iov_len;
    }
    char *b = malloc(len ? len : 1);
    if (!b)
        return -ENOBUFS;
    for (size_t i = 0, at = 0; i < m->msg_iovlen; at += m->msg_iov[i].iov_len, i++)
        if (m->msg_iov[i].iov_len > 0)
            memcpy(b + at, m->msg_iov[i].iov_base, m->msg_iov[i].iov_len);
    *out = b;
    return (ssize_t)len;
}

static ssize_t
pl_sendmsg(int fd, const struct msghdr *m, int flags)
{
    struct stat st;
    int conn;

    if (!m)
        return us_fail(-EFAULT);
    if (m->msg_iovlen > 0 && !m->msg_iov)
        return us_fail(-EFAULT);
    if (m->msg_iovlen > IOV_MAX)
        return us_fail(-EMSGSIZE);
    if (us_fd_stat(fd, &st) == 0 && us_fd_kind(fd, &st, &conn) == US_STREAM) {
        if (conn == US_CONN_CONNECTED) {
            /* the pair's own stream; an address is ignored, as by TCP */
            struct msghdr plain = {.msg_iov = m->msg_iov, .msg_iovlen = m->msg_iovlen};
            return real.sendmsg(fd, &plain, flags);
        }
        const struct iovec *v = pl_first_iov(m);
        return us_send(fd, v->iov_base, v->iov_len, flags);
    }
    /* DEVIATION: ancillary data (IP_PKTINFO, IP_TOS...) is ignored */
    char *buf = NULL;
    ssize_t len = pl_gather(m, &buf);
    if (len < 0)
        return us_fail((int)len);
    ssize_t n = us_sendto(fd, buf, (size_t)len, flags, m->msg_name,
                          m->msg_name ? m->msg_namelen : 0);
    int e = errno;
    free(buf);
    errno = e;
    return n;
}

PL_EXPORT ssize_t
sendmsg(int fd, const struct msghdr *m, int flags)
{
    return pl_ours(fd) ? pl_sendmsg(fd, m, flags) : real.sendmsg(fd, m, flags);
}

static ssize_t
pl_recvmsg(int fd, struct msghdr *m, int flags)
{
    struct stat st;
    int conn;

    if (!m)
        return us_fail(-EFAULT);
    if (m->msg_iovlen > IOV_MAX)
        return us_fail(-EMSGSIZE);
    if (m->msg_iovlen > 0 && !m->msg_iov)
        return us_fail(-EFAULT);
    m->msg_controllen = 0; /* no ancillary data to give */
    if (us_fd_stat(fd, &st) == 0 && us_fd_kind(fd, &st, &conn) == US_STREAM) {
        const struct iovec *v = pl_first_iov(m);
        ssize_t n = us_recv(fd, v->iov_base, v->iov_len, flags);
        if (n >= 0) {
            m->msg_namelen = 0;
            m->msg_flags = 0;
        }
        return n;
    }
    socklen_t namelen = m->msg_name ? m->msg_namelen : 0;
    int mflags = 0;
    ssize_t n = us_dgram_recv(fd, m->msg_iov, m->msg_iovlen, flags, m->msg_name,
                              m->msg_name ? &namelen : NULL, &mflags);
    if (n >= 0) {
        m->msg_namelen = m->msg_name ? namelen : 0;
        m->msg_flags = mflags;
    }
    return n;
}

PL_EXPORT ssize_t
recvmsg(int fd, struct msghdr *m, int flags)
{
    return pl_ours(fd) ? pl_recvmsg(fd, m, flags) : real.recvmsg(fd, m, flags);
}

PL_EXPORT int
sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
    if (!pl_ours(fd))
        return real.sendmmsg(fd, v, n, flags);
    unsigned int i;
    for (i = 0; i < n && i < PL_MMSG_MAX; i++) {
        ssize_t r = pl_sendmsg(fd, &v[i].msg_hdr, flags);
        if (r < 0)
            return i > 0 ? (int)i : -1;
        v[i].msg_len = (unsigned int)r;
    }
    return (int)i;
}

/* DEVIATION: the timeout is not applied; MSG_WAITFORONE is. */
PL_EXPORT int
recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags, struct timespec *timeout)
{
    if (!pl_ours(fd))
        return real.recvmmsg(fd, v, n, flags, timeout);
    unsigned int i;
    for (i = 0; i < n && i < PL_MMSG_MAX; i++) {
        ssize_t r = pl_recvmsg(fd, &v[i].msg_hdr, flags);
        if (r < 0)
            return i > 0 ? (int)i : -1;
        v[i].msg_len = (unsigned int)r;
        if (flags & MSG_WAITFORONE)
            flags |= MSG_DONTWAIT;
    }
    return (int)i;
}

/* ---- descriptors ---- */

PL_EXPORT int
close(int fd)
{
    if (tab_get(fd) == 0)
        return real.close(fd);
    tab_put(fd, 0);
    return us_close(fd); /* forgets libustack's note too */
}

PL_EXPORT int
dup(int fd)
{
    uint64_t w = tab_get(fd);
    int nfd = real.dup(fd);

    tab_put(nfd, w);
    return nfd;
}

PL_EXPORT int
dup2(int fd, int nfd)
{
    uint64_t w = tab_get(fd);
    int r = real.dup2(fd, nfd);

    if (r >= 0 && fd != nfd)
        tab_put(r, w);
    return r;
}

PL_EXPORT int
dup3(int fd, int nfd, int flags)
{
    uint64_t w = tab_get(fd);
    int r = real.dup3(fd, nfd, flags);

    tab_put(r, w);
    return r;
}

static int
pl_fcntl(int (*fn)(int, int, ...), int fd, int cmd, void *arg)
{
    if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC)
        return fn(fd, cmd, arg);
    uint64_t w = tab_get(fd);
    int nfd = fn(fd, cmd, arg);
    tab_put(nfd, w);
    return nfd;
}

PL_EXPORT int
fcntl(int fd, int cmd, ...)
{
    va_list ap;

    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    pl_ready();
    return pl_fcntl(real.fcntl, fd, cmd, arg);
}

PL_EXPORT int
fcntl64(int fd, int cmd, ...)
{
    va_list ap;

    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    pl_ready();
    return pl_fcntl(real.fcntl64, fd, cmd, arg);
}

PL_EXPORT int
close_range(unsigned int first, unsigned int last, int flags)
{
    pl_ready();
    if (!real.close_range)
        return us_fail(-ENOSYS);
    int r = real.close_range(first, last, flags);
    if (r == 0 && !(flags & CLOSE_RANGE_CLOEXEC))
        for (size_t fd = first; fd <= last && fd < pl_tab_len; fd++)
            if (atomic_load_explicit(&pl_tab[fd], memory_order_relaxed))
                tab_put((int)fd, 0);
    return r;
}

/* ---- after exec: which inherited descriptors are ours ---- */

/* An unnamed AF_UNIX stream or seqpacket socket made by another process:
 * its kind, and its peer's pid in *peer; else 0. */
static unsigned
pl_candidate(int fd, pid_t *peer)
{
    struct stat st;
    struct sockaddr_un sun;
    struct ucred uc;
    int v;
    socklen_t len = sizeof(v);

    if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
        real.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) < 0 || v != AF_UNIX)
        return 0;
    len = sizeof(v);
    if (real.getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) < 0 ||
        (v != SOCK_STREAM && v != SOCK_SEQPACKET))
        return 0;
    unsigned kind = v == SOCK_STREAM ? PL_STREAM : PL_DGRAM;
    len = sizeof(sun);
    if (real.getsockname(fd, (struct sockaddr *)&sun, &len) < 0 ||
        len != sizeof(sa_family_t))
        return 0;
    len = sizeof(uc);
    if (real.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0 || uc.pid <= 0 ||
        uc.pid == getpid())
        return 0;
    *peer = uc.pid;
    return kind;
}

/* The daemon's pid, from a connection to the control socket; 0 if it
 * cannot be reached. */
static pid_t
pl_daemon_pid(void)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    const char *path = ctl_path();
    struct ucred uc = {0};
    socklen_t len = sizeof(uc);

    if (strlen(path) >= sizeof(sun.sun_path))
        return 0;
    strcpy(sun.sun_path, path);
    int fd = real.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    if (real.connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
        real.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
        uc.pid = 0;
    real.close(fd);
    return uc.pid;
}

static void
pl_adopt_inherited(void)
{
    DIR *d = opendir("/proc/self/fd");
    pid_t daemon = -1;

    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        pid_t peer;
        if (*end || end == e->d_name || fd == dirfd(d) || fd < 0 || fd > INT_MAX)
            continue;
        unsigned kind = pl_candidate((int)fd, &peer);
        if (!kind)
            continue;
        if (daemon < 0)
            daemon = pl_daemon_pid();
        struct stat st;
        if (daemon > 0 && peer == daemon && (size_t)fd < pl_tab_len &&
            fstat((int)fd, &st) == 0)
            tab_put((int)fd, tab_word(&st, kind));
    }
    closedir(d);
}

__attribute__((constructor)) static void
pl_init(void)
{
    pl_ready();
    pl_adopt_inherited();
}
