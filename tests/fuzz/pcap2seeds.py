#!/usr/bin/python3
"""pcap2seeds.py - turn captures into seeds for tests/fuzz/fuzz_frame.

Usage: pcap2seeds.py [--mac 02:00:00:00:00:02] OUTDIR FILE.pcap...

For each capture it writes
  NAME-all      every frame not sent by the engine (source MAC != --mac),
                in order: the whole exchange as the engine saw it
  NAME-NNN      one seed per frame (both directions, duplicates across
                captures skipped)
in fuzz_frame's input format: records of [u16 big-endian length][frame].
Classic pcap or pcapng (capfile.py).
"""
import hashlib
import os
import struct
import sys

from capfile import read_capture


def read_pcap(path):
    """Yield the frames (bytes) of a capture (capfile.py: pcap or pcapng)."""
    for _t, frame in read_capture(path):
        yield frame


def records(frames):
    out = bytearray()
    for fr in frames:
        fr = fr[:0xFFFF]
        out += struct.pack(">H", len(fr)) + fr
    return bytes(out)


def main(argv):
    mac = "02:00:00:00:00:02"
    args = argv[1:]
    if len(args) >= 2 and args[0] == "--mac":
        mac, args = args[1], args[2:]
    if len(args) < 2:
        sys.stderr.write(__doc__)
        return 2
    engine_mac = bytes(int(x, 16) for x in mac.split(":"))
    outdir, paths = args[0], args[1:]
    os.makedirs(outdir, exist_ok=True)
    total = 0
    seen = set()  # single-frame seeds, across all captures
    for path in paths:
        name = os.path.splitext(os.path.basename(path))[0]
        frames = list(read_pcap(path))
        inbound = [fr for fr in frames if fr[6:12] != engine_mac]
        with open(os.path.join(outdir, name + "-all"), "wb") as f:
            f.write(records(inbound))
        total += 1
        for i, fr in enumerate(frames):
            digest = hashlib.sha1(fr).digest()
            if digest in seen:
                continue
            seen.add(digest)
            with open(os.path.join(outdir, "%s-%03d" % (name, i)), "wb") as f:
                f.write(records([fr]))
            total += 1
    print("pcap2seeds: %d seeds from %d captures in %s" % (total, len(paths), outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
