/*
 * fault_line.c - one direction of a damaged link. See fault_line.h.
 *
 * Owns: one direction's fault decisions and the frames it holds. Each
 * frame given to fault_line_input() draws four numbers, one per fault,
 * each compared with its rate in parts per million:
 *   drop     the frame is lost
 *   corrupt  one random bit is flipped in one random byte past the
 *            Ethernet header (IP header, TCP/UDP header or payload, or the
 *            padding of a short frame, where it does no harm)
 *   dup      the frame goes twice, the copy right behind it
 *   reorder  the frame is held back and goes right after the next one (if
 *            a frame is already held, this one goes in order); a held
 *            frame that sees no next frame goes FAULT_REORDER_HOLD_US later
 * A held frame goes after the next frame has come in, whatever happened
 * to that one.
 *
 * Then the frame waits in one FIFO until it is due:
 *   rate     a serialiser sends at rate_bps: a frame starts when the one
 *            before it has finished and takes len * 8 / rate; frames that
 *            would wait behind more than queue_bytes are dropped and
 *            counted as overflow (a router's tail drop)
 *   delay    then it travels for delay_us, plus a uniform draw in
 *            [-jitter, +jitter]
 * Jitter never reorders: a frame is never due before the one ahead of it
 * (its due time is raised to that one's), so reordering comes only from
 * the reorder fault and its counter is exact. Netem, by contrast, lets
 * jitter reorder. Everything held, backlog and delay alike, fits in
 * hold_bytes; a frame that does not fit is overflow too.
 *
 * The same seed and the same frames at the same times give the same
 * faults, byte for byte; nothing here reads a clock or a global.
 *
 * Leaves out: bursts of loss (Gilbert-Elliott), loss that depends on the
 * frame's content, a rate on the link layer's overhead (preamble, FCS,
 * gap: len is the frame as given).
 */
#include "dev/fault_line.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FAULT_ETH_HDR 14
#define FAULT_REC_HDR 12 /* due_us (8), len (4), host order */
#define NS_PER_S 1000000000ull

const char *
fault_line_config_problem(const struct fault_line_config *c)
{
    if (c->drop_ppm > FAULT_PPM_MAX || c->dup_ppm > FAULT_PPM_MAX ||
        c->reorder_ppm > FAULT_PPM_MAX || c->corrupt_ppm > FAULT_PPM_MAX)
        return "a rate is above 100%";
    if (c->delay_us > FAULT_DELAY_MAX_US)
        return "the delay is above one minute";
    if (c->jitter_us > c->delay_us)
        return "the jitter is larger than the delay";
    if (c->rate_bps &&
        (c->rate_bps < FAULT_RATE_MIN_BPS || c->rate_bps > FAULT_RATE_MAX_BPS))
        return "the rate is outside 0.001 to 1000000 Mbit/s";
    if (c->queue_bytes > FAULT_QUEUE_MAX || c->hold_bytes > FAULT_QUEUE_MAX)
        return "a queue is larger than 1 GiB";
    return NULL;
}

bool
fault_line_config_clean(const struct fault_line_config *c)
{
    return !c->drop_ppm && !c->dup_ppm && !c->reorder_ppm && !c->corrupt_ppm &&
           !c->delay_us && !c->rate_bps;
}

int
fault_line_init(struct fault_line *l, const struct fault_line_config *c, uint64_t seed)
{
    memset(l, 0, sizeof(*l));
    if (fault_line_config_problem(c))
        return -EINVAL;
    l->cfg = *c;
    if (!l->cfg.queue_bytes)
        l->cfg.queue_bytes = FAULT_QUEUE_DEFAULT;
    if (!l->cfg.hold_bytes)
        l->cfg.hold_bytes = FAULT_HOLD_DEFAULT;
    if (l->cfg.rate_bps)
        l->max_backlog_ns = (uint64_t)l->cfg.queue_bytes * 8 * NS_PER_S / l->cfg.rate_bps;
    rng_seed(&l->rng, seed);
    l->held = malloc(FAULT_FRAME_MAX);
    if (!l->held || ring_init(&l->q, l->cfg.hold_bytes) < 0) {
        fault_line_free(l);
        return -ENOMEM;
    }
    return 0;
}

