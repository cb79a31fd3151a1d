/*
 * ustackd.c - the daemon: one engine on one TAP interface.
 *
 * Owns: everything the engine must not touch - the clock, signals, file
 * descriptors - and the event loop that drives it. The engine keeps no time
 * of its own; this loop reads CLOCK_MONOTONIC and hands it in:
 *
 *   stack_poll(now)                  once at start (the gratuitous ARP)
 *   loop:
 *     epoll_wait on every source below; stack_poll(now) to move the
 *       engine's clock (what it sends for a socket carries that time)
 *     TAP readable    -> dev_recv each waiting frame, stack_input(frame, now)
 *     timerfd expired -> nothing to do but wake up
 *     the device holds frames now due (--delay, --rate) -> dev_poll(now),
 *                        then dev_recv as for a readable TAP
 *     signalfd        -> SIGUSR1: print counters; SIGINT, SIGTERM: stop
 *     control socket  -> accept clients                            (ctl.c)
 *     a client        -> its requests: socket, bind, sendto, ...    (ctl.c)
 *     a socket's pair -> datagrams from the application to send    (sock.c)
 *     a socket's pair -> bytes from the application to send (sock_tcp.c)
 *     stack_poll(now); sock_poll(now); sock_flush(): datagrams, bytes and
 *       errors the engine queued for sockets go up to the applications,
 *       outside any engine call; then set the timerfd to the earlier of
 *       stack_poll_at(), sock_poll_at() and dev_poll_at()
 *
 * Fairness: each source does a bounded amount per wakeup (RX_BURST frames
 * from the TAP, a burst of bytes per socket and direction); a socket with
 * more to move stays marked, and then epoll_wait does not sleep, so the
 * next round starts at once with every source in it.
 *
 * Each source is one file descriptor in one epoll set, tagged with what it
 * is (loop.h), and dispatch() is a switch on that tag. Signals are blocked
 * and read from a signalfd, so no code runs in a signal handler.
 *
 * Leaves out: daemonising, pid files, changing the TAP's own MTU or address
 * (scripts/run.sh sets up the host side with `ip`).
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon/admin.h"
#include "daemon/args.h"
#include "daemon/ctl.h"
#include "daemon/loop.h"
#include "daemon/sock.h"
#include "dev/dev.h"
#include "stack.h"
#include "wire/addr.h"

#define MAX_EVENTS 16
#define RX_BURST 64 /* frames per wakeup before the other sources get a turn */
#define FRAME_BUF_LEN 65536

struct ustackd {
    struct stack *s;
    struct dev *dev;   /* what the engine sends on: the TAP, or middlewares around it */
    struct dev *fault; /* the fault middleware in that chain (always there, so
                          that ustack-ctl can turn faults on while we run) */
    int epoll_fd;
    int dev_fd;
    int timer_fd;
    int signal_fd;
    bool stop;
    int exit_code;
    uint64_t armed_us;       /* what the timerfd is set to (0: unknown) */
    struct log log;          /* the daemon's own lines, stamped like the engine's */
    struct sock_table socks; /* the applications' sockets */
    struct ctl_server ctl;   /* the applications' control connections */
    FILE *trace;             /* --trace: TCP's events, or NULL */
    struct admin admin;      /* what ustat and ustack-ctl see (admin.h) */
    uint8_t frame[FRAME_BUF_LEN];
};

