/*
 * dev.h - the device interface: where frames enter and leave.
 *
 * Owns: the vtable every link-layer device implements, and the
 * constructors of the devices and middlewares in stack/dev/:
 *   tap      a Linux TAP interface (the real one)
 *   replay   frames read from a pcap file, with the capture's timestamps
 *   loop     an in-memory link joining two engines in one process
 *   capture  a middleware: every frame in and out, to a pcapng file,
 *            each with a comment saying why it left or was dropped
 *   fault    a middleware: seeded loss, duplication, reordering,
 *            corruption, delay and a rate limit, on either direction
 *            (fault_line.h does one direction; ustackd's --loss etc.)
 *   packet   an AF_PACKET socket on a named interface (lossy-link)
 *
 * A device moves whole Ethernet frames (no FCS). It knows nothing of the
 * engine: the driver (ustackd's event loop, a test, the replay tool) calls
 * recv() and hands the frame to stack_input(); the engine calls send().
 * Middlewares wrap another device and forward both directions.
 *
 * A device that holds frames for later (the fault middleware's delay)
 * says when with poll_at(); the driver calls poll(now) then, and calls
 * recv() again, since a held received frame may now be due. Devices that
 * hold nothing leave both NULL.
 *
 * Notes: the engine can say why a frame leaves and what became of a frame
 * it received (the capture writes that as the frame's comment). It asks
 * wants_notes() first and formats the text only when a device in the chain
 * keeps notes, so a chain without a capture pays one call per frame.
 * Middlewares forward both ops to the device they wrap; other devices
 * leave them NULL.
 */
#ifndef USTACK_DEV_DEV_H
#define USTACK_DEV_DEV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "dev/fault_line.h"

struct dev;

struct dev_ops {
    /* Transmit one frame at time now_us. 0, or a negative errno. */
    int (*send)(struct dev *d, const uint8_t *frame, size_t len, uint64_t now_us);
    /* Receive one frame into buf. Returns its length; -EAGAIN when none is
     * waiting; -ENODATA at the end of a finite source (replay); another
     * negative errno on failure. *ts_us comes in as the caller's clock;
     * a device that knows the frame's own time (replay) overwrites it. */
    ssize_t (*recv)(struct dev *d, uint8_t *buf, size_t cap, uint64_t *ts_us);
    /* A file descriptor that polls readable when recv has a frame; -1 if none. */
    int (*fd)(struct dev *d);
    /* Release the device (and, for a middleware, the device it wraps). */
    void (*close)(struct dev *d);
    /* Optional: when poll() next has work, DEV_NEVER if never. */
    uint64_t (*poll_at)(struct dev *d);
    /* Optional: at now_us, send the held frames that are due; held received
     * frames that are due become available to recv(). */
    void (*poll)(struct dev *d, uint64_t now_us);
    /* Optional: nonzero when a device in this chain keeps notes. */
    int (*wants_notes)(struct dev *d);
    /* Optional: DEV_NOTE_TX: why the next frame sent leaves. DEV_NOTE_RX:
     * what became of the frame last received, once the engine is done
     * with it (text NULL: it was taken, not dropped). */
    void (*note)(struct dev *d, int dir, const char *text);
};

#define DEV_NEVER UINT64_MAX
enum { DEV_NOTE_TX, DEV_NOTE_RX };

struct dev {
    const struct dev_ops *ops;
    char name[32];
};

static inline int
dev_send(struct dev *d, const uint8_t *frame, size_t len, uint64_t now_us)
{
    return d->ops->send(d, frame, len, now_us);
}

static inline ssize_t
dev_recv(struct dev *d, uint8_t *buf, size_t cap, uint64_t *ts_us)
{
    return d->ops->recv(d, buf, cap, ts_us);
}

static inline int
dev_fd(struct dev *d)
{
    return d->ops->fd ? d->ops->fd(d) : -1;
}

static inline uint64_t
dev_poll_at(struct dev *d)
{
    return d->ops->poll_at ? d->ops->poll_at(d) : DEV_NEVER;
}

static inline void
dev_poll(struct dev *d, uint64_t now_us)
{
    if (d->ops->poll)
        d->ops->poll(d, now_us);
}

static inline int
dev_wants_notes(struct dev *d)
{
    return d->ops->wants_notes ? d->ops->wants_notes(d) : 0;
}

