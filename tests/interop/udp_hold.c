/*
 * udp_hold.c - helper of tests/interop/udp.sh: a process that holds
 * ustack sockets and waits to be killed.
 *
 *   udp_hold N PEER_ADDR
 *
 * Opens N sockets: even ones bound to an ephemeral port, odd ones
 * connected to PEER_ADDR port 9 (no datagram is sent). Prints "ready"
 * once they all exist, then sleeps until killed. The test kills it with
 * SIGKILL and checks that the daemon drops every one of them: nothing the
 * process could do on the way out, only its descriptors closing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ustack.h"

int
main(int argc, char **argv)
{
    struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(9)};
    struct sockaddr_in any = {.sin_family = AF_INET};
    int n = argc == 3 ? atoi(argv[1]) : 0;

    if (n <= 0 || inet_pton(AF_INET, argv[2], &peer.sin_addr) != 1) {
        fprintf(stderr, "usage: udp_hold N PEER_ADDR\n");
        return 2;
    }
    for (int i = 0; i < n; i++) {
        int fd = us_socket(AF_INET, SOCK_DGRAM, 0);
        int r = fd < 0  ? -1
                : i % 2 ? us_connect(fd, (struct sockaddr *)&peer, sizeof(peer))
                        : us_bind(fd, (struct sockaddr *)&any, sizeof(any));
        if (r < 0) {
            fprintf(stderr, "udp_hold: socket %d: %s\n", i, strerror(errno));
            return 1;
        }
    }
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
