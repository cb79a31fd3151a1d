#!/usr/bin/env bash
# tests/interop/scale.sh - sockets at scale: the daemon's table, the
# quotas per uid and per process, the control socket's clients, and a
# server that runs out of its quota.
#
# In a namespace made here (deleted on exit, even on failure): the
# sanitizer build of ustackd on ustap0 at 10.0.0.2/24, its control socket
# in our own temp dir, the kernel on the host side at 10.0.0.1/24 with an
# echo server (python3) on port 7007.
# Checks:
#   clients   SCALE_CLIENTS (default 400) control connections from one
#             process at once, none refused (there was a cap of 256), and
#             the daemon still answers a new one
#   quotas    a second daemon with 264 descriptors (a table of 200),
#             --max-sockets-per-process 100, --max-sockets-per-uid 150:
#             a program of uid 65534 holds 100 sockets then gets EMFILE
#             (its process's quota), a second one of that uid 50 then
#             EMFILE (the uid's), a program of uid 65533 50 then ENFILE
#             (the table); once that one is gone, a root program opens,
#             uses (64 bytes echoed by the kernel) and closes
#             SCALE_CYCLES (default 200) connections one after the other
#             while the others hold theirs: all succeed
#   backoff   ustack-services at its limit (kernel clients hold more
#             connections than it may accept): it backs off instead of
#             spinning (CPU over 3 s, log lines about accept), the daemon
#             logs refusals at most once a second, and the service echoes
#             again once the clients are gone
#   and no sanitizer report from the daemon or any helper.
# Root and setpriv needed. Prints TAP-style lines (figures as # lines);
# exit 1 on any failure.
# shellcheck disable=SC2016,SC2317,SC2034,SC2154 # eval quotes; check() runs functions; lib.bash uses tap, host, sets dpid
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/ns-lib.bash
. tests/lib.bash

san=build/san
itest=build/san/itest
py=/usr/bin/python3
ns=ustack-scale-$$
tap=ustap0
stack=10.0.0.2
host=10.0.0.1
kecho_port=7007
nobody=65534
other=65533
clients=${SCALE_CLIENTS:-400}
cycles=${SCALE_CYCLES:-200}
fail=0
tmp=$(mktemp -d) || exit 1
chmod 711 "$tmp" # other uids reach the control socket inside
log=$tmp/daemon.log
export USTACK_CTL=$tmp/ctl.sock

us_traps
trap test_cleanup EXIT

# hold NAME UID: start tcp_quota hold as UID; waits for its "held" line
hold() {
    us_spawn "$ns" "$tmp/$1.log" setpriv --reuid "$2" --regid "$nobody" --clear-groups \
        "$itest/tcp_quota" hold
    HOLD_PID=$US_LAST_PID
    wait_for "$tmp/$1.log" '^held ' 20
}

# cpu_ticks PID: user + system time of PID so far, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# many_clients N: N control connections at once; prints how many the
# daemon hung up on (the old cap closed those past 256)
many_clients='
import select, socket, sys, time
conns = []
for i in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    conns.append(s)
time.sleep(1)
p = select.poll()
for s in conns:
    p.register(s, select.POLLIN)
print("hung up %d of %d" % (len(p.poll(0)), len(conns)), flush=True)
'

# holders N PORT SECS: N kernel connections to the stack held open SECS s
holders='
import socket, sys, time
conns = [socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
         for i in range(int(sys.argv[3]))]
print("holding %d" % len(conns), flush=True)
time.sleep(float(sys.argv[4]))
'

need_built scale build/san/ustackd "$san/ustack-services" "$san/ustat" "$itest/tcp_quota"
need_tools scale setpriv prlimit nc "$py"
need_netns scale

# ---- clients: no cap but the descriptors -------------------------------------

daemon=build/san/ustackd
start_daemon --log warn
out=$(in_ns_t 60 "$py" -c "$many_clients" "$USTACK_CTL" "$clients" 2>&1)
check "clients: $clients control connections at once, none refused ($out)" \
    eval '[ "$out" = "hung up 0 of $clients" ]'
check "clients: the daemon still answers a new one" eval 'in_ns_t 10 "$san/ustat" >/dev/null'
if ! us_stop "$dpid" INT 20 || [ "$US_STATUS" != 0 ]; then
    notok "the first daemon exits 0 on SIGINT (status $US_STATUS)"
fi

# ---- quotas ------------------------------------------------------------------

