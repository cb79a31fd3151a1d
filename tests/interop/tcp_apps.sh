#!/usr/bin/env bash
# tests/interop/tcp_apps.sh - TCP sockets of libustack and the TCP apps
# over ustackd, against the kernel's TCP.
#
# In a namespace made here (deleted on exit, even on failure): the
# sanitizer build of ustackd on ustap0 at 10.0.0.2/24 with its control
# socket in our own temp dir, the kernel on the host side at 10.0.0.1/24.
# Checks:
#   api       build/san/itest/tcp_api: connect (blocking, non-blocking,
#             refused, pending, EALREADY/EISCONN), accept/accept4, send/recv
#             flags, shutdown, RST both ways, options, TCP_INFO,
#             TCP_CONGESTION (names and errors beside a kernel socket's,
#             inherited from a listener); errnos as Linux gives them
#   echo      build/san/echo-server in each mode (seq, fork, poll) against
#             kernel nc (1 MiB files, cmp; several clients at once) and
#             against build/san/echo-client through the daemon (10.0.0.2 to
#             itself)
#   client    build/san/echo-client against a kernel echo server (python3)
#             on 10.0.0.1: one big stream and many connections
#   unc       build/san/unc to kernel nc -l and kernel nc to unc -l: 100 MiB
#             each way, sha256 compared
#   services  build/san/ustack-services against kernel nc: echo, discard,
#             daytime, chargen (RFC 864 lines), UDP echo, and 20 echo
#             clients at once
#   cc        ustackd --cc bogus exits 2 saying why; a daemon started with
#             --cc reno gives new sockets reno (tcp_api --cc-default)
#   and no sanitizer report from the daemon or any client; the daemon
#   exits 0 on SIGINT.
# Root needed. Prints TAP-style lines (throughput as # lines); exit 1 on
# any failure. UNC_MB (default 100) sets the size of the unc transfers.
# shellcheck disable=SC2317,SC2001,SC2016 # check() runs functions; sed prefixes; eval quotes
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/ns-lib.bash
. tests/lib.bash

daemon=build/san/ustackd
san=build/san
itest=build/san/itest
py=/usr/bin/python3
ns=ustack-tcpapps-$$
tap=ustap0
stack=10.0.0.2
host=10.0.0.1
silent=10.0.0.77  # on the link, nobody answers
kecho_port=7007   # the kernel's echo service on $host
unc_mb=${UNC_MB:-100}
fail=0
tmp=$(mktemp -d) || exit 1
log=$tmp/daemon.log
export USTACK_CTL=$tmp/ctl.sock

us_traps
trap test_cleanup EXIT

# slow_reader PORT MiB: a kernel client that sends MiB to $stack:PORT
# without reading its echo for a second (the server must stop reading, not
# drop or buffer without bound), then reads it all; prints a verdict.
slow_reader() {
    in_ns_t 60 "$py" - "$stack" "$1" "$2" <<'EOF'
import os, socket, sys, threading, time
data = os.urandom(int(sys.argv[3]) << 20)
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send)
t.start()
time.sleep(1)
got = bytearray()
while True:
    d = s.recv(1 << 16)
    if not d:
        break
    got += d
t.join()
print("identical" if got == data else "differs: %d of %d bytes" % (len(got), len(data)))
EOF
}
# diag: what the daemon and the kernel say of the connections, as # lines
diag() {
    in_ns "$san/ustat" -taniepo 2>&1 | sed 's/^/#   ustat: /'
    in_ns ss -tnio state all 2>&1 | sed 's/^/#   ss: /'
}
# wait_exit PID SECS: wait for a process of ours to end by itself, with a
# diagnosis if it does not; US_STATUS as us_stop sets it.
wait_exit() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$1" 2>/dev/null; then
        echo "#   still running after $2 s:"
        diag
    fi
    us_stop "$1" CONT 1
}

need_built tcp_apps "$daemon" "$san/echo-server" "$san/echo-client" "$san/unc" \
    "$san/ustack-services" "$san/ustat" "$itest/tcp_api"
need_tools tcp_apps nc sha256sum "$py"
need_netns tcp_apps

# ---- the daemon and a kernel echo server ----------------------------------

start_daemon --log warn

kernel_echo "$tmp/kecho.log" "$host" "$kecho_port"
if ! wait_for "$tmp/kecho.log" ready; then
    notok "a kernel echo server on $host:$kecho_port starts"
    exit 1
fi

# ---- api ---------------------------------------------------------------------

relay tcp_api in_ns_t 150 "$itest/tcp_api" "$host" "$stack" "$silent" 6000

