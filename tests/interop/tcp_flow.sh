#!/usr/bin/env bash
# tests/interop/tcp_flow.sh - how ustack's TCP flows and ends against
# Linux's, over a TAP.
#
# In a namespace made here (deleted on exit, even on failure): the
# sanitizer build of ustackd on ustap0 at 10.0.0.2/24, with its control
# socket and its capture (--pcap) in our temp dir; the kernel on the host
# side at 10.0.0.1/24. Checks:
#   close     who sends the first FIN, asserted twice over: in the daemon's
#             capture (tshark: ip.src of the connection's first FIN) and in
#             the engine's logged transitions (CLOSE_WAIT for the passive
#             side, FIN_WAIT_1 .. TIME_WAIT for the active one):
#               - the peer first: kernel nc -N to echo-server (the client's
#                 FIN, then the server's)
#               - ustack first, as a server: ustack-services daytime to a
#                 kernel nc that only reads
#               - ustack first, as a client: unc sending a file to a
#                 kernel reader
#   halfclose unc sends a file and shuts down its sending side; the kernel
#             peer reads to EOF, and only then replies (1 MiB) and closes:
#             the reply reaches unc intact after its own FIN
#   refused   unc to a closed kernel port: "Connection refused", exit 1
#   concurrent
#             100 kernel connections at once (one python3 process), each
#             echoing its own random 64 KiB through echo-server -m poll, each
#             checked against exactly its own bytes; echo-client -c 100
#             against a kernel echo server that records what each
#             connection carried: 100 streams, pairwise different (the
#             client's pattern is per connection), all echoed intact
#   zerowin   a kernel receiver with SO_RCVBUF 4096 that stops reading for
#             2 s after the first 64 KiB: unc's 8 MiB arrive whole (sha256),
#             the kernel advertised a zero window, and the daemon's counters
#             (SIGUSR1) show tcp.persist_probes grew: ustack probed it
#   and no sanitizer report from the daemon or any client; the daemon
#   exits 0 on SIGINT.
# Root needed. Prints TAP-style lines; exit 1 on any failure. About 10 s.
# shellcheck disable=SC2317,SC2016 # check() runs functions; eval quotes
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/ns-lib.bash
. tests/lib.bash

daemon=build/san/ustackd
san=build/san
py=/usr/bin/python3
ns=ustack-tcpflow-$$
tap=ustap0
stack=10.0.0.2
host=10.0.0.1
fail=0
tmp=$(mktemp -d) || exit 1
log=$tmp/daemon.log
cap=$tmp/cap.pcap
export USTACK_CTL=$tmp/ctl.sock

us_traps
trap test_cleanup EXIT

# kernel_listening PORT: wait until a kernel socket listens on PORT
kernel_listening() {
    local i
    for ((i = 0; i < 100; i++)); do
        in_ns ss -Htln "sport = :$1" 2>/dev/null | grep -q . && return 0
        sleep 0.05
    done
    return 1
}

# counters: SIGUSR1, then the daemon's dump after it, as "name value" lines
# (counters that are zero are not printed). Also flushes the capture.
counters() {
    local before i
    before=$(wc -c <"$log")
    kill -USR1 "$dpid" 2>/dev/null || return 1
    for ((i = 0; i < 100; i++)); do
        if tail -c +"$((before + 1))" "$log" | grep -q 'counters non-zero'; then
            tail -c +"$((before + 1))" "$log" |
                sed -n '/^ustackd: counters/,/counters non-zero/p' |
                awk 'NF == 2 && $1 ~ /^[a-z0-9_]+\.[a-z0-9_]+$/ { print $1, $2 }'
            return 0
        fi
        sleep 0.05
    done
    return 1
}
# counter NAME < counters: its value (0 when not printed)
counter() {
    awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }'
}

# eventually CMD...: CMD succeeds within about 3 s (the daemon may not have
# taken, or recorded, the last frames yet); else CMD's last output, and 1
eventually() {
    local i out
    for ((i = 0; i < 30; i++)); do
        if out=$("$@"); then
            return 0
        fi
        sleep 0.1
    done
    [ -n "$out" ] && printf '%s\n' "$out"
    return 1
}

