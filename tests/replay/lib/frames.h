/*
 * frames.h - what the replay tools share: a list of captured frames, the
 * recording device that keeps every frame the engine sends, and the
 * byte-for-byte comparison of what was sent with what a capture expects.
 */
#ifndef USTACK_REPLAY_FRAMES_H
#define USTACK_REPLAY_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "dev/dev.h"

struct frame {
    uint8_t *data;
    size_t len;
    size_t rec; /* its record in the capture (0-based) */
};

struct frame_list {
    struct frame *v;
    size_t n, cap;
};

int frame_list_add(struct frame_list *l, const uint8_t *data, size_t len, size_t rec);
void frame_list_free(struct frame_list *l);

/* The recording device: send() keeps a copy of every frame; recv()
 * returns the frame rec_feed() put in, once. */
struct rec_dev {
    struct dev dev;
    struct frame_list sent;
    int failed; /* out of memory while recording */
    const uint8_t *inbox;
    size_t inbox_len;
    uint64_t inbox_ts;
};

struct rec_dev *rec_open(void);
/* A capture wrapping r (--pcap OUT with --replay) sees frame f as
 * received: it goes in r's inbox and is taken through top's recv(). */
void rec_feed(struct dev *top, struct rec_dev *r, const uint8_t *f, size_t n,
              uint64_t ts_us);

/* Index of the first mismatch, or SIZE_MAX when both lists are equal. */
size_t frames_compare(const struct frame_list *got, const struct frame_list *want);
/* Print where and how got and want first differ (frame i). */
void frames_report_mismatch(const char *tool, const char *path,
                            const struct frame_list *got, const struct frame_list *want,
                            size_t i);

#endif
