#!/usr/bin/env bash
# scripts/loss-bench.sh - make soak: TCP through a lossy link, ustack
# beside Linux, in one run. A measurement, not a test: nothing here passes
# or fails on a number. Root and ethtool needed; every namespace and
# process is gone on exit.
#
# The topology of scripts/loss-lib.bash with the release builds:
# build/lossy-link with 1% duplication, 2% reordering and 0.5% corruption
# each way, and for each loss in LOSS_LEVELS (default "0 1 5 10 20"
# percent, each way) one transfer of LOSS_MB (default 100) MB of random
# bytes, the sender stopped after LOSS_SECONDS (default 60) s, along each
# path:
#   kernel -> ustack   nc -N to build/unc -l (ustackd at 10.0.0.2)
#   ustack -> kernel   build/unc to nc -l
#   kernel -> kernel   nc -N to nc -l across the same relay, Linux with
#                      CUBIC (the routes' congctl) on both ends
# The receiver pipes through build/stall-meter into sha256sum. For each:
# goodput (MB/s, 10^6 bytes, from the sender's start to the last byte),
# the longest stall (no new data delivered, the wait for the first byte
# included), whether what arrived is the file (or, for a transfer the cap
# cut short, its first bytes) byte for byte ("ok", else "BAD"; "-" when
# nothing arrived), how much
# of it arrived ("100%" or less), and the CPU share of the relay and of
# ustackd over the transfer: at 0% loss these say whether the relay, not
# ustack, is the limit. The last columns are ustack's goodput over
# Linux's on the same link. At a loss of LOSS_ROUND_MAX (default 5)
# percent or less, each transfer runs LOSS_ROUNDS (default 3) times, the
# paths taking turns, and the table shows the median round by goodput
# (one round at a loss rate this high decides on a few timeouts; the
# rounds' goodputs are listed under the table); above it, once (a
# transfer there is cut short at LOSS_SECONDS anyway).
set -u
cd "$(dirname "$0")/.." || exit 1
. scripts/ns-lib.bash
. scripts/loss-lib.bash

LL_BIN=build
LL_SECONDS=${LOSS_SECONDS:-60}
mb=${LOSS_MB:-100}
levels=${LOSS_LEVELS:-0 1 5 10 20}
rounds=${LOSS_ROUNDS:-3}
round_max=${LOSS_ROUND_MAX:-5}
faults=(--dup 1 --reorder 2 --corrupt 0.5)

if [ "$(id -u)" -ne 0 ]; then
    echo "loss-bench: needs root (network namespaces, TAP, AF_PACKET)" >&2
    exit 1
fi
for b in ustackd lossy-link unc ustat stall-meter; do
    if [ ! -x "build/$b" ]; then
        echo "loss-bench: build/$b is not built (make)" >&2
        exit 1
    fi
done
for t in nc ss ethtool sha256sum awk; do
    if ! command -v "$t" >/dev/null; then
        echo "loss-bench: $t is not installed (scripts/deps.sh)" >&2
        exit 1
    fi
done
us_traps
tmp=$(mktemp -d) || exit 1
trap 'us_cleanup; rm -rf "$tmp"' EXIT

if ! ll_setup "ustack-loss-$$"; then
    echo "loss-bench: the namespaces or ustackd did not come up:" >&2
    tail -n 20 "$tmp/ustackd.log" >&2
    exit 1
fi
head -c "$((mb * 1000000))" /dev/urandom >"$tmp/data.bin"

# cell: "MB/s stall_s ok share" of one LL_RESULT
cell() {
    local bytes us stall same
    read -r bytes us stall same _ _ <<<"$1"
    printf '%7s %7.1f %-3s %4s' "$(ll_mbps "$bytes" "$us")" \
        "$(awk -v s="$stall" 'BEGIN { print s / 1e6 }')" \
        "$(case $same in 1) echo ok ;; 2) echo - ;; *) echo BAD ;; esac)" \
        "$((bytes * 100 / (mb * 1000000)))%"
}

