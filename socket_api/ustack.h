/*
 * ustack.h - the BSD socket API of ustack (libustack): the "libc" side.
 *
 * Owns: us_socket() ... us_getsockopt(), with the signatures, argument
 * checks and errno values of the Linux system calls they mirror, for
 * AF_INET sockets served by the ustackd daemon. The daemon is the
 * "kernel"; this library only talks to it. docs/SOCKETS.md has the
 * picture; socket_api/ctl_proto.h is the contract between the two.
 *
 * The design in brief:
 *  - Every ustack socket is a real file descriptor of the calling process:
 *    one end of an AF_UNIX SOCK_SEQPACKET socketpair (SOCK_STREAM for TCP)
 *    whose other end the daemon holds. read/write/poll/select/epoll,
 *    fcntl(O_NONBLOCK), dup, fork and close work on it natively, and
 *    blocking, non-blocking and SO_RCVTIMEO/SO_SNDTIMEO behaviour is the
 *    descriptor's own.
 *  - The process has one control connection to the daemon ($USTACK_CTL,
 *    else CTL_DEFAULT_PATH), opened on first use, close-on-exec, reopened
 *    after fork() (in the child) and when the daemon went away. Each
 *    request (bind, connect, sendto with an address, socket options...)
 *    carries the socket's descriptor along (SCM_RIGHTS): the daemon knows
 *    a socket by its inode. Requests are serialised by a mutex: the
 *    library is thread-safe.
 *  - Streams (TCP): the descriptor (an AF_UNIX SOCK_STREAM end) carries
 *    the connection's bytes both ways; flow control is the pair's own (a
 *    fast writer blocks in write(), a slow reader closes the TCP window).
 *    The peer's FIN, a reset, a timeout and shutdown(SHUT_RD) read as end
 *    of file. Until a connect ends the descriptor is kept unwritable, so
 *    POLLOUT means "connect finished" (then SO_ERROR says how); a
 *    listener's descriptor carries one byte per connection waiting to be
 *    accepted, so POLLIN means "accept will not block". Details in
 *    us_tcp.c and socket_api/ctl_proto.h.
 *  - Datagrams: application -> daemon as plain writes on the descriptor
 *    (to the connected peer); daemon -> application one message per
 *    datagram, its source address in SCM_CREDENTIALS (uid = IPv4 address,
 *    gid = port, host order). A zero-length message from 0.0.0.0:0 means
 *    "pending error": us_recv/us_recvfrom then read SO_ERROR.
 *  - us_sendto() with an address is a request on the control connection;
 *    it never blocks on the network (neither does the kernel's, for UDP).
 *
 * Errors: -1 with errno set to what Linux gives for the same call on a
 * kernel socket, checked in the same order where it shows (bad descriptor
 * first, then the arguments, then the protocol).
 *
 * Where it differs from the kernel (each knowingly):
 *  - us_socket() with no daemon running fails with the errno of reaching
 *    the control socket: ENOENT (no socket file at the path) or
 *    ECONNREFUSED (a stale file), EACCES (permissions). Nothing is
 *    printed. Any later call whose request cannot reach the daemon fails
 *    the same way; a daemon that dies while handling a request gives
 *    ECONNRESET.
 *  - If the daemon goes away, its sockets are dead: reads return 0 (end of
 *    file, as after shutdown(SHUT_RD)), a plain write() fails with EPIPE
 *    and raises SIGPIPE (as on a pipe; us_send() does not raise it), and
 *    calls that ask the daemon fail with ENOENT or ECONNREFUSED (no
 *    daemon) or ENOTSOCK (a new daemon, which never knew them).
 *  - The library holds one descriptor of its own (the control connection,
 *    close-on-exec, numbered 3 or above).
 *  - A pending asynchronous error (ECONNREFUSED after an ICMP port
 *    unreachable on a connected socket) makes the descriptor readable
 *    (POLLIN), not POLLERR. us_recv*() report it; us_send() reports it
 *    only when it is at the head of the receive queue (the kernel reports
 *    it from whichever call comes first).
 *  - A datagram sent with us_send() (or write()) is handed to the daemon
 *    and the call returns: errors found later (EHOSTUNREACH, ENOBUFS,
 *    EMSGSIZE from a plain write()...) come back as the socket's pending
 *    error, on a later call, not from the send. The checks the kernel
 *    makes before sending (EMSGSIZE, EDESTADDRREQ, EOPNOTSUPP) are made by
 *    us_send() itself. us_sendto() with an address gets its errors from
 *    the daemon synchronously.
 *  - us_send() on an unconnected datagram socket asks the daemon once
 *    (then remembers per descriptor) whether it is connected, to give
 *    EDESTADDRREQ as the kernel does. A plain write() on an unconnected
 *    socket, or a us_send() on one disconnected (AF_UNSPEC) by another
 *    process sharing it, is refused by the daemon later: a pending
 *    EDESTADDRREQ.
 *  - Flags: send takes MSG_DONTWAIT, MSG_NOSIGNAL (always on in us_send
 *    for datagrams), MSG_CONFIRM (ignored); MSG_MORE (corking) is ignored:
 *    every datagram send is one datagram, and a stream is never corked.
 *    MSG_OOB: EOPNOTSUPP (TCP: there is no urgent data; recv with MSG_OOB
 *    gives EINVAL, as Linux with none pending). recv takes MSG_DONTWAIT,
 *    MSG_PEEK, MSG_TRUNC (TCP: discard the bytes, as Linux), MSG_WAITALL
 *    (no effect on datagrams, as in Linux); MSG_ERRQUEUE gives EAGAIN
 *    (there is no error queue); others are ignored.
 *  - Socket options: values are ints (the control protocol carries one
 *    int32), but for TCP_CONGESTION, a name ("cubic", "reno"; ENOENT for
 *    others) taken and given back as Linux does. SO_RCVTIMEO and SO_SNDTIMEO are set on the descriptor itself
 *    (so they act natively: on a stream they bound send, recv, accept and a
 *    blocking connect, which then fails with EINPROGRESS, as Linux).
 *    SO_TYPE, SO_DOMAIN, SO_PROTOCOL and SO_ACCEPTCONN are answered by the
 *    library. SO_LINGER travels as one int (l_onoff ? l_linger : -1; a
 *    negative l_linger, the kernel's "forever", as INT_MAX). TCP_INFO
 *    fills the Linux struct tcp_info (glibc's <netinet/tcp.h>, or what
 *    fits of it) with what the engine knows: tcpi_state (Linux numbering),
 *    tcpi_ca_state, tcpi_retransmits and tcpi_backoff, tcpi_options
 *    (window scaling) and the two scales, tcpi_rto, tcpi_rtt, tcpi_rttvar
 *    (µs), tcpi_snd_mss, tcpi_rcv_mss, tcpi_pmtu, tcpi_snd_cwnd and
 *    tcpi_snd_ssthresh (segments; 0x7fffffff while still unset),
 *    tcpi_unacked and tcpi_retrans (segments), tcpi_total_retrans;
 *    tcpi_sacked, tcpi_lost (no SACK yet) and every other field are 0.
 *    Other options whose value is a structure (IP_ADD_MEMBERSHIP,
 *    SO_BINDTODEVICE...) fail with ENOPROTOOPT.
 *  - us_socket(): only AF_INET (AF_INET6 and the rest: EAFNOSUPPORT).
 *    SOCK_DGRAM with IPPROTO_ICMP (a "ping socket") gives EACCES, as a
 *    kernel with the default net.ipv4.ping_group_range; SOCK_RAW gives
 *    EPROTONOSUPPORT for protocol 0 (as Linux) and ESOCKTNOSUPPORT
 *    otherwise (Linux creates it, given CAP_NET_RAW).
 *  - Bad pointers: NULL is caught and gives EFAULT where the kernel gives
 *    it; any other invalid pointer that the library itself reads or writes
 *    (addresses, option values, us_sendto()'s data) crashes the process.
 *    Buffers passed to send/recv on the descriptor get the kernel's EFAULT.
 *
 * TCP, where it differs from the kernel:
 *  - End of file and errors: a plain read() (or recv() not through the
 *    library) sees end of file after a reset or a timeout; us_recv() and
 *    us_recvfrom() ask SO_ERROR at end of file and report ECONNRESET,
 *    ETIMEDOUT... once, as the kernel; from then on us_send() fails with
 *    EPIPE (and SIGPIPE without MSG_NOSIGNAL), as the kernel. Before that,
 *    and always for a plain write(), bytes sent after a reset are taken
 *    and discarded by the daemon (the kernel fails the send with
 *    ECONNRESET, then EPIPE). When us_send() does meet EPIPE it reports a
 *    pending error in its place, as the kernel. POLLERR is never set: an
 *    error shows as POLLIN (end of file), and POLLOUT for a connect that
 *    failed.
 *  - Data written is accepted by the pair before the engine takes it: a
 *    send can return before the bytes are in the socket's send buffer,
 *    and up to the pair's buffers (some hundreds of KiB) more than
 *    SO_SNDBUF is in flight between the application and the engine, both
 *    ways. SIOCOUTQ/SIOCINQ are not there.
 *  - us_close() returns at once, always: the daemon sends what was
 *    written, then FIN, in the background (SO_LINGER with a timeout does
 *    not make close() wait); SO_LINGER {1, 0} resets the connection, as
 *    in the kernel. Closing with unread data resets it, as Linux (RFC
 *    2525 §2.17): data in the descriptor, in the daemon or in the engine.
 *  - A blocking us_connect() interrupted by a signal fails with EINTR
 *    whether or not the handler has SA_RESTART (the kernel restarts it
 *    then); the connection goes on, and a later us_connect() gives its end
 *    (EALREADY while it is under way, 0 once established), as the kernel.
 *  - us_accept() and us_accept4() check addrlen before taking the
 *    connection (the kernel takes it first, then fails and loses it). A
 *    connection whose descriptor does not fit (EMFILE) is lost: the
 *    daemon closes it (the kernel leaves it queued).
 *  - us_listen(), us_accept(), us_shutdown() and the first data call on a
 *    descriptor the library has not seen connect or be accepted ask the
 *    daemon for the socket's state (one request); on a connected stream
 *    send and recv are plain system calls on the descriptor.
 *  - us_shutdown(SHUT_RD or SHUT_RDWR) on a listener fails with ENOTCONN
 *    (Linux closes the listener and returns 0); SHUT_WR on a listener
 *    does nothing and returns 0, as Linux. On a socket whose connection
 *    is over (CLOSED): ENOTCONN, as Linux.
 *  - us_connect() with AF_UNSPEC on a stream socket fails with EINVAL
 *    (Linux disconnects: an abort, and returns 0).
 *  - MSG_MORE is ignored (no corking); TCP_CORK, TCP_QUICKACK,
 *    TCP_USER_TIMEOUT, TCP_CONGESTION and the rest are ENOPROTOOPT;
 *    TCP_MAXSEG can be read, not set.
 */
