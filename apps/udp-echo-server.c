/*
 * udp-echo-server - RFC 862 echo over ustack UDP: every datagram goes back
 * to its sender, unchanged.
 *
 *   udp-echo-server [-p PORT]      (default port 7)
 *
 * Binds 0.0.0.0:PORT and loops recvfrom/sendto, datagrams of 0 to 65507
 * bytes. The daemon is found through $USTACK_CTL. Runs until killed; exits
 * 1 if the socket cannot be set up or the stack goes away.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ustack.h"
#include "ustack_admin.h"
#include "lib/app.h"

#define PROG "udp-echo-server"
#define DGRAM_MAX 65507

static void
usage(void)
{
    fprintf(stderr, "usage: " PROG " [-p PORT]   (echo UDP datagrams; default port 7)\n");
    exit(2);
}

int
main(int argc, char **argv)
{
    static unsigned char buf[DGRAM_MAX];
    int port = 7, c;

    while ((c = getopt(argc, argv, "p:h")) != -1) {
        switch (c) {
        case 'p': port = app_port(optarg, usage); break;
        default: usage();
        }
    }
    if (optind != argc)
        usage();

    int fd = us_socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        app_fail("socket");
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (us_bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
        app_fail("bind");
    fprintf(stderr, PROG ": echoing on 0.0.0.0:%d\n", port);

    for (;;) {
        struct sockaddr_in src;
        socklen_t len = sizeof(src);
        ssize_t n = us_recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&src, &len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            app_fail("recvfrom");
        }
        if (n == 0 && len == 0) {
            /* end of file: no datagram, no sender */
            app_daemon_check_now(); /* the daemon went away: say so */
            fprintf(stderr, PROG ": the stack closed the socket\n");
            return 1;
        }
        if (us_sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&src, len) < 0) {
            /* one sender we cannot answer is no reason to stop serving */
            char a[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &src.sin_addr, a, sizeof(a));
            fprintf(stderr, PROG ": sendto %s:%u: %s\n", a, ntohs(src.sin_port),
                    strerror(errno));
            if (errno == ENOENT || errno == ECONNREFUSED || errno == ECONNRESET)
                return 1; /* the daemon is gone */
        }
    }
}
