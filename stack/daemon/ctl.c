/*
 * ctl.c - the control server. See ctl.h.
 */
#include "daemon/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/loop.h"
#include "daemon/sock.h"

#define CTL_BACKLOG 4096    /* as SOMAXCONN: a burst of new clients waits, not refused */
#define CTL_ACCEPT_BURST 16 /* clients accepted per wakeup */
#define CTL_CLIENT_BURST 16 /* requests served per client per wakeup */
#define CTL_FDS_ROOM 8      /* descriptors one recvmsg takes; more: MSG_CTRUNC */

struct ctl_client {
    uint32_t id;
    uint32_t slot;
    int fd;
    pid_t pid; /* SO_PEERCRED, read when it connected */
    uid_t uid;
    unsigned bad_streak; /* malformed messages in a row */
};

/* One received request: the message and the descriptors that came with it. */
struct ctl_req {
    size_t len;
    bool truncated; /* MSG_TRUNC, MSG_CTRUNC or longer than CTL_MSG_MAX */
    int fds[CTL_FDS_ROOM];
    int nfds;
};

/* ---- clients ----------------------------------------------------------- */

static struct ctl_client *
ctl_client_by_tag(struct ctl_server *c, uint32_t slot, uint32_t id)
{
    struct ctl_client *cl = slots_get(&c->clients, slot);

    return cl && cl->id == id ? cl : NULL;
}

static void
ctl_client_close(struct ctl_server *c, struct ctl_client *cl, const char *why)
{
    DLOG(c->log, LOG_DEBUG, "ctl", "client %u (pid %ld) disconnected: %s", cl->id,
         (long)cl->pid, why);
    loop_unwatch(c->epoll_fd, cl->fd);
    close(cl->fd);
    slots_put(&c->clients, cl->slot);
    c->nclients--;
    c->stats.clients_closed++;
    free(cl);
}

/* Refuse one waiting client when we are out of descriptors: give up the
 * spare one, accept and close at once, take the spare back. Otherwise the
 * level-triggered listening socket would wake us for ever. */
static void
ctl_refuse_one(struct ctl_server *c)
{
    if (c->spare_fd >= 0) {
        close(c->spare_fd);
        int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
            close(fd);
        c->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    c->stats.clients_refused++;
}

void
ctl_server_on_accept(struct ctl_server *c)
{
    for (int i = 0; i < CTL_ACCEPT_BURST; i++) {
        int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            DLOG(c->log, LOG_WARN, "ctl", "accept: %s", strerror(errno));
            if (errno == EMFILE || errno == ENFILE)
                ctl_refuse_one(c);
            return;
        }
        struct ucred cr;
        socklen_t crlen = sizeof(cr);
        int one = 1;
        int64_t slot;
        /* SO_PASSCRED: every message then carries credentials, which tells
         * an empty message (malformed) from the end of the connection. */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
            close(fd);
            c->stats.clients_refused++;
            continue;
        }
        struct ctl_client *cl = calloc(1, sizeof(*cl));
        slot = cl ? slots_take(&c->clients, cl) : -ENOMEM;
        if (slot < 0) {
            free(cl);
            close(fd);
            c->stats.clients_refused++;
            continue;
        }
        if (++c->next_id == 0)
            c->next_id = 1;
        cl->id = c->next_id;
        cl->slot = (uint32_t)slot;
        cl->fd = fd;
        cl->pid = cr.pid;
        cl->uid = cr.uid;
        if (loop_watch(c->epoll_fd, fd, EPOLLIN | EPOLLRDHUP,
                       loop_tag(LOOP_CLIENT, cl->slot, cl->id)) < 0) {
            DLOG(c->log, LOG_ERROR, "ctl", "epoll_ctl: %s", strerror(errno));
            slots_put(&c->clients, cl->slot);
            close(fd);
            free(cl);
            c->stats.clients_refused++;
            continue;
        }
        c->nclients++;
        c->stats.clients_accepted++;
        DLOG(c->log, LOG_DEBUG, "ctl", "client %u connected: pid %ld uid %lu", cl->id,
             (long)cl->pid, (unsigned long)cl->uid);
    }
}

/* ---- receiving --------------------------------------------------------- */

