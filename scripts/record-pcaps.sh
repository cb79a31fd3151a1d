#!/usr/bin/env bash
# scripts/record-pcaps.sh - regenerate pcaps/ from real exchanges.
#
# For each capture: a fresh network namespace with IPv6 off (clean
# captures), TAP ustap0 made and brought up with the host side at
# 10.0.0.1/24 (MAC 02:00:00:00:00:01), then the release ustackd on it at 10.0.0.2/24 (gateway
# 10.0.0.1, --seed 1, default MAC 02:00:00:00:00:02, its control socket in
# our temp dir, never another daemon's) writing pcaps/NAME.pcap, the kernel on the host side running one of its own
# tools, then SIGINT so the daemon flushes the capture. The
# replay tier (tests/replay/run.sh) feeds these back with the same
# settings; pcaps/README.md says what each one shows.
#
#   sudo scripts/record-pcaps.sh          (after make)
set -u
cd "$(dirname "$0")/.." || exit 1
. scripts/ns-lib.bash

daemon=build/ustackd
tap=ustap0
host_mac=02:00:00:00:00:01

# NAME|command run in the namespace
captures=(
    "arp|arping -c 3 -I $tap 10.0.0.2"
    "ping|ping -c 3 -s 56 10.0.0.2"
    "ping-frag|ping -c 2 -s 4000 10.0.0.2"
    "ping-max|ping -c 1 -s 65507 10.0.0.2"
    "ping-zero|ping -c 2 -s 0 10.0.0.2"
)

if [ "$(id -u)" -ne 0 ]; then
    echo "record-pcaps: needs root (network namespaces, TAP)" >&2
    exit 1
fi
if [ ! -x "$daemon" ]; then
    echo "record-pcaps: $daemon is not built (make)" >&2
    exit 1
fi
us_traps
mkdir -p pcaps
tmp=$(mktemp -d) || exit 1
trap 'us_cleanup; rm -rf "$tmp"' EXIT
status=0

for entry in "${captures[@]}"; do
    name=${entry%%|*}
    cmd=${entry#*|}
    ns=ustack-rec-$$-$name
    out=pcaps/$name.pcap
    log=$tmp/$name.log
    rm -f "$out"
    if ! us_netns_add "$ns"; then
        echo "record-pcaps: $name: cannot set up namespace $ns" >&2
        status=1
        break
    fi
    # The TAP is up before the daemon opens it, so the capture begins with
    # the daemon's gratuitous ARP (on a link still down it would be lost).
    # A fixed host MAC keeps the captures easy to read and to compare.
    if ! us_tap_create "$ns" "$tap" 10.0.0.1/24 "$host_mac"; then
        echo "record-pcaps: $name: cannot create $tap in $ns" >&2
        status=1
        break
    fi
    us_spawn "$ns" "$log" "$daemon" --tap "$tap" --addr 10.0.0.2/24 \
        --gw 10.0.0.1 --seed 1 --pcap "$out" --ctl "$tmp/$name.ctl" --log warn
    pid=$US_LAST_PID
    if ! us_tap_up "$ns" "$tap" 10.0.0.1/24 "$pid" 10; then
        echo "record-pcaps: $name: daemon did not bring up $tap" >&2
        cat "$log" >&2
        status=1
        us_cleanup
        continue
    fi
    # shellcheck disable=SC2086 # cmd is a command line, split on purpose
    ip netns exec "$ns" $cmd >"$tmp/$name.cmd" 2>&1 || {
        echo "record-pcaps: $name: '$cmd' failed:" >&2
        cat "$tmp/$name.cmd" >&2
        status=1
    }
    sleep 0.2 # the last reply reaches the daemon's capture
    if ! us_stop "$pid" INT 10 || [ "$US_STATUS" -ne 0 ]; then
        echo "record-pcaps: $name: daemon did not exit 0 on SIGINT ($US_STATUS)" >&2
        cat "$log" >&2
        status=1
    fi
    us_cleanup
    frames=$(tshark -r "$out" -T fields -e frame.number 2>/dev/null | wc -l)
    printf '%-10s %4d frames %8d bytes  (%s)\n' "$name" "$frames" \
        "$(stat -c %s "$out" 2>/dev/null || echo 0)" "$cmd"
done
exit "$status"
