/*
 * app.c - shared helpers of the apps. See app.h.
 */
#include "app.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ustack_admin.h"

#define APP_BACKOFF_MIN_MS 10
#define APP_BACKOFF_MAX_MS 1000
#define APP_BACKOFF_LOG_MS 1000

static long long
app_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Why the daemon is out of reach, or NULL when it answers. */
static const char *
app_daemon_down(void)
{
    int fd = us_ctl_fd();

    if (fd < 0) {
        switch (errno) {
        case ENOENT: return "ustackd is not running (no control socket at %s)";
        case ECONNREFUSED:
            return "ustackd is not running (nothing answers on the control socket %s)";
        case EACCES: return "no permission to use ustackd's control socket %s";
        default: return "ustackd cannot be reached at %s";
        }
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 0) > 0 && p.revents)
        return "ustackd went away (control socket %s)";
    return NULL;
}

/* The errors that can mean the daemon, not the network. */
static int
app_daemon_errno(int err)
{
    switch (err) {
    case ENOENT:
    case ECONNREFUSED:
    case ECONNRESET:
    case EPIPE:
    case EACCES: return 1;
    default: return 0;
    }
}

void
app_fail(const char *what)
{
    int err = errno;
    const char *down = app_daemon_errno(err) ? app_daemon_down() : NULL;

    if (down) {
        fprintf(stderr, "%s: %s: ", program_invocation_short_name, what);
        fprintf(stderr, down, us_ctl_path());
        fputc('\n', stderr);
        exit(1);
    }
    fprintf(stderr, "%s: %s: %s", program_invocation_short_name, what, strerror(err));
    if (err == EACCES && strcmp(what, "bind") == 0)
        fprintf(stderr, " (ports below 1024 need root)");
    fputc('\n', stderr);
    exit(1);
}

int
app_daemon_fd(void)
{
    int fd = us_ctl_fd();

    if (fd < 0)
        app_fail("control connection");
    return fd;
}

void
app_daemon_check(short revents)
{
    if (!revents)
        return;
    fprintf(stderr, "%s: ustackd went away (control socket %s)\n",
            program_invocation_short_name, us_ctl_path());
    exit(1);
}

void
app_daemon_check_now(void)
{
    const char *down = app_daemon_down();

    if (!down)
        return;
    fprintf(stderr, "%s: ", program_invocation_short_name);
    fprintf(stderr, down, us_ctl_path());
    fputc('\n', stderr);
    exit(1);
}

int
app_backoff_fail(struct app_backoff *b, const char *what, int err)
{
    long long now = app_now_ms();

    if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM)
        return 0;
    if (b->delay_ms < APP_BACKOFF_MIN_MS)
        b->delay_ms = APP_BACKOFF_MIN_MS;
    b->until_ms = now + b->delay_ms;
    b->count++;
    if (!b->logged_ms || now - b->logged_ms >= APP_BACKOFF_LOG_MS) {
        fprintf(stderr, "%s: %s: %s (%lu in the last second); waiting %d ms\n",
                program_invocation_short_name, what, strerror(err), b->count,
                b->delay_ms);
        b->count = 0;
        b->logged_ms = now;
    }
    b->delay_ms =
        b->delay_ms * 2 > APP_BACKOFF_MAX_MS ? APP_BACKOFF_MAX_MS : b->delay_ms * 2;
    return 1;
}

void
app_backoff_ok(struct app_backoff *b)
{
    b->delay_ms = APP_BACKOFF_MIN_MS;
}

int
app_backoff_ready(const struct app_backoff *b, int *timeout_ms)
{
    long long left = b->until_ms - app_now_ms();

    if (left <= 0)
        return 1;
    if (*timeout_ms < 0 || left < *timeout_ms)
        *timeout_ms = (int)left;
    return 0;
}

long
app_num(const char *s, const char *what, long lo, long hi, void (*usage)(void))
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno || v < lo || v > hi) {
        fprintf(stderr, "%s: %s '%s' must be a number from %ld to %ld\n",
                program_invocation_short_name, what, s, lo, hi);
        usage();
        exit(2);
    }
    return v;
}

int
app_port(const char *s, void (*usage)(void))
{
    return (int)app_num(s, "port", 1, 65535, usage);
}
