#!/usr/bin/python3
"""tests/conformance/tcp.py - ustack's TCP against RFC 9293 and RFC 5961,
segment by segment, with Scapy playing the peer.

Run by tests/conformance/run.sh inside the namespace it makes, with
ustackd at 10.0.0.2 on ustap0 and ustack-services: TCP echo (RFC 862) on
port 7, discard (RFC 863) on 9, daytime (RFC 867) on 13; 4999 is closed.

The peer is 10.0.0.3 with its own MAC, a host the namespace's kernel
knows nothing of: the kernel drops ustack's frames to that MAC
(PACKET_OTHERHOST), so it never answers them with RSTs, while this script
sees them on a packet socket. ustack learns the peer from an ARP request
"who-has 10.0.0.2 tell 10.0.0.3" (RFC 826: the target merges the sender)
and a background thread answers its ARP requests for 10.0.0.3 later on.

Every frame is built by hand at layer 2, TCP header included (checksum,
data offset and options are ours to get wrong on purpose), with explicit
sequence numbers. Our ISN is 0xFFFFFFF0, so every connection's sequence
numbers wrap through zero in its first bytes; each test opens its own
connection from a new source port. Expectations are what RFC 9293 §3.10.7
and RFC 5961 say, plus the daemon's counters (SIGUSR1 prints them to its
log, given with --log, the daemon's PID with --pid).

The tests (TESTS at the end, one connection or more each): the handshake
with and without window scale (MSS, options answered only when offered),
SYN_RECEIVED, both close orders and TIME_WAIT, out-of-order and
overlapping data, the ACK policy, a zero window, RSTs in, at and out of
the window and SYNs in ESTABLISHED (RFC 5961 §3, §4), data beyond the
window, ACKs of unsent and of too old data (RFC 5961 §5), malformed
headers (checksum, truncation, data offset, option lengths), timestamps
(RFC 7323: answered, echoed, PAWS), closed ports. At the end: the challenge ACK rate limit (RFC 5961 §7) was never
hit, ustack retransmitted nothing (we ACK at once, so a retransmission
means a lost or misjudged ACK) and every segment it sent had a good
checksum.

Prints TAP-style lines, "ok - name" / "not ok - name" with "#" details;
exit 1 if any test failed. --only NAME runs the tests whose function
name contains NAME.
"""
import argparse
import os
import queue
import re
import select
import signal
import struct
import sys
import threading
import time
import traceback

from scapy.all import ARP, Ether, IP, Raw, TCP, conf  # noqa: E402
from scapy.utils import checksum

conf.verb = 0

IFACE = "ustap0"
US_IP = "10.0.0.2"        # ustack
ME_IP = "10.0.0.3"        # this script's peer
ME_MAC = "02:00:00:00:00:33"
ECHO_PORT = 7             # RFC 862 echo
DISCARD_PORT = 9          # RFC 863 discard: what ustack sends is only ACKs
DAYTIME_PORT = 13         # RFC 867 daytime: a line, then the server closes
CLOSED_PORT = 4999        # nothing listens there
ISN = 0xFFFFFFF0          # our ISN: sequence numbers wrap at once
OUR_WIN = 65535
OUR_MSS = 1460
MSS_EXPECTED = 1460       # ustackd's default MTU 1500 - 40

REPLY_S = 2.0             # how long a reply may take (sanitizer build)
QUIET_S = 0.5             # silence that means "no reply": > 200 ms delayed ACK
IMMEDIATE_S = 0.15        # an ACK "at once": well before the 200 ms delayed ACK

F_FIN, F_SYN, F_RST, F_PSH, F_ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def flags_str(f):
    return "".join(c for bit, c in ((F_SYN, "S"), (F_FIN, "F"), (F_RST, "R"),
                                    (F_PSH, "P"), (F_ACK, ".")) if f & bit) or "-"


def seq_add(a, n):
    return (a + n) & 0xFFFFFFFF


def seq_diff(a, b):
    """a - b as a signed 32-bit distance (RFC 9293 §3.4 arithmetic)."""
    d = (a - b) & 0xFFFFFFFF
    return d - (1 << 32) if d >= (1 << 31) else d


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


# ---- building segments -------------------------------------------------

def tcp_bytes(sport, dport, seq, ack, flags, win=OUR_WIN, opts=b"", data=b"",
              doff=None, bad_cksum=False):
    """A TCP segment as bytes, checksum over the RFC 9293 §3.1 pseudo
    header; doff (in 32-bit words) defaults to the true header length."""
    check(len(opts) % 4 == 0, "options must be padded to 32 bits")
    if doff is None:
        doff = 5 + len(opts) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                      ack & 0xFFFFFFFF, (doff & 0xF) << 4, flags, win, 0, 0)
    seg = hdr + opts + data
    pseudo = struct.pack("!4s4sBBH", bytes(map(int, ME_IP.split("."))),
                         bytes(map(int, US_IP.split("."))), 0, 6, len(seg))
    ck = checksum(pseudo + seg)
    if bad_cksum:
        ck ^= 0x5555
    return seg[:16] + struct.pack("!H", ck) + seg[18:]


def opt_mss(mss):
    return struct.pack("!BBH", 2, 4, mss)


def opt_wscale(shift):
    return struct.pack("!BBBB", 1, 3, 3, shift)  # NOP, kind 3, len 3, shift


def parse_options(raw):
    """{kind: value bytes} of an option list, walked by hand (a bad
    length gives {"malformed": raw})."""
    out, i = {}, 0
    while i < len(raw):
        k = raw[i]
        if k == 0:
            break
        if k == 1:
            i += 1
            continue
        if i + 1 >= len(raw) or raw[i + 1] < 2 or i + raw[i + 1] > len(raw):
            return {"malformed": raw}
        out[k] = raw[i + 2:i + raw[i + 1]]
        i += raw[i + 1]
    return out


def tcp_options(pkt):
    """The options of a received segment."""
    t = pkt[TCP]
    return parse_options(bytes(t)[20:t.dataofs * 4])


def seg_data(pkt):
    """A received segment's data, without the Ethernet padding of a short
    frame (Scapy keeps it as the TCP layer's payload)."""
    if TCP in pkt and not isinstance(pkt, TCP):
        pkt = pkt[TCP]
    ip = pkt.underlayer
    n = ip.len - ip.ihl * 4 - pkt.dataofs * 4
    return bytes(pkt.payload)[:max(n, 0)]


def seg_fmt(pkt):
    t = pkt[TCP]
    data = seg_data(t)
    return "%d > %d [%s] seq %u ack %u win %u len %d%s" % (
        t.sport, t.dport, flags_str(int(t.flags)), t.seq, t.ack, t.window,
        len(data), (" " + repr(data[:24])) if data else "")


# ---- the peer: one packet socket, a reader thread -----------------------

