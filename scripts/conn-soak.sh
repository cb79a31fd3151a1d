#!/usr/bin/env bash
# scripts/conn-soak.sh - make soak: the figures of connections at scale, a
# spoofed SYN flood, and connect/close cycles, from tests/interop/conns.sh
# run long with the release build. A measurement, not a test: it prints
# what it saw; the checks' verdicts are listed beside, never a pass or a
# fail on a number.
#
#   CONN_N (default 100000) connections at once from kernel clients on
#       five addresses, each echoing its own payload: the time to open
#       them, ustackd's RSS per idle connection
#   hping3 --flood (as fast as the machine makes SYNs) for
#       CONN_FLOOD_SECONDS (default 30) s from random sources, then from an
#       on-link address nobody answers, while a kernel client connects and
#       echoes every 100 ms: its successes, worst connect time, ustackd's
#       peak RSS, the log lines written
#   CONN_CYCLES (default 100000) connect/echo/close cycles: ustackd's RSS
#       and descriptors before and after
#
# Root, hping3, prlimit and python3 needed; the release build (make all).
# Every namespace and process is gone on exit (the test cleans up).
set -u
cd "$(dirname "$0")/.." || exit 1

if [ "$(id -u)" -ne 0 ]; then
    echo "conn-soak: needs root (network namespaces, TAP)" >&2
    exit 1
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

n=${CONN_N:-100000}
flood_s=${CONN_FLOOD_SECONDS:-30}
cycles=${CONN_CYCLES:-100000}
echo "== connections (tests/interop/conns.sh, release build: $n at once, --flood $flood_s s, $cycles cycles) =="
env CONN_BUILD=build CONN_N="$n" CONN_FLOOD_SECONDS="$flood_s" CONN_CYCLES="$cycles" \
    CONN_FLOOD_RATE=--flood CONN_RSS_KB=1000000 CONN_OPEN_WAIT="${CONN_OPEN_WAIT:-3600}" \
    tests/interop/conns.sh >"$tmp/conns.out" 2>&1
rc=$?
printf 'conns: exit %d, %d ok, %d not ok\n' "$rc" "$(grep -c '^ok - ' "$tmp/conns.out")" \
    "$(grep -c '^not ok - ' "$tmp/conns.out")"
grep '^not ok - ' "$tmp/conns.out" | sed 's/^/  NOT: /'
grep -E '^# ' "$tmp/conns.out" | grep -v '^#   ' | sed 's/^# /  /'
