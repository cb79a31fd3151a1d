/*
 * app.h - what the programs in apps/ share: failing with a clear message,
 * and numbers and ports from the command line. The program's name in the
 * messages is the one it was started as (program_invocation_short_name).
 */
#ifndef USTACK_APPS_APP_H
#define USTACK_APPS_APP_H

/* "echo-server: bind: Address already in use", with a hint where one
 * helps (a port below 1024 without root); exit 1. Reads errno. An error
 * that comes from the daemon being out of reach says so instead:
 * "unc: socket: ustackd is not running (no control socket at PATH)". */
void app_fail(const char *what) __attribute__((noreturn));

/* The daemon's control connection, for the program's poll() set (events
 * POLLIN); exits with a clear message when the daemon cannot be reached. */
int app_daemon_fd(void);
/* The revents of app_daemon_fd in a poll(): anything means the daemon
 * went away: "unc: ustackd went away (control socket PATH)", exit 1. */
void app_daemon_check(short revents);
/* Exit as app_daemon_check when the daemon is out of reach (for a program
 * that reads end of file on a socket and wonders why); else return. */
void app_daemon_check_now(void);
/* Backing off when accept() fails for want of resources (EMFILE, ENFILE,
 * ENOBUFS, ENOMEM: a quota of the daemon's, or the program's own
 * descriptor limit). The connection still waits, so the listener stays
 * readable, and polling it again at once would spin: leave it out of the
 * poll set for a delay that doubles from 10 ms to 1 s while the failures
 * go on, and log at most one line a second, with a count. */
struct app_backoff {
    long long until_ms;  /* leave the listener out until then */
    int delay_ms;        /* the next delay */
    unsigned long count; /* failures not yet logged */
    long long logged_ms; /* when the last line was */
};
/* accept failed with err: 1 when it is a shortage (now backing off),
 * 0 when it is not (the caller's to handle). */
int app_backoff_fail(struct app_backoff *b, const char *what, int err);
/* An accept succeeded: the delay starts again from the shortest. */
void app_backoff_ok(struct app_backoff *b);
/* May the listener be polled now? If not, *timeout_ms is lowered to when
 * it may (a poll() timeout, -1 meaning none yet). */
int app_backoff_ready(const struct app_backoff *b, int *timeout_ms);

/* s as a whole number from lo to hi; otherwise a message naming `what`,
 * then usage() (which exits). */
long app_num(const char *s, const char *what, long lo, long hi, void (*usage)(void));
/* A port, 1..65535. */
int app_port(const char *s, void (*usage)(void));

#endif
