/*
 * sock_tcp.c - stream sockets: a TCP pcb behind a SOCK_STREAM pair.
 *
 * Owns: moving bytes between the pair and the connection's rings in
 * bounded bursts, with flow control both ways; connect's filler; the
 * listener's accept tokens; the socket options of TCP; and the end of a
 * socket: the application's close (an orphan drained into the send ring,
 * or SO_LINGER 0), or a hangup that is only both directions shut. See
 * sock.h for the design (and where it differs from docs/SOCKETS.md).
 *
 * The application's end and dfd, seen from here:
 *
 *   app writes  -> dfd readable  -> sock_tcp_tx: recv, tcp_send
 *                                   (send ring full: EPOLLIN off until
 *                                   the engine notifies send space)
 *   engine data -> notify, mark  -> sock_tcp_up: tcp_recv, send on dfd
 *                                   (pair full: keep the rest in so->up,
 *                                   EPOLLOUT on, take no more)
 *   app shut WR -> recv 0        -> tcp_shutdown(SHUT_WR): FIN after data
 *   peer FIN    -> tcp_recv EOF  -> shutdown(dfd, SHUT_WR): app reads 0
 *   app close   -> EPOLLHUP      -> drain, then tcp_close (or tcp_abort)
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/loop.h"
#include "daemon/sock.h"
#include "daemon/sock_var.h"
#include "proto/tcp_api.h"

#define SOCK_TCP_CHUNK 65536          /* one read from, or write to, the pair */
#define SOCK_TCP_BURST (256 * 1024)   /* bytes per direction per socket per round */
#define SOCK_TCP_RESUME 65536         /* send space that resumes a blocked reader */
#define SOCK_HUP_CHECK_MIN_US 10000   /* first check of a hangup that may not be one */
#define SOCK_HUP_CHECK_MAX_US 1000000 /* the checks back off to this */
/* SO_RCVBUF / SO_SNDBUF: doubled, as Linux; the engine takes at most TCP_BUF_MAX */
#define SOCK_TCP_BUF_VAL_MAX (TCP_BUF_MAX / 2)
/* Linux's limits for TCP_KEEPIDLE / TCP_KEEPINTVL (MAX_TCP_KEEP*) and TCP_KEEPCNT */
#define SOCK_KEEP_S_MAX 32767
#define SOCK_KEEPCNT_MAX 127

/* IPPROTO_TCP option names (Linux's values): <netinet/tcp.h> cannot be
 * included next to the engine's enum tcp_state, which has the same names. */
#define SOCK_OPT_NODELAY 1     /* TCP_NODELAY */
#define SOCK_OPT_MAXSEG 2      /* TCP_MAXSEG */
#define SOCK_OPT_KEEPIDLE 4    /* TCP_KEEPIDLE */
#define SOCK_OPT_KEEPINTVL 5   /* TCP_KEEPINTVL */
#define SOCK_OPT_KEEPCNT 6     /* TCP_KEEPCNT */
#define SOCK_OPT_CONGESTION 13 /* TCP_CONGESTION */

/* Filler and accept tokens: their content does not matter. */
static const uint8_t sock_zeros[SOCK_TCP_CHUNK];

enum sock_tx {
    TX_EMPTY, /* the pair has nothing more for now */
    TX_FULL,  /* the send ring is full */
    TX_MORE,  /* a burst moved; there may be more */
    TX_EOF,   /* the application's stream ended */
};

static void sock_tcp_gone(struct sock_table *t, struct sock *so);

/* dfd's epoll interest from the socket's state: the application's bytes
 * unless reading is stopped, EPOLLOUT while something waits for room in the
 * pair. Nothing at all during a connect: dfd holds only the filler, and a
 * hangup is reported whatever the interest. */
static void
sock_tcp_interest(struct sock_table *t, struct sock *so)
{
    uint32_t ev = 0;

    if (!so->connecting) {
        if (!so->rd_eof && !so->tx_blocked)
            ev |= EPOLLIN | EPOLLRDHUP;
        if (so->up_blocked)
            ev |= EPOLLOUT;
    }
    sock_set_events(t, so, ev);
}

/* ---- application -> engine ----------------------------------------------- */

/* Up to a burst of what the application wrote, into the send ring; what
 * the connection can no longer take (never connected, reset, a listener)
 * is read and dropped, so that the application's writes do not hang. */
