/*
 * us_priv.h - what the files of libustack share (internal; the API is
 * ustack.h). libustack.c: socket creation, addresses, options, the
 * descriptor notes; us_data.c: sending and receiving; us_tcp.c: what only
 * stream sockets do (connect's wait, listen, accept, shutdown, SO_LINGER,
 * TCP_INFO).
 */
#ifndef USTACK_US_PRIV_H
#define USTACK_US_PRIV_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "ctl_client.h"

#define US_UDP_MAX 65507 /* 65535 - 20 (IPv4) - 8 (UDP) */
#define US_IP_MAX 65535  /* above this udp_sendmsg() fails before anything else */

/* What a descriptor is, as far as the library can tell. */
enum us_kind { US_UNKNOWN, US_DGRAM, US_STREAM };

/* What the library knows of a socket's connection (per descriptor).
 * Datagram sockets: UNKNOWN (not known to be connected) or CONNECTED.
 * Stream sockets: the kernel's sock->state, roughly: UNKNOWN (ask the
 * daemon), CONNECTING (a connect is under way: SS_CONNECTING), CONNECTED
 * (it was established: data moves natively on the descriptor from then on,
 * to the end of the connection), LISTENING (the descriptor carries accept
 * tokens, never data), BROKEN (connected, until us_recv() reported its
 * error: ECONNRESET, ETIMEDOUT...; sends fail with EPIPE from then on, as
 * the kernel's after tcp_reset(), even if the daemon still takes bytes). */
enum us_conn {
    US_CONN_UNKNOWN,
    US_CONN_CONNECTED,
    US_CONN_CONNECTING,
    US_CONN_LISTENING,
    US_CONN_BROKEN,
};

/* ctl_tcp_info.state: the engine's enum tcp_state (RFC 9293 §3.3.2), in
 * its order. */
enum us_tcps {
    US_TCPS_CLOSED,
    US_TCPS_LISTEN,
    US_TCPS_SYN_SENT,
    US_TCPS_SYN_RECEIVED,
    US_TCPS_ESTABLISHED,
    US_TCPS_FIN_WAIT_1,
    US_TCPS_FIN_WAIT_2,
    US_TCPS_CLOSE_WAIT,
    US_TCPS_CLOSING,
    US_TCPS_LAST_ACK,
    US_TCPS_TIME_WAIT,
};

/* errno = -neg_errno; returns -1. */
US_INTERNAL int us_fail(int neg_errno);

/* The kernel's sockfd_lookup(): 0, -EBADF, or -ENOTSOCK. */
US_INTERNAL int us_fd_stat(int fd, struct stat *st);
/* Remember what fd (the open file st) is; conn is an enum us_conn. */
US_INTERNAL void us_note_set(int fd, const struct stat *st, enum us_kind kind, int conn);
/* What fd is, and what is known of its connection (enum us_conn). */
US_INTERNAL enum us_kind us_fd_kind(int fd, const struct stat *st, int *conn);

/* sockaddr_in from the daemon's host-order address. */
US_INTERNAL struct sockaddr_in us_sin(uint32_t addr, uint16_t port);
/* The kernel's move_addr_to_user(): copy what fits, set the real size. */
US_INTERNAL void us_addr_out(const struct sockaddr_in *sin, struct sockaddr *addr,
                             socklen_t *addrlen);
/* The kernel's move_addr_to_kernel(): -EINVAL (length), -EFAULT (NULL). */
US_INTERNAL int us_addr_in(const struct sockaddr *addr, socklen_t len,
                           struct sockaddr_in *sin);
/* A socklen_t pointer the kernel reads as an int: -EFAULT, -EINVAL. */
US_INTERNAL int us_len_ok(const socklen_t *len);

/* A request of this type about socket fd; m holds the body, then the reply. */
US_INTERNAL int us_call(int type, int fd, struct ctl_msg *m);
/* SO_ERROR from the daemon: the pending error (positive), 0, or a negative
 * errno if the question could not be asked. */
US_INTERNAL int us_take_error(int fd);

/* ---- us_data.c ---- */

/* One datagram from fd into iovcnt buffers, as recvmsg(2) on a UDP socket:
 * the daemon's credentials become the source address (src_addr, addrlen as
 * recvfrom's; may be NULL), a pending-error notice becomes -1 and that
 * errno, *msg_flags gets MSG_TRUNC if the datagram did not fit. */
US_INTERNAL ssize_t us_dgram_recv(int fd, struct iovec *iov, size_t iovcnt, int flags,
                                  struct sockaddr *src_addr, socklen_t *addrlen,
                                  int *msg_flags);

/* ---- us_tcp.c ---- */

/* The connection's state (enum us_tcps) from CTL_TCP_INFO, or a negative
 * errno. */
US_INTERNAL int us_tcp_state(int fd);
/* Find out and remember what a stream socket is (enum us_conn) when the
 * note does not say: LISTENING, CONNECTING, CONNECTED, or UNKNOWN for one
 * that is not connected (never, or no more). Negative errno if the daemon
 * cannot say. */
US_INTERNAL int us_tcp_conn(int fd, const struct stat *st, int conn);
/* us_connect() on a stream socket, after the address was copied in:
 * addr_err is the error the address itself gives (-EINVAL, -EAFNOSUPPORT)
 * or 0; the kernel checks it only once the socket's state allows a
 * connect. Returns 0 or -1 with errno. */
US_INTERNAL int us_tcp_connect(int fd, const struct stat *st, int conn,
                               const struct ctl_addr *to, int addr_err);
US_INTERNAL int us_tcp_shutdown(int fd, int how);
/* SO_LINGER and TCP_INFO, whose values are structures; SO_ACCEPTCONN. */
US_INTERNAL int us_tcp_setsockopt(int fd, int level, int name, const void *val,
                                  socklen_t len);
US_INTERNAL int us_tcp_getsockopt(int fd, enum us_kind kind, int level, int name,
                                  void *val, socklen_t *len);
/* Does us_tcp_setsockopt / us_tcp_getsockopt handle this option? */
US_INTERNAL int us_tcp_opt(int level, int name);

#endif
