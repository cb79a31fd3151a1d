#!/usr/bin/env python3
"""tests/interop/ctl_malformed.py - helper of tests/interop/udp.sh: feed a
live ustackd malformed control messages (docs/SOCKETS.md, "malformed
messages").

    ctl_malformed.py CTL_PATH [COUNT] [SEED]

COUNT (default 1000) malformed requests over AF_UNIX SOCK_SEQPACKET, drawn
from a seeded generator: bad magic, a length field that lies, unknown
types, another version, a non-zero status, truncated headers (0 to 15
bytes), a body of the wrong size, a CTL_SENDTO payload over 65507 bytes,
messages over CTL_MSG_MAX, random bytes; about a third with descriptors
attached (a pipe, /dev/null, a socketpair end; one, two, or more than the
daemon makes room for), including well-formed CTL_SOCKET and CTL_LIST
requests that must carry none. Each must be answered by one 16-byte error
reply: status -EBADMSG (-EPROTONOSUPPORT for another version, unless
the descriptors did not fit), the seq
echoed when the header was there, the type echoed when it is a known one.
A valid CTL_LIST every 40 messages must still be answered (the
connection is served, and the run of bad messages stays below the
daemon's limit); the connection is replaced every 250 messages. Last, a
fresh connection sending nothing but bad messages must be cut off after
CTL_BAD_STREAK_MAX (100) of them. Our copies of every descriptor sent are
closed at once, so any the daemon kept would show in its /proc fd count.
Prints TAP-style lines; exit 0 only if all passed.
"""
import errno
import os
import random
import socket
import struct
import sys

MAGIC = 0x5553
VERSION = 2
HDR = 16
DATA_MAX = 65507
MSG_MAX = HDR + 16 + DATA_MAX
FDS_ROOM = 8
BAD_STREAK_MAX = 100
# ctl_proto.h: enum ctl_type, and each request's body size (-1: variable)
TYPES = {1: 12, 2: 8, 3: 8, 4: 4, 5: 0, 6: -1, 7: 0, 8: 0, 9: 12, 10: 12, 11: 4,
         12: 4, 13: 0, 14: 24, 15: 8, 16: 4, 17: 8, 18: -1}
CTL_SOCKET, CTL_LIST, CTL_SENDTO, CTL_TEXT = 1, 12, 6, 17
TYPE_MAX = 19

failures = 0


def report(ok, what):
    global failures
    print(("ok - " if ok else "not ok - ") + what, flush=True)
    if not ok:
        failures += 1


def header(mtype, length, seq, magic=MAGIC, version=VERSION, status=0):
    return struct.pack("=HBBIIi", magic, version, mtype, length, seq, status)


def message(mtype, body, seq, **kw):
    return header(mtype, HDR + len(body), seq, **kw) + body


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        self.s.settimeout(3)
        self.s.connect(path)

    def send(self, data, fds=()):
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("%di" % len(fds), *fds))] \
            if fds else []
        self.s.sendmsg([data], anc)

    def reply(self):
        """(magic, version, type, len, seq, status, nbytes), or None at the end."""
        data = self.s.recv(1 << 17)
        if not data:
            return None
        if len(data) < HDR:
            return (0, 0, 0, 0, 0, 0, len(data))
        return struct.unpack("=HBBIIi", data[:HDR]) + (len(data),)

    def close(self):
        self.s.close()


def descriptors(rng):
    """Descriptors to attach (ours, closed by the caller once sent)."""
    fds = []
    for _ in range(rng.choice([1, 1, 1, 2, 3, FDS_ROOM + 2])):
        k = rng.randrange(3)
        if k == 0:
            r, w = os.pipe()
            keep, drop = (r, w) if rng.random() < 0.5 else (w, r)
            os.close(drop)
            fds.append(keep)
        elif k == 1:
            fds.append(os.open("/dev/null", os.O_RDONLY))
        else:
            a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            fds.append(a.detach())
            b.close()
    return fds


