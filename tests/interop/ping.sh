#!/usr/bin/env bash
# tests/interop/ping.sh - the kernel's own tools against ustackd over a TAP.
#
# In a namespace made here (deleted on exit, even on failure): the
# sanitizer build of ustackd on ustap0 at 10.0.0.2/24 (its control socket
# in our temp dir, so that it never meets another daemon's), the kernel on
# the host side at 10.0.0.1/24. Checks: ping of every size up to the largest
# (IP reassembly and fragmented replies), arping, ICMP protocol
# unreachable (Scapy), counters on SIGUSR1, exit 0 on SIGINT, and
# Wireshark's verdict on the daemon's own capture (no malformed frames, no
# bad IPv4 or ICMP checksums). Any sanitizer report from the daemon fails.
# Root needed. Prints TAP-style lines; exit 1 on any failure.
# shellcheck disable=SC2317,SC2001 # functions run through check(); sed prefixes lines
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/ns-lib.bash
. tests/lib.bash

daemon=build/san/ustackd
ns=ustack-ping-$$
tap=ustap0
mac=02:00:00:00:00:02
fail=0
tmp=$(mktemp -d) || exit 1
log=$tmp/daemon.log
cap=$tmp/cap.pcap
ctl=$tmp/ctl.sock # our own control socket: never the default, another daemon's

us_traps
trap test_cleanup EXIT


if [ ! -x "$daemon" ]; then
    notok "ping: $daemon is not built (make san)"
    exit 1
fi
need_netns ping
us_spawn "$ns" "$log" "$daemon" --tap "$tap" --addr 10.0.0.2/24 --gw 10.0.0.1 \
    --pcap "$cap" --ctl "$ctl" --log warn
pid=$US_LAST_PID
if ! us_tap_up "$ns" "$tap" 10.0.0.1/24 "$pid" 15; then
    notok "daemon starts and brings up $tap"
    exit 1
fi
ok "daemon starts and brings up $tap"