# a daemon with 264 descriptors: a table of 200
printf '#!/bin/sh\nexec prlimit --nofile=264:264 %s/build/san/ustackd "$@"\n' "$PWD" \
    >"$tmp/ustackd-264"
chmod 755 "$tmp/ustackd-264"
daemon=$tmp/ustackd-264
log=$tmp/daemon2.log
start_daemon --log warn --max-sockets-per-process 100 --max-sockets-per-uid 150
grep -q 'sockets 200 (uid 150, process 100)' "$log" ||
    notok "the daemon says its limits: $(grep -o 'sockets [^)]*)' "$log")"
chgrp "$nobody" "$USTACK_CTL"

kernel_echo "$tmp/kecho.log" "$host" "$kecho_port"
wait_for "$tmp/kecho.log" ready 10 || notok "a kernel echo server starts"

hold a "$nobody"
check "uid $nobody, process 1: holds 100, then EMFILE ($(cat "$tmp/a.log"))" \
    grep -qx 'held 100 EMFILE' "$tmp/a.log"
hold b "$nobody"
check "uid $nobody, process 2: holds 50 more, then EMFILE: the uid's quota ($(cat "$tmp/b.log"))" \
    grep -qx 'held 50 EMFILE' "$tmp/b.log"
hold c "$other"
cpid=$HOLD_PID
check "uid $other: holds the last 50, then ENFILE: the table ($(cat "$tmp/c.log"))" \
    grep -qx 'held 50 ENFILE' "$tmp/c.log"
us_stop "$cpid" KILL 5
sleep 0.3 # the daemon sees its sockets hang up
t0=$(date +%s%N)
out=$(in_ns_t 300 "$itest/tcp_quota" cycle "$cycles" "$host" "$kecho_port" 2>&1)
t1=$(date +%s%N)
check "root beside them: $cycles connections opened, used, closed ($out)" \
    eval '[ "$out" = "cycled $cycles/$cycles" ]'
echo "# $cycles connect/echo/close cycles in $(((t1 - t0) / 1000000)) ms while uid $nobody holds its quota"

# ---- a server at its limit backs off -----------------------------------------

spawn_app "ustack-services" "$tmp/svc.log" "TCP echo" "$san/ustack-services" -o 7000 ||
    exit 1
spid=$US_LAST_PID
us_spawn "$ns" "$tmp/holders.log" "$py" -c "$holders" "$stack" 7007 80 6
hpid=$US_LAST_PID
wait_for "$tmp/holders.log" holding 20 || notok "80 kernel connections to ustack-services"
sleep 0.5
c0=$(cpu_ticks "$spid")
l0=$(grep -c 'accept' "$tmp/svc.log")
d0=$(grep -c 'sockets refused' "$log")
sleep 3
c1=$(cpu_ticks "$spid")
l1=$(grep -c 'accept' "$tmp/svc.log")
d1=$(grep -c 'sockets refused' "$log")
echo "# ustack-services at its limit for 3 s: $((c1 - c0)) ticks of CPU, $((l1 - l0)) lines about accept; the daemon $((d1 - d0)) lines about refusals"
grep -m 2 accept "$tmp/svc.log" | sed 's/^/#   /'
check "backoff: ustack-services at its limit does not spin ($((c1 - c0)) ticks in 3 s)" \
    [ $((c1 - c0)) -lt 60 ]
check "backoff: at most a line a second about accept ($((l1 - l0)) in 3 s)" \
    [ $((l1 - l0)) -le 4 ]
check "backoff: the daemon logs refusals at most once a second ($((d1 - d0)) in 3 s)" \
    [ $((d1 - d0)) -le 4 ]
check "backoff: ustack-services is at its limit (it said EMFILE or ENFILE)" \
    grep -qE 'accept: Too many open files' "$tmp/svc.log"
us_stop "$hpid" TERM 5
out=$(printf 'once they are gone\n' | in_ns_t 10 nc -N "$stack" 7007 2>&1)
check "backoff: ustack-services echoes again once the clients are gone" \
    [ "$out" = "once they are gone" ]

if us_stop "$dpid" INT 20 && [ "$US_STATUS" = 0 ]; then
    ok "SIGINT: the daemon exits 0"
else
    notok "SIGINT: the daemon exits 0 (status $US_STATUS)"
fi
check "daemon logs have no sanitizer report" \
    eval '! grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$tmp"/daemon*.log'
check "helpers have no sanitizer report" \
    eval '! grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$tmp"/*.log'
exit "$fail"
