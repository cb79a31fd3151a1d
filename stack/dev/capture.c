/*
 * capture.c - a middleware that records every frame to a pcap file.
 *
 * Owns: one libpcap dumper and the device it wraps. send(), recv(), fd(),
 * poll_at() and poll() are forwarded to the inner device; each frame
 * received (length > 0) and each frame the inner device accepted for
 * sending is written as one pcap record, linktype DLT_EN10MB, nanosecond
 * timestamps, so the file opens in Wireshark or `tshark -r` as the wire
 * would look. A frame the inner device refused (-EAGAIN, -ENOBUFS, ...)
 * never left, so it is not recorded; the engine counts it as a transmit
 * error.
 *
 * Record time is now_us + epoch_us: ustackd passes the offset from
 * CLOCK_MONOTONIC to the Unix epoch; tests with a virtual clock pass 0 and
 * get the same file for the same input, byte for byte. A received frame
 * takes the time recv() reports (the replay device's own timestamp, or
 * the caller's clock).
 *
 * Leaves out: pcapng, snaplen below 65535, write errors (libpcap's dumper
 * is a stdio stream; a full disk shows up as a short file).
 */
#include "dev/dev.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAPTURE_SNAPLEN 65535

struct capture {
    struct dev dev; /* first: a struct dev * is a struct capture * */
    struct dev *inner;
    pcap_t *pcap; /* a "dead" handle: only describes the file's format */
    pcap_dumper_t *dumper;
    int64_t epoch_us;
};

static const struct dev_ops capture_ops;

static struct capture *
capture_of(struct dev *d)
{
    return (struct capture *)d;
}

static void
capture_record(struct capture *c, const uint8_t *frame, size_t len, uint64_t now_us)
{
    struct pcap_pkthdr h;
    int64_t t_us = (int64_t)now_us + c->epoch_us;

    if (t_us < 0)
        t_us = 0;
    memset(&h, 0, sizeof(h));
    h.ts.tv_sec = (time_t)(t_us / 1000000);
    h.ts.tv_usec = (suseconds_t)(t_us % 1000000) * 1000; /* nanoseconds in a NANO file */
    h.len = (bpf_u_int32)len;
    h.caplen = len < CAPTURE_SNAPLEN ? (bpf_u_int32)len : CAPTURE_SNAPLEN;
    pcap_dump((u_char *)c->dumper, &h, frame);
}

static int
capture_send(struct dev *d, const uint8_t *frame, size_t len, uint64_t now_us)
{
    struct capture *c = capture_of(d);
    int rc = dev_send(c->inner, frame, len, now_us);

    if (rc >= 0)
        capture_record(c, frame, len, now_us);
    return rc;
}

static ssize_t
capture_recv(struct dev *d, uint8_t *buf, size_t cap, uint64_t *ts_us)
{
    struct capture *c = capture_of(d);
    ssize_t n = dev_recv(c->inner, buf, cap, ts_us);

    if (n > 0)
        capture_record(c, buf, (size_t)n, *ts_us);
    return n;
}

static int
capture_fd(struct dev *d)
{
    return dev_fd(capture_of(d)->inner);
}

static uint64_t
capture_poll_at(struct dev *d)
{
    return dev_poll_at(capture_of(d)->inner);
}

static void
capture_poll(struct dev *d, uint64_t now_us)
{
    dev_poll(capture_of(d)->inner, now_us);
}

static void
capture_close(struct dev *d)
{
    struct capture *c = capture_of(d);

    pcap_dump_flush(c->dumper);
    pcap_dump_close(c->dumper);
    pcap_close(c->pcap);
    dev_close(c->inner);
    free(c);
}

static const struct dev_ops capture_ops = {
    .send = capture_send,
    .recv = capture_recv,
    .fd = capture_fd,
    .close = capture_close,
    .poll_at = capture_poll_at,
    .poll = capture_poll,
};

/* On failure inner is left open: the caller still owns it. */
struct dev *
capture_open(struct dev *inner, const char *path, int64_t epoch_us, char *err,
             size_t errlen)
{
    if (!inner || !path || !*path) {
        snprintf(err, errlen, "capture needs a device and a file name");
        return NULL;
    }

    pcap_t *p = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, CAPTURE_SNAPLEN,
                                                     PCAP_TSTAMP_PRECISION_NANO);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pcap_dumper_t *dumper = pcap_dump_open(p, path);
    if (!dumper) {
        /* libpcap's message names the file, e.g. "x.pcap: Permission denied" */
        snprintf(err, errlen, "cannot write pcap: %s", pcap_geterr(p));
        pcap_close(p);
        return NULL;
    }

    struct capture *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        pcap_dump_close(dumper);
        pcap_close(p);
        return NULL;
    }
    c->dev.ops = &capture_ops;
    memcpy(c->dev.name, inner->name, sizeof(c->dev.name));
    c->inner = inner;
    c->pcap = p;
    c->dumper = dumper;
    c->epoch_us = epoch_us;
    return &c->dev;
}

void
capture_flush(struct dev *d)
{
    if (d && d->ops == &capture_ops)
        pcap_dump_flush(capture_of(d)->dumper);
}
