#!/usr/bin/env bash
# tests/replay/run.sh - the replay tier: every pcaps/*.pcap through
# build/san/tools/replay with the settings it was recorded with
# (scripts/record-pcaps.sh, pcaps/README.md); the TCP captures,
# pcaps/tcp-*.pcap, through build/san/tools/tcp_scenario --replay with the
# scenario of the same name (the application that ran on the engine when
# it was recorded).
# Plus checks that the comparison can fail at all: a different seed
# changes the IP IDs of the echo replies in ping.pcap, and the ISN of the
# SYN,ACK in tcp-handshake.pcap, so neither replay may match.
# Prints TAP-style lines; exit 1 on any failure.
set -u
cd "$(dirname "$0")/../.." || exit 1

tool=build/san/tools/replay
tcp_tool=build/san/tools/tcp_scenario
settings=(--addr 10.0.0.2/24 --gw 10.0.0.1 --seed 1)
fail=0
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT

for t in "$tool" "$tcp_tool"; do
    if [ ! -x "$t" ]; then
        echo "not ok - replay: $t is not built (make san)"
        exit 1
    fi
done
shopt -s nullglob
pcaps=(pcaps/*.pcap)
if [ ${#pcaps[@]} -eq 0 ]; then
    echo "not ok - replay: no pcaps/*.pcap (scripts/record-pcaps.sh)"
    exit 1
fi

for p in "${pcaps[@]}"; do
    name=$(basename "$p" .pcap)
    case $name in
    tcp-*) "$tcp_tool" --replay "$p" --scenario "$name" "${settings[@]}" >"$out" 2>&1 ;;
    *) "$tool" --pcap "$p" "${settings[@]}" >"$out" 2>&1 ;;
    esac
    rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "ok - replay $name"
    else
        sed 's/^/# /' "$out"
        echo "not ok - replay $name (exit $rc)"
        fail=1
    fi
done

# The negative check: same capture, another seed. Exit 1 is "mismatch";
# 0 would mean the comparison cannot see a difference, anything else is a
# crash or a usage error.
if [ -f pcaps/ping.pcap ]; then
    "$tool" --pcap pcaps/ping.pcap --addr 10.0.0.2/24 --gw 10.0.0.1 --seed 2 >"$out" 2>&1
    rc=$?
    if [ "$rc" -eq 1 ] && grep -q MISMATCH "$out"; then
        echo "ok - replay detects a changed seed"
    else
        sed 's/^/# /' "$out"
        echo "not ok - replay detects a changed seed (exit $rc, want 1)"
        fail=1
    fi
else
    echo "not ok - replay detects a changed seed: pcaps/ping.pcap is missing"
    fail=1
fi
if [ -f pcaps/tcp-handshake.pcap ]; then
    "$tcp_tool" --replay pcaps/tcp-handshake.pcap --scenario tcp-handshake \
        --addr 10.0.0.2/24 --gw 10.0.0.1 --seed 2 >"$out" 2>&1
    rc=$?
    if [ "$rc" -eq 1 ] && grep -q MISMATCH "$out"; then
        echo "ok - replay tcp detects a changed seed"
    else
        sed 's/^/# /' "$out"
        echo "not ok - replay tcp detects a changed seed (exit $rc, want 1)"
        fail=1
    fi
else
    echo "not ok - replay tcp detects a changed seed: pcaps/tcp-handshake.pcap is missing"
    fail=1
fi
exit $fail
