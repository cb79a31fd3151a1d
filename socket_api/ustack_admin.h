/*
 * ustack_admin.h - looking at the daemon rather than at one socket: the
 * socket table (for ustat, as `ss` reads /proc/net/udp) and where the
 * control socket is. Part of libustack; see ustack.h.
 */
#ifndef USTACK_ADMIN_H
#define USTACK_ADMIN_H

#include "ctl_proto.h" /* struct ctl_sock_info: one row of the table */

#ifdef __cplusplus
extern "C" {
#endif

/* The daemon's socket table (CTL_LIST, read page by page). Fills up to max
 * rows and returns the number of sockets in the table: when that is more
 * than max, call again with room for them. -1 with errno on failure (the
 * daemon cannot be reached: ENOENT, ECONNREFUSED, EACCES...). The table
 * may change between pages; rows are a snapshot per page. */
int us_list(struct ctl_sock_info *rows, int max);

/* The control socket this process uses: $USTACK_CTL, else
 * CTL_DEFAULT_PATH. For error messages. */
const char *us_ctl_path(void);

/* This process's control connection to the daemon (connected now if it
 * was not), to watch with poll() beside the sockets: the daemon never
 * sends anything unasked, so POLLIN or POLLHUP on it means the daemon
 * went away (its sockets then read end of file, like a peer's FIN). Do
 * not read, write or close it. -1 with errno when the daemon cannot be
 * reached (ENOENT, ECONNREFUSED, EACCES...). After a fork() the child
 * has its own: call again. */
int us_ctl_fd(void);

#ifdef __cplusplus
}
#endif

#endif