static enum sock_tx
sock_tcp_tx(struct sock_table *t, struct sock *so)
{
    struct tcp_pcb *c = so->tcp;
    size_t budget = SOCK_TCP_BURST;

    while (budget) {
        bool discard = !tcp_sendable(c);
        size_t want = budget < SOCK_TCP_CHUNK ? budget : SOCK_TCP_CHUNK;
        if (!discard) {
            /* a soft error (ICMP) on a live connection: tcp_send would
             * return it instead of the bytes; keep it for SO_ERROR */
            if (tcp_error(c))
                so->so_error = tcp_take_error(c);
            size_t space = tcp_send_space(t->s, c);
            if (space == 0)
                return TX_FULL;
            if (want > space)
                want = space;
        }
        ssize_t n = recv(so->dfd, t->buf, want, MSG_DONTWAIT);
        if (n < 0) {
            /* ECONNRESET, once: it closed with our bytes unread */
            if (errno == ECONNRESET)
                so->app_unread = true;
            if (errno == EINTR || errno == ECONNRESET)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return TX_EMPTY;
            DLOG(t->log, LOG_DEBUG, "sock", "socket %u: recv: %s", so->id,
                 strerror(errno));
            return TX_EOF;
        }
        if (n == 0)
            return TX_EOF;
        budget -= (size_t)n;
        if (discard) {
            t->stats.tcp_tx_discarded += (uint64_t)n;
            continue;
        }
        ssize_t q = tcp_send(t->s, c, t->buf, (size_t)n);
        if (q > 0)
            t->stats.tcp_tx_bytes += (uint64_t)q;
        if (q < n) /* cannot happen: there was room */
            t->stats.tcp_tx_discarded += (uint64_t)(n - (q > 0 ? q : 0));
    }
    t->stats.tcp_burst_limited++;
    return TX_MORE;
}

/* What a read from the pair means for the socket. */
static void
sock_tcp_tx_done(struct sock_table *t, struct sock *so, enum sock_tx r)
{
    switch (r) {
    case TX_FULL:
        if (!so->tx_blocked)
            t->stats.tcp_tx_blocked++;
        so->tx_blocked = true; /* until the engine notifies send space */
        break;
    case TX_EMPTY: so->tx_blocked = false; break;
    case TX_MORE:
        so->tx_blocked = false;
        if (!so->watched)
            sock_mark(t, so); /* no EPOLLIN will bring us back */
        break;
    case TX_EOF:
        so->tx_blocked = false;
        so->rd_eof = true;
        /* shutdown(fd, SHUT_WR) by the application: FIN after its data */
        if (tcp_sendable(so->tcp) && tcp_shutdown(t->s, so->tcp, SHUT_WR) == 0)
            t->stats.tcp_fins++;
        break;
    }
    sock_tcp_interest(t, so);
}

/* Is it worth reading from the pair again, after the send ring filled? */
static bool
sock_tcp_tx_ready(const struct sock_table *t, const struct sock *so)
{
    const struct tcp_pcb *c = so->tcp;
    size_t space = tcp_send_space(t->s, c);
    size_t quarter = tcp_sndbuf(c) / 4;
    size_t resume = quarter < SOCK_TCP_RESUME ? quarter : SOCK_TCP_RESUME;

    if (!tcp_sendable(c))
        return true; /* to read and drop */
    return space > 0 && space >= resume;
}

/* Anything in the pair before a connect: written while not connected
 * (Linux fails such writes with EPIPE). */
static void
sock_tcp_drop_pending(struct sock_table *t, struct sock *so)
{
    ssize_t n;

    while ((n = recv(so->dfd, t->buf, SOCK_TCP_CHUNK, MSG_DONTWAIT)) > 0 ||
           (n < 0 && (errno == EINTR || errno == ECONNRESET))) {
        if (n > 0)
            t->stats.tcp_tx_discarded += (uint64_t)n;
        else if (errno == ECONNRESET)
            so->app_unread = true;
    }
}

/* ---- engine -> application ------------------------------------------------ */

/* What the engine holds for an application that will not read it. */
static void
sock_tcp_discard_up(struct sock_table *t, struct sock *so)
{
    struct tcp_pcb *c = so->tcp;
    size_t avail;

    t->stats.tcp_rx_discarded += so->up_len;
    so->up_len = so->up_off = 0;
    so->up_blocked = false;
    while ((avail = tcp_recv_avail(c)) > 0) {
        ssize_t n =
            tcp_recv(t->s, c, t->buf, avail < SOCK_TCP_CHUNK ? avail : SOCK_TCP_CHUNK);
        if (n <= 0)
            break;
        t->stats.tcp_rx_discarded += (uint64_t)n;
    }
}

