#!/usr/bin/env bash
# tests/interop/ustat.sh - ustat (ss for ustackd) and ustack-ctl (faults
# changed while the daemon runs), against connections driven into known
# states with the kernel as the peer.
#
# In a namespace made here (deleted on exit, even on failure): the
# sanitizer build of ustackd on ustap0 at 10.0.0.2/24, the kernel at
# 10.0.0.1/24. Checks:
#   states   LISTEN (echo-server); ESTAB (a kernel nc held open);
#            CLOSE-WAIT (the kernel closes first, unc -l does not), then
#            LAST-ACK (unc's FIN, with every frame in dropped by
#            ustack-ctl fault loss in:100) and gone once the faults are off;
#            FIN-WAIT-2 (unc closes first, the kernel does not) with its
#            owner, and again as an orphan once unc has exited (-e says
#            orphan, -p no owner); TIME-WAIT (unc closes first, then the
#            kernel); SYN-RECV (hping3's SYN from 10.0.0.99, which nobody
#            answers ARP for): each as ss names it, from the engine's tables
#   options  -l only listeners, the default none of LISTEN/TIME-WAIT/SYN-RECV,
#            -i's fields present and sane (rto, rtt, mss, cwnd,
#            bytes_acked of what was echoed), -o's timers (timewait, on),
#            -p the owner's pid, -e uid and socket id, -u a UDP socket
#   pages    600 connections at once (more than one CTL_CONNS reply) all listed
#   texts    -s: the states summary and counters, with udp.rx_no_port that
#            a datagram to a closed port provoked; arp: the kernel's MAC
#            REACHABLE and 10.0.0.99 INCOMPLETE; route: the subnet and
#            the default route; CTL_TEXT and CTL_FAULT requests that make
#            no sense (no such text, past its end, a bad setting) get EINVAL
#            and the daemon answers on
#   faults   loss 10% turned on with ustack-ctl during a paced kernel ->
#            unc transfer: the fault lines' drops are near 10% (5..16%) of
#            frames; off again; the transfer completes byte-identical;
#            ustack-ctl as uid 65534 gets EPERM; a malformed setting is
#            refused saying why
#   and no sanitizer report from the daemon or any client.
# Root, hping3, nc, python3 and setpriv needed. TAP-style lines; exit 1
# on any failure.
# shellcheck disable=SC2317,SC2016 # check() runs functions; eval quotes
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/ns-lib.bash
. tests/lib.bash

daemon=build/san/ustackd
san=build/san
py=/usr/bin/python3
ns=ustack-ustat-$$
tap=ustap0
stack=10.0.0.2
host=10.0.0.1
ghost=10.0.0.99 # on the link, nobody answers ARP for it
nobody=65534
fail=0
tmp=$(mktemp -d) || exit 1
log=$tmp/daemon.log
export USTACK_CTL=$tmp/ctl.sock

us_traps
trap test_cleanup EXIT

need_built ustat "$daemon" "$san/echo-server" "$san/unc" "$san/udp-echo-server" \
    "$san/ustat" "$san/ustack-ctl"
need_tools ustat nc hping3 setpriv sha256sum "$py"
need_netns ustat

start_daemon --log warn

# ustat ARGS...: ustat's output in the namespace
ustat() { in_ns_t 10 "$san/ustat" "$@"; }
# line_of PATTERN ARGS...: the first line of `ustat ARGS` matching PATTERN
line_of() {
    local pat=$1
    shift
    ustat "$@" | grep -E -m 1 -- "$pat"
}
# wait_line PATTERN ARGS...: until `ustat ARGS` has a line matching PATTERN (10 s)
wait_line() {
    local i
    for ((i = 0; i < 100; i++)); do
        line_of "$@" >/dev/null && return 0
        sleep 0.1
    done
    echo "#   no line matching '$1' in ustat ${*:2}:"
    ustat "${@:2}" | sed 's/^/#     /'
    return 1
}
# no_line PATTERN ARGS...: `ustat ARGS` has no line matching PATTERN
no_line() {
    local out
    out=$(ustat "${@:2}")
    if grep -qE -- "$1" <<<"$out"; then
        echo "#   unexpected line for '$1':"
        grep -E -- "$1" <<<"$out" | sed 's/^/#     /'
        return 1
    fi
}

# ---- a kernel server: 8200 holds every connection open, 8201 closes
# each once it has read its end of file ----------------------------------------
us_spawn "$ns" "$tmp/kserv.log" "$py" -c '
import socket, sys, threading
def hold(c):
    while c.recv(65536):
        pass
    threading.Event().wait()
