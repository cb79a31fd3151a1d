/*
 * test_arp.c - ARP driven through the engine with a virtual clock:
 * the gratuitous announcement, replies, the RFC 826 merge, resolution with
 * retries and a queue, expiry, eviction, routing to the gateway, and the
 * malformed packets that must be counted and dropped.
 */
#include "harness.h"

#include <errno.h>
#include <string.h>

#include "core/bytes.h"
#include "stack_var.h"

static const uint8_t mac_new[6] = {0x02, 0, 0, 0, 0, 0x09};

/* Assert frame i is an echo request to dst_ip via dst_mac with seq. */
static void
assert_echo_request(const struct rec_dev *r, size_t i, const uint8_t dst_mac[6],
                    uint32_t dst_ip, uint16_t seq)
{
    struct h_out o;

    h_out_ip(r, i, &o);
    assert_memory_equal(o.eth.dst, dst_mac, 6);
    assert_int_equal(o.ip.src, H_IP_US);
    assert_int_equal(o.ip.dst, dst_ip);
    assert_int_equal(o.ip.proto, IP_PROTO_ICMP);
    assert_int_equal(o.data[0], ICMP_ECHO_REQUEST);
    assert_int_equal(be16_get(o.data + 4), H_PING_ID);
    assert_int_equal(be16_get(o.data + 6), seq);
}

/* Assert frame i is a broadcast who-has ip from us. */
static void
assert_who_has(const struct rec_dev *r, size_t i, uint32_t ip)
{
    struct arp_repr a;
    struct eth_repr eh;

    h_out_arp(r, i, &a, &eh);
    assert_memory_equal(eh.dst, eth_broadcast, 6);
    assert_memory_equal(eh.src, h_mac_us, 6);
    assert_int_equal(a.op, ARP_OP_REQUEST);
    assert_memory_equal(a.sha, h_mac_us, 6);
    assert_int_equal(a.spa, H_IP_US);
    assert_memory_equal(a.tha, h_mac_zero, 6);
    assert_int_equal(a.tpa, ip);
}

/* An ARP reply from the peer to us: ip is-at mac. */
static void
reply_from(struct h_env *e, uint32_t ip, const uint8_t mac[6])
{
    uint8_t f[64];
    size_t n = h_arp_frame(f, h_mac_us, mac, ARP_OP_REPLY, mac, ip, h_mac_us, H_IP_US, 1);

    h_input(e, f, n);
}

static void
test_arp_announce_at_first_poll(void **state)
{
    struct stack_config c;

    h_config(&c);
    struct h_env *e = *state = h_env_open(&c);
    assert_int_equal(e->rec->n, 0);           /* nothing before the first poll */
    assert_int_equal(stack_poll_at(e->s), 0); /* due at once */
    h_poll(e, H_T0);
    assert_int_equal(e->rec->n, 1);
    /* RFC 5227 §2.3: a broadcast request with sender and target our address */
    /* clang-format off */
    const uint8_t want[60] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff,     /* to everyone */
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02,     /* from us */
        0x08, 0x06,                             /* ARP */
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04,     /* Ethernet, IPv4, 6, 4 */
        0x00, 0x01,                             /* request */
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02,     /* sha: us */
        0x0a, 0x00, 0x00, 0x02,                 /* spa: us */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00,     /* tha: unknown */
        0x0a, 0x00, 0x00, 0x02,                 /* tpa: us */
        /* then 18 bytes of zero padding */
    };
    /* clang-format on */
    assert_int_equal(e->rec->f[0].len, 60);
    assert_memory_equal(e->rec->f[0].data, want, 60);
    assert_int_equal(e->rec->f[0].at_us, H_T0);
    assert_int_equal(h_stat(e, "arp.tx_announces"), 1);
    assert_int_equal(h_stat(e, "arp.tx_requests"), 0);
    assert_int_equal(h_stat(e, "eth.tx_frames"), 1);
    assert_int_equal(h_stat(e, "eth.tx_bytes"), 60);
    assert_int_equal(stack_poll_at(e->s), STACK_NEVER);
    /* once only */
    h_poll(e, H_T0 + 1);
    h_poll(e, H_T0 + 3600 * H_SEC);
    assert_int_equal(e->rec->n, 1);
    assert_int_equal(h_stat(e, "arp.tx_announces"), 1);
}

