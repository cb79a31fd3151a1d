#!/usr/bin/python3
"""ctl_seeds.py - seeds for tests/fuzz/fuzz_ctl: valid control messages.

Usage: ctl_seeds.py OUTDIR

Writes one file per message, each a whole message as it crosses the
control socket (socket_api/ctl_proto.h): a 16-byte header (magic u16,
version u8, type u8, len u32, seq u32, status i32) and the body, every
integer in host byte order. The type numbers, magic and version are read
from ctl_proto.h so the seeds follow the header. Plain struct, no
dependencies.
"""
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = os.path.join(HERE, "..", "..", "socket_api", "ctl_proto.h")

AF_INET, SOCK_DGRAM, SOCK_STREAM, IPPROTO_UDP = 2, 2, 1, 17
SOL_SOCKET, SO_RCVBUF, SO_BROADCAST, SHUT_WR = 1, 8, 6, 1
IPPROTO_TCP, TCP_CONGESTION = 6, 13
EINVAL, ECONNREFUSED = 22, 111


def read_header(path):
    """CTL_MAGIC, CTL_VERSION and {name: number} of enum ctl_type."""
    text = open(path).read()
    magic = int(re.search(r"#define CTL_MAGIC\s+(0x[0-9a-fA-F]+|\d+)", text).group(1), 0)
    version = int(re.search(r"#define CTL_VERSION\s+(\d+)", text).group(1))
    body = re.search(r"enum ctl_type\s*\{(.*?)\};", text, re.S).group(1)
    types, nxt = {}, 0
    for line in body.splitlines():
        line = re.sub(r"/\*.*?\*/", "", line).strip()
        m = re.match(r"(CTL_\w+)\s*(?:=\s*(\d+))?\s*,?", line)
        if not m:
            continue
        if m.group(2) is not None:
            nxt = int(m.group(2))
        types[m.group(1)] = nxt
        nxt += 1
    return magic, version, types


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    magic, version, t = read_header(HEADER)

    def msg(type_name, body=b"", seq=1, status=0):
        n = 16 + len(body)
        return struct.pack("=HBBIIi", magic, version, t[type_name], n, seq, status) + body

    def addr(a, port, family=AF_INET):
        return struct.pack("=IHH", a, port, family)

    def row(i):
        # id, owner_pid, owner_uid, type, state, lport, rport, pad, laddr, raddr, rx_queued
        return struct.pack("=IiIBBHHHIII", i, 1000 + i, 0, SOCK_DGRAM, 1, 5000 + i, 0, 0,
                           0x0A000002, 0, 64 * i)

    seeds = {
        "socket-req": msg("CTL_SOCKET", struct.pack("=iii", AF_INET, SOCK_DGRAM, IPPROTO_UDP)),
        "socket-rep": msg("CTL_SOCKET", seq=1, status=0),
        "bind-req": msg("CTL_BIND", addr(0x0A000002, 5353), seq=2),
        "connect-req": msg("CTL_CONNECT", addr(0x0A000001, 7), seq=3),
        "connect-unspec": msg("CTL_CONNECT", addr(0, 0, 0), seq=4),
        "connect-refused": msg("CTL_CONNECT", seq=4, status=-ECONNREFUSED),
        "listen-req": msg("CTL_LISTEN", struct.pack("=i", 128), seq=5),
        "accept-req": msg("CTL_ACCEPT", seq=6),
        "accept-rep": msg("CTL_ACCEPT", addr(0x0A000001, 40000), seq=6),
        "sendto-req": msg("CTL_SENDTO", struct.pack("=IHHi", 0x0A000001, 7, 0, 0)
                          + b"hello, ustack\n", seq=7),
        "sendto-empty": msg("CTL_SENDTO", struct.pack("=IHHi", 0x0A0000FF, 9, 0, 0), seq=8),
        "sendto-rep": msg("CTL_SENDTO", seq=7, status=14),
        "getsockname-rep": msg("CTL_GETSOCKNAME", addr(0x0A000002, 49152), seq=9),
        "getpeername-req": msg("CTL_GETPEERNAME", seq=10),
        "setsockopt-req": msg("CTL_SETSOCKOPT", struct.pack("=iii", SOL_SOCKET, SO_BROADCAST, 1),
                              seq=11),
        "getsockopt-rep": msg("CTL_GETSOCKOPT", struct.pack("=iii", SOL_SOCKET, SO_RCVBUF, 212992),
                              seq=12),
        "shutdown-req": msg("CTL_SHUTDOWN", struct.pack("=i", SHUT_WR), seq=13),
        "list-req": msg("CTL_LIST", struct.pack("=I", 0), seq=14),
        "list-rep": msg("CTL_LIST", struct.pack("=I", 3) + row(0) + row(1) + row(2), seq=14),
        "error-rep": msg("CTL_BIND", seq=2, status=-EINVAL),
        "tcp-info-req": msg("CTL_TCP_INFO", seq=15),
        # state rtt rttvar rto snd_mss cwnd ssthresh total_retrans snd_wnd rcv_wnd
        # unacked unsent ca_state backoff options snd_wscale rcv_wscale rcv_mss
        # pmtu retrans sacked lost
        "tcp-info-rep": msg("CTL_TCP_INFO", struct.pack("=22I", 4, 120, 60, 200000, 1460,
                                                        14600, 10220, 3, 65535, 262144,
                                                        2920, 0, 3, 0, 4, 10, 3, 1460,
                                                        1500, 1460, 0, 0), seq=15),
        "setsockopt-str-req": msg("CTL_SETSOCKOPT_STR",
                                  struct.pack("=ii16s", IPPROTO_TCP, TCP_CONGESTION, b"reno"),
                                  seq=16),
        "getsockopt-str-req": msg("CTL_GETSOCKOPT_STR",
                                  struct.pack("=ii", IPPROTO_TCP, TCP_CONGESTION), seq=17),
        "getsockopt-str-rep": msg("CTL_GETSOCKOPT_STR",
                                  struct.pack("=ii16s", IPPROTO_TCP, TCP_CONGESTION, b"cubic"),
                                  seq=17),
        "conns-req": msg("CTL_CONNS", struct.pack("=I", 0), seq=18),
        # state flags laddr raddr lport rport sock_id pid uid recv_q send_q timer
        # timer_ms retries rtt rttvar rto snd_mss rcv_mss cwnd ssthresh snd_ws
        # rcv_ws bytes_acked bytes_received total_retrans snd_wnd rcv_wnd
        # unacked options
        "conns-rep": msg("CTL_CONNS", struct.pack("=I", 2)
                         + struct.pack("=30I", 4, 0x0E, 0x0A000002, 0x0A000001, 7, 40000,
                                       3, 1234, 0, 0, 0, 1, 200, 0, 900, 400, 204000,
                                       1448, 536, 14480, 0x7FFFFFFF, 7, 7, 5, 5, 0,
                                       64512, 262144, 0, 7)
                         + struct.pack("=30I", 10, 0x21, 0x0A000002, 0x0A000001, 40001, 8201,
                                       *([0] * 5), 3, 59000, *([0] * 17)), seq=18),
        "text-req": msg("CTL_TEXT", struct.pack("=II", 1, 0), seq=19),
        "text-rep": msg("CTL_TEXT", struct.pack("=I", 40) + b"  udp.rx_no_port           1\n",
                        seq=19),
        "fault-req": msg("CTL_FAULT", b"loss in:10%,out:1 delay 20/5", seq=20),
        "fault-off": msg("CTL_FAULT", b"off", seq=21),
        "fault-eperm": msg("CTL_FAULT", b"only root or uid 0 (ustackd's) may change the faults",
                           seq=20, status=-1),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("ctl_seeds: %d seeds in %s" % (len(seeds), out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
