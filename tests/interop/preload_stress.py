#!/usr/bin/env python3
"""tests/interop/preload_stress.py - the LD_PRELOAD shim under an ordinary
program: run by tests/interop/preload.sh under build/ustack-run, so every
AF_INET socket here is a ustack socket and everything else is the kernel's.

    preload_stress.py ECHO_ADDR ECHO_PORT STACK_ADDR

ECHO_ADDR:ECHO_PORT is a kernel TCP echo server; STACK_ADDR is ustack's own
address (UDP to itself). Prints TAP-style lines, one per check."""
import errno
import fcntl
import os
import select
import socket
import struct
import subprocess
import sys
import termios
import threading

ECHO = (sys.argv[1], int(sys.argv[2]))
STACK = sys.argv[3]
failed = False


def report(ok, what):
    global failed
    print(("ok - " if ok else "not ok - ") + what, flush=True)
    if not ok:
        failed = True


def echo_roundtrip(s, data):
    """Send data on s while reading the echo; True if it came back whole."""
    t = threading.Thread(target=s.sendall, args=(data,))
    t.start()
    got = bytearray()
    while len(got) < len(data):
        d = s.recv(65536)
        if not d:
            break
        got += d
    t.join()
    return bytes(got) == data


def threads_churn():
    """Threads opening, using and closing sockets (and pipes, and AF_UNIX
    pairs, so descriptor numbers are reused across kinds) at once."""
    results = []

    def worker(k):
        good = 0
        for i in range(15):
            r, w = os.pipe()
            a, b = socket.socketpair()
            s = socket.create_connection(ECHO)
            os.close(r)
            ok = echo_roundtrip(s, os.urandom(8192 + k * 100 + i))
            s.close()
            os.close(w)
            a.sendall(b"k")  # the kernel's pair, untouched by the shim
            ok = ok and b.recv(1) == b"k"
            a.close()
            b.close()
            good += ok
        results.append(good)

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(12)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    report(sum(results) == 12 * 15,
           "12 threads x 15 connections opened, echoed, closed at once: %d of 180"
           % sum(results))


def fork_mid_transfer():
    s = socket.create_connection(ECHO)
    data = os.urandom(1 << 20)
    half = len(data) // 2
    ok_first = echo_roundtrip(s, data[:half])
    pid = os.fork()
    if pid == 0:
        ok = echo_roundtrip(s, data[half:])
        s.close()
        os._exit(0 if ok else 1)
    s.close()  # the child's copy keeps the connection
    _, status = os.waitpid(pid, 0)
    report(ok_first and status == 0,
           "fork in the middle of a transfer: the child finishes it (status %d)" % status)


def epoll_mixed():
    ep = select.epoll()
    ua, ub = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pr, pw = os.pipe()
    t1 = socket.create_connection(ECHO)
    t2 = socket.create_connection(ECHO)
    u1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u1.bind((STACK, 0))
    u2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u2.connect(u1.getsockname())
    fds = {ua.fileno(): "unix", pr: "pipe", t1.fileno(): "tcp1", t2.fileno(): "tcp2",
           u1.fileno(): "udp"}
    for fd in fds:
        ep.register(fd, select.EPOLLIN)
    ub.sendall(b"u")
    os.write(pw, b"p")
    t1.sendall(b"1")
    t2.sendall(b"2")
    u2.send(b"d")
    ready = set()
    for _ in range(50):
        for fd, ev in ep.poll(0.2):
            if ev & select.EPOLLIN and fd not in ready:
                ready.add(fd)
                if fds[fd] == "pipe":
                    os.read(fd, 1)
                elif fds[fd] == "udp":
                    u1.recv(10)
                else:
                    os.read(fd, 1)
                ep.unregister(fd)
        if len(ready) == len(fds):
            break
    report(len(ready) == len(fds),
           "one epoll over an AF_UNIX pair, a pipe, two ustack TCP and a ustack UDP socket: "
           "%s readable" % ",".join(sorted(fds[f] for f in ready)))
    for x in (ua, ub, t1, t2, u1, u2):
        x.close()
    os.close(pr)
    os.close(pw)
    ep.close()


def dups():
    s = socket.create_connection(ECHO)
    local = s.getsockname()
    d = os.dup(s.fileno())
    s.close()
    os.write(d, b"dup")
    ok = os.read(d, 3) == b"dup"
    d2 = os.dup2(d, 100)
    os.close(d)
    t = socket.socket(fileno=d2)
    ok2 = t.family == socket.AF_INET and t.type == socket.SOCK_STREAM and \
        t.getpeername() == ECHO and t.getsockname() == local
    d3 = fcntl.fcntl(t.fileno(), fcntl.F_DUPFD_CLOEXEC, 200)
    t.close()
    u = socket.socket(fileno=d3)
    ok3 = u.getpeername() == ECHO and echo_roundtrip(u, b"x" * 5000)
    u.close()
    # the number is free again: a kernel AF_UNIX socket there is the kernel's
    a, b = socket.socketpair()
    fds = [a.fileno(), b.fileno()]
    ok4 = a.family == socket.AF_UNIX and a.getsockname() == ""
    a.close()
    b.close()
    report(ok and ok2 and ok3 and ok4,
           "dup, dup2, fcntl(F_DUPFD_CLOEXEC) copies work and closing the first keeps them; "
           "a reused number (%s) is the kernel's again" % fds)


