#!/usr/bin/env bash
# tests/interop/udp.sh - UDP sockets over ustackd, against the kernel's
# UDP, and the socket design's promises (docs/SOCKETS.md).
#
# In a namespace made here (deleted on exit, even on failure): the
# sanitizer build of ustackd on ustap0 at 10.0.0.2/24 with its control
# socket in our own temp dir (--ctl; $USTACK_CTL for every client), the
# kernel on the host side at 10.0.0.1/24. Checks:
#   echo      nc -u (files, cmp) and a kernel client (single datagrams of
#             0 and 65507 bytes) against build/san/udp-echo-server;
#             build/san/udp-echo-client against a kernel echo (python3) on
#             10.0.0.1, payloads 0, 1, 1472, 8000, 65507
#   errors    ICMP port unreachable both ways: a kernel client of a closed
#             ustack port gets ECONNREFUSED, udp-echo-client connected to a
#             closed kernel port gets ECONNREFUSED; both ICMP messages are
#             in the daemon's capture (tshark)
#   fork      build/san/itest/udp_fork: an inherited socket is the same
#             socket, alive until its last copy closes
#   poll      build/san/itest/udp_poll: poll/epoll/select on a ustack
#             socket beside a pipe
#   isolation build/san/itest/udp_isolation as uid 65534 (setpriv): no
#             reaching another client's sockets, no ports below 1024
#   kill      a client killed with SIGKILL leaves no socket (ustat)
#   ctl       tests/interop/ctl_malformed.py: 1,000 malformed control
#             messages; then echo still works and the daemon's descriptor
#             count is back to where it started
#   and the daemon exits 0 on SIGINT with no sanitizer report (nor any
#   client's), and its capture has no malformed frames or bad checksums.
# Root needed (namespaces, TAP, setpriv). Prints TAP-style lines; exit 1 on
# any failure.
# shellcheck disable=SC2317,SC2001 # functions run through check(); sed prefixes lines
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/ns-lib.bash
. tests/lib.bash

daemon=build/san/ustackd
san=build/san
itest=build/san/itest
py=/usr/bin/python3
ns=ustack-udp-$$
tap=ustap0
stack=10.0.0.2
host=10.0.0.1
kecho_port=7007  # the kernel's echo service on $host
closed_port=9999 # nobody listens here on ustack
nobody=65534
fail=0
tmp=$(mktemp -d) || exit 1
log=$tmp/daemon.log
cap=$tmp/cap.pcap
export USTACK_CTL=$tmp/ctl.sock
# uid $nobody must reach the socket file by its name (the isolation test)
chmod 711 "$tmp"

us_traps
trap test_cleanup EXIT