# ---- echo-server in each mode ------------------------------------------------

head -c $((1024 * 1024)) /dev/urandom >"$tmp/in.1m"
for mode in seq fork poll; do
    spawn_app "echo-server -m $mode" "$tmp/echo-$mode.log" "echoing on" \
        "$san/echo-server" -p 7 -m "$mode" || continue
    epid=$US_LAST_PID
    in_ns_t 30 nc -N "$stack" 7 <"$tmp/in.1m" >"$tmp/out.$mode" 2>"$tmp/nc.err"
    check "echo-server -m $mode: kernel nc -N, 1 MiB echoed identical" \
        same "$tmp/in.1m" "$tmp/out.$mode"
    # four clients at once (seq serves them one after the other)
    pids=()
    for k in 1 2 3 4; do
        in_ns_t 60 nc -N "$stack" 7 <"$tmp/in.1m" >"$tmp/out.$mode.$k" 2>/dev/null &
        pids+=($!)
    done
    wait "${pids[@]}"
    good=0
    for k in 1 2 3 4; do
        cmp -s "$tmp/in.1m" "$tmp/out.$mode.$k" && good=$((good + 1))
    done
    check "echo-server -m $mode: 4 kernel nc at once, 1 MiB each, all identical ($good/4)" \
        test "$good" = 4
    out=$(in_ns_t 60 "$san/echo-client" -n 8M "$stack" 7 2>&1)
    rc=$?
    echo "# echo-client -n 8M to echo-server -m $mode (local): $out"
    check "echo-client -n 8M to echo-server -m $mode through the daemon" test "$rc" = 0
    out=$(in_ns_t 60 "$san/echo-client" -n 1M -c 8 "$stack" 7 2>&1)
    rc=$?
    echo "# echo-client -n 1M -c 8 to echo-server -m $mode (local): $out"
    check "echo-client -n 1M -c 8 to echo-server -m $mode through the daemon" \
        test "$rc" = 0
    out=$(slow_reader 7 8 2>&1)
    check "echo-server -m $mode: a client not reading for 1 s gets all 8 MiB back: $out" \
        test "$out" = identical
    if [ "$mode" = fork ]; then
        sleep 0.5
        # shellcheck disable=SC2009 # the state column, not a name
        z=$(ps --ppid "$epid" -o stat= | grep -c Z)
        check "echo-server -m fork: every child reaped ($z zombies)" test "$z" = 0
    fi
    us_stop "$epid" TERM
    cat "$tmp/echo-$mode.log" >>"$tmp/clients.log"
done

# ---- echo-client against the kernel ------------------------------------------

out=$(in_ns_t 120 "$san/echo-client" -n 32M "$host" "$kecho_port" 2>&1)
rc=$?
echo "# echo-client -n 32M to the kernel: $out"
check "echo-client -n 32M to a kernel echo server" test "$rc" = 0
out=$(in_ns_t 120 "$san/echo-client" -n 1M -c 32 "$host" "$kecho_port" 2>&1)
rc=$?
echo "# echo-client -n 1M -c 32 to the kernel: $out"
check "echo-client -n 1M -c 32 to a kernel echo server" test "$rc" = 0
out=$(in_ns_t 30 "$san/echo-client" -n 1K "$host" 9 2>&1)
rc=$?
check "echo-client to a closed kernel port fails: $(tail -n 2 <<<"$out" | head -n 1)" \
    test "$rc" = 1

# ---- unc ---------------------------------------------------------------------

head -c $((unc_mb * 1024 * 1024)) /dev/urandom >"$tmp/big"
want=$(sha256sum <"$tmp/big" | cut -d' ' -f1)

# unc -> kernel nc -l
in_ns_t 120 nc -l "$host" 8001 >"$tmp/big.k" 2>"$tmp/ncl.err" &
ncpid=$!
sleep 0.3
t0=$(date +%s.%N)
in_ns_t 120 "$san/unc" "$host" 8001 <"$tmp/big" >"$tmp/unc1.out" 2>"$tmp/unc1.err"
rc=$?
wait "$ncpid"
t1=$(date +%s.%N)
got=$(sha256sum <"$tmp/big.k" | cut -d' ' -f1)
echo "# unc to kernel nc -l: ${unc_mb} MiB in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
sed 's/^/#   /' "$tmp/unc1.err"
check "unc $host 8001 < ${unc_mb} MiB: kernel nc -l got it all, sha256 equal (unc exit $rc)" \
    test "$got" = "$want" -a "$rc" = 0

