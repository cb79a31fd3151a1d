/*
 * udp_isolation.c - helper of tests/interop/udp.sh: client B, another
 * process under another uid, tries to reach client A's sockets through
 * the daemon (docs/SOCKETS.md, "who may do what").
 *
 *   udp_isolation A_PID
 *
 * Run it as an unprivileged uid that may open the control socket (the
 * test gives the socket file that uid's group). A_PID is a process of
 * another uid holding ustack sockets. What B tries, and must be refused:
 *  - requests that carry no descriptor, or a descriptor that is not a
 *    ustack socket (a socketpair of B's own, a pipe), spoken in the raw
 *    control protocol: EBADF, ENOTSOCK;
 *  - taking A's descriptors with pidfd_getfd(): EPERM (the kernel guards
 *    possession, and possession is the only permission the daemon knows);
 *  - seeing A's sockets in CTL_LIST: only B's own are listed;
 *  - binding a port below 1024 (7, where A serves; 1023): EACCES, before
 *    EADDRINUSE, as the kernel.
 * Prints TAP-style lines; exit 0 only if all passed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "ustack.h"
#include "ustack_admin.h"

static int failures;
static uint8_t buf[CTL_MSG_MAX];

static void
report(int ok, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    printf("%s - ", ok ? "ok" : "not ok");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
    if (!ok)
        failures++;
}

static const char *
ename(int e)
{
    const char *n = strerrorname_np(e);

    return n ? n : "?";
}

/* A raw connection to the control socket, as the library makes. */
static int
ctl_open(void)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", us_ctl_path());
    if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        fprintf(stderr, "#   connect %s: %s\n", sun.sun_path, strerror(errno));
        return -1;
    }
    return fd;
}

/* One well-formed request of `type` (body zeroed but for addr/sockopt),
 * with descriptor pass (-1: none). The reply's status, or 1 if there was
 * no proper reply. */
static int
ctl_raw(int ctl, int type, int pass)
{
    static uint32_t seq = 1000;
    struct ctl_msg m = {.h = {.type = (uint8_t)type, .seq = ++seq}}, rep;
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;

    if (type == CTL_BIND)
        m.u.addr = (struct ctl_addr){0, 4000, AF_INET};
    if (type == CTL_SETSOCKOPT)
        m.u.sockopt = (struct ctl_sockopt){SOL_SOCKET, SO_BROADCAST, 1};
    int len = ctl_encode(&m, CTL_REQUEST, buf, sizeof(buf));
    struct iovec iov = {.iov_base = buf, .iov_len = (size_t)len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (pass >= 0) {
        memset(&u, 0, sizeof(u));
        mh.msg_control = u.b;
        mh.msg_controllen = sizeof(u.b);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pass, sizeof(int));
    }
    if (len < 0 || sendmsg(ctl, &mh, MSG_NOSIGNAL) != len)
        return 1;
    ssize_t n = recv(ctl, buf, sizeof(buf), 0);
    if (n <= 0 || ctl_decode(buf, (size_t)n, CTL_REPLY, &rep) < 0 || rep.h.seq != seq ||
        rep.h.type != type)
        return 1;
    return rep.h.status;
}

static void
test_foreign_descriptors(void)
{
    int ctl = ctl_open(), sp[2], pp[2];

    if (ctl < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) < 0 || pipe(pp) < 0) {
        report(0, "isolation: setting up the raw control connection");
        return;
    }
    int r = ctl_raw(ctl, CTL_BIND, -1);
    report(r == -EBADF, "isolation: CTL_BIND with no descriptor: %s (EBADF)", ename(-r));
    r = ctl_raw(ctl, CTL_GETSOCKNAME, sp[1]);
    report(r == -ENOTSOCK,
           "isolation: CTL_GETSOCKNAME on a socketpair of B's own: %s "
           "(ENOTSOCK)",
           ename(-r));
    r = ctl_raw(ctl, CTL_SETSOCKOPT, sp[0]);
    report(r == -ENOTSOCK,
           "isolation: CTL_SETSOCKOPT on a socketpair of B's own: %s "
           "(ENOTSOCK)",
           ename(-r));
    r = ctl_raw(ctl, CTL_SHUTDOWN, pp[0]);
    report(r == -ENOTSOCK, "isolation: CTL_SHUTDOWN on a pipe: %s (ENOTSOCK)", ename(-r));
    r = ctl_raw(ctl, CTL_CONNECT, -1);
    report(r == -EBADF, "isolation: CTL_CONNECT with no descriptor: %s (EBADF)",
           ename(-r));
    /* through the library: a descriptor number B does not have */
    int bad = us_getsockname(1000, NULL, NULL) < 0 ? errno : 0;
    report(bad == EBADF, "isolation: us_getsockname(1000) with no such descriptor: %s",
           ename(bad));
    close(sp[0]);
    close(sp[1]);
    close(pp[0]);
    close(pp[1]);
    close(ctl);
}

static void
test_steal(pid_t a_pid)
{
    int pidfd = (int)syscall(SYS_pidfd_open, a_pid, 0);
    int took = 0, eperm = 0, tried = 0;

    if (pidfd < 0) {
        report(0, "isolation: pidfd_open(%ld): %s", (long)a_pid, strerror(errno));
        return;
    }
    for (int fd = 0; fd < 64; fd++) {
        int got = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
        tried++;
        if (got >= 0) {
            took++;
            close(got);
        } else if (errno == EPERM) {
            eperm++;
        }
    }
    close(pidfd);
    report(took == 0 && eperm == tried,
           "isolation: pidfd_getfd on A's descriptors 0..63: %d taken, %d EPERM", took,
           eperm);
}

static void
test_list(void)
{
    struct ctl_sock_info rows[64];
    int n = us_list(rows, 64);

    report(n == 0, "isolation: CTL_LIST as uid %u before B has sockets: %d rows (0)",
           (unsigned)getuid(), n);
    int fd = us_socket(AF_INET, SOCK_DGRAM, 0);
    n = us_list(rows, 64);
    int mine = n == 1 && rows[0].owner_uid == getuid() && rows[0].owner_pid == getpid();
    report(fd >= 0 && mine,
           "isolation: CTL_LIST shows B's own socket and nothing else "
           "(%d rows)",
           n);
    us_close(fd);
}

static void
test_bind(void)
{
    static const uint16_t ports[] = {7, 1023};
    int fd = us_socket(AF_INET, SOCK_DGRAM, 0);

    for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
        struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(ports[i])};
        int e = us_bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ? errno : 0;
        report(e == EACCES, "isolation: bind to port %u as uid %u: %s (EACCES)", ports[i],
               (unsigned)getuid(), ename(e));
    }
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(4007)};
    int e = us_bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ? errno : 0;
    report(e == 0, "isolation: bind to port 4007 as uid %u: %s", (unsigned)getuid(),
           e ? ename(e) : "ok");
    us_close(fd);
}

int
main(int argc, char **argv)
{
    if (argc != 2 || atoi(argv[1]) <= 0) {
        fprintf(stderr, "usage: udp_isolation A_PID\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (getuid() == 0)
        printf("# udp_isolation: running as root, the uid checks mean nothing\n");
    test_foreign_descriptors();
    test_steal((pid_t)atoi(argv[1]));
    test_list();
    test_bind();
    return failures ? 1 : 0;
}
