#!/usr/bin/env bash
# tests/replay/notes.sh - the capture's notes: every frame ustack sends
# says why it left, every received frame it dropped says why, in a pcapng
# that tshark and capinfos read cleanly (stack/dev/capture.c).
#
# Two sources, both replays with a virtual clock (no network, no root):
#  - the TCP captures of pcaps/ through tcp_scenario --replay --pcap OUT
#    (they still match byte for byte with a capture in the chain): passive
#    and active open, delayed ACK, window update, SACK recovery, tail loss
#    probe, a SYN that waited for ARP keeping its own reason;
#  - a peer made up by tests/replay/notes-input.py (scapy), for what the
#    recordings lack: ARP and echo replies, ICMP port unreachable, RST for
#    no listener, fast retransmit without SACK, RTO retransmissions,
#    zero-window probes, a challenge
#    ACK, and received frames dropped (bad checksum, outside the window).
#    Its run is made twice: the two files must be the same, byte for byte.
# The comments are read as Wireshark shows them:
#   tshark -r FILE -T fields -e frame.comment
# Prints TAP-style lines; exit 1 on any failure.
set -u
cd "$(dirname "$0")/../.." || exit 1

tool=build/san/tools/tcp_scenario
py=/usr/bin/python3
settings=(--addr 10.0.0.2/24 --gw 10.0.0.1 --seed 1)
fail=0
tmp=$(mktemp -d /tmp/notes-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok - notes: $1"; }
notok() {
    echo "not ok - notes: $1"
    fail=1
}

if [ ! -x "$tool" ]; then
    notok "$tool is not built (make san)"
    exit 1
fi
for t in tshark capinfos; do
    if ! command -v "$t" >/dev/null; then
        notok "$t is missing (scripts/deps.sh)"
        exit 1
    fi
done

# comments FILE: one line per frame, "DIRECTION<TAB>COMMENT" (direction
# 1 in, 2 out: epb_flags)
comments() {
    tshark -r "$1" -T fields -e frame.packet_flags_direction -e frame.comment 2>"$tmp/err"
}

# clean FILE: capinfos and tshark read it, tshark reports nothing wrong
clean() {
    local f=$1
    if ! capinfos "$f" >"$tmp/cap" 2>&1 || ! grep -q "pcapng" "$tmp/cap" ||
        ! grep -q "nanoseconds" "$tmp/cap"; then
        sed 's/^/# /' "$tmp/cap"
        return 1
    fi
    tshark -r "$f" >/dev/null 2>"$tmp/err" || return 1
    ! grep -v "Running as user" "$tmp/err" | grep -q .
}

# every_sent_has_reason FILE: no frame sent without a comment, none with
# the text of a missing reason
every_sent_has_reason() {
    comments "$1" | awk -F'\t' '$1 == "0x00000002" || $1 == "2" {
        if ($2 == "" || $2 ~ /no reason recorded/) { print; bad = 1 } }
        END { exit bad }'
}

all="$tmp/all.txt"
: >"$all"
for name in tcp-handshake tcp-transfer tcp-zero-window tcp-retransmit tcp-sack-recovery \
    tcp-tail-loss tcp-connect tcp-close-us-first tcp-close-peer-first; do
    in=pcaps/$name.pcap out=$tmp/$name.pcapng
    [ -f "$in" ] || { notok "$in is missing"; continue; }
    if "$tool" --replay "$in" --pcap "$out" --scenario "$name" "${settings[@]}" \
        >"$tmp/log" 2>&1; then
        ok "$name replays byte for byte with a capture in the chain"
    else
        sed 's/^/# /' "$tmp/log"
        notok "$name does not replay with a capture in the chain"
    fi
    if clean "$out"; then
        ok "$name: capinfos and tshark read the pcapng cleanly"
    else
        notok "$name: the pcapng does not read cleanly"
    fi
    if every_sent_has_reason "$out" >"$tmp/bad"; then
        ok "$name: every frame sent has its reason"
    else
        sed 's/^/# /' "$tmp/bad"
        notok "$name: frames sent without a reason"
    fi
    comments "$out" >>"$all"
done

