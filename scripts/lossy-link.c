/*
 * lossy-link.c - a seeded lossy link between two interfaces (build/lossy-link).
 *
 * Owns: a relay that joins two interfaces, A and B, inside the network
 * namespace it runs in, and forwards every frame each way through a fault
 * line (stack/dev/fault_line.h, the very code behind ustackd's --loss):
 * "a->b" damages what A received on its way out of B, "b->a" the other
 * way. A side is an existing interface opened with AF_PACKET (a veth end,
 * or the host side of ustackd's TAP), or tap:NAME, a TAP this program
 * creates (and that goes when it exits). The options are ustackd's, with
 * the directions named a->b and b->a:
 *
 *   lossy-link [--loss P] [--dup P] [--reorder P] [--corrupt P]
 *              [--delay MS[/JITTER]] [--rate MBIT] [--fault-seed N] A B
 *
 * So the same link can sit between the kernel and ustack, and between
 * two kernels for a reference: see tests/interop/lossy.sh for both
 * topologies. What each direction did is printed to stderr on SIGUSR1 and
 * at exit (SIGINT, SIGTERM), one line each, in ustackd's format:
 *   fault a->b: frames=N sent=N dropped=N duplicated=N reordered=N ...
 * followed by "lossy-link: a->b rx_err=N tx_err=N" for frames the
 * interfaces refused or truncated. "lossy-link: ready" on stderr says
 * both sides are open.
 *
 * The kernel behind an AF_PACKET side must send frames no larger than
 * the MTU with their checksums filled in: turn off its offloads (ethtool
 * -K DEV tx off tso off gso off), as the scripts here do.
 *
 * Leaves out: more than two sides, bridging (learning MAC addresses):
 * every frame crosses, broadcast or not.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "dev/dev.h"
#include "dev/fault_opt.h"

#define BURST 64 /* frames from one side before the other gets a turn */
#define TAP_PREFIX "tap:"

static const char usage_text[] =
    "usage: lossy-link [options] A B\n"
    "\n"
    "Forward frames between interfaces A and B (an existing interface, read\n"
    "with AF_PACKET, or tap:NAME, a TAP created here), damaging them.\n"
    "Each option applies both ways, or per direction as a->b:V,b->a:V:\n"
    "  --loss P          drop P percent of the frames (0..100, e.g. 0.5)\n"
    "  --dup P           send P percent twice\n"
    "  --reorder P       hold P percent back until the next frame has passed\n"
    "  --corrupt P       flip one bit past the Ethernet header in P percent\n"
    "  --delay MS[/JITTER]  delay every frame MS ms, +- JITTER uniform (order kept)\n"
    "  --rate MBIT       send at MBIT Mbit/s; a backlog over 256 KiB is dropped\n"
    "  --fault-seed N    RNG seed (decimal or 0x hex); default 1\n"
    "  --help            this text\n"
    "\n"
    "SIGUSR1 prints what each direction did; SIGINT or SIGTERM prints it and\n"
    "exits 0. Bad options: one line, exit 2.\n";

/* One direction: frames read from `from`, through `line`, sent on `to`. */
struct way {
    const char *name; /* "a->b" */
    struct dev *from, *to;
    struct fault_line line;
    uint64_t rx_err, tx_err;
};

struct relay {
    struct dev *side[2];
    struct way way[2];
    int epoll_fd, timer_fd, signal_fd;
    uint64_t armed; /* what the timerfd is set to */
    bool stop;
    uint8_t frame[FAULT_FRAME_MAX];
};

static const char *const dir_names[2] = {"a->b", "b->a"};

static uint64_t
now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* argv into the fault options and the two sides. 0 to run, 1 after
 * --help, -1 with a message in err. */
