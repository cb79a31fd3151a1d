#!/usr/bin/env bash
# tests/interop/pmtu.sh - path MTU discovery (RFC 1191) against Linux
# routers: ustack sends through a kernel router whose far link is smaller.
#
# Three namespaces made here (deleted on exit, even on failure):
#   router  ustap0 with the kernel at 10.0.0.1/24 and the sanitizer build of
#           ustackd at 10.0.0.2/24 (gateway 10.0.0.1, --pcap and --ctl in
#           our temp dir); forwarding on; two veth links:
#   near    10.0.1.1/24 - 10.0.1.2/24, MTU 1280 on both ends: the router
#           answers a bigger DF datagram with "fragmentation needed"
#   hole    10.0.2.1/24 - 10.0.2.2/24, MTU 1500 at the router, 1280 at the
#           peer: bigger frames vanish at the peer's end and nobody says so
#           (a black hole)
# Each peer advertises MSS 1460 (route advmss), so that ustack starts with
# full 1500-byte segments and only the path can tell it otherwise. Checks:
#   needfrag  unc sends 1 MiB to a kernel reader behind the near link: it
#             arrives intact; the capture holds the router's type 3 code 4
#             with MTU 1280; after it no segment of ustack's is over 1280
#             bytes; every one carries DF; the engine logged MSS 1240
#   udp       a 4000-byte UDP datagram from unc -u to a kernel reader
#             behind the near link arrives whole: UDP leaves DF clear, ustack
#             fragments it to 1500 and the router again to 1280
#   blackhole unc sends 256 KiB to a kernel reader behind the hole: it
#             arrives intact, no "fragmentation needed" came, and the
#             engine logged its fall back to MSS 1024 after timeouts
#   and no sanitizer report from the daemon or the clients; the daemon
#   exits 0 on SIGINT.
# Root needed. Prints TAP-style lines; exit 1 on any failure. About 5 s.
# shellcheck disable=SC2317,SC2016 # check() runs functions; eval quotes
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/ns-lib.bash
. tests/lib.bash

daemon=build/san/ustackd
san=build/san
py=/usr/bin/python3
ns=ustack-pmtu-$$
near=ustack-pmtu-near-$$
hole=ustack-pmtu-hole-$$
tap=ustap0
stack=10.0.0.2
host=10.0.0.1
near_peer=10.0.1.2
hole_peer=10.0.2.2
fail=0
tmp=$(mktemp -d) || exit 1
log=$tmp/daemon.log
cap=$tmp/cap.pcap
export USTACK_CTL=$tmp/ctl.sock

us_traps
trap test_cleanup EXIT

need_built pmtu "$daemon" "$san/unc" "$san/ustat"
need_tools pmtu nc tshark sha256sum ss "$py"
need_netns pmtu

# peer_link PEER_NS R_DEV P_DEV NET R_MTU P_MTU: a veth from the router to
# a peer namespace on NET.0/24 (router .1, peer .2), the peer's way back to
# ustack through the router advertising MSS 1460 whatever its MTU
peer_link() {
    local pns=$1 rdev=$2 pdev=$3 net=$4 rmtu=$5 pmtu=$6
    us_netns_add "$pns" &&
        ip -n "$ns" link add "$rdev" mtu "$rmtu" type veth peer name "$pdev" netns "$pns" &&
        ip -n "$pns" link set "$pdev" mtu "$pmtu" &&
        ip -n "$ns" addr add "$net.1/24" dev "$rdev" &&
        ip -n "$pns" addr add "$net.2/24" dev "$pdev" &&
        ip -n "$ns" link set "$rdev" up &&
        ip -n "$pns" link set "$pdev" up &&
        ip -n "$pns" route add 10.0.0.0/24 via "$net.1" advmss 1460
}

if ! ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 ||
    ! peer_link "$near" rnear pnear 10.0.1 1280 1280 ||
    ! peer_link "$hole" rhole phole 10.0.2 1500 1280; then
    notok "pmtu: cannot set up the router and its two peer links"
    exit 1
fi
ok "router namespace forwards; near link MTU 1280, hole link 1500 -> 1280"
us_tap_create "$ns" "$tap" "$host/24" || {
    notok "pmtu: cannot create $tap"
    exit 1
}
start_daemon --pcap "$cap" --log info

# flush_capture: SIGUSR1 makes the daemon print its counters and flush the capture
flush_capture() {
    local before i
    before=$(wc -c <"$log")
    kill -USR1 "$dpid" 2>/dev/null || return 1
    for ((i = 0; i < 100; i++)); do
        tail -c +"$((before + 1))" "$log" | grep -q 'counters non-zero' && return 0
        sleep 0.05
    done
    return 1
}

# listening PEER_NS ADDR:PORT: a kernel socket listens there (bounded)
listening() {
    local i
    for ((i = 0; i < 100; i++)); do
        ip netns exec "$1" ss -Hltn "src $2" 2>/dev/null | grep -q . && return 0
        sleep 0.05
    done
    return 1
}

# send_to PEER_NS ADDR PORT FILE OUT: unc sends FILE to a kernel nc -l in
# PEER_NS, which writes what it read to OUT; sets rc to unc's exit status
send_to() {
    local pns=$1 addr=$2 port=$3 file=$4 out=$5 ncpid
    timeout -k 2 30 ip netns exec "$pns" nc -l "$addr" "$port" >"$out" 2>/dev/null &
    ncpid=$!
    listening "$pns" "$addr:$port"
    in_ns_t 30 "$san/unc" "$addr" "$port" <"$file" >/dev/null 2>"$tmp/unc.$port.err"
    rc=$?
    wait "$ncpid"
}

