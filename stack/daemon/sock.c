/*
 * sock.c - the daemon's socket table: making, finding and closing sockets,
 * the operations common to both kinds, marking and flushing. See sock.h
 * for the design; datagrams are in sock_udp.c, streams in sock_tcp.c.
 */
#include "daemon/sock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h> /* INET_DIAG_NOCOOKIE */
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/loop.h"
#include "daemon/sock_var.h"

#define SOCK_BUF_LEN (65536 + 1) /* one datagram, and a byte to see a longer one */
#define SOCK_INO_BUCKETS_MIN 256
#define SOCK_INO_BUCKETS_MAX (1u << 24)
#define SOCK_REFUSAL_LOG_US 1000000 /* at most one line a second about quotas */

static uint64_t
sock_tag(const struct sock *so)
{
    return loop_tag(LOOP_SOCK, so->slot, so->id);
}

void
sock_set_events(struct sock_table *t, struct sock *so, uint32_t events)
{
    if (!so->watched || events == so->events)
        return;
    if (loop_rewatch(t->epoll_fd, so->dfd, events, sock_tag(so)) == 0)
        so->events = events;
    else
        DLOG(t->log, LOG_ERROR, "sock", "epoll_ctl socket %u: %s", so->id,
             strerror(errno));
}

/* Out of the epoll set: for a descriptor that reports a hangup, which
 * epoll repeats for as long as it is watched, whatever the interest. */
void
sock_unwatch(struct sock_table *t, struct sock *so)
{
    if (!so->watched)
        return;
    loop_unwatch(t->epoll_fd, so->dfd);
    so->watched = false;
}

void
sock_mark(struct sock_table *t, struct sock *so)
{
    if (so->pending)
        return;
    so->pending = true;
    so->pend_next = t->pending;
    t->pending = so;
}

/* Off whichever list holds it: the next round's, or the one being served. */
static void
sock_unmark(struct sock_table *t, struct sock *so)
{
    struct sock **lists[2] = {&t->pending, &t->flushing};

    if (!so->pending)
        return;
    for (int i = 0; i < 2; i++) {
        for (struct sock **pp = lists[i]; *pp; pp = &(*pp)->pend_next) {
            if (*pp == so) {
                *pp = so->pend_next;
                so->pending = false;
                so->pend_next = NULL;
                return;
            }
        }
    }
}

int
sock_table_init(struct sock_table *t, int epoll_fd, const struct log *log,
                const struct quota_limits *lim)
{
    memset(t, 0, sizeof(*t));
    t->epoll_fd = epoll_fd;
    t->log = log;
    t->pid = getpid();
    t->diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    slots_init(&t->slots, lim->table);
    quota_init(&t->quota, lim);
    t->n_by_ino = SOCK_INO_BUCKETS_MIN;
    t->by_ino = calloc(t->n_by_ino, sizeof(*t->by_ino));
    t->buf = malloc(SOCK_BUF_LEN);
    return t->buf && t->by_ino ? 0 : -ENOMEM;
}

void
sock_table_attach(struct sock_table *t, struct stack *s)
{
    t->s = s;
}

void
sock_table_free(struct sock_table *t)
{
    while (t->first)
        sock_destroy(t, t->first);
    if (t->diag_fd >= 0)
        close(t->diag_fd);
    t->diag_fd = -1;
    free(t->buf);
    t->buf = NULL;
    free(t->by_ino);
    t->by_ino = NULL;
    slots_free(&t->slots);
    quota_free(&t->quota);
}

uint32_t
sock_id(const struct sock *so)
{
    return so->id;
}

static struct sock *
sock_by_tag(struct sock_table *t, uint32_t slot, uint32_t id)
{
    struct sock *so = slots_get(&t->slots, slot);

    return so && so->id == id ? so : NULL;
}

/* ---- finding a socket by its application end's inode --------------------- */

