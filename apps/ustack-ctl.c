/*
 * ustack-ctl - change ustackd while it runs.
 *
 *   ustack-ctl fault show                 the settings of each direction
 *                                         and what each did so far
 *   ustack-ctl fault off                  every fault back to zero
 *   ustack-ctl fault NAME VALUE ...       change some settings (the others
 *                                         keep theirs)
 *
 * NAME and VALUE are ustackd's fault options without the dashes: loss,
 * dup, reorder, corrupt (percent, '%' allowed), delay (MS[/JITTER]), rate
 * (Mbit/s, 0 no limit); VALUE for both directions, or per direction as
 * in:V,out:V ("in" is what ustackd receives, "out" what it sends).
 * NAME=VALUE works too, and "off" may come first: "off loss 5".
 *
 * Only root and ustackd's own uid may change the faults (the daemon
 * checks the caller's SO_PEERCRED: EPERM otherwise); anyone who may
 * connect to the control socket may look. Through libustack (us_fault,
 * us_text: CTL_FAULT, CTL_TEXT).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ustack_admin.h"

#define PROG "ustack-ctl"

static const char usage_text[] =
    "usage: ustack-ctl fault show\n"
    "       ustack-ctl fault off\n"
    "       ustack-ctl fault NAME VALUE [NAME VALUE ...]\n"
    "\n"
    "Changes the faults of a running ustackd (the daemon at $USTACK_CTL, else\n"
    "/run/ustack/ctl.sock). NAME is one of ustackd's fault options:\n"
    "  loss P, dup P, reorder P, corrupt P   P percent, 0..100, up to 4 decimals\n"
    "                                        ('10' or '10%')\n"
    "  delay MS[/JITTER]                     milliseconds, 0..60000\n"
    "  rate MBIT                             Mbit/s; 0 is no limit\n"
    "VALUE applies to both directions, or per direction: in:V,out:V (in: what\n"
    "ustackd receives, out: what it sends). Settings not named keep their\n"
    "values; 'off' first sets everything to zero. NAME=VALUE works too.\n"
    "Examples: ustack-ctl fault loss 10%\n"
    "          ustack-ctl fault loss in:0.1,out:0 delay out:20/5\n"
    "Only root or ustackd's own uid may change the faults.\n";

static void
usage(int code)
{
    fputs(usage_text, code ? stderr : stdout);
    exit(code);
}

/* The words after "fault", joined by spaces. */
static char *
join(int argc, char **argv)
{
    size_t len = 1;

    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = calloc(1, len);
    if (!s) {
        fprintf(stderr, PROG ": out of memory\n");
        exit(1);
    }
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

static int
fault_show(void)
{
    char *t = us_text(CTL_TEXT_FAULTS, NULL);

    if (!t) {
        fprintf(stderr, PROG ": cannot read the faults of ustackd at %s: %s\n",
                us_ctl_path(), strerror(errno));
        return 1;
    }
    fputs(t, stdout);
    free(t);
    return 0;
}

static int
fault_change(int argc, char **argv)
{
    char msg[CTL_FAULT_MSG_MAX + 1];
    char *spec = join(argc, argv);
    int rc = us_fault(spec, msg, sizeof(msg));
    int e = errno;

    free(spec);
    if (rc == 0) {
        fputs(msg, stdout);
        return 0;
    }
    if (msg[0])
        fprintf(stderr, PROG ": fault: %s: %s\n", strerror(e), msg);
    else
        fprintf(stderr, PROG ": fault: ustackd at %s: %s\n", us_ctl_path(), strerror(e));
    return e == EINVAL ? 2 : 1;
}

int
main(int argc, char **argv)
{
    if (argc < 2)
        usage(2);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
        usage(0);
    if (strcmp(argv[1], "fault") != 0) {
        fprintf(stderr, PROG ": unknown command '%s' (ustack-ctl --help)\n", argv[1]);
        return 2;
    }
    if (argc < 3)
        usage(2);
    if (argc == 3 && strcmp(argv[2], "show") == 0)
        return fault_show();
    return fault_change(argc - 2, argv + 2);
}
