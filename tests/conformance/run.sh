#!/usr/bin/env bash
# tests/conformance/run.sh - ustack's TCP against RFC 9293 / RFC 5961,
# segment by segment, with Scapy as the peer (tests/conformance/tcp.py).
#
# In a namespace made here (deleted on exit, even on failure): the
# sanitizer build of ustackd on ustap0 at 10.0.0.2/24 (control socket and
# capture in our temp dir), the host side of the TAP at 10.0.0.1/24, and
# build/san/ustack-services (TCP echo on 7, discard on 9). tcp.py plays
# 10.0.0.3, a host the kernel does not know, so the kernel never answers
# ustack's segments with RSTs of its own (see tcp.py). Then: the daemon
# exits 0 on SIGINT, no sanitizer report from it or the services, and
# Wireshark finds nothing malformed and no bad checksum in what ustack
# sent (the malformed segments tcp.py sends on purpose are in the capture
# too: only frames from ustack's MAC are judged).
# Root needed. Prints TAP-style lines; exit 1 on any failure. About 20 s.
# CONFORMANCE_ONLY=NAME runs only the tests of tcp.py whose function name
# has NAME; CONFORMANCE_PCAP=FILE keeps the daemon's capture there.
# shellcheck disable=SC2317 # cleanup() runs from the EXIT trap
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/ns-lib.bash
. tests/lib.bash

daemon=build/san/ustackd
services=build/san/ustack-services
py=/usr/bin/python3
ns=ustack-conf-$$
tap=ustap0
us_mac=02:00:00:00:00:02
fail=0
tmp=$(mktemp -d) || exit 1
log=$tmp/daemon.log
cap=$tmp/cap.pcap
export USTACK_CTL=$tmp/ctl.sock # our own control socket, never another daemon's

cleanup() {
    us_cleanup
    if [ "$fail" -ne 0 ] && [ -s "$log" ]; then
        echo "# daemon log (last 30 lines):"
        tail -n 30 "$log" | sed 's/^/#   /'
    fi
    [ -n "${CONFORMANCE_PCAP:-}" ] && cp "$cap" "$CONFORMANCE_PCAP" 2>/dev/null
    rm -rf "$tmp"
}
us_traps
trap cleanup EXIT


for b in "$daemon" "$services"; do
    if [ ! -x "$b" ]; then
        notok "conformance: $b is not built (make san)"
        exit 1
    fi
done
if ! "$py" -c 'import scapy.all' 2>/dev/null; then
    notok "conformance: $py cannot import scapy (python3-scapy; scripts/deps.sh)"
    exit 1
fi
if ! command -v tshark >/dev/null; then
    notok "conformance: tshark is not installed (scripts/deps.sh)"
    exit 1
fi
need_netns conformance

us_spawn "$ns" "$log" "$daemon" --tap "$tap" --addr 10.0.0.2/24 --gw 10.0.0.1 \
    --mac "$us_mac" --pcap "$cap" --ctl "$USTACK_CTL" --log info
dpid=$US_LAST_PID
if ! us_tap_up "$ns" "$tap" 10.0.0.1/24 "$dpid" 15; then
    notok "daemon starts and brings up $tap"
    exit 1
fi
ok "daemon starts and brings up $tap"

us_spawn "$ns" "$tmp/services.log" "$services"
spid=$US_LAST_PID
for ((i = 0; i < 200; i++)); do
    grep -q 'TCP echo 7, discard 9' "$tmp/services.log" 2>/dev/null && break
    kill -0 "$spid" 2>/dev/null || break
    sleep 0.05
done
if ! grep -q 'TCP echo 7, discard 9' "$tmp/services.log" 2>/dev/null; then
    sed 's/^/#   /' "$tmp/services.log"
    notok "ustack-services listens (echo 7, discard 9)"
    exit 1
fi
ok "ustack-services listens (echo 7, discard 9)"

# The tests themselves; a hang is a failure, not a stuck tier.
t0=${EPOCHREALTIME/[.,]/}
timeout -k 2 90 ip netns exec "$ns" "$py" tests/conformance/tcp.py \
    --pid "$dpid" --log "$log" --only "${CONFORMANCE_ONLY:-}" \
    2> >(grep -v '^$' | sed 's/^/# tcp.py: /') | tee "$tmp/tcp.out"
rc=${PIPESTATUS[0]}
grep -q '^not ok - ' "$tmp/tcp.out" && fail=1
if [ "$rc" -ne 0 ] && ! grep -q '^not ok - ' "$tmp/tcp.out"; then
    notok "tcp.py exited $rc without reporting a failure"
fi
t1=${EPOCHREALTIME/[.,]/}
echo "# tcp.py took $(((t1 - t0) / 1000)) ms"

us_stop "$spid" TERM 5
if us_stop "$dpid" INT 10 && [ "$US_STATUS" -eq 0 ]; then
    ok "SIGINT: daemon exits 0"
else
    notok "SIGINT: daemon exits 0 (status $US_STATUS)"
fi

if grep -Eq 'runtime error|AddressSanitizer|LeakSanitizer' "$log" "$tmp/services.log"; then
    grep -E -A5 'runtime error|AddressSanitizer|LeakSanitizer' "$log" "$tmp/services.log" |
        head -n 20 | sed 's/^/#   /'
    notok "no sanitizer report from the daemon or ustack-services"
else
    ok "no sanitizer report from the daemon or ustack-services"
fi

# Wireshark's view of what ustack sent: checksums checked (off by default).
prefs=$(tshark -G defaultprefs 2>/dev/null)
topts=()
for p in ip.check_checksum tcp.check_checksum; do
    if grep -q "^#\?$p:" <<<"$prefs"; then
        topts+=(-o "$p:TRUE")
    fi
done
ours="eth.src == $us_mac"
frames=$(tshark -r "$cap" -Y "$ours && tcp" -T fields -e frame.number 2>/dev/null | wc -l)
if [ "$frames" -gt 0 ]; then
    ok "capture has TCP segments from ustack ($frames)"
else
    notok "capture has TCP segments from ustack ($frames)"
fi
bad=$(tshark -r "$cap" "${topts[@]}" \
    -Y "$ours && (_ws.malformed || ip.checksum.status == \"Bad\" || tcp.checksum.status == \"Bad\" || _ws.expert.severity >= \"Error\")" \
    -T fields -e frame.number -e _ws.col.Info -e _ws.expert.message 2>/dev/null)
if [ -z "$bad" ]; then
    ok "tshark: no malformed frames or bad checksums from ustack"
else
    head -n 10 <<<"$bad" | sed 's/^/#   /'
    notok "tshark: no malformed frames or bad checksums from ustack ($(grep -c . <<<"$bad") frames)"
fi
exit "$fail"
