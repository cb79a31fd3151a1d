#!/usr/bin/env bash
# scripts/scale-soak.sh - make soak: the figures of sockets at scale and of
# crash recovery, from the interop tests run long. A measurement, not a
# test: it prints what it saw; the checks' own verdicts are kept beside.
#
#   tests/interop/scale.sh with SCALE_CLIENTS (default 2000) control
#       connections at once and SCALE_CYCLES (default 1000) connections
#       opened, used and closed by root while uid 65534 holds its quota
#       (EMFILE) and the table is full (ENFILE); ustack-services at its
#       limit (CPU and log lines over 3 s)
#   tests/interop/crash.sh: kill -9 of echo-server and ustack-services
#       mid-transfer (time until the kernel peer sees the RST), the
#       restart's bind, apps exiting when the daemon goes away
#
# Root, setpriv, prlimit, python3 and nc needed; sanitizer builds (make san)
# because the tests use them. Every namespace and process is gone on exit
# (each test cleans up after itself).
set -u
cd "$(dirname "$0")/.." || exit 1

if [ "$(id -u)" -ne 0 ]; then
    echo "scale-soak: needs root (network namespaces, TAP, setpriv)" >&2
    exit 1
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

run() {
    local name=$1 rc
    shift
    env "$@" >"$tmp/$name.out" 2>&1
    rc=$?
    printf '%s: exit %d, %d ok, %d not ok\n' "$name" "$rc" \
        "$(grep -c '^ok - ' "$tmp/$name.out")" "$(grep -c '^not ok - ' "$tmp/$name.out")"
    grep '^not ok - ' "$tmp/$name.out" | sed 's/^/  /'
}

clients=${SCALE_CLIENTS:-2000}
cycles=${SCALE_CYCLES:-1000}
echo "== sockets at scale (tests/interop/scale.sh, $clients clients, $cycles cycles) =="
run scale SCALE_CLIENTS="$clients" SCALE_CYCLES="$cycles" tests/interop/scale.sh
grep -E '^ok - (clients|uid|root)' "$tmp/scale.out" | sed 's/^ok - /  /'
grep -E '^# ' "$tmp/scale.out" | grep -v '^#   ' | sed 's/^# /  /'

echo
echo "== crash recovery (tests/interop/crash.sh) =="
run crash tests/interop/crash.sh
grep -E '^(ok|not ok) - (kill|restart|daemon gone|no daemon)' "$tmp/crash.out" |
    sed 's/^ok - /  /; s/^not ok - /  NOT: /'