def malformed(rng, seq, with_fds):
    """(bytes, expected statuses, seq to see echoed or None, type echoed, kind)."""
    kind = rng.choice(["magic", "length", "type", "version", "status", "truncated",
                       "body", "sendto_big", "oversized", "random", "fds_not_allowed"
                       if with_fds else "body"])
    t = rng.choice(list(TYPES))
    bad = [-errno.EBADMSG]
    if kind == "magic":
        magic = rng.choice([0, 0x5355, 0xffff, MAGIC ^ 1, rng.randrange(1 << 16)])
        if magic == MAGIC:
            magic ^= 0x100
        return message(t, bytes(max(TYPES[t], 0)), seq, magic=magic), bad, seq, t, kind
    if kind == "length":
        body = bytes(max(TYPES[t], 0))
        lie = rng.choice([0, 1, 15, HDR + len(body) - 1, HDR + len(body) + 1, 1 << 31,
                          0xffffffff])
        return header(t, lie, seq) + body, bad, seq, t, kind
    if kind == "type":
        u = rng.choice([0, TYPE_MAX, TYPE_MAX + 1, 127, 200, 255])
        return message(u, bytes(rng.randrange(0, 40)), seq), bad, seq, 0, kind
    if kind == "version":
        v = rng.choice([0, VERSION - 1, VERSION + 1, 255])
        return (message(t, bytes(max(TYPES[t], 0)), seq, version=v),
                [-errno.EPROTONOSUPPORT], seq, t, kind)
    if kind == "status":
        s = rng.choice([1, -1, -errno.EBADMSG, 0x7fffffff])
        return message(t, bytes(max(TYPES[t], 0)), seq, status=s), bad, seq, t, kind
    if kind == "truncated":
        full = message(t, bytes(max(TYPES[t], 0)), seq)
        return full[:rng.randrange(0, HDR)], bad, None, 0, kind
    if kind == "body":
        t = rng.choice([x for x in TYPES if TYPES[x] >= 0])
        n = rng.choice([x for x in (0, 1, 3, 4, 7, 8, 11, 12, 13, 100) if x != TYPES[t]])
        return message(t, bytes(rng.randrange(256) for _ in range(n)), seq), bad, seq, t, kind
    if kind == "sendto_big":
        n = rng.randrange(DATA_MAX + 1, DATA_MAX + 5)
        body = struct.pack("=IHHi", 0x0a000001, 7, 0, 0) + bytes(n)
        return message(CTL_SENDTO, body, seq), bad, seq, CTL_SENDTO, kind
    if kind == "oversized":
        n = rng.choice([MSG_MAX + 1 - HDR, MSG_MAX + 2 - HDR, 100000, 200000])
        return message(CTL_SENDTO, bytes(n), seq), bad, seq, CTL_SENDTO, kind
    if kind == "fds_not_allowed":
        # well-formed, but CTL_SOCKET, CTL_LIST and CTL_TEXT take no descriptor
        r = rng.random()
        if r < 0.4:
            body = struct.pack("=iii", socket.AF_INET, socket.SOCK_DGRAM, 0)
            return message(CTL_SOCKET, body, seq), bad, seq, CTL_SOCKET, kind
        if r < 0.7:
            return message(CTL_TEXT, struct.pack("=II", 1, 0), seq), bad, seq, CTL_TEXT, kind
        return message(CTL_LIST, struct.pack("=I", 0), seq), bad, seq, CTL_LIST, kind
    # random bytes; a random header is all but sure to fail the magic
    n = rng.randrange(0, 300)
    m = bytes(rng.randrange(256) for _ in range(n))
    if n >= 2 and m[0:2] == struct.pack("=H", MAGIC):
        m = b"\0" + m[1:]
    return m, bad, (struct.unpack("=I", m[8:12])[0] if n >= HDR else None), None, kind


def check_reply(rep, expect, seq, mtype):
    if rep is None:
        return "no reply (connection closed)"
    magic, version, rtype, rlen, rseq, status, nbytes = rep
    if nbytes != HDR or rlen != HDR or magic != MAGIC or version != VERSION:
        return "not a 16-byte header: %r" % (rep,)
    if status not in expect:
        return "status %d, expected %s" % (status, expect)
    if seq is not None and rseq != seq:
        return "seq %d, expected %d" % (rseq, seq)
    if mtype is not None and rtype != mtype:
        return "type %d, expected %d" % (rtype, mtype)
    return None


def valid_list(conn, seq):
    conn.send(message(CTL_LIST, struct.pack("=I", 0), seq))
    rep = conn.reply()
    return rep is not None and rep[4] == seq and rep[5] >= 0 and rep[2] == CTL_LIST


def main():
    path = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    conn = Conn(path)
    problems, kinds, with_fds, valid_ok, valid_n = [], {}, 0, 0, 0
    seq = 1
    for i in range(count):
        if i and i % 250 == 0:
            conn.close()
            conn = Conn(path)
        if i % 40 == 39:
            seq += 1
            valid_n += 1
            valid_ok += valid_list(conn, seq)
        seq += 1
        attach = rng.random() < 0.35
        data, expect, eseq, etype, kind = malformed(rng, seq, attach)
        fds = descriptors(rng) if attach else []
        if len(fds) > FDS_ROOM:
            expect = [-errno.EBADMSG]  # MSG_CTRUNC: truncated, whatever the rest
        kinds[kind] = kinds.get(kind, 0) + 1
        with_fds += bool(fds)
        try:
            conn.send(data, fds)
            rep = conn.reply()
        except OSError as e:
            rep = None
            problems.append("#%d %s: %s" % (i, kind, e))
        finally:
            for fd in fds:
                os.close(fd)
        why = check_reply(rep, expect, eseq, etype)
        if why:
            problems.append("#%d %s (%d bytes, %d fds): %s" % (i, kind, len(data), len(fds),
                                                                why))
            if rep is None:
                conn.close()
                conn = Conn(path)
    for p in problems[:10]:
        print("#   " + p)
    summary = ", ".join("%s %d" % kv for kv in sorted(kinds.items()))
    report(not problems, "ctl: %d malformed messages (%d with descriptors) each get one "
           "error reply (%s)" % (count, with_fds, summary))
    report(valid_ok == valid_n, "ctl: valid CTL_LIST between them answered (%d of %d)"
           % (valid_ok, valid_n))
    conn.close()

    # A client that sends nothing but bad messages is cut off.
    conn = Conn(path)
    answered, ended = 0, False
    try:
        for i in range(BAD_STREAK_MAX + 5):
            conn.send(b"\xde\xad" + bytes(14))
            rep = conn.reply()
            if rep is None:
                ended = True
                break
            answered += 1
    except OSError:
        ended = True
    report(ended and answered == BAD_STREAK_MAX,
           "ctl: a client sending only bad messages is disconnected after %d replies "
           "(%d)" % (BAD_STREAK_MAX, answered))
    conn.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