# ping_size S: 5 echo requests of S bytes, 5 replies.
ping_size() {
    local s=$1 out got
    out=$(in_ns ping -c 5 -i 0.2 -W 2 -s "$s" 10.0.0.2 2>&1)
    got=$(sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' <<<"$out")
    if [ "${got:-0}" -eq 5 ]; then
        return 0
    fi
    sed 's/^/#   /' <<<"$out" | tail -n 4
    return 1
}
for s in 0 56 1472 4000 65507; do
    check "ping -s $s: 5 of 5 replies" ping_size "$s"
done

# arping: 3 replies, all from the daemon's MAC.
arping_check() {
    local out n
    out=$(in_ns arping -c 3 -w 5 -I "$tap" 10.0.0.2 2>&1)
    n=$(grep -ci "reply from 10.0.0.2 \[$mac\]" <<<"$out")
    if [ "$n" -eq 3 ] && ! grep -i 'reply from' <<<"$out" | grep -vqi "\[$mac\]"; then
        return 0
    fi
    sed 's/^/#   /' <<<"$out"
    return 1
}
check "arping: 3 replies from $mac" arping_check

# A datagram for an unknown protocol (253, RFC 3692 experimental) must get
# ICMP destination unreachable, protocol unreachable (type 3 code 2)
# quoting it.
proto_unreach() {
    local out
    out=$(in_ns /usr/bin/python3 - 2>&1 <<'EOF'
import sys
from scapy.all import IP, ICMP, IPerror, Raw, conf, sr1
conf.verb = 0
req = IP(dst="10.0.0.2", proto=253) / Raw(b"ustack interop proto 253")
r = sr1(req, timeout=3, retry=2)
if r is None:
    print("no reply")
    sys.exit(1)
if ICMP in r and r[ICMP].type == 3 and r[ICMP].code == 2 and IPerror in r \
        and r[IPerror].proto == 253:
    print("icmp 3/2 quoting proto 253")
    sys.exit(0)
print("unexpected reply: " + r.summary())
sys.exit(1)
EOF
)
    local rc=$?
    [ "$rc" -eq 0 ] && return 0
    sed 's/^/#   /' <<<"$out" | grep -v WARNING | tail -n 5
    return 1
}
check "IP proto 253 gets ICMP protocol unreachable" proto_unreach

# SIGUSR1: counters appear in the daemon's output (echo requests seen).
# The capture is written as it goes: a reader sees the frames of the
# pings above while the daemon still runs, with no signal asking for it
# (25 requests and their 25 replies, the fragments of the big ones apart).
live_capture() {
    local n
    n=$(tshark -r "$cap" -Y 'icmp.type == 0' -T fields -e frame.number 2>/dev/null | wc -l)
    if [ "$n" -ge 25 ]; then
        return 0
    fi
    echo "#   $n echo replies in the capture while the daemon runs"
    return 1
}
check "capture readable while the daemon runs (echo replies in it)" live_capture

# The capture is pcapng and says why each frame left (stack/dev/capture.c):
# every echo reply carries the comment, as Wireshark shows it.
reply_comments() {
    local replies said
    replies=$(tshark -r "$cap" -Y 'icmp.type == 0' -T fields -e frame.number 2>/dev/null | wc -l)
    said=$(tshark -r "$cap" -Y 'icmp.type == 0 && frame.comment == "echo reply (RFC 792)"' \
        -T fields -e frame.number 2>/dev/null | wc -l)
    if [ "$replies" -gt 0 ] && [ "$said" -eq "$replies" ]; then
        return 0
    fi
    echo "#   $said of $replies echo replies say 'echo reply (RFC 792)'"
    return 1
}
check "capture comments: every echo reply says why it left" reply_comments

usr1_counters() {
    local before i
    before=$(wc -c <"$log")
    kill -USR1 "$pid" 2>/dev/null || return 1
    for ((i = 0; i < 50; i++)); do
        if tail -c +"$((before + 1))" "$log" | grep -Eq 'icmp\.rx_echo_requests[ :=]+[1-9]'; then
            return 0
        fi
        sleep 0.1
    done
    echo "#   no icmp.rx_echo_requests counter in the output after SIGUSR1"
    return 1
}
check "SIGUSR1 prints counters" usr1_counters

if us_stop "$pid" INT 10 && [ "$US_STATUS" -eq 0 ]; then
    ok "SIGINT: daemon exits 0"
else
    notok "SIGINT: daemon exits 0 (status $US_STATUS)"
fi

if grep -Eq 'runtime error|AddressSanitizer|LeakSanitizer' "$log"; then
    grep -E -A5 'runtime error|AddressSanitizer|LeakSanitizer' "$log" | head -n 20 | sed 's/^/#   /'
    notok "daemon log has no sanitizer report"
else
    ok "daemon log has no sanitizer report"
fi

# Wireshark's view of the daemon's capture. icmp.check_checksum is not a
# preference in every tshark (ICMP checksums are always checked); enable
# whichever checksum checks this version has.
prefs=$(tshark -G defaultprefs 2>/dev/null)
topts=()
for p in ip.check_checksum icmp.check_checksum; do
    if grep -q "^#\?$p:" <<<"$prefs"; then
        topts+=(-o "$p:TRUE")
    fi
done
frames=$(tshark -r "$cap" -T fields -e frame.number 2>/dev/null | wc -l)
check "capture has frames ($frames)" test "$frames" -gt 0
bad=$(tshark -r "$cap" "${topts[@]}" \
    -Y '_ws.malformed || ip.checksum.status == "Bad" || icmp.checksum.status == "Bad" || _ws.expert.severity >= "Error"' \
    -T fields -e frame.number -e _ws.col.Info -e _ws.expert.message 2>/dev/null)
if [ -z "$bad" ] && [ "$frames" -gt 0 ]; then
    ok "tshark: no malformed frames or bad checksums"
else
    head -n 10 <<<"$bad" | sed 's/^/#   /'
    notok "tshark: no malformed frames or bad checksums ($(grep -c . <<<"$bad") frames)"
fi
exit "$fail"