/* The descriptors in a received message's control data. */
static void
ctl_collect_fds(struct msghdr *mh, struct ctl_req *r)
{
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
            if (r->nfds < CTL_FDS_ROOM)
                r->fds[r->nfds++] = fd;
            else
                close(fd); /* cannot happen: the buffer has room for no more */
        }
    }
}

/* Close every received descriptor except `used` (-1: none used). */
static void
ctl_close_fds(struct ctl_server *c, struct ctl_req *r, int used)
{
    for (int i = 0; i < r->nfds; i++) {
        if (r->fds[i] != used)
            c->stats.fds_closed_unused++;
        close(r->fds[i]);
    }
    r->nfds = 0;
}

/* One message from a client. 1: got one; 0: none waiting; -1: the
 * connection is over (end of stream, or an error). */
static int
ctl_receive(struct ctl_server *c, struct ctl_client *cl, struct ctl_req *r)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * CTL_FDS_ROOM) +
                 CMSG_SPACE(sizeof(struct ucred))];
    } cm;
    struct iovec iov = {.iov_base = c->rx, .iov_len = sizeof(c->rx)};
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = cm.buf,
                        .msg_controllen = sizeof(cm.buf)};
    ssize_t n;

    memset(r, 0, sizeof(*r));
    do {
        n = recvmsg(cl->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    ctl_collect_fds(&mh, r);
    c->stats.fds_received += (uint64_t)r->nfds;
    if (n == 0 && mh.msg_controllen == 0)
        return -1; /* no message, not even credentials: the end */
    r->len = (size_t)n;
    r->truncated = (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || r->len > CTL_MSG_MAX;
    return 1;
}

/* ---- replying ---------------------------------------------------------- */

/* Send one reply (len bytes in c->tx), with a descriptor if pass_fd >= 0.
 * 0, or -errno (the caller disconnects the client). */
static int
ctl_send(struct ctl_server *c, struct ctl_client *cl, size_t len, int pass_fd)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } cm;
    struct iovec iov = {.iov_base = c->tx, .iov_len = len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

    if (pass_fd >= 0) {
        memset(&cm, 0, sizeof(cm));
        mh.msg_control = cm.buf;
        mh.msg_controllen = sizeof(cm.buf);
        struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(h), &pass_fd, sizeof(int));
    }
    ssize_t n;
    do {
        n = sendmsg(cl->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        c->stats.replies_failed++;
        return -errno;
    }
    return 0;
}

/* An error reply to a message we could not decode: the header alone, in
 * the order of ctl_proto.h, written here because ctl_encode will not
 * write a type it does not know. */
static size_t
ctl_error_reply(struct ctl_server *c, uint8_t type, uint32_t seq, int32_t status)
{
    uint16_t magic = CTL_MAGIC;
    uint8_t version = CTL_VERSION;
    uint32_t len = CTL_HDR_LEN;

    if (type == 0 || type >= CTL_TYPE_MAX)
        type = 0;
    memcpy(c->tx, &magic, 2);
    memcpy(c->tx + 2, &version, 1);
    memcpy(c->tx + 3, &type, 1);
    memcpy(c->tx + 4, &len, 4);
    memcpy(c->tx + 8, &seq, 4);
    memcpy(c->tx + 12, &status, 4);
    return CTL_HDR_LEN;
}

/* ---- serving ----------------------------------------------------------- */

/* Does this request type name a socket (and so carry its descriptor)? */
static bool
ctl_takes_fd(int type)
{
    return type != CTL_SOCKET && type != CTL_LIST && type != CTL_CONNS &&
           type != CTL_TEXT && type != CTL_FAULT;
}

/* Run a hook that writes to a FILE, collecting what it wrote (malloc'd,
 * NUL-terminated; *len without the NUL). NULL when memory is short. */
static char *
ctl_capture(void (*fn)(void *arg, FILE *f), void *arg, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);

    if (!f)
        return NULL;
    fn(arg, f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

struct ctl_text_call {
    struct ctl_server *c;
    enum ctl_text_what what;
};

static void
ctl_text_hook(void *arg, FILE *f)
{
    struct ctl_text_call *t = arg;

    t->c->admin.text(t->c->admin.ctx, t->what, f);
}

/* CTL_TEXT: the page of the text from offset, in c->rows. Bytes, or a
 * negative errno. */
static int32_t
ctl_text(struct ctl_server *c, const struct ctl_text_req *q, struct ctl_msg *rep)
{
    struct ctl_text_call call = {c, (enum ctl_text_what)q->what};
    size_t len = 0;

    if (q->what == 0 || q->what >= CTL_TEXT_WHAT_MAX)
        return -EINVAL;
    if (!c->admin.text)
        return -EOPNOTSUPP;
    char *text = ctl_capture(ctl_text_hook, &call, &len);
    if (!text)
        return -ENOMEM;
    if (q->offset > len) {
        free(text);
        return -EINVAL;
    }
    size_t n = len - q->offset < CTL_TEXT_MAX ? len - q->offset : CTL_TEXT_MAX;
    memcpy(c->rows, text + q->offset, n);
    free(text);
    rep->u.total = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    rep->data = c->rows;
    rep->data_len = n;
    return (int32_t)n;
}

struct ctl_fault_call {
    struct ctl_server *c;
    const char *spec;
    int rc;
};

static void
ctl_fault_hook(void *arg, FILE *f)
{
    struct ctl_fault_call *t = arg;

    t->rc = t->c->admin.fault_set(t->c->admin.ctx, t->spec, f);
}

/* CTL_FAULT: only root or the daemon's own uid may change the faults;
 * the reply's message (in c->rows) says what happened either way. */
static int32_t
ctl_fault(struct ctl_server *c, const struct ctl_client *cl, const struct ctl_msg *req,
          struct ctl_msg *rep)
{
    char spec[CTL_FAULT_SPEC_MAX + 1];
    struct ctl_fault_call call = {c, spec, 0};
    size_t len = 0;
    int n;

    rep->data = c->rows;
    if (cl->uid != 0 && cl->uid != c->daemon_uid) {
        n = snprintf((char *)c->rows, CTL_FAULT_MSG_MAX,
                     "only root or uid %lu (ustackd's) may change the faults",
                     (unsigned long)c->daemon_uid);
        rep->data_len = n > 0 ? (size_t)n : 0;
        return -EPERM;
    }
    if (!c->admin.fault_set)
        return -EOPNOTSUPP;
    memcpy(spec, req->data, req->data_len); /* the decoder checked: no NUL */
    spec[req->data_len] = '\0';
    char *msg = ctl_capture(ctl_fault_hook, &call, &len);
    if (!msg)
        return -ENOMEM;
    rep->data_len = len < CTL_FAULT_MSG_MAX ? len : CTL_FAULT_MSG_MAX;
    memcpy(c->rows, msg, rep->data_len);
    free(msg);
    return call.rc;
}

/* What a well-formed request asks, done: fills rep (status and body).
 * *pass_fd and *created are set by CTL_SOCKET and CTL_ACCEPT. */
static void
ctl_do(struct ctl_server *c, struct ctl_client *cl, const struct ctl_msg *req, int fd,
       struct ctl_msg *rep, int *pass_fd, struct sock **created)
{
    struct sock_table *t = c->socks;
    struct sock *so = NULL;
    int32_t st = 0;

    if (ctl_takes_fd(req->h.type)) {
        st = sock_find(t, fd, &so);
        if (st < 0)
            goto done;
    }
    switch (req->h.type) {
    case CTL_SOCKET:
        st = sock_create(t, req->u.socket.domain, req->u.socket.type,
                         req->u.socket.protocol, cl->pid, cl->uid, created, pass_fd);
        break;
    case CTL_BIND:
        st = sock_bind(t, so, cl->uid, req->u.addr.family, req->u.addr.addr,
                       req->u.addr.port);
        break;
    case CTL_CONNECT:
        st = sock_connect(t, so, fd, req->u.addr.family, req->u.addr.addr,
                          req->u.addr.port);
        break;
    case CTL_LISTEN: st = sock_listen(t, so, req->u.listen.backlog); break;
    case CTL_ACCEPT:
        st = sock_accept(t, so, cl->pid, cl->uid, created, pass_fd, &rep->u.addr.addr,
                         &rep->u.addr.port);
        rep->u.addr.family = AF_INET;
        break;
    case CTL_SENDTO:
        st = sock_sendto(t, so, req->u.sendto.addr, req->u.sendto.port, req->data,
                         req->data_len);
        break;
    case CTL_GETSOCKNAME:
    case CTL_GETPEERNAME:
        st = sock_name(t, so, req->h.type == CTL_GETPEERNAME, &rep->u.addr.addr,
                       &rep->u.addr.port);
        rep->u.addr.family = AF_INET;
        break;
    case CTL_SETSOCKOPT:
        st = sock_setopt(t, so, fd, req->u.sockopt.level, req->u.sockopt.name,
                         req->u.sockopt.value);
        break;
    case CTL_GETSOCKOPT:
        rep->u.sockopt = req->u.sockopt;
        rep->u.sockopt.value = 0;
        st = sock_getopt(t, so, req->u.sockopt.level, req->u.sockopt.name,
                         &rep->u.sockopt.value);
        break;
    case CTL_SETSOCKOPT_STR:
        st = sock_setopt_str(t, so, req->u.sockopt_str.level, req->u.sockopt_str.name,
                             req->u.sockopt_str.value);
        break;
    case CTL_GETSOCKOPT_STR:
        rep->u.sockopt_str = req->u.sockopt_str;
        st = sock_getopt_str(t, so, req->u.sockopt_str.level, req->u.sockopt_str.name,
                             rep->u.sockopt_str.value);
        break;
    case CTL_SHUTDOWN: st = sock_shutdown(t, so, fd, req->u.shutdown.how); break;
    case CTL_TCP_INFO: st = sock_tcp_info_get(t, so, &rep->u.tcp_info); break;
    case CTL_CONNS: {
        struct ctl_conn_info rows[CTL_CONNS_MAX];
        size_t n =
            sock_conns(t, cl->uid, req->u.list.first, rows, CTL_CONNS_MAX, &rep->u.total);
        for (size_t i = 0; i < n; i++)
            ctl_conn_info_put(c->rows + i * CTL_CONN_INFO_LEN, &rows[i]);
        rep->data = c->rows;
        rep->data_len = n * CTL_CONN_INFO_LEN;
        st = (int32_t)n;
        break;
    }
    case CTL_TEXT: st = ctl_text(c, &req->u.text, rep); break;
    case CTL_FAULT: st = ctl_fault(c, cl, req, rep); break;
    case CTL_LIST: {
        struct ctl_sock_info rows[CTL_LIST_MAX];
        size_t n =
            sock_list(t, cl->uid, req->u.list.first, rows, CTL_LIST_MAX, &rep->u.total);
        for (size_t i = 0; i < n; i++)
            ctl_sock_info_put(c->rows + i * CTL_SOCK_INFO_LEN, &rows[i]);
        rep->data = c->rows;
        rep->data_len = n * CTL_SOCK_INFO_LEN;
        st = (int32_t)n;
        break;
    }
    default: st = -EBADMSG; break; /* ctl_decode lets no other type through */
    }
done:
    rep->h.status = st;
    if (c->log->level < LOG_DEBUG)
        return;
    char result[32];
    if (st < 0 && strerrorname_np(-st))
        snprintf(result, sizeof(result), "%s", strerrorname_np(-st));
    else
        snprintf(result, sizeof(result), "%d", st);
    if (so)
        DLOG(c->log, LOG_DEBUG, "ctl", "client %u pid %ld: %s socket %u -> %s", cl->id,
             (long)cl->pid, ctl_type_name(req->h.type), sock_id(so), result);
    else
        DLOG(c->log, LOG_DEBUG, "ctl", "client %u pid %ld: %s -> %s", cl->id,
             (long)cl->pid, ctl_type_name(req->h.type), result);
}

/* Serve one received message: decode, check its descriptors, do it, reply.
 * 0, or -1 when the client is to be disconnected (why in *why). */
static int
ctl_serve(struct ctl_server *c, struct ctl_client *cl, struct ctl_req *r,
          const char **why)
{
    struct ctl_msg req, rep;
    struct sock *created = NULL;
    int pass_fd = -1, used_fd = -1, rc;
    size_t len;

    c->stats.requests++;
    rc = r->truncated ? -EBADMSG : ctl_decode(c->rx, r->len, CTL_REQUEST, &req);
    if (rc == 0 && r->nfds > (ctl_takes_fd(req.h.type) ? 1 : 0))
        rc = -EBADMSG; /* descriptors it should not carry */
    if (rc < 0) {
        uint32_t seq = 0;
        uint8_t type = 0;
        if (r->len >= CTL_HDR_LEN) {
            memcpy(&seq, c->rx + 8, 4);
            type = c->rx[3];
        }
        c->stats.bad_messages++;
        DLOG(c->log, LOG_DEBUG, "ctl",
             "client %u pid %ld: bad message (%zu bytes%s, %d fds): %s", cl->id,
             (long)cl->pid, r->len, r->truncated ? ", truncated" : "", r->nfds,
             strerror(-rc));
        ctl_close_fds(c, r, -1);
        len = ctl_error_reply(c, type, seq, rc);
        if (ctl_send(c, cl, len, -1) < 0) {
            *why = "reply failed";
            return -1;
        }
        if (++cl->bad_streak >= CTL_BAD_STREAK_MAX) {
            c->stats.clients_dropped_bad++;
            *why = "too many malformed messages";
            return -1;
        }
        return 0;
    }
    cl->bad_streak = 0;

    memset(&rep, 0, sizeof(rep));
    rep.h.type = req.h.type;
    rep.h.seq = req.h.seq;
    if (ctl_takes_fd(req.h.type) && r->nfds == 1)
        used_fd = r->fds[0];
    ctl_do(c, cl, &req, used_fd, &rep, &pass_fd, &created);
    ctl_close_fds(c, r, used_fd);

    int n = ctl_encode(&rep, CTL_REPLY, c->tx, sizeof(c->tx));
    if (n < 0) { /* a bug: every reply we build fits */
        DLOG(c->log, LOG_ERROR, "ctl", "encoding a %s reply: %s",
             ctl_type_name(req.h.type), strerror(-n));
        n = (int)ctl_error_reply(c, req.h.type, req.h.seq, -EINVAL);
        if (created)
            sock_destroy(c->socks, created);
        if (pass_fd >= 0)
            close(pass_fd);
        created = NULL;
        pass_fd = -1;
    }
    rc = ctl_send(c, cl, (size_t)n, pass_fd);
    if (pass_fd >= 0)
        close(pass_fd); /* the application holds it now, or nobody does */
    if (rc < 0) {
        /* A socket the application never received is nobody's. */
        if (created)
            sock_destroy(c->socks, created);
        if (rc == -EAGAIN) {
            c->stats.clients_dropped_slow++;
            *why = "not reading its replies";
        } else {
            *why = "reply failed";
        }
        return -1;
    }
    return 0;
}

void
ctl_server_on_client(struct ctl_server *c, uint32_t slot, uint32_t id, uint32_t events)
{
    struct ctl_client *cl = ctl_client_by_tag(c, slot, id);
    const char *why = NULL;
    struct ctl_req r;

    (void)events; /* recvmsg tells all: a message, nothing yet, or the end */
    if (!cl)
        return; /* closed earlier in this batch */
    for (int i = 0; i < CTL_CLIENT_BURST; i++) {
        int got = ctl_receive(c, cl, &r);
        if (got == 0)
            return;
        if (got < 0) {
            ctl_close_fds(c, &r, -1);
            ctl_client_close(c, cl, "end of connection");
            return;
        }
        if (ctl_serve(c, cl, &r, &why) < 0) {
            ctl_client_close(c, cl, why);
            return;
        }
    }
}

/* ---- the control socket ------------------------------------------------ */

/* mkdir -p of path's directory, saying what it made (a typo in --ctl
 * should not quietly leave directories behind). 0 or -1 with errno. */
static int
ctl_make_parent(const char *path)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    size_t len = strlen(path);

    memcpy(dir, path, len + 1);
    for (size_t i = 1; i < len; i++) {
        if (dir[i] != '/')
            continue;
        dir[i] = '\0';
        if (mkdir(dir, 0755) == 0)
            fprintf(stderr, "ustackd: created directory %s for the control socket\n", dir);
        else if (errno != EEXIST)
            return -1;
        dir[i] = '/';
    }
    return 0;
}

/* Is a server answering on the socket file at addr? */
static bool
ctl_path_live(const struct sockaddr_un *addr)
{
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    bool live;

    if (fd < 0)
        return false;
    live = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0 ||
           errno == EPROTOTYPE || errno == EAGAIN; /* another kind, or a full queue */
    close(fd);
    return live;
}

int
ctl_server_open(struct ctl_server *c, const char *path, int epoll_fd,
                struct sock_table *socks, const struct log *log, char *err, size_t errlen)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct stat st;
    mode_t old_mask;
    int rc;

    memset(c, 0, sizeof(*c));
    slots_init(&c->clients, SLOTS_LIMIT_MAX);
    c->listen_fd = c->spare_fd = -1;
    c->epoll_fd = epoll_fd;
    c->socks = socks;
    c->log = log;
    c->daemon_uid = geteuid();
    if (strlen(path) == 0 || strlen(path) >= sizeof(addr.sun_path)) {
        snprintf(err, errlen, "--ctl '%s': a socket path is 1 to %zu characters", path,
                 sizeof(addr.sun_path) - 1);
        return -1;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    if (ctl_make_parent(path) < 0) {
        snprintf(err, errlen, "--ctl %s: creating its directory: %s", path,
                 strerror(errno));
        return -1;
    }
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, errlen, "--ctl %s exists and is not a socket", path);
            return -1;
        }
        if (ctl_path_live(&addr)) {
            snprintf(err, errlen, "--ctl %s: another server is listening there", path);
            return -1;
        }
        unlink(path); /* stale: left by a daemon that did not exit cleanly */
    }
    c->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->listen_fd < 0) {
        snprintf(err, errlen, "control socket: %s", strerror(errno));
        return -1;
    }
    old_mask = umask(0117); /* born 0660: no moment with wider access */
    rc = bind(c->listen_fd, (struct sockaddr *)&addr, sizeof(addr));
    umask(old_mask);
    if (rc < 0) {
        snprintf(err, errlen, "--ctl %s: bind: %s", path, strerror(errno));
        goto fail;
    }
    if (stat(path, &st) == 0) {
        memcpy(c->path, path, strlen(path) + 1);
        c->path_dev = st.st_dev;
        c->path_ino = st.st_ino;
    }
    if (chmod(path, 0660) < 0 || listen(c->listen_fd, CTL_BACKLOG) < 0) {
        snprintf(err, errlen, "--ctl %s: %s", path, strerror(errno));
        goto fail;
    }
    c->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (loop_watch(epoll_fd, c->listen_fd, EPOLLIN, loop_tag(LOOP_CTL, 0, 0)) < 0) {
        snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
        goto fail;
    }
    return 0;