def closer(c):
    while c.recv(65536):
        pass
    c.close()
def serve(port, fn):
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((sys.argv[1], port))
    l.listen(64)
    while True:
        c, _ = l.accept()
        threading.Thread(target=fn, args=(c,), daemon=True).start()
for p, f in ((8200, hold), (8201, closer)):
    threading.Thread(target=serve, args=(p, f), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
' "$host"
wait_for "$tmp/kserv.log" ready || notok "a kernel server on $host:8200/8201 starts"

# ---- states ------------------------------------------------------------------

spawn_app echo-server "$tmp/echo.log" "echoing on" "$san/echo-server" -p 7 || exit 1
epid=$US_LAST_PID
check "LISTEN: echo-server's listener on :7 (ustat -tl)" \
    wait_line '^LISTEN +0 +[0-9]+ +0\.0\.0\.0:7 ' -tl

# ESTAB: a kernel nc that sent 5 bytes, got them back, and stays
us_spawn "$ns" "$tmp/nc-estab.log" sh -c "(printf hello; sleep 60) | nc $stack 7"
check "ESTAB: the kernel's connection to :7 (ustat -tn)" \
    wait_line "^ESTAB +0 +0 +$stack:7 +$host:[0-9]+$" -tn
wait_for "$tmp/nc-estab.log" hello 10 || notok "nc got its echo"

# CLOSE-WAIT: the kernel's FIN first; unc -l reads on with its input open
# (a pipe its parent closes on SIGUSR1: then unc sends its FIN)
us_spawn "$ns" "$tmp/unc-cw.log" "$py" -c '
import signal, subprocess, sys
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE)
signal.signal(signal.SIGUSR1, lambda *a: p.stdin.close())
sys.exit(p.wait())
' "$san/unc" -l 8100
cw_pid=$US_LAST_PID
wait_line '^LISTEN .*:8100 ' -tl >/dev/null
in_ns_t 10 sh -c "printf bye | nc -N -q 30 $stack 8100" >/dev/null 2>&1 &
check "CLOSE-WAIT: unc -l after the kernel's FIN, data unread: 0" \
    wait_line "^CLOSE-WAIT +0 +0 +$stack:8100 " -t

# FIN-WAIT-2 with its owner: unc's FIN first, the kernel holds on
us_spawn "$ns" "$tmp/unc-fw2.log" "$san/unc" "$host" 8200 </dev/null
fw2_pid=$US_LAST_PID
check "FIN-WAIT-2: unc's FIN acknowledged, the kernel not closing" \
    wait_line "^FIN-WAIT-2 .*$host:8200( |$)" -t
check "-p: FIN-WAIT-2 belongs to unc, pid $fw2_pid" \
    eval "line_of 'FIN-WAIT-2 .*$host:8200 ' -tp | grep -q 'users:((\"unc\",pid=$fw2_pid))'"

# the orphan: unc -q 0 exits after its FIN; the engine keeps the connection
in_ns_t 20 "$san/unc" -q 0 "$host" 8200 </dev/null >/dev/null 2>&1
orphan_line() {
    ustat -tepo | grep -E "^FIN-WAIT-(1|2) .*$host:8200 .* orphan$" | grep -vq users
}
check "orphan: unc -q 0 has exited, its FIN-WAIT-2 is listed without owner (-e: orphan)" \
    eval 'for i in $(seq 50); do orphan_line && break; sleep 0.1; done; orphan_line'

# TIME-WAIT: unc's FIN, then the kernel's
in_ns_t 20 "$san/unc" "$host" 8201 </dev/null >/dev/null 2>&1
check "TIME-WAIT: unc closed first, then the kernel (ustat -ta)" \
    wait_line "^TIME-WAIT +0 +0 +$stack:[0-9]+ +$host:8201$" -ta
check "-o: TIME-WAIT has timer:(timewait,...)" \
    eval "line_of 'TIME-WAIT .*:8201 ' -tao | grep -qE 'timer:\(timewait,[0-9.]+(ms|sec|min)[0-9a-z]*,0\)'"

# SYN-RECV: a SYN from an address whose ARP nobody answers
in_ns_t 10 hping3 -q -S -c 1 -p 7 -a "$ghost" "$stack" >/dev/null 2>&1
check "SYN-RECV: hping3's SYN from $ghost on the listener's queue (ustat -ta)" \
    wait_line "^SYN-RECV +0 +0 +$stack:7 +$ghost:[0-9]+$" -ta
