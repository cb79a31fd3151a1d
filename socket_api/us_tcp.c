/*
 * us_tcp.c - what only stream (TCP) sockets do in libustack: connect and
 * its wait, listen, accept with its tokens, shutdown, and the options
 * whose values are structures (SO_LINGER, TCP_INFO) or that the library
 * answers itself (SO_ACCEPTCONN). See ustack.h for the differences from
 * the kernel, and socket_api/ctl_proto.h for the control protocol.
 * TCP_CONGESTION, whose value is a name, travels as CTL_SETSOCKOPT_STR /
 * CTL_GETSOCKOPT_STR.
 *
 * A TCP socket's descriptor is one end of an AF_UNIX SOCK_STREAM pair:
 *  - connected, it carries the byte stream both ways; the daemon shuts its
 *    direction (the application reads end of file) at the peer's FIN, on
 *    an error (SO_ERROR says which) and after shutdown(SHUT_RD);
 *  - until a connect finishes, the daemon keeps the application's end full
 *    (filler bytes it drains when the handshake ends either way), so
 *    POLLOUT means "connect finished", as on a kernel socket;
 *  - listening, it carries one byte (a token) per connection waiting to be
 *    accepted: POLLIN means "accept will not block", as in the kernel.
 * So whether a descriptor carries data or tokens depends on the socket's
 * state, which the library remembers per descriptor (us_priv.h, enum
 * us_conn) and otherwise asks the daemon (CTL_TCP_INFO).
 */
#include "ustack.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "us_priv.h"

static int
us_tcp_info(int fd, struct ctl_tcp_info *ti)
{
    struct ctl_msg m = {0};
    int r = us_call(CTL_TCP_INFO, fd, &m);

    if (r >= 0)
        *ti = m.u.tcp_info;
    return r < 0 ? r : 0;
}

int
us_tcp_state(int fd)
{
    struct ctl_tcp_info ti;
    int r = us_tcp_info(fd, &ti);

    return r < 0 ? r : (int)ti.state;
}

int
us_tcp_conn(int fd, const struct stat *st, int conn)
{
    if (conn != US_CONN_UNKNOWN)
        return conn;
    int state = us_tcp_state(fd);
    switch (state) {
    case US_TCPS_CLOSED: return US_CONN_UNKNOWN; /* never connected, or no more */
    case US_TCPS_LISTEN: conn = US_CONN_LISTENING; break;
    case US_TCPS_SYN_SENT:
    case US_TCPS_SYN_RECEIVED: conn = US_CONN_CONNECTING; break;
    default:
        if (state < 0)
            return state;
        conn = US_CONN_CONNECTED;
        break;
    }
    us_note_set(fd, st, US_STREAM, conn);
    return conn;
}

/* ---- connect ---- */

/* The descriptor's SO_SNDTIMEO in ms for poll(), -1 for none: a blocking
 * connect gives up after it with EINPROGRESS, as the kernel's. */
static int
us_sndtimeo_ms(int fd)
{
    struct timeval tv;
    socklen_t len = sizeof(tv);

    if (getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len) < 0 ||
        (tv.tv_sec == 0 && tv.tv_usec == 0))
        return -1;
    if (tv.tv_sec >= INT_MAX / 1000 - 1)
        return INT_MAX;
    return (int)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
}

/* The end of a connect under way: the daemon made the descriptor writable
 * when the handshake ended; SO_ERROR says how. */
static int
us_tcp_connect_result(int fd, const struct stat *st)
{
    int e = us_take_error(fd);

    if (e < 0)
        return us_fail(e);
    if (e > 0) {
        us_note_set(fd, st, US_STREAM, US_CONN_UNKNOWN);
        return us_fail(-e);
    }
    us_note_set(fd, st, US_STREAM, US_CONN_CONNECTED);
    return 0;
}

/* inet_wait_for_connect(): a blocking descriptor waits; err is what a
 * non-blocking one gets (EINPROGRESS, EALREADY). */
