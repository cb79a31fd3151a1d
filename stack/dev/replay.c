/*
 * replay.c - frames from a pcap file as a device.
 *
 * Owns: one libpcap offline handle. recv() returns the file's frames in
 * order with each frame's own timestamp (read at nanosecond precision,
 * handed out in microseconds), then -ENODATA. The file must be Ethernet
 * (DLT_EN10MB). send() drops what the engine transmits and succeeds: the
 * replay tool compares output through a capture middleware, not here.
 *
 * Leaves out: pcapng files with several interfaces of different link types
 * (libpcap reads the first), and frames cut short by the capture's snaplen
 * are returned as captured (caplen bytes); the engine's length checks see
 * them as the truncated frames they are.
 */
#include "dev/dev.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct replay {
    struct dev dev; /* first: a struct dev * is a struct replay * */
    pcap_t *pcap;
};

static struct replay *
replay_of(struct dev *d)
{
    return (struct replay *)d;
}

static int
replay_send(struct dev *d, const uint8_t *frame, size_t len, uint64_t now_us)
{
    (void)d;
    (void)frame;
    (void)len;
    (void)now_us;
    return 0;
}

static ssize_t
replay_recv(struct dev *d, uint8_t *buf, size_t cap, uint64_t *ts_us)
{
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = pcap_next_ex(replay_of(d)->pcap, &h, &data);

    if (rc == PCAP_ERROR_BREAK)
        return -ENODATA;
    if (rc != 1)
        return -EIO; /* a damaged file; pcap_geterr() has the details */

    /* Opened with PCAP_TSTAMP_PRECISION_NANO: tv_usec holds nanoseconds. */
    if (h->ts.tv_sec >= 0)
        *ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec / 1000u;
    else
        *ts_us = 0;

    if (h->caplen > cap)
        return -EMSGSIZE; /* this frame is skipped; the next recv goes on */
    memcpy(buf, data, h->caplen);
    return (ssize_t)h->caplen;
}

static int
replay_fd(struct dev *d)
{
    (void)d;
    return -1; /* nothing to wait for: the driver calls recv until -ENODATA */
}

static void
replay_close(struct dev *d)
{
    struct replay *r = replay_of(d);

    pcap_close(r->pcap);
    free(r);
}

static const struct dev_ops replay_ops = {
    .send = replay_send,
    .recv = replay_recv,
    .fd = replay_fd,
    .close = replay_close,
};

struct dev *
replay_open(const char *path, char *err, size_t errlen)
{
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO,
                                                        pcap_err);

    if (!p) {
        /* libpcap names the file for some errors ("x.pcap: No such file or
         * directory") but not others ("unknown file format"). */
        if (strncmp(pcap_err, path, strlen(path)) == 0)
            snprintf(err, errlen, "cannot read pcap %s", pcap_err);
        else
            snprintf(err, errlen, "cannot read pcap %s: %s", path, pcap_err);
        return NULL;
    }

    int dlt = pcap_datalink(p);
    if (dlt != DLT_EN10MB) {
        const char *dlt_name = pcap_datalink_val_to_name(dlt);
        snprintf(err, errlen, "%s: link type %s (%d), need EN10MB (Ethernet)", path,
                 dlt_name ? dlt_name : "unknown", dlt);
        pcap_close(p);
        return NULL;
    }

    struct replay *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        pcap_close(p);
        return NULL;
    }
    r->dev.ops = &replay_ops;
    snprintf(r->dev.name, sizeof(r->dev.name), "replay");
    r->pcap = p;
    return &r->dev;
}