/* The application reads what the pair holds, then end of file. */
static void
sock_tcp_eof_up(struct sock_table *t, struct sock *so)
{
    if (so->up_eof)
        return;
    so->up_eof = true;
    t->stats.tcp_rx_eof++;
    if (shutdown(so->dfd, SHUT_WR) < 0)
        DLOG(t->log, LOG_DEBUG, "sock", "socket %u: shutdown: %s", so->id,
             strerror(errno));
}

/* The connection is over (reset, timed out, refused, or closed): shut
 * dfd's reading side, so that the application's writes fail with EPIPE
 * (the library then reports SO_ERROR first), as a kernel socket's do after
 * the end. What it wrote before is read and dropped. */
static void
sock_tcp_dead(struct sock_table *t, struct sock *so)
{
    if (so->tx_dead || !so->started || tcp_state(so->tcp) != TCP_CLOSED)
        return;
    so->tx_dead = true;
    if (shutdown(so->dfd, SHUT_RD) < 0)
        DLOG(t->log, LOG_DEBUG, "sock", "socket %u: shutdown: %s", so->id,
             strerror(errno));
}

/* Bytes up the pair: how many it took (0 when full), or -1 when it takes
 * no more (EPIPE: the application shut its reading side, or closed). */
static ssize_t
sock_tcp_write_up(struct sock_table *t, struct sock *so, const uint8_t *b, size_t len)
{
    ssize_t w;

    do {
        w = send(so->dfd, b, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (w < 0 && errno == EINTR);
    if (w >= 0) {
        t->stats.tcp_rx_bytes += (uint64_t)w;
        return w;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return 0;
    DLOG(t->log, LOG_DEBUG, "sock", "socket %u: send: %s", so->id, strerror(errno));
    so->up_broken = true;
    return -1;
}

/* Up to a burst of received bytes to the application, then EOF once the
 * peer's FIN (or the end of the connection) is reached. A byte is taken
 * from the engine only when the pair has taken all the earlier ones. */
static void
sock_tcp_up(struct sock_table *t, struct sock *so)
{
    struct tcp_pcb *c = so->tcp;
    size_t budget = SOCK_TCP_BURST;

    if (!so->started || so->connecting)
        return;
    if (so->rd_shut || so->up_broken || so->up_eof) {
        sock_tcp_discard_up(t, so);
        sock_tcp_interest(t, so);
        return;
    }
    so->up_blocked = false;
    for (;;) {
        if (so->up_len) {
            ssize_t w = sock_tcp_write_up(t, so, so->up + so->up_off, so->up_len);
            if (w < 0) {
                sock_tcp_discard_up(t, so);
                break;
            }
            so->up_off += (uint32_t)w;
            so->up_len -= (uint32_t)w;
            if (so->up_len) {
                so->up_blocked = true;
                break;
            }
            continue;
        }
        size_t avail = tcp_recv_avail(c);
        if (avail == 0) {
            if (tcp_recv_eof(c) || tcp_state(c) == TCP_CLOSED)
                sock_tcp_eof_up(t, so); /* an error waits in SO_ERROR */
            break;
        }
        if (budget == 0) {
            t->stats.tcp_burst_limited++;
            sock_mark(t, so); /* the rest next round */
            break;
        }
        if (!so->up && !(so->up = malloc(SOCK_TCP_CHUNK))) {
            sock_mark(t, so);
            break;
        }
        size_t want = avail < SOCK_TCP_CHUNK ? avail : SOCK_TCP_CHUNK;
        if (want > budget)
            want = budget;
        ssize_t n = tcp_recv(t->s, c, t->buf, want);
        if (n <= 0)
            break;
        budget -= (size_t)n;
        ssize_t w = sock_tcp_write_up(t, so, t->buf, (size_t)n);
        if (w < 0) {
            t->stats.tcp_rx_discarded += (uint64_t)n;
            sock_tcp_discard_up(t, so);
            break;
        }
        if (w < n) { /* the pair is full: keep the rest, take no more */
            memcpy(so->up, t->buf + w, (size_t)(n - w));
            so->up_off = 0;
            so->up_len = (uint32_t)(n - w);
            so->up_blocked = true;
            t->stats.tcp_rx_backlogged++;
            break;
        }
    }
    sock_tcp_interest(t, so);
}

/* ---- connect's filler, listen's tokens ------------------------------------ */

/* Make the application's end unwritable until the handshake ends: write
 * from it (fd came with CTL_CONNECT) until its send buffer is full. The
 * bytes wait in dfd's receive queue, charged to the application's end. */
static void
sock_tcp_fill(struct sock_table *t, struct sock *so, int fd)
{
    for (;;) {
        ssize_t n = send(fd, sock_zeros, sizeof(sock_zeros), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        so->filler += (uint32_t)n;
    }
    t->stats.tcp_filler_bytes += so->filler;
}

/* Take the filler back out of dfd: the application's end is writable
 * again (POLLOUT), and what it writes from now on is its own. */
static void
sock_tcp_unfill(struct sock_table *t, struct sock *so)
{
    while (so->filler) {
        size_t want = so->filler < SOCK_TCP_CHUNK ? so->filler : SOCK_TCP_CHUNK;
        ssize_t n = recv(so->dfd, t->buf, want, MSG_DONTWAIT);
        if (n < 0 && errno == ECONNRESET)
            so->app_unread = true;
        if (n < 0 && (errno == EINTR || errno == ECONNRESET))
            continue;
        if (n <= 0) {
            DLOG(t->log, LOG_ERROR, "sock", "socket %u: %u filler bytes missing: %s",
                 so->id, so->filler, n < 0 ? strerror(errno) : "end of stream");
            break;
        }
        so->filler -= (uint32_t)n;
    }
    so->filler = 0;
}

/* The handshake ended, either way: SO_ERROR tells which. */
static void
sock_tcp_connect_done(struct sock_table *t, struct sock *so)
{
    sock_tcp_unfill(t, so);
    so->connecting = false;
    if (tcp_state(so->tcp) == TCP_CLOSED)
        t->stats.tcp_connect_failed++; /* sock_tcp_up gives EOF */
    else
        t->stats.tcp_connected++;
    DLOG(t->log, LOG_DEBUG, "sock", "socket %u: connect done (%s)", so->id,
         tcp_state_name(tcp_state(so->tcp)));
    sock_tcp_interest(t, so);
}

/* One byte in the listener's pair per established child waiting. */
static void
sock_tcp_tokens(struct sock_table *t, struct sock *so)
{
    uint32_t want = tcp_accept_ready(so->tcp);

    so->up_blocked = false;
    while (so->tokens < want && !so->up_broken) {
        size_t n = want - so->tokens;
        ssize_t w = send(so->dfd, sock_zeros, n < SOCK_TCP_CHUNK ? n : SOCK_TCP_CHUNK,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                so->up_blocked = true;
            else
                so->up_broken = true;
            break;
        }
        so->tokens += (uint32_t)w;
        t->stats.tcp_tokens += (uint64_t)w;
    }
    sock_tcp_interest(t, so);
}

/* ---- the end of a socket -------------------------------------------------- */

/* Did the application close with received data it never read: in its
 * end of the pair (the kernel tells us with ECONNRESET on dfd, as
 * unix_release_sock sets it for a peer that dies with its receive queue
 * not empty), in our hands, or still in the engine's receive ring? */
static bool
sock_tcp_unread(struct sock *so)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(so->dfd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == ECONNRESET)
        so->app_unread = true;
    return so->app_unread || so->up_len || tcp_recv_avail(so->tcp);
}

/* RFC 9293 §3.10.4 and RFC 2525 §2.17 ("failure to RST on close with data
 * pending"): a connection closed with data the application never read is
 * aborted with a RST, not ended with a FIN, so that the peer learns its
 * data was lost (as Linux's tcp_close). Only where a RST goes out: in
 * LAST_ACK, CLOSING, TIME_WAIT the peer has closed too. True if done. */
static bool
sock_tcp_reset_unread(struct sock_table *t, struct sock *so)
{
    switch (tcp_state(so->tcp)) {
    case TCP_SYN_RECEIVED:
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_FIN_WAIT_2:
    case TCP_CLOSE_WAIT: break;
    default: return false;
    }
    if (!sock_tcp_unread(so))
        return false;
    DLOG(t->log, LOG_DEBUG, "sock", "socket %u: closed with data unread: reset", so->id);
    t->stats.tcp_unread_resets++;
    tcp_abort(t->s, so->tcp);
    so->tcp = NULL;
    sock_free(t, so);
    return true;
}

/* The application is gone and its last bytes are in the send ring (or
 * dropped): the connection closes gracefully, owned by the engine alone,
 * unless data arrived for it meanwhile (a reset, as above). */
static void
sock_tcp_release(struct sock_table *t, struct sock *so)
{
    if (sock_tcp_reset_unread(t, so))
        return;
    sock_tcp_discard_up(t, so);
    tcp_close(t->s, so->tcp);
    so->tcp = NULL;
    t->stats.tcp_closes++;
    sock_free(t, so);
}

/* An orphan: what the application wrote before closing goes into the send
 * ring (as send space allows, a burst a round), then tcp_close. */
static void
sock_tcp_orphan(struct sock_table *t, struct sock *so)
{
    if (!so->rd_eof) {
        enum sock_tx r = sock_tcp_tx(t, so);
        if (r == TX_MORE) {
            sock_mark(t, so);
            return;
        }
        if (r == TX_FULL) {
            if (!so->tx_blocked)
                t->stats.tcp_tx_blocked++;
            so->tx_blocked = true; /* the engine notifies send space */
            return;
        }
        /* TX_EOF; after a close no read finds the pair empty (TX_EMPTY) */
        so->rd_eof = true;
    }
    sock_tcp_release(t, so);
}

/* The application closed its end for good. */
static void
sock_tcp_gone(struct sock_table *t, struct sock *so)
{
    struct tcp_pcb *c = so->tcp;

    so->app_gone = true;
    sock_unwatch(t, so);
    if (so->linger == 0) {
        /* SO_LINGER {1, 0}: reset now, queued data dropped (as Linux's
         * tcp_close -> tcp_disconnect) */
        switch (tcp_state(c)) {
        case TCP_SYN_RECEIVED:
        case TCP_ESTABLISHED:
        case TCP_FIN_WAIT_1:
        case TCP_FIN_WAIT_2:
        case TCP_CLOSE_WAIT: t->stats.tcp_linger_resets++; break;
        default: break;
        }
        tcp_abort(t->s, c);
        so->tcp = NULL;
        sock_free(t, so);
        return;
    }
    /* nothing of the application's to send: a listener (its waiting
     * children are reset), a connect under way, a socket never connected */
    if (so->connecting || !so->started || tcp_state(c) == TCP_LISTEN) {
        tcp_close(t->s, c);
        so->tcp = NULL;
        t->stats.tcp_closes++;
        sock_free(t, so);
        return;
    }
    /* unread data: reset at once; what it wrote and we did not send yet
     * is dropped, as Linux drops its send queue */
    if (sock_tcp_reset_unread(t, so))
        return;
    if (!so->rd_eof)
        t->stats.tcp_orphans++;
    sock_tcp_orphan(t, so);
}

/* dfd reports a hangup (EPOLLHUP: both directions of the pair are shut).
 * The application closed its end, unless we shut one direction ourselves
 * (EOF up the pair, or reading after the connection ended) and it shut the
 * other: then sock_diag says whether its end still exists. */
static void
sock_tcp_hangup(struct sock_table *t, struct sock *so)
{
    sock_unwatch(t, so); /* epoll repeats a hangup for ever */
    so->hup = true;
    so->up_blocked = false;
    if ((so->up_eof || so->up_broken || so->tx_dead) && sock_app_alive(t, so) == 1) {
        t->stats.tcp_hup_alive++;
        t->n_hup++;
        so->hup_check_us = SOCK_HUP_CHECK_MIN_US;
        so->hup_check_at = loop_now_us() + so->hup_check_us;
        if (t->n_hup == 1 || so->hup_check_at < t->hup_at)
            t->hup_at = so->hup_check_at;
        sock_mark(t, so); /* what it wrote before shutting goes on */
        return;
    }
    sock_tcp_gone(t, so);
}

void
sock_tcp_hup_check(struct sock_table *t, struct sock *so, uint64_t now_us)
{
    if (sock_app_alive(t, so) == 1) {
        so->hup_check_us *= 2;
        if (so->hup_check_us > SOCK_HUP_CHECK_MAX_US)
            so->hup_check_us = SOCK_HUP_CHECK_MAX_US;
        so->hup_check_at = now_us + so->hup_check_us;
        return;
    }
    t->n_hup--;
    sock_tcp_gone(t, so);
}

void
sock_tcp_abort(struct sock_table *t, struct sock *so)
{
    if (!so->tcp)
        return;
    tcp_abort(t->s, so->tcp);
    so->tcp = NULL;
    t->stats.tcp_aborts++;
}

/* ---- events and rounds ---------------------------------------------------- */

void
sock_tcp_on_event(struct sock_table *t, struct sock *so, uint32_t events)
{
    if (events & (EPOLLHUP | EPOLLERR)) {
        sock_tcp_hangup(t, so); /* may free so */
        return;
    }
    if (events & EPOLLOUT)
        sock_mark(t, so);
    if (so->connecting || so->rd_eof || so->tx_blocked)
        return;
    if (events & (EPOLLIN | EPOLLRDHUP))
        sock_tcp_tx_done(t, so, sock_tcp_tx(t, so));
}

void
sock_tcp_push(struct sock_table *t, struct sock *so)
{
    struct tcp_pcb *c = so->tcp;

    if (so->connecting) {
        if (tcp_state(c) == TCP_SYN_SENT)
            return;
        sock_tcp_connect_done(t, so);
    }
    if (tcp_state(c) == TCP_LISTEN) {
        sock_tcp_tokens(t, so);
        return;
    }
    /* reading the pair stopped for send space, or is ours to drive since
     * dfd left the epoll set at its hangup */
    if (!so->rd_eof && (so->tx_blocked || so->hup) && sock_tcp_tx_ready(t, so)) {
        if (so->app_gone) {
            sock_tcp_orphan(t, so); /* may free so */
            return;
        }
        sock_tcp_tx_done(t, so, sock_tcp_tx(t, so));
    }
    if (so->app_gone)
        return;
    sock_tcp_dead(t, so);
    sock_tcp_up(t, so);
}

/* ---- the operations ------------------------------------------------------- */

int
sock_tcp_open(struct sock_table *t, struct sock *so)
{
    so->tcp = tcp_open(t->s, so);
    if (!so->tcp)
        return -ENOBUFS;
    so->rcvbuf = (int32_t)tcp_rcvbuf(so->tcp);
    so->sndbuf = (int32_t)tcp_sndbuf(so->tcp);
    return 0;
}

int
sock_tcp_bind(struct sock_table *t, struct sock *so, uint32_t addr, uint16_t port)
{
    return tcp_bind(t->s, so->tcp, addr, port);
}

int
sock_tcp_connect(struct sock_table *t, struct sock *so, int fd, int family, uint32_t addr,
                 uint16_t port)
{
    struct tcp_pcb *c = so->tcp;
    int rc;

    /* DEVIATION: AF_UNSPEC (Linux: disconnect) is refused */
    if (family != AF_INET)
        return family == AF_UNSPEC ? -EINVAL : -EAFNOSUPPORT;
    /* under way, connected, listening, or used: the engine's answer
     * (-EALREADY, -EISCONN, -EINVAL). DEVIATION: after a failed connect
     * (the application has read EOF) the socket cannot connect again */
    if (so->started || tcp_state(c) != TCP_CLOSED)
        return tcp_connect(t->s, c, addr, port);
    sock_tcp_drop_pending(t, so);
    sock_tcp_fill(t, so, fd);
    rc = tcp_connect(t->s, c, addr, port);
    if (rc < 0) {
        sock_tcp_unfill(t, so);
        return rc;
    }
    so->started = true;
    so->connecting = true;
    t->stats.tcp_connects++;
    sock_tcp_interest(t, so);
    return -EINPROGRESS;
}

int
sock_tcp_listen(struct sock_table *t, struct sock *so, int backlog)
{
    bool first = tcp_state(so->tcp) != TCP_LISTEN;
    int rc;

    if (so->started)
        return -EINVAL;
    rc = tcp_listen(t->s, so->tcp, backlog);
    if (rc == 0 && first) {
        t->stats.tcp_listens++;
        sock_mark(t, so);
    }
    return rc;
}

int
sock_tcp_accept(struct sock_table *t, struct sock *l, pid_t pid, uid_t uid,
                struct sock **out, int *app_fd, uint32_t *addr, uint16_t *port)
{
    struct sock *so;
    int rc;

    if (tcp_state(l->tcp) != TCP_LISTEN)
        return -EINVAL;
    if (l->tokens)
        l->tokens--; /* the library read one before asking */
    if (!tcp_accept_ready(l->tcp)) {
        t->stats.tcp_accept_empty++; /* it died after its token was written */
        return -EAGAIN;
    }
    rc = sock_new(t, SOCK_STREAM, false, pid, uid, &so, app_fd);
    if (rc == 0) {
        rc = sock_insert(t, so);
        if (rc < 0)
            sock_discard(t, so, *app_fd);
    }
    if (rc < 0) {
        sock_mark(t, l); /* the child still waits: a token for it */
        return rc;
    }
    so->tcp = tcp_accept(t->s, l->tcp, so);
    so->started = true;
    /* as the kernel's sk_clone_lock: a restarted server binds its port
     * again at once although these connections linger (SO_REUSEADDR) */
    tcp_set_reuseaddr(so->tcp, tcp_reuseaddr(l->tcp));
    so->linger = l->linger;
    so->broadcast = l->broadcast;
    so->rcvbuf = l->rcvbuf;
    so->sndbuf = l->sndbuf;
    tcp_peer_name(so->tcp, addr, port);
    t->stats.tcp_accepts++;
    sock_mark(t, so); /* data, even the FIN, may be waiting */
    *out = so;
    return 0;
}

int
sock_tcp_name(struct sock *so, int peer, uint32_t *addr, uint16_t *port)
{
    const struct tcp_pcb *c = so->tcp;

    if (peer) {
        int st = tcp_state(c);
        /* as Linux's inet_getname: not before the handshake, not after
         * the end */
        tcp_peer_name(c, addr, port);
        if (!*port || st == TCP_CLOSED || st == TCP_SYN_SENT || st == TCP_LISTEN)
            return -ENOTCONN;
    } else {
        tcp_local_name(c, addr, port);
    }
    return 0;
}

/* SO_KEEPALIVE as it is now. */
static int
sock_tcp_keepalive(const struct tcp_pcb *c)
{
    uint32_t idle_s, intvl_s, cnt;
    int on;

    tcp_get_keepalive(c, &on, &idle_s, &intvl_s, &cnt);
    return on;
}

int
sock_tcp_setopt(struct sock_table *t, struct sock *so, int level, int name, int32_t value)
{
    struct tcp_pcb *c = so->tcp;
    int32_t v;

    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_REUSEADDR: tcp_set_reuseaddr(c, value != 0); return 0;
        case SO_REUSEPORT: tcp_set_reuseport(c, value != 0, so->owner_uid); return 0;
        case SO_BROADCAST: so->broadcast = value != 0; return 0;
        case SO_KEEPALIVE: tcp_set_keepalive(t->s, c, value != 0, 0, 0, 0); return 0;
        case SO_LINGER: so->linger = value < 0 ? -1 : value; return 0;
        case SO_RCVBUF:
        case SO_SNDBUF:
            /* Linux never refuses a size; the engine cannot shrink a
             * receive ring under the window it offered: the old size
             * stays, and is what SO_RCVBUF reports */
            v = sock_buf_size(value,
                              name == SO_RCVBUF ? SOCK_MIN_RCVBUF : SOCK_MIN_SNDBUF,
                              SOCK_TCP_BUF_VAL_MAX);
            if (tcp_set_bufs(t->s, c, name == SO_SNDBUF ? (uint32_t)v : 0,
                             name == SO_RCVBUF ? (uint32_t)v : 0) < 0) {
                DLOG(t->log, LOG_DEBUG, "sock", "socket %u: buffer size %d refused",
                     so->id, v);
                return 0;
            }
            if (name == SO_RCVBUF)
                so->rcvbuf = v;
            else
                so->sndbuf = v;
            return 0;
        default: return -ENOPROTOOPT;
        }
    }
    if (level != IPPROTO_TCP)
        return -ENOPROTOOPT;
    switch (name) {
    case SOCK_OPT_NODELAY: tcp_set_nodelay(t->s, c, value != 0); return 0;
    case SOCK_OPT_KEEPIDLE:
    case SOCK_OPT_KEEPINTVL:
        if (value < 1 || value > SOCK_KEEP_S_MAX)
            return -EINVAL;
        tcp_set_keepalive(t->s, c, sock_tcp_keepalive(c),
                          name == SOCK_OPT_KEEPIDLE ? (uint32_t)value : 0,
                          name == SOCK_OPT_KEEPINTVL ? (uint32_t)value : 0, 0);
        return 0;
    case SOCK_OPT_KEEPCNT:
        if (value < 1 || value > SOCK_KEEPCNT_MAX)
            return -EINVAL;
        tcp_set_keepalive(t->s, c, sock_tcp_keepalive(c), 0, 0, (uint32_t)value);
        return 0;
    default: return -ENOPROTOOPT; /* TCP_MAXSEG included: read only here */
    }
}

int
sock_tcp_getopt(struct sock_table *t, struct sock *so, int level, int name,
                int32_t *value)
{
    struct tcp_pcb *c = so->tcp;
    uint32_t idle_s, intvl_s, cnt;
    int keep;

    (void)t;
    tcp_get_keepalive(c, &keep, &idle_s, &intvl_s, &cnt);
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_REUSEADDR: *value = tcp_reuseaddr(c); return 0;
        case SO_REUSEPORT: *value = tcp_reuseport(c); return 0;
        case SO_BROADCAST: *value = so->broadcast; return 0;
        case SO_KEEPALIVE: *value = keep; return 0;
        case SO_LINGER: *value = so->linger; return 0;
        case SO_ACCEPTCONN: *value = tcp_state(c) == TCP_LISTEN; return 0;
        case SO_ERROR:
            if (so->so_error) {
                *value = so->so_error;
                so->so_error = 0;
            } else {
                *value = tcp_take_error(c);
            }
            return 0;
        default: return -ENOPROTOOPT;
        }
    }
    if (level != IPPROTO_TCP)
        return -ENOPROTOOPT;
    switch (name) {
    case SOCK_OPT_NODELAY: *value = tcp_nodelay(c); return 0;
    case SOCK_OPT_KEEPIDLE: *value = (int32_t)idle_s; return 0;
    case SOCK_OPT_KEEPINTVL: *value = (int32_t)intvl_s; return 0;
    case SOCK_OPT_KEEPCNT: *value = (int32_t)cnt; return 0;
    case SOCK_OPT_MAXSEG: *value = (int32_t)tcp_mss(c); return 0;
    default: return -ENOPROTOOPT;
    }
}

