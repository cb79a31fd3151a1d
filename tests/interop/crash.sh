#!/usr/bin/env bash
# tests/interop/crash.sh - recovery from crashes, as the kernel recovers.
#
# In a namespace made here (deleted on exit, even on failure): the
# sanitizer build of ustackd on ustap0 at 10.0.0.2/24, its control socket
# in our own temp dir, the kernel on the host side at 10.0.0.1/24.
# Checks:
#   kill -9   build/san/echo-server killed in the middle of a transfer a
#             kernel client (python3) is sending and not reading: the
#             connection with data the server never read is reset (RFC 9293
#             §3.10.4, RFC 2525 §2.17) and the kernel sees the RST within
#             1 s; an idle connection of the same server, with nothing
#             unread, ends with a FIN as before
#   restart   the server started again at once binds its port although
#             the idle connection lingers in FIN_WAIT_2 (the accepted
#             connection inherited SO_REUSEADDR from the listener), and
#             echoes; the same for ustack-services
#   daemon    ustackd stopped under an idle unc -l (whose peer is idle
#             too), ustack-services and echo-server: each says the daemon
#             went away and exits 1 within 3 s, none spinning; unc -l with
#             no daemon says ustackd is not running
#   and no sanitizer report from the daemon or any app.
# Root needed. Prints TAP-style lines; exit 1 on any failure.
# shellcheck disable=SC2016,SC2317,SC2034,SC2154 # eval quotes; check() runs functions; lib.bash uses tap, host, sets dpid
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/ns-lib.bash
. tests/lib.bash

daemon=build/san/ustackd
san=build/san
py=/usr/bin/python3
ns=ustack-crash-$$
tap=ustap0
stack=10.0.0.2
host=10.0.0.1
fail=0
tmp=$(mktemp -d) || exit 1
log=$tmp/daemon.log
export USTACK_CTL=$tmp/ctl.sock

cleanup() {
    exec 3>&- 2>/dev/null
    us_cleanup
    if [ "$fail" -ne 0 ] && [ -s "$log" ]; then
        echo "# daemon log (last 30 lines):"
        tail -n 30 "$log" | sed 's/^/#   /'
    fi
    rm -rf "$tmp"
}
us_traps
trap cleanup EXIT

# The kernel's side of the kill: an idle connection (one echo, then
# nothing) and a bulk one that sends without reading until the server
# stops reading too; then kill -9 the server and watch both connections'
# TCP state (TCP_INFO: 7 CLOSE after a RST, 8 CLOSE_WAIT after a FIN).
# Prints "bulk rst SECS ERR" or "bulk fin SECS" or "bulk none", and
# "idle STATE", then keeps the idle connection open for ARGV[4] seconds.
kill_client='
import os, socket, sys, time
host, port, pid, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
def state(s):
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]
def wait_change(s, old, secs):
    t0 = time.monotonic()
    while time.monotonic() - t0 < secs:
        st = state(s)
        if st != old:
            return st, time.monotonic() - t0
        time.sleep(0.002)
    return old, secs
idle = socket.create_connection((host, port), timeout=5)
idle.sendall(b"hello")
got = b""
while len(got) < 5:
    got += idle.recv(5)
bulk = socket.create_connection((host, port), timeout=5)
bulk.setblocking(False)
blob, sent, since = os.urandom(65536), 0, None
end = time.monotonic() + 20
while time.monotonic() < end:
    try:
        sent += bulk.send(blob)
        since = None
    except BlockingIOError:
        since = since or time.monotonic()
        if time.monotonic() - since > 0.5:
            break
        time.sleep(0.01)
print("# sent %d bytes, the server stopped reading" % sent, flush=True)
os.kill(pid, 9)
st, secs = wait_change(bulk, 1, 5)
if st == 7:
    err = bulk.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    print("bulk rst %.3f %s" % (secs, os.strerror(err)), flush=True)
elif st == 8:
    print("bulk fin %.3f" % secs, flush=True)
else:
    print("bulk none (state %d)" % st, flush=True)
st, _ = wait_change(idle, 1, 3)
print("idle %d" % st, flush=True)
time.sleep(hold)
'

# idle_client PORT SECS: a kernel connection that sends nothing for SECS
idle_client='
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
print("connected", flush=True)
time.sleep(float(sys.argv[3]))
'

# field LOG WORD: the rest of the line of LOG that starts with WORD
field() { sed -n "s/^$2 //p" "$1" | tail -n 1; }

# echoes PORT: a kernel nc gets its line echoed by the server on PORT
echoes() {
    local out
    out=$(printf 'after the restart\n' | in_ns_t 5 nc -N "$stack" "$1" 2>&1)
    [ "$out" = "after the restart" ]
}