# fins KPORT: the FINs of the connection whose kernel-side port is KPORT,
# in capture order, as "src:sport>dst:dport" lines (the capture is flushed
# by counters() first)
fins() {
    counters >/dev/null
    tshark -r "$cap" -Y "tcp.flags.fin == 1 && tcp.port == $1" -T fields \
        -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport 2>/dev/null |
        awk '{ printf "%s:%s>%s:%s\n", $1, $2, $3, $4 }'
}
# first_fin_from KPORT SRC: the connection's first FIN came from SRC, and
# the other side answered with its own (SRC may have sent its FIN again in
# between: a tail loss probe or a retransmission before the ACK came)
first_fin_from() {
    local f
    f=$(fins "$1")
    if [ "$(head -n 1 <<<"$f" | cut -d: -f1)" = "$2" ] &&
        cut -d: -f1 <<<"$f" | grep -qvx "$2"; then
        return 0
    fi
    echo "#   FINs in capture order: $(tr '\n' ' ' <<<"$f")"
    return 1
}
# transitions LPORT RPORT: the engine's logged state changes of one
# connection (10.0.0.2:LPORT <-> 10.0.0.1:RPORT), as "FROM->TO" words
transitions() {
    grep -E " $stack:$1 $host:$2 [A-Z_0-9]+ -> " "$log" |
        sed -E 's/.* ([A-Z_0-9]+) -> ([A-Z_0-9]+).*/\1->\2/' | tr '\n' ' '
}
# engine_closed LPORT RPORT WORDS...: each word is among the transitions
engine_closed() {
    local t w
    t=$(transitions "$1" "$2")
    shift 2
    for w in "$@"; do
        if ! grep -qw -- "$w" <<<"$t"; then
            echo "#   transitions: $t"
            return 1
        fi
    done
}

need_built tcp_flow "$daemon" "$san/echo-server" "$san/echo-client" "$san/unc" \
    "$san/ustack-services" "$san/ustat"
need_tools tcp_flow nc tshark sha256sum ss "$py"
need_netns tcp_flow

# ---- the daemon ----------------------------------------------------------------

# --log info: the engine logs every state change, which the close checks read
start_daemon --pcap "$cap" --log info

spawn_app "echo-server -m poll" "$tmp/echo.log" "echoing on" \
    "$san/echo-server" -p 7 -m poll || exit 1
spawn_app ustack-services "$tmp/services.log" "TCP echo" "$san/ustack-services" \
    -o 1000 || exit 1 # daytime on 1013

# ---- who closes first ------------------------------------------------------------

head -c $((256 * 1024)) /dev/urandom >"$tmp/in.256k"

# the peer: kernel nc -N sends, then FIN; echo-server closes after the echo
in_ns_t 20 nc -N -p 41001 "$stack" 7 <"$tmp/in.256k" >"$tmp/out.nc" 2>"$tmp/nc.err"
check "peer closes first: kernel nc -N to echo-server, 256 KiB echoed identical" \
    same "$tmp/in.256k" "$tmp/out.nc"
check "peer closes first: the capture's first FIN is the kernel's ($host), then ustack's" \
    eventually first_fin_from 41001 "$host"
check "peer closes first: ustack's side went CLOSE_WAIT -> LAST_ACK -> CLOSED" \
    eventually engine_closed 7 41001 'ESTABLISHED->CLOSE_WAIT' 'CLOSE_WAIT->LAST_ACK' 'LAST_ACK->CLOSED'

# ustack as the server: daytime sends its line and closes; nc only reads
out=$(in_ns_t 10 nc -p 41002 "$stack" 1013 </dev/null 2>&1)
check "ustack closes first (server): daytime line received: '$(tr -d '\r' <<<"$out")'" \
    grep -qE '[0-9]{4} [0-9:]{8}' <<<"$out"
check "ustack closes first (server): the capture's first FIN is ustack's ($stack), then the kernel's" \
    eventually first_fin_from 41002 "$stack"
check "ustack closes first (server): ustack's side went FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT" \
    eventually engine_closed 1013 41002 'ESTABLISHED->FIN_WAIT_1' 'FIN_WAIT_1->FIN_WAIT_2' \
    'FIN_WAIT_2->TIME_WAIT'

# ustack as the client: unc sends a file and half-closes; the kernel reader
# sees EOF and closes after
in_ns_t 20 nc -l "$host" 41003 >"$tmp/out.k3" 2>/dev/null &
ncpid=$!
kernel_listening 41003
in_ns_t 20 "$san/unc" "$host" 41003 <"$tmp/in.256k" >/dev/null 2>"$tmp/unc3.err"
rc=$?
wait "$ncpid"
check "ustack closes first (client): unc sent 256 KiB to a kernel reader (unc exit $rc)" \
    eval 'same "$tmp/in.256k" "$tmp/out.k3" && [ "$rc" = 0 ]'
check "ustack closes first (client): the capture's first FIN is ustack's ($stack), then the kernel's" \
    eventually first_fin_from 41003 "$stack"
