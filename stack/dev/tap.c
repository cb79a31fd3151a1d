/*
 * tap.c - a Linux TAP interface as a device.
 *
 * Owns: the file descriptor of one TAP interface opened through
 * /dev/net/tun with IFF_TAP | IFF_NO_PI, so that each read() returns one
 * whole Ethernet frame (no FCS, no packet-information prefix) and each
 * write() sends one. The descriptor is non-blocking: recv() says -EAGAIN
 * when nothing waits, and a write the kernel cannot queue (-EAGAIN,
 * -ENOBUFS) drops the frame, as a full NIC ring would; the engine counts it.
 *
 * Opening a name that does not exist creates a non-persistent interface
 * that disappears on close; one made with `ip tuntap add` stays. Leaves
 * out: multi-queue, offloads (IFF_VNET_HDR), setting the interface's
 * address, MTU or link state (that is `ip`'s job, see scripts/run.sh).
 */
#include "dev/dev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define TUN_PATH "/dev/net/tun"

struct tap {
    struct dev dev; /* first: a struct dev * is a struct tap * */
    int fd;
};

static struct tap *
tap_of(struct dev *d)
{
    return (struct tap *)d;
}

static int
tap_send(struct dev *d, const uint8_t *frame, size_t len, uint64_t now_us)
{
    (void)now_us;
    ssize_t n = write(tap_of(d)->fd, frame, len);

    if (n < 0)
        return -errno; /* -EAGAIN, -ENOBUFS: dropped; -EIO: link down */
    if ((size_t)n != len)
        return -EIO; /* the tun driver writes whole frames or nothing */
    return 0;
}

static ssize_t
tap_recv(struct dev *d, uint8_t *buf, size_t cap, uint64_t *ts_us)
{
    (void)ts_us; /* the kernel gives no frame time: keep the caller's clock */
    ssize_t n = read(tap_of(d)->fd, buf, cap);

    if (n < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    return n;
}

static int
tap_fd(struct dev *d)
{
    return tap_of(d)->fd;
}

static void
tap_close(struct dev *d)
{
    struct tap *t = tap_of(d);

    close(t->fd);
    free(t);
}

static const struct dev_ops tap_ops = {
    .send = tap_send,
    .recv = tap_recv,
    .fd = tap_fd,
    .close = tap_close,
};

/* Why open(/dev/net/tun) failed, in words a user can act on. */
static void
explain_open(int e, char *err, size_t errlen)
{
    switch (e) {
    case ENOENT:
        snprintf(err, errlen, TUN_PATH " is missing: load the tun module (modprobe tun)");
        break;
    case ENODEV:
    case ENXIO:
        snprintf(err, errlen,
                 TUN_PATH " has no driver: load the tun module (modprobe tun)");
        break;
    case EACCES:
    case EPERM:
        snprintf(err, errlen, "opening " TUN_PATH " needs root or CAP_NET_ADMIN");
        break;
    default: snprintf(err, errlen, "opening " TUN_PATH ": %s", strerror(e)); break;
    }
}

/* Why TUNSETIFF failed for interface name. */
static void
explain_setiff(int e, const char *name, char *err, size_t errlen)
{
    switch (e) {
    case EPERM:
    case EACCES:
        snprintf(err, errlen,
                 "opening TAP %s needs root or CAP_NET_ADMIN "
                 "(or create it for your user: ip tuntap add dev %s mode tap user $USER)",
                 name, name);
        break;
    case EBUSY:
        snprintf(err, errlen, "TAP %s is already in use by another process", name);
        break;
    case EINVAL:
        snprintf(err, errlen, "interface %s exists and is not a TAP device", name);
        break;
    default: snprintf(err, errlen, "creating TAP %s: %s", name, strerror(e)); break;
    }
}

struct dev *
tap_open(const char *name, char *err, size_t errlen)
{
    struct ifreq ifr;
    size_t len = name ? strlen(name) : 0;

    if (len == 0) {
        snprintf(err, errlen, "TAP interface name is empty");
        return NULL;
    }
    if (len >= IFNAMSIZ) {
        snprintf(err, errlen,
                 "TAP interface name '%s' is too long (at most %d characters)", name,
                 IFNAMSIZ - 1);
        return NULL;
    }

    int fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        explain_open(errno, err, errlen);
        return NULL;
    }

    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    memcpy(ifr.ifr_name, name, len);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        explain_setiff(errno, name, err, errlen);
        close(fd);
        return NULL;
    }

    struct tap *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory");
        close(fd);
        return NULL;
    }
    t->dev.ops = &tap_ops;
    snprintf(t->dev.name, sizeof(t->dev.name), "%s", ifr.ifr_name);
    t->fd = fd;
    return &t->dev;
}