# kernel nc -> unc -l
us_spawn "$ns" "$tmp/unc2.err" sh -c "exec $san/unc -l 8002 >$tmp/big.u </dev/null"
upid=$US_LAST_PID
for ((i = 0; i < 100; i++)); do
    in_ns "$san/ustat" -tl 2>/dev/null | grep -q 'LISTEN.*:8002' && break
    sleep 0.05
done
t0=$(date +%s.%N)
in_ns_t 120 nc -N "$stack" 8002 <"$tmp/big" 2>"$tmp/nc2.err"
wait_exit "$upid" 60
rc=$US_STATUS
t1=$(date +%s.%N)
got=$(sha256sum <"$tmp/big.u" | cut -d' ' -f1)
echo "# kernel nc to unc -l: ${unc_mb} MiB in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
sed 's/^/#   /' "$tmp/unc2.err"
check "kernel nc -N < ${unc_mb} MiB to unc -l 8002: sha256 equal (unc exit $rc)" \
    test "$got" = "$want" -a "$rc" = 0

# both ways at once: unc -l sends a file while receiving one
head -c $((4 * 1024 * 1024)) /dev/urandom >"$tmp/b4"
us_spawn "$ns" "$tmp/unc3.err" sh -c "exec $san/unc -l 8003 <$tmp/b4 >$tmp/b4.u"
upid=$US_LAST_PID
for ((i = 0; i < 100; i++)); do
    in_ns "$san/ustat" -tl 2>/dev/null | grep -q 'LISTEN.*:8003' && break
    sleep 0.05
done
in_ns_t 60 nc -N "$stack" 8003 <"$tmp/in.1m" >"$tmp/b4.k" 2>/dev/null &
ncpid=$!
wait_exit "$upid" 30
wait "$ncpid"
rc=$US_STATUS
check "unc -l and kernel nc -N both sending: each got the other's file (unc exit $rc)" \
    eval 'cmp -s "$tmp/in.1m" "$tmp/b4.u" && cmp -s "$tmp/b4" "$tmp/b4.k" && [ "$rc" = 0 ]'

# unc to a closed port: ECONNREFUSED, exit 1
out=$(in_ns_t 10 "$san/unc" "$host" 9 </dev/null 2>&1)
rc=$?
check "unc to a closed kernel port: '$out', exit 1" test "$rc" = 1

rm -f "$tmp/big" "$tmp/big.k" "$tmp/big.u"

# ---- ustack-services -----------------------------------------------------------

if spawn_app ustack-services "$tmp/services.log" "TCP echo" "$san/ustack-services"; then
    spid=$US_LAST_PID
    in_ns_t 30 nc -N "$stack" 7 <"$tmp/in.1m" >"$tmp/svc.echo" 2>/dev/null
    check "services: echo (7), kernel nc -N, 1 MiB identical" same "$tmp/in.1m" "$tmp/svc.echo"

    head -c $((16 * 1024 * 1024)) /dev/zero >"$tmp/z16"
    out=$(in_ns_t 30 nc -N "$stack" 9 <"$tmp/z16" 2>&1 | wc -c)
    rc=${PIPESTATUS[0]}
    check "services: discard (9) takes 16 MiB, sends nothing, closes ($out bytes back)" \
        test "$rc" = 0 -a "$out" = 0

    out=$(in_ns_t 10 nc "$stack" 13 </dev/null 2>&1)
    check "services: daytime (13): '$(tr -d '\r' <<<"$out")'" \
        grep -qE '^[A-Z][a-z]+day, [A-Z][a-z]+ [0-9]{2}, [0-9]{4} [0-9:]{8}-[A-Z]+'$'\r''?$' \
        <<<"$out"

    in_ns_t 10 nc "$stack" 19 </dev/null 2>/dev/null | head -n 200 >"$tmp/chargen"
    # RFC 864's lines: 72 characters each, each one character further on
    "$py" - "$tmp/chargen" >"$tmp/chargen.want" <<'EOF'
import sys
chars = [chr(c) for c in range(32, 127)]
n = sum(1 for _ in open(sys.argv[1], 'rb'))
start = 0
for line in open(sys.argv[1], 'rb'):
    start = chars.index(chr(line[0]))
    break
for i in range(n):
    sys.stdout.write(''.join(chars[(start + i + j) % 95] for j in range(72)) + '\r\n')
