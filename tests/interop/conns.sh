#!/usr/bin/env bash
# tests/interop/conns.sh - many connections, a SYN flood, and many cycles,
# from kernel clients to ustack's echo (ustack-services, port 7).
#
# In a namespace made here (deleted on exit, even on failure): ustackd on
# ustap0 at 10.0.0.2/24, the kernel on the host side at 10.0.0.1/24 and
# CONN_SOURCES more addresses (10.0.0.11, ...; default 4), each with the
# ports 1024-65535, so that a hundred thousand connections find ports.
# The daemon, ustack-services and the clients get descriptor limits
# (hard and soft) to fit, and the daemon quotas to match.
# Checks:
#   open    CONN_N (default 2000) connections at once (scripts/conn-load.py
#           hold: non-blocking, 256 handshakes at a time), each echoing its
#           own 32 bytes: every echo right; the daemon's RSS per idle
#           connection under CONN_RSS_KB (default 64, generous: ASan) KB;
#           all closed, its descriptors back to where they were
#   flood   hping3 SYNs to port 7 at CONN_FLOOD_RATE (default "-i u20";
#           "--flood" for as fast as it goes) for
#           CONN_FLOOD_SECONDS (default 5) s, from random sources, then from 10.0.0.99 (on the link,
#           nobody answers its ARP): meanwhile a kernel client connects and
#           echoes every 100 ms, and every one succeeds within 1 s; the
#           daemon's log grows by a few lines, not a line per SYN
#   cycles  CONN_CYCLES (default 2000) connect/echo/close cycles (4 at a
#           time): all succeed; the daemon's descriptors are the same
#           before and after (its RSS is printed)
#   and no sanitizer report from the daemon or ustack-services.
# Figures (# lines): time to open, RSS per idle connection, probe success
# and worst connect time, hping3's rate, peak RSS, log lines. CONN_BUILD
# (default build/san) picks the binaries: scripts/conn-soak.sh runs this
# with the release build and large numbers for the figures of make soak.
# Root, hping3, prlimit and python3 needed. Prints TAP-style lines; exit 1
# on any failure.
# shellcheck disable=SC2016,SC2317,SC2034,SC2154 # eval quotes; check() runs functions; lib.bash uses tap, host, sets dpid
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/ns-lib.bash
. tests/lib.bash

san=build/san
bin=${CONN_BUILD:-build/san}
py=/usr/bin/python3
load=scripts/conn-load.py
ns=ustack-conns-$$
tap=ustap0
stack=10.0.0.2
host=10.0.0.1
silent=10.0.0.99
n=${CONN_N:-2000}
nsrc=${CONN_SOURCES:-4}
flood_s=${CONN_FLOOD_SECONDS:-5}
cycles=${CONN_CYCLES:-2000}
rss_kb=${CONN_RSS_KB:-64}
open_wait=${CONN_OPEN_WAIT:-120}
# hping3's pace: a SYN every 20 us asked (about 8,000 a second made on a
# 2-core machine), which the sanitizer build keeps up with; at --flood
# (130,000 a second) the TAP's queue overflows and drops the client's
# SYNs too, whoever reads it. scripts/conn-soak.sh floods.
rate=${CONN_FLOOD_RATE:--i u20}
fail=0
tmp=$(mktemp -d) || exit 1
log=$tmp/daemon.log
export USTACK_CTL=$tmp/ctl.sock

us_traps
trap test_cleanup EXIT