class Peer:
    def __init__(self, pid, log):
        self.pid = pid
        self.log = log
        self.sock = conf.L2socket(iface=IFACE, promisc=True)
        self.us_mac = None
        self.queues = {}            # our port -> Queue of (time, pkt)
        self.conns = {}             # our port -> Conn, for failure reports
        self.qlock = threading.Lock()
        self.stop = threading.Event()
        self.bad_cksums = []        # segments from ustack failing their checksum
        self.seen_from_us = 0
        self.arp_reply = queue.Queue()
        self.next_port = 40000 + os.getpid() % 10000
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()

    def close(self):
        self.stop.set()
        self.thread.join(2)
        self.sock.close()

    def send(self, l3_payload, proto=6):
        """One IPv4 packet from us to ustack, TCP bytes (or anything) as
        the payload; Scapy fills in the IP header and its checksum."""
        frame = (Ether(src=ME_MAC, dst=self.us_mac or "ff:ff:ff:ff:ff:ff") /
                 IP(src=ME_IP, dst=US_IP, proto=proto, ttl=64) / Raw(l3_payload))
        self.sock.send(frame)

    def port(self):
        self.next_port += 1
        with self.qlock:
            self.queues[self.next_port] = queue.Queue()
        return self.next_port

    def _reader(self):
        while not self.stop.is_set():
            r, _, _ = select.select([self.sock], [], [], 0.1)
            if not r:
                continue
            try:
                pkt = self.sock.recv()
            except (OSError, ValueError):
                continue
            if pkt is None or Ether not in pkt or pkt[Ether].src == ME_MAC:
                continue
            now = time.monotonic()
            if ARP in pkt:
                self._arp(pkt)
                continue
            if IP not in pkt or pkt[IP].src != US_IP or pkt[IP].dst != ME_IP:
                continue
            if pkt[IP].proto != 6 or TCP not in pkt:
                continue
            self.seen_from_us += 1
            self._check_cksum(pkt)
            with self.qlock:
                q = self.queues.get(pkt[TCP].dport)
            if q is not None:
                q.put((now, pkt))

    def _arp(self, pkt):
        a = pkt[ARP]
        if a.op == 2 and a.psrc == US_IP and a.pdst == ME_IP:
            self.arp_reply.put(a.hwsrc)
        elif a.op == 1 and a.pdst == ME_IP and a.psrc == US_IP:
            # ustack asks for us (its cache entry expired): answer
            self.sock.send(Ether(src=ME_MAC, dst=a.hwsrc) /
                           ARP(op=2, hwsrc=ME_MAC, psrc=ME_IP, hwdst=a.hwsrc,
                               pdst=a.psrc))

    def _check_cksum(self, pkt):
        raw = bytes(pkt[IP].payload)[:pkt[IP].len - pkt[IP].ihl * 4]
        pseudo = struct.pack("!4s4sBBH", bytes(map(int, US_IP.split("."))),
                             bytes(map(int, ME_IP.split("."))), 0, 6, len(raw))
        if checksum(pseudo + raw) != 0:
            self.bad_cksums.append(seg_fmt(pkt))

    def announce(self):
        """RFC 826: our request makes ustack note 10.0.0.3 at ME_MAC; its
        reply tells us its own MAC."""
        req = (Ether(src=ME_MAC, dst="ff:ff:ff:ff:ff:ff") /
               ARP(op=1, hwsrc=ME_MAC, psrc=ME_IP, hwdst="00:00:00:00:00:00",
                   pdst=US_IP))
        for _ in range(10):
            self.sock.send(req)
            try:
                self.us_mac = self.arp_reply.get(timeout=0.5)
                return True
            except queue.Empty:
                pass
        return False

    # ---- the daemon's counters ----

    def counters(self):
        """Send SIGUSR1 and parse the dump it appends to the daemon's log
        (only non-zero counters are printed; a missing one is 0)."""
        with open(self.log, "rb") as f:
            f.seek(0, os.SEEK_END)
            start = f.tell()
        os.kill(self.pid, signal.SIGUSR1)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with open(self.log, "rb") as f:
                f.seek(start)
                text = f.read().decode("utf-8", "replace")
            m = re.search(r"ustackd: counters\n(.*?)ustackd: control socket", text, re.S)
            if m:
                out = {}
                for line in m.group(1).splitlines():
                    mm = re.match(r"\s*([a-z0-9_]+\.[a-z0-9_]+)\s+(\d+)\s*$", line)
                    if mm:
                        out[mm.group(1)] = int(mm.group(2))
                return out
            time.sleep(0.02)
        raise Fail("no counters in the daemon's log 5 s after SIGUSR1")


class Counters:
    """Counter deltas around a test step."""

    def __init__(self, peer):
        self.peer = peer
        self.before = peer.counters()

    def delta(self):
        after = self.peer.counters()
        return {k: after.get(k, 0) - self.before.get(k, 0)
                for k in set(after) | set(self.before)}


def expect_delta(d, name, want):
    got = d.get(name, 0)
    check(got == want, "counter %s went up by %d, expected %d" % (name, got, want))


# ---- one connection, our side ----------------------------------------