int
fault_line_set(struct fault_line *l, const struct fault_line_config *c)
{
    uint32_t hold = l->cfg.hold_bytes;

    if (fault_line_config_problem(c))
        return -EINVAL;
    l->cfg = *c;
    l->cfg.hold_bytes = hold;
    if (!l->cfg.queue_bytes)
        l->cfg.queue_bytes = FAULT_QUEUE_DEFAULT;
    l->max_backlog_ns = 0;
    if (l->cfg.rate_bps)
        l->max_backlog_ns = (uint64_t)l->cfg.queue_bytes * 8 * NS_PER_S / l->cfg.rate_bps;
    return 0;
}

bool
fault_line_holds(const struct fault_line *l)
{
    return l->st.queued > 0;
}

void
fault_line_free(struct fault_line *l)
{
    free(l->held);
    l->held = NULL;
    l->held_len = 0;
    ring_free(&l->q);
}

static bool
fault_hit(struct fault_line *l, uint32_t ppm)
{
    return rng_range(&l->rng, 0, FAULT_PPM_MAX - 1) < ppm;
}

/* The rate limiter: when a frame of len bytes arriving at now_us has been
 * sent, in ns; 0 when the backlog is full (overflow). */
static uint64_t
fault_serialise(struct fault_line *l, size_t len, uint64_t now_us)
{
    uint64_t now_ns = now_us * 1000, start = now_ns;
    uint64_t tx_ns = (uint64_t)len * 8 * NS_PER_S / l->cfg.rate_bps;

    if (l->busy_until_ns > now_ns)
        start = l->busy_until_ns;
    if (start - now_ns + tx_ns > l->max_backlog_ns)
        return 0;
    l->busy_until_ns = start + tx_ns;
    return l->busy_until_ns;
}

/* delay_us, or a uniform draw in delay +- jitter */
static uint64_t
fault_delay(struct fault_line *l)
{
    uint32_t j = l->cfg.jitter_us;

    if (!j)
        return l->cfg.delay_us;
    return (uint64_t)l->cfg.delay_us - j + rng_range(&l->rng, 0, 2 * j);
}

/* Queue one frame, with the bit at corrupt_at flipped by corrupt_mask
 * (mask 0: none), due when the serialiser and the delay say. */
static void
fault_enqueue(struct fault_line *l, const uint8_t *frame, size_t len, size_t corrupt_at,
              uint8_t corrupt_mask, uint64_t now_us)
{
    uint8_t hdr[FAULT_REC_HDR];
    uint64_t due_us = now_us;
    uint32_t len32 = (uint32_t)len;

    if (ring_space(&l->q) < FAULT_REC_HDR + len) {
        l->st.overflow++;
        return;
    }
    if (l->cfg.rate_bps) {
        uint64_t sent_ns = fault_serialise(l, len, now_us);
        if (!sent_ns) {
            l->st.overflow++;
            return;
        }
        due_us = (sent_ns + 999) / 1000;
    }
    due_us += fault_delay(l);
    if (due_us < l->last_due_us)
        due_us = l->last_due_us; /* never overtake the frame ahead */
    l->last_due_us = due_us;
    if (due_us > now_us)
        l->st.delayed++;
    memcpy(hdr, &due_us, 8);
    memcpy(hdr + 8, &len32, 4);
    ring_write(&l->q, hdr, sizeof(hdr));
    if (corrupt_mask) {
        uint8_t bad = frame[corrupt_at] ^ corrupt_mask;
        ring_write(&l->q, frame, corrupt_at);
        ring_write(&l->q, &bad, 1);
        ring_write(&l->q, frame + corrupt_at + 1, len - corrupt_at - 1);
    } else {
        ring_write(&l->q, frame, len);
    }
    l->st.queued++;
}