static int
us_tcp_connect_wait(int fd, const struct stat *st, int err)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0)
        return -1;
    if (fl & O_NONBLOCK)
        return us_fail(err);
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int n = poll(&p, 1, us_sndtimeo_ms(fd));
    if (n < 0)
        return -1; /* EINTR: still connecting; a later connect() tells the end */
    if (n == 0)
        return us_fail(-EINPROGRESS); /* SO_SNDTIMEO ran out */
    return us_tcp_connect_result(fd, st);
}

int
us_tcp_connect(int fd, const struct stat *st, int conn, const struct ctl_addr *to,
               int addr_err)
{
    int r, state;

    /* __inet_stream_connect(): SS_CONNECTED stays so after the connection
     * ended, and says EISCONN before looking at the address */
    if (conn == US_CONN_CONNECTED || conn == US_CONN_BROKEN)
        return us_fail(-EISCONN);
    if (conn == US_CONN_CONNECTING || addr_err) {
        /* __inet_stream_connect(): the state first, then the address */
        state = us_tcp_state(fd);
        if (state < 0)
            return us_fail(state);
        switch (state) {
        case US_TCPS_CLOSED:
            if (conn != US_CONN_CONNECTING)
                return us_fail(addr_err);
            /* SS_CONNECTING and closed: an earlier connect failed. Its
             * error (or ECONNABORTED, once read); the next connect starts
             * afresh */
            r = us_take_error(fd);
            us_note_set(fd, st, US_STREAM, US_CONN_UNKNOWN);
            return us_fail(r < 0 ? r : r > 0 ? -r : -ECONNABORTED);
        case US_TCPS_SYN_SENT:
        case US_TCPS_SYN_RECEIVED: return us_tcp_connect_wait(fd, st, -EALREADY);
        default:
            if (conn == US_CONN_CONNECTING) {
                /* an earlier non-blocking connect succeeded: 0, once */
                us_note_set(fd, st, US_STREAM, US_CONN_CONNECTED);
                return 0;
            }
            return us_fail(-EISCONN);
        }
    }
    if (conn == US_CONN_LISTENING)
        return us_fail(-EISCONN); /* SS_UNCONNECTED, but not TCP_CLOSE */
    struct ctl_msg m = {.u.addr = *to};
    r = us_call(CTL_CONNECT, fd, &m);
    switch (r) {
    case 0: /* finished at once */
        us_note_set(fd, st, US_STREAM, US_CONN_CONNECTED);
        return 0;
    case -EINPROGRESS:
        us_note_set(fd, st, US_STREAM, US_CONN_CONNECTING);
        return us_tcp_connect_wait(fd, st, r);
    case -EALREADY:
        us_note_set(fd, st, US_STREAM, US_CONN_CONNECTING);
        return us_tcp_connect_wait(fd, st, r);
    default: return us_fail(r);
    }
}

/* ---- listen, accept ---- */

int
us_listen(int fd, int backlog)
{
    struct ctl_msg m = {.u.listen = {backlog}};
    struct stat st;
    int r, conn;

    if ((r = us_fd_stat(fd, &st)) < 0)
        return us_fail(r);
    enum us_kind kind = us_fd_kind(fd, &st, &conn);
    if (kind == US_DGRAM)
        return us_fail(-EOPNOTSUPP); /* sock_no_listen() */
    /* inet_listen(): only an unconnected socket */
    if (conn == US_CONN_CONNECTED || conn == US_CONN_CONNECTING || conn == US_CONN_BROKEN)
        return us_fail(-EINVAL);
    if ((r = us_call(CTL_LISTEN, fd, &m)) < 0)
        return us_fail(r);
    if (kind == US_STREAM)
        us_note_set(fd, &st, kind, US_CONN_LISTENING);
    return 0;
}

