/*
 * args.h - ustackd's command line.
 *
 * Owns: turning argv into the daemon's settings and the engine's
 * stack_config, with one clear line for every mistake.
 */
#ifndef USTACK_DAEMON_ARGS_H
#define USTACK_DAEMON_ARGS_H

#include <stddef.h>

#include "daemon/quota.h"
#include "dev/fault_opt.h"
#include "stack.h"

/* What --version prints; raised when what users see changes. */
#define USTACK_VERSION "0.8.0"

struct ustackd_args {
    const char *tap;  /* interface name (--tap) */
    const char *pcap; /* capture file (--pcap); NULL: none */
    const char *trace; /* TCP event trace file (--trace); NULL: none */
    const char *ctl;  /* control socket path (--ctl); default CTL_DEFAULT_PATH */
    struct stack_config cfg;
    struct fault_opts fault; /* dir[0] "in", dir[1] "out"; used when any */
    /* --max-sockets-per-uid, --max-sockets-per-process; 0: the default,
     * from the descriptor limit (quota_limits_default) */
    struct quota_limits socks;
};

/* Fill a from argv. Returns 0 to run, 1 when --help printed the usage
 * or --version the version (exit 0), -EINVAL with a one-line reason in err (exit 2), or another
 * negative errno when the default seed cannot be drawn (exit 1). */
int args_parse(int argc, char **argv, struct ustackd_args *a, char *err, size_t errlen);

#endif