class Conn:
    def __init__(self, peer, dport=ECHO_PORT, isn=ISN):
        self.peer = peer
        self.sport = peer.port()
        self.dport = dport
        self.iss = isn
        self.snd_nxt = isn          # ours
        self.rcv_nxt = None         # ustack's next sequence
        self.q = peer.queues[self.sport]
        self.log = []               # what went each way, for failure reports
        self.us_wscale = 0          # ustack's shift, if both sides offered
        self.us_wnd = 0             # ustack's last window, scaled
        self.win = OUR_WIN          # the window we advertise after the SYN
        peer.conns[self.sport] = self

    # -- raw send / receive --

    def send(self, flags, seq=None, ack=None, data=b"", win=None, opts=b"",
             **kw):
        seq = self.snd_nxt if seq is None else seq
        win = self.win if win is None else win
        if ack is None:
            ack = self.rcv_nxt if (flags & F_ACK) and self.rcv_nxt is not None else 0
        b = tcp_bytes(self.sport, self.dport, seq, ack, flags, win, opts, data, **kw)
        self.log.append("  -> %d > %d [%s] seq %u ack %u len %d%s" % (
            self.sport, self.dport, flags_str(flags), seq & 0xFFFFFFFF,
            ack & 0xFFFFFFFF, len(data), " " + " ".join(
                "%s=%s" % (k, v) for k, v in kw.items()) if kw else ""))
        self.peer.send(b)

    def send_raw(self, tcp_payload, note):
        self.log.append("  -> %s" % note)
        self.peer.send(tcp_payload)

    def recv(self, timeout=REPLY_S):
        """The next segment from ustack on this connection, or None."""
        try:
            _, pkt = self.q.get(timeout=timeout)
        except queue.Empty:
            return None
        self.log.append("  <- " + seg_fmt(pkt))
        self._note(pkt)
        return pkt

    def _note(self, pkt):
        t = pkt[TCP]
        if not (int(t.flags) & F_SYN):
            self.us_wnd = t.window << self.us_wscale

    def quiet(self, secs=QUIET_S):
        """Everything ustack sent in the next secs (nothing, we hope)."""
        got, end = [], time.monotonic() + secs
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return got
            p = self.recv(left)
            if p is not None:
                got.append(p)

    # -- the usual moves --

    def syn(self, opts=None):
        if opts is None:
            opts = opt_mss(OUR_MSS) + opt_wscale(7)
        self.offered_ws = 3 in parse_options(opts)
        self.send(F_SYN, seq=self.iss, opts=opts, win=OUR_WIN)
        self.snd_nxt = seq_add(self.iss, 1)

    def expect_synack(self):
        p = self.recv()
        check(p is not None, "no SYN,ACK within %.1f s" % REPLY_S)
        t = p[TCP]
        check(int(t.flags) == F_SYN | F_ACK, "reply to SYN is [%s], not [S.]"
              % flags_str(int(t.flags)))
        check(t.ack == self.snd_nxt, "SYN,ACK ack %u, expected ISN+1 = %u"
              % (t.ack, self.snd_nxt))
        self.rcv_nxt = seq_add(t.seq, 1)
        opts = tcp_options(p)
        if self.offered_ws and 3 in opts:
            self.us_wscale = opts[3][0]
        self.us_wnd = t.window          # RFC 7323 §2.2: never scaled in a SYN
        return p, opts

    def open(self, opts=None):
        self.syn(opts)
        self.expect_synack()
        self.send(F_ACK)

    def segs_until_data(self, n, timeout=REPLY_S):
        """Collect ustack's segments until n bytes of data in order came;
        ACK the data as it comes (so nothing is retransmitted). Returns
        (bytes, segments)."""
        data, segs, end = b"", [], time.monotonic() + timeout
        while len(data) < n:
            left = end - time.monotonic()
            p = self.recv(max(left, 0)) if left > 0 else None
            if p is None:
                break
            segs.append(p)
            t = p[TCP]
            payload = seg_data(t)
            check(not int(t.flags) & (F_RST | F_SYN),
                  "unexpected [%s] while waiting for data" % flags_str(int(t.flags)))
            if payload:
                check(t.seq == self.rcv_nxt, "data at seq %u, expected %u (rcv_nxt)"
                      % (t.seq, self.rcv_nxt))
                data += payload
                self.rcv_nxt = seq_add(self.rcv_nxt, len(payload))
                self.send(F_ACK)
        return data, segs

    def put(self, data, **kw):
        """Send data in order at snd_nxt."""
        self.send(F_ACK | F_PSH, data=data, **kw)
        self.snd_nxt = seq_add(self.snd_nxt, len(data))

    def echo(self, data, what="echo"):
        """data in, the same data back, with an ACK covering it."""
        self.put(data)
        got, segs = self.segs_until_data(len(data))
        check(got == data, "%s: sent %r, got back %r" % (what, data, got))
        check(segs and segs[-1][TCP].ack == self.snd_nxt,
              "%s: the echo's ack is %s, expected %u" % (
                  what, segs[-1][TCP].ack if segs else None, self.snd_nxt))
        extra = self.quiet(0.05)
        check(not any(seg_data(p) for p in extra),
              "%s: more data than was sent came back" % what)

    def expect_ack(self, what, seq=None, ack=None, timeout=REPLY_S, probes=False):
        """The next segment is a bare ACK <SEQ=SND.NXT><ACK=RCV.NXT>. With
        probes, ustack's window probes (bare, at SND.UNA-1: our window
        is 0) are passed over."""
        t0 = time.monotonic()
        seq = self.rcv_nxt if seq is None else seq    # ustack's SND.NXT
        ack = self.snd_nxt if ack is None else ack    # ustack's RCV.NXT
        while True:
            p = self.recv(max(timeout - (time.monotonic() - t0), 0.001))
            if not (probes and p is not None and p[TCP].seq == seq_add(seq, -1)
                    and not seg_data(p)):
                break
        check(p is not None, "%s: no ACK within %.2f s" % (what, timeout))
        t = p[TCP]
        check(int(t.flags) == F_ACK and not seg_data(t),
              "%s: got %s, expected a bare ACK" % (what, seg_fmt(p)))
        check(t.seq == seq and t.ack == ack,
              "%s: ACK has seq %u ack %u, expected seq %u ack %u"
              % (what, t.seq, t.ack, seq, ack))
        return p, time.monotonic() - t0

    def expect_nothing(self, what, secs=QUIET_S):
        got = self.quiet(secs)
        check(not got, "%s: expected no reply, got %s" % (
            what, "; ".join(seg_fmt(p) for p in got)))

    def reset(self):
        """Our RST exactly at RCV.NXT: the connection goes (RFC 5961 §3.2)."""
        self.send(F_RST, seq=self.snd_nxt, ack=0)


# ---- the tests ----------------------------------------------------------
# Each returns nothing or raises Fail; the name is its docstring.

def t_handshake_ws(peer):
    """handshake: SYN with MSS and window scale gets SYN,ACK (ack ISN+1, MSS, WS); ACK; data echoed and ACKed across the wrap"""
    c = Conn(peer)
    cnt = Counters(peer)
    c.syn(opt_mss(OUR_MSS) + opt_wscale(7))
    p, opts = c.expect_synack()
    check(2 in opts and len(opts[2]) == 2, "SYN,ACK has no MSS option (RFC 9293 §3.7.1)")
    mss = struct.unpack("!H", opts[2])[0]
    check(mss == MSS_EXPECTED, "SYN,ACK MSS %d, expected %d for MTU 1500" % (mss, MSS_EXPECTED))
    check(3 in opts and len(opts[3]) == 1,
          "SYN,ACK has no window scale option though the SYN offered one (RFC 7323 §2.2)")
    check(opts[3][0] <= 14, "window scale shift %d > 14 (RFC 7323 §2.3)" % opts[3][0])
    check(p[TCP].window > 0, "SYN,ACK offers a zero window")
    c.send(F_ACK)
    # 40 bytes from ISN+1 = 0xFFFFFFF1: our sequence numbers wrap past 0
    c.echo(b"0123456789abcdefghijklmnopqrstuvwxyzABCD")
    check(seq_diff(c.snd_nxt, 0) > 0 and c.snd_nxt < 0x100,
          "test bug: our sequence numbers did not wrap")
    d = cnt.delta()
    expect_delta(d, "tcp.passive_opens", 1)
    expect_delta(d, "tcp.established", 1)
    c.reset()


def t_handshake_nows(peer):
    """handshake: SYN without window scale gets none back; our MSS 536 bounds ustack's segments"""
    c = Conn(peer)
    c.syn(opt_mss(536))
    p, opts = c.expect_synack()
    check(2 in opts, "SYN,ACK has no MSS option")
    check(3 not in opts, "SYN,ACK carries window scale, the SYN offered none (RFC 7323 §1.3)")
    c.send(F_ACK)
    data = bytes((i * 7) & 0xFF for i in range(1200))
    c.put(data[:600])
    c.put(data[600:])
    got, segs = c.segs_until_data(len(data))
    check(got == data, "1200 bytes sent, %d came back%s" % (
        len(got), "" if len(got) != len(data) else " (different)"))
    big = [len(seg_data(s)) for s in segs if len(seg_data(s)) > 536]
    check(not big, "segments of %s bytes to a peer whose MSS is 536" % big)
    c.reset()


def t_syn_received(peer):
    """SYN_RECEIVED: a repeated SYN gets the same SYN,ACK; an unacceptable ACK gets <SEQ=SEG.ACK><CTL=RST> and the handshake still completes"""
    c = Conn(peer)
    c.syn()
    first, _ = c.expect_synack()
    c.syn()
    again, _ = c.expect_synack()
    check(again[TCP].seq == first[TCP].seq, "the repeated SYN,ACK has seq %u, the first %u"
          % (again[TCP].seq, first[TCP].seq))
    # RFC 9293 §3.10.7.4 fifth: in SYN-RECEIVED, SND.UNA < SEG.ACK =< SND.NXT
    # or <SEQ=SEG.ACK><CTL=RST>
    for bad in (seq_add(c.rcv_nxt, 1000), seq_add(c.rcv_nxt, -1)):
        c.send(F_ACK, ack=bad)
        p = c.recv()
        check(p is not None, "no reply to an ACK of %u in SYN_RECEIVED" % bad)
        check(int(p[TCP].flags) == F_RST and p[TCP].seq == bad,
              "got %s, expected [R] seq %u" % (seg_fmt(p), bad))
    c.send(F_ACK)
    c.echo(b"handshake done", "echo once the good ACK came")
    c.reset()


