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

#endif