static void
test_arp_reply_to_request(void **state)
{
    struct h_env *e = *state = h_env_default(H_T0);
    uint8_t f[64];

    e->now = H_T0 + 5;
    size_t n = h_arp_frame(f, eth_broadcast, h_mac_peer, ARP_OP_REQUEST, h_mac_peer,
                           H_IP_PEER, h_mac_zero, H_IP_US, 1);
    h_input(e, f, n);
    assert_int_equal(e->rec->n, 1);
    /* clang-format off */
    const uint8_t want[60] = {
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01,     /* to the requester */
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02,     /* from us */
        0x08, 0x06,                             /* ARP */
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04,     /* Ethernet, IPv4, 6, 4 */
        0x00, 0x02,                             /* reply */
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02,     /* sha: us */
        0x0a, 0x00, 0x00, 0x02,                 /* spa: us */
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01,     /* tha: the requester */
        0x0a, 0x00, 0x00, 0x01,                 /* tpa: the requester */
        /* then 18 bytes of zero padding */
    };
    /* clang-format on */
    assert_int_equal(e->rec->f[0].len, 60);
    assert_memory_equal(e->rec->f[0].data, want, 60);
    assert_int_equal(h_stat(e, "arp.rx_packets"), 1);
    assert_int_equal(h_stat(e, "arp.rx_requests"), 1);
    assert_int_equal(h_stat(e, "arp.tx_replies"), 1);
    assert_int_equal(h_stat(e, "arp.rx_not_for_us"), 0);
    /* RFC 826: we are the target, so the requester is added */
    const struct arp_entry *a = arp_lookup(e->s, H_IP_PEER);
    assert_non_null(a);
    assert_int_equal(a->state, ARP_REACHABLE);
    assert_memory_equal(a->mac, h_mac_peer, 6);
    assert_int_equal(a->deadline_us, H_T0 + 5 + 60 * H_SEC);
    assert_int_equal(stack_poll_at(e->s), H_T0 + 5 + 60 * H_SEC);

    /* unpadded, unicast to our MAC, from another host: the same answer */
    rec_clear(e->rec);
    n = h_arp_frame(f, h_mac_us, h_mac_other, ARP_OP_REQUEST, h_mac_other, H_IP_OTHER,
                    h_mac_zero, H_IP_US, 0);
    assert_int_equal(n, 42);
    h_input(e, f, n);
    struct arp_repr r;
    struct eth_repr eh;
    h_out_arp(e->rec, 0, &r, &eh);
    assert_memory_equal(eh.dst, h_mac_other, 6);
    assert_int_equal(r.op, ARP_OP_REPLY);
    assert_memory_equal(r.tha, h_mac_other, 6);
    assert_int_equal(r.tpa, H_IP_OTHER);
    assert_int_equal(h_stat(e, "arp.tx_replies"), 2);

    /* RFC 5227 probe (sender 0.0.0.0) for our address: answered, not cached */
    rec_clear(e->rec);
    n = h_arp_frame(f, eth_broadcast, mac_new, ARP_OP_REQUEST, mac_new, 0, h_mac_zero,
                    H_IP_US, 1);
    h_input(e, f, n);
    assert_int_equal(e->rec->n, 1);
    h_out_arp(e->rec, 0, &r, &eh);
    assert_memory_equal(eh.dst, mac_new, 6);
    assert_int_equal(r.tpa, 0);
    assert_null(arp_lookup(e->s, 0));
    assert_int_equal(h_stat(e, "arp.tx_replies"), 3);
}