def t_close(peer):
    """close: our FIN is ACKed, the echo server's FIN follows (CLOSE_WAIT, LAST_ACK); after our ACK the connection is gone"""
    c = Conn(peer)
    c.open()
    c.echo(b"bye")
    c.send(F_FIN | F_ACK)
    c.snd_nxt = seq_add(c.snd_nxt, 1)
    fin = None
    for _ in range(3):
        p = c.recv()
        check(p is not None, "no ACK or FIN after our FIN")
        t = p[TCP]
        check(not seg_data(t) and not int(t.flags) & (F_RST | F_SYN),
              "after our FIN: %s" % seg_fmt(p))
        check(t.ack == c.snd_nxt, "after our FIN: ack %u, expected %u (our FIN counted)"
              % (t.ack, c.snd_nxt))
        if int(t.flags) & F_FIN:
            fin = p
            break
    check(fin is not None, "the echo server closed, no FIN came")
    check(fin[TCP].seq == c.rcv_nxt, "FIN at seq %u, expected %u" % (fin[TCP].seq, c.rcv_nxt))
    c.rcv_nxt = seq_add(c.rcv_nxt, 1)
    c.send(F_ACK)
    c.expect_nothing("our ACK of the FIN ends it (LAST_ACK -> CLOSED)", 0.3)
    c.send(F_ACK | F_PSH, data=b"late")
    p = c.recv()
    check(p is not None and int(p[TCP].flags) == F_RST and p[TCP].seq == c.rcv_nxt,
          "a segment after the close: got %s, expected [R] seq %u"
          % (seg_fmt(p) if p is not None else "nothing", c.rcv_nxt))


def t_time_wait(peer):
    """TIME_WAIT (daytime closes first): our FIN ACKed, a retransmitted FIN ACKed again; a new SYN with a higher sequence reopens"""
    c = Conn(peer, dport=DAYTIME_PORT)
    c.open()
    line, fin, end = b"", False, time.monotonic() + REPLY_S
    while not fin and time.monotonic() < end:
        p = c.recv(max(end - time.monotonic(), 0.01))
        if p is None:
            break
        t = p[TCP]
        check(not int(t.flags) & (F_RST | F_SYN), "from daytime: %s" % seg_fmt(p))
        data = seg_data(t)
        if data or int(t.flags) & F_FIN:
            check(t.seq == c.rcv_nxt, "segment at seq %u, expected %u" % (t.seq, c.rcv_nxt))
        line += data
        c.rcv_nxt = seq_add(c.rcv_nxt, len(data))
        if int(t.flags) & F_FIN:
            fin = True
            c.rcv_nxt = seq_add(c.rcv_nxt, 1)
        if data or fin:
            c.send(F_ACK)
    check(line.endswith(b"\n"), "daytime sent %r, not a line" % line)
    check(fin, "no FIN from daytime after its line")
    c.expect_nothing("our ACK of its FIN (FIN_WAIT_2) is not answered", 0.2)
    fin_seq = c.snd_nxt
    c.send(F_FIN | F_ACK)
    c.snd_nxt = seq_add(c.snd_nxt, 1)
    c.expect_ack("our FIN (FIN_WAIT_2 -> TIME_WAIT)")
    # RFC 9293 §3.10.7.4 TIME-WAIT: a retransmitted FIN is acknowledged
    c.send(F_FIN | F_ACK, seq=fin_seq)
    c.expect_ack("our FIN again, in TIME_WAIT")
    # RFC 1122 §4.2.2.13 (as Linux): a new SYN beyond RCV.NXT reopens
    c.iss = seq_add(c.snd_nxt, 100000)
    c.rcv_nxt = None
    c.syn()
    c.expect_synack()
    c.send(F_ACK)
    check(c.recv() is not None, "nothing from daytime on the reopened connection")
    c.reset()


def t_no_ack_flag(peer):
    """data without the ACK bit in ESTABLISHED: dropped without reply (RFC 9293 §3.10.7.4 fifth)"""
    c = Conn(peer)
    c.open()
    c.echo(b"before")
    c.send(F_PSH, data=b"no ack bit", ack=0)
    c.expect_nothing("data without ACK")
    c.echo(b"no ack bit", "the same data with ACK, echoed once")
    c.reset()


def t_ooo(peer):
    """out of order: segment 2 first gets an immediate duplicate ACK; segment 1 then one ACK covering both; echo in order"""
    c = Conn(peer)
    c.open()
    cnt = Counters(peer)
    base = c.snd_nxt                 # 0xFFFFFFF1: segment 2 crosses 0
    s1, s2 = b"first-part", b"second-part"
    c.send(F_ACK | F_PSH, seq=seq_add(base, len(s1)), data=s2)
    p, dt = c.expect_ack("segment 2 before 1", ack=base)
    check(dt < IMMEDIATE_S, "the duplicate ACK took %.3f s, not at once (RFC 5681 §4.2)" % dt)
    c.expect_nothing("segment 2 held, nothing echoed yet", 0.3)
    c.send(F_ACK | F_PSH, seq=base, data=s1)
    c.snd_nxt = seq_add(base, len(s1) + len(s2))
    got, segs = c.segs_until_data(len(s1 + s2))
    check(segs, "nothing after segment 1 filled the hole")
    acks = [s[TCP].ack for s in segs]
    check(acks[0] == c.snd_nxt, "first segment after the hole filled has ack %u, "
          "expected %u covering both" % (acks[0], c.snd_nxt))
    check(all(a == c.snd_nxt for a in acks),
          "an ACK for segment 1 alone went out: acks %s" % acks)
    bare = [s for s in segs if not seg_data(s)]
    check(len(bare) <= 1, "%d bare ACKs after the hole filled, expected one" % len(bare))
    check(got == s1 + s2, "echo %r, expected %r" % (got, s1 + s2))
    d = cnt.delta()
    expect_delta(d, "tcp.rx_ooo", 1)
    c.reset()