# exits_saying PID LOG TEXT SECS: the app exits 1 within SECS, TEXT in LOG
exits_saying() {
    local pid=$1 applog=$2 text=$3 secs=$4 i
    for ((i = 0; i < secs * 20; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    us_stop "$pid" KILL 1
    if [ "$US_STATUS" != 1 ] || ! grep -q "$text" "$applog"; then
        echo "#   exit status $US_STATUS; log:"
        sed 's/^/#     /' "$applog"
        return 1
    fi
}

need_built crash "$daemon" "$san/echo-server" "$san/unc" "$san/ustack-services" \
    "$san/ustat"
need_tools crash nc "$py"
need_netns crash

start_daemon --log warn

# ---- kill -9 of a server mid-transfer, and its restart ---------------------

spawn_app "echo-server" "$tmp/echo1.log" "echoing on" \
    "$san/echo-server" -p 7 -m poll || exit 1
epid=$US_LAST_PID
us_spawn "$ns" "$tmp/kill.log" "$py" -c "$kill_client" "$stack" 7 "$epid" 30
kpid=$US_LAST_PID
if ! wait_for "$tmp/kill.log" "^idle " 30; then
    sed 's/^/#   /' "$tmp/kill.log"
    notok "kill -9: the kernel client reports"
    exit 1
fi
us_stop "$epid" 0 2 # it is dead: reap it
grep '^#' "$tmp/kill.log"
read -r what secs err <<<"$(field "$tmp/kill.log" bulk)"
check "kill -9 mid-transfer: the kernel sees a RST within 1 s ($what in ${secs}s, $err)" \
    eval '[ "$what" = rst ] && awk -v s="$secs" "BEGIN { exit !(s < 1) }"'
idle=$(field "$tmp/kill.log" idle)
check "kill -9: the idle connection (nothing unread) ends with a FIN (state $idle)" \
    [ "$idle" = 8 ]

t0=$(date +%s%N)
spawn_app "echo-server restarted" "$tmp/echo2.log" "echoing on" \
    "$san/echo-server" -p 7 -m poll
t1=$(date +%s%N)
epid=$US_LAST_PID
check "restart: echo-server binds port 7 at once beside the lingering connection ($(((t1 - t0) / 1000000)) ms)" \
    eval '! grep -q "bind" "$tmp/echo2.log" && [ $(((t1 - t0) / 1000000)) -lt 2000 ]'
check "restart: the new echo-server echoes" echoes 7
in_ns "$san/ustat" -tan | grep -q ':7 .*10.0.0.1' &&
    echo "# the old connection still lingers in ustat beside the new listener"

# ustack-services: the same, with an idle connection to its echo port
spawn_app "ustack-services" "$tmp/svc1.log" "TCP echo" \
    "$san/ustack-services" -o 7000 || exit 1
spid=$US_LAST_PID
us_spawn "$ns" "$tmp/kill2.log" "$py" -c "$kill_client" "$stack" 7007 "$spid" 30
if wait_for "$tmp/kill2.log" "^idle " 30; then
    us_stop "$spid" 0 2
    read -r what secs err <<<"$(field "$tmp/kill2.log" bulk)"
    check "kill -9 ustack-services: the kernel sees a RST within 1 s ($what in ${secs}s)" \
        eval '[ "$what" = rst ] && awk -v s="$secs" "BEGIN { exit !(s < 1) }"'
else
    sed 's/^/#   /' "$tmp/kill2.log"
    notok "kill -9 ustack-services: the kernel client reports"
fi
spawn_app "ustack-services restarted" "$tmp/svc2.log" "TCP echo" \
    "$san/ustack-services" -o 7000
spid=$US_LAST_PID
check "restart: ustack-services binds at once and echoes" \
    eval '! grep -q "bind" "$tmp/svc2.log" && echoes 7007'
us_stop "$kpid" TERM 2

# ---- the daemon goes away under its applications ---------------------------

mkfifo "$tmp/stdin" && exec 3<>"$tmp/stdin" # held open: unc's input stays idle
us_spawn "$ns" "$tmp/unc.log" "$san/unc" -l 5000 <"$tmp/stdin"
upid=$US_LAST_PID
us_spawn "$ns" "$tmp/idle.log" "$py" -c "$idle_client" "$stack" 5000 30
wait_for "$tmp/idle.log" connected 10 || notok "a kernel client connects to unc -l"
sleep 0.3 # unc has accepted and waits in poll
if us_stop "$dpid" TERM 20 && [ "$US_STATUS" = 0 ]; then
    ok "SIGTERM: daemon exits 0 under its applications"
else
    notok "SIGTERM: daemon exits 0 under its applications (status $US_STATUS)"
fi
check "daemon gone: an idle unc -l says so and exits 1 within 3 s" \
    exits_saying "$upid" "$tmp/unc.log" "ustackd went away" 3
check "daemon gone: echo-server says so and exits 1 within 3 s" \
    exits_saying "$epid" "$tmp/echo2.log" "ustackd went away" 3
check "daemon gone: ustack-services says so and exits 1 within 3 s" \
    exits_saying "$spid" "$tmp/svc2.log" "ustackd went away" 3
out=$(in_ns_t 5 "$san/unc" -l 5001 </dev/null 2>&1)
rc=$?
check "no daemon: unc -l exits 1 saying ustackd is not running ($out)" \
    eval '[ "$rc" = 1 ] && grep -q "ustackd is not running" <<<"$out"'

check "daemon log has no sanitizer report" \
    eval '! grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$log"'
check "apps have no sanitizer report" \
    eval '! grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$tmp"/*.log'
exit "$fail"