check "-o: SYN-RECV retransmits its SYN,ACK: timer:(on,...)" \
    eval "line_of 'SYN-RECV ' -tao | grep -qE 'timer:\(on,[0-9.]+(ms|sec)[0-9a-z]*,[0-9]+\)'"

arp_ghost() {
    local i
    for ((i = 0; i < 100; i++)); do
        ustat arp | grep -q "^$ghost dev $tap INCOMPLETE" && return 0
        sleep 0.1
    done
    ustat arp | sed 's/^/#   /'
    return 1
}
check "arp: $ghost INCOMPLETE (the SYN,ACK waits for it)" arp_ghost

# ---- what each option shows -------------------------------------------------

check "default: no LISTEN, TIME-WAIT or SYN-RECV" \
    no_line '^(LISTEN|TIME-WAIT|SYN-RECV) ' -t
check "-l: only listeners" no_line '^(ESTAB|CLOSE-WAIT|FIN-WAIT|TIME-WAIT|SYN-RECV)' -tl
check "-a: every state at once" eval '[ "$(ustat -ta | awk "NR > 1 { print \$1 }" | sort -u | grep -cE "^(LISTEN|ESTAB|CLOSE-WAIT|FIN-WAIT-2|TIME-WAIT|SYN-RECV)$")" -eq 6 ]'

# -i: the ESTAB connection's figures
info=$(ustat -tni | grep -A1 -E "^ESTAB .*$stack:7 " | tail -n 1)
echo "# -i: $info"
field() { sed -n "s/.* $1:\([0-9.\/,]*\).*/\1/p" <<<" $info"; }
check "-i: rto >= 200 ms: $(field rto)" test "$(field rto | cut -d. -f1)" -ge 200
check "-i: rtt:RTT/VAR present: $(field rtt)" eval '[[ "$(field rtt)" =~ ^[0-9.]+/[0-9.]+$ ]]'
check "-i: mss 1460, less 12 with timestamps: $(field mss)" \
    eval '[ "$(field mss)" = 1460 ] || { [ "$(field mss)" = 1448 ] && grep -q " ts " <<<" $info"; }'
check "-i: cwnd >= 1 segment: $(field cwnd)" test "$(field cwnd)" -ge 1
check "-i: bytes_acked 5 (the echo): $(field bytes_acked)" test "$(field bytes_acked)" = 5
check "-i: bytes_received 5: $(field bytes_received)" test "$(field bytes_received)" = 5
check "-i: snd_wnd (the kernel's window) > 0: $(field snd_wnd)" test "$(field snd_wnd)" -gt 0
check "-i: unacked 0, retrans 0: $(field unacked) $(field retrans)" \
    test "$(field unacked)$(field retrans)" = 00
check "-i: wscale:SND,RCV present: $(field wscale)" eval '[[ "$(field wscale)" =~ ^[0-9]+,[0-9]+$ ]]'

check "-p: the listener belongs to echo-server, pid $epid" \
    eval "line_of '^LISTEN .*:7 ' -tlp | grep -q 'users:((\"echo-server\",pid=$epid))'"
check "-e: uid:0 and sk:ID on the listener" \
    eval "line_of '^LISTEN .*:7 ' -tle | grep -qE 'uid:0 sk:[0-9]+'"

spawn_app udp-echo-server "$tmp/uecho.log" "echoing on" "$san/udp-echo-server" -p 9000
upid=$US_LAST_PID
check "-ul: the UDP socket on :9000, UNCONN, pid $upid" \
    eval "wait_line '^UNCONN .*0\.0\.0\.0:9000 .*pid=$upid' -ulp >/dev/null"
check "-u (default): no unconnected UDP socket" no_line ':9000 ' -u
check "-a: both protocols, with a Netid column" \
    eval "ustat -a | grep -qE '^udp +UNCONN .*:9000 ' && ustat -a | grep -qE '^tcp +LISTEN .*:7 '"

# LAST-ACK: every frame in dropped (ustack-ctl), then unc's FIN after the
# kernel's: its ACK never comes, until the faults are off again
out=$(in_ns "$san/ustack-ctl" fault loss in:100 2>&1)
check "ustack-ctl fault loss in:100: in only" \
    eval "grep -q '^in: *loss 100% ' <<<\"\$out\" && grep -q '^out: *loss 0% ' <<<\"\$out\""
kill -USR1 "$cw_pid"
check "LAST-ACK: unc's FIN after the kernel's, its ACK dropped (ustat -to)" \
    wait_line "^LAST-ACK +0 +[0-9]+ +$stack:8100 .*timer:\(on," -to