static uint32_t
sock_ino_hash(const struct sock_table *t, dev_t dev, ino_t ino)
{
    uint64_t k = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev;

    return (uint32_t)(k >> 32) & (t->n_by_ino - 1);
}

static void
sock_ino_link(struct sock_table *t, struct sock *so)
{
    uint32_t h = sock_ino_hash(t, so->dev, so->ino);

    so->ino_next = t->by_ino[h];
    t->by_ino[h] = so;
}

static void
sock_ino_unlink(struct sock_table *t, struct sock *so)
{
    struct sock **pp = &t->by_ino[sock_ino_hash(t, so->dev, so->ino)];

    while (*pp && *pp != so)
        pp = &(*pp)->ino_next;
    if (*pp)
        *pp = so->ino_next;
    so->ino_next = NULL;
}

/* Twice the buckets once there are more sockets than buckets, so that a
 * chain stays short; on failure the old ones serve, with longer chains. */
static void
sock_ino_grow(struct sock_table *t)
{
    uint32_t n = t->n_by_ino * 2;
    struct sock **b;

    if (t->count < t->n_by_ino || n > SOCK_INO_BUCKETS_MAX)
        return;
    b = calloc(n, sizeof(*b));
    if (!b)
        return;
    free(t->by_ino);
    t->by_ino = b;
    t->n_by_ino = n;
    for (struct sock *so = t->first; so; so = so->newer)
        sock_ino_link(t, so);
}

/* ---- creating, finding, closing ---------------------------------------- */

/* A socket refused for a quota: counted, and one line a second at most
 * (a program that loops on EMFILE must not fill the log). */
static void
sock_count_refusal(struct sock_table *t, int rc, pid_t pid, uid_t uid)
{
    uint64_t now = loop_now_us();
    const char *what;

    if (rc == -ENFILE) {
        t->stats.refused_table++;
        what = "the daemon's table is full";
    } else if (quota_of_pid(&t->quota, pid) >= t->quota.lim.per_process) {
        t->stats.refused_process_quota++;
        what = "its process quota (--max-sockets-per-process)";
    } else {
        t->stats.refused_uid_quota++;
        what = "its uid's quota (--max-sockets-per-uid)";
    }
    t->refusals++;
    if (now < t->refusal_logged_us + SOCK_REFUSAL_LOG_US)
        return;
    DLOG(t->log, LOG_WARN, "sock",
         "%llu sockets refused; the last to pid %ld uid %lu: %s",
         (unsigned long long)t->refusals, (long)pid, (unsigned long)uid, what);
    t->refusals = 0;
    t->refusal_logged_us = now;
}

int
sock_new(struct sock_table *t, int type, bool nonblock, pid_t pid, uid_t uid,
         struct sock **out, int *app_fd)
{
    int sv[2] = {-1, -1}, pair_type = type == SOCK_STREAM ? SOCK_STREAM : SOCK_SEQPACKET;
    struct sock *so;
    struct stat st;
    int rc = quota_charge(&t->quota, uid, pid);

    if (rc < 0) {
        sock_count_refusal(t, rc, pid, uid);
        return rc;
    }
    /* Non-blocking on our side only: O_NONBLOCK belongs to the open file,
     * which the application shares, so its end gets it only if asked. */
    if (socketpair(AF_UNIX, pair_type | SOCK_CLOEXEC, 0, sv) < 0) {
        rc = errno == EMFILE || errno == ENFILE ? -ENFILE : -ENOBUFS;
        DLOG(t->log, LOG_WARN, "sock", "socketpair: %s", strerror(errno));
        quota_release(&t->quota, uid, pid);
        if (rc == -ENFILE)
            sock_count_refusal(t, rc, pid, uid); /* out of descriptors */
        return rc;
    }
    if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0 ||
        (nonblock && fcntl(sv[1], F_SETFL, O_NONBLOCK) < 0) || fstat(sv[1], &st) < 0) {
        DLOG(t->log, LOG_WARN, "sock", "setting up the socketpair: %s", strerror(errno));
        goto fail;
    }
    so = calloc(1, sizeof(*so));
    if (!so)
        goto fail;
    so->type = type;
    so->dfd = sv[0];
    so->dev = st.st_dev;
    so->ino = st.st_ino;
    so->owner_pid = pid;
    so->owner_uid = uid;
    so->sndbuf = SOCK_SNDBUF_DEFAULT;
    so->linger = -1;
    so->events = EPOLLIN | EPOLLRDHUP;
    *out = so;
    *app_fd = sv[1];
    return 0;