uport=$(tshark -r "$cap" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 41003" \
    -T fields -e tcp.srcport 2>/dev/null | head -n 1)
check "ustack closes first (client): ustack's side (port ${uport:-?}) went FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT" \
    eventually engine_closed "${uport:-0}" 41003 'ESTABLISHED->FIN_WAIT_1' \
    'FIN_WAIT_1->FIN_WAIT_2' 'FIN_WAIT_2->TIME_WAIT'

# ---- half-close ------------------------------------------------------------------

# the kernel side reads to EOF (unc's FIN), then replies with the sha256 of
# what it read and 1 MiB, then closes
head -c $((1024 * 1024)) /dev/urandom >"$tmp/reply.bin"
cat >"$tmp/half.py" <<'EOF'
import hashlib, socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], int(sys.argv[2])))
l.listen(1)
print("ready", flush=True)
c, _ = l.accept()
h = hashlib.sha256()
while True:
    d = c.recv(1 << 16)
    if not d:
        break
    h.update(d)
print("got EOF", flush=True)
c.sendall((h.hexdigest() + "\n").encode() + open(sys.argv[3], "rb").read())
c.close()
EOF
us_spawn "$ns" "$tmp/half.log" "$py" "$tmp/half.py" "$host" 41004 "$tmp/reply.bin"
hpid=$US_LAST_PID
wait_for "$tmp/half.log" ready
{
    sha256sum <"$tmp/in.256k" | cut -d' ' -f1
    cat "$tmp/reply.bin"
} >"$tmp/reply.want"
in_ns_t 20 "$san/unc" "$host" 41004 <"$tmp/in.256k" >"$tmp/reply.got" 2>"$tmp/unc4.err"
rc=$?
us_stop "$hpid" TERM 5
check "half-close: unc sent 256 KiB and FIN, then got the 1 MiB reply intact (unc exit $rc)" \
    eval 'same "$tmp/reply.want" "$tmp/reply.got" && [ "$rc" = 0 ]'
check "half-close: ustack's FIN came first, then the kernel's" \
    eventually first_fin_from 41004 "$stack"
# frame numbers: ustack's FIN, and the kernel's first byte of the reply
ufin=$(tshark -r "$cap" -Y "tcp.flags.fin == 1 && tcp.dstport == 41004" -T fields \
    -e frame.number 2>/dev/null | head -n 1)
kdata=$(tshark -r "$cap" -Y "tcp.srcport == 41004 && tcp.len > 0" -T fields \
    -e frame.number 2>/dev/null | head -n 1)
check "half-close: the reply's first byte (frame ${kdata:-none}) came after ustack's FIN (frame ${ufin:-none})" \
    test "${ufin:-0}" -gt 0 -a "${kdata:-0}" -gt "${ufin:-0}"

# ---- connection refused -----------------------------------------------------------

out=$(in_ns_t 10 "$san/unc" "$host" 9 </dev/null 2>&1)
rc=$?
check "unc to a closed kernel port: '$out', exit $rc" \
    eval 'grep -q "Connection refused" <<<"$out" && [ "$rc" = 1 ]'

# ---- 100 connections at once ---------------------------------------------------------

out=$(in_ns_t 60 "$py" - "$stack" 7 100 65536 <<'EOF' 2>&1
import os, selectors, socket, sys, time
host, port, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
sel = selectors.DefaultSelector()
conns = []
for i in range(n):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex((host, port))
    c = {"s": s, "data": os.urandom(size), "sent": 0, "got": bytearray(), "done": False}
    conns.append(c)
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
left, deadline = n, time.time() + 45
while left and time.time() < deadline:
    for key, ev in sel.select(1):
        c = key.data
        s = c["s"]
        if ev & selectors.EVENT_WRITE:
            try:
                c["sent"] += s.send(c["data"][c["sent"]:c["sent"] + 65536])
            except (BlockingIOError, InterruptedError):
                pass
            if c["sent"] == size:
                s.shutdown(socket.SHUT_WR)
                sel.modify(s, selectors.EVENT_READ, c)
        if ev & selectors.EVENT_READ:
            try:
                d = s.recv(1 << 16)
            except (BlockingIOError, InterruptedError):
                continue
            if d:
                c["got"] += d
            else:
                sel.unregister(s)
                s.close()
                c["done"] = True
                left -= 1
good = sum(1 for c in conns if c["done"] and c["got"] == c["data"])
# a crossed stream would show as another connection's bytes
crossed = sum(1 for c in conns for o in conns if o is not c and c["got"][:64] == o["data"][:64])
print("%d/%d identical, %d unfinished, %d crossed" % (good, n, left, crossed))
EOF
)
check "100 kernel connections at once to echo-server -m poll, each its own 64 KiB echoed: $out" \
    test "$out" = "100/100 identical, 0 unfinished, 0 crossed"

