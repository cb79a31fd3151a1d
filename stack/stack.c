/*
 * stack.c - the engine: creation, the input and poll entry points, and
 * the one place that touches the device.
 *
 * The life of an incoming frame: the driver calls stack_input(), which
 * copies the frame into a pkb from the pool and hands it to eth_input();
 * from there each layer validates its header, pulls it, and passes the
 * pkb up (arp_input, ipv4_input, icmp_input ...). Replies go back down
 * through the protocols' _output functions to eth_output() and finally
 * stack_xmit() -> dev_send().
 */
#include "stack_var.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dev/dev.h"
#include "proto/eth.h"
#include "proto/icmp.h"
#include "proto/ipv4.h"
#include "proto/ip_reass.h"
#include "proto/tcp.h"
#include "wire/addr.h"
#include "wire/eth_hdr.h"
#include "wire/ipv4_hdr.h"

void
stack_config_defaults(struct stack_config *c)
{
    *c = (struct stack_config){
        .mac = {0x02, 0, 0, 0, 0, 0x02},
        .prefix_len = 24,
        .mtu = 1500,
        .seed = 1,
        .arp_timeout_s = 60,
        .arp_retries = 3,
        .arp_retry_ms = 1000,
        .arp_queue_len = 64,
        .reass_timeout_s = 30,
        .reass_max_bytes = 1024 * 1024,
        .reass_max_count = 16,
        .icmp_rate_per_s = 100,
        .icmp_burst = 50,
        .pkb_count = 1024,
        .tcp_rto_min_ms = 200,
        .tcp_msl_s = 30,
        .tcp_challenge_per_s = 1000,
        .tcp_mem_max = (uint64_t)1 << 30,
        .tcp_cc = TCP_CC_DEFAULT,
        .log_out = NULL,
        .log_level = LOG_INFO,
    };
}

static const char *
stack_config_check(const struct stack_config *c)
{
    if (c->addr == 0 || ipv4_is_multicast(c->addr) || c->addr == IPV4_BROADCAST)
        return "address must be a unicast IPv4 address";
    if (c->prefix_len < 1 || c->prefix_len > 32)
        return "prefix length must be 1..32";
    if (c->mtu < 576 || c->mtu > 9000)
        return "MTU must be 576..9000";
    if (eth_is_group(c->mac))
        return "MAC must be unicast";
    if (c->arp_retries < 1 || c->arp_queue_len < 1 || c->reass_max_count < 1 ||
        c->pkb_count < 16 || c->icmp_burst < 1)
        return "a count in the config is zero";
    if (!tcp_cc_find(c->tcp_cc))
        return "no such TCP congestion control";
    return NULL;
}

struct stack *
stack_new(const struct stack_config *c, struct dev *dev)
{
    const char *bad = stack_config_check(c);

    if (bad) {
        if (c->log_out)
            fprintf(c->log_out, "ustack: bad config: %s\n", bad);
        return NULL;
    }
    struct stack *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->cfg = *c;
    s->dev = dev;
    memcpy(s->mac, c->mac, 6);
    s->addr = c->addr;
    s->netmask = c->prefix_len == 32 ? 0xffffffffu : ~(0xffffffffu >> c->prefix_len);
    s->bcast = s->addr | ~s->netmask;
    s->log = (struct log){.out = c->log_out, .level = c->log_level};
    rng_seed(&s->rng, c->seed);
    /* one step of the generator, as the draw of the first IP ID it
     * replaces took: the draws after it (the ISN secret, ports) stay */
    ipv4_id_init(s, rng_u64(&s->rng));
    /* a pool buffer holds the largest frame of the link after the headroom */
    uint32_t buf = (PKB_HEADROOM + c->mtu + ETH_HDR_LEN + 4 + 63) & ~63u;
    if (pkb_pool_init(&s->pool, c->pkb_count, buf, (size_t)4 << 20) < 0 ||
        ip_reass_init(s) < 0) {
        stack_free(s);
        return NULL;
    }
    icmp_init(s);
    if (tcp_init(s) < 0) {
        stack_free(s);
        return NULL;
    }
    return s;
}

void
stack_free(struct stack *s)
{
    if (!s)
        return;
    tcp_free_all(s);
    udp_free_all(s);
    pkb_free_chain(s->loop_head);
    arp_free(s);
    ip_reass_free(s);
    pkb_pool_destroy(&s->pool);
    free(s);
}

int
stack_tcp_cc_known(const char *name)
{
    return name && tcp_cc_find(name) != NULL;
}

/* The clock only moves forward, whatever the driver passes. */
static void
stack_clock(struct stack *s, uint64_t now_us)
{
    if (!s->log.base_us)
        s->log.base_us = now_us;
    if (now_us > s->now_us)
        s->now_us = now_us;
}

