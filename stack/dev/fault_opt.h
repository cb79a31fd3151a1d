/*
 * fault_opt.h - the command-line form of two fault lines' settings.
 *
 * Owns: the options ustackd and scripts/lossy-link share, so that both
 * take the same words and say the same things about a mistake:
 *   --loss P  --dup P  --reorder P  --corrupt P    P percent, 0..100, up
 *                                                  to 4 decimals (0.0001%
 *                                                  is one in a million)
 *   --delay MS[/JITTER]    milliseconds, up to 3 decimals, 0..60000;
 *                          JITTER <= MS
 *   --rate MBIT            Mbit/s, up to 6 decimals, 0.001..1000000;
 *                          0 is no limit
 *   --fault-seed N         decimal or 0x hex, 64 bits
 * Each value but the seed applies to both directions ("--loss 5"), or
 * per direction with the caller's two names ("--loss in:5,out:1" for
 * ustackd, "--loss a->b:5,b->a:1" for lossy-link); a direction not named
 * keeps what it had.
 */
#ifndef USTACK_DEV_FAULT_OPT_H
#define USTACK_DEV_FAULT_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/fault_line.h"

struct fault_opts {
    uint64_t seed;
    bool have_seed; /* --fault-seed was given */
    bool any;       /* a fault option other than the seed was given */
    struct fault_line_config dir[2];
};

/* The option names, for a getopt table; NULL-terminated. */
extern const char *const fault_opt_names[];

/* Apply option `name` (without the dashes) with value arg to o, the two
 * directions called dirs[0] and dirs[1]. 0; -ENOENT if name is not one of
 * ours; -EINVAL with one line in err ("--loss 'x': ..."). */
int fault_opt_parse(struct fault_opts *o, const char *name, const char *arg,
                    const char *const dirs[2], char *err, size_t errlen);

/* Settings changed while ustackd runs (ustack-ctl fault): a line of words,
 * applied to o in order. "off" puts every setting of both directions back
 * to zero; otherwise NAME VALUE or NAME=VALUE, with the option names and
 * values above ("loss 10", "loss=in:5,out:1", "delay 20/5"; a leading
 * "--" and a '%' after a percentage are allowed). The seed is not one of
 * them (a line keeps its RNG). 0, or -EINVAL with one line in err (o is
 * then unchanged). */
int fault_opt_parse_words(struct fault_opts *o, const char *line,
                          const char *const dirs[2], char *err, size_t errlen);

/* One direction's settings in words, e.g. "loss 10% dup 0% reorder 0%
 * corrupt 0% delay 20ms jitter 5ms rate unlimited". */
void fault_opt_fmt(const struct fault_line_config *c, char *buf, size_t len);

#endif