static inline void
dev_note(struct dev *d, int dir, const char *text)
{
    if (d->ops->note)
        d->ops->note(d, dir, text);
}

static inline void
dev_close(struct dev *d)
{
    if (d)
        d->ops->close(d);
}

/* Open (creating it if needed) the TAP interface `name`, IFF_TAP|IFF_NO_PI,
 * non-blocking. On failure returns NULL and writes a one-line reason (what
 * is missing: root/CAP_NET_ADMIN, /dev/net/tun, ...) into err. */
struct dev *tap_open(const char *name, char *err, size_t errlen);

/* Frames of a pcap or pcapng file (DLT_EN10MB, read by libpcap), in order, with their timestamps in
 * microseconds. send() records nothing and succeeds. */
struct dev *replay_open(const char *path, char *err, size_t errlen);

/* Two ends of an in-memory link: a frame sent on one is received on the
 * other, in order, up to a bounded queue (overflow drops, as a wire would). */
int loop_pair(struct dev **a, struct dev **b);
/* Frames waiting to be received on this end (for tests driving a loop). */
size_t loop_pending(struct dev *d);

/* Wrap inner: every frame received or sent is written to path as pcapng
 * (capture.c): one Ethernet interface, nanosecond timestamps, the
 * direction and the engine's note as each frame's comment. Timestamps
 * are now_us + epoch_us (give the offset from the engine's clock to the
 * Unix epoch; 0 for a virtual clock that is already epoch-based), or,
 * after capture_use_realtime(), CLOCK_REALTIME read as each frame is
 * received or sent. capture_flush() writes buffered records out (ustackd
 * calls it after every wakeup and on SIGINT/SIGTERM). */
struct dev *capture_open(struct dev *inner, const char *path, int64_t epoch_us,
                         char *err, size_t errlen);
void capture_use_realtime(struct dev *d);
void capture_flush(struct dev *d);

/* Fault injection on both directions of inner: "out" is what the engine
 * sends, "in" what recv() gets from inner (struct fault_line_config and
 * its rules: fault_line.h). Seeded: the same seed and the same frames at
 * the same times give the same faults. The four rates at the top are the
 * send direction's, as before out existed: each is used when out's own is
 * 0. A direction with nothing to do passes frames straight through. */
struct fault_config {
    uint64_t seed;
    uint32_t drop_ppm, dup_ppm, reorder_ppm, corrupt_ppm;
    struct fault_line_config in, out;
};
/* Indexes into fault_counts' out[]. */
enum { FAULT_DROP, FAULT_DUP, FAULT_REORDER, FAULT_CORRUPT, FAULT_NKINDS };

/* NULL if inner is NULL, the configuration has a problem (see
 * fault_line_config_problem), or memory is short (inner is then left
 * open). Closing the fault device closes inner. */
struct dev *fault_open(struct dev *inner, const struct fault_config *fc);
/* Frames dropped, duplicated, reordered, corrupted so far on the send
 * direction (zeros for a device that is not a fault middleware). */
void fault_counts(struct dev *d, uint64_t out[4]);
/* Everything each direction did; -EINVAL if d is not a fault middleware. */
int fault_stats(struct dev *d, struct fault_line_stats *in, struct fault_line_stats *out);
/* Change a fault middleware's settings while it runs (ustack-ctl fault):
 * in and out replace what each direction had (the top-level rates of
 * struct fault_config are not used). A direction that becomes clean
 * passes frames straight through again once what it holds has gone.
 * 0, -EINVAL (d is not a fault middleware, or a configuration problem:
 * nothing is changed), -ENOMEM. */
int fault_set(struct dev *d, const struct fault_line_config *in,
              const struct fault_line_config *out);
/* The settings each direction has now; -EINVAL if d is not a fault
 * middleware. */
int fault_get(struct dev *d, struct fault_line_config *in, struct fault_line_config *out);
/* fault_line_print of both directions, "in" then "out" (nothing for a
 * device that is not a fault middleware). */
void fault_print(struct dev *d, FILE *f);

/* Open the existing interface ifname as an AF_PACKET socket (every frame
 * it receives, promiscuous; not the frames sent on it), non-blocking. On
 * failure NULL and a one-line reason in err. */
struct dev *packet_open(const char *ifname, char *err, size_t errlen);

#endif