def t_ack_policy(peer):
    """ACK policy (discard): a lone segment ACKed within 500 ms; two full-sized segments and a filled hole ACKed at once"""
    c = Conn(peer, dport=DISCARD_PORT)
    c.open()
    # the first data opens the window from the SYN,ACK's unscaled 65535 to
    # the whole buffer: that ACK is a window update, at once; after it the
    # window is fully open and a small segment is a plain delayed ACK case
    c.put(b"warm-up")
    c.expect_ack("first data (window update)")
    c.expect_nothing("one ACK for the first data", 0.3)
    # RFC 1122 §4.2.3.2: an ACK MUST NOT be delayed 0.5 s or more
    c.put(b"x" * 100)
    p, dt = c.expect_ack("a lone small segment", timeout=0.5)
    print("#   a lone small segment was ACKed after %.0f ms" % (dt * 1000))
    # RFC 1122 §4.2.3.2, RFC 5681 §4.2: an ACK at least every second
    # full-sized segment (one for the first alone may come before it)
    c.put(bytes(OUR_MSS))
    c.put(bytes(OUR_MSS))
    t0 = time.monotonic()
    p = c.recv()
    if p is not None and p[TCP].ack == seq_add(c.snd_nxt, -OUR_MSS):
        p = c.recv()
    dt = time.monotonic() - t0
    check(p is not None, "no ACK for two full-sized segments")
    check(int(p[TCP].flags) == F_ACK and p[TCP].ack == c.snd_nxt and p[TCP].seq == c.rcv_nxt,
          "two full-sized segments: got %s, expected [.] seq %u ack %u"
          % (seg_fmt(p), c.rcv_nxt, c.snd_nxt))
    check(dt < IMMEDIATE_S, "two full-sized segments were ACKed after %.3f s, not at once" % dt)
    # then at most window updates (RFC 1122 §4.2.3.3) as discard reads
    for q in c.quiet(0.3):
        check(int(q[TCP].flags) == F_ACK and q[TCP].ack == c.snd_nxt and not seg_data(q)
              and q[TCP].window > p[TCP].window,
              "after the ACK of both: %s, not a window update" % seg_fmt(q))
        p = q
    # RFC 5681 §4.2: at once for a segment beyond a hole, and for the one
    # that fills it
    base = c.snd_nxt
    c.send(F_ACK | F_PSH, seq=seq_add(base, 10), data=b"B" * 10)
    p, dt = c.expect_ack("segment beyond a hole", ack=base)
    check(dt < IMMEDIATE_S, "the duplicate ACK took %.3f s, not at once" % dt)
    c.send(F_ACK | F_PSH, seq=base, data=b"A" * 10)
    c.snd_nxt = seq_add(base, 20)
    p, dt = c.expect_ack("segment filling the hole")
    check(dt < IMMEDIATE_S, "the ACK for the filled hole took %.3f s, not at once" % dt)
    c.reset()


def t_ooo_overlap(peer):
    """out of order: a segment that fills the hole and overlaps the queued one is trimmed; bytes echoed once, in order"""
    c = Conn(peer)
    c.open()
    base = c.snd_nxt
    msg = b"ABCDEFGHIJKLMNOPQRST"       # 20 bytes
    # queue [5, 20), then send [0, 12): 7 bytes overlap the queued segment
    c.send(F_ACK | F_PSH, seq=seq_add(base, 5), data=msg[5:])
    c.expect_ack("segment beyond a hole", ack=base)
    c.send(F_ACK | F_PSH, seq=base, data=msg[:12])
    c.snd_nxt = seq_add(base, len(msg))
    got, _ = c.segs_until_data(len(msg))
    check(got == msg, "echo %r, expected %r" % (got, msg))
    extra = c.quiet(0.2)
    check(not any(seg_data(p) for p in extra), "overlapping bytes echoed twice")
    c.reset()


def t_dup_overlap(peer):
    """duplicate segment gets an ACK and is not delivered again; a partial overlap delivers only the new bytes"""
    c = Conn(peer)
    c.open()
    base = c.snd_nxt
    c.echo(b"AAAAAAAAAA")
    cnt = Counters(peer)
    # an exact duplicate: all of it is below RCV.NXT, not acceptable:
    # RFC 9293 §3.10.7.4 first: send an ACK, drop it
    c.send(F_ACK | F_PSH, seq=base, data=b"AAAAAAAAAA")
    c.expect_ack("exact duplicate")
    c.expect_nothing("exact duplicate: nothing echoed", 0.3)
    # [5, 15): the first 5 bytes are old, the last 5 new
    c.send(F_ACK | F_PSH, seq=seq_add(base, 5), data=b"AAAAABBBBB")
    c.snd_nxt = seq_add(base, 15)
    got, segs = c.segs_until_data(5)
    check(got == b"BBBBB", "partial overlap: echo %r, expected b'BBBBB'" % got)
    check(segs[-1][TCP].ack == c.snd_nxt, "the echo's ack is %u, expected %u"
          % (segs[-1][TCP].ack, c.snd_nxt))
    extra = c.quiet(0.2)
    check(not any(seg_data(p) for p in extra), "old bytes echoed again")
    d = cnt.delta()
    check(d.get("tcp.rx_out_of_window", 0) >= 1, "tcp.rx_out_of_window did not count the duplicate")
    expect_delta(d, "tcp.rx_dup_data", 1)
    c.reset()


def fill_window(c, limit=2 << 20):
    """Send data in order, within ustack's window, until it advertises a
    zero window and has ACKed everything; our own window is 0, so the echo
    server's replies stay queued in ustack and it stops reading. Returns
    the bytes sent."""
    una, sent, chunk = c.snd_nxt, 0, bytes(range(256)) * 6
    end = time.monotonic() + 10
    while time.monotonic() < end and sent < limit:
        while True:             # what ustack said last
            p = c.recv(0.02)
            if p is None:
                break
            t = p[TCP]
            check(not int(t.flags) & (F_RST | F_SYN | F_FIN), "while filling: %s" % seg_fmt(p))
            if seq_diff(t.ack, una) > 0:
                una = t.ack
        if c.us_wnd == 0 and una == c.snd_nxt:
            return sent
        room = c.us_wnd - seq_diff(c.snd_nxt, una)
        for _ in range(16):
            if room <= 0:
                break
            n = min(room, OUR_MSS)
            c.put(chunk[:n])
            sent += n
            room -= n
    raise Fail("ustack's window did not close after %d bytes (window %d, %d unacked)"
               % (sent, c.us_wnd, seq_diff(c.snd_nxt, una)))


def t_zero_window(peer):
    """zero receive window: data at RCV.NXT not taken, ACK shows RCV.NXT and window 0; a FIN on such a segment is not taken either"""
    c = Conn(peer)
    c.open()
    c.win = 0
    c.send(F_ACK)               # we close our window: the echo piles up in ustack
    sent = fill_window(c)
    cnt = Counters(peer)
    # RFC 9293 §3.10.7.4: with RCV.WND = 0 no data is acceptable; the ACK
    # tells the sender where it stands. (A window field of 0 may still
    # leave up to 2^shift - 1 octets of the window offered before, which
    # never shrinks: RFC 7323 §2.4. Those are taken one by one first.)
    for _ in range(1 << c.us_wscale):
        c.send(F_ACK | F_PSH, data=b"z")
        p = c.recv()
        while p is not None and p[TCP].seq == seq_add(c.rcv_nxt, -1) and not seg_data(p):
            p = c.recv()    # a window probe of ustack's (SND.UNA-1)
        check(p is not None, "no ACK for 1 byte at RCV.NXT into a zero window")
        if p[TCP].ack != seq_add(c.snd_nxt, 1) or p[TCP].window != 0:
            break
        c.snd_nxt = seq_add(c.snd_nxt, 1)
        sent += 1
        cnt = Counters(peer)
    else:
        raise Fail("ustack took %d single octets while showing a zero window "
                   "(window scale shift %d)" % (1 << c.us_wscale, c.us_wscale))
    print("#   ustack's window closed after %d bytes" % sent)
    t = p[TCP]
    check(int(t.flags) == F_ACK and t.seq == c.rcv_nxt and t.ack == c.snd_nxt,
          "1 byte at RCV.NXT into a zero window: got %s, expected [.] seq %u ack %u"
          % (seg_fmt(p), c.rcv_nxt, c.snd_nxt))
    check(t.window == 0, "the ACK shows window %d, expected 0" % t.window)
    # data and FIN together: the data is cut, so the FIN (after it) is
    # beyond the window too and must not be taken
    c.send(F_ACK | F_PSH | F_FIN, data=b"abc")
    p, _ = c.expect_ack("3 bytes + FIN at RCV.NXT into a zero window", probes=True)
    check(p[TCP].window == 0, "the ACK shows window %d, expected 0" % p[TCP].window)
    d = cnt.delta()
    expect_delta(d, "tcp.rx_out_of_window", 2)
    c.reset()


