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

/* Every TCP connection of the daemon's engine (CTL_CONNS, page by page):
 * all states, half-open ones, TIME-WAIT, orphans, with the socket that
 * holds each. As us_list: fills up to max rows, returns how many there
 * are (call again with more room when that is more than max); -1 with
 * errno. us_admin.c. */
int us_conns(struct ctl_conn_info *rows, int max);

/* A text of the daemon's (CTL_TEXT, read page by page): its counters, ARP
 * cache, routes or faults. A malloc'd NUL-terminated string (*len without
 * the NUL, if len is not NULL), or NULL with errno. */
char *us_text(enum ctl_text_what what, size_t *len);

/* Change the daemon's faults while it runs (CTL_FAULT): spec as
 * `ustack-ctl fault` takes it ("loss 10%", "off", ...). 0, or -1 with
 * errno (EPERM: neither root nor the daemon's uid; EINVAL: spec is
 * wrong). Either way msg (when msglen > 0) holds the daemon's message:
 * the settings now, or what is wrong. */
int us_fault(const char *spec, char *msg, size_t msglen);

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