fail:
    ctl_server_close(c);
    return -1;
}

void
ctl_server_close(struct ctl_server *c)
{
    struct stat st;

    for (uint32_t i = 0; i < slots_end(&c->clients); i++) {
        struct ctl_client *cl = slots_get(&c->clients, i);
        if (cl)
            ctl_client_close(c, cl, "daemon stopping");
    }
    slots_free(&c->clients);
    if (c->listen_fd >= 0) {
        loop_unwatch(c->epoll_fd, c->listen_fd);
        close(c->listen_fd);
        c->listen_fd = -1;
    }
    /* only the file we made: another daemon may have replaced it since */
    if (c->path[0] && stat(c->path, &st) == 0 && st.st_dev == c->path_dev &&
        st.st_ino == c->path_ino)
        unlink(c->path);
    c->path[0] = '\0';
    if (c->spare_fd >= 0) {
        close(c->spare_fd);
        c->spare_fd = -1;
    }
}

void
ctl_stats_print(const struct ctl_server *c, FILE *f)
{
    fprintf(f, "  %-24s %u\n", "ctl.clients", c->nclients);
#define CTL_STAT_PRINT_(name)                                                            \
    if (c->stats.name)                                                                   \
        fprintf(f, "  %-24s %llu\n", "ctl." #name, (unsigned long long)c->stats.name);
    CTL_STATS(CTL_STAT_PRINT_)
#undef CTL_STAT_PRINT_
}