def t_rst_in_window(peer):
    """RST in window but not at RCV.NXT (RCV.NXT+10): challenge ACK, connection alive (RFC 5961 §3.2)"""
    c = Conn(peer)
    c.open()
    c.echo(b"before")
    cnt = Counters(peer)
    c.send(F_RST, seq=seq_add(c.snd_nxt, 10), ack=0)
    c.expect_ack("RST at RCV.NXT+10")
    c.expect_nothing("one challenge ACK only", 0.2)
    d = cnt.delta()
    expect_delta(d, "tcp.rx_rst_challenged", 1)
    expect_delta(d, "tcp.challenge_acks", 1)
    c.echo(b"after the RST", "echo after the RST")
    # RST,ACK alike (what most stacks send), and the window's last octet
    c.send(F_RST | F_ACK, seq=seq_add(c.snd_nxt, 1))
    c.expect_ack("RST,ACK at RCV.NXT+1")
    check(c.us_wnd > 1, "ustack's window is %d" % c.us_wnd)
    c.send(F_RST, seq=seq_add(c.snd_nxt, c.us_wnd - 1), ack=0)
    c.expect_ack("RST at RCV.NXT+RCV.WND-1 (the last octet in the window)")
    c.echo(b"still here", "echo after the RST,ACK")
    c.reset()


def t_rst_exact(peer):
    """RST exactly at RCV.NXT: connection gone, no reply; a later segment gets <SEQ=SEG.ACK><CTL=RST>"""
    c = Conn(peer)
    c.open()
    c.echo(b"hello")
    cnt = Counters(peer)
    c.send(F_RST, seq=c.snd_nxt, ack=0)
    c.expect_nothing("RST at RCV.NXT (never answered)", 0.3)
    d = cnt.delta()
    expect_delta(d, "tcp.rx_rst", 1)
    expect_delta(d, "tcp.rx_rst_challenged", 0)
    c.send(F_ACK | F_PSH, data=b"anyone?")
    p = c.recv()
    check(p is not None, "no RST for a segment to the reset connection")
    t = p[TCP]
    check(int(t.flags) == F_RST, "reply is [%s], expected [R] (RFC 9293 §3.10.7.2: "
          "an ACK on the listener's port)" % flags_str(int(t.flags)))
    check(t.seq == c.rcv_nxt, "RST seq %u, expected SEG.ACK %u" % (t.seq, c.rcv_nxt))


def t_rst_out_of_window(peer):
    """RST outside the window (behind RCV.NXT, beyond the right edge): ignored without reply, connection alive"""
    c = Conn(peer)
    c.open()
    c.echo(b"before")
    cnt = Counters(peer)
    wnd = c.us_wnd
    check(wnd > 0, "ustack's window is 0")
    c.send(F_RST, seq=seq_add(c.snd_nxt, -1000), ack=0)
    c.expect_nothing("RST 1000 bytes behind RCV.NXT")
    c.send(F_RST, seq=seq_add(c.snd_nxt, wnd + 1000), ack=0)
    c.expect_nothing("RST 1000 bytes beyond RCV.NXT+RCV.WND")
    c.send(F_RST, seq=seq_add(c.snd_nxt, wnd), ack=0)
    c.expect_nothing("RST at RCV.NXT+RCV.WND (just outside)")
    d = cnt.delta()
    expect_delta(d, "tcp.rx_out_of_window", 3)
    expect_delta(d, "tcp.rx_rst_challenged", 0)
    c.echo(b"after", "echo after the RSTs")
    c.reset()


def t_syn_established(peer):
    """SYN in ESTABLISHED (in window, and a repeat of the first SYN): challenge ACK each, connection alive (RFC 5961 §4)"""
    c = Conn(peer)
    c.open()
    c.echo(b"before")
    cnt = Counters(peer)
    c.send(F_SYN, seq=seq_add(c.snd_nxt, 100), ack=0, opts=opt_mss(OUR_MSS))
    c.expect_ack("SYN at RCV.NXT+100")
    c.expect_nothing("one challenge ACK only", 0.2)
    d = cnt.delta()
    expect_delta(d, "tcp.rx_syn_challenged", 1)
    expect_delta(d, "tcp.challenge_acks", 1)
    c.send(F_SYN, seq=c.iss, ack=0, opts=opt_mss(OUR_MSS))
    c.expect_ack("the first SYN again (behind the window)")
    c.echo(b"after", "echo after the SYNs")
    c.reset()


def t_beyond_window(peer):
    """data beyond the window: not accepted, ACK with the current RCV.NXT"""
    c = Conn(peer)
    c.open()
    c.echo(b"before")
    wnd = c.us_wnd
    check(wnd > 0, "ustack's window is 0")
    cnt = Counters(peer)
    c.send(F_ACK | F_PSH, seq=seq_add(c.snd_nxt, wnd + 1000), data=b"FAR" * 10)
    c.expect_ack("data %u bytes beyond the window" % (wnd + 1000))
    # the right edge exactly: seq = RCV.NXT + RCV.WND is outside
    c.send(F_ACK | F_PSH, seq=seq_add(c.snd_nxt, wnd), data=b"EDGE")
    c.expect_ack("data at RCV.NXT+RCV.WND")
    d = cnt.delta()
    expect_delta(d, "tcp.rx_out_of_window", 2)
    expect_delta(d, "tcp.rx_ooo", 0)
    c.echo(b"in order", "only the in-order data comes back")
    c.reset()


def t_ack_unsent(peer):
    """ACK of data never sent (SEG.ACK > SND.NXT): an ACK in reply, the segment and its data dropped"""
    c = Conn(peer)
    c.open()
    c.echo(b"before")
    cnt = Counters(peer)
    c.send(F_ACK | F_PSH, data=b"bogus", ack=seq_add(c.rcv_nxt, 1000))
    c.expect_ack("ack 1000 past SND.NXT")
    c.expect_nothing("its data not echoed", 0.3)
    d = cnt.delta()
    expect_delta(d, "tcp.rx_ack_unsent", 1)
    c.echo(b"bogus", "the same data with a good ack, echoed once")
    c.reset()