/* The connection the daemon handed over: flags, note, address. */
static int
us_accepted(int nfd, struct sockaddr *addr, socklen_t *addrlen,
            const struct ctl_addr *peer, int flags)
{
    struct stat st;
    int r;

    if (us_fd_stat(nfd, &st) < 0) {
        close(nfd);
        return us_fail(-EPROTO);
    }
    /* the descriptor arrived close-on-exec (MSG_CMSG_CLOEXEC) */
    if (!(flags & SOCK_CLOEXEC) && fcntl(nfd, F_SETFD, 0) < 0)
        goto fail;
    if (flags & SOCK_NONBLOCK) {
        int fl = fcntl(nfd, F_GETFL);
        if (fl < 0 || fcntl(nfd, F_SETFL, fl | O_NONBLOCK) < 0)
            goto fail;
    }
    us_note_set(nfd, &st, US_STREAM, US_CONN_CONNECTED);
    if (addr) {
        struct sockaddr_in sin = us_sin(peer->addr, peer->port);
        us_addr_out(&sin, addr, addrlen);
    }
    return nfd;
fail:
    r = -errno;
    close(nfd);
    return us_fail(r);
}

int
us_accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
    struct stat st;
    int r, conn;

    /* __sys_accept4(): the flags, the descriptor, then the protocol */
    if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
        return us_fail(-EINVAL);
    if ((r = us_fd_stat(fd, &st)) < 0)
        return us_fail(r);
    enum us_kind kind = us_fd_kind(fd, &st, &conn);
    if (kind == US_DGRAM)
        return us_fail(-EOPNOTSUPP); /* sock_no_accept() */
    /* DEVIATION: the kernel checks the address length after taking the
     * connection (which is then lost); we check it first */
    if (addr && (r = us_len_ok(addrlen)) < 0)
        return us_fail(r);
    if (kind == US_STREAM) {
        conn = us_tcp_conn(fd, &st, conn);
        if (conn < 0)
            return us_fail(conn);
        if (conn != US_CONN_LISTENING)
            return us_fail(-EINVAL); /* inet_csk_accept(): not listening */
    }
    for (;;) {
        if (kind == US_STREAM) {
            /* a token per established connection: blocks (or EAGAIN) as
             * the descriptor says, SO_RCVTIMEO included */
            unsigned char tok;
            ssize_t n = read(fd, &tok, 1);
            if (n < 0)
                return -1;
            if (n == 0) {
                /* the daemon shut the listener (shutdown(SHUT_RD), or it
                 * went away): whatever it says now is the answer */
                us_note_set(fd, &st, kind, US_CONN_UNKNOWN);
                kind = US_UNKNOWN;
            }
        }
        struct ctl_msg m = {.h.type = CTL_ACCEPT};
        int nfd = -1;
        r = ctl_call(&m, fd, &m, &nfd, NULL, 0);
        if (r >= 0)
            return us_accepted(nfd, addr, addrlen, &m.u.addr, flags);
        if (r != -EAGAIN)
            return us_fail(r);
        if (kind != US_STREAM)
            return us_fail(kind == US_UNKNOWN ? -EINVAL : r);
        /* the connection behind the token died before we came: wait for
         * the next one */
    }
}

int
us_accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    return us_accept4(fd, addr, addrlen, 0);
}

/* ---- shutdown ---- */

int
us_tcp_shutdown(int fd, int how)
{
    struct ctl_msg m = {.u.shutdown = {SHUT_RD}};
    int r, state = us_tcp_state(fd);

    /* inet_shutdown(), by the socket's state */
    switch (state) {
    case US_TCPS_CLOSED: return us_fail(-ENOTCONN);
    case US_TCPS_LISTEN:
        if (how == SHUT_WR)
            return 0; /* nothing to send on a listener */
        /* the kernel closes the listener: the daemon's to do */
        r = us_call(CTL_SHUTDOWN, fd, &m);
        return r < 0 ? us_fail(r) : 0;
    default:
        if (state < 0)
            return us_fail(state);
        break;
    }
    /* Our sending side is the descriptor's: the daemon reads everything
     * written before, then end of file, and sends FIN after the data */
    if (how != SHUT_RD && shutdown(fd, SHUT_WR) < 0)
        return -1;
    if (how != SHUT_WR && (r = us_call(CTL_SHUTDOWN, fd, &m)) < 0)
        return us_fail(r);
    return 0;
}

/* ---- options ---- */

int
us_tcp_opt(int level, int name)
{
    return (level == SOL_SOCKET && (name == SO_LINGER || name == SO_ACCEPTCONN)) ||
           (level == IPPROTO_TCP && (name == TCP_INFO || name == TCP_CONGESTION));
}