static void
stack_input_frame(struct stack *s, const uint8_t *frame, size_t len)
{
    if (len > (size_t)s->cfg.mtu + ETH_HDR_LEN + 4) {
        s->stats.eth.rx_frames++;
        s->stats.eth.rx_too_long++;
        return;
    }
    struct pkb *p = pkb_alloc(&s->pool, len);
    if (!p) {
        s->stats.eth.rx_frames++;
        s->stats.eth.rx_nobufs++;
        return;
    }
    memcpy(pkb_put(p, len), frame, len);
    eth_input(s, p);
}

/* With a capture on the device, the received frame's note is the drop
 * counter its processing moved ("dropped: tcp.rx_bad_cksum"), or none. */
void
stack_input(struct stack *s, const uint8_t *frame, size_t len, uint64_t now_us)
{
    stack_clock(s, now_us);
    s->why.kind = WHY_NONE;
    if (!dev_wants_notes(s->dev)) {
        stack_input_frame(s, frame, len);
        s->why.kind = WHY_NONE;
        return;
    }
    struct stats before = s->stats;
    char note[96];
    const char *drop;

    stack_input_frame(s, frame, len);
    s->why.kind = WHY_NONE;
    drop = stats_first_drop(&before, &s->stats);
    if (drop)
        snprintf(note, sizeof(note), "dropped: %s", drop);
    dev_note(s->dev, DEV_NOTE_RX, drop ? note : NULL);
}

void
stack_poll(struct stack *s, uint64_t now_us)
{
    stack_clock(s, now_us);
    s->why.kind = WHY_NONE;
    if (!s->announced) {
        s->announced = 1;
        icmp_init(s);
        arp_announce(s);
    }
    ipv4_loop_drain(s);
    arp_poll(s);
    ip_reass_poll(s);
    tcp_poll(s);
    s->why.kind = WHY_NONE;
}

uint64_t
stack_poll_at(const struct stack *s)
{
    if (!s->announced || s->loop_head)
        return s->now_us;
    uint64_t a = arp_poll_at(s), r = ip_reass_poll_at(s), t = tcp_poll_at(s);
    uint64_t at = a < r ? a : r;
    return at < t ? at : t;
}

const struct stats *
stack_stats(const struct stack *s)
{
    return &s->stats;
}

size_t
stack_neighbours(const struct stack *s, struct stack_neigh *out, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < ARP_CACHE_SIZE; i++) {
        const struct arp_entry *e = &s->arp.e[i];
        if (e->state == ARP_FREE)
            continue;
        if (n < max) {
            struct stack_neigh *o = &out[n];
            uint64_t left = e->deadline_us > s->now_us ? e->deadline_us - s->now_us : 0;
            o->addr = e->ip;
            memcpy(o->mac, e->mac, 6);
            o->reachable = e->state == ARP_REACHABLE;
            o->tries = e->tries;
            o->left_ms = left / 1000 > UINT32_MAX ? UINT32_MAX : (uint32_t)(left / 1000);
            o->queued = e->queue_len;
        }
        n++;
    }
    return n;
}

int
stack_ping(struct stack *s, uint32_t dst, uint16_t id, uint16_t seq, size_t len,
           uint64_t now_us)
{
    stack_clock(s, now_us);
    stack_why(s, WHY_ECHO_REQUEST, 0, 0, 0);
    return icmp_echo_request(s, dst, id, seq, len);
}

void
stack_xmit(struct stack *s, struct pkb *p)
{
    if (dev_wants_notes(s->dev)) {
        char note[160];
        dev_note(s->dev, DEV_NOTE_TX, why_fmt(&s->why, note, sizeof(note)));
    }
    s->why.kind = WHY_NONE; /* a reason explains one frame */
    int rc = dev_send(s->dev, pkb_data(p), p->len, s->now_us);

    if (rc < 0) {
        s->stats.eth.tx_dev_err++;
        SLOG(s, LOG_DEBUG, "eth", "device send failed: %s", strerror(-rc));
    } else {
        s->stats.eth.tx_frames++;
        s->stats.eth.tx_bytes += p->len;
    }
    pkb_free(p);
}

int
stack_addr_is_bcast(const struct stack *s, uint32_t a)
{
    return a == IPV4_BROADCAST || (a == s->bcast && s->cfg.prefix_len < 31);
}

int
stack_addr_is_martian(const struct stack *s, uint32_t a)
{
    return a == 0 || stack_addr_is_bcast(s, a) || ipv4_is_multicast(a) ||
           (a >> 24) == 127 || (a >> 28) == 0xf;
}
