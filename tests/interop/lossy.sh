#!/usr/bin/env bash
# tests/interop/lossy.sh - loss on demand: ustackd's fault options and
# scripts/lossy-link, seen from the kernel's ping.
#
# In namespaces made here (deleted on exit, even on failure):
#   daemon   the sanitizer build of ustackd on ustap0 at 10.0.0.2/24, the
#            kernel on the host side at 10.0.0.1/24:
#            --loss 10 --fault-seed 1: 1000 pings lose about 19% (10% of
#            the requests in, 10% of the replies out); the "fault in:" and
#            "fault out:" lines drop about 10% each, and they agree
#            exactly with the engine's own counters (every frame "in"
#            let through is one eth.rx_frames, every frame the engine
#            sent is one "out" frame);
#            --delay in:10,out:20/5 --rate 10: no echo comes back in under
#            25 ms, all of them come back, every frame was delayed
#   relay    build/san/lossy-link between two kernels (veth ends in a third
#            namespace): --loss 'a->b:10' --dup 'b->a:5': about 10% of the
#            requests lost and none of the replies; ping counts exactly the
#            duplicates the relay reports (less the ARP replies it doubled)
#   options  bad fault options of either program: one line, exit 2
#   and no sanitizer report from the daemon or the relay.
# Root and ethtool needed. Prints TAP-style lines; exit 1 on any failure.
# shellcheck disable=SC2317,SC2016 # functions run through check(); eval quotes
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/ns-lib.bash
. tests/lib.bash

daemon=build/san/ustackd
relay=build/san/lossy-link
san=build/san
ns=ustack-lossy-$$
ns_a=ustack-lossy-$$-a
ns_b=ustack-lossy-$$-b
tap=ustap0
stack=10.0.0.2
host=10.0.0.1
fail=0
tmp=$(mktemp -d) || exit 1
log=$tmp/daemon.log
export USTACK_CTL=$tmp/ctl.sock
export US_RELAY=$relay

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

need_built lossy "$daemon" "$relay" "$san/ustat"
need_tools lossy ping ethtool

# in_range NAME VALUE LO HI: LO <= VALUE <= HI, else say so
in_range() {
    if [ -n "$2" ] && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; then
        return 0
    fi
    echo "#   $1 = ${2:-(none)}, expected $3..$4"
    return 1
}

# ping_run NS DST COUNT INTERVAL OUT: ping, its summary in OUT
ping_run() {
    timeout 120 ip netns exec "$1" ping -c "$3" -i "$4" -W 1 -q "$2" >"$5" 2>&1
}

