/*
 * ctl_client.h - the process's control connection to ustackd (internal to
 * libustack).
 *
 * Owns: the one SOCK_SEQPACKET connection per process to the daemon's
 * control socket ($USTACK_CTL, else CTL_DEFAULT_PATH): connecting lazily,
 * reconnecting in a child after fork() and after the daemon went away,
 * and one request/reply exchange at a time under a mutex, with a socket
 * descriptor passed along (SCM_RIGHTS) each way. Messages are built and
 * checked with ctl_encode/ctl_decode only (ctl_proto.h).
 */
#ifndef USTACK_CTL_CLIENT_H
#define USTACK_CTL_CLIENT_H

#include <stddef.h>

#include "ctl_proto.h"

/* Shared between the library's files, not exported from libustack.so (an
 * LD_PRELOAD shim must not let the application interpose them). */
#define US_INTERNAL __attribute__((visibility("hidden")))

/* One exchange. Fill req (h.type, the body, data/data_len for CTL_SENDTO)
 * and fd_out (the socket the request is about, or -1). On return rep holds
 * the decoded reply header and body; its payload (CTL_LIST rows) is copied
 * into data_out (at most data_cap bytes; rep->data/data_len describe the
 * copy). If fd_in is not NULL, the descriptor that came with a successful
 * reply is stored there (close-on-exec set; the caller decides), else any
 * descriptor that came is closed.
 *
 * Returns the reply's status (>= 0) or a negative errno: the daemon's
 * answer, or -ENOENT/-ECONNREFUSED/-EACCES... (cannot reach the daemon),
 * -ECONNRESET (the daemon died during the request), -EPROTO (a reply that
 * breaks the protocol; the connection is dropped), -EMFILE (the reply's
 * descriptor did not fit under RLIMIT_NOFILE). */
US_INTERNAL int ctl_call(const struct ctl_msg *req, int fd_out, struct ctl_msg *rep,
                         int *fd_in, void *data_out, size_t data_cap);

/* The control socket's path as this process would use it now. */
US_INTERNAL const char *ctl_path(void);

/* The connection's descriptor, connecting if need be; or a negative
 * errno. */
US_INTERNAL int ctl_watch_fd(void);

#endif