static uint64_t
clock_us(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Add fd to the epoll set, readable. 0 or -1 with errno. */
static int
watch(struct ustackd *d, int fd, enum loop_kind kind)
{
    return loop_watch(d->epoll_fd, fd, EPOLLIN, loop_tag(kind, 0, 0));
}

static void
print_counters(struct ustackd *d)
{
    admin_counters(&d->admin, stderr);
}

/* Frames waiting on the TAP, at most RX_BURST of them: epoll is
 * level-triggered, so whatever is left wakes us again at once. */
static void
on_device(struct ustackd *d)
{
    for (int i = 0; i < RX_BURST; i++) {
        /* each frame its own time: a burst takes a while, and RACK
         * (RFC 8985) and the RTT samples on a path of a few hundred
         * microseconds need to know when a segment came, not when the
         * wakeup began */
        uint64_t ts_us = clock_us(CLOCK_MONOTONIC);
        ssize_t n = dev_recv(d->dev, d->frame, sizeof(d->frame), &ts_us);

        if (n == -EAGAIN)
            return;
        if (n < 0) {
            /* e.g. -EBADFD: the interface was deleted under us */
            fprintf(stderr, "ustackd: reading %s: %s\n", d->dev->name, strerror((int)-n));
            d->stop = true;
            d->exit_code = 1;
            return;
        }
        if (n > 0)
            stack_input(d->s, d->frame, (size_t)n, ts_us);
    }
}

/* Frames the device held (the fault middleware's delay or rate) that are
 * due: those to send leave, those received go to the engine. */
static void
on_device_due(struct ustackd *d, uint64_t now_us)
{
    if (dev_poll_at(d->dev) > now_us)
        return;
    dev_poll(d->dev, now_us);
    on_device(d);
}

static void
on_timer(struct ustackd *d)
{
    uint64_t expirations;

    d->armed_us = 0; /* it fired: arm it again whatever the deadline */
    /* Drain it; the stack_poll after every wakeup does the work. */
    if (read(d->timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
        fprintf(stderr, "ustackd: timerfd: %s\n", strerror(errno));
}

static void
on_signal(struct ustackd *d)
{
    struct signalfd_siginfo si;

    while (read(d->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGUSR1:
            print_counters(d);
            break;
        case SIGINT:
        case SIGTERM:
            fprintf(stderr, "ustackd: %s, stopping\n", strsignal((int)si.ssi_signo));
            d->stop = true;
            break;
        }
    }
}

/* One source woke us. */
static void
dispatch(struct ustackd *d, const struct epoll_event *ev)
{
    uint64_t tag = ev->data.u64;

    switch (loop_tag_kind(tag)) {
    case LOOP_DEV: on_device(d); break;
    case LOOP_TIMER: on_timer(d); break;
    case LOOP_SIGNAL: on_signal(d); break;
    case LOOP_CTL: ctl_server_on_accept(&d->ctl); break;
    case LOOP_CLIENT:
        ctl_server_on_client(&d->ctl, loop_tag_slot(tag), loop_tag_id(tag), ev->events);
        break;
    case LOOP_SOCK:
        sock_on_event(&d->socks, loop_tag_slot(tag), loop_tag_id(tag), ev->events);
        break;
    }
}

/* Wake at the next deadline of the engine, the socket table or the
 * device (frames it holds: --delay, --rate), in absolute CLOCK_MONOTONIC,
 * or never. Returns true when it is due already: then the caller polls
 * without sleeping rather than arming the timer. */
static bool
arm_timer(struct ustackd *d, uint64_t now_us)
{
    uint64_t at_us = stack_poll_at(d->s), sock_at = sock_poll_at(&d->socks);
    uint64_t dev_at = dev_poll_at(d->dev);
    struct itimerspec its;

    if (sock_at < at_us)
        at_us = sock_at;
    if (dev_at < at_us)
        at_us = dev_at;
    if (at_us != STACK_NEVER && at_us <= now_us)
        return true;
    if (at_us == d->armed_us)
        return false;             /* a syscall saved on every wakeup of a busy loop */
    memset(&its, 0, sizeof(its)); /* all zero disarms */
    if (at_us != STACK_NEVER) {
        its.it_value.tv_sec = (time_t)(at_us / 1000000u);
        its.it_value.tv_nsec = (long)(at_us % 1000000u) * 1000;
    }
    if (timerfd_settime(d->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
        fprintf(stderr, "ustackd: timerfd_settime: %s\n", strerror(errno));
    else
        d->armed_us = at_us;
    return false;
}

static int
run(struct ustackd *d)
{
    struct epoll_event ev[MAX_EVENTS];
    uint64_t start_us = clock_us(CLOCK_MONOTONIC);

    d->log.base_us = start_us; /* the engine takes its base from this first poll */
    stack_poll(d->s, start_us);
    bool due = arm_timer(d, start_us);
    while (!d->stop) {
        /* work left over (a socket's burst, a deadline already due): look
         * at the other sources, but do not sleep */
        int n =
            epoll_wait(d->epoll_fd, ev, MAX_EVENTS, due || sock_busy(&d->socks) ? 0 : -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "ustackd: epoll_wait: %s\n", strerror(errno));
            return 1;
        }
        uint64_t now_us = clock_us(CLOCK_MONOTONIC);
        /* udp_sendto takes no time: move the engine's clock first, so that
         * what it sends for an application is stamped now, not at the last
         * frame or timer */
        stack_poll(d->s, now_us);
        for (int i = 0; i < n; i++)
            dispatch(d, &ev[i]);
        on_device_due(d, now_us);
        /* what sock_flush sends is stamped when it leaves */
        now_us = clock_us(CLOCK_MONOTONIC);
        stack_poll(d->s, now_us);
        sock_poll(&d->socks, now_us);
        sock_flush(&d->socks);
        /* the capture goes to its file at the end of every wakeup, so a
         * reader (tshark -r, Wireshark's reload) sees every frame so far */
        capture_flush(d->dev);
        if (d->trace)
            fflush(d->trace);
        due = arm_timer(d, now_us);
    }
    return d->exit_code;
}

/* The epoll set, the timerfd and the signalfd. 0, or -1 with a message. */
static int
setup_sources(struct ustackd *d)
{
    sigset_t mask;

    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGUSR1);
    d->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    d->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (d->epoll_fd < 0 || d->timer_fd < 0 || d->signal_fd < 0) {
        fprintf(stderr, "ustackd: creating epoll/timerfd/signalfd: %s\n",
                strerror(errno));
        return -1;
    }
    if (watch(d, d->dev_fd, LOOP_DEV) < 0 || watch(d, d->timer_fd, LOOP_TIMER) < 0 ||
        watch(d, d->signal_fd, LOOP_SIGNAL) < 0) {
        fprintf(stderr, "ustackd: epoll_ctl: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* The fault middleware around the TAP, from the --loss ... options. */
static struct dev *
open_fault(struct dev *tap, const struct ustackd_args *a)
{
    struct fault_config fc = {
        .seed = a->fault.seed, .in = a->fault.dir[0], .out = a->fault.dir[1]};

    return fault_open(tap, &fc);
}

/* A TAP the daemon just created (or found down) carries nothing until
 * the host brings it up with an address on our subnet: say so, with the
 * commands, instead of waiting in silence. */
static void
hint_if_down(const char *name, const struct stack_config *cfg)
{
    struct ifreq ifr = {0};
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    int down = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP);
    close(fd);
    if (!down)
        return;
    uint32_t mask = cfg->prefix_len ? ~0u << (32 - cfg->prefix_len) : 0;
    uint32_t host = (cfg->addr & mask) + 1;
    if (host == cfg->addr)
        host++;
    char h[16];
    snprintf(h, sizeof(h), "%u.%u.%u.%u", host >> 24, (host >> 16) & 255, (host >> 8) & 255,
             host & 255);
    fprintf(stderr,
            "ustackd: %s is down: nothing reaches us until the host brings it up with an "
            "address on our subnet, e.g. ip link set %s up; ip addr add %s/%u dev %s\n",
            name, name, h, cfg->prefix_len, name);
}

/* TAP, the faults and the capture around it if asked for (the capture
 * outermost: it records what the engine sent and got, before the faults
 * on the way out and after them on the way in). 0, or -1 with a message. */
static int
open_device(struct ustackd *d, const struct ustackd_args *a)
{
    char err[256];
    struct dev *tap = tap_open(a->tap, err, sizeof(err));

    if (!tap) {
        fprintf(stderr, "ustackd: %s\n", err);
        return -1;
    }
    d->dev = tap;
    hint_if_down(a->tap, &a->cfg);
    /* Always there, clean unless --loss etc. say otherwise: a clean
     * direction passes frames straight through (fault.c) */
    d->fault = open_fault(tap, a);
    if (!d->fault) {
        fprintf(stderr, "ustackd: out of memory for the fault middleware\n");
        return -1; /* d->dev (the TAP) is closed by the caller */
    }
    d->dev = d->fault;
    if (a->pcap) {
        /* Capture times are wall-clock, in nanoseconds, read as each
         * frame is received or sent (the engine keeps its own clock). */
        struct dev *cap = capture_open(d->dev, a->pcap, 0, err, sizeof(err));
        if (!cap) {
            fprintf(stderr, "ustackd: %s\n", err);
            return -1; /* d->dev is closed by the caller */
        }
        capture_use_realtime(cap);
        d->dev = cap;
    }
    d->dev_fd = dev_fd(d->dev);
    return 0;
}

/* cfg.trace: each event line to the file; flushed at the end of every
 * wakeup, as the capture is. */
static void
trace_write(void *ctx, const char *line, size_t len)
{
    fwrite(line, 1, len, ctx);
}

static int
open_trace(struct ustackd *d, struct stack_config *cfg, const char *path)
{
    d->trace = fopen(path, "w");
    if (!d->trace) {
        fprintf(stderr, "ustackd: --trace %s: %s\n", path, strerror(errno));
        return -1;
    }
    cfg->trace = trace_write;
    cfg->trace_ctx = d->trace;
    return 0;
}

static void
print_banner(const struct ustackd *d, const struct ustackd_args *a)
{
    const struct stack_config *c = &a->cfg;
    char addr[16], gw[16];

    fprintf(stderr, "ustackd: %s/%u", ip_fmt(c->addr, addr), c->prefix_len);
    if (c->gateway)
        fprintf(stderr, " gw %s", ip_fmt(c->gateway, gw));
    fprintf(stderr, " mac %02x:%02x:%02x:%02x:%02x:%02x on tap %s (mtu %u)", c->mac[0],
            c->mac[1], c->mac[2], c->mac[3], c->mac[4], c->mac[5], d->dev->name, c->mtu);
    if (a->pcap)
        fprintf(stderr, " capture %s", a->pcap);
    if (a->trace)
        fprintf(stderr, " trace %s", a->trace);
    if (a->fault.any)
        fprintf(stderr, " faults seed 0x%016llx", (unsigned long long)a->fault.seed);
    fprintf(stderr, " ctl %s sockets %u (uid %u, process %u)", a->ctl, a->socks.table,
            a->socks.per_uid, a->socks.per_process);
    fprintf(stderr, " pid %ld seed 0x%016llx\n", (long)getpid(),
            (unsigned long long)c->seed);
}

/* Each socket is a descriptor in the daemon (and each client one more):
 * take the hard limit, as the soft one is often 1024. Returns the limit
 * we have. */
static uint64_t
raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t want = rl.rlim_max;
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
}

static void
teardown(struct ustackd *d)
{
    if (d->s) {
        capture_flush(d->dev);
        print_counters(d);
    }
    ctl_server_close(&d->ctl);
    sock_table_free(&d->socks); /* udp_close each endpoint: before stack_free */
    stack_free(d->s);
    if (d->trace)
        fclose(d->trace);
    dev_close(d->dev);
    if (d->signal_fd >= 0)
        close(d->signal_fd);
    if (d->timer_fd >= 0)
        close(d->timer_fd);
    if (d->epoll_fd >= 0)
        close(d->epoll_fd);
}

int
main(int argc, char **argv)
{
    static struct ustackd d; /* static: it holds a 64 KiB frame buffer */
    struct ustackd_args a;
    char err[256];
    sigset_t mask;
    int rc;

    rc = args_parse(argc, argv, &a, err, sizeof(err));
    if (rc == 1)
        return 0;
    if (rc < 0) {
        fprintf(stderr, "ustackd: %s\n", err);
        return rc == -EINVAL ? 2 : 1;
    }

    /* Before anything else, so that a Ctrl-C during start-up waits in the
     * signalfd instead of killing us half set up. */
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGUSR1);
    sigprocmask(SIG_BLOCK, &mask, NULL);

    /* Nothing in the daemon may die of a write to a socket whose reader is
     * gone: every send has MSG_NOSIGNAL, and this is the belt to it. */
    signal(SIGPIPE, SIG_IGN);
    quota_limits_default(&a.socks, raise_fd_limit());

    d.epoll_fd = d.timer_fd = d.signal_fd = d.dev_fd = -1;
    d.ctl.listen_fd = d.ctl.spare_fd = -1;
    d.log = (struct log){.out = a.cfg.log_out, .level = a.cfg.log_level};
    if (open_device(&d, &a) < 0 || setup_sources(&d) < 0) {
        teardown(&d);
        return 1;
    }
    if (sock_table_init(&d.socks, d.epoll_fd, &d.log, &a.socks) < 0) {
        fprintf(stderr, "ustackd: out of memory\n");
        teardown(&d);
        return 1;
    }
    if (ctl_server_open(&d.ctl, a.ctl, d.epoll_fd, &d.socks, &d.log, err, sizeof(err)) <
        0) {
        fprintf(stderr, "ustackd: %s\n", err);
        teardown(&d);
        return 1;
    }
    /* The engine tells the socket table when an endpoint has something for
     * its application; clients that connect meanwhile wait in the backlog. */
    a.cfg.notify = sock_notify;
    a.cfg.notify_ctx = &d.socks;
    if (a.trace && open_trace(&d, &a.cfg, a.trace) < 0) {
        teardown(&d);
        return 1;
    }
    d.s = stack_new(&a.cfg, d.dev);
    if (!d.s) {
        fprintf(stderr, "ustackd: the engine refused the configuration (see above)\n");
        teardown(&d);
        return 1;
    }
    sock_table_attach(&d.socks, d.s);
    d.admin = (struct admin){.s = d.s,
                             .ctl = &d.ctl,
                             .socks = &d.socks,
                             .fault = d.fault,
                             .cfg = &a.cfg,
                             .ifname = a.tap};
    d.ctl.admin = (struct ctl_admin){
        .ctx = &d.admin, .text = admin_text, .fault_set = admin_fault_set};
    print_banner(&d, &a);

    rc = run(&d);
    teardown(&d);
    return rc;
}
