/*
 * addr.h - text forms of link and IPv4 addresses.
 *
 * Owns: parsing "10.0.0.2", "10.0.0.2/24", "02:00:00:00:00:02" (declared in
 * stack.h for the daemon) and formatting them back for logs.
 */
#ifndef USTACK_WIRE_ADDR_H
#define USTACK_WIRE_ADDR_H

#include <stdint.h>

#define IP_STR_LEN 16  /* "255.255.255.255" + NUL */
#define MAC_STR_LEN 18 /* "ff:ff:ff:ff:ff:ff" + NUL */

const char *ip_fmt(uint32_t addr, char buf[IP_STR_LEN]);
const char *mac_fmt(const uint8_t mac[6], char buf[MAC_STR_LEN]);

#endif
