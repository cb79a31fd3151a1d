#!/usr/bin/env bash
# tests/replay/trace.sh - TCP's event trace (docs/TRACE.md) and ustack-plot,
# on the TCP captures of pcaps/ replayed by build/san/tools/tcp_scenario.
#
#   - the same replay twice gives the same trace, byte for byte, and the
#     replay still matches the capture with the trace on;
#   - every line is a well-formed event, and each capture's trace holds
#     what the capture is known to hold (tests/replay/trace_check.py:
#     states in order, relative numbers, a marked retransmission for each
#     one the engine counted, a tail loss probe before the retransmission
#     of tcp-tail-loss, ...);
#   - build/ustack-plot draws the connection of tcp-sack-recovery and
#     tcp-transfer: six files, real PNG and SVG, and the ranges it says it
#     used are the trace's own; the same trace draws the same SVG.
# Prints TAP-style lines; exit 1 on any failure.
set -u
cd "$(dirname "$0")/../.." || exit 1

tool=build/san/tools/tcp_scenario
plot=build/ustack-plot
check=tests/replay/trace_check.py
settings=(--addr 10.0.0.2/24 --gw 10.0.0.1 --seed 1)
fail=0
tmp=$(mktemp -d /tmp/trace-test.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

for t in "$tool" "$plot"; do
    if [ ! -x "$t" ]; then
        echo "not ok - trace: $t is not built (make san all)"
        exit 1
    fi
done

# replay NAME OUT: replay pcaps/NAME.pcap with the trace in OUT.trace and
# the tool's output in OUT.out; its exit status.
replay() {
    "$tool" --replay "pcaps/$1.pcap" --scenario "$1" "${settings[@]}" \
        --trace "$2.trace" >"$2.out" 2>&1
}

# run_check ARGS...: trace_check.py's lines; a failure if it fails.
run_check() {
    /usr/bin/python3 "$check" "$@" || fail=1
}

for name in tcp-handshake tcp-transfer tcp-close-us-first tcp-close-peer-first \
    tcp-connect tcp-zero-window tcp-retransmit tcp-sack-recovery tcp-tail-loss; do
    if [ ! -f "pcaps/$name.pcap" ]; then
        echo "not ok - trace $name: pcaps/$name.pcap is missing"
        fail=1
        continue
    fi
    if replay "$name" "$tmp/$name.1" && replay "$name" "$tmp/$name.2"; then
        echo "ok - trace $name: the replay matches the capture with the trace on"
    else
        sed 's/^/# /' "$tmp/$name.1.out" "$tmp/$name.2.out"
        echo "not ok - trace $name: the replay with --trace failed"
        fail=1
        continue
    fi
    if [ -s "$tmp/$name.1.trace" ] && cmp -s "$tmp/$name.1.trace" "$tmp/$name.2.trace"; then
        echo "ok - trace $name: the same replay gives the same trace, byte for byte"
    else
        echo "not ok - trace $name: two replays gave different (or empty) traces"
        fail=1
    fi
    run_check schema "$tmp/$name.1.trace"
    run_check scenario "$name" "$tmp/$name.1.trace" "$tmp/$name.1.out"
done

# ARP and ICMP only: nothing for TCP's trace, and the replay still matches
if build/san/tools/replay --pcap pcaps/ping.pcap "${settings[@]}" --trace "$tmp/ping.trace" \
    >"$tmp/ping.out" 2>&1 && [ -f "$tmp/ping.trace" ] && [ ! -s "$tmp/ping.trace" ]; then
    echo "ok - trace: replay --trace on pcaps/ping.pcap matches and writes no TCP event"
else
    sed 's/^/# /' "$tmp/ping.out"
    echo "not ok - trace: replay --trace on pcaps/ping.pcap"
    fail=1
fi
if ! "$tool" --replay pcaps/tcp-handshake.pcap --scenario tcp-handshake "${settings[@]}" \
    --trace "$tmp/no/such/dir/x" >"$tmp/bad.out" 2>&1 && grep -q "cannot write" "$tmp/bad.out"; then
    echo "ok - trace: an unwritable --trace file is refused with a message"
else
    sed 's/^/# /' "$tmp/bad.out"
    echo "not ok - trace: an unwritable --trace file is refused with a message"
    fail=1
fi

for name in tcp-sack-recovery tcp-transfer; do
    [ -s "$tmp/$name.1.trace" ] || continue
    if "$plot" "$tmp/$name.1.trace" -o "$tmp/$name-plot" >"$tmp/$name.plot" 2>&1; then
        echo "ok - ustack-plot draws $name"
        run_check plot "$tmp/$name.1.trace" "$tmp/$name.plot" "$tmp/$name-plot"
    else
        sed 's/^/# /' "$tmp/$name.plot"
        echo "not ok - ustack-plot draws $name"
        fail=1
    fi
done
if [ -f "$tmp/tcp-sack-recovery-plot-tseq.svg" ] &&
    "$plot" "$tmp/tcp-sack-recovery.2.trace" -o "$tmp/again" >/dev/null 2>&1 &&
    cmp -s "$tmp/tcp-sack-recovery-plot-tseq.svg" "$tmp/again-tseq.svg"; then
    echo "ok - ustack-plot: the same trace draws the same SVG"
else
    echo "not ok - ustack-plot: the same trace draws the same SVG"
    fail=1
fi
# bad input: a message and a non-zero exit, never a traceback
printf '{"t":1,"ev":"send"}\nnot json\n' >"$tmp/junk.trace"
"$plot" "$tmp/junk.trace" -o "$tmp/junk" >"$tmp/junk.out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -q "no TCP connection" "$tmp/junk.out" &&
    ! grep -q Traceback "$tmp/junk.out"; then
    echo "ok - ustack-plot: a trace without a connection is refused with a message"
else
    sed 's/^/# /' "$tmp/junk.out"
    echo "not ok - ustack-plot: a trace without a connection (exit $rc, want 1)"
    fail=1
fi
"$plot" "$tmp/none.trace" >"$tmp/none.out" 2>&1
rc=$?
if [ "$rc" -eq 2 ] && grep -q "cannot read" "$tmp/none.out"; then
    echo "ok - ustack-plot: a missing trace is refused with a message"
else
    sed 's/^/# /' "$tmp/none.out"
    echo "not ok - ustack-plot: a missing trace (exit $rc, want 2)"
    fail=1
fi
exit $fail
