/*
 * app.c - shared helpers of the apps. See app.h.
 */
#include "app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ustack_admin.h"

void
app_fail(const char *what)
{
    int err = errno;

    fprintf(stderr, "%s: %s: %s", program_invocation_short_name, what, strerror(err));
    if ((err == ENOENT || err == ECONNREFUSED) && strcmp(what, "socket") == 0)
        fprintf(stderr, " (is ustackd running with --ctl %s?)", us_ctl_path());
    if (err == EACCES && strcmp(what, "bind") == 0)
        fprintf(stderr, " (ports below 1024 need root)");
    fputc('\n', stderr);
    exit(1);
}

long
app_num(const char *s, const char *what, long lo, long hi, void (*usage)(void))
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno || v < lo || v > hi) {
        fprintf(stderr, "%s: %s '%s' must be a number from %ld to %ld\n",
                program_invocation_short_name, what, s, lo, hi);
        usage();
        exit(2);
    }
    return v;
}

int
app_port(const char *s, void (*usage)(void))
{
    return (int)app_num(s, "port", 1, 65535, usage);
}
