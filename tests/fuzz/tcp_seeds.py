#!/usr/bin/python3
"""tcp_seeds.py - seeds for tests/fuzz/fuzz_tcp from the TCP captures.

Usage: tcp_seeds.py OUTDIR FILE.pcap...

Each TCP capture (one connection between the kernel, 10.0.0.1, and
ustack) becomes two seeds. NAME: every segment the kernel sent after the
handshake is a SEG operation on fuzz_tcp's connection 0 when the kernel
opened the connection (ustack listened), on connection 1 when ustack did.
NAME-open: the same with the kernel's SYN (or SYN,ACK) too, on connection
3 (a new connection to the listener) or 2 (ours, in SYN_SENT);
sequence and acknowledgment numbers, timestamps and SACK edges relative
to the ISNs and first TSvals of the capture, as fuzz_tcp takes them, so
that the exchange replays inside the fuzz target's windows. The time
between two segments becomes a TIME operation. The payload is not kept
(fuzz_tcp sends a pattern of the same length). Also two small seeds: a
UDP datagram to port 7, and a raw frame (ping's echo request).
Classic pcap or pcapng (capfile.py).
"""
import os
import struct
import sys

from capfile import read_capture

US = bytes([10, 0, 0, 2])
PEER = bytes([10, 0, 0, 1])


def read_pcap(path):
    """Yield (time in µs, frame) for each packet (capfile.py: pcap or pcapng)."""
    return read_capture(path)


def tcp_of(frame):
    """(src, dst, fields) of an Ethernet/IPv4/TCP frame, else None."""
    if len(frame) < 54 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return None
    ihl = (frame[14] & 15) * 4
    total = struct.unpack(">H", frame[16:18])[0]
    t = 14 + ihl
    doff = (frame[t + 12] >> 4) * 4
    seq, ack = struct.unpack(">II", frame[t + 4:t + 12])
    g = {"flags": frame[t + 13], "seq": seq, "ack": ack,
         "wnd": struct.unpack(">H", frame[t + 14:t + 16])[0],
         "dlen": max(0, 14 + total - t - doff), "ts": None, "sack": [], "syn": 0}
    o, end = t + 20, t + doff
    while o < end:
        kind = frame[o]
        if kind == 0:
            break
        if kind == 1:
            o += 1
            continue
        ln = frame[o + 1] if o + 1 < end else 0
        if ln < 2:
            break
        if kind == 2:
            g["syn"] |= 4
        if kind == 3:
            g["syn"] |= 8
        if kind == 4:
            g["syn"] |= 16
        if kind == 8 and ln == 10:
            g["ts"] = struct.unpack(">II", frame[o + 2:o + 10])
        if kind == 5:
            for b in range(o + 2, o + ln - 7, 8):
                g["sack"].append(struct.unpack(">II", frame[b:b + 8]))
        o += ln
    return frame[26:30], frame[30:34], g


def u32(x):
    return struct.pack(">I", x & 0xFFFFFFFF)


def seed_of(path, opening):
    segs = [(t, tcp_of(fr)) for t, fr in read_pcap(path)]
    segs = [(t, s) for t, s in segs if s]
    syn = next((s for _, s in segs if s[2]["flags"] & 0x12 == 0x02), None)
    if not syn:
        return None
    conn = (0 if syn[0] == PEER else 1) + (3 if opening else 0)
    conn = {0: 0, 1: 1, 3: 3, 4: 2}[conn]
    peer_isn = peer_ts0 = our_iss = our_ts0 = None
    for _, (src, _dst, g) in segs:
        if g["flags"] & 0x02:
            if src == PEER:
                peer_isn = g["seq"]
                peer_ts0 = g["ts"][0] if g["ts"] else 0
            else:
                our_iss = g["seq"]
                our_ts0 = g["ts"][0] if g["ts"] else 0
    if None in (peer_isn, our_iss):
        return None
    out, last = bytearray(), None
    for t, (src, _dst, g) in segs:
        if src != PEER or (g["flags"] & 0x02 and not opening):
            continue
        if last is not None and t > last:
            out += b"\x01" + struct.pack(">H", min((t - last) // 1000, 0xFFFF))
        last = t
        opts = (1 if g["ts"] else 0) | (2 if g["sack"] else 0) | g["syn"]
        out += bytes([0, conn, g["flags"]]) + u32(g["seq"] - peer_isn)
        out += u32(g["ack"] - our_iss) + struct.pack(">H", g["wnd"]) + bytes([opts])
        if g["ts"]:
            out += u32(g["ts"][0] - peer_ts0) + u32(g["ts"][1] - our_ts0)
        if g["sack"]:
            out += bytes([len(g["sack"])])
            for left, right in g["sack"]:
                out += u32(left - our_iss) + u32(right - our_iss)
        out += struct.pack(">H", min(g["dlen"], 0xFFFF))
    return bytes(out)


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    n = 0
    for path in argv[2:]:
        name = os.path.splitext(os.path.basename(path))[0]
        for opening, suffix in ((False, ""), (True, "-open")):
            s = seed_of(path, opening) if name.startswith("tcp-") else None
            if s:
                with open(os.path.join(outdir, name + suffix), "wb") as f:
                    f.write(s)
                n += 1
        if name == "ping":
            for _, fr in read_pcap(path):
                if fr[30:34] == US and fr[23:24] == b"\x01":
                    with open(os.path.join(outdir, "raw-ping"), "wb") as f:
                        f.write(b"\x04" + struct.pack(">H", len(fr)) + fr)
                    n += 1
                    break
    with open(os.path.join(outdir, "udp-echo"), "wb") as f:
        f.write(b"\x03\x00\x07\x00\x05hello")
    n += 1
    print("tcp_seeds: %d seeds in %s" % (n, outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
