#!/usr/bin/python3
"""scripts/conn-load.py - kernel TCP clients for the connection figures
(scripts/conn-soak.sh) and their short versions (tests/interop/conns.sh).

  conn-load.py hold DST PORT N SRC[,SRC...] STOPFILE [--window W] [--timeout S]
      opens N connections to DST:PORT from the SRC addresses in turn
      (IP_BIND_ADDRESS_NO_PORT: each source address has its own ports),
      at most W (default 256) handshakes at once, non-blocking, on epoll;
      each sends its own payload ("conn <i> <hex>\\n", 32 bytes) and checks
      the echo byte for byte. Then it prints
          open N/N echoed N bad 0 failed 0 seconds T
      (bad: an echo that differs; failed: a connect or an echo that did
      not finish within S seconds, default 120) and holds them all, idle,
      until STOPFILE exists; then closes them and prints "closed". Past
      10,000 connections a "# progress" line every 10 s.
  conn-load.py cycle DST PORT N SRC[,SRC...] [--window W]
      N connect/echo/close cycles, W (default 1) at a time; prints
          cycled N/N bad 0 seconds T
  conn-load.py probe DST PORT SECONDS [--every MS]
      every MS (default 100) ms connects (timeout 5 s), echoes 32 bytes,
      closes: prints "probe ok K/N worst_connect_ms X worst_echo_ms Y" and,
      for each failure, one "# fail ..." line.
Exit 0 when every connection succeeded, 1 otherwise.
"""
import errno
import os
import select
import socket
import sys
import time

IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)
PAYLOAD_LEN = 32


def payload(i):
    """32 bytes that no other connection sends."""
    head = "conn %d " % i
    tail = "%08x" % ((i * 2654435761) & 0xFFFFFFFF)
    pad = PAYLOAD_LEN - len(head) - len(tail) - 1
    return (head + "." * pad + tail + "\n").encode()


def opt(args, name, default):
    if name in args:
        k = args.index(name)
        v = args[k + 1]
        del args[k : k + 2]
        return float(v)
    return default


class Conn:
    __slots__ = ("sock", "i", "want", "got", "t0", "state")


def start(dst, port, src, i):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
    s.bind((src, 0))
    s.setblocking(False)
    err = s.connect_ex((dst, port))
    if err not in (0, errno.EINPROGRESS):
        s.close()
        raise OSError(err, "connect: " + errno.errorcode.get(err, str(err)))
    c = Conn()
    c.sock, c.i, c.want, c.got, c.t0, c.state = s, i, payload(i), b"", time.monotonic(), 0
    return c


def run_many(dst, port, n, srcs, window, timeout, close_each):
    """Open n connections, echo on each; close each when done if
    close_each. Returns (echoed, bad, failed, held sockets)."""
    ep = select.epoll()
    live = {}
    held = []
    nxt = echoed = bad = failed = 0
    deadline_step = timeout
    t_start = t_report = time.monotonic()
    while nxt < n or live:
        if n >= 10000 and time.monotonic() - t_report >= 10:
            t_report = time.monotonic()
            print("# progress: %d started, %d echoed, %d failed at %.0f s"
                  % (nxt, echoed, failed, t_report - t_start), flush=True)
        while nxt < n and len(live) < window:
            try:
                c = start(dst, port, srcs[nxt % len(srcs)], nxt)
            except OSError as e:
                print("# fail conn %d: %s" % (nxt, e), flush=True)
                failed += 1
                nxt += 1
                continue
            live[c.sock.fileno()] = c
            ep.register(c.sock.fileno(), select.EPOLLOUT)
            nxt += 1
        for fd, ev in ep.poll(1.0):
            c = live.get(fd)
            if c is None:
                continue
            done = False
            if c.state == 0:  # connecting
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    print("# fail conn %d: connect %s" % (c.i, errno.errorcode.get(err, err)))
                    failed += 1
                    done = True
                else:
                    c.sock.send(c.want)  # 32 bytes into an empty buffer
                    c.state = 1
                    ep.modify(fd, select.EPOLLIN)
            else:
                try:
                    d = c.sock.recv(PAYLOAD_LEN - len(c.got))
                except OSError as e:
                    d = None
                    print("# fail conn %d: recv %s" % (c.i, e))
                if not d:
                    failed += 1
                    done = True
                else:
                    c.got += d
                    if len(c.got) == PAYLOAD_LEN:
                        if c.got == c.want:
                            echoed += 1
                        else:
                            bad += 1
                            print("# bad echo on conn %d: %r" % (c.i, c.got))
                        done = True
            if done:
                ep.unregister(fd)
                del live[fd]
                if close_each or c.state == 0 or len(c.got) != PAYLOAD_LEN:
                    c.sock.close()
                else:
                    held.append(c.sock)
        now = time.monotonic()
        for fd, c in list(live.items()):
            if now - c.t0 > deadline_step:
                print("# fail conn %d: no %s in %g s" % (c.i, "connect" if c.state == 0 else "echo", timeout))
                failed += 1
                ep.unregister(fd)
                del live[fd]
                c.sock.close()
    ep.close()
    return echoed, bad, failed, held