status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
lines() { wc -l <"$1"; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

need_built conns "$bin/ustackd" "$bin/ustack-services" "$bin/ustat"
need_tools conns hping3 prlimit "$py"
need_netns conns

# descriptors: N sockets each for the daemon (its pair ends), the service
# (its ends) and the clients, and room besides
nofile=$((n + 4096))
nr_open=$(cat /proc/sys/fs/nr_open)
[ "$nofile" -le "$nr_open" ] || nofile=$nr_open
if ! prlimit --nofile="$nofile:$nofile" true 2>/dev/null; then
    # a hard limit we may not raise (no CAP_SYS_RESOURCE, as in some
    # containers): as many connections as it allows
    nofile=$(ulimit -Hn)
    if [ "$n" -gt $((nofile - 512)) ]; then
        echo "# descriptors: the hard limit ($nofile) cannot be raised here:" \
            "$((nofile - 512)) connections instead of $n"
        n=$((nofile - 512))
    fi
fi
ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_max_syn_backlog=4096
printf '#!/bin/sh\nexec prlimit --nofile=%d:%d %s/%s/ustackd "$@"\n' "$nofile" "$nofile" \
    "$PWD" "$bin" >"$tmp/ustackd"
chmod 755 "$tmp/ustackd"
daemon=$tmp/ustackd
start_daemon --max-sockets-per-process "$nofile" --max-sockets-per-uid "$nofile" \
    --tcp-mem-max 4G
# the kernel's side of the TAP queues 1,000 frames by default: a client
# that closes all its connections at once sends a FIN each in one burst,
# and what does not fit is dropped there (the kernel retries with backoff
# and, for an orphan, gives up after tcp_orphan_retries); room for one
# frame a connection keeps the figures about ustack, not about that queue
# (until the floods, which meet the default queue as a user's would)
ip -n "$ns" link set "$tap" txqueuelen $((n + 1000))
srcs=$host
for ((i = 1; i <= nsrc; i++)); do
    ip -n "$ns" addr add "10.0.0.$((10 + i))/24" dev "$tap"
    srcs+=",10.0.0.$((10 + i))"
done
spawn_app "ustack-services" "$tmp/svc.log" "TCP echo" \
    prlimit --nofile="$nofile:$nofile" "$bin/ustack-services" || exit 1
spid=$US_LAST_PID
# a first connection: the daemon's and the service's first allocations
out=$(in_ns_t 20 "$py" "$load" cycle "$stack" 7 20 "$host" 2>&1)
check "a first 20 connect/echo/close cycles ($out)" eval '[[ "$out" == "cycled 20/20 "* ]]'
sleep 0.5

# ---- open: N connections at once ----------------------------------------------

rss0=$(status_kb "$dpid" VmRSS)
fd0=$(nfds "$dpid")
t0=$(date +%s%N)
us_spawn "$ns" "$tmp/hold.log" prlimit --nofile="$nofile:$nofile" "$py" "$load" hold "$stack" 7 \
    "$n" "$srcs" "$tmp/hold.stop" --timeout 60
hpid=$US_LAST_PID
if ! wait_for "$tmp/hold.log" '^open ' "$open_wait"; then
    grep '^# progress' "$tmp/hold.log" | tail -n 3
    notok "open: $n connections within $open_wait s"
fi
topen=$(ms_since "$t0")
sleep 1 # idle: the last ACKs in, the delayed ones out
rss1=$(status_kb "$dpid" VmRSS)
fd1=$(nfds "$dpid")
res=$(grep '^open ' "$tmp/hold.log")
grep '^# \(bad\|fail\)' "$tmp/hold.log" | head -n 5
opened=$(awk '/^open /{ split($2, a, "/"); print a[1] }' "$tmp/hold.log")
opened=${opened:-0}
echo "# open: $n connections from $((nsrc + 1)) addresses in $topen ms ($res)"
echo "# open: ustackd RSS ${rss0} KB before, ${rss1} KB with them:" \
    "$(((rss1 - rss0) * 1024 / (opened > 0 ? opened : 1))) bytes per idle connection;" \
    "descriptors $fd0 -> $fd1"
echo "# open: ustack-services RSS $(status_kb "$spid" VmRSS) KB"
check "open: $n connections, every echo right ($res)" \
    eval '[[ "$res" == "open $n/$n echoed $n bad 0 failed 0 "* ]]'
check "open: under $rss_kb KB of ustackd RSS per idle connection" \
    [ $(((rss1 - rss0) * 1024)) -lt $((rss_kb * 1024 * (opened > 0 ? opened : 1))) ]
touch "$tmp/hold.stop"
wait_for "$tmp/hold.log" '^closed' 60 || notok "open: the client closes them"
# the engine walks every connection per segment and per wakeup: closing
# many takes a while (30 s, or a second per 20 connections)
close_wait=$((n / 20 > 30 ? n / 20 : 30))
for ((i = 0; i < close_wait * 10; i++)); do
    [ "$(nfds "$dpid")" -le "$fd0" ] && break
    sleep 0.1
done
fd2=$(nfds "$dpid")
echo "# open: all closed: ustackd RSS $(status_kb "$dpid" VmRSS) KB, descriptors $fd2"
check "open: all closed, the daemon's descriptors back to $fd0 ($fd2)" [ "$fd2" -eq "$fd0" ]

# ---- flood: spoofed SYNs while a client connects every 100 ms -----------------

ip -n "$ns" link set "$tap" txqueuelen 1000

# flood NAME HPING_OPTIONS...: hping3 --flood for flood_s s beside the probe
# (us_stop with signal 0 only waits)
flood() {
    local name=$1 l0 ppid hfpid sent all other
    shift
    echo 5 >"/proc/$dpid/clear_refs" # VmHWM from here (Linux >= 4.0)
    l0=$(lines "$log")
    us_spawn "$ns" "$tmp/probe-$name.log" "$py" "$load" probe "$stack" 7 $((flood_s + 2))
    ppid=$US_LAST_PID
    sleep 1
    # shellcheck disable=SC2086 # $rate is one option or two
    us_spawn "$ns" "$tmp/hping-$name.log" timeout -s INT "$flood_s" hping3 $rate -q -S -p 7 \
        "$@" "$stack"
    hfpid=$US_LAST_PID
    us_stop "$hfpid" 0 $((flood_s + 10)) >/dev/null 2>&1 || true
    us_stop "$ppid" 0 15 >/dev/null 2>&1 || true
    sent=$(grep -o '^[0-9]* packets transmitted' "$tmp/hping-$name.log" | cut -d' ' -f1)
    res=$(grep '^probe ' "$tmp/probe-$name.log")
    all=$(($(lines "$log") - l0))
    # what is not about the probe's own connections (from $host:port)
    other=$(tail -n +$((l0 + 1)) "$log" | grep -cv " $host:")
    echo "# flood $name ($rate $*): hping3 sent ${sent:-?} SYNs in $flood_s s" \
        "($((${sent:-0} / flood_s)) a second); the client: $res;" \
        "ustackd peak RSS $(status_kb "$dpid" VmHWM) KB;" \
        "$all log lines, $other of them not about the client's connections"
    grep '^# fail' "$tmp/probe-$name.log" | head -n 5
    tail -n +$((l0 + 1)) "$log" | grep -v " $host:" | head -n 3 | sed 's/^/#   /'
    check "flood $name: every probe connects and echoes ($res)" \
        eval '[[ "$res" =~ ^probe\ ok\ ([0-9]+)/([0-9]+)\  ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[2]}" -gt 0 ]'
    check "flood $name: worst connect under 1 s ($res)" \
        eval '[[ "$res" =~ worst_connect_ms\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -lt 1000 ]'
    check "flood $name: a few log lines about it, not one per SYN ($other)" \
        [ "$other" -le $((2 * flood_s + 10)) ]
}
flood random --rand-source
flood silent -a "$silent"

# ---- cycles: connect/echo/close, many times ----------------------------------

sleep 1
fd0=$(nfds "$dpid")
rss0=$(status_kb "$dpid" VmRSS)
t0=$(date +%s%N)
out=$(in_ns_t $((60 + cycles / 50)) prlimit --nofile="$nofile:$nofile" "$py" "$load" cycle \
    "$stack" 7 "$cycles" "$srcs" --window 4 2>&1)
tcyc=$(ms_since "$t0")
sleep 1
fd1=$(nfds "$dpid")
rss1=$(status_kb "$dpid" VmRSS)
echo "# cycles: $cycles connect/echo/close in $tcyc ms; ustackd RSS $rss0 -> $rss1 KB," \
    "descriptors $fd0 -> $fd1"
check "cycles: $cycles connect/echo/close, all succeed ($(head -n 1 <<<"$out"))" \
    eval '[[ "$out" == *"cycled $cycles/$cycles bad 0 "* ]]'
check "cycles: the daemon's descriptors the same before and after ($fd0, $fd1)" \
    [ "$fd0" -eq "$fd1" ]

if us_stop "$dpid" INT 20 && [ "$US_STATUS" = 0 ]; then
    ok "SIGINT: the daemon exits 0"
else
    notok "SIGINT: the daemon exits 0 (status $US_STATUS)"
fi
check "no sanitizer report from the daemon or ustack-services" \
    eval '! grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$log" "$tmp/svc.log"'
exit "$fail"
