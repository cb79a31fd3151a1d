/*
 * us_priv.h - what the files of libustack share (internal; the API is
 * ustack.h). libustack.c: socket creation, addresses, options, the
 * descriptor notes; us_data.c: sending and receiving.
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

/* errno = -neg_errno; returns -1. */
US_INTERNAL int us_fail(int neg_errno);

/* The kernel's sockfd_lookup(): 0, -EBADF, or -ENOTSOCK. */
US_INTERNAL int us_fd_stat(int fd, struct stat *st);
/* Remember what fd (the open file st) is. */
US_INTERNAL void us_note_set(int fd, const struct stat *st, enum us_kind kind,
                             int connected);
/* What fd is, and whether a datagram socket is known to be connected. */
US_INTERNAL enum us_kind us_fd_kind(int fd, const struct stat *st, int *connected);

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

#endif