# ---- fragmentation needed ----------------------------------------------------------

head -c $((1024 * 1024)) /dev/urandom >"$tmp/in.1m"
send_to "$near" "$near_peer" 42001 "$tmp/in.1m" "$tmp/out.near"
check "needfrag: 1 MiB through the 1280 link arrives intact (unc exit $rc)" \
    eval 'same "$tmp/in.1m" "$tmp/out.near" && [ "$rc" = 0 ]'
flush_capture
icmp=$(tshark -r "$cap" -Y "icmp.type == 3 && icmp.code == 4 && ip.dst == $stack" -T fields \
    -e frame.number -e icmp.mtu 2>/dev/null)
first=$(awk 'NR == 1 { print $1 }' <<<"$icmp")
check "needfrag: the router said 'fragmentation needed', MTU 1280 ($(wc -l <<<"$icmp") times, first in frame ${first:-none})" \
    eval '[ -n "$first" ] && awk "\$2 != 1280 { exit 1 }" <<<"$icmp"'
# (not icmp: the router's messages quote ustack's big segments)
toobig=$(tshark -r "$cap" -Y "ip.src == $stack && ip.dst == $near_peer && tcp && !icmp && ip.len > 1280" \
    -T fields -e frame.number 2>/dev/null | tail -n 1)
check "needfrag: no segment over 1280 bytes after it (last big one: frame ${toobig:-none})" \
    test "${toobig:-0}" -lt "${first:-0}"
nodf=$(tshark -r "$cap" -Y "ip.src == $stack && ip.dst == $near_peer && tcp && !icmp && ip.flags.df == 0" \
    2>/dev/null | wc -l)
check "needfrag: every TCP segment of ustack's carries DF ($nodf without)" test "$nodf" = 0
check "needfrag: the engine logged path MTU 1280, MSS 1240" \
    grep -q "$near_peer:42001 path MTU 1280, MSS 1240 (fragmentation needed)" "$log"

# ---- UDP keeps DF clear --------------------------------------------------------------

cat >"$tmp/udp.py" <<'EOF'
import hashlib, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
print("ready", flush=True)
d, _ = s.recvfrom(65535)
print("got", len(d), hashlib.sha256(d).hexdigest(), flush=True)
EOF
head -c 4000 /dev/urandom >"$tmp/in.udp"
us_spawn "$near" "$tmp/udp.log" "$py" "$tmp/udp.py" "$near_peer" 42002
upid=$US_LAST_PID
wait_for "$tmp/udp.log" ready
in_ns_t 10 "$san/unc" -u -q 1 "$near_peer" 42002 <"$tmp/in.udp" >/dev/null 2>"$tmp/unc.udp.err"
rc=$?
wait_for "$tmp/udp.log" '^got ' 5
us_stop "$upid" TERM 5
# shellcheck disable=SC2034 # read by check's eval
want="got 4000 $(sha256sum <"$tmp/in.udp" | cut -d' ' -f1)"
check "udp: a 4000-byte datagram through the 1280 link arrives whole (unc exit $rc)" \
    eval 'grep -qx "$want" "$tmp/udp.log" && [ "$rc" = 0 ]'
flush_capture
frags=$(tshark -r "$cap" -Y "ip.src == $stack && ip.dst == $near_peer && ip.proto == 17 && !icmp" \
    -T fields -e ip.flags.df -e ip.flags.mf 2>/dev/null)
check "udp: ustack sent it in $(wc -l <<<"$frags") fragments, none with DF" \
    eval '[ "$(wc -l <<<"$frags")" -ge 3 ] && ! grep -q "^1" <<<"$frags"'

# ---- black hole ----------------------------------------------------------------------

head -c $((256 * 1024)) /dev/urandom >"$tmp/in.256k"
send_to "$hole" "$hole_peer" 42003 "$tmp/in.256k" "$tmp/out.hole"
check "blackhole: 256 KiB through the hole arrive intact (unc exit $rc)" \
    eval 'same "$tmp/in.256k" "$tmp/out.hole" && [ "$rc" = 0 ]'
flush_capture
icmp=$(tshark -r "$cap" -Y "icmp.type == 3 && icmp.code == 4 && icmp.ip.dst == $hole_peer" \
    2>/dev/null | wc -l)
check "blackhole: no 'fragmentation needed' about it came ($icmp)" test "$icmp" = 0
check "blackhole: the engine fell back to MSS 1024 after timeouts" \
    grep -q "$hole_peer:42003 path MTU 1064, MSS 1024 (timeouts of a full-sized segment" "$log"

# ---- the end -----------------------------------------------------------------------

if us_stop "$dpid" INT 20 && [ "$US_STATUS" = 0 ]; then
    ok "SIGINT: daemon exits 0"
else
    notok "SIGINT: daemon exits 0 (status $US_STATUS)"
fi
check "daemon log has no sanitizer report" \
    eval '! grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$log"'
check "clients have no sanitizer report" \
    eval '! grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$tmp"/*.err 2>/dev/null'
exit "$fail"