/* The held frame, if any, joins the queue (after the frame just in). */
static void
fault_release_held(struct fault_line *l, uint64_t now_us)
{
    if (!l->held_len)
        return;
    size_t len = l->held_len;
    l->held_len = 0;
    l->st.queued--;
    fault_enqueue(l, l->held, len, 0, 0, now_us);
}

void
fault_line_passed(struct fault_line *l)
{
    l->st.frames++;
    l->st.sent++;
}

void
fault_line_input(struct fault_line *l, const uint8_t *frame, size_t len, uint64_t now_us)
{
    bool drop = fault_hit(l, l->cfg.drop_ppm);
    bool corrupt = fault_hit(l, l->cfg.corrupt_ppm);
    bool dup = fault_hit(l, l->cfg.dup_ppm);
    bool reorder = fault_hit(l, l->cfg.reorder_ppm);
    size_t at = 0;
    uint8_t mask = 0;

    l->st.frames++;
    if (drop) {
        l->st.dropped++;
        fault_release_held(l, now_us);
        return;
    }
    if (corrupt && len > FAULT_ETH_HDR) {
        at = rng_range(&l->rng, FAULT_ETH_HDR, (uint32_t)len - 1);
        mask = (uint8_t)(1u << rng_range(&l->rng, 0, 7));
        l->st.corrupted++;
    }
    if (reorder && !dup && !l->held_len && len <= FAULT_FRAME_MAX) {
        memcpy(l->held, frame, len);
        l->held[at] ^= mask;
        l->held_len = len;
        l->held_until_us = now_us + FAULT_REORDER_HOLD_US;
        l->st.reordered++;
        l->st.queued++;
        return;
    }
    fault_enqueue(l, frame, len, at, mask, now_us);
    if (dup) {
        fault_enqueue(l, frame, len, at, mask, now_us);
        l->st.duplicated++;
    }
    fault_release_held(l, now_us);
}

static bool
fault_head(const struct fault_line *l, uint64_t *due_us, uint32_t *len)
{
    uint8_t hdr[FAULT_REC_HDR];

    if (ring_peek(&l->q, 0, hdr, sizeof(hdr)) != sizeof(hdr))
        return false;
    memcpy(due_us, hdr, 8);
    memcpy(len, hdr + 8, 4);
    return true;
}

ssize_t
fault_line_output(struct fault_line *l, uint64_t now_us, uint8_t *buf, size_t cap)
{
    uint64_t due_us;
    uint32_t len;

    /* a reordered frame that no other frame followed in time */
    if (l->held_len && l->held_until_us <= now_us)
        fault_release_held(l, l->held_until_us);
    if (!fault_head(l, &due_us, &len) || due_us > now_us)
        return -EAGAIN;
    l->st.queued--;
    if (len > cap) {
        ring_drop(&l->q, FAULT_REC_HDR + len);
        l->st.overflow++; /* the receiver had no room for it */
        return -EMSGSIZE;
    }
    ring_peek(&l->q, FAULT_REC_HDR, buf, len);
    ring_drop(&l->q, FAULT_REC_HDR + len);
    l->st.sent++;
    return len;
}

uint64_t
fault_line_next_us(const struct fault_line *l)
{
    uint64_t due_us = FAULT_LINE_NEVER;
    uint32_t len;

    if (!fault_head(l, &due_us, &len))
        due_us = FAULT_LINE_NEVER;
    if (l->held_len && l->held_until_us < due_us)
        due_us = l->held_until_us;
    return due_us;
}

void
fault_line_print(const struct fault_line_stats *st, const char *dir, FILE *f)
{
    fprintf(f,
            "fault %s: frames=%llu sent=%llu dropped=%llu duplicated=%llu "
            "reordered=%llu corrupted=%llu delayed=%llu overflow=%llu queued=%llu\n",
            dir, (unsigned long long)st->frames, (unsigned long long)st->sent,
            (unsigned long long)st->dropped, (unsigned long long)st->duplicated,
            (unsigned long long)st->reordered, (unsigned long long)st->corrupted,
            (unsigned long long)st->delayed, (unsigned long long)st->overflow,
            (unsigned long long)st->queued);
}
