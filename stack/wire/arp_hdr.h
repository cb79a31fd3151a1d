/*
 * arp_hdr.h - ARP packet for IPv4 over Ethernet (RFC 826).
 *
 * Owns: parse/emit of the 28-byte Ethernet/IPv4 ARP packet. Any other
 * hardware or protocol type is refused by the parser.
 */
#ifndef USTACK_WIRE_ARP_HDR_H
#define USTACK_WIRE_ARP_HDR_H

#include <stddef.h>
#include <stdint.h>

#define ARP_LEN 28
#define ARP_HRD_ETHER 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

struct arp_repr {
    uint16_t op;
    uint8_t sha[6]; /* sender hardware address */
    uint32_t spa;   /* sender protocol address, host order */
    uint8_t tha[6];
    uint32_t tpa;
};

/* 0; -EBADMSG if truncated; -EPROTONOSUPPORT if not Ethernet/IPv4
 * (ar$hrd, ar$pro, ar$hln, ar$pln). The op is not checked here. */
int arp_parse(const uint8_t *b, size_t len, struct arp_repr *r);
/* Bytes written (28), or -EMSGSIZE. */
int arp_emit(const struct arp_repr *r, uint8_t *b, size_t cap);
const char *arp_fmt(const struct arp_repr *r, char *buf, size_t cap);

#endif
