/*
 * ustat - ustackd's sockets and connections, like ss(8) for the kernel's;
 * its ARP cache and routes, like ip neigh and ip route.
 *
 *   ustat [-tulanieops]     sockets and connections (ustat --help)
 *   ustat -s                connections by state and every counter
 *   ustat arp | route       the ARP cache | the routes
 *   ustat sockets           the daemon's socket table: id, pid, uid of
 *                           every socket you may see, unconnected ones too
 *
 * TCP rows come from the engine's connection tables (us_conns(),
 * CTL_CONNS), so every state is there, with connections that no socket
 * holds any more; UDP rows from the daemon's socket table (us_list(),
 * CTL_LIST). The texts (-s, arp, route) are the daemon's (us_text(),
 * CTL_TEXT). The options and lines are ss_fmt.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/ss_fmt.h"
#include "ustack_admin.h"

#define PROG "ustat"

static void
fail(const char *what)
{
    fprintf(stderr, PROG ": cannot %s of ustackd at %s: %s\n", what, us_ctl_path(),
            strerror(errno));
    exit(1);
}

static void *
grow(void *p, size_t n, size_t size)
{
    void *q = realloc(p, n > 0 && size > 0 ? n * size : 1);

    if (!q) {
        fprintf(stderr, PROG ": out of memory\n");
        exit(1);
    }
    return q;
}

/* The daemon's socket table, all of it (it may grow between questions). */
static int
get_sockets(struct ctl_sock_info **rows)
{
    int max = 0, n;

    *rows = NULL;
    for (;;) {
        n = us_list(*rows, max);
        if (n < 0)
            fail("list the sockets");
        if (n <= max)
            return n;
        max = n + 16;
        *rows = grow(*rows, (size_t)max, sizeof(**rows));
    }
}

/* The engine's TCP connections, all of them. */
static int
get_conns(struct ctl_conn_info **rows)
{
    int max = 0, n;

    *rows = NULL;
    for (;;) {
        n = us_conns(*rows, max);
        if (n < 0)
            fail("list the connections");
        if (n <= max)
            return n;
        max = n + 64;
        *rows = grow(*rows, (size_t)max, sizeof(**rows));
    }
}

/* The command name of pid, from /proc ("" if it is gone). */
static const char *
comm_of(int32_t pid, char *buf, size_t len)
{
    char path[64];
    FILE *f;

    buf[0] = '\0';
    snprintf(path, sizeof(path), "/proc/%d/comm", pid);
    f = fopen(path, "r");
    if (!f)
        return buf;
    if (fgets(buf, (int)len, f))
        buf[strcspn(buf, "\n")] = '\0';
    fclose(f);
    return buf;
}

static void
list(const struct ss_opts *o)
{
    struct ctl_conn_info *conns = NULL;
    struct ctl_sock_info *socks = NULL;
    int nc = o->tcp ? get_conns(&conns) : 0;
    int ns = o->udp ? get_sockets(&socks) : 0;
    char comm[64];

    ss_header(o, stdout);
    for (int i = 0; i < nc; i++) {
        const struct ctl_conn_info *ci = &conns[i];
        if (!ss_state_shown(o, ci->state))
            continue;
        ss_conn_line(o, ci,
                     o->processes && (ci->flags & CTL_CONN_PID)
                         ? comm_of((int32_t)ci->owner_pid, comm, sizeof(comm))
                         : "",
                     stdout);
    }
    for (int i = 0; i < ns; i++) {
        const struct ctl_sock_info *si = &socks[i];
        if (si->type != SOCK_DGRAM || !ss_udp_shown(o, si))
            continue;
        ss_udp_line(o, si, o->processes ? comm_of(si->owner_pid, comm, sizeof(comm)) : "",
                    stdout);
    }
    free(conns);
    free(socks);
}

/* The old view: every row of the daemon's socket table. */
static void
sockets(void)
{
    struct ctl_sock_info *rows;
    int n = get_sockets(&rows);

    printf("%-5s %-6s %-8s %-6s %-7s %8s  %-21s %-21s\n", "Proto", "Id", "Pid", "Uid",
           "State", "Recv-Q", "Local Address:Port", "Peer Address:Port");
    for (int i = 0; i < n; i++) {
        const struct ctl_sock_info *si = &rows[i];
        static const char *const states[] = {"UNCONN", "UNCONN", "ESTAB", "LISTEN"};
        char l[32], p[32];
        printf("%-5s %-6u %-8d %-6u %-7s %8u  %-21s %-21s\n",
               si->type == SOCK_DGRAM    ? "udp"
               : si->type == SOCK_STREAM ? "tcp"
                                         : "?",
               si->id, si->owner_pid, si->owner_uid,
               si->state < 4 ? states[si->state] : "?", si->rx_queued,
               ss_endpoint(si->laddr, si->lport, l, sizeof(l)),
               ss_endpoint(si->raddr, si->rport, p, sizeof(p)));
    }
    free(rows);
}

static void
text(enum ctl_text_what what, const char *name)
{
    char *t = us_text(what, NULL);

    if (!t)
        fail(name);
    fputs(t, stdout);
    free(t);
}

/* -s: connections by state (as ss -s begins), then the daemon's counters. */
static void
summary(void)
{
    struct ctl_conn_info *conns;
    int n = get_conns(&conns);
    unsigned by_state[16] = {0}, orphans = 0;

    for (int i = 0; i < n; i++) {
        by_state[conns[i].state < 16 ? conns[i].state : 15]++;
        if (conns[i].flags & CTL_CONN_ORPHAN)
            orphans++;
    }
    printf("TCP: %d (estab %u, closed %u, orphaned %u, timewait %u, listen %u, "
           "synrecv %u)\n",
           n, by_state[4] + by_state[7], by_state[0], orphans, by_state[10], by_state[1],
           by_state[3]);
    printf("By state:");
    for (uint32_t s = 1; s < 11; s++)
        if (by_state[s])
            printf(" %s %u", ss_state_name(s), by_state[s]);
    printf("\n\n");
    free(conns);
    text(CTL_TEXT_COUNTERS, "read the counters");
}

int
main(int argc, char **argv)
{
    struct ss_opts o;
    char err[128];

    if (ss_parse_args(argc, argv, &o, err, sizeof(err)) < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        return 2;
    }
    switch (o.cmd) {
    case SS_CMD_HELP: fputs(ss_usage, stdout); break;
    case SS_CMD_LIST: list(&o); break;
    case SS_CMD_SUMMARY: summary(); break;
    case SS_CMD_ARP: text(CTL_TEXT_ARP, "read the ARP cache"); break;
    case SS_CMD_ROUTE: text(CTL_TEXT_ROUTES, "read the routes"); break;
    case SS_CMD_SOCKETS: sockets(); break;
    }
    return 0;
}