static void
test_arp_not_for_us_merges(void **state)
{
    struct h_env *e = *state = h_env_default(H_T0);
    uint8_t f[64];

    /* 10.0.0.3 asks for 10.0.0.4: no reply, and no entry is created */
    size_t n = h_arp_frame(f, eth_broadcast, h_mac_other, ARP_OP_REQUEST, h_mac_other,
                           H_IP_OTHER, h_mac_zero, 0x0a000004, 1);
    h_input(e, f, n);
    assert_int_equal(e->rec->n, 0);
    assert_int_equal(h_stat(e, "arp.rx_not_for_us"), 1);
    assert_int_equal(h_stat(e, "arp.rx_requests"), 0);
    assert_null(arp_lookup(e->s, H_IP_OTHER));

    /* RFC 826 merge: a known sender's new MAC is taken even when the
     * packet is for someone else, and its lifetime restarts */
    h_learn(e, H_IP_PEER, h_mac_peer);
    e->now = H_T0 + 10 * H_SEC;
    n = h_arp_frame(f, eth_broadcast, mac_new, ARP_OP_REQUEST, mac_new, H_IP_PEER,
                    h_mac_zero, 0x0a000004, 1);
    h_input(e, f, n);
    assert_int_equal(e->rec->n, 0);
    assert_int_equal(h_stat(e, "arp.rx_not_for_us"), 2);
    const struct arp_entry *a = arp_lookup(e->s, H_IP_PEER);
    assert_non_null(a);
    assert_memory_equal(a->mac, mac_new, 6);
    assert_int_equal(a->deadline_us, H_T0 + 70 * H_SEC);
    /* a gratuitous reply (target = sender) merges too */
    n = h_arp_frame(f, eth_broadcast, h_mac_peer, ARP_OP_REPLY, h_mac_peer, H_IP_PEER,
                    eth_broadcast, H_IP_PEER, 1);
    h_input(e, f, n);
    assert_memory_equal(arp_lookup(e->s, H_IP_PEER)->mac, h_mac_peer, 6);
    assert_int_equal(h_stat(e, "arp.rx_not_for_us"), 3);
    assert_int_equal(h_stat(e, "arp.rx_replies"), 0);
    /* and the next ping uses it */
    assert_int_equal(h_ping(e, H_IP_PEER, 1, 0), 0);
    assert_int_equal(e->rec->n, 1);
    assert_echo_request(e->rec, 0, h_mac_peer, H_IP_PEER, 1);
}

static void
test_arp_resolve_retries_then_fails(void **state)
{
    struct h_env *e = *state = h_env_default(H_T0);

    e->now = H_T0 + 7;
    assert_int_equal(h_ping(e, H_IP_PEER, 1, 56), 0);
    assert_int_equal(e->rec->n, 1);
    assert_who_has(e->rec, 0, H_IP_PEER);
    assert_int_equal(h_stat(e, "arp.tx_requests"), 1);
    const struct arp_entry *a = arp_lookup(e->s, H_IP_PEER);
    assert_non_null(a);
    assert_int_equal(a->state, ARP_INCOMPLETE);
    assert_int_equal(a->queue_len, 1);
    assert_int_equal(h_pool_in_use(e), 1);
    assert_int_equal(stack_poll_at(e->s), H_T0 + 7 + H_SEC);

    /* one request a second */
    h_poll(e, H_T0 + 7 + H_SEC - 1);
    assert_int_equal(e->rec->n, 1);
    h_poll(e, H_T0 + 7 + H_SEC);
    assert_int_equal(e->rec->n, 2);
    assert_who_has(e->rec, 1, H_IP_PEER);
    assert_int_equal(e->rec->f[1].at_us, H_T0 + 7 + H_SEC);
    assert_int_equal(stack_poll_at(e->s), H_T0 + 7 + 2 * H_SEC);
    h_poll(e, H_T0 + 7 + 2 * H_SEC);
    assert_int_equal(e->rec->n, 3);
    assert_who_has(e->rec, 2, H_IP_PEER);
    assert_int_equal(h_stat(e, "arp.tx_requests"), 3);
    assert_int_equal(h_stat(e, "arp.resolve_failed"), 0);
    h_poll(e, H_T0 + 7 + 3 * H_SEC - 1);
    assert_non_null(arp_lookup(e->s, H_IP_PEER));

    /* three unanswered: give up, drop what waited */
    h_poll(e, H_T0 + 7 + 3 * H_SEC);
    assert_int_equal(e->rec->n, 3);
    assert_int_equal(h_stat(e, "arp.tx_requests"), 3);
    assert_int_equal(h_stat(e, "arp.resolve_failed"), 1);
    assert_int_equal(h_stat(e, "arp.unresolved_drops"), 1);
    assert_null(arp_lookup(e->s, H_IP_PEER));
    assert_int_equal(h_pool_in_use(e), 0);
    assert_int_equal(stack_poll_at(e->s), STACK_NEVER);
    /* a reply now is too late: not queued packets, nothing sent */
    reply_from(e, H_IP_PEER, h_mac_peer);
    assert_int_equal(e->rec->n, 3);
    assert_int_equal(h_stat(e, "arp.resolved"), 0);
}