fail:
    close(sv[0]);
    close(sv[1]);
    quota_release(&t->quota, uid, pid);
    return -ENOBUFS;
}

int
sock_insert(struct sock_table *t, struct sock *so)
{
    int64_t slot = slots_take(&t->slots, so);

    if (slot < 0) {
        t->stats.refused_table++;
        return slot == -ENFILE ? -ENFILE : -ENOBUFS;
    }
    if (++t->next_id == 0)
        t->next_id = 1;
    so->id = t->next_id;
    so->slot = (uint32_t)slot;
    if (loop_watch(t->epoll_fd, so->dfd, so->events, sock_tag(so)) < 0) {
        DLOG(t->log, LOG_ERROR, "sock", "epoll_ctl: %s", strerror(errno));
        slots_put(&t->slots, so->slot);
        return -ENOBUFS;
    }
    so->watched = true;
    so->older = t->last;
    if (t->last)
        t->last->newer = so;
    else
        t->first = so;
    t->last = so;
    t->count++;
    sock_ino_link(t, so);
    sock_ino_grow(t);
    t->stats.opened++;
    DLOG(t->log, LOG_DEBUG, "sock", "socket %u opened (%s, pid %ld uid %lu, inode %lu)",
         so->id, so->type == SOCK_STREAM ? "stream" : "datagram", (long)so->owner_pid,
         (unsigned long)so->owner_uid, (unsigned long)so->ino);
    return 0;
}

void
sock_discard(struct sock_table *t, struct sock *so, int app_fd)
{
    quota_release(&t->quota, so->owner_uid, so->owner_pid);
    close(so->dfd);
    close(app_fd);
    free(so->up);
    free(so);
}

int
sock_create(struct sock_table *t, int domain, int type, int protocol, pid_t pid,
            uid_t uid, struct sock **out, int *app_fd)
{
    int flags = type & ~0xf, base = type & 0xf, rc;
    struct sock *so;

    if (domain != AF_INET)
        return -EAFNOSUPPORT;
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL; /* as socket(2) */
    if (!(base == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP)) &&
        !(base == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP)))
        return -EPROTONOSUPPORT;
    rc = sock_new(t, base, (type & SOCK_NONBLOCK) != 0, pid, uid, &so, app_fd);
    if (rc < 0)
        return rc;
    rc = base == SOCK_STREAM ? sock_tcp_open(t, so) : sock_udp_open(t, so, *app_fd);
    if (rc < 0) {
        sock_discard(t, so, *app_fd);
        return rc;
    }
    rc = sock_insert(t, so);
    if (rc < 0) {
        if (base == SOCK_STREAM)
            sock_tcp_abort(t, so);
        else
            sock_udp_close(t, so);
        sock_discard(t, so, *app_fd);
        return rc;
    }
    *out = so;
    return 0;
}

void
sock_free(struct sock_table *t, struct sock *so)
{
    DLOG(t->log, LOG_DEBUG, "sock", "socket %u closed", so->id);
    sock_unmark(t, so);
    sock_unwatch(t, so);
    if (so->hup && !so->app_gone && t->n_hup)
        t->n_hup--;
    close(so->dfd);
    slots_put(&t->slots, so->slot);
    sock_ino_unlink(t, so);
    if (so->older)
        so->older->newer = so->newer;
    else
        t->first = so->newer;
    if (so->newer)
        so->newer->older = so->older;
    else
        t->last = so->older;
    t->count--;
    quota_release(&t->quota, so->owner_uid, so->owner_pid);
    t->stats.closed++;
    free(so->up);
    free(so);
}