/* TCP_CONGESTION, as do_tcp_setsockopt(): at least one byte; the name is
 * what comes before a NUL in the first TCP_CA_NAME_MAX - 1 bytes. */
static int
us_tcp_set_cc(int fd, const void *val, socklen_t len)
{
    struct stat st;
    int r, conn;

    if ((r = us_fd_stat(fd, &st)) < 0)
        return us_fail(r);
    if (us_fd_kind(fd, &st, &conn) == US_DGRAM)
        return us_fail(-ENOPROTOOPT); /* ip_setsockopt(): not SOL_IP */
    if (len < 1)
        return us_fail(-EINVAL);
    if (!val)
        return us_fail(-EFAULT);
    struct ctl_msg m = {.u.sockopt_str = {IPPROTO_TCP, TCP_CONGESTION, {0}}};
    size_t n = len < CTL_OPT_STR_LEN - 1 ? len : CTL_OPT_STR_LEN - 1;
    strncpy(m.u.sockopt_str.value, val, n); /* stops at a NUL, pads with NULs */
    r = us_call(CTL_SETSOCKOPT_STR, fd, &m);
    return r < 0 ? us_fail(r) : 0;
}

int
us_tcp_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    if (level == IPPROTO_TCP && name == TCP_CONGESTION)
        return us_tcp_set_cc(fd, val, len);
    if (level != SOL_SOCKET || name != SO_LINGER)
        return us_fail(-ENOPROTOOPT); /* TCP_INFO, SO_ACCEPTCONN: read only */
    /* sk_setsockopt(): the length, then the copy */
    struct linger l;
    if (len < sizeof(l))
        return us_fail(-EINVAL);
    if (!val)
        return us_fail(-EFAULT);
    memcpy(&l, val, sizeof(l));
    /* the control protocol's encoding: l_onoff ? l_linger : -1 (a negative
     * l_linger is the kernel's "forever") */
    int value = !l.l_onoff ? -1 : l.l_linger < 0 ? INT_MAX : l.l_linger;
    struct ctl_msg m = {.u.sockopt = {SOL_SOCKET, SO_LINGER, value}};
    int r = us_call(CTL_SETSOCKOPT, fd, &m);
    return r < 0 ? us_fail(r) : 0;
}

/* Linux's tcpi_state numbers (include/net/tcp_states.h). */
static uint8_t
us_linux_tcp_state(uint32_t s)
{
    switch (s) {
    case US_TCPS_LISTEN: return TCP_LISTEN;
    case US_TCPS_SYN_SENT: return TCP_SYN_SENT;
    case US_TCPS_SYN_RECEIVED: return TCP_SYN_RECV;
    case US_TCPS_ESTABLISHED: return TCP_ESTABLISHED;
    case US_TCPS_FIN_WAIT_1: return TCP_FIN_WAIT1;
    case US_TCPS_FIN_WAIT_2: return TCP_FIN_WAIT2;
    case US_TCPS_CLOSE_WAIT: return TCP_CLOSE_WAIT;
    case US_TCPS_CLOSING: return TCP_CLOSING;
    case US_TCPS_LAST_ACK: return TCP_LAST_ACK;
    case US_TCPS_TIME_WAIT: return TCP_TIME_WAIT;
    default: return TCP_CLOSE;
    }
}

/* bytes to segments of mss, as tcp_get_info() counts them */
static uint32_t
us_segs(uint32_t bytes, uint32_t mss, int round_up)
{
    if (mss == 0)
        return 0;
    return round_up ? (uint32_t)(((uint64_t)bytes + mss - 1) / mss) : bytes / mss;
}

