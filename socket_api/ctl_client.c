/*
 * ctl_client.c - the process's control connection to ustackd. See
 * ctl_client.h.
 *
 * One connection per process, opened on first use. It is checked before
 * each request: opened by this process (a child after fork() opens its
 * own: the daemon records the owner from SO_PEERCRED, and two processes
 * reading one connection would steal each other's replies), and still the
 * same open file (an application that closes "all descriptors" or dup2()s
 * over ours must not get our requests written into its files). A request
 * that cannot be delivered because the daemon went away (EPIPE) is sent
 * again once on a fresh connection; nothing was delivered, so that is safe.
 * A reply that never comes (the daemon dies after receiving) is not
 * retried: -ECONNRESET.
 */
#include "ctl_client.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_BUF_LEN (CTL_MSG_MAX + CTL_LIST_MAX * CTL_SOCK_INFO_LEN)
#define CTL_FDS_MAX 4 /* descriptors we make room for in one reply */
#define CTL_ERRNO_MAX 4095

static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t ctl_once = PTHREAD_ONCE_INIT;

/* Everything below is guarded by ctl_lock. */
static struct {
    int fd;    /* -1: not connected */
    pid_t pid; /* the process that connected it */
    dev_t dev; /* identity of the open file, to notice a reused number */
    ino_t ino;
    uint32_t seq;
    uint8_t buf[CTL_BUF_LEN]; /* the request, then its reply */
} ctl = {.fd = -1};

/* fork() while another thread is in the middle of an exchange: hold the
 * lock across fork so that the child's copy is not left locked. */
static void
ctl_prefork(void)
{
    pthread_mutex_lock(&ctl_lock);
}

static void
ctl_postfork(void)
{
    pthread_mutex_unlock(&ctl_lock);
}

static void
ctl_init(void)
{
    pthread_atfork(ctl_prefork, ctl_postfork, ctl_postfork);
}

const char *
ctl_path(void)
{
    const char *p = getenv(CTL_ENV);

    return p && *p ? p : CTL_DEFAULT_PATH;
}

/* Is descriptor fd still the open file we connected? */
static int
ctl_same_file(int fd)
{
    struct stat st;

    return fstat(fd, &st) == 0 && st.st_dev == ctl.dev && st.st_ino == ctl.ino;
}

/* Forget the connection; close it only if the number is still ours. */
static void
ctl_drop(void)
{
    if (ctl.fd >= 0 && ctl_same_file(ctl.fd))
        close(ctl.fd);
    ctl.fd = -1;
}

static int
ctl_connect(void)
{
    const char *path = ctl_path();
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    struct stat st;
    int fd, err;

    if (strlen(path) >= sizeof(sun.sun_path))
        return -ENAMETOOLONG;
    strcpy(sun.sun_path, path);
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (fd <= STDERR_FILENO) {
        /* stdio was closed: keep 0-2 free for the application to reopen */
        int high = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
        err = errno;
        close(fd);
        if (high < 0)
            return -err;
        fd = high;
    }
    if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || fstat(fd, &st) < 0) {
        err = errno;
        close(fd);
        return -err;
    }
    ctl.fd = fd;
    ctl.pid = getpid();
    ctl.dev = st.st_dev;
    ctl.ino = st.st_ino;
    return 0;
}

/* A usable connection: ours, still open, else a new one. */
static int
ctl_ready(void)
{
    if (ctl.fd >= 0 && ctl.pid != getpid())
        ctl_drop(); /* inherited across fork: the parent's */
    if (ctl.fd >= 0 && !ctl_same_file(ctl.fd))
        ctl.fd = -1; /* closed or replaced behind our back: not ours to close */
    return ctl.fd >= 0 ? 0 : ctl_connect();
}

static int
ctl_send(size_t len, int fd_out)
{
    struct iovec iov = {.iov_base = ctl.buf, .iov_len = len};
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    ssize_t n;

    if (fd_out >= 0) {
        memset(&u, 0, sizeof(u));
        mh.msg_control = u.b;
        mh.msg_controllen = sizeof(u.b);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd_out, sizeof(int));
    }
    do
        n = sendmsg(ctl.fd, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    return (size_t)n == len ? 0 : -EPROTO; /* SOCK_SEQPACKET: all or nothing */
}

