/*
 * app.h - what the programs in apps/ share: failing with a clear message,
 * and numbers and ports from the command line. The program's name in the
 * messages is the one it was started as (program_invocation_short_name).
 */
#ifndef USTACK_APPS_APP_H
#define USTACK_APPS_APP_H

/* "echo-server: bind: Address already in use", with a hint where one
 * helps (the daemon not found, a port below 1024 without root); exit 1.
 * Reads errno. */
void app_fail(const char *what) __attribute__((noreturn));
/* s as a whole number from lo to hi; otherwise a message naming `what`,
 * then usage() (which exits). */
long app_num(const char *s, const char *what, long lo, long hi, void (*usage)(void));
/* A port, 1..65535. */
int app_port(const char *s, void (*usage)(void));

#endif
