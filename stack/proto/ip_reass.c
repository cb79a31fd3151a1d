/*
 * ip_reass.c - IPv4 reassembly. See ip_reass.h for the rules.
 */
#include "proto/ip_reass.h"

#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/cksum.h"
#include "proto/icmp.h"
#include "proto/ipv4.h"
#include "stack_var.h"
#include "wire/icmp_hdr.h"

int
ip_reass_init(struct stack *s)
{
    s->reass.d = calloc(s->cfg.reass_max_count, sizeof(*s->reass.d));
    s->reass.count = s->cfg.reass_max_count;
    return s->reass.d ? 0 : -1;
}

static void
reass_drop(struct stack *s, struct reass_dgram *d)
{
    s->reass.held_bytes -= d->held_bytes;
    pkb_free_chain(d->frags);
    memset(d, 0, sizeof(*d));
}

void
ip_reass_free(struct stack *s)
{
    for (uint32_t i = 0; s->reass.d && i < s->reass.count; i++)
        reass_drop(s, &s->reass.d[i]);
    free(s->reass.d);
    s->reass.d = NULL;
}

static struct reass_dgram *
reass_oldest(struct stack *s, const struct reass_dgram *keep)
{
    struct reass_dgram *old = NULL;

    for (uint32_t i = 0; i < s->reass.count; i++) {
        struct reass_dgram *d = &s->reass.d[i];
        if (d->used && d != keep && (!old || d->created_us < old->created_us))
            old = d;
    }
    return old;
}

/* The datagram this fragment belongs to (RFC 791: same src, dst, proto,
 * id), or a new one; the oldest is evicted when every slot is in use. */
static struct reass_dgram *
reass_find(struct stack *s, const struct ipv4_repr *r)
{
    struct reass_dgram *free_slot = NULL;

    for (uint32_t i = 0; i < s->reass.count; i++) {
        struct reass_dgram *d = &s->reass.d[i];
        if (!d->used) {
            if (!free_slot)
                free_slot = d;
        } else if (d->src == r->src && d->dst == r->dst && d->proto == r->proto &&
                   d->id == r->id) {
            return d;
        }
    }
    if (!free_slot) {
        free_slot = reass_oldest(s, NULL);
        s->stats.ipv4.reass_no_mem++;
        reass_drop(s, free_slot);
    }
    *free_slot = (struct reass_dgram){
        .used = 1, .proto = r->proto, .id = r->id, .src = r->src, .dst = r->dst,
        .created_us = s->now_us,
        .expires_us = s->now_us + (uint64_t)s->cfg.reass_timeout_s * 1000000,
    };
    return free_slot;
}

/* Make room for `need` more buffer bytes by dropping the oldest other
 * datagrams; 0 if it fits now. */
static int
reass_make_room(struct stack *s, struct reass_dgram *keep, uint32_t need)
{
    while (s->reass.held_bytes + need > s->cfg.reass_max_bytes) {
        struct reass_dgram *old = reass_oldest(s, keep);
        if (!old)
            return -1;
        s->stats.ipv4.reass_no_mem++;
        reass_drop(s, old);
    }
    return 0;
}

enum reass_fit { FIT_OK, FIT_DUP, FIT_OVERLAP };

/* Where to link a fragment [off, end) into the sorted list, or why not. */
static enum reass_fit
reass_place(struct reass_dgram *d, uint32_t off, uint32_t end, struct pkb ***link)
{
    struct pkb **pp = &d->frags;

    for (; *pp; pp = &(*pp)->next) {
        uint32_t f_off = (*pp)->aux, f_end = f_off + (*pp)->len;
        if (f_off == off && f_end == end)
            return FIT_DUP;
        if (off < f_end && f_off < end)
            return FIT_OVERLAP;
        if (f_off > off)
            break;
    }
    *link = pp;
    return FIT_OK;
}

static int
reass_complete(const struct reass_dgram *d)
{
    uint32_t next = 0;

    if (!d->total_len || !d->hdr_len)
        return 0;
    for (const struct pkb *f = d->frags; f; f = f->next) {
        if (f->aux != next)
            return 0;
        next += f->len;
    }
    return next == d->total_len;
}

/* Copy the fragments into one datagram: header of the first fragment
 * (fragment fields cleared, length and checksum fixed) then the data. */