def t_ack_old(peer):
    """ACK older than SND.UNA - MAX.SND.WND: challenge ACK, data dropped; at exactly that edge the data is taken (RFC 5961 §5.2)"""
    c = Conn(peer)
    c.open(opt_mss(OUR_MSS))   # no window scale: MAX.SND.WND is our 65535
    c.echo(b"before")
    cnt = Counters(peer)
    # ustack's SND.UNA is our rcv_nxt: everything it sent is ACKed
    c.send(F_ACK | F_PSH, data=b"stale", ack=seq_add(c.rcv_nxt, -(OUR_WIN + 1)))
    c.expect_ack("ack SND.UNA-MAX.SND.WND-1")
    c.expect_nothing("its data not echoed", 0.3)
    d = cnt.delta()
    expect_delta(d, "tcp.rx_ack_challenged", 1)
    expect_delta(d, "tcp.challenge_acks", 1)
    # (SND.UNA - MAX.SND.WND) =< SEG.ACK: acceptable, an old duplicate
    # ACK that RFC 9293 §3.10.7.4 ignores before taking the text
    c.put(b"stale", ack=seq_add(c.rcv_nxt, -OUR_WIN))
    got, _ = c.segs_until_data(5)
    check(got == b"stale", "data with ack SND.UNA-MAX.SND.WND: echo %r, expected b'stale'" % got)
    c.reset()


def t_bad_cksum(peer):
    """bad TCP checksum: dropped without reply, tcp.rx_bad_cksum counted"""
    c = Conn(peer)
    c.open()
    cnt = Counters(peer)
    c.send(F_ACK | F_PSH, data=b"corrupt", bad_cksum=True)
    c.expect_nothing("data with a bad checksum")
    # a SYN that would get a challenge ACK if it were believed
    c.send(F_SYN, seq=c.snd_nxt, ack=0, bad_cksum=True)
    c.expect_nothing("SYN with a bad checksum")
    d = cnt.delta()
    expect_delta(d, "tcp.rx_bad_cksum", 2)
    c.echo(b"corrupt", "the same data intact, echoed once")
    c.reset()


def t_truncated(peer):
    """truncated header (IP payload of 12 bytes): dropped without reply, tcp.rx_bad_len counted"""
    c = Conn(peer)
    c.open()
    cnt = Counters(peer)
    whole = tcp_bytes(c.sport, c.dport, c.snd_nxt, c.rcv_nxt, F_SYN)
    c.send_raw(whole[:12], "first 12 bytes of a SYN header")
    c.expect_nothing("12-byte TCP header")
    c.send_raw(whole[:19], "first 19 bytes of a SYN header")
    c.expect_nothing("19-byte TCP header")
    d = cnt.delta()
    expect_delta(d, "tcp.rx_bad_len", 2)
    c.echo(b"fine", "echo after the truncated segments")
    c.reset()


def t_bad_doff(peer):
    """data offset < 5 and beyond the segment: dropped without reply, tcp.rx_bad_doff counted"""
    c = Conn(peer)
    c.open()
    cnt = Counters(peer)
    c.send(F_ACK | F_PSH, data=b"doff four", doff=4)
    c.expect_nothing("data offset 4 (16 bytes)")
    c.send(F_ACK | F_PSH, data=b"doff0", doff=0)
    c.expect_nothing("data offset 0")
    c.send(F_ACK | F_PSH, data=b"short!", doff=15)   # 60 > 26 bytes
    c.expect_nothing("data offset 15 in a 26-byte segment")
    d = cnt.delta()
    expect_delta(d, "tcp.rx_bad_doff", 3)
    c.echo(b"doff five", "echo after the bad offsets")
    c.reset()


def t_bad_opt_syn(peer):
    """SYN with an option of length 0 or 1: dropped (no SYN,ACK), tcp.rx_bad_opt counted"""
    cnt = Counters(peer)
    for olen in (0, 1):
        c = Conn(peer)
        c.syn(opt_mss(OUR_MSS) + bytes([30, olen, 0, 0]))
        c.expect_nothing("SYN with option kind 30 length %d" % olen)
    c = Conn(peer)
    c.syn(opt_mss(OUR_MSS) + bytes([2, 0, 0, 0]))
    c.expect_nothing("SYN with MSS option length 0")
    d = cnt.delta()
    expect_delta(d, "tcp.rx_bad_opt", 3)
    expect_delta(d, "tcp.passive_opens", 0)


def t_bad_opt_overrun(peer):
    """options overrunning the header (SYN, and data in ESTABLISHED): dropped, tcp.rx_bad_opt counted"""
    cnt = Counters(peer)
    s = Conn(peer)
    # MSS, then kind 30 claiming 8 bytes where 4 are left
    s.syn(opt_mss(OUR_MSS) + bytes([30, 8, 0, 0]))
    s.expect_nothing("SYN with an option overrunning the header")
    c = Conn(peer)
    c.open()
    c.send(F_ACK | F_PSH, data=b"overrun", opts=bytes([1, 1, 30, 3]))
    c.expect_nothing("data with an option overrunning the header")
    d = cnt.delta()
    expect_delta(d, "tcp.rx_bad_opt", 2)
    c.echo(b"overrun", "the same data without options, echoed once")
    c.reset()


def t_unknown_opt(peer):
    """unknown options with sound lengths are skipped (RFC 9293 §3.2): SYN,ACK with MSS, SACK-Permitted and the timestamps it was offered only, data echoed"""
    c = Conn(peer)
    # kind 30 (unassigned) and kind 253 (experiment, RFC 4727) are unknown;
    # SACK-Permitted (RFC 2018) and timestamps (RFC 7323) are answered
    tsopt = bytes([8, 10]) + struct.pack("!II", 12345, 0)
    c.syn(bytes([30, 4, 0xAB, 0xCD]) + opt_mss(OUR_MSS) + bytes([1, 1, 4, 2]) +
          bytes([1, 1]) + tsopt + bytes([1, 1, 253, 2]))
    _, opts = c.expect_synack()
    check(2 in opts, "SYN,ACK has no MSS option")
    check(4 in opts, "SYN,ACK does not answer SACK-Permitted")
    check(8 in opts and struct.unpack("!II", opts[8])[1] == 12345,
          "SYN,ACK does not answer the timestamps offered (RFC 7323 §3.2): %r"
          % (opts.get(8),))
    check(not set(opts) - {2, 4, 8}, "SYN,ACK carries options %s it does not implement "
          "or was not offered" % sorted(set(opts) - {2, 4, 8}))
    c.send(F_ACK)
    # no TSopt on our data: taken all the same (ustack's DEVIATION(rfc7323),
    # as Linux)
    c.put(b"opt", opts=bytes([31, 4, 0, 0]))
    got, _ = c.segs_until_data(3)
    check(got == b"opt", "data with an unknown option: echo %r" % got)
    c.reset()


def opt_ts(tsval, tsecr):
    return bytes([1, 1, 8, 10]) + struct.pack("!II", tsval, tsecr)