/* Receive one reply into ctl.buf. The first descriptor that came with it
 * goes to *fd_got, any others are closed. */
static int
ctl_recv(size_t *len, int *fd_got, int *ctrunc)
{
    struct iovec iov = {.iov_base = ctl.buf, .iov_len = sizeof(ctl.buf)};
    union {
        char b[CMSG_SPACE(sizeof(int) * CTL_FDS_MAX)];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = u.b,
        .msg_controllen = sizeof(u.b),
    };
    ssize_t n;

    *fd_got = -1;
    do
        n = recvmsg(ctl.fd, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < nfds; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (*fd_got < 0)
                *fd_got = fd;
            else
                close(fd);
        }
    }
    if (n == 0)
        return -ECONNRESET; /* end of file: the daemon closed the connection */
    if (mh.msg_flags & MSG_TRUNC)
        return -EPROTO;
    *len = (size_t)n;
    *ctrunc = (mh.msg_flags & MSG_CTRUNC) != 0;
    return 0;
}

static int
ctl_exchange(const struct ctl_msg *req, int fd_out, struct ctl_msg *rep, int *fd_in,
             void *data_out, size_t data_cap)
{
    struct ctl_msg m = *req;
    int r, fd_got = -1, ctrunc = 0;
    size_t n = 0;

    m.h.seq = ++ctl.seq;
    m.h.status = 0;
    int len = ctl_encode(&m, CTL_REQUEST, ctl.buf, sizeof(ctl.buf));
    if (len < 0)
        return len;
    for (int attempt = 0;; attempt++) {
        r = ctl_ready();
        if (r < 0)
            return r;
        r = ctl_send((size_t)len, fd_out);
        if (r == 0)
            break;
        ctl_drop();
        /* the daemon went away (maybe restarted): nothing was delivered */
        if (attempt > 0 || (r != -EPIPE && r != -ECONNRESET && r != -ENOTCONN))
            return r;
    }
    r = ctl_recv(&n, &fd_got, &ctrunc);
    if (r == 0)
        r = ctl_decode(ctl.buf, n, CTL_REPLY, rep) < 0 ? -EPROTO : 0;
    if (r == 0 && (rep->h.seq != m.h.seq || rep->h.type != m.h.type ||
                   rep->h.status < -CTL_ERRNO_MAX))
        r = -EPROTO;
    if (r < 0) {
        if (fd_got >= 0)
            close(fd_got);
        ctl_drop(); /* out of step with the daemon: start afresh */
        return r;
    }
    if (fd_in && rep->h.status >= 0) {
        if (fd_got < 0)
            return ctrunc ? -EMFILE : -EPROTO;
        *fd_in = fd_got;
    } else if (fd_got >= 0) {
        close(fd_got);
    }
    size_t copy = data_out ? (rep->data_len < data_cap ? rep->data_len : data_cap) : 0;
    if (copy)
        memcpy(data_out, rep->data, copy);
    rep->data = data_out;
    rep->data_len = copy;
    return rep->h.status;
}

int
ctl_watch_fd(void)
{
    pthread_once(&ctl_once, ctl_init);
    pthread_mutex_lock(&ctl_lock);
    int r = ctl_ready();
    if (r == 0)
        r = ctl.fd;
    pthread_mutex_unlock(&ctl_lock);
    return r;
}

int
ctl_call(const struct ctl_msg *req, int fd_out, struct ctl_msg *rep, int *fd_in,
         void *data_out, size_t data_cap)
{
    pthread_once(&ctl_once, ctl_init);
    pthread_mutex_lock(&ctl_lock);
    int r = ctl_exchange(req, fd_out, rep, fd_in, data_out, data_cap);
    pthread_mutex_unlock(&ctl_lock);
    return r;
}
