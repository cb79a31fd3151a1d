/*
 * fault_line.h - one direction of a damaged link: what happens to each
 * frame, and the queue that holds frames until they are due.
 *
 * Owns: the decisions of one direction (loss, duplication, reordering,
 * corruption, delay with jitter, a rate limit), the frames it holds, its
 * RNG and its counters. The fault middleware (fault.c) runs two of them,
 * one per direction of a device; scripts/lossy-link runs two between two
 * interfaces. Both print them with fault_line_print, one line each.
 *
 * A frame goes in with fault_line_input(now) and comes out of
 * fault_line_output(now) once it is due; fault_line_next_us() says when
 * that is. Time is always passed in: nothing here reads a clock.
 */
#ifndef USTACK_DEV_FAULT_LINE_H
#define USTACK_DEV_FAULT_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "core/ring.h"
#include "core/rng.h"

#define FAULT_LINE_NEVER UINT64_MAX
#define FAULT_PPM_MAX 1000000u
#define FAULT_DELAY_MAX_US 60000000u        /* one minute */
#define FAULT_RATE_MIN_BPS 1000u            /* 1 kbit/s */
#define FAULT_RATE_MAX_BPS 1000000000000ull /* 1 Tbit/s */
#define FAULT_QUEUE_DEFAULT (256u * 1024)   /* backlog behind the rate limit */
#define FAULT_QUEUE_MAX (1024u * 1024 * 1024)
#define FAULT_HOLD_DEFAULT (4u * 1024 * 1024) /* every byte the line holds */
#define FAULT_REORDER_HOLD_US 10000u          /* a reordered frame waits at most this */
#define FAULT_FRAME_MAX 65536u

/* One direction's faults; all zero is a clean line. */
struct fault_line_config {
    uint32_t drop_ppm, dup_ppm, reorder_ppm, corrupt_ppm; /* parts per million */
    uint32_t delay_us;                                    /* added to every frame */
    uint32_t jitter_us;   /* the delay is uniform in delay +- jitter; <= delay */
    uint64_t rate_bps;    /* serialisation at this many bits/s; 0: no limit */
    uint32_t queue_bytes; /* backlog waiting for the rate; 0: FAULT_QUEUE_DEFAULT */
    uint32_t hold_bytes;  /* all frames held (backlog and delay); 0: FAULT_HOLD_DEFAULT */
};

/* What the line did. frames = given to it; sent = came out (duplicates
 * included); queued = held now. frames - dropped - overflow + duplicated
 * = sent + queued, always. */
struct fault_line_stats {
    uint64_t frames, sent, dropped, duplicated, reordered, corrupted, delayed, overflow,
        queued;
};

struct fault_line {
    struct fault_line_config cfg;
    struct rng rng;
    struct ring q;           /* records: due_us (8 bytes), len (4), the frame */
    uint64_t last_due_us;    /* due time of the newest record: order is kept */
    uint64_t busy_until_ns;  /* when the rate limiter has sent what it holds */
    uint64_t max_backlog_ns; /* queue_bytes at rate_bps, as time */
    uint8_t *held;           /* one frame held back for reordering */
    size_t held_len;         /* 0: none */
    uint64_t held_until_us;  /* it goes after the next frame, or at this time */
    struct fault_line_stats st;
};

/* Why this configuration cannot run, or NULL if it can. */
const char *fault_line_config_problem(const struct fault_line_config *c);
/* True when c does nothing to frames (a driver may then skip the line). */
bool fault_line_config_clean(const struct fault_line_config *c);

/* 0, -EINVAL (see fault_line_config_problem) or -ENOMEM. */
int fault_line_init(struct fault_line *l, const struct fault_line_config *c,
                    uint64_t seed);
void fault_line_free(struct fault_line *l);
/* Change the settings of a running line (ustack-ctl fault): the frames it
 * holds keep their due times; the new rates apply from the next frame.
 * The bound on what it holds (hold_bytes) stays what init gave it. 0 or
 * -EINVAL (see fault_line_config_problem). */
int fault_line_set(struct fault_line *l, const struct fault_line_config *c);
/* The line holds frames (queued, delayed or kept back for reordering). */
bool fault_line_holds(const struct fault_line *l);

/* One frame enters the line at now_us. The line copies what it keeps. */
/* A frame that went by untouched while the line is clean and empty (the
 * middleware's pass-through): counted, so the figures cover every frame. */
void fault_line_passed(struct fault_line *l);
void fault_line_input(struct fault_line *l, const uint8_t *frame, size_t len,
                      uint64_t now_us);
/* The next frame due by now_us, copied into buf: its length; -EAGAIN when
 * none is due; -EMSGSIZE when it is longer than cap (it is dropped). */
ssize_t fault_line_output(struct fault_line *l, uint64_t now_us, uint8_t *buf,
                          size_t cap);
/* When fault_line_output next has a frame; FAULT_LINE_NEVER if none. */
uint64_t fault_line_next_us(const struct fault_line *l);

/* "fault DIR: frames=N sent=N dropped=N duplicated=N reordered=N
 *  corrupted=N delayed=N overflow=N queued=N", one line. */
void fault_line_print(const struct fault_line_stats *st, const char *dir, FILE *f);

#endif