EOF
    check "services: chargen (19): 200 lines of RFC 864's rotation ($(wc -l <"$tmp/chargen") lines)" \
        eval '[ "$(wc -l <"$tmp/chargen")" = 200 ] && cmp -s "$tmp/chargen" "$tmp/chargen.want"'
    # a chargen client that reads slowly: the server must not buffer ahead
    in_ns_t 20 sh -c "nc $stack 19 </dev/null | { sleep 2; head -c 100 >/dev/null; }" \
        2>/dev/null
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$spid/status")
    check "services: after a slow chargen reader the server's RSS stays small (${rss} kB)" \
        test "${rss:-999999}" -lt 200000

    out=$(printf 'hello udp\n' | in_ns_t 5 nc -u -w 1 "$stack" 7 2>&1)
    check "services: UDP echo (7): '$out'" test "$out" = "hello udp"

    pids=()
    for k in $(seq 1 20); do
        in_ns_t 60 nc -N "$stack" 7 <"$tmp/in.1m" >"$tmp/svc.echo.$k" 2>/dev/null &
        pids+=($!)
    done
    wait "${pids[@]}"
    good=0
    for k in $(seq 1 20); do
        cmp -s "$tmp/in.1m" "$tmp/svc.echo.$k" && good=$((good + 1))
    done
    check "services: 20 kernel nc at once to echo, 1 MiB each, all identical ($good/20)" \
        test "$good" = 20
    out=$(in_ns_t 60 "$san/echo-client" -n 1M -c 16 "$stack" 7 2>&1)
    rc=$?
    echo "# echo-client -n 1M -c 16 to ustack-services (local): $out"
    check "services: echo-client -n 1M -c 16 to echo (7)" test "$rc" = 0
    out=$(slow_reader 7 8 2>&1)
    check "services: an echo client not reading for 1 s gets all 8 MiB back: $out" \
        test "$out" = identical
    sleep 1
    left=$(in_ns "$san/ustat" sockets | awk '$1 == "tcp" && $5 == "ESTAB"' | wc -l)
    check "services: no connection left over after the clients went ($left)" test "$left" = 0
    us_stop "$spid" TERM
    cat "$tmp/services.log" >>"$tmp/clients.log"
fi

# ---- the end -------------------------------------------------------------------

if us_stop "$dpid" INT 20 && [ "$US_STATUS" = 0 ]; then
    ok "SIGINT: daemon exits 0"
else
    notok "SIGINT: daemon exits 0 (status $US_STATUS)"
fi

# ---- --cc ----------------------------------------------------------------------

out=$(in_ns_t 10 "$daemon" --tap "$tap" --addr "$stack/24" --cc bogus 2>&1)
rc=$?
check "ustackd --cc bogus exits 2 ($rc): $out" \
    eval '[ "$rc" = 2 ] && grep -q "^ustackd: --cc .bogus.: TCP congestion control is cubic or reno" <<<"$out"'
out=$("$daemon" --version 2>&1)
rc=$?
check "ustackd --version exits 0 naming itself and the protocol ($rc): $out" \
    eval '[ "$rc" = 0 ] && grep -Eq "^ustackd [0-9]+\.[0-9]+\.[0-9]+ \(control protocol version [0-9]+\)$" <<<"$out"'
# a TAP the daemon creates is down: it says what the host must do
out=$(in_ns_t 10 timeout -s INT 1 "$daemon" --tap ustest9 --addr 10.9.0.2/24 \
    --ctl "$tmp/hint/ctl.sock" 2>&1)
check "ustackd on a TAP that is down says how to bring it up: $(head -n 1 <<<"$out")" \
    eval 'grep -q "^ustackd: ustest9 is down: .*ip link set ustest9 up; ip addr add 10.9.0.1/24 dev ustest9" <<<"$out"'
check "ustackd says which directory it made for --ctl" \
    eval 'grep -qx "ustackd: created directory $tmp/hint for the control socket" <<<"$out"'
in_ns ip link del ustest9 2>/dev/null
logs=("$log")
log=$tmp/daemon-reno.log
logs+=("$log")
start_daemon --log warn --cc reno
relay "tcp_api --cc-default reno" in_ns_t 30 "$itest/tcp_api" --cc-default reno \
    "$host" "$stack" "$silent" 6100
if us_stop "$dpid" INT 20 && [ "$US_STATUS" = 0 ]; then
    ok "SIGINT: daemon --cc reno exits 0"
else
    notok "SIGINT: daemon --cc reno exits 0 (status $US_STATUS)"
fi
check "daemon logs have no sanitizer report" \
    eval '! grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "${logs[@]}"'
check "clients have no sanitizer report" \
    eval '! grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$tmp"/*.log "$tmp"/*.err 2>/dev/null'
exit "$fail"