static void
test_arp_retry_config(void **state)
{
    struct stack_config c;

    h_config(&c);
    c.arp_retries = 5;
    c.arp_retry_ms = 250;
    struct h_env *e = *state = h_env_new(&c, 1);
    e->now = 1;
    assert_int_equal(h_ping(e, H_IP_PEER, 1, 0), 0);
    for (uint64_t t = 1; t <= 1 + 2 * H_SEC; t += 50 * H_MS)
        h_poll(e, t);
    assert_int_equal(e->rec->n, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_who_has(e->rec, i, H_IP_PEER);
        assert_int_equal(e->rec->f[i].at_us, 1 + i * 250 * H_MS);
    }
    assert_int_equal(h_stat(e, "arp.resolve_failed"), 1);
    assert_int_equal(h_stat(e, "arp.unresolved_drops"), 1);
    assert_int_equal(h_pool_in_use(e), 0);
}

/* RFC 1122 §2.3.2.1: at most one request a second per destination, even
 * when the driver polls late. */
static void
test_arp_late_poll_no_flood(void **state)
{
    struct h_env *e = *state = h_env_default(H_T0);

    assert_int_equal(h_ping(e, H_IP_PEER, 1, 0), 0);
    assert_int_equal(e->rec->n, 1);
    h_poll(e, H_T0 + 5 * H_SEC); /* four seconds late */
    assert_int_equal(e->rec->n, 2);
    h_poll(e, H_T0 + 5 * H_SEC);
    h_poll(e, H_T0 + 5 * H_SEC + 1);
    assert_int_equal(e->rec->n, 2);
    assert_int_equal(h_stat(e, "arp.resolve_failed"), 0);
    assert_int_equal(stack_poll_at(e->s), H_T0 + 6 * H_SEC);
    h_poll(e, H_T0 + 6 * H_SEC);
    assert_int_equal(e->rec->n, 3);
    assert_int_equal(e->rec->f[2].at_us, H_T0 + 6 * H_SEC);
    h_poll(e, H_T0 + 7 * H_SEC - 1);
    assert_int_equal(h_stat(e, "arp.resolve_failed"), 0);
    h_poll(e, H_T0 + 7 * H_SEC);
    assert_int_equal(h_stat(e, "arp.resolve_failed"), 1);
    assert_int_equal(e->rec->n, 3);
}

/* The engine's clock only moves forward, whatever the driver passes. */
static void
test_arp_clock_never_back(void **state)
{
    struct h_env *e = *state = h_env_default(H_T0);

    h_poll(e, H_T0 + 10 * H_SEC);
    e->now = H_T0; /* an input stamped in the past */
    h_learn(e, H_IP_PEER, h_mac_peer);
    assert_int_equal(arp_lookup(e->s, H_IP_PEER)->deadline_us, H_T0 + 70 * H_SEC);
    h_poll(e, H_T0 + 60 * H_SEC);
    assert_non_null(arp_lookup(e->s, H_IP_PEER));
    h_poll(e, H_T0 + 70 * H_SEC);
    assert_null(arp_lookup(e->s, H_IP_PEER));
}