def exec_inherit():
    s = socket.create_connection(ECHO)
    child = """
import socket, sys
t = socket.socket(fileno=%d)
ok = t.family == socket.AF_INET and t.getpeername() == (%r, %d)
t.sendall(b"y" * 3000)
got = b""
while len(got) < 3000:
    got += t.recv(3000 - len(got))
print("ok" if ok and got == b"y" * 3000 else "bad %%r" %% (t.getpeername(),))
""" % (s.fileno(), ECHO[0], ECHO[1])
    r = subprocess.run([sys.executable, "-c", child], pass_fds=[s.fileno()],
                       capture_output=True, text=True, timeout=30)
    # the child (vfork, then close_range and dup2 before exec) must not have
    # changed the parent's table: the socket is still ustack's here
    subprocess.run(["true"], timeout=30)
    still = s.getpeername() == ECHO and s.family == socket.AF_INET
    s.close()
    report(r.stdout.strip() == "ok" and still,
           "a socket inherited across exec is ustack's in the new program: %s %s; "
           "still the parent's after its children exec: %s"
           % (r.stdout.strip(), r.stderr.strip()[-200:], still))


def udp():
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    a.bind((STACK, 0))
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b.connect(a.getsockname())
    os.write(b.fileno(), b"plain write")
    data, src = a.recvfrom(100)
    # connect chose the source address, as the kernel's does
    ok1 = data == b"plain write" and src == b.getsockname() and src[0] == STACK
    a.connect(src)
    a.send(b"reply")
    ok2 = os.read(b.fileno(), 100) == b"reply"
    a.send(b"m2")
    msg, anc, flags, addr = b.recvmsg(100)
    ok3 = msg == b"m2" and anc == [] and flags == 0 and addr == a.getsockname()
    b.send(b"x" * 2000)
    select.select([a], [], [], 10)
    n = struct.unpack("i", fcntl.ioctl(a.fileno(), termios.FIONREAD, b"\0" * 4))[0]
    ok4 = n == 2000
    a.close()
    b.close()
    report(ok1 and ok2 and ok3 and ok4,
           "UDP: a plain write()/read() carries only the payload, recvfrom and recvmsg give "
           "the true source (%s), FIONREAD the next datagram's size (%d)"
           % (ok1 and ok2 and ok3, n))


def nonblocking_connect():
    s = socket.socket()
    s.setblocking(False)
    e = s.connect_ex(ECHO)
    _, w, _ = select.select([], [s], [], 10)
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    s.setblocking(True)
    ok = e == errno.EINPROGRESS and w and err == 0 and echo_roundtrip(s, b"nb" * 100)
    s.close()
    r = socket.socket()
    r.setblocking(False)
    e2 = r.connect_ex((ECHO[0], 1))  # nobody listens on port 1
    select.select([], [r], [], 10)
    err2 = r.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    r.close()
    report(ok and e2 == errno.EINPROGRESS and err2 == errno.ECONNREFUSED,
           "non-blocking connect: EINPROGRESS, writable, SO_ERROR 0 (%s); refused: "
           "SO_ERROR ECONNREFUSED (%s)" % (errno.errorcode.get(err, err),
                                           errno.errorcode.get(err2, err2)))


def msg_calls():
    """sendmsg/recvmsg with several buffers: a datagram is gathered into one
    and scattered back; a stream's go to the descriptor's byte stream."""
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    a.bind((STACK, 0))
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b.bind((STACK, 0))
    n = b.sendmsg([b"gath", b"ered", b""], [], 0, a.getsockname())
    buf1, buf2 = bytearray(3), bytearray(10)
    got, anc, flags, src = a.recvmsg_into([buf1, buf2])
    ok1 = n == 8 and got == 8 and bytes(buf1) + bytes(buf2[:5]) == b"gathered" and \
        src == b.getsockname() and anc == [] and flags == 0
    b.sendto(b"x" * 50, a.getsockname())
    data, anc, flags, src = a.recvmsg(10)
    ok2 = data == b"x" * 10 and flags & socket.MSG_TRUNC
    a.close()
    b.close()
    s = socket.create_connection(ECHO)
    n = s.sendmsg([b"one", b"two", b"three"])
    got = b""
    while len(got) < 11:
        buf1, buf2 = bytearray(4), bytearray(4)
        k, _, _, _ = s.recvmsg_into([buf1, buf2])
        if k == 0:
            break
        got += (bytes(buf1) + bytes(buf2))[:k]
    s.close()
    ok3 = n == 11 and got == b"onetwothree"
    report(ok1 and ok2 and ok3,
           "sendmsg/recvmsg with several buffers: UDP gathered and scattered with the "
           "source (%s), MSG_TRUNC (%s); TCP (%s)" % (ok1, bool(ok2), ok3))


for check in (threads_churn, fork_mid_transfer, epoll_mixed, dups, exec_inherit, udp,
              msg_calls, nonblocking_connect):
    try:
        check()
    except Exception as e:  # a failure, not a crash of the whole list
        report(False, "%s: %r" % (check.__name__, e))
sys.exit(1 if failed else 0)
