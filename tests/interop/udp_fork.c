/*
 * udp_fork.c - helper of tests/interop/udp.sh: a ustack socket shared
 * across fork() is one socket (docs/SOCKETS.md, "fork and close").
 *
 *   udp_fork ECHO_ADDR ECHO_PORT
 *
 * ECHO_ADDR:ECHO_PORT is a kernel UDP echo service. The parent makes one
 * socket (bound to an ephemeral port) and uses it; a child inherits it and
 * sends and receives on the same descriptor, which takes the child its own
 * control connection (the parent's replies must not go astray); the parent
 * uses it again; then the parent closes its copy while a second child
 * still holds one, and the socket must go on working in the child and
 * disappear from the daemon's table once the child exits too.
 * Prints TAP-style lines; exit 0 only if all passed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ustack.h"
#include "ustack_admin.h"

#define WAIT_MS 2000

static int failures;

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

/* A line on stderr (prefixed "# " so the test's output stays TAP). */
static void
note(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "#   udp_fork[%ld]: ", (long)getpid());
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

/* Send msg to the echo service and wait for it to come back. 0 or -1. */
static int
echo_once(int fd, const struct sockaddr_in *echo, const char *msg)
{
    char buf[256];
    struct sockaddr_in src;
    socklen_t len = sizeof(src);
    size_t n = strlen(msg);

    if (us_sendto(fd, msg, n, 0, (const struct sockaddr *)echo, sizeof(*echo)) !=
        (ssize_t)n) {
        note("sendto '%s': %s", msg, strerror(errno));
        return -1;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, WAIT_MS) != 1) {
        note("no echo of '%s' within %d ms", msg, WAIT_MS);
        return -1;
    }
    ssize_t got =
        us_recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&src, &len);
    if (got < 0) {
        note("recvfrom: %s", strerror(errno));
        return -1;
    }
    if ((size_t)got != n || memcmp(buf, msg, n) != 0 ||
        src.sin_addr.s_addr != echo->sin_addr.s_addr || src.sin_port != echo->sin_port) {
        note("echo of '%s': %zd bytes from %s:%u", msg, got, inet_ntoa(src.sin_addr),
             ntohs(src.sin_port));
        return -1;
    }
    return 0;
}

static uint16_t
local_port(int fd)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);

    if (us_getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
        note("getsockname: %s", strerror(errno));
        return 0;
    }
    return ntohs(sin.sin_port);
}

/* Is a socket bound to port in the daemon's table? 1, 0, or -1 (error). */
static int
listed(uint16_t port)
{
    struct ctl_sock_info rows[256];
    int n = us_list(rows, 256);

    if (n < 0) {
        note("us_list: %s", strerror(errno));
        return -1;
    }
    for (int i = 0; i < n && i < 256; i++)
        if (rows[i].lport == port)
            return 1;
    return 0;
}

static int
child_status(pid_t pid)
{
    int st;

    if (waitpid(pid, &st, 0) != pid)
        return -1;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    note("child %ld died of signal %d", (long)pid, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return -1;
}

int
main(int argc, char **argv)
{
    struct sockaddr_in echo = {.sin_family = AF_INET}, any = {.sin_family = AF_INET};

    if (argc != 3 || inet_pton(AF_INET, argv[1], &echo.sin_addr) != 1) {
        fprintf(stderr, "usage: udp_fork ECHO_ADDR ECHO_PORT\n");
        return 2;
    }
    echo.sin_port = htons((uint16_t)atoi(argv[2]));
    setvbuf(stdout, NULL, _IOLBF, 0);

    int fd = us_socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || us_bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0) {
        report(0, "fork: socket and bind (%s)", strerror(errno));
        return 1;
    }
    uint16_t port = local_port(fd);
    report(port != 0 && echo_once(fd, &echo, "parent before fork") == 0,
           "fork: the parent's socket (port %u) echoes before fork", port);

    /* 1. The child uses the inherited descriptor: its first request
     * opens the child's own control connection. */
    pid_t pid = fork();
    if (pid == 0) {
        int ok = local_port(fd) == port && echo_once(fd, &echo, "child one") == 0;
        us_close(fd);
        exit(ok ? 0 : 1);
    }
    report(pid > 0 && child_status(pid) == 0,
           "fork: a child sends and receives through the inherited socket");
    report(echo_once(fd, &echo, "parent after the child") == 0 && local_port(fd) == port,
           "fork: the parent's requests and datagrams still work after the child's");

    /* 2. The parent closes its copy; the child's keeps the socket alive. */
    int go[2];
    if (pipe(go) < 0) {
        report(0, "fork: pipe: %s", strerror(errno));
        return 1;
    }
    pid = fork();
    if (pid == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) != 1)
            exit(1);
        /* the parent has closed its copy: give the daemon time to act on
         * it, were it (wrongly) to free the socket */
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
        int ok = listed(port) == 1 && local_port(fd) == port &&
                 echo_once(fd, &echo, "child two, alone") == 0;
        us_close(fd);
        exit(ok ? 0 : 1);
    }
    close(go[0]);
    us_close(fd);
    if (write(go[1], "x", 1) != 1)
        note("write: %s", strerror(errno));
    close(go[1]);
    report(pid > 0 && child_status(pid) == 0,
           "fork: the socket stays alive in the child after the parent closed its copy");

    /* 3. Now nobody holds it: the daemon must free it (EPOLLHUP). */
    int still = 1;
    for (int i = 0; i < 50 && still == 1; i++) {
        still = listed(port);
        if (still == 1) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    report(still == 0, "fork: the socket is released when its last copy is closed");
    return failures ? 1 : 0;
}