/* The Linux struct tcp_info, as far as the engine knows it. */
static void
us_tcp_info_fill(const struct ctl_tcp_info *ti, struct tcp_info *out)
{
    uint32_t mss = ti->snd_mss;

    memset(out, 0, sizeof(*out));
    out->tcpi_state = us_linux_tcp_state(ti->state);
    out->tcpi_ca_state = (uint8_t)ti->ca_state;
    /* icsk_retransmits and icsk_backoff: timeouts since the last ACK */
    out->tcpi_retransmits = (uint8_t)ti->backoff;
    out->tcpi_backoff = (uint8_t)ti->backoff;
    out->tcpi_options = (uint8_t)ti->options;
    out->tcpi_snd_wscale = ti->snd_wscale & 0xf;
    out->tcpi_rcv_wscale = ti->rcv_wscale & 0xf;
    out->tcpi_rto = ti->rto_us;
    out->tcpi_snd_mss = mss;
    out->tcpi_rcv_mss = ti->rcv_mss;
    out->tcpi_unacked = us_segs(ti->unacked, mss, 1);
    out->tcpi_sacked = us_segs(ti->sacked, mss, 1);
    out->tcpi_lost = us_segs(ti->lost, mss, 1);
    out->tcpi_retrans = us_segs(ti->retrans, mss, 1);
    out->tcpi_pmtu = ti->pmtu;
    out->tcpi_rtt = ti->rtt_us;
    out->tcpi_rttvar = ti->rttvar_us;
    out->tcpi_snd_cwnd = us_segs(ti->cwnd, mss, 0);
    /* an ssthresh still "arbitrarily high" (RFC 5681 §3.1: the engine's
     * 2^31 - 1 bytes) shows as Linux's TCP_INFINITE_SSTHRESH */
    out->tcpi_snd_ssthresh =
        ti->ssthresh >= 0x7fffffff ? 0x7fffffff : us_segs(ti->ssthresh, mss, 0);
    out->tcpi_total_retrans = ti->total_retrans;
}

/* sk_getsockopt()'s copy out: what fits of an lv-byte value. */
static int
us_opt_out(const void *v, socklen_t lv, void *val, socklen_t *len)
{
    socklen_t n = *len < lv ? *len : lv;

    if (n > 0 && !val)
        return us_fail(-EFAULT);
    if (n > 0)
        memcpy(val, v, n);
    *len = n;
    return 0;
}

int
us_tcp_getsockopt(int fd, enum us_kind kind, int level, int name, void *val,
                  socklen_t *len)
{
    int r;

    if (level == IPPROTO_TCP && kind == US_DGRAM)
        return us_fail(-EOPNOTSUPP); /* do_ip_getsockopt(), for a UDP socket */
    if (level == IPPROTO_TCP && name == TCP_CONGESTION) {
        /* do_tcp_getsockopt(): min(len, TCP_CA_NAME_MAX) bytes of the
         * NUL-padded name */
        struct ctl_msg m = {.u.sockopt_str = {IPPROTO_TCP, TCP_CONGESTION, {0}}};
        if ((r = us_call(CTL_GETSOCKOPT_STR, fd, &m)) < 0)
            return us_fail(r);
        return us_opt_out(m.u.sockopt_str.value, CTL_OPT_STR_LEN, val, len);
    }
    if (level == IPPROTO_TCP) { /* TCP_INFO */
        struct ctl_tcp_info ti;
        struct tcp_info out;
        if ((r = us_tcp_info(fd, &ti)) < 0)
            return us_fail(r);
        us_tcp_info_fill(&ti, &out);
        return us_opt_out(&out, sizeof(out), val, len);
    }
    if (name == SO_ACCEPTCONN && kind != US_UNKNOWN) {
        int v = 0;
        if (kind == US_STREAM) {
            if ((r = us_tcp_state(fd)) < 0)
                return us_fail(r);
            v = r == US_TCPS_LISTEN;
        }
        return us_opt_out(&v, sizeof(v), val, len);
    }
    struct ctl_msg m = {.u.sockopt = {level, name, 0}};
    if ((r = us_call(CTL_GETSOCKOPT, fd, &m)) < 0)
        return us_fail(r);
    if (name == SO_ACCEPTCONN)
        return us_opt_out(&m.u.sockopt.value, sizeof(int), val, len);
    /* SO_LINGER: value = l_onoff ? l_linger : -1 */
    struct linger l = {.l_onoff = m.u.sockopt.value >= 0,
                       .l_linger = m.u.sockopt.value >= 0 ? m.u.sockopt.value : 0};
    return us_opt_out(&l, sizeof(l), val, len);
}
