/*
 * eth.h - Ethernet II input and output.
 *
 * Owns: the frame filter (our MAC and broadcast pass, everything else is
 * counted and dropped), demultiplexing by EtherType, and framing on output
 * with padding to the 60-byte minimum.
 */
#ifndef USTACK_PROTO_ETH_H
#define USTACK_PROTO_ETH_H

#include <stdint.h>

struct stack;
struct pkb;

void eth_input(struct stack *s, struct pkb *p);
/* Prepend the header, pad, transmit. Consumes p. 0 or a negative errno. */
int eth_output(struct stack *s, struct pkb *p, const uint8_t dst[6], uint16_t type);

#endif