int
sock_tcp_setopt_str(struct sock_table *t, struct sock *so, int level, int name,
                    const char *value)
{
    if (level != IPPROTO_TCP || name != SOCK_OPT_CONGESTION)
        return -ENOPROTOOPT;
    return tcp_set_cc(t->s, so->tcp, value); /* -ENOENT: no such algorithm */
}

int
sock_tcp_getopt_str(struct sock *so, int level, int name, char value[CTL_OPT_STR_LEN])
{
    if (level != IPPROTO_TCP || name != SOCK_OPT_CONGESTION)
        return -ENOPROTOOPT;
    memset(value, 0, CTL_OPT_STR_LEN);
    strncpy(value, tcp_cc_name(so->tcp), CTL_OPT_STR_LEN - 1);
    return 0;
}

int
sock_tcp_shutdown(struct sock_table *t, struct sock *so, int fd, int how)
{
    struct tcp_pcb *c = so->tcp, *n;

    if (tcp_state(c) == TCP_LISTEN) {
        if (how == SHUT_WR)
            return 0; /* nothing to send on a listener */
        /* As Linux's inet_shutdown -> tcp_disconnect: it stops listening
         * and resets the connections waiting; an accept() blocked on a
         * token reads EOF, and CTL_ACCEPT then says EINVAL. DEVIATION: the
         * socket cannot listen or connect again (its pair gave EOF). */
        n = tcp_open(t->s, so);
        if (!n)
            return -ENOBUFS;
        tcp_copy_options(t->s, n, c);
        tcp_abort(t->s, c);
        so->tcp = n;
        so->started = true;
        so->tokens = 0;
        sock_tcp_eof_up(t, so);
        return 0;
    }
    if (tcp_state(c) == TCP_CLOSED)
        return -ENOTCONN;
    if (how != SHUT_WR) {
        /* the application reads what the pair holds, then EOF; what
         * arrives later is dropped */
        tcp_shutdown(t->s, c, SHUT_RD);
        so->rd_shut = true;
        sock_tcp_eof_up(t, so);
        sock_mark(t, so);
    }
    /* the writing side is the application's own end, shut as the library
     * does it: the end of its stream follows its data, and becomes FIN */
    if (how != SHUT_RD && shutdown(fd, SHUT_WR) < 0)
        return -errno;
    return 0;
}

