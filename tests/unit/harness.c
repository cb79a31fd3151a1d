/*
 * harness.c - the recording device, the engine fixture and frame
 * builders shared by the unit tests. See harness.h.
 */
#include "harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/cksum.h"
#include "stack_var.h"

const uint8_t h_mac_us[6] = {0x02, 0, 0, 0, 0, 0x02};
const uint8_t h_mac_peer[6] = {0x02, 0, 0, 0, 0, 0x01};
const uint8_t h_mac_other[6] = {0x02, 0, 0, 0, 0, 0x03};
const uint8_t h_mac_zero[6];

/* ---- the recording device ---- */

static int
rec_send(struct dev *d, const uint8_t *frame, size_t len, uint64_t now_us)
{
    struct rec_dev *r = (struct rec_dev *)d;

    if (r->fail)
        return r->fail;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        struct rec_frame *f = realloc(r->f, cap * sizeof(*f));
        if (!f)
            return -ENOMEM;
        r->f = f;
        r->cap = cap;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, frame, len);
    r->f[r->n++] = (struct rec_frame){.data = copy, .len = len, .at_us = now_us};
    return 0;
}

static ssize_t
rec_recv(struct dev *d, uint8_t *buf, size_t cap, uint64_t *ts_us)
{
    (void)d, (void)buf, (void)cap, (void)ts_us;
    return -EAGAIN;
}

static void
rec_dev_close(struct dev *d)
{
    rec_close((struct rec_dev *)d);
}

static const struct dev_ops rec_ops = {
    .send = rec_send,
    .recv = rec_recv,
    .fd = NULL,
    .close = rec_dev_close,
};

struct rec_dev *
rec_open(void)
{
    struct rec_dev *r = calloc(1, sizeof(*r));

    assert_non_null(r);
    r->dev.ops = &rec_ops;
    strcpy(r->dev.name, "rec");
    return r;
}

void
rec_clear(struct rec_dev *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->f[i].data);
    r->n = 0;
}

void
rec_close(struct rec_dev *r)
{
    if (!r)
        return;
    rec_clear(r);
    free(r->f);
    free(r);
}

/* ---- the engine fixture ---- */

void
h_config(struct stack_config *c)
{
    stack_config_defaults(c);
    memcpy(c->mac, h_mac_us, 6);
    c->addr = H_IP_US;
    c->prefix_len = 24;
    c->gateway = 0;
    c->seed = 42;
}

struct h_env *
h_env_open(const struct stack_config *c)
{
    struct h_env *e = calloc(1, sizeof(*e));

    assert_non_null(e);
    e->rec = rec_open();
    e->buf = calloc(1, H_FRAME_MAX);
    e->buf2 = calloc(1, H_FRAME_MAX);
    assert_non_null(e->buf);
    assert_non_null(e->buf2);
    e->s = stack_new(c, &e->rec->dev);
    assert_non_null(e->s);
    return e;
}

struct h_env *
h_env_new(const struct stack_config *c, uint64_t t0)
{
    struct h_env *e = h_env_open(c);

    h_poll(e, t0);
    assert_int_equal(e->rec->n, 1); /* the gratuitous ARP */
    rec_clear(e->rec);
    return e;
}

struct h_env *
h_env_default(uint64_t t0)
{
    struct stack_config c;

    h_config(&c);
    return h_env_new(&c, t0);
}

void
h_env_free(struct h_env *e)
{
    if (!e)
        return;
    stack_free(e->s);
    rec_close(e->rec);
    free(e->buf);
    free(e->buf2);
    free(e);
}

int
h_teardown(void **state)
{
    h_env_free(*state);
    *state = NULL;
    return 0;
}

void
h_input(struct h_env *e, const uint8_t *frame, size_t len)
{
    stack_input(e->s, frame, len, e->now);
    assert_int_equal(tcp_timer_check(e->s), 0); /* no timer left behind */
}

void
h_poll(struct h_env *e, uint64_t now)
{
    e->now = now;
    assert_int_equal(tcp_timer_check(e->s), 0);
    stack_poll(e->s, now);
    assert_int_equal(tcp_timer_check(e->s), 0);
}

int
h_ping(struct h_env *e, uint32_t dst, uint16_t seq, size_t len)
{
    return stack_ping(e->s, dst, H_PING_ID, seq, len, e->now);
}

int64_t
h_stat(const struct h_env *e, const char *name)
{
    int64_t v = stats_get(stack_stats(e->s), name);

    if (v < 0)
        fail_msg("no counter named %s", name);
    return v;
}

void
h_learn(struct h_env *e, uint32_t ip, const uint8_t mac[6])
{
    uint8_t f[64];
    size_t n = h_arp_frame(f, eth_broadcast, mac, ARP_OP_REQUEST, mac, ip, h_mac_zero,
                           H_IP_US, 1);

    h_input(e, f, n);
    const struct arp_entry *a = arp_lookup(e->s, ip);
    assert_non_null(a);
    assert_int_equal(a->state, ARP_REACHABLE);
    assert_memory_equal(a->mac, mac, 6);
    rec_clear(e->rec);
}

uint32_t
h_pool_in_use(const struct h_env *e)
{
    return e->s->pool.in_use;
}

/* ---- building frames ---- */

void
h_pattern(uint8_t *b, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 12345;

    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345;
        b[i] = (uint8_t)(x >> 16);
    }
}