# received OUT / duplicates OUT / rtt_min_ms OUT: from ping's summary
received() { sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' "$1"; }
duplicates() {
    local d
    d=$(sed -n 's/.*received, +\([0-9][0-9]*\) duplicates.*/\1/p' "$1")
    echo "${d:-0}"
}
rtt_min_ms() { sed -n 's|^rtt min/avg/max/mdev = \([0-9]*\)\..*|\1|p' "$1"; }

# counter NAME: the daemon's last printed value of engine counter NAME
counter() {
    local v
    v=$(grep -E "^  $1 +[0-9]+$" "$log" | tail -n 1 | awk '{print $2}')
    echo "${v:-0}"
}

# usr1 PID LOG: SIGUSR1, wait until a new "fault out:" line is printed
usr1() {
    local before i
    before=$(grep -c '^fault out: ' "$2")
    kill -USR1 "$1" 2>/dev/null || return 1
    for ((i = 0; i < 100; i++)); do
        [ "$(grep -c '^fault out: ' "$2")" -gt "$before" ] && return 0
        sleep 0.05
    done
    return 1
}

# ff LOG DIR FIELD: us_fault_field, 0 when the line is missing
ff() {
    local v
    v=$(us_fault_field "$@")
    echo "${v:-0}"
}

no_sanitizer_report() {
    if grep -Eq 'runtime error|AddressSanitizer|LeakSanitizer' "$1"; then
        grep -E -A5 'runtime error|AddressSanitizer|LeakSanitizer' "$1" | head -n 20 |
            sed 's/^/#   /'
        return 1
    fi
}

# ---- options: one line, exit 2 -------------------------------------------

# rejects WHAT CMD...: CMD exits 2 with one line on stderr naming WHAT
rejects() {
    local what=$1 out rc
    shift
    out=$("$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" -eq 2 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q -- "$what" <<<"$out"; then
        return 0
    fi
    echo "#   exit $rc: $out"
    return 1
}
d_args=(--tap "$tap" --addr "$stack/24" --ctl "$tmp/never.sock")
for bad in "--loss 101" "--loss in:5,in:3" "--loss up:5" "--dup 5%" "--reorder -1" \
    "--corrupt 0.00001" "--delay 5/10" "--delay 60001" "--rate fast" \
    "--fault-seed 0xZ"; do
    read -r o v <<<"$bad"
    check "ustackd $bad: one line, exit 2" rejects "$o" "$daemon" "${d_args[@]}" "$o" "$v"
    check "lossy-link $bad: one line, exit 2" rejects "$o" "$relay" "$o" "$v" x y
done
check "lossy-link --loss in:5 (its directions are a->b, b->a): exit 2" \
    rejects "a->b:VALUE" "$relay" --loss in:5 x y
check "lossy-link with one side: exit 2" rejects "two sides" "$relay" --loss 5 x
# no_such_interface: lossy-link on interfaces that do not exist exits 1
no_such_interface() {
    "$relay" nosuch0 nosuch1 2>/dev/null
    [ $? -eq 1 ]
}
check "lossy-link on an interface that is not there: exit 1" no_such_interface

# ---- ustackd --loss 10 --------------------------------------------------

need_netns lossy
start_daemon --log warn --loss 10 --fault-seed 1
dpid=$US_LAST_PID
ping_run "$ns" "$stack" 1000 0.002 "$tmp/ping.out"
got=$(received "$tmp/ping.out")
echo "# ustackd --loss 10: $got of 1000 echoes came back"
check "ustackd --loss 10: ping loses 12..27% (expected 19%)" in_range "replies" "$got" 730 880
check "SIGUSR1 prints the fault lines" usr1 "$dpid" "$log"
f_in=$(ff "$log" in frames)
d_in=$(ff "$log" in dropped)
s_in=$(ff "$log" in sent)
f_out=$(ff "$log" out frames)
d_out=$(ff "$log" out dropped)
echo "# fault in: $d_in of $f_in dropped; out: $d_out of $f_out"
check "fault in: saw every echo request (>= 1000 frames)" in_range "in frames" "$f_in" 1000 1100
check "fault in: dropped 7..13%" in_range "in dropped per mille" \
    "$((d_in * 1000 / (f_in > 0 ? f_in : 1)))" 70 130
check "fault out: dropped 7..13%" in_range "out dropped per mille" \
    "$((d_out * 1000 / (f_out > 0 ? f_out : 1)))" 70 130
check "fault in: sent = eth.rx_frames" in_range "eth.rx_frames" "$(counter eth.rx_frames)" \
    "$s_in" "$s_in"
check "fault out: frames = eth.tx_frames" in_range "eth.tx_frames" \
    "$(counter eth.tx_frames)" "$f_out" "$f_out"
check "every echo that came back was one the engine sent" in_range "icmp.tx_echo_replies" \
    "$(counter icmp.tx_echo_replies)" "$got" "$f_out"
check "fault out: sent = the echoes ping got (ARP aside)" in_range "out sent" \
    "$(ff "$log" out sent)" "$got" "$((got + 3))"
if us_stop "$dpid" INT 10 && [ "$US_STATUS" -eq 0 ]; then
    ok "SIGINT: daemon exits 0"
else
    notok "SIGINT: daemon exits 0 (status $US_STATUS)"
fi
check "the fault lines are printed at exit" eval '[ "$(grep -c "^fault in: " "$log")" -eq 2 ]'
check "daemon log has no sanitizer report" no_sanitizer_report "$log"

# ---- ustackd --delay ---------------------------------------------------------

start_daemon --log warn --delay in:10,out:20/5 --rate 10 --fault-seed 2
dpid=$US_LAST_PID
ping_run "$ns" "$stack" 20 0.05 "$tmp/ping-delay.out"
echo "# ustackd --delay in:10,out:20/5: $(tail -n 1 "$tmp/ping-delay.out")"
check "--delay: 20 of 20 echoes come back" in_range "replies" \
    "$(received "$tmp/ping-delay.out")" 20 20
check "--delay: no echo in under 25 ms" in_range "min rtt ms" \
    "$(rtt_min_ms "$tmp/ping-delay.out")" 25 100000
us_stop "$dpid" INT 10
check "--delay: every frame delayed, both ways" eval \
    '[ "$(ff "$log" in delayed)" -ge 20 ] &&
     [ "$(ff "$log" out delayed)" -ge 20 ] &&
     [ "$(ff "$log" in delayed)" = "$(ff "$log" in frames)" ]'
check "daemon log has no sanitizer report (delay)" no_sanitizer_report "$log"

# ---- lossy-link between two kernels ---------------------------------------------

setup_kk() {
    us_netns_add "$ns_a" && us_netns_add "$ns_b" &&
        us_veth "$ns_a" va "$ns" va-r && us_veth "$ns_b" vb "$ns" vb-r &&
        ip -n "$ns_a" addr add 10.0.1.1/24 dev va &&
        ip -n "$ns_b" addr add 10.0.1.2/24 dev vb
}
if ! setup_kk; then
    notok "lossy-link: two kernel namespaces joined by veth pairs"
    exit 1
fi
rlog=$tmp/relay.log
if ! us_relay "$ns" "$rlog" --loss 'a->b:10' --dup 'b->a:5' --fault-seed 1 va-r vb-r; then
    notok "lossy-link starts between va-r and vb-r"
    exit 1
fi
rpid=$US_LAST_PID
ok "lossy-link starts between va-r and vb-r"
ping_run "$ns_a" 10.0.1.2 1000 0.002 "$tmp/ping-kk.out"
got=$(received "$tmp/ping-kk.out")
dups=$(duplicates "$tmp/ping-kk.out")
if us_stop "$rpid" TERM 10 && [ "$US_STATUS" -eq 0 ]; then
    ok "lossy-link: SIGTERM, exit 0"
else
    notok "lossy-link: SIGTERM, exit 0 (status $US_STATUS)"
fi
ab_f=$(ff "$rlog" 'a->b' frames)
ab_d=$(ff "$rlog" 'a->b' dropped)
ba_d=$(ff "$rlog" 'b->a' dropped)
ba_u=$(ff "$rlog" 'b->a' duplicated)
echo "# lossy-link: $got of 1000 echoes, +$dups duplicates;" \
    "a->b dropped $ab_d of $ab_f, b->a duplicated $ba_u"
check "lossy-link: ping loses 5..15% (expected 10%)" in_range "replies" "$got" 850 950
check "lossy-link a->b: dropped 7..13%" in_range "a->b dropped per mille" \
    "$((ab_d * 1000 / (ab_f > 0 ? ab_f : 1)))" 70 130
check "lossy-link b->a: dropped nothing" in_range "b->a dropped" "$ba_d" 0 0
check "lossy-link b->a: duplicated 2..9% of the replies" in_range "b->a duplicated" \
    "$ba_u" 20 90
check "ping saw the duplicates the relay made (ARP replies aside)" \
    in_range "ping duplicates" "$dups" "$((ba_u > 3 ? ba_u - 3 : 0))" "$ba_u"
check "lossy-link: no sanitizer report" no_sanitizer_report "$rlog"

exit "$fail"