static void
test_arp_queue_limit_and_flush(void **state)
{
    struct stack_config c;

    h_config(&c);
    c.arp_queue_len = 4;
    struct h_env *e = *state = h_env_new(&c, H_T0);

    e->now = H_T0 + H_MS;
    for (uint16_t seq = 1; seq <= 4; seq++)
        assert_int_equal(h_ping(e, H_IP_PEER, seq, 100), 0);
    assert_int_equal(h_ping(e, H_IP_PEER, 5, 100), 0); /* dropped, as Linux */
    assert_int_equal(e->rec->n, 1); /* one request, not five */
    assert_int_equal(h_stat(e, "arp.tx_requests"), 1);
    assert_int_equal(h_stat(e, "arp.queue_full"), 1);
    assert_int_equal(arp_lookup(e->s, H_IP_PEER)->queue_len, 4);
    assert_int_equal(h_pool_in_use(e), 4);

    /* the reply sends them, oldest first */
    e->now = H_T0 + 2 * H_MS;
    reply_from(e, H_IP_PEER, h_mac_peer);
    assert_int_equal(e->rec->n, 5);
    for (uint16_t seq = 1; seq <= 4; seq++) {
        assert_echo_request(e->rec, seq, h_mac_peer, H_IP_PEER, seq);
        assert_int_equal(e->rec->f[seq].at_us, H_T0 + 2 * H_MS);
    }
    assert_int_equal(h_stat(e, "arp.resolved"), 1);
    assert_int_equal(h_stat(e, "arp.rx_replies"), 1);
    assert_int_equal(h_pool_in_use(e), 0);
    const struct arp_entry *a = arp_lookup(e->s, H_IP_PEER);
    assert_int_equal(a->state, ARP_REACHABLE);
    assert_int_equal(a->queue_len, 0);
    assert_null(a->queue);
    /* resolved: the next one leaves at once */
    assert_int_equal(h_ping(e, H_IP_PEER, 6, 0), 0);
    assert_int_equal(e->rec->n, 6);
    assert_echo_request(e->rec, 5, h_mac_peer, H_IP_PEER, 6);
    /* no retry is left pending */
    h_poll(e, H_T0 + 10 * H_SEC);
    assert_int_equal(e->rec->n, 6);
}

static void
test_arp_entry_expires(void **state)
{
    struct h_env *e = *state = h_env_default(H_T0);

    h_learn(e, H_IP_PEER, h_mac_peer); /* at H_T0 */
    assert_int_equal(stack_poll_at(e->s), H_T0 + 60 * H_SEC);
    e->now = H_T0 + 30 * H_SEC;
    assert_int_equal(h_ping(e, H_IP_PEER, 1, 0), 0);
    assert_int_equal(e->rec->n, 1);
    assert_echo_request(e->rec, 0, h_mac_peer, H_IP_PEER, 1);
    h_poll(e, H_T0 + 60 * H_SEC - 1);
    assert_non_null(arp_lookup(e->s, H_IP_PEER));
    assert_int_equal(h_stat(e, "arp.expired"), 0);
    h_poll(e, H_T0 + 60 * H_SEC);
    assert_null(arp_lookup(e->s, H_IP_PEER));
    assert_int_equal(h_stat(e, "arp.expired"), 1);
    assert_int_equal(e->rec->n, 1);
    /* a new ping resolves again */
    assert_int_equal(h_ping(e, H_IP_PEER, 2, 0), 0);
    assert_int_equal(e->rec->n, 2);
    assert_who_has(e->rec, 1, H_IP_PEER);
    assert_int_equal(h_stat(e, "arp.tx_requests"), 1);
}

static void
test_arp_cache_full_evicts_lru(void **state)
{
    struct h_env *e = *state = h_env_default(H_T0);
    uint8_t mac[6] = {0x02, 0, 0, 0, 1, 0};

    for (uint32_t i = 0; i < ARP_CACHE_SIZE; i++) {
        e->now = H_T0 + i;
        mac[5] = (uint8_t)i;
        h_learn(e, 0x0a000010 + i, mac);
    }
    assert_int_equal(h_stat(e, "arp.evicted"), 0);
    /* use the oldest, so the second oldest is least recently used */
    e->now = H_T0 + 1000;
    assert_int_equal(h_ping(e, 0x0a000010, 1, 0), 0);
    mac[5] = 0xee;
    h_learn(e, 0x0a0000f0, mac);
    assert_int_equal(h_stat(e, "arp.evicted"), 1);
    assert_non_null(arp_lookup(e->s, 0x0a000010));
    assert_null(arp_lookup(e->s, 0x0a000011));
    assert_non_null(arp_lookup(e->s, 0x0a000012));
    assert_non_null(arp_lookup(e->s, 0x0a0000f0));
}