# The made-up peer: a first run gives ustack's ISN (its SYN-ACK), the
# second has the rest of the conversation.
if ! "$py" -c 'import scapy' 2>/dev/null; then
    notok "$py cannot import scapy (python3-scapy; scripts/deps.sh)"
else
    made() { "$tool" --replay "$1" --pcap "$2" --scenario tcp-close-us-first \
        "${settings[@]}" >"$tmp/log" 2>&1; }
    "$py" tests/replay/notes-input.py "$tmp/in1.pcap"
    made "$tmp/in1.pcap" "$tmp/n1.pcapng" # exit 1: no expected frames
    isn=$(tshark -r "$tmp/n1.pcapng" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 1' \
        -T fields -e tcp.seq_raw 2>/dev/null | head -1)
    if [ -z "$isn" ]; then
        notok "made-up peer: no SYN-ACK in the first run"
    else
        "$py" tests/replay/notes-input.py "$tmp/in2.pcap" "$isn"
        made "$tmp/in2.pcap" "$tmp/n2.pcapng"
        rc=$?
        made "$tmp/in2.pcap" "$tmp/n3.pcapng"
        if [ "$rc" -le 1 ] && cmp -s "$tmp/n2.pcapng" "$tmp/n3.pcapng"; then
            ok "made-up peer: two runs give the same pcapng, byte for byte"
        else
            sed 's/^/# /' "$tmp/log"
            notok "made-up peer: the run failed (exit $rc) or the files differ"
        fi
        if clean "$tmp/n2.pcapng"; then
            ok "made-up peer: capinfos and tshark read the pcapng cleanly"
        else
            notok "made-up peer: the pcapng does not read cleanly"
        fi
        if every_sent_has_reason "$tmp/n2.pcapng" >"$tmp/bad"; then
            ok "made-up peer: every frame sent has its reason"
        else
            sed 's/^/# /' "$tmp/bad"
            notok "made-up peer: frames sent without a reason"
        fi
        comments "$tmp/n2.pcapng" >>"$all"
    fi
fi

# Each kind of reason appears, on a frame of the right direction.
expect() {
    local dir=$1 text=$2
    if awk -F'\t' -v d="$dir" -v t="$text" '($1 == d || $1 == sprintf("0x%08x", d)) &&
        index($2, t) == 1 { found = 1 } END { exit !found }' "$all"; then
        ok "a frame $([ "$dir" = 2 ] && echo sent || echo received) says '$text'"
    else
        notok "no frame $([ "$dir" = 2 ] && echo sent || echo received) says '$text'"
    fi
}
expect 2 "SYN-ACK: passive open (RFC 9293 3.5)"
expect 2 "SYN: active open (RFC 9293 3.5)"
expect 2 "ACK: the peer's SYN-ACK, established (RFC 9293 3.5)"
expect 2 "ARP request: who has 10.0.0.1 (RFC 826)"
expect 2 "FIN: app closed"
expect 2 "ACK: delayed, 2nd segment (RFC 1122 4.2.3.2)"
expect 2 "retransmission #1 after RTO 200 ms (RFC 6298 5.5), cwnd 1 MSS"
expect 2 "retransmission #2 after RTO 400 ms (RFC 6298 5.5), cwnd 1 MSS"
expect 2 "fast retransmit after 3 dup ACKs (RFC 5681 3.2)"
expect 2 "SACK recovery retransmission (RFC 6675"
expect 2 "tail loss probe (RFC 8985 7)"
expect 2 "zero-window probe #2"
expect 2 "window update: app read 16 KiB"
expect 2 "challenge ACK (RFC 5961 4)"
expect 2 "RST: no listener on port 81"
expect 2 "ICMP port unreachable (RFC 1122 3.2.2.1)"
expect 2 "ARP reply"
expect 2 "echo reply (RFC 792)"
expect 2 "data: app wrote 10240 bytes"
expect 2 "ACK: segment outside the window"
expect 1 "dropped: ipv4.rx_bad_cksum"
expect 1 "dropped: tcp.rx_out_of_window"
expect 1 "dropped: udp.rx_no_port"

exit $fail