static int
parse_args(int argc, char **argv, struct fault_opts *o, const char *side[2], char *err,
           size_t errlen)
{
    static const struct option opts[] = {
        {"loss", required_argument, NULL, 'f'},
        {"dup", required_argument, NULL, 'f'},
        {"reorder", required_argument, NULL, 'f'},
        {"corrupt", required_argument, NULL, 'f'},
        {"delay", required_argument, NULL, 'f'},
        {"rate", required_argument, NULL, 'f'},
        {"fault-seed", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, idx = 0;

    memset(o, 0, sizeof(*o));
    o->seed = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, &idx)) != -1) {
        switch (c) {
        case 'f':
            if (fault_opt_parse(o, opts[idx].name, optarg, dir_names, err, errlen) < 0)
                return -1;
            break;
        case 'h': fputs(usage_text, stdout); return 1;
        case ':':
            snprintf(err, errlen, "option '%s' needs a value (try --help)",
                     argv[optind - 1]);
            return -1;
        default:
            snprintf(err, errlen, "unknown option '%s' (try --help)", argv[optind - 1]);
            return -1;
        }
    }
    if (argc - optind != 2) {
        snprintf(err, errlen, "give two sides, A and B (try --help)");
        return -1;
    }
    side[0] = argv[optind];
    side[1] = argv[optind + 1];
    if (strcmp(side[0], side[1]) == 0) {
        snprintf(err, errlen, "A and B are both '%s'", side[0]);
        return -1;
    }
    return 0;
}

/* An interface name, or tap:NAME. */
static struct dev *
open_side(const char *spec, char *err, size_t errlen)
{
    if (strncmp(spec, TAP_PREFIX, strlen(TAP_PREFIX)) == 0)
        return tap_open(spec + strlen(TAP_PREFIX), err, errlen);
    return packet_open(spec, err, errlen);
}

static void
print_report(const struct relay *r)
{
    for (int i = 0; i < 2; i++)
        fault_line_print(&r->way[i].line.st, r->way[i].name, stderr);
    for (int i = 0; i < 2; i++)
        fprintf(stderr, "lossy-link: %s rx_err=%llu tx_err=%llu\n", r->way[i].name,
                (unsigned long long)r->way[i].rx_err,
                (unsigned long long)r->way[i].tx_err);
}

/* Every frame of w's line due by now leaves on its `to` side. */
static void
drain(struct relay *r, struct way *w, uint64_t now)
{
    ssize_t n;

    while ((n = fault_line_output(&w->line, now, r->frame, sizeof(r->frame))) != -EAGAIN)
        if (n > 0 && dev_send(w->to, r->frame, (size_t)n, now) < 0)
            w->tx_err++;
}

/* Frames waiting on w's `from` side, at most BURST, into its line. */
static void
on_side(struct relay *r, struct way *w, uint64_t now)
{
    for (int i = 0; i < BURST; i++) {
        uint64_t ts = now;
        ssize_t n = dev_recv(w->from, r->frame, sizeof(r->frame), &ts);
        if (n == -EAGAIN)
            break;
        if (n < 0) {
            if (n != -EMSGSIZE && n != -ENOBUFS && n != -ENETDOWN) {
                fprintf(stderr, "lossy-link: reading %s: %s\n", w->from->name,
                        strerror((int)-n));
                r->stop = true;
            }
            w->rx_err++;
            continue;
        }
        fault_line_input(&w->line, r->frame, (size_t)n, now);
    }
    drain(r, w, now);
}

static void
on_signal(struct relay *r)
{
    struct signalfd_siginfo si;

    while (read(r->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGUSR1)
            print_report(r);
        else
            r->stop = true;
    }
}