# median RESULT...: the LL_RESULT of median goodput (bytes/us)
median() {
    printf '%s\n' "$@" | awk '{ print ($2 > 0 ? $1 / $2 : 0) "\t" $0 }' | sort -g |
        awk -F '\t' '{ r[NR] = $2 } END { print r[int((NR + 1) / 2)] }'
}

# ratio R1 R2: goodput of LL_RESULT R1 over R2, "x.xx" or "-"
ratio() {
    local b1 u1 b2 u2
    read -r b1 u1 _ <<<"$1"
    read -r b2 u2 _ <<<"$2"
    awk -v b1="$b1" -v u1="$u1" -v b2="$b2" -v u2="$u2" \
        'BEGIN { if (u1 > 0 && u2 > 0 && b2 > 0) printf "%.2f", (b1 / u1) / (b2 / u2); else print "-" }'
}

echo "TCP through lossy-link: $mb MB per transfer (senders stopped after ${LL_SECONDS} s),"
echo "1% duplication, 2% reordering, 0.5% corruption and the loss below, each way;"
echo "Linux with CUBIC. MB/s = 10^6 bytes/s; stall = longest time with no new data (s);"
echo "ok = byte-identical; % = share of the file delivered; x = ustack / Linux goodput."
printf '\n%-5s | %-24s | %-24s | %-24s | %5s %5s\n' loss "kernel -> ustack" \
    "ustack -> kernel" "kernel -> kernel (CUBIC)" "k->u" "u->k"
printf '%-5s | %7s %7s %-3s %4s | %7s %7s %-3s %4s | %7s %7s %-3s %4s | %5s %5s\n' "" \
    MB/s stall ok % MB/s stall ok % MB/s stall ok % x x
cpu_lines=()
round_lines=()
for loss in $levels; do
    if ! ll_relays_start "$((loss + 1))" --loss "$loss" "${faults[@]}"; then
        echo "loss-bench: lossy-link did not start" >&2
        exit 1
    fi
    declare -A res=() all=()
    n=1
    if [ "$loss" -le "$round_max" ]; then
        n=$rounds
    fi
    for ((r = 0; r < n; r++)); do
        for path in k2u u2k k2k; do
            ll_transfer "$path" "$tmp/data.bin"
            all[$path]+="$LL_RESULT"$'\n'
        done
    done
    for path in k2u u2k k2k; do
        mapfile -t rs <<<"${all[$path]%$'\n'}"
        res[$path]=$(median "${rs[@]}")
        read -r _ _ _ _ rcpu ucpu <<<"${res[$path]}"
        if [ "$path" = k2k ]; then
            ucpu=-
        fi
        cpu_lines+=("$(printf '%3s%% %s: relay %3s%% of a core, ustackd %3s%%' "$loss" \
            "$path" "$rcpu" "$ucpu")")
        if [ "$n" -gt 1 ]; then
            round_lines+=("$(printf '%3s%% %s:' "$loss" "$path")$(for x in "${rs[@]}"; do
                read -r b u _ <<<"$x"
                printf ' %s' "$(ll_mbps "$b" "$u")"
            done)")
        fi
    done
    ll_relays_stop
    printf '%-5s | %s | %s | %s | %5s %5s\n' "$loss%" "$(cell "${res[k2u]}")" \
        "$(cell "${res[u2k]}")" "$(cell "${res[k2k]}")" \
        "$(ratio "${res[k2u]}" "${res[k2k]}")" "$(ratio "${res[u2k]}" "${res[k2k]}")"
    grep -h '^fault ' "$tmp/relay-u.log" | sed "s/^/  $loss% kernel-ustack  /" >>"$tmp/faults.txt"
    grep -h '^fault ' "$tmp/relay-k.log" | sed "s/^/  $loss% kernel-kernel  /" >>"$tmp/faults.txt"
done
if [ "${#round_lines[@]}" -gt 0 ]; then
    echo
    echo "Goodput of each round (MB/s, in the order they ran; the table has the median):"
    printf '  %s\n' "${round_lines[@]}"
fi
echo
echo "CPU over each transfer (user + system time / wall time):"
printf '  %s\n' "${cpu_lines[@]}"
echo
echo "What the relays did (a is the kernel's side; for kernel-kernel, the sender's):"
cat "$tmp/faults.txt"
