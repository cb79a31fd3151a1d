/*
 * harness.h - shared helpers for the engine unit tests.
 *
 * Owns: a recording device (a struct dev whose send() keeps a copy of
 * every frame, with the time it left), an engine fixture driven by a
 * virtual clock, and builders for frames written by hand (Ethernet, ARP,
 * IPv4, ICMP echo) with correct checksums unless a test breaks them on
 * purpose. Helpers assert with cmocka, so a malformed frame leaving the
 * engine fails the test that caused it.
 *
 * The addresses every test uses: we are 10.0.0.2/24 at 02:00:00:00:00:02;
 * the peer is 10.0.0.1 at 02:00:00:00:00:01; 10.0.0.3 (..:03) is a third
 * host on the link.
 */
#ifndef USTACK_TESTS_HARNESS_H
#define USTACK_TESTS_HARNESS_H

/* cmocka needs these before it */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dev/dev.h"
#include "stack.h"
#include "wire/arp_hdr.h"
#include "wire/eth_hdr.h"
#include "wire/icmp_hdr.h"
#include "wire/ipv4_hdr.h"

/* A large start time: nothing may assume the clock starts near 0. */
#define H_T0 ((uint64_t)1 << 40)
#define H_SEC 1000000ull
#define H_MS 1000ull

#define H_IP_US 0x0a000002u    /* 10.0.0.2 */
#define H_IP_PEER 0x0a000001u  /* 10.0.0.1 */
#define H_IP_OTHER 0x0a000003u /* 10.0.0.3 */
#define H_FRAME_MAX 70000      /* room for any frame or reassembled datagram */

extern const uint8_t h_mac_us[6];
extern const uint8_t h_mac_peer[6];
extern const uint8_t h_mac_other[6];
extern const uint8_t h_mac_zero[6];

/* ---- the recording device ---- */

struct rec_frame {
    uint8_t *data;
    size_t len;
    uint64_t at_us; /* the now_us the engine passed to send() */
};

struct rec_dev {
    struct dev dev; /* first: a struct dev * is a struct rec_dev * */
    struct rec_frame *f;
    size_t n, cap;
    int fail; /* non-zero: send() returns this (a negative errno), keeps nothing */
};

struct rec_dev *rec_open(void);
void rec_close(struct rec_dev *r);
/* Forget the frames recorded so far. */
void rec_clear(struct rec_dev *r);

/* ---- the engine fixture ---- */

struct h_env {
    struct stack *s;
    struct rec_dev *rec;
    uint64_t now;
    uint8_t *buf; /* H_FRAME_MAX bytes of scratch for the test */
    uint8_t *buf2;
};

/* Defaults with our address and MAC set, no gateway. */
void h_config(struct stack_config *c);
/* A recording device and an engine on it, not yet polled. */
struct h_env *h_env_open(const struct stack_config *c);
/* A recording device and an engine on it, first polled at t0 (which sends
 * the gratuitous ARP; the recorder is cleared after it). Asserts success. */
struct h_env *h_env_new(const struct stack_config *c, uint64_t t0);
/* As h_env_new with h_config() defaults. */
struct h_env *h_env_default(uint64_t t0);
void h_env_free(struct h_env *e);
/* cmocka teardown: h_env_free(*state). */
int h_teardown(void **state);

/* Feed a frame at e->now. */
void h_input(struct h_env *e, const uint8_t *frame, size_t len);
/* Advance the clock to `now` and poll. */
void h_poll(struct h_env *e, uint64_t now);
/* stack_ping at e->now with identifier H_PING_ID. */
#define H_PING_ID 0x4242
int h_ping(struct h_env *e, uint32_t dst, uint16_t seq, size_t len);
/* The counter "module.name"; fails the test if no such counter exists. */
int64_t h_stat(const struct h_env *e, const char *name);
/* Teach the engine ip -> mac with an ARP request for our address, then
 * clear the recorder (the engine's reply is dropped). */
void h_learn(struct h_env *e, uint32_t ip, const uint8_t mac[6]);
/* Frames waiting in the buffer pool. */
uint32_t h_pool_in_use(const struct h_env *e);

/* ---- building frames ---- */

/* b[0..n) = a byte pattern that depends on seed. */
void h_pattern(uint8_t *b, size_t n, uint32_t seed);
/* 14-byte Ethernet header; returns 14. */
size_t h_eth(uint8_t *b, const uint8_t dst[6], const uint8_t src[6], uint16_t type);
/* A whole ARP frame (Ethernet + 28 bytes), padded with zeros to 60 bytes
 * when pad is set. Returns the frame length. */
size_t h_arp_frame(uint8_t *b, const uint8_t eth_dst[6], const uint8_t eth_src[6],
                   uint16_t op, const uint8_t sha[6], uint32_t spa, const uint8_t tha[6],
                   uint32_t tpa, int pad);
/* A 20-byte IPv4 header (TTL 64) with a correct checksum; returns 20. */
size_t h_ip(uint8_t *b, uint32_t src, uint32_t dst, uint8_t proto, uint16_t id,
            uint16_t frag, size_t payload_len);
/* An ICMP echo message (type 8 or 0) with data_len bytes of h_pattern(seq)
 * and a correct checksum; returns 8 + data_len. */
size_t h_echo(uint8_t *b, uint8_t type, uint16_t id, uint16_t seq, size_t data_len);
/* Ethernet (peer MAC -> our MAC) + IPv4 header + payload copied from
 * `payload`; returns the frame length. */
size_t h_ip_frame(uint8_t *b, uint32_t src, uint32_t dst, uint8_t proto, uint16_t id,
                  uint16_t frag, const uint8_t *payload, size_t len);
/* Fix the IPv4 header checksum at ip (after a test edited the header). */
void h_ip_fix_cksum(uint8_t *ip);

/* ---- reading what left ---- */

struct h_out {
    struct eth_repr eth;
    struct ipv4_repr ip; /* valid when eth.type is IPv4 */
    const uint8_t *l3;   /* start of the IP header or ARP packet */
    const uint8_t *data; /* IP payload */
    size_t data_len;     /* IP payload bytes (padding excluded) */
};

/* Parse recorded frame i as Ethernet + IPv4; asserts a valid header, a
 * frame of at least 60 bytes, and our MAC as the source. */
void h_out_ip(const struct rec_dev *r, size_t i, struct h_out *o);
/* Parse recorded frame i as Ethernet + ARP; asserts it is exactly 60 bytes. */
void h_out_arp(const struct rec_dev *r, size_t i, struct arp_repr *a,
               struct eth_repr *eh);
/* Frames [first, first + n) are the fragments (or the whole) of one
 * datagram: assert the same ID, offsets that are multiples of 8 and
 * contiguous, MF on all but the last, each within mtu; copy the payload
 * into out (cap bytes) and return its length. *ip gets the first header. */
size_t h_reassemble(const struct rec_dev *r, size_t first, size_t n, uint16_t mtu,
                    uint8_t *out, size_t cap, struct ipv4_repr *ip);

#endif