void
sock_destroy(struct sock_table *t, struct sock *so)
{
    if (so->type == SOCK_STREAM)
        sock_tcp_abort(t, so);
    else
        sock_udp_close(t, so);
    sock_free(t, so);
}

int
sock_find(struct sock_table *t, int fd, struct sock **out)
{
    struct stat st;

    if (fd < 0 || fstat(fd, &st) < 0)
        return -EBADF;
    if (!S_ISSOCK(st.st_mode))
        return -ENOTSOCK;
    for (struct sock *so = t->by_ino[sock_ino_hash(t, st.st_dev, st.st_ino)]; so;
         so = so->ino_next) {
        if (so->ino == st.st_ino && so->dev == st.st_dev) {
            *out = so;
            return 0;
        }
    }
    return -ENOTSOCK;
}

/* Is the application's end still open? Its inode is in the kernel's table
 * of AF_UNIX sockets until its last descriptor is closed (unix_diag,
 * looked up by inode: an error when it is gone). */
int
sock_app_alive(struct sock_table *t, const struct sock *so)
{
    struct {
        struct nlmsghdr nh;
        struct unix_diag_req req;
    } msg = {
        .nh = {.nlmsg_len = sizeof(msg),
               .nlmsg_type = SOCK_DIAG_BY_FAMILY,
               .nlmsg_flags = NLM_F_REQUEST,
               .nlmsg_seq = ++t->diag_seq},
        .req = {.sdiag_family = AF_UNIX,
                .udiag_states = ~0u,
                .udiag_ino = (uint32_t)so->ino,
                .udiag_cookie = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE}},
    };
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    union {
        struct nlmsghdr nh;
        uint8_t b[1024];
    } rep;
    ssize_t n;

    t->stats.tcp_hup_checks++;
    if (t->diag_fd < 0)
        goto unknown;
    while (recv(t->diag_fd, &rep, sizeof(rep), MSG_DONTWAIT) >= 0)
        ; /* a reply left over from a query that gave up */
    if (sendto(t->diag_fd, &msg, sizeof(msg), 0, (struct sockaddr *)&kernel,
               sizeof(kernel)) < 0)
        goto unknown;
    /* the kernel answers within sendto: the reply is waiting */
    do {
        n = recv(t->diag_fd, &rep, sizeof(rep), MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < (ssize_t)sizeof(struct nlmsghdr) || rep.nh.nlmsg_seq != msg.nh.nlmsg_seq) {
        errno = n < 0 ? errno : EPROTO;
        goto unknown;
    }
    if (rep.nh.nlmsg_type == SOCK_DIAG_BY_FAMILY)
        return 1;
    if (rep.nh.nlmsg_type == NLMSG_ERROR && n >= (ssize_t)NLMSG_LENGTH(sizeof(int))) {
        int err;
        memcpy(&err, NLMSG_DATA(&rep.nh), sizeof(err));
        if (err == -ENOENT)
            return 0; /* unix_diag_get_exact: no socket with that inode */
        errno = -err;
    } else {
        errno = EPROTO;
    }
unknown:
    if (!t->warned_diag) {
        t->warned_diag = true;
        DLOG(t->log, LOG_WARN, "sock",
             "sock_diag cannot tell whether an application still holds a socket (%s); "
             "a half-closed socket is taken as closed at its hangup",
             strerror(errno));
    }
    return -1;
}

/* ---- the operations ---------------------------------------------------- */

int
sock_bind(struct sock_table *t, struct sock *so, uid_t uid, int family, uint32_t addr,
          uint16_t port)
{
    if (family != AF_INET)
        return -EAFNOSUPPORT;
    /* as the kernel for a process without CAP_NET_BIND_SERVICE */
    if (port != 0 && port < 1024 && uid != 0)
        return -EACCES;
    return so->type == SOCK_STREAM ? sock_tcp_bind(t, so, addr, port)
                                   : sock_udp_bind(t, so, addr, port);
}

