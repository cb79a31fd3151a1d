/*
 * pcapng.h - the blocks of a pcapng file, encoded into memory.
 *
 * Owns: the byte layout of the three blocks the capture writes, after
 * the PCAP Next Generation format (draft-ietf-opsawg-pcapng): a Section
 * Header Block, one Interface Description Block (Ethernet, nanosecond
 * timestamps) and Enhanced Packet Blocks with a direction flag and an
 * optional comment. Everything is written little-endian (the byte-order
 * magic says so), so a file is the same on every host.
 *
 * Each function writes one whole block into buf and returns its length,
 * a multiple of 4; -EMSGSIZE when cap is too small (nothing useful is
 * left in buf then).
 *
 * Leaves out: reading, other block types, more than one interface or
 * section, options beyond the ones named here.
 */
#ifndef USTACK_DEV_PCAPNG_H
#define USTACK_DEV_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PCAPNG_SHB_TYPE 0x0A0D0D0Au
#define PCAPNG_IDB_TYPE 0x00000001u
#define PCAPNG_EPB_TYPE 0x00000006u
#define PCAPNG_BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define PCAPNG_LINKTYPE_ETHERNET 1

/* epb_flags direction bits (draft-ietf-opsawg-pcapng §4.3.1) */
enum pcapng_dir { PCAPNG_DIR_UNKNOWN = 0, PCAPNG_DIR_IN = 1, PCAPNG_DIR_OUT = 2 };

/* Section Header Block, version 1.0, section length unknown (-1), with
 * shb_userappl = app (NULL: none). */
ssize_t pcapng_shb(uint8_t *buf, size_t cap, const char *app);
/* Interface Description Block: Ethernet, snaplen, if_name = name (NULL:
 * none) and if_tsresol = 9 (timestamps count nanoseconds). */
ssize_t pcapng_idb(uint8_t *buf, size_t cap, uint32_t snaplen, const char *name);
/* Enhanced Packet Block of interface 0: ts_ns nanoseconds since the
 * epoch, the first caplen bytes of a frame of len bytes, the direction
 * in epb_flags and opt_comment = comment (NULL or "": none). */
ssize_t pcapng_epb(uint8_t *buf, size_t cap, uint64_t ts_ns, const uint8_t *frame,
                   size_t caplen, size_t len, enum pcapng_dir dir, const char *comment);
/* What pcapng_epb needs for a frame of caplen bytes and a comment. */
size_t pcapng_epb_size(size_t caplen, const char *comment);

#endif
