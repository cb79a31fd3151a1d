/*
 * engine_opts.h - the command-line options both replay tools take for the
 * engine they build: --addr, --gw, --mac, --seed (required, so that the
 * frames repeat), --log and --trace FILE (TCP's event trace, docs/TRACE.md),
 * with ustackd's meaning and defaults.
 */
#ifndef USTACK_REPLAY_ENGINE_OPTS_H
#define USTACK_REPLAY_ENGINE_OPTS_H

#include <getopt.h>
#include <stdint.h>

#include "stack.h"

/* Entries for a getopt_long table. */
#define ENGINE_OPTIONS                                                         \
    {"addr", required_argument, NULL, 'a'}, {"gw", required_argument, NULL, 'g'}, \
        {"mac", required_argument, NULL, 'm'}, {"seed", required_argument, NULL, 's'}, \
        {"log", required_argument, NULL, 'l'}, {"trace", required_argument, NULL, 'T'}

struct engine_opts {
    struct stack_config cfg;
    int have_addr, have_seed, have_mac;
};

void engine_opts_init(struct engine_opts *o);
/* 1: c was an engine option and arg is good; 0: c is not one of them;
 * -1: a bad value. */
int engine_opt(struct engine_opts *o, int c, const char *arg);
/* After the command line: -1 if --addr or --seed is missing, else 0 with
 * ustackd's default MAC filled in where none was given. */
int engine_opts_done(struct engine_opts *o);
/* Decimal or 0x hex, nothing around it: 0, or -1. */
int parse_u64(const char *str, uint64_t *v);

#endif