static void
test_arp_offlink_via_gateway(void **state)
{
    struct stack_config c;

    h_config(&c);
    c.gateway = H_IP_PEER;
    struct h_env *e = *state = h_env_new(&c, H_T0);
    const uint32_t far = 0x08080808; /* 8.8.8.8 */

    e->now = H_T0 + 1;
    assert_int_equal(h_ping(e, far, 1, 56), 0);
    assert_int_equal(e->rec->n, 1);
    assert_who_has(e->rec, 0, H_IP_PEER); /* the gateway, not 8.8.8.8 */
    assert_null(arp_lookup(e->s, far));
    reply_from(e, H_IP_PEER, h_mac_peer);
    assert_int_equal(e->rec->n, 2);
    assert_echo_request(e->rec, 1, h_mac_peer, far, 1);
    /* on-link destinations are still resolved directly */
    assert_int_equal(h_ping(e, H_IP_OTHER, 2, 0), 0);
    assert_int_equal(e->rec->n, 3);
    assert_who_has(e->rec, 2, H_IP_OTHER);
    /* the subnet broadcast goes to the broadcast MAC without ARP */
    assert_int_equal(h_ping(e, 0x0a0000ff, 3, 0), 0);
    assert_int_equal(e->rec->n, 4);
    assert_echo_request(e->rec, 3, eth_broadcast, 0x0a0000ff, 3);
    assert_int_equal(h_stat(e, "ipv4.tx_no_route"), 0);
}

static void
test_arp_no_gateway_unreachable(void **state)
{
    struct h_env *e = *state = h_env_default(H_T0);

    e->now = H_T0 + 1;
    assert_int_equal(h_ping(e, 0x08080808, 1, 56), -EHOSTUNREACH);
    assert_int_equal(h_ping(e, 0x0a000103, 2, 0), -EHOSTUNREACH); /* 10.0.1.3 */
    assert_int_equal(e->rec->n, 0);
    assert_int_equal(h_stat(e, "ipv4.tx_no_route"), 2);
    assert_int_equal(h_stat(e, "arp.tx_requests"), 0);
    assert_int_equal(h_pool_in_use(e), 0);
    assert_int_equal(stack_poll_at(e->s), STACK_NEVER);
}

static void
test_arp_device_error_counted(void **state)
{
    struct h_env *e = *state = h_env_default(H_T0);

    h_learn(e, H_IP_PEER, h_mac_peer);
    e->rec->fail = -EIO;
    assert_int_equal(h_ping(e, H_IP_PEER, 1, 0), 0);
    assert_int_equal(h_stat(e, "eth.tx_dev_err"), 1);
    assert_int_equal(h_stat(e, "eth.tx_frames"), 2); /* announce, reply to h_learn */
    assert_int_equal(h_pool_in_use(e), 0);
}

/* Feed one ARP frame edited by the test. */
static void
feed_arp(struct h_env *e, size_t at, uint8_t v, size_t len)
{
    uint8_t f[64];

    h_arp_frame(f, eth_broadcast, h_mac_peer, ARP_OP_REQUEST, h_mac_peer, H_IP_PEER,
                h_mac_zero, H_IP_US, 1);
    if (at)
        f[at] = v;
    h_input(e, f, len);
}