def cmd_hold(a):
    window = int(opt(a, "--window", 256))
    timeout = opt(a, "--timeout", 120)
    dst, port, n, srcs = a[0], int(a[1]), int(a[2]), a[3].split(",")
    t0 = time.monotonic()
    echoed, bad, failed, held = run_many(dst, port, n, srcs, window, timeout, False)
    t = time.monotonic() - t0
    print("open %d/%d echoed %d bad %d failed %d seconds %.2f" % (len(held), n, echoed, bad, failed, t), flush=True)
    while not os.path.exists(a[4]):
        time.sleep(0.2)
    for s in held:
        s.close()
    print("closed", flush=True)
    return 0 if echoed == n else 1


def cmd_cycle(a):
    window = int(opt(a, "--window", 1))
    dst, port, n, srcs = a[0], int(a[1]), int(a[2]), a[3].split(",")
    t0 = time.monotonic()
    echoed, bad, failed, _ = run_many(dst, port, n, srcs, window, 30, True)
    print("cycled %d/%d bad %d seconds %.2f" % (echoed, n, bad, time.monotonic() - t0), flush=True)
    return 0 if echoed == n else 1


def cmd_probe(a):
    every = opt(a, "--every", 100) / 1000.0
    dst, port, secs = a[0], int(a[1]), float(a[2])
    end = time.monotonic() + secs
    n = ok = 0
    worst_c = worst_e = 0.0
    nxt = time.monotonic()
    while time.monotonic() < end:
        n += 1
        want = payload(n)
        t0 = time.monotonic()
        try:
            s = socket.create_connection((dst, port), timeout=5)
            t1 = time.monotonic()
            worst_c = max(worst_c, t1 - t0)
            s.sendall(want)
            got = b""
            while len(got) < len(want):
                d = s.recv(len(want) - len(got))
                if not d:
                    break
                got += d
            worst_e = max(worst_e, time.monotonic() - t1)
            s.close()
            if got == want:
                ok += 1
            else:
                print("# fail probe %d: echo %r" % (n, got), flush=True)
        except OSError as e:
            worst_c = max(worst_c, time.monotonic() - t0)
            print("# fail probe %d after %.0f ms: %s" % (n, (time.monotonic() - t0) * 1000, e), flush=True)
        nxt += every
        time.sleep(max(0.0, nxt - time.monotonic()))
    print("probe ok %d/%d worst_connect_ms %.1f worst_echo_ms %.1f" % (ok, n, worst_c * 1000, worst_e * 1000), flush=True)
    return 0 if ok == n else 1


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("hold", "cycle", "probe"):
        sys.stderr.write(__doc__)
        return 2
    a = sys.argv[2:]
    return {"hold": cmd_hold, "cycle": cmd_cycle, "probe": cmd_probe}[sys.argv[1]](a)


if __name__ == "__main__":
    sys.exit(main())