int
sock_tcp_info(struct sock *so, struct ctl_tcp_info *o)
{
    struct tcp_info_lite i;

    tcp_get_info(so->tcp, &i);
    *o = (struct ctl_tcp_info){
        .state = i.state,
        .rtt_us = i.rtt_us,
        .rttvar_us = i.rttvar_us,
        .rto_us = i.rto_us,
        .snd_mss = i.snd_mss,
        .cwnd = i.cwnd,
        .ssthresh = i.ssthresh,
        .total_retrans = i.total_retrans,
        .snd_wnd = i.snd_wnd,
        .rcv_wnd = i.rcv_wnd,
        .unacked = i.unacked,
        .unsent = i.unsent,
        .ca_state = i.ca_state,
        .backoff = i.backoff,
        .options = i.options,
        .snd_wscale = i.snd_wscale,
        .rcv_wscale = i.rcv_wscale,
        .rcv_mss = i.rcv_mss,
        .pmtu = i.pmtu,
        .retrans = i.retrans,
        .sacked = i.sacked,
        .lost = i.lost,
    };
    return 0;
}

void
sock_tcp_row(const struct sock *so, struct ctl_sock_info *r)
{
    const struct tcp_pcb *c = so->tcp;

    tcp_local_name(c, &r->laddr, &r->lport);
    tcp_peer_name(c, &r->raddr, &r->rport);
    r->state = tcp_state(c) == TCP_LISTEN ? SOCK_LISTENING
               : r->rport                 ? SOCK_CONNECTED
               : r->lport                 ? SOCK_BOUND
                                          : SOCK_IDLE;
    /* bytes waiting for the application: in the engine and in our hands */
    r->rx_queued = (uint32_t)tcp_recv_avail(c) + so->up_len;
}