fd_count() { find "/proc/$dpid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
# rows_of PID: how many sockets ustat lists for PID.
rows_of() {
    in_ns "$san/ustat" sockets | awk -v p="$1" 'NR > 1 && $3 == p' | wc -l
}

need_built udp "$daemon" "$san/udp-echo-server" "$san/udp-echo-client" "$san/ustat" \
    "$itest/udp_fork" "$itest/udp_poll" "$itest/udp_isolation" "$itest/udp_hold"
need_tools udp nc tshark setpriv "$py"
need_netns udp

# ---- the daemon, a ustack echo server, a kernel echo server -------------

start_daemon --pcap "$cap" --log warn
check "control socket is mode 0660" test "$(stat -c %a "$USTACK_CTL")" = 660

us_spawn "$ns" "$tmp/echo-server.log" "$san/udp-echo-server" -p 7
a_pid=$US_LAST_PID
# shellcheck disable=SC2016 # python, not shell
us_spawn "$ns" "$tmp/kecho.log" "$py" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.bind((sys.argv[1], int(sys.argv[2])))
print("ready", flush=True)
while True:
    d, a = s.recvfrom(65535)
    s.sendto(d, a)
' "$host" "$kecho_port"
if ! wait_for "$tmp/echo-server.log" "echoing on" || ! wait_for "$tmp/kecho.log" ready; then
    sed 's/^/#   /' "$tmp/echo-server.log" "$tmp/kecho.log"
    notok "udp-echo-server on ustack and a kernel echo on $host:$kecho_port start"
    exit 1
fi
ok "udp-echo-server on ustack and a kernel echo on $host:$kecho_port start"
fd_base=$(fd_count)

# ---- echo: nc and a kernel client against udp-echo-server ----------------

# nc -u sends each read() of its input as one datagram (up to 16 KiB: the
# 65507-byte file goes as several); all four run at once.
nc_sizes=(1 1472 8000 65507)
pids=()
for s in "${nc_sizes[@]}"; do
    head -c "$s" /dev/urandom >"$tmp/nc-in.$s"
    in_ns nc -u -w 1 "$stack" 7 <"$tmp/nc-in.$s" >"$tmp/nc-out.$s" 2>"$tmp/nc-err.$s" &
    pids+=($!)
done
wait "${pids[@]}"
for s in "${nc_sizes[@]}"; do
    if cmp -s "$tmp/nc-in.$s" "$tmp/nc-out.$s"; then
        ok "nc -u $stack 7: $s bytes echoed by udp-echo-server, identical"
    else
        echo "#   sent $(sha256sum <"$tmp/nc-in.$s" | cut -c1-16) ($s bytes)," \
            "got $(sha256sum <"$tmp/nc-out.$s" | cut -c1-16) ($(stat -c %s "$tmp/nc-out.$s") bytes)"
        sed 's/^/#   /' "$tmp/nc-err.$s"
        notok "nc -u $stack 7: $s bytes echoed by udp-echo-server, identical"
    fi
done

# kclient PORT SIZE...: a kernel socket connected to $stack:PORT sends one
# datagram of each SIZE (random bytes) and wants it back, whole.
kclient() {
    local out
    out=$(in_ns "$py" - "$stack" "$@" 2>&1 <<'EOF'
import hashlib, os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((sys.argv[1], int(sys.argv[2])))
bad = 0
for size in map(int, sys.argv[3:]):
    data = os.urandom(size)
    s.send(data)
    try:
        got = s.recv(65536)
    except OSError as e:
        print("%d bytes: %s" % (size, e)); bad = 1; continue
    if got != data:
        print("%d bytes: got %d, sha256 %s vs %s" % (size, len(got),
              hashlib.sha256(got).hexdigest()[:16], hashlib.sha256(data).hexdigest()[:16]))
        bad = 1
sys.exit(bad)
EOF
)
    local rc=$?
    [ "$rc" -eq 0 ] && return 0
    sed 's/^/#   /' <<<"$out"
    return 1
}
check "kernel client: single datagrams of 0 and 65507 bytes echoed by udp-echo-server" \
    kclient 7 0 65507 0 65507

# ---- echo: udp-echo-client against the kernel ----------------------------

# echo_client SIZE: 3 datagrams of SIZE bytes echoed by the kernel, intact.
echo_client() {
    local out
    out=$(in_ns "$san/udp-echo-client" -n 3 -s "$1" -t 2000 "$host" "$kecho_port" 2>&1)
    local rc=$?
    printf '%s\n' "$out" >>"$tmp/clients.log"
    if [ "$rc" -eq 0 ] && grep -q '^3/3 echoed' <<<"$out"; then
        return 0
    fi
    sed 's/^/#   /' <<<"$out" | tail -n 5
    return 1
}
for s in 0 1 1472 8000 65507; do
    check "udp-echo-client -s $s: 3 of 3 echoed by the kernel, intact" echo_client "$s"
done

# ---- ICMP port unreachable, both ways ------------------------------------

# A kernel client of a closed ustack port: ustack answers ICMP 3/3, which
# the kernel turns into ECONNREFUSED.
kernel_refused() {
    local out
    out=$(in_ns "$py" - "$stack" "$closed_port" 2>&1 <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((sys.argv[1], int(sys.argv[2])))
s.send(b"anybody there?")
try:
    s.recv(100)
    print("got an answer")
except ConnectionRefusedError:
    sys.exit(0)
except OSError as e:
    print(e)
sys.exit(1)
EOF
)
    local rc=$?
    [ "$rc" -eq 0 ] && return 0
    sed 's/^/#   /' <<<"$out"
    return 1
}
check "kernel client of closed ustack port $closed_port: ECONNREFUSED" kernel_refused

# udp-echo-client connected to a closed kernel port: the kernel's ICMP 3/3
# becomes the ustack socket's pending error, which recv reports.
ustack_refused() {
    local out rc
    out=$(in_ns "$san/udp-echo-client" -n 2 -t 1000 "$host" 9 2>&1)
    rc=$?
    printf '%s\n' "$out" >>"$tmp/clients.log"
    if [ "$rc" -eq 1 ] && grep -q 'recv: Connection refused' <<<"$out"; then
        return 0
    fi
    sed 's/^/#   /' <<<"$out"
    return 1
}
check "udp-echo-client connected to closed kernel port 9: ECONNREFUSED" ustack_refused

# ---- fork, poll ------------------------------------------------------------

relay udp_fork in_ns "$itest/udp_fork" "$host" "$kecho_port"
relay udp_poll in_ns "$itest/udp_poll" "$stack"

# ---- isolation between clients --------------------------------------------

a_rows=$(rows_of "$a_pid")
check "ustat (root) lists client A's socket (udp-echo-server, pid $a_pid): $a_rows" \
    test "$a_rows" -eq 1
# Who may use the stack is who may open the socket file: give uid
# $nobody's group access to it (mode 0660 stays).
chgrp "$nobody" "$USTACK_CTL"
no_access() {
    local out
    out=$(in_ns setpriv --reuid "$nobody" --regid $((nobody - 1)) --clear-groups \
        "$san/ustat" 2>&1)
    printf '%s\n' "$out" >>"$tmp/clients.log"
    grep -q 'Permission denied' <<<"$out" && return 0
    sed 's/^/#   /' <<<"$out"
    return 1
}
check "uid $nobody outside the socket file's group: EACCES" no_access
relay udp_isolation in_ns setpriv --reuid "$nobody" --regid "$nobody" --clear-groups \
    "$itest/udp_isolation" "$a_pid"
b_rows=$(in_ns "$san/ustat" sockets | awk -v u="$nobody" 'NR > 1 && $4 == u' | wc -l)
check "client B's sockets are gone once it exited ($b_rows left)" test "$b_rows" -eq 0
check "client A's socket is untouched" test "$(rows_of "$a_pid")" -eq 1

# ---- a client killed with SIGKILL -------------------------------------------

us_spawn "$ns" "$tmp/hold.log" "$itest/udp_hold" 6 "$host"
hold=$US_LAST_PID
if wait_for "$tmp/hold.log" ready; then
    n=$(rows_of "$hold")
    check "ustat lists the 6 sockets of pid $hold ($n)" test "$n" -eq 6
    { us_stop "$hold" KILL 5; } 2>/dev/null # no "Killed" from bash
    for ((i = 0; i < 100; i++)); do
        n=$(rows_of "$hold")
        [ "$n" -eq 0 ] && break
        sleep 0.05
    done
    check "SIGKILL: no socket of pid $hold left ($n)" test "$n" -eq 0
else
    sed 's/^/#   /' "$tmp/hold.log"
    notok "udp_hold opens 6 sockets"
fi

# ---- malformed control messages ---------------------------------------------

relay ctl_malformed in_ns "$py" tests/interop/ctl_malformed.py "$USTACK_CTL" 1000 1
check "after the malformed messages: udp-echo-client still echoed" echo_client 64
check "after the malformed messages: nc still echoed" \
    bash -c "ip netns exec $ns nc -u -w 1 $stack 7 <'$tmp/nc-in.1472' | cmp -s - '$tmp/nc-in.1472'"
counted_bad() {
    local before i v
    before=$(wc -c <"$log")
    kill -USR1 "$dpid" 2>/dev/null || return 1
    for ((i = 0; i < 50; i++)); do
        v=$(tail -c +"$((before + 1))" "$log" | sed -n 's/.*ctl\.bad_messages *\([0-9]*\).*/\1/p')
        if [ -n "$v" ]; then
            echo "#   ctl.bad_messages $v"
            [ "$v" -ge 1100 ]
            return
        fi
        sleep 0.1
    done
    echo "#   no ctl.bad_messages counter after SIGUSR1"
    return 1
}
check "SIGUSR1: ctl.bad_messages counts them (>= 1100)" counted_bad
for ((i = 0; i < 60; i++)); do
    fds=$(fd_count)
    [ "$fds" -eq "$fd_base" ] && break
    sleep 0.05
done
if [ "$fds" -eq "$fd_base" ]; then
    ok "daemon's descriptors back to their count before the tests ($fd_base)"
else
    find "/proc/$dpid/fd" -mindepth 1 -printf '%f -> %l\n' 2>/dev/null | sed 's/^/#   /' | tail -n 20
    notok "daemon's descriptors back to their count before the tests ($fds, was $fd_base)"
fi

# ---- the end ----------------------------------------------------------------

us_stop "$a_pid" TERM 5
if us_stop "$dpid" INT 10 && [ "$US_STATUS" -eq 0 ]; then
    ok "SIGINT: daemon exits 0"
else
    notok "SIGINT: daemon exits 0 (status $US_STATUS)"
fi
san_re='runtime error|AddressSanitizer|LeakSanitizer'
if grep -Eq "$san_re" "$log"; then
    grep -E -A5 "$san_re" "$log" | head -n 20 | sed 's/^/#   /'
    notok "daemon log has no sanitizer report"
else
    ok "daemon log has no sanitizer report"
fi
if grep -Eq "$san_re" "$tmp/clients.log" "$tmp/echo-server.log" 2>/dev/null; then
    grep -E -h -A5 "$san_re" "$tmp/clients.log" "$tmp/echo-server.log" | head -n 20 |
        sed 's/^/#   /'
    notok "clients have no sanitizer report"
else
    ok "clients have no sanitizer report"
fi

# Wireshark's view of the capture: both port unreachables, quoting the
# datagram that caused them, and nothing malformed.
icmp_unreach() {
    local n
    n=$(tshark -r "$cap" -Y "ip.src == $1 && icmp.type == 3 && icmp.code == 3 && udp.dstport == $2" \
        -T fields -e frame.number 2>/dev/null | wc -l)
    [ "$n" -ge 1 ]
}
check "capture: ICMP port unreachable from ustack quoting port $closed_port" \
    icmp_unreach "$stack" "$closed_port"
check "capture: ICMP port unreachable from the kernel quoting port 9" icmp_unreach "$host" 9
prefs=$(tshark -G defaultprefs 2>/dev/null)
topts=()
for p in ip.check_checksum udp.check_checksum icmp.check_checksum; do
    if grep -q "^#\?$p:" <<<"$prefs"; then
        topts+=(-o "$p:TRUE")
    fi
done
bad=$(tshark -r "$cap" "${topts[@]}" \
    -Y '_ws.malformed || ip.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad" || _ws.expert.severity >= "Error"' \
    -T fields -e frame.number -e _ws.col.Info -e _ws.expert.message 2>/dev/null)
if [ -z "$bad" ]; then
    ok "tshark: no malformed frames or bad checksums"
else
    head -n 10 <<<"$bad" | sed 's/^/#   /'
    notok "tshark: no malformed frames or bad checksums ($(grep -c . <<<"$bad") frames)"
fi
exit "$fail"
