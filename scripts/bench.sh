#!/usr/bin/env bash
# scripts/bench.sh - make bench: ping RTT to ustack beside the kernel's.
#
# In the same run, with the same ping (500 echoes, 2 ms apart, -s 56 and
# -s 1472):
#   ustack  the release ustackd on a TAP in a fresh namespace, pinged by
#           the kernel on the host side
#   kernel  a veth pair between two fresh namespaces, kernel to kernel
# Prints avg and mdev in microseconds (ping reports 1 us resolution) and
# the ratio ustack/kernel. A measurement, not a test: nothing here passes
# or fails on a number. BENCH_COUNT and BENCH_INTERVAL change the run.
# Root needed; every namespace is deleted on exit.
set -u
cd "$(dirname "$0")/.." || exit 1
. scripts/ns-lib.bash

daemon=build/ustackd
count=${BENCH_COUNT:-500}
interval=${BENCH_INTERVAL:-0.002}
sizes=(56 1472)
tap=ustap0
ns_us=ustack-bench-$$
ns_a=ustack-bench-$$-a
ns_b=ustack-bench-$$-b

if [ "$(id -u)" -ne 0 ]; then
    echo "bench: needs root (network namespaces, TAP, ping -i $interval)" >&2
    exit 1
fi
if [ ! -x "$daemon" ]; then
    echo "bench: $daemon is not built (make)" >&2
    exit 1
fi
us_traps
tmp=$(mktemp -d) || exit 1
trap 'us_cleanup; rm -rf "$tmp"' EXIT

# ustack: TAP in its own namespace.
us_netns_add "$ns_us" || exit 1
us_spawn "$ns_us" "$tmp/daemon.log" "$daemon" --tap "$tap" --addr 10.0.0.2/24 \
    --gw 10.0.0.1 --log warn
if ! us_tap_up "$ns_us" "$tap" 10.0.0.1/24 "$US_LAST_PID" 10; then
    echo "bench: ustackd did not bring up $tap" >&2
    cat "$tmp/daemon.log" >&2
    exit 1
fi

# kernel: veth pair between two namespaces.
us_netns_add "$ns_a" && us_netns_add "$ns_b" || exit 1
ip link add bench0 netns "$ns_a" type veth peer name bench1 netns "$ns_b" &&
    ip -n "$ns_a" addr add 10.0.1.1/24 dev bench0 &&
    ip -n "$ns_b" addr add 10.0.1.2/24 dev bench1 &&
    ip -n "$ns_a" link set bench0 up &&
    ip -n "$ns_b" link set bench1 up || exit 1

# measure NS DST SIZE: "avg_us mdev_us loss%" of one ping run.
measure() {
    local ns=$1 dst=$2 size=$3 out loss rtt
    # warm up: ARP resolved, caches hot
    ip netns exec "$ns" ping -c 3 -i 0.2 -W 2 -s "$size" "$dst" >/dev/null 2>&1
    out=$(ip netns exec "$ns" ping -c "$count" -i "$interval" -W 1 -q -s "$size" "$dst" 2>&1)
    loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' <<<"$out")
    # rtt min/avg/max/mdev = 0.025/0.031/0.102/0.008 ms
    rtt=$(sed -n 's|^rtt [^=]*= \([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\) ms.*|\2 \4|p' <<<"$out")
    if [ -z "$rtt" ]; then
        echo "- - ${loss:-100}"
        return
    fi
    awk -v r="$rtt" -v l="$loss" 'BEGIN { split(r, a, " "); printf "%.0f %.0f %s\n", a[1] * 1000, a[2] * 1000, l }'
}

echo "ping RTT, $count echoes ${interval}s apart (ustack: TAP + ustackd; kernel: veth)"
printf '%-6s  %-7s %10s %10s %7s\n' size path avg_us mdev_us loss
for size in "${sizes[@]}"; do
    read -r us_avg us_mdev us_loss <<<"$(measure "$ns_us" 10.0.0.2 "$size")"
    read -r k_avg k_mdev k_loss <<<"$(measure "$ns_a" 10.0.1.2 "$size")"
    printf '%-6s  %-7s %10s %10s %6s%%\n' "$size" ustack "$us_avg" "$us_mdev" "$us_loss"
    printf '%-6s  %-7s %10s %10s %6s%%\n' "$size" kernel "$k_avg" "$k_mdev" "$k_loss"
    ratio=$(awk -v u="$us_avg" -v k="$k_avg" 'BEGIN { if (u + 0 > 0 && k + 0 > 0) printf "%.2f", u / k; else print "-" }')
    printf '%-6s  ratio ustack/kernel avg: %s\n' "$size" "$ratio"
done
