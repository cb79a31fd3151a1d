/*
 * loop.c - an in-memory link joining two devices.
 *
 * Owns: one link with two ends. A frame sent on one end is copied into the
 * other end's receive queue, a bounded FIFO of LOOP_QUEUE_LEN frames of up
 * to LOOP_FRAME_MAX bytes each. A full queue drops the frame and send()
 * says -ENOBUFS, as a wire with a full receiver would lose it. Nothing
 * polls: there is no file descriptor, the driver (a test) calls recv()
 * until -EAGAIN, or asks loop_pending().
 *
 * The link is one allocation, freed when the second end is closed. A frame
 * sent towards an end already closed is dropped and send() succeeds (a
 * cable with nothing at the far end).
 *
 * Leaves out: delay, loss, reordering and corruption (that is a fault
 * middleware's job), and carrying the sender's time: recv() leaves *ts_us
 * as the caller's clock.
 */
#include "dev/dev.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOOP_QUEUE_LEN 256
#define LOOP_FRAME_MAX 9216 /* a 9000-byte MTU, Ethernet and VLAN headers, slack */

struct loop_slot {
    size_t len;
    uint8_t data[LOOP_FRAME_MAX];
};

/* Frames waiting to be received on one end, oldest at head. */
struct loop_fifo {
    size_t head;
    size_t count;
    struct loop_slot slot[LOOP_QUEUE_LEN];
};

struct loop_link;

struct loop_end {
    struct dev dev; /* first: a struct dev * is a struct loop_end * */
    struct loop_link *link;
    bool open;
    struct loop_fifo rx;
};

struct loop_link {
    struct loop_end end[2];
};

static const struct dev_ops loop_ops;

static struct loop_end *
loop_of(struct dev *d)
{
    return (struct loop_end *)d;
}

static struct loop_end *
loop_peer(struct loop_end *e)
{
    struct loop_link *l = e->link;

    return e == &l->end[0] ? &l->end[1] : &l->end[0];
}

static int
loop_send(struct dev *d, const uint8_t *frame, size_t len, uint64_t now_us)
{
    (void)now_us;
    struct loop_end *peer = loop_peer(loop_of(d));
    struct loop_fifo *q = &peer->rx;

    if (len > LOOP_FRAME_MAX)
        return -EMSGSIZE;
    if (!peer->open)
        return 0;
    if (q->count == LOOP_QUEUE_LEN)
        return -ENOBUFS;

    struct loop_slot *s = &q->slot[(q->head + q->count) % LOOP_QUEUE_LEN];
    memcpy(s->data, frame, len);
    s->len = len;
    q->count++;
    return 0;
}

static ssize_t
loop_recv(struct dev *d, uint8_t *buf, size_t cap, uint64_t *ts_us)
{
    (void)ts_us;
    struct loop_fifo *q = &loop_of(d)->rx;

    if (q->count == 0)
        return -EAGAIN;

    struct loop_slot *s = &q->slot[q->head];
    q->head = (q->head + 1) % LOOP_QUEUE_LEN;
    q->count--;
    if (s->len > cap)
        return -EMSGSIZE; /* this frame is dropped; the next recv goes on */
    memcpy(buf, s->data, s->len);
    return (ssize_t)s->len;
}

static int
loop_fd(struct dev *d)
{
    (void)d;
    return -1;
}

static void
loop_close(struct dev *d)
{
    struct loop_end *e = loop_of(d);
    struct loop_link *l = e->link;

    e->open = false;
    e->rx.count = 0;
    if (!l->end[0].open && !l->end[1].open)
        free(l);
}

static const struct dev_ops loop_ops = {
    .send = loop_send,
    .recv = loop_recv,
    .fd = loop_fd,
    .close = loop_close,
};

int
loop_pair(struct dev **a, struct dev **b)
{
    /* About 4.7 MB, mostly untouched: calloc maps it lazily. */
    struct loop_link *l = calloc(1, sizeof(*l));

    if (!l)
        return -ENOMEM;
    for (int i = 0; i < 2; i++) {
        struct loop_end *e = &l->end[i];
        e->dev.ops = &loop_ops;
        snprintf(e->dev.name, sizeof(e->dev.name), "loop%d", i);
        e->link = l;
        e->open = true;
    }
    *a = &l->end[0].dev;
    *b = &l->end[1].dev;
    return 0;
}

size_t
loop_pending(struct dev *d)
{
    if (!d || d->ops != &loop_ops)
        return 0;
    return loop_of(d)->rx.count;
}
