/*
 * ustat - the daemon's socket table, like `ss -tuan` for the kernel's.
 *
 *   ustat
 *
 * One line per socket: protocol, the daemon's socket id, the process that
 * created it and its uid, state, bytes waiting to be read, local and peer
 * address. States as ss names them: UNCONN (a datagram socket without a
 * peer, bound or not; a TCP socket neither connected nor listening),
 * ESTAB (connected), LISTEN. Port 0 (none yet) shows
 * as '*'. Asks ustackd through $USTACK_CTL (us_list(), CTL_LIST).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ustack_admin.h"

#define PROG "ustat"

static void
usage(void)
{
    fprintf(stderr, "usage: " PROG "   (list ustackd's sockets, like ss -tuan)\n");
    exit(2);
}

/* "10.0.0.2:7", "0.0.0.0:*" */
static const char *
endpoint(uint32_t addr, uint16_t port, char *b, size_t len)
{
    struct in_addr a = {.s_addr = htonl(addr)};
    char ip[INET_ADDRSTRLEN];

    inet_ntop(AF_INET, &a, ip, sizeof(ip));
    if (port)
        snprintf(b, len, "%s:%u", ip, port);
    else
        snprintf(b, len, "%s:*", ip);
    return b;
}

static const char *
state_name(const struct ctl_sock_info *si)
{
    switch (si->state) {
    case 0:
    case 1: return "UNCONN";
    case 2: return "ESTAB";
    case 3: return "LISTEN";
    default: return "?";
    }
}

int
main(int argc, char **argv)
{
    struct ctl_sock_info *rows = NULL;
    int max = 0, n;

    (void)argv;
    if (argc != 1)
        usage();
    /* the table may grow between two questions: ask until it fits */
    for (;;) {
        n = us_list(rows, max);
        if (n < 0) {
            fprintf(stderr, PROG ": cannot list the sockets of ustackd at %s: %s\n",
                    us_ctl_path(), strerror(errno));
            return 1;
        }
        if (n <= max)
            break;
        max = n + 16;
        free(rows);
        rows = calloc((size_t)max, sizeof(*rows));
        if (!rows) {
            fprintf(stderr, PROG ": out of memory\n");
            return 1;
        }
    }

    printf("%-5s %-6s %-8s %-6s %-7s %8s  %-21s %-21s\n", "Proto", "Id", "Pid", "Uid",
           "State", "Recv-Q", "Local Address:Port", "Peer Address:Port");
    for (int i = 0; i < n; i++) {
        const struct ctl_sock_info *si = &rows[i];
        char l[32], p[32];
        printf("%-5s %-6u %-8d %-6u %-7s %8u  %-21s %-21s\n",
               si->type == SOCK_DGRAM    ? "udp"
               : si->type == SOCK_STREAM ? "tcp"
                                         : "?",
               si->id, si->owner_pid, si->owner_uid, state_name(si), si->rx_queued,
               endpoint(si->laddr, si->lport, l, sizeof(l)),
               endpoint(si->raddr, si->rport, p, sizeof(p)));
    }
    free(rows);
    return 0;
}