in_ns "$san/ustack-ctl" fault off >/dev/null
gone_last_ack() {
    local i
    for ((i = 0; i < 100; i++)); do
        ustat -ta | grep -q '^LAST-ACK ' || return 0
        sleep 0.1
    done
    ustat -tao | sed 's/^/#   /'
    return 1
}
check "LAST-ACK: gone once the faults are off (the FIN sent again is acknowledged)" \
    gone_last_ack

# ---- more connections than one reply holds (CTL_CONNS pages of 256) -----------

spawn_app "echo-server -m poll" "$tmp/echo-poll.log" "echoing on" \
    "$san/echo-server" -p 7100 -m poll || exit 1
many=600
us_spawn "$ns" "$tmp/many.log" "$py" -c '
import socket, sys, threading
held = []
for i in range(int(sys.argv[3])):
    held.append(socket.create_connection((sys.argv[1], int(sys.argv[2]))))
print("connected", len(held), flush=True)
threading.Event().wait()
' "$stack" 7100 "$many"
many_pid=$US_LAST_PID
wait_for "$tmp/many.log" connected 60 || notok "the kernel opens $many connections"
n_many() { ustat -tn | grep -cE "^ESTAB .*$stack:7100 "; }
check "pages: all $many connections to :7100 listed ($(n_many))" \
    eval '[ "$(n_many)" -eq "$many" ]'
us_stop "$many_pid" TERM

# ---- texts -------------------------------------------------------------------

in_ns_t 5 sh -c "printf x | nc -u -w 1 $stack 9999" >/dev/null 2>&1
s=$(ustat -s)
printf '%s\n' "$s" >"$tmp/summary.txt"
check "-s: the states summary line" grep -qE '^TCP: [0-9]+ \(estab [0-9]+' "$tmp/summary.txt"
check "-s: the engine's counters (tcp.established)" \
    grep -qE '^ +tcp\.established +[1-9]' "$tmp/summary.txt"
check "-s: the drop a datagram to closed port 9999 provoked (udp.rx_no_port)" \
    grep -qE '^ +udp\.rx_no_port +[1-9]' "$tmp/summary.txt"
check "-s: the control socket's and the sockets' counters" \
    eval "grep -qE '^ +ctl\.requests +[1-9]' $tmp/summary.txt && grep -qE '^ +sock\.opened +[1-9]' $tmp/summary.txt"
check "-s: both fault lines" eval "[ \"\$(grep -c '^fault \(in\|out\): frames=' $tmp/summary.txt)\" -eq 2 ]"

hmac=$(in_ns cat "/sys/class/net/$tap/address")
check "arp: the kernel's $host at $hmac, REACHABLE" \
    eval "ustat arp | grep -q '^$host dev $tap lladdr $hmac REACHABLE'"
check "route: the subnet, with our source address" \
    eval "ustat route | grep -q '^10\.0\.0\.0/24 dev $tap proto kernel scope link src $stack'"
check "route: the default route via $host" eval "ustat route | grep -q '^default via $host dev $tap'"
check "ustat bogus: refused with a reason, exit 2" \
    eval "ustat bogus 2>&1 | grep -q 'not a command'; [ \"\${PIPESTATUS[0]}\" = 2 ]"

# requests about the daemon that make no sense: an error reply each, and
# the daemon answers on
bad_admin() {
    in_ns_t 10 "$py" - "$USTACK_CTL" <<'PY'
import errno, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
def ask(mtype, body, seq):
    s.send(struct.pack("=HBBIIi", 0x5553, 2, mtype, 16 + len(body), seq, 0) + body)
    r = s.recv(70000)
    return struct.unpack("=HBBIIi", r[:16])[5], r[16:]
CONNS, TEXT, FAULT = 16, 17, 18
ok = True
for what, off in ((0, 0), (99, 0), (1, 1 << 30)):
    st, _ = ask(TEXT, struct.pack("=II", what, off), 1)
    ok &= st == -errno.EINVAL
st, msg = ask(FAULT, b"loss lots", 2)
ok &= st == -errno.EINVAL and b"--loss 'lots'" in msg
st, _ = ask(CONNS, struct.pack("=I", 1 << 30), 3)  # past the end: no rows
ok &= st == 0
st, text = ask(TEXT, struct.pack("=II", 3, 0), 4)
ok &= st > 0 and b"dev" in text
print("fine" if ok else "wrong")
PY
}
check "CTL_TEXT of no text or past its end, CTL_FAULT nonsense: EINVAL, and answered after" \
    eval '[ "$(bad_admin)" = fine ]'

# ---- faults changed while the daemon runs -------------------------------------