static void
test_arp_malformed_counted(void **state)
{
    struct h_env *e = *state = h_env_default(H_T0);
    uint8_t f[64];

    feed_arp(e, 0, 0, ETH_HDR_LEN + 20); /* truncated */
    feed_arp(e, 0, 0, ETH_HDR_LEN + 4);
    feed_arp(e, 0, 0, ETH_HDR_LEN);
    assert_int_equal(h_stat(e, "arp.rx_bad_len"), 3);
    feed_arp(e, ETH_HDR_LEN + 1, 6, 60);    /* hardware type IEEE 802 */
    feed_arp(e, ETH_HDR_LEN + 2, 0x86, 60); /* protocol 0x86dd... */
    feed_arp(e, ETH_HDR_LEN + 4, 8, 60);    /* hardware length 8 */
    feed_arp(e, ETH_HDR_LEN + 5, 16, 60);   /* protocol length 16 */
    assert_int_equal(h_stat(e, "arp.rx_bad_hw"), 4);
    feed_arp(e, ETH_HDR_LEN + 7, 3, 60); /* RARP request */
    feed_arp(e, ETH_HDR_LEN + 7, 0, 60);
    assert_int_equal(h_stat(e, "arp.rx_bad_op"), 2);
    /* senders that cannot be a host */
    size_t n = h_arp_frame(f, eth_broadcast, h_mac_peer, ARP_OP_REQUEST, eth_broadcast,
                           H_IP_PEER, h_mac_zero, H_IP_US, 1);
    h_input(e, f, n);
    const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
    n = h_arp_frame(f, eth_broadcast, h_mac_peer, ARP_OP_REPLY, mcast, H_IP_PEER,
                    h_mac_us, H_IP_US, 1);
    h_input(e, f, n);
    const uint32_t bad_spa[] = {0xffffffff, 0x0a0000ff, 0x7f000001, 0xe0000001};
    for (size_t i = 0; i < 4; i++) {
        n = h_arp_frame(f, eth_broadcast, h_mac_peer, ARP_OP_REQUEST, h_mac_peer,
                        bad_spa[i], h_mac_zero, H_IP_US, 1);
        h_input(e, f, n);
    }
    /* someone else claiming our address */
    n = h_arp_frame(f, eth_broadcast, h_mac_peer, ARP_OP_REQUEST, h_mac_peer, H_IP_US,
                    h_mac_zero, H_IP_US, 1);
    h_input(e, f, n);
    assert_int_equal(h_stat(e, "arp.rx_bad_sender"), 7);

    assert_int_equal(h_stat(e, "arp.rx_packets"), 3 + 4 + 2 + 7);
    assert_int_equal(h_stat(e, "arp.rx_requests"), 0);
    assert_int_equal(h_stat(e, "arp.rx_replies"), 0);
    assert_int_equal(h_stat(e, "arp.tx_replies"), 0);
    assert_int_equal(e->rec->n, 0);
    assert_null(arp_lookup(e->s, H_IP_PEER));
    assert_null(arp_lookup(e->s, H_IP_US));
    assert_int_equal(h_pool_in_use(e), 0);
    /* and a good one still works */
    feed_arp(e, 0, 0, 60);
    assert_int_equal(e->rec->n, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_arp_announce_at_first_poll, h_teardown),
        cmocka_unit_test_teardown(test_arp_reply_to_request, h_teardown),
        cmocka_unit_test_teardown(test_arp_not_for_us_merges, h_teardown),
        cmocka_unit_test_teardown(test_arp_resolve_retries_then_fails, h_teardown),
        cmocka_unit_test_teardown(test_arp_retry_config, h_teardown),
        cmocka_unit_test_teardown(test_arp_late_poll_no_flood, h_teardown),
        cmocka_unit_test_teardown(test_arp_clock_never_back, h_teardown),
        cmocka_unit_test_teardown(test_arp_queue_limit_and_flush, h_teardown),
        cmocka_unit_test_teardown(test_arp_entry_expires, h_teardown),
        cmocka_unit_test_teardown(test_arp_cache_full_evicts_lru, h_teardown),
        cmocka_unit_test_teardown(test_arp_offlink_via_gateway, h_teardown),
        cmocka_unit_test_teardown(test_arp_no_gateway_unreachable, h_teardown),
        cmocka_unit_test_teardown(test_arp_device_error_counted, h_teardown),
        cmocka_unit_test_teardown(test_arp_malformed_counted, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
