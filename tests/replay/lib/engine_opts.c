/*
 * engine_opts.c - the replay tools' engine options. See engine_opts.h.
 */
#include "engine_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

void
engine_opts_init(struct engine_opts *o)
{
    *o = (struct engine_opts){0};
    stack_config_defaults(&o->cfg);
}

int
parse_u64(const char *str, uint64_t *v)
{
    char *end;

    errno = 0;
    unsigned long long x = strtoull(str, &end, 0);
    if (errno || end == str || *end || str[0] == '-')
        return -1;
    *v = x;
    return 0;
}

/* cfg.trace: each line to the FILE (closed, so flushed, at exit). */
static void
trace_to_file(void *ctx, const char *line, size_t len)
{
    fwrite(line, 1, len, ctx);
}

int
engine_opt(struct engine_opts *o, int c, const char *arg)
{
    struct stack_config *cfg = &o->cfg;

    switch (c) {
    case 'a':
        o->have_addr = 1;
        return ip_prefix_parse(arg, &cfg->addr, &cfg->prefix_len) < 0 ? -1 : 1;
    case 'g':
        return ip_parse(arg, &cfg->gateway) < 0 ? -1 : 1;
    case 'm':
        o->have_mac = 1;
        return mac_parse(arg, cfg->mac) < 0 ? -1 : 1;
    case 's':
        o->have_seed = 1;
        return parse_u64(arg, &cfg->seed) < 0 ? -1 : 1;
    case 'T':
        if (!(cfg->trace_ctx = fopen(arg, "w"))) {
            fprintf(stderr, "cannot write %s: %s\n", arg, strerror(errno));
            return -1;
        }
        cfg->trace = trace_to_file;
        return 1;
    case 'l':
        cfg->log_out = stderr;
        return (cfg->log_level = log_level_parse(arg)) < 0 ? -1 : 1;
    default:
        return 0;
    }
}

int
engine_opts_done(struct engine_opts *o)
{
    if (!o->have_addr || !o->have_seed)
        return -1;
    if (!o->have_mac)
        mac_from_addr(o->cfg.addr, o->cfg.mac); /* ustackd's default */
    return 0;
}