head -c $((3 * 1024 * 1024)) /dev/urandom >"$tmp/data"
us_spawn "$ns" "$tmp/unc-rx.err" sh -c "exec $san/unc -l 8300 >$tmp/data.rx </dev/null"
rx_pid=$US_LAST_PID
wait_line '^LISTEN .*:8300 ' -tl >/dev/null
# a paced kernel sender: 32 KiB every 20 ms (about 1.6 MB/s), so that the
# loss is turned on and off while the bytes flow
us_spawn "$ns" "$tmp/sender.log" "$py" -c '
import socket, sys, time
data = open(sys.argv[3], "rb").read()
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
for i in range(0, len(data), 32768):
    s.sendall(data[i:i + 32768])
    time.sleep(0.02)
s.shutdown(socket.SHUT_WR)
while s.recv(65536):
    pass
print("sent", flush=True)
' "$stack" 8300 "$tmp/data"
tx_pid=$US_LAST_PID
sleep 0.3
# fault_ratio DIR: "dropped frames" of that direction in $shown
fault_ratio() {
    sed -n "s/^fault $1: frames=\([0-9]*\) .*dropped=\([0-9]*\) .*/\2 \1/p" <<<"$shown"
}
shown=$(in_ns "$san/ustack-ctl" fault show) # what LAST-ACK's loss left
read -r d0_in f0_in <<<"$(fault_ratio in)"
out=$(in_ns "$san/ustack-ctl" fault loss 10% 2>&1)
check "ustack-ctl fault loss 10%: accepted, both directions at 10%" \
    eval "grep -q '^in: *loss 10% ' <<<\"\$out\" && grep -q '^out: *loss 10% ' <<<\"\$out\""
sleep 1
shown=$(in_ns "$san/ustack-ctl" fault show)
printf '%s\n' "$shown" | sed 's/^/#   /'
read -r d_in f_in <<<"$(fault_ratio in)"
d_in=$((d_in - d0_in))
f_in=$((f_in - f0_in))
check "fault in: enough frames to judge the rate while loss was on ($f_in >= 300)" \
    test "${f_in:-0}" -ge 300
check "fault in: dropped near 10% ($d_in of $f_in: 5..16%)" \
    eval '[ $((d_in * 100)) -ge $((f_in * 5)) ] && [ $((d_in * 100)) -le $((f_in * 16)) ]'
read -r d_out f_out <<<"$(fault_ratio out)"
check "fault out: some of ustack's $f_out frames dropped ($d_out)" test "${d_out:-0}" -gt 0
out=$(in_ns "$san/ustack-ctl" fault off 2>&1)
check "ustack-ctl fault off: every setting back to zero" \
    eval "[ \"\$(grep -c 'loss 0% dup 0% reorder 0% corrupt 0% delay 0ms jitter 0ms rate unlimited' <<<\"\$out\")\" -eq 2 ]"
wait_for "$tmp/sender.log" sent 60 || notok "the kernel sender finished"
us_stop "$rx_pid" CONT 20
check "the transfer through the loss completed byte-identical (3 MiB)" same "$tmp/data" "$tmp/data.rx"
us_stop "$tx_pid" TERM

chmod 711 "$tmp" # uid $nobody reaches the control socket inside
chgrp "$nobody" "$USTACK_CTL"
out=$(in_ns setpriv --reuid "$nobody" --regid "$nobody" --clear-groups \
    "$san/ustack-ctl" fault loss 50 2>&1)
rc=$?
echo "# as uid $nobody: $out"
check "uid $nobody: ustack-ctl fault loss 50 is EPERM (exit 1)" \
    eval "[ $rc = 1 ] && grep -q 'Operation not permitted' <<<\"\$out\""
check "uid $nobody may look: ustack-ctl fault show" \
    eval "in_ns setpriv --reuid $nobody --regid $nobody --clear-groups $san/ustack-ctl fault show | grep -q '^in: *loss 0% '"
out=$(in_ns "$san/ustack-ctl" fault loss 200 2>&1)
rc=$?
check "ustack-ctl fault loss 200: refused saying why (exit 2): $out" \
    eval "[ $rc = 2 ] && grep -q 'percentage' <<<\"\$out\""

# ---- the end ------------------------------------------------------------------

us_stop "$dpid" INT
check "the daemon exits 0 on SIGINT" test "$US_STATUS" = 0
cat "$tmp"/*.log "$tmp"/*.err >>"$tmp/clients.log" 2>/dev/null
check "no sanitizer report" eval "! grep -qE 'ERROR: AddressSanitizer|runtime error:' $tmp/clients.log $log"
exit "$fail"