int
sock_connect(struct sock_table *t, struct sock *so, int fd, int family, uint32_t addr,
             uint16_t port)
{
    return so->type == SOCK_STREAM ? sock_tcp_connect(t, so, fd, family, addr, port)
                                   : sock_udp_connect(t, so, family, addr, port);
}

int
sock_listen(struct sock_table *t, struct sock *so, int backlog)
{
    return so->type == SOCK_STREAM ? sock_tcp_listen(t, so, backlog) : -EOPNOTSUPP;
}

int
sock_accept(struct sock_table *t, struct sock *so, pid_t pid, uid_t uid,
            struct sock **out, int *app_fd, uint32_t *addr, uint16_t *port)
{
    if (so->type != SOCK_STREAM)
        return -EOPNOTSUPP;
    return sock_tcp_accept(t, so, pid, uid, out, app_fd, addr, port);
}

int
sock_sendto(struct sock_table *t, struct sock *so, uint32_t addr, uint16_t port,
            const void *data, size_t len)
{
    /* DEVIATION: a stream's bytes go on its descriptor, in order; sendto
     * with an address is refused (Linux ignores the address) */
    if (so->type == SOCK_STREAM)
        return -EOPNOTSUPP;
    return sock_udp_sendto(t, so, addr, port, data, len);
}

int
sock_name(struct sock_table *t, struct sock *so, int peer, uint32_t *addr, uint16_t *port)
{
    (void)t;
    return so->type == SOCK_STREAM ? sock_tcp_name(so, peer, addr, port)
                                   : sock_udp_name(so, peer, addr, port);
}

/* Linux's arithmetic for SO_RCVBUF / SO_SNDBUF (the value is an int read as
 * unsigned, so a negative one is taken as the largest). */
int32_t
sock_buf_size(int32_t value, int32_t min, int32_t max)
{
    uint32_t v = (uint32_t)value;

    if (v > (uint32_t)max)
        v = (uint32_t)max;
    return (int32_t)v * 2 < min ? min : (int32_t)v * 2;
}

int
sock_setopt(struct sock_table *t, struct sock *so, int fd, int level, int name,
            int32_t value)
{
    return so->type == SOCK_STREAM ? sock_tcp_setopt(t, so, level, name, value)
                                   : sock_udp_setopt(t, so, fd, level, name, value);
}

int
sock_getopt(struct sock_table *t, struct sock *so, int level, int name, int32_t *value)
{
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_TYPE: *value = so->type; return 0;
        case SO_DOMAIN: *value = AF_INET; return 0;
        case SO_PROTOCOL:
            *value = so->type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
            return 0;
        case SO_RCVBUF: *value = so->rcvbuf; return 0;
        case SO_SNDBUF: *value = so->sndbuf; return 0;
        default: break;
        }
    }
    return so->type == SOCK_STREAM ? sock_tcp_getopt(t, so, level, name, value)
                                   : sock_udp_getopt(t, so, level, name, value);
}

int
sock_setopt_str(struct sock_table *t, struct sock *so, int level, int name,
                const char *value)
{
    return so->type == SOCK_STREAM ? sock_tcp_setopt_str(t, so, level, name, value)
                                   : -ENOPROTOOPT;
}

int
sock_getopt_str(struct sock_table *t, struct sock *so, int level, int name,
                char value[CTL_OPT_STR_LEN])
{
    (void)t;
    return so->type == SOCK_STREAM ? sock_tcp_getopt_str(so, level, name, value)
                                   : -ENOPROTOOPT;
}

int
sock_shutdown(struct sock_table *t, struct sock *so, int fd, int how)
{
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
        return -EINVAL;
    return so->type == SOCK_STREAM ? sock_tcp_shutdown(t, so, fd, how)
                                   : sock_udp_shutdown(t, so, how);
}