static struct pkb *
reass_build(struct stack *s, struct reass_dgram *d, struct ip_meta *m)
{
    if ((size_t)d->hdr_len + d->total_len > IPV4_MAX_LEN) {
        s->stats.ipv4.reass_too_big++;
        return NULL;
    }
    struct pkb *p = pkb_alloc(&s->pool, (size_t)d->hdr_len + d->total_len);
    if (!p) {
        s->stats.ipv4.reass_no_mem++;
        return NULL;
    }
    uint8_t *h = pkb_put(p, d->hdr_len);
    memcpy(h, d->hdr, d->hdr_len);
    be16_put(h + 2, (uint16_t)(d->hdr_len + d->total_len));
    be16_put(h + 6, 0);
    be16_put(h + 10, 0);
    be16_put(h + 10, cksum(h, d->hdr_len));
    for (const struct pkb *f = d->frags; f; f = f->next)
        memcpy(pkb_put(p, f->len), pkb_data(f), f->len);
    pkb_pull(p, d->hdr_len);

    m->hdr_len = d->hdr_len;
    m->frag_off = 0;
    m->payload_len = (uint16_t)d->total_len;
    m->bcast |= d->bcast;
    s->stats.ipv4.reass_ok++;
    return p;
}

static uint32_t
reass_last_end(const struct reass_dgram *d)
{
    const struct pkb *f = d->frags;

    while (f && f->next)
        f = f->next;
    return f ? f->aux + f->len : 0;
}

struct pkb *
ip_reass_insert(struct stack *s, struct pkb *p, const struct ipv4_repr *r,
                struct ip_meta *m)
{
    uint32_t off = ipv4_frag_offset(r), end = off + p->len;
    struct reass_dgram *d = reass_find(s, r);
    struct pkb **link;

    /* the last fragment fixes the length; nothing may lie beyond it */
    if (!ipv4_more_frags(r)) {
        if ((d->total_len && d->total_len != end) ||
            (d->frags && !d->total_len && reass_last_end(d) > end))
            goto overlap;
        d->total_len = end;
    } else if (d->total_len && end > d->total_len) {
        goto overlap;
    }
    switch (reass_place(d, off, end, &link)) {
    case FIT_DUP:
        s->stats.ipv4.reass_dup++;
        pkb_free(p);
        return NULL;
    case FIT_OVERLAP:
        goto overlap;
    case FIT_OK:
        break;
    }
    if (reass_make_room(s, d, p->cap) < 0) {
        s->stats.ipv4.reass_no_mem++;
        if (!d->frags)
            reass_drop(s, d); /* don't keep a slot that holds nothing */
        pkb_free(p);
        return NULL;
    }
    if (off == 0) {
        d->hdr_len = r->hdr_len;
        memcpy(d->hdr, pkb_data(p) - r->hdr_len, r->hdr_len);
    }
    d->bcast |= m->bcast;
    p->aux = off;
    p->next = *link;
    *link = p;
    d->held_bytes += p->cap;
    s->reass.held_bytes += p->cap;
    if (!reass_complete(d))
        return NULL;
    struct pkb *whole = reass_build(s, d, m);
    reass_drop(s, d);
    return whole;

overlap:
    /* RFC 5722 §4 (by analogy): discard the datagram and this fragment */
    s->stats.ipv4.reass_overlap++;
    reass_drop(s, d);
    pkb_free(p);
    return NULL;
}

void
ip_reass_poll(struct stack *s)
{
    for (uint32_t i = 0; i < s->reass.count; i++) {
        struct reass_dgram *d = &s->reass.d[i];
        if (!d->used || d->expires_us > s->now_us)
            continue;
        s->stats.ipv4.reass_timeout++;
        /* RFC 792, RFC 1122 §3.2.1.4: time exceeded only if fragment 0 came */
        if (d->hdr_len && d->frags && d->frags->aux == 0) {
            struct ip_meta m = {
                .src = d->src, .dst = d->dst, .proto = d->proto,
                .hdr_len = d->hdr_len, .bcast = d->bcast,
                .payload_len = (uint16_t)d->frags->len,
            };
            icmp_error(s, d->frags, &m, ICMP_TIME_EXCEEDED, ICMP_EXC_REASS);
        }
        reass_drop(s, d);
    }
}

uint64_t
ip_reass_poll_at(const struct stack *s)
{
    uint64_t at = STACK_NEVER;

    for (uint32_t i = 0; i < s->reass.count; i++)
        if (s->reass.d[i].used && s->reass.d[i].expires_us < at)
            at = s->reass.d[i].expires_us;
    return at;
}