#ifndef USTACK_H
#define USTACK_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* domain AF_INET; type SOCK_DGRAM or SOCK_STREAM, with SOCK_NONBLOCK and
 * SOCK_CLOEXEC honoured; protocol 0, IPPROTO_UDP or IPPROTO_TCP. The new
 * descriptor is not close-on-exec unless SOCK_CLOEXEC is given. */
int us_socket(int domain, int type, int protocol);
int us_bind(int fd, const struct sockaddr *addr, socklen_t addrlen);
/* sa_family AF_UNSPEC dissolves a datagram socket's association. A stream
 * socket: EINPROGRESS when non-blocking (then POLLOUT, then SO_ERROR);
 * a blocking one waits for the handshake (SO_SNDTIMEO bounds it). */
int us_connect(int fd, const struct sockaddr *addr, socklen_t addrlen);
int us_listen(int fd, int backlog);
/* The accepted descriptor is blocking and not close-on-exec; accept4's
 * flags SOCK_NONBLOCK and SOCK_CLOEXEC change that, as accept4(2). */
int us_accept(int fd, struct sockaddr *addr, socklen_t *addrlen);
int us_accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);
ssize_t us_send(int fd, const void *buf, size_t len, int flags);
ssize_t us_recv(int fd, void *buf, size_t len, int flags);
/* dest_addr NULL: us_send(). */
ssize_t us_sendto(int fd, const void *buf, size_t len, int flags,
                  const struct sockaddr *dest_addr, socklen_t addrlen);
ssize_t us_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *src_addr,
                    socklen_t *addrlen);
/* close(fd): the daemon frees the socket when its last descriptor closes
 * (a TCP connection is then closed gracefully, in the background; reset
 * if data it received was never read). */
int us_close(int fd);
/* TCP: SHUT_WR is shutdown(2) on the descriptor itself (FIN after what was
 * written), so a plain shutdown(fd, SHUT_WR) works too; SHUT_RD asks the
 * daemon; SHUT_RDWR does both. */
int us_shutdown(int fd, int how);
int us_getsockname(int fd, struct sockaddr *addr, socklen_t *addrlen);
int us_getpeername(int fd, struct sockaddr *addr, socklen_t *addrlen);
int us_setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen);
int us_getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen);

#ifdef __cplusplus
}
#endif

#endif
