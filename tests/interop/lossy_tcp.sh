#!/usr/bin/env bash
# tests/interop/lossy_tcp.sh - TCP through a lossy link, both ways: the
# short version of the loss benchmark (scripts/loss-bench.sh, make soak).
#
# The topology of scripts/loss-lib.bash with the sanitizer builds: the
# kernel (10.0.0.1, CUBIC) and ustackd (10.0.0.2) joined by
# build/san/lossy-link with 5% loss, 1% duplication, 2% reordering and
# 0.5% corruption each way. LOSSY_MB (default 5) MB kernel -> ustack (nc to
# unc -l) and ustack -> kernel (unc to nc -l), each within 60 s: every
# byte arrives, in order, unharmed (sha256). The relay really did damage
# frames both ways, and ustack really repaired them (retransmissions,
# segments with bad checksums dropped). Goodput and the longest stall are
# printed as # lines, never asserted (a shared, noisy machine).
# Root and ethtool needed. Prints TAP-style lines; exit 1 on any failure.
# shellcheck disable=SC2317,SC2016 # functions run through check(); eval quotes
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/ns-lib.bash
. scripts/loss-lib.bash
. tests/lib.bash

LL_BIN=build/san
LL_SECONDS=60
mb=${LOSSY_MB:-5}
fail=0
tmp=$(mktemp -d) || exit 1

cleanup() {
    us_cleanup
    if [ "$fail" -ne 0 ]; then
        for f in "$tmp"/*.log; do
            echo "# $(basename "$f") (last 15 lines):"
            tail -n 15 "$f" | sed 's/^/#   /'
        done
    fi
    rm -rf "$tmp"
}
us_traps
trap cleanup EXIT

need_built lossy_tcp "$LL_BIN/ustackd" "$LL_BIN/lossy-link" "$LL_BIN/unc" "$LL_BIN/ustat" \
    "$LL_BIN/stall-meter"
need_tools lossy_tcp nc ss ethtool sha256sum

if ! ll_setup "ustack-lossytcp-$$"; then
    notok "namespaces, veth pairs, the TAP and ustackd come up"
    exit 1
fi
ok "namespaces, veth pairs, the TAP and ustackd come up"
if ! ll_relays_start 7 --loss 5 --dup 1 --reorder 2 --corrupt 0.5; then
    notok "lossy-link starts: --loss 5 --dup 1 --reorder 2 --corrupt 0.5"
    exit 1
fi
ok "lossy-link starts: --loss 5 --dup 1 --reorder 2 --corrupt 0.5"

head -c "$((mb * 1000000))" /dev/urandom >"$tmp/data.bin"

# one PATH NAME: the transfer arrives whole and identical within 60 s
one() {
    local bytes us stall same
    ll_transfer "$1" "$tmp/data.bin"
    read -r bytes us stall same _ _ <<<"$LL_RESULT"
    echo "# $2: $bytes of $((mb * 1000000)) bytes, $(ll_mbps "$bytes" "$us") MB/s," \
        "longest stall $((stall / 1000)) ms"
    if [ "$bytes" -eq $((mb * 1000000)) ] && [ "$same" -eq 1 ]; then
        return 0
    fi
    echo "#   same=$same; sender: $(tail -n 2 "$tmp/send.err" | tr '\n' ' ')"
    return 1
}
check "$mb MB kernel -> ustack at 5% loss: whole and identical within 60 s" one k2u \
    "kernel -> ustack"
check "$mb MB ustack -> kernel at 5% loss: whole and identical within 60 s" one u2k \
    "ustack -> kernel"

ll_relays_stop
rlog=$tmp/relay-u.log
# damaged WAY: the relay dropped, duplicated, reordered and corrupted frames WAY
damaged() {
    local f
    for f in dropped duplicated reordered corrupted; do
        if [ "$(us_fault_field "$rlog" "$1" "$f")" -gt 0 ] 2>/dev/null; then
            continue
        fi
        echo "#   $1 $f = $(us_fault_field "$rlog" "$1" "$f")"
        return 1
    done
}
grep '^fault ' "$rlog" | sed 's/^/# /'
check "the relay damaged frames kernel -> ustack" damaged 'a->b'
check "the relay damaged frames ustack -> kernel" damaged 'b->a'

if us_stop "$ll_ustackd" INT 10 && [ "$US_STATUS" -eq 0 ]; then
    ok "SIGINT: ustackd exits 0"
else
    notok "SIGINT: ustackd exits 0 (status $US_STATUS)"
fi
# counter NAME: ustackd's value of engine counter NAME at exit
counter() {
    local v
    v=$(grep -E "^  $1 +[0-9]+$" "$tmp/ustackd.log" | tail -n 1 | awk '{print $2}')
    echo "${v:-0}"
}
check "ustack retransmitted and dropped corrupted segments" \
    eval '[ "$(counter tcp.retransmitted_segs)" -gt 0 ] &&
          [ $(($(counter tcp.rx_bad_cksum) + $(counter ipv4.rx_bad_cksum))) -gt 0 ]'
check "no sanitizer report from ustackd or the relays" \
    eval '! grep -Eq "runtime error|AddressSanitizer|LeakSanitizer" "$tmp"/*.log'

exit "$fail"
