/*
 * packet.c - an existing Linux interface, through an AF_PACKET socket, as
 * a device.
 *
 * Owns: one non-blocking SOCK_RAW packet socket bound to one interface
 * (ETH_P_ALL, promiscuous), so that recv() returns each whole Ethernet
 * frame the interface received, whoever it was addressed to, and send()
 * transmits one frame out of it. Frames sent on the interface (by us or
 * by the kernel) are not received: PACKET_IGNORE_OUTGOING, or, on a kernel
 * without it, skipped by their packet type. The receive buffer is raised
 * to PACKET_RCVBUF so that a burst waits rather than being lost before we
 * read it; send() bypasses the queueing discipline.
 *
 * scripts/lossy-link opens a veth end, or the host side of a TAP, this
 * way. The kernel on the other side must not hand us frames larger than
 * the MTU or with checksums left to the hardware: turn off its offloads
 * (ethtool -K DEV tx off tso off gso off). Leaves out: PACKET_MMAP rings,
 * VLAN tags the kernel strips (PACKET_AUXDATA), frames over 64 KiB.
 */
#include "dev/dev.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PACKET_RCVBUF (8 * 1024 * 1024)

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23 /* linux/if_packet.h, 4.20 and later */
#endif

struct packet {
    struct dev dev; /* first: a struct dev * is a struct packet * */
    int fd;
};

static struct packet *
packet_of(struct dev *d)
{
    return (struct packet *)d;
}

static int
packet_send(struct dev *d, const uint8_t *frame, size_t len, uint64_t now_us)
{
    (void)now_us;
    ssize_t n = send(packet_of(d)->fd, frame, len, MSG_DONTWAIT);

    if (n < 0)
        return -errno; /* -EAGAIN, -ENOBUFS: dropped, as by a full NIC ring */
    return (size_t)n == len ? 0 : -EIO;
}

static ssize_t
packet_recv(struct dev *d, uint8_t *buf, size_t cap, uint64_t *ts_us)
{
    (void)ts_us; /* the caller's clock */
    for (;;) {
        struct sockaddr_ll from;
        socklen_t fromlen = sizeof(from);
        ssize_t n = recvfrom(packet_of(d)->fd, buf, cap, MSG_TRUNC,
                             (struct sockaddr *)&from, &fromlen);
        if (n < 0)
            return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        if (from.sll_pkttype == PACKET_OUTGOING)
            continue; /* a kernel without PACKET_IGNORE_OUTGOING */
        if ((size_t)n > cap)
            return -EMSGSIZE;
        return n;
    }
}

static int
packet_fd(struct dev *d)
{
    return packet_of(d)->fd;
}

static void
packet_close(struct dev *d)
{
    close(packet_of(d)->fd);
    free(d);
}

static const struct dev_ops packet_ops = {
    .send = packet_send,
    .recv = packet_recv,
    .fd = packet_fd,
    .close = packet_close,
};

/* Bind fd to interface index ifindex, promiscuous, with a large receive
 * buffer. 0, or -1 with errno and what failed in *what. */
static int
packet_setup(int fd, int ifindex, const char **what)
{
    struct sockaddr_ll sll = {.sll_family = AF_PACKET,
                              .sll_protocol = htons(ETH_P_ALL),
                              .sll_ifindex = ifindex};
    struct packet_mreq mr = {.mr_ifindex = ifindex, .mr_type = PACKET_MR_PROMISC};
    int one = 1, rcvbuf = PACKET_RCVBUF;

    /* best effort: without them we filter by hand, or read more often */
    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    *what = "bind";
    if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
        return -1;
    *what = "PACKET_MR_PROMISC";
    return setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr));
}

struct dev *
packet_open(const char *ifname, char *err, size_t errlen)
{
    size_t len = ifname ? strlen(ifname) : 0;
    const char *what = "socket";

    if (len == 0 || len >= IFNAMSIZ) {
        snprintf(err, errlen, "interface name '%s' must be 1 to %d characters",
                 ifname ? ifname : "", IFNAMSIZ - 1);
        return NULL;
    }
    int ifindex = (int)if_nametoindex(ifname);
    if (ifindex == 0) {
        snprintf(err, errlen, "no interface %s in this network namespace", ifname);
        return NULL;
    }
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0 || packet_setup(fd, ifindex, &what) < 0) {
        int e = errno;
        snprintf(err, errlen, "AF_PACKET on %s: %s: %s%s", ifname, what, strerror(e),
                 e == EPERM ? " (needs root or CAP_NET_RAW)" : "");
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    struct packet *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        close(fd);
        return NULL;
    }
    p->dev.ops = &packet_ops;
    snprintf(p->dev.name, sizeof(p->dev.name), "%s", ifname);
    p->fd = fd;
    return &p->dev;
}
