"""capfile.py - read the frames of a capture: classic pcap or pcapng.

The fuzz seed scripts (pcap2seeds.py, tcp_seeds.py) read pcaps/ with
this. ustack's captures are pcapng since the capture middleware writes
packet comments (stack/dev/capture.c); the files recorded before are
classic pcap. Plain struct parsing, either byte order; pcapng after
draft-ietf-opsawg-pcapng: Section Header (§4.1), Interface Description
(§4.2, if_tsresol), Enhanced Packet (§4.3) and Simple Packet (§4.4)
blocks; others are skipped. Ethernet only.
"""
import struct

PCAP_MAGICS = {0xA1B2C3D4: 1, 0xA1B23C4D: 1000}  # magic -> divisor to µs
SHB, IDB, EPB, SPB = 0x0A0D0D0A, 1, 6, 3
LINKTYPE_ETHERNET = 1


def read_capture(path):
    """Yield (time in µs, frame) for each packet of path."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) >= 4 and struct.unpack("<I", data[:4])[0] == SHB:
        yield from _pcapng(path, data)
    else:
        yield from _pcap(path, data)


def _pcap(path, data):
    if len(data) < 24:
        raise ValueError("%s: short pcap header" % path)
    for endian in ("<", ">"):
        (magic,) = struct.unpack(endian + "I", data[:4])
        if magic in PCAP_MAGICS:
            break
    else:
        raise ValueError("%s: not a pcap or pcapng file (magic %s)" % (path, data[:4].hex()))
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    if linktype != LINKTYPE_ETHERNET:
        raise ValueError("%s: linktype %d, want Ethernet (1)" % (path, linktype))
    div, off = PCAP_MAGICS[magic], 24
    while off < len(data):
        if off + 16 > len(data):
            raise ValueError("%s: truncated record header" % path)
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        if len(frame) < incl:
            raise ValueError("%s: truncated record" % path)
        yield sec * 1000000 + frac // div, frame
        off += 16 + incl


def _tsresol_units(opts, endian):
    """Timestamp units per second from an IDB's options (§4.2 if_tsresol)."""
    off = 0
    while off + 4 <= len(opts):
        code, n = struct.unpack(endian + "HH", opts[off:off + 4])
        if code == 0:
            break
        if code == 9 and n >= 1:
            v = opts[off + 4]
            return 2 ** (v & 0x7F) if v & 0x80 else 10 ** v
        off += 4 + ((n + 3) & ~3)
    return 1000000


def _pcapng(path, data):
    endian, units, off = "<", [], 0
    while off + 12 <= len(data):
        (btype,) = struct.unpack(endian + "I", data[off:off + 4])
        if btype == SHB:  # §4.1: the byte-order magic sets the order
            endian = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            units = []
        (blen,) = struct.unpack(endian + "I", data[off + 4:off + 8])
        if blen < 12 or off + blen > len(data):
            raise ValueError("%s: truncated pcapng block at %d" % (path, off))
        body = data[off + 8:off + blen - 4]
        if btype == IDB:
            (linktype,) = struct.unpack(endian + "H", body[:2])
            if linktype != LINKTYPE_ETHERNET:
                raise ValueError("%s: linktype %d, want Ethernet (1)" % (path, linktype))
            units.append(_tsresol_units(body[8:], endian))
        elif btype == EPB:
            iface, hi, lo, caplen, _ = struct.unpack(endian + "IIIII", body[:20])
            per_s = units[iface] if iface < len(units) else 1000000
            yield ((hi << 32) | lo) * 1000000 // per_s, body[20:20 + caplen]
        elif btype == SPB:
            (orig,) = struct.unpack(endian + "I", body[:4])
            yield 0, body[4:4 + orig]
        off += blen