size_t
h_eth(uint8_t *b, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
    memcpy(b, dst, 6);
    memcpy(b + 6, src, 6);
    be16_put(b + 12, type);
    return ETH_HDR_LEN;
}

size_t
h_arp_frame(uint8_t *b, const uint8_t eth_dst[6], const uint8_t eth_src[6], uint16_t op,
            const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa,
            int pad)
{
    uint8_t *a = b + h_eth(b, eth_dst, eth_src, ETH_TYPE_ARP);

    be16_put(a, 1);
    be16_put(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    be16_put(a + 6, op);
    memcpy(a + 8, sha, 6);
    be32_put(a + 14, spa);
    memcpy(a + 18, tha, 6);
    be32_put(a + 24, tpa);
    size_t n = ETH_HDR_LEN + ARP_LEN;
    if (pad) {
        memset(b + n, 0, ETH_MIN_FRAME - n);
        n = ETH_MIN_FRAME;
    }
    return n;
}

void
h_ip_fix_cksum(uint8_t *ip)
{
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;

    be16_put(ip + 10, 0);
    be16_put(ip + 10, cksum(ip, ihl));
}

size_t
h_ip(uint8_t *b, uint32_t src, uint32_t dst, uint8_t proto, uint16_t id, uint16_t frag,
     size_t payload_len)
{
    b[0] = 0x45;
    b[1] = 0;
    be16_put(b + 2, (uint16_t)(IPV4_HDR_MIN + payload_len));
    be16_put(b + 4, id);
    be16_put(b + 6, frag);
    b[8] = 64;
    b[9] = proto;
    be32_put(b + 12, src);
    be32_put(b + 16, dst);
    h_ip_fix_cksum(b);
    return IPV4_HDR_MIN;
}

size_t
h_echo(uint8_t *b, uint8_t type, uint16_t id, uint16_t seq, size_t data_len)
{
    b[0] = type;
    b[1] = 0;
    be16_put(b + 2, 0);
    be16_put(b + 4, id);
    be16_put(b + 6, seq);
    h_pattern(b + ICMP_HDR_LEN, data_len, seq);
    be16_put(b + 2, cksum(b, ICMP_HDR_LEN + data_len));
    return ICMP_HDR_LEN + data_len;
}

size_t
h_ip_frame(uint8_t *b, uint32_t src, uint32_t dst, uint8_t proto, uint16_t id,
           uint16_t frag, const uint8_t *payload, size_t len)
{
    size_t n = h_eth(b, h_mac_us, h_mac_peer, ETH_TYPE_IPV4);

    n += h_ip(b + n, src, dst, proto, id, frag, len);
    memmove(b + n, payload, len);
    return n + len;
}

/* ---- reading what left ---- */

void
h_out_ip(const struct rec_dev *r, size_t i, struct h_out *o)
{
    enum ipv4_bad why;

    assert_true(i < r->n);
    const struct rec_frame *f = &r->f[i];
    assert_true(f->len >= ETH_MIN_FRAME);
    assert_int_equal(eth_parse(f->data, f->len, &o->eth), 0);
    assert_memory_equal(o->eth.src, h_mac_us, 6);
    assert_int_equal(o->eth.type, ETH_TYPE_IPV4);
    o->l3 = f->data + ETH_HDR_LEN;
    assert_int_equal(ipv4_parse(o->l3, f->len - ETH_HDR_LEN, &o->ip, &why), 0);
    assert_int_equal(o->ip.hdr_len, IPV4_HDR_MIN); /* we never send options */
    /* padding only when the frame would be a runt */
    if (f->len > ETH_MIN_FRAME)
        assert_int_equal(f->len, ETH_HDR_LEN + o->ip.total_len);
    o->data = o->l3 + o->ip.hdr_len;
    o->data_len = o->ip.total_len - o->ip.hdr_len;
}

void
h_out_arp(const struct rec_dev *r, size_t i, struct arp_repr *a, struct eth_repr *eh)
{
    assert_true(i < r->n);
    const struct rec_frame *f = &r->f[i];
    assert_int_equal(f->len, ETH_MIN_FRAME);
    assert_int_equal(eth_parse(f->data, f->len, eh), 0);
    assert_int_equal(eh->type, ETH_TYPE_ARP);
    assert_int_equal(arp_parse(f->data + ETH_HDR_LEN, f->len - ETH_HDR_LEN, a), 0);
}

size_t
h_reassemble(const struct rec_dev *r, size_t first, size_t n, uint16_t mtu, uint8_t *out,
             size_t cap, struct ipv4_repr *ip)
{
    size_t next = 0;

    assert_true(n >= 1);
    for (size_t k = 0; k < n; k++) {
        struct h_out o;
        h_out_ip(r, first + k, &o);
        assert_true(o.ip.total_len <= mtu);
        if (k == 0)
            *ip = o.ip;
        assert_int_equal(o.ip.id, ip->id);
        assert_int_equal(o.ip.src, ip->src);
        assert_int_equal(o.ip.dst, ip->dst);
        assert_int_equal(o.ip.proto, ip->proto);
        assert_int_equal(ipv4_frag_offset(&o.ip), next);
        assert_int_equal(ipv4_more_frags(&o.ip), k + 1 < n);
        if (k + 1 < n)
            assert_int_equal(o.data_len % 8, 0);
        assert_true(next + o.data_len <= cap);
        memcpy(out + next, o.data, o.data_len);
        next += o.data_len;
    }
    return next;
}