def t_timestamps(peer):
    """timestamps (RFC 7323): answered on the SYN,ACK, echoed on every segment; PAWS drops data with an old TSval (ACK, tcp.rx_paws), a TSval wrapping past 2^32 is newer"""
    c = Conn(peer)
    cnt = Counters(peer)
    c.syn(opt_mss(OUR_MSS) + opt_wscale(7) + opt_ts(0xFFFFFF00, 0))
    p, opts = c.expect_synack()
    check(8 in opts, "SYN,ACK does not answer the timestamps offered (RFC 7323 §3.2)")
    us_ts, ecr = struct.unpack("!II", opts[8])
    check(ecr == 0xFFFFFF00, "SYN,ACK TSecr %u, expected the SYN's TSval" % ecr)
    c.send(F_ACK, opts=opt_ts(0xFFFFFF10, us_ts))
    # data with a TSval past the wrap: newer, taken; the echo carries it
    c.put(b"ts-one", opts=opt_ts(0x10, us_ts))
    got, segs = c.segs_until_data(6)
    check(got == b"ts-one", "data with timestamps: echo %r" % got)
    for s_ in segs:
        o = tcp_options(s_)
        check(8 in o, "a segment without timestamps: %s" % seg_fmt(s_))
        v, e = struct.unpack("!II", o[8])
        check(e == 0x10, "TSecr %u in %s, expected 16 (the data's TSval)" % (e, seg_fmt(s_)))
        check(seq_diff(v, us_ts) >= 0, "TSval went back: %u after %u" % (v, us_ts))
    # an old TSval (before the wrap): an old duplicate, dropped; an ACK
    c.send(F_ACK | F_PSH, data=b"stale", opts=opt_ts(0xFFFFFF20, us_ts))
    c.expect_ack("PAWS (RFC 7323 §5.3 R1)")
    c.echo(b"fresh", "after the PAWS drop")
    expect_delta(cnt.delta(), "tcp.rx_paws", 1)
    c.reset()


def t_closed_syn(peer):
    """SYN to a closed port: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, ack wrapping to 0"""
    for seq, data in ((0xFFFFFFFF, b""), (0xFFFFFFFA, b"0123456789")):
        c = Conn(peer, dport=CLOSED_PORT)
        c.send(F_SYN, seq=seq, opts=opt_mss(OUR_MSS), data=data)
        p = c.recv()
        check(p is not None, "no reply to a SYN to a closed port")
        t = p[TCP]
        want = seq_add(seq, 1 + len(data))
        check(int(t.flags) == F_RST | F_ACK, "reply is [%s], expected [R.]"
              % flags_str(int(t.flags)))
        check(t.seq == 0 and t.ack == want, "RST,ACK seq %u ack %u, expected seq 0 ack %u"
              % (t.seq, t.ack, want))
        check(not seg_data(t), "the RST carries data")


def t_closed_ack(peer):
    """ACK to a closed port: <SEQ=SEG.ACK><CTL=RST>; a RST to a closed port: nothing"""
    c = Conn(peer, dport=CLOSED_PORT)
    c.send(F_ACK | F_PSH, seq=0x12345678, ack=0xFFFFFFFE, data=b"x")
    p = c.recv()
    check(p is not None, "no reply to an ACK to a closed port")
    t = p[TCP]
    check(int(t.flags) == F_RST, "reply is [%s], expected [R]" % flags_str(int(t.flags)))
    check(t.seq == 0xFFFFFFFE, "RST seq %u, expected SEG.ACK 4294967294" % t.seq)
    c.send(F_RST, seq=0x12345678, ack=0)
    c.expect_nothing("RST to a closed port")
    c.send(F_RST | F_ACK, seq=0x12345678, ack=5)
    c.expect_nothing("RST,ACK to a closed port")


def t_listener_ack(peer):
    """ACK to a listening port without a connection: <SEQ=SEG.ACK><CTL=RST> (RFC 9293 §3.10.7.2)"""
    c = Conn(peer)
    c.send(F_ACK, seq=ISN, ack=0xABCDEF01)
    p = c.recv()
    check(p is not None, "no reply to a stray ACK on the listener's port")
    t = p[TCP]
    check(int(t.flags) == F_RST and t.seq == 0xABCDEF01,
          "got %s, expected [R] seq 2882400001" % seg_fmt(p))


TESTS = [t_handshake_ws, t_handshake_nows, t_syn_received, t_close, t_time_wait,
         t_no_ack_flag, t_ooo, t_ack_policy, t_ooo_overlap, t_dup_overlap, t_zero_window,
         t_rst_in_window, t_rst_exact, t_rst_out_of_window, t_syn_established,
         t_beyond_window, t_ack_unsent, t_ack_old, t_bad_cksum, t_truncated,
         t_bad_doff, t_bad_opt_syn, t_bad_opt_overrun, t_unknown_opt, t_timestamps,
         t_closed_syn, t_closed_ack, t_listener_ack]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pid", type=int, required=True, help="ustackd's PID")
    ap.add_argument("--log", required=True, help="ustackd's log (SIGUSR1 output)")
    ap.add_argument("--only", default="", help="run tests whose name contains this")
    a = ap.parse_args()

    peer = Peer(a.pid, a.log)
    failed = 0
    try:
        if not peer.announce():
            print("not ok - ARP: ustack answers who-has 10.0.0.2 tell 10.0.0.3")
            return 1
        print("ok - ARP: ustack answers who-has 10.0.0.2 tell 10.0.0.3 (%s)" % peer.us_mac)
        start = Counters(peer)
        conns_before = set(peer.conns)
        for t in TESTS:
            if a.only and a.only not in t.__name__:
                continue
            name = t.__doc__.strip()
            t0 = time.monotonic()
            try:
                t(peer)
                print("ok - %s (%.2f s)" % (name, time.monotonic() - t0))
            except Fail as e:
                failed += 1
                print("not ok - %s" % name)
                print("#   %s" % e)
                dump_conns(peer, conns_before)
            except Exception:  # a bug here is a failure, not a crash
                failed += 1
                print("not ok - %s" % name)
                for line in traceback.format_exc().splitlines():
                    print("#   " + line)
            conns_before = set(peer.conns)
            sys.stdout.flush()
        d = start.delta()
        # RFC 5961 §7: the limit (1000/s by default) must not have hidden
        # any of the challenge ACKs asserted above
        name = "challenge ACK rate limit not hit (%d challenge ACKs sent)" % d.get(
            "tcp.challenge_acks", 0)
        if d.get("tcp.challenge_limited", 0) == 0:
            print("ok - " + name)
        else:
            failed += 1
            print("not ok - %s: tcp.challenge_limited %d" % (name, d["tcp.challenge_limited"]))
        # our side ACKs everything at once: a retransmission would mean a
        # lost or misjudged ACK, and would muddle the "no reply" checks
        name = "ustack retransmitted nothing (all its data was ACKed at once)"
        if d.get("tcp.retransmitted_segs", 0) == 0 and d.get("tcp.rto_expired", 0) == 0:
            print("ok - " + name)
        else:
            failed += 1
            print("not ok - %s: tcp.retransmitted_segs %d, tcp.rto_expired %d" % (
                name, d.get("tcp.retransmitted_segs", 0), d.get("tcp.rto_expired", 0)))
        print("# tcp counters over the run: " + " ".join(
            "%s=%d" % (k[4:], v) for k, v in sorted(d.items())
            if k.startswith("tcp.") and v))
        name = "every segment from ustack has a good TCP checksum (%d seen)" % peer.seen_from_us
        if not peer.bad_cksums and peer.seen_from_us > 0:
            print("ok - " + name)
        else:
            failed += 1
            print("not ok - " + name)
            for s in peer.bad_cksums[:10]:
                print("#   bad: " + s)
    finally:
        peer.close()
    return 1 if failed else 0


def dump_conns(peer, before):
    """The segments of the connections the failed test made."""
    for port in sorted(set(peer.conns) - before):
        for line in peer.conns[port].log[-30:]:
            print("#   " + line)


if __name__ == "__main__":
    sys.exit(main())
