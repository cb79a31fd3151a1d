/*
 * ustack-run - run an unmodified program over ustack.
 *
 *   ustack-run [--ctl PATH] [--] CMD [ARG...]
 *   ustack-run --where
 *
 * Sets LD_PRELOAD to the absolute path of libustack-preload.so (beside
 * this program, or one directory up: build/ and build/san/; else in
 * ../lib, where `make install` puts it, else in the LIBDIR it was built
 * for), in front of any LD_PRELOAD already set, and USTACK_CTL to the
 * control socket (--ctl PATH made absolute, else $USTACK_CTL, else
 * /run/ustack/ctl.sock), then execs CMD. Both variables are inherited by
 * CMD's children and survive their exec, so a shell script's programs are
 * all on ustack. The shim (socket_api/preload.c) sends AF_INET sockets to
 * ustackd and everything else to the kernel; docs/SOCKETS.md, "Unmodified
 * programs", says what works.
 *
 * Before exec it checks that the daemon answers on the control socket;
 * if not it prints one line naming the socket and how to start the
 * daemon, and exits 1. --where prints the shim's path and exits (1 if
 * there is none). Exit 127 if CMD cannot be run, 2 on bad usage.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_proto.h"

#define SHIM_NAME "libustack-preload.so"
#ifndef USTACK_LIBDIR
#define USTACK_LIBDIR "/usr/local/lib"
#endif

static void
usage(void)
{
    fprintf(stderr, "usage: ustack-run [--ctl PATH] [--] CMD [ARG...]\n"
                    "       ustack-run --where\n");
    exit(2);
}

/* The shim's absolute path into buf: beside this executable, one
 * directory up (the build tree), in ../lib (installed), or in LIBDIR. */
static int
find_shim(char *buf, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

    if (n <= 0)
        return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    const char *fmts[] = {"%s/" SHIM_NAME, "%s/../" SHIM_NAME, "%s/../lib/" SHIM_NAME,
                          USTACK_LIBDIR "/" SHIM_NAME};
    for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
        char cand[PATH_MAX + sizeof(SHIM_NAME) + 8];
        if (strstr(fmts[i], "%s"))
            snprintf(cand, sizeof(cand), fmts[i], exe);
        else
            snprintf(cand, sizeof(cand), "%s", fmts[i]);
        if (access(cand, R_OK) == 0 && realpath(cand, buf) && strlen(buf) < cap)
            return 0;
    }
    return -1;
}

/* PATH made absolute (the program may change directory). */
static const char *
absolute(const char *path, char *buf, size_t cap)
{
    char cwd[PATH_MAX];

    if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
        return path;
    if ((size_t)snprintf(buf, cap, "%s/%s", cwd, path) >= cap)
        return path;
    return buf;
}

/* 0 if the daemon answers on PATH, else an errno. */
static int
daemon_reachable(const char *path)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};

    if (strlen(path) >= sizeof(sun.sun_path))
        return ENAMETOOLONG;
    strcpy(sun.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    int err = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ? errno : 0;
    close(fd);
    return err;
}

int
main(int argc, char **argv)
{
    char shim[PATH_MAX], ctlbuf[PATH_MAX * 2];
    const char *ctl = getenv(CTL_ENV);
    int i = 1;

    if (!ctl || !*ctl)
        ctl = CTL_DEFAULT_PATH;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (strcmp(argv[i], "--where") == 0 && argc == 2) {
            if (find_shim(shim, sizeof(shim)) < 0)
                return 1;
            printf("%s\n", shim);
            return 0;
        }
        if (strcmp(argv[i], "--ctl") == 0 && i + 1 < argc)
            ctl = argv[++i];
        else
            usage();
    }
    if (i >= argc)
        usage();
    ctl = absolute(ctl, ctlbuf, sizeof(ctlbuf));
    if (find_shim(shim, sizeof(shim)) < 0) {
        fprintf(stderr, "ustack-run: cannot find " SHIM_NAME " beside %s (make all)\n",
                argv[0]);
        return 1;
    }
    int err = daemon_reachable(ctl);
    if (err) {
        fprintf(stderr,
                "ustack-run: ustackd is not answering on %s (%s); start it with "
                "`sudo make run` or `ustackd --tap TAP --addr ADDR/LEN --ctl %s`\n",
                ctl, strerror(err), ctl);
        return 1;
    }
    const char *old = getenv("LD_PRELOAD");
    char *pre = malloc(strlen(shim) + (old ? strlen(old) : 0) + 2);
    if (!pre)
        return 1;
    strcpy(pre, shim);
    if (old && *old) {
        strcat(pre, ":");
        strcat(pre, old);
    }
    if (setenv("LD_PRELOAD", pre, 1) < 0 || setenv(CTL_ENV, ctl, 1) < 0) {
        perror("ustack-run: setenv");
        return 1;
    }
    execvp(argv[i], argv + i);
    fprintf(stderr, "ustack-run: %s: %s\n", argv[i], strerror(errno));
    return 127;
}