/* The timerfd at the earlier of the lines' next due times. */
static void
arm_timer(struct relay *r)
{
    uint64_t at = FAULT_LINE_NEVER;
    struct itimerspec its;

    for (int i = 0; i < 2; i++) {
        uint64_t t = fault_line_next_us(&r->way[i].line);
        at = t < at ? t : at;
    }
    if (at == r->armed)
        return; /* a syscall saved on most wakeups */
    r->armed = at;
    memset(&its, 0, sizeof(its));
    if (at != FAULT_LINE_NEVER) {
        at = at ? at : 1; /* all zero would disarm */
        its.it_value.tv_sec = (time_t)(at / 1000000u);
        its.it_value.tv_nsec = (long)(at % 1000000u) * 1000;
    }
    timerfd_settime(r->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int
run(struct relay *r)
{
    struct epoll_event ev[8];

    while (!r->stop) {
        arm_timer(r);
        int n = epoll_wait(r->epoll_fd, ev, 8, -1);
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "lossy-link: epoll_wait: %s\n", strerror(errno));
            return 1;
        }
        uint64_t now = now_us(), expirations;
        for (int i = 0; i < n; i++) {
            int tag = (int)ev[i].data.u32;
            if (tag < 2)
                on_side(r, &r->way[tag], now);
            else if (tag == 2 &&
                     read(r->timer_fd, &expirations, sizeof(expirations)) >= 0)
                r->armed = FAULT_LINE_NEVER; /* it fired: arm it again */
            else if (tag == 3)
                on_signal(r);
        }
        drain(r, &r->way[0], now);
        drain(r, &r->way[1], now);
    }
    return 0;
}

/* epoll over A (tag 0), B (1), the timerfd (2), the signalfd (3). */
static int
setup(struct relay *r)
{
    sigset_t mask;
    int fds[4];

    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGUSR1);
    r->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    r->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    r->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    fds[0] = dev_fd(r->side[0]);
    fds[1] = dev_fd(r->side[1]);
    fds[2] = r->timer_fd;
    fds[3] = r->signal_fd;
    if (r->epoll_fd < 0 || r->timer_fd < 0 || r->signal_fd < 0)
        return -1;
    for (uint32_t i = 0; i < 4; i++) {
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = i};
        if (epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, fds[i], &e) < 0)
            return -1;
    }
    return 0;
}

static int
open_all(struct relay *r, const struct fault_opts *o, const char *side[2])
{
    char err[256];

    for (int i = 0; i < 2; i++) {
        r->side[i] = open_side(side[i], err, sizeof(err));
        if (!r->side[i]) {
            fprintf(stderr, "lossy-link: %s\n", err);
            return -1;
        }
    }
    for (int i = 0; i < 2; i++) {
        struct way *w = &r->way[i];
        w->name = dir_names[i];
        w->from = r->side[i];
        w->to = r->side[1 - i];
        /* a->b draws from the seed itself, b->a from a stream apart */
        if (fault_line_init(&w->line, &o->dir[i], o->seed + (uint64_t)i) < 0) {
            fprintf(stderr, "lossy-link: out of memory\n");
            return -1;
        }
    }
    if (setup(r) < 0) {
        fprintf(stderr, "lossy-link: epoll/timerfd/signalfd: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

static void
close_all(struct relay *r)
{
    for (int i = 0; i < 2; i++) {
        dev_close(r->side[i]);
        fault_line_free(&r->way[i].line);
    }
    if (r->epoll_fd >= 0)
        close(r->epoll_fd);
    if (r->timer_fd >= 0)
        close(r->timer_fd);
    if (r->signal_fd >= 0)
        close(r->signal_fd);
}

int
main(int argc, char **argv)
{
    static struct relay r; /* static: it holds a 64 KiB frame buffer */
    struct fault_opts o;
    const char *side[2];
    char err[256];
    sigset_t mask;

    int rc = parse_args(argc, argv, &o, side, err, sizeof(err));
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "lossy-link: %s\n", err);
        return rc < 0 ? 2 : 0;
    }
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGUSR1);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    r.epoll_fd = r.timer_fd = r.signal_fd = -1;
    r.armed = FAULT_LINE_NEVER;
    if (open_all(&r, &o, side) < 0) {
        close_all(&r);
        return 1;
    }
    fprintf(stderr, "lossy-link: %s <-> %s seed 0x%016llx ready\n", side[0], side[1],
            (unsigned long long)o.seed);
    rc = run(&r);
    print_report(&r);
    close_all(&r);
    return rc;
}