# a kernel echo server that logs, per connection, what it carried
cat >"$tmp/kecho.py" <<'EOF'
import hashlib, socket, sys, threading
lock = threading.Lock()
def serve(c, peer):
    h, n = hashlib.sha256(), 0
    with c:
        while True:
            d = c.recv(1 << 16)
            if not d:
                break
            h.update(d)
            n += len(d)
            c.sendall(d)
    with lock:
        print("conn", peer[1], n, h.hexdigest(), flush=True)
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], int(sys.argv[2])))
l.listen(256)
print("ready", flush=True)
while True:
    c, peer = l.accept()
    threading.Thread(target=serve, args=(c, peer), daemon=True).start()
EOF
us_spawn "$ns" "$tmp/kecho.log" "$py" "$tmp/kecho.py" "$host" 7007
if wait_for "$tmp/kecho.log" ready; then
    out=$(in_ns_t 60 "$san/echo-client" -n 64K -c 100 "$host" 7007 2>&1)
    rc=$?
    echo "# echo-client -n 64K -c 100 to the kernel: $(tail -n 1 <<<"$out")"
    check "echo-client -c 100 to a kernel echo server: every connection echoed intact" \
        test "$rc" = 0
    for ((i = 0; i < 40; i++)); do
        [ "$(grep -c '^conn ' "$tmp/kecho.log")" -ge 100 ] && break
        sleep 0.05
    done
    n=$(grep -c '^conn .* 65536 ' "$tmp/kecho.log")
    d=$(awk '$1 == "conn" { print $4 }' "$tmp/kecho.log" | sort -u | wc -l)
    check "echo-client -c 100: the kernel saw 100 connections of 64 KiB ($n), pairwise different ($d distinct)" \
        test "$n" = 100 -a "$d" = 100
else
    notok "a kernel echo server on $host:7007 starts"
fi

# ---- zero window ---------------------------------------------------------------------

head -c $((8 * 1024 * 1024)) /dev/urandom >"$tmp/big"
want=$(sha256sum <"$tmp/big" | cut -d' ' -f1)
cat >"$tmp/zwin.py" <<'EOF'
import hashlib, socket, sys, time
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # inherited by the child
l.bind((sys.argv[1], int(sys.argv[2])))
l.listen(1)
print("ready", flush=True)
c, _ = l.accept()
h, n = hashlib.sha256(), 0
while n < 65536:
    d = c.recv(65536 - n)
    if not d:
        break
    h.update(d)
    n += len(d)
print("stalling after", n, flush=True)
time.sleep(2)
while True:
    d = c.recv(1 << 16)
    if not d:
        break
    h.update(d)
    n += len(d)
print("got", n, h.hexdigest(), flush=True)
EOF
us_spawn "$ns" "$tmp/zwin.log" "$py" "$tmp/zwin.py" "$host" 41005
zpid=$US_LAST_PID
wait_for "$tmp/zwin.log" ready
probes0=$(counters | counter tcp.persist_probes)
t0=$(date +%s.%N)
in_ns_t 40 "$san/unc" "$host" 41005 <"$tmp/big" >/dev/null 2>"$tmp/unc5.err"
rc=$?
t1=$(date +%s.%N)
wait_for "$tmp/zwin.log" '^got ' 10
probes1=$(counters | counter tcp.persist_probes)
us_stop "$zpid" TERM 5
got=$(awk '$1 == "got" { print $2, $3 }' "$tmp/zwin.log")
echo "# unc 8 MiB to a reader stalled for 2 s: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s, persist probes $probes0 -> $probes1"
check "zero window: 8 MiB through a 4 KiB receive buffer that stalls 2 s, sha256 equal (unc exit $rc)" \
    test "$got" = "$((8 * 1024 * 1024)) $want" -a "$rc" = 0
zeros=$(tshark -r "$cap" -Y "tcp.srcport == 41005 && tcp.window_size == 0" -T fields \
    -e frame.number 2>/dev/null | wc -l)
check "zero window: the kernel advertised a zero window ($zeros segments)" test "$zeros" -gt 0
check "zero window: the daemon's tcp.persist_probes grew ($probes0 -> $probes1)" \
    test "$probes1" -gt "$probes0"

# ---- the end -----------------------------------------------------------------------

for p in "${US_PIDS[@]}"; do
    [ "$p" = "$dpid" ] || us_stop "$p" TERM 5
done
if us_stop "$dpid" INT 20 && [ "$US_STATUS" = 0 ]; then
    ok "SIGINT: daemon exits 0"
else
    notok "SIGINT: daemon exits 0 (status $US_STATUS)"
fi
check "daemon log has no sanitizer report" \
    eval '! grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$log"'
check "clients have no sanitizer report" \
    eval '! grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$tmp"/*.log "$tmp"/*.err 2>/dev/null'
exit "$fail"