int
sock_tcp_info_get(struct sock_table *t, struct sock *so, struct ctl_tcp_info *info)
{
    (void)t;
    /* as getsockopt(IPPROTO_TCP, TCP_INFO) on a UDP socket */
    return so->type == SOCK_STREAM ? sock_tcp_info(so, info) : -ENOPROTOOPT;
}

size_t
sock_list(struct sock_table *t, uid_t uid, uint32_t first, struct ctl_sock_info *rows,
          size_t max, uint32_t *total)
{
    size_t seen = 0, out = 0;

    /* oldest first (the order of ids), without sorting: a page costs the
     * sockets before it, not a sort of the table */
    for (struct sock *so = t->first; so; so = so->newer) {
        if (uid != 0 && so->owner_uid != uid)
            continue;
        if (seen++ < first || out == max)
            continue;
        struct ctl_sock_info *r = &rows[out++];
        memset(r, 0, sizeof(*r));
        r->id = so->id;
        r->owner_pid = (int32_t)so->owner_pid;
        r->owner_uid = (uint32_t)so->owner_uid;
        r->type = (uint8_t)so->type;
        if (so->type == SOCK_STREAM)
            sock_tcp_row(so, r);
        else
            sock_udp_row(so, r);
    }
    *total = (uint32_t)seen;
    return out;
}

/* ---- events, marks, flushing ------------------------------------------- */

void
sock_on_event(struct sock_table *t, uint32_t slot, uint32_t id, uint32_t events)
{
    struct sock *so = sock_by_tag(t, slot, id);

    if (!so)
        return; /* closed earlier in this batch */
    if (so->type == SOCK_STREAM)
        sock_tcp_on_event(t, so, events);
    else
        sock_udp_on_event(t, so, events);
}

void
sock_notify(void *table, void *owner)
{
    sock_mark(table, owner);
}

void
sock_flush(struct sock_table *t)
{
    /* Only the sockets marked so far: one marked again while it is served
     * (it has more than a burst to move) waits for the next round, after
     * the other sources have had their turn. Those still waiting in this
     * round stay marked, so marking them again changes nothing. */
    t->flushing = t->pending;
    t->pending = NULL;
    while (t->flushing) {
        struct sock *so = t->flushing;
        t->flushing = so->pend_next;
        so->pend_next = NULL;
        so->pending = false;
        if (so->type == SOCK_STREAM)
            sock_tcp_push(t, so); /* may free so */
        else
            sock_udp_push(t, so);
    }
}

bool
sock_busy(const struct sock_table *t)
{
    return t->pending != NULL;
}

void
sock_poll(struct sock_table *t, uint64_t now_us)
{
    uint64_t next = SOCK_NEVER;

    if (!t->n_hup || now_us < t->hup_at)
        return;
    for (uint32_t i = 0; i < slots_end(&t->slots); i++) {
        struct sock *so = slots_get(&t->slots, i);
        if (!so || !so->hup || so->app_gone)
            continue;
        if (so->hup_check_at <= now_us)
            sock_tcp_hup_check(t, so, now_us); /* may free so */
        so = slots_get(&t->slots, i);
        if (so && so->hup && !so->app_gone && so->hup_check_at < next)
            next = so->hup_check_at;
    }
    t->hup_at = next;
}

uint64_t
sock_poll_at(const struct sock_table *t)
{
    return t->n_hup ? t->hup_at : SOCK_NEVER;
}

/* ---- counters ---------------------------------------------------------- */

void
sock_stats_print(const struct sock_table *t, FILE *f)
{
    fprintf(f, "  %-24s %u\n", "sock.open", t->count);
    fprintf(f, "  %-24s %u\n", "sock.limit", t->quota.lim.table);
#define SOCK_STAT_PRINT_(name)                                                           \
    if (t->stats.name)                                                                   \
        fprintf(f, "  %-24s %llu\n", "sock." #name, (unsigned long long)t->stats.name);
    SOCK_STATS(SOCK_STAT_PRINT_)
#undef SOCK_STAT_PRINT_
}
