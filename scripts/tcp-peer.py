#!/usr/bin/env python3
"""scripts/tcp-peer.py - the kernel's side of the TCP captures.

scripts/record-pcaps.sh runs this inside its network namespace against
build/san/tools/tcp_scenario --live (ustack at 10.0.0.2, port 7), one
scenario per capture; tests/replay/tcp_scenario.c has ustack's side.
Plain kernel sockets, default options. Exit 0 when the exchange went as
the scenario says (bytes counted and compared), 1 with a reason if not.

    tcp-peer.py NAME      NAME: tcp-handshake tcp-transfer
                          tcp-close-peer-first tcp-close-us-first
                          tcp-zero-window tcp-retransmit
                          tcp-sack-recovery tcp-tail-loss
(tcp-connect's peer is `nc -l`, started by the script.)
"""
import socket
import sys
import threading

USTACK = ("10.0.0.2", 7)
TIMEOUT_S = 20


def connect():
    return socket.create_connection(USTACK, timeout=TIMEOUT_S)


def read_all(s, limit=None):
    """Read until EOF, or until limit bytes."""
    got = bytearray()
    while limit is None or len(got) < limit:
        b = s.recv(65536 if limit is None else min(65536, limit - len(got)))
        if not b:
            break
        got += b
    return bytes(got)


def pattern(n):
    return bytes((i * 7 + (i >> 11)) & 0xFF for i in range(n))


def ustack_text(n):
    """What tcp_scenario's scen_write_text sends: numbered 64-byte lines."""
    out = bytearray()
    for i in range(0, n, 64):
        line = ("%05d ustack to the Linux kernel, line by line, over TCP/IP .........."
                % (i // 64)).encode()[:63] + b"\n"
        out += line[: n - i]
    return bytes(out)


def handshake():
    s = connect()
    s.close()


def transfer(n=200 * 1024):
    data = pattern(n)
    s = connect()
    t = threading.Thread(target=s.sendall, args=(data,))
    t.start()
    back = read_all(s, n)
    t.join()
    s.close()
    if back != data:
        sys.exit("transfer: echo differs (%d of %d bytes back)" % (len(back), n))


def close_peer_first():
    s = connect()
    s.sendall(b"hello ustack, this is the Linux kernel\n")
    s.shutdown(socket.SHUT_WR)
    reply = read_all(s)
    s.close()
    if not reply.startswith(b"ustack read 39 bytes: hello ustack"):
        sys.exit("close-peer-first: unexpected reply %r" % reply)


def close_us_first():
    s = connect()
    got = read_all(s)
    s.close()
    if got != ustack_text(10 * 1024):
        sys.exit("close-us-first: got %d bytes, not ustack's 10 KiB" % len(got))


def zero_window(n=200 * 1024):
    s = connect()
    s.sendall(pattern(n))
    s.close()


def retransmit(n=20 * 1024):
    s = connect()
    s.sendall(b"GET %d bytes, please\n" % n)
    got = read_all(s, n)
    s.close()
    if got != ustack_text(n):
        sys.exit("retransmit: got %d bytes, not ustack's %d" % (len(got), n))


SCENARIOS = {
    "tcp-handshake": handshake,
    "tcp-transfer": transfer,
    "tcp-close-peer-first": close_peer_first,
    "tcp-close-us-first": close_us_first,
    "tcp-zero-window": zero_window,
    "tcp-retransmit": retransmit,
    "tcp-sack-recovery": retransmit,
    "tcp-tail-loss": lambda: retransmit(10 * 1448),
}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        sys.exit("usage: tcp-peer.py {%s}" % ",".join(SCENARIOS))
    SCENARIOS[sys.argv[1]]()
