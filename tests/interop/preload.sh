#!/usr/bin/env bash
# tests/interop/preload.sh - unmodified programs over ustack: the kernel's
# own tools run under build/ustack-run (LD_PRELOAD of
# build/libustack-preload.so), against the kernel's TCP/UDP.
#
# In a namespace made here (deleted on exit, even on failure): the
# sanitizer build of ustackd on ustap0 at 10.0.0.2/24 with its control
# socket in our own temp dir, the kernel at 10.0.0.1/24. Data compared
# with sha256. Checks:
#   apps      socat TCP-LISTEN,fork (4 kernel clients at once), UDP4-RECVFROM,
#             fork and as a client; wget; iperf3 -4 TCP both ways (-R) and UDP,
#             as server and as client (its JSON: a rate, no error); asyncio
#             echo server and client
#   nc        OpenBSD nc on ustack as client (-N) and server (-l), both
#             ways with 4 MiB; UDP (-u) as client and server
#   http      python3 -m http.server on ustack, 10 MiB fetched by a kernel
#             curl; curl on ustack fetching 10 MiB from a kernel
#             http.server; urllib on ustack
#   echo      a socketserver.ThreadingTCPServer echo on ustack, 8 kernel
#             clients at once
#   inet6     socket(AF_INET6) is EAFNOSUPPORT; curl on a v6 address fails,
#             on the v4 one works
#   shim      tests/interop/preload_stress.py on ustack: threads opening,
#             using and closing sockets at once; fork in the middle of a
#             transfer, the child finishing it; one epoll over an AF_UNIX
#             pair, a pipe and ustack sockets; dup/dup2/fcntl(F_DUPFD)
#             copies; a socket inherited across exec; UDP read/write on a
#             connected socket and recvfrom's source address; sendmsg and
#             recvmsg with several buffers, UDP and TCP; non-blocking connect
#   nodaemon  ustack-run with no daemon says which control socket it tried
#             and how to start ustackd, exit 1; socket() under the shim
#             fails with ENOENT
#   and no sanitizer report from the daemon.
# Root needed. Prints TAP-style lines; exit 1 on any failure.
# shellcheck disable=SC2317,SC2016 # check() runs functions; eval quotes
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/ns-lib.bash
. tests/lib.bash

daemon=build/san/ustackd
san=build/san
run_bin=build/ustack-run
shim=build/libustack-preload.so
py=/usr/bin/python3
ns=ustack-preload-$$
tap=ustap0
stack=10.0.0.2
host=10.0.0.1
fail=0
tmp=$(mktemp -d /tmp/preload-XXXXXX) || exit 1
chmod 755 "$tmp"
log=$tmp/daemon.log
export USTACK_CTL=$tmp/ctl.sock
run=("$run_bin" --ctl "$USTACK_CTL")

us_traps
trap test_cleanup EXIT

# wait_listen PORT: a ustack socket listens on PORT (ustat says so).
wait_listen() {
    local i
    for ((i = 0; i < 200; i++)); do
        in_ns "$san/ustat" -tln 2>/dev/null | grep -qE "^LISTEN +[0-9]+ +[0-9]+ +[0-9.]+:$1 " &&
            return 0
        sleep 0.05
    done
    return 1
}

# wait_kernel_listen PORT: the kernel listens on PORT.
wait_kernel_listen() {
    local i
    for ((i = 0; i < 200; i++)); do
        in_ns ss -Htln "sport = :$1" 2>/dev/null | grep -q . && return 0
        sleep 0.05
    done
    return 1
}

sum() { sha256sum <"$1" | cut -d' ' -f1; }

need_built preload "$daemon" "$san/ustat" "$run_bin" "$shim"
need_tools preload nc curl wget socat iperf3 sha256sum "$py"
need_netns preload

head -c $((4 << 20)) /dev/urandom >"$tmp/in.4m"
head -c $((10 << 20)) /dev/urandom >"$tmp/in.10m"
mkdir "$tmp/www" && cp "$tmp/in.10m" "$tmp/www/big"

# ---- no daemon: before it starts --------------------------------------------

out=$(in_ns_t 10 "$run_bin" --ctl "$tmp/none.sock" true 2>&1)
rc=$?
check "ustack-run with no daemon exits 1 with one line naming $tmp/none.sock ($rc): $out" \
    eval '[ "$rc" = 1 ] && [ "$(wc -l <<<"$out")" = 1 ] &&
          grep -q "ustackd is not answering on $tmp/none.sock .*start it with" <<<"$out"'
out=$(LD_PRELOAD=$(realpath "$shim") USTACK_CTL=$tmp/none.sock in_ns_t 10 "$py" -c '
import socket
try:
    socket.socket()
    print("created")
except OSError as e:
    print(e.errno)
' 2>&1)
check "under the shim with no daemon socket() fails with ENOENT ($out)" [ "$out" = 2 ]

start_daemon --log warn
kernel_echo "$tmp/kecho.log" "$host" 8109
if ! wait_for "$tmp/kecho.log" ready; then
    notok "a kernel echo server on $host:8109 starts"
    exit 1
fi

# ---- nc ----------------------------------------------------------------------

want4=$(sum "$tmp/in.4m")
us_spawn "$ns" "$tmp/knc1.err" sh -c "exec nc -l $host 8101 >$tmp/knc1.out"
wait_kernel_listen 8101
in_ns_t 60 "${run[@]}" nc -N "$host" 8101 <"$tmp/in.4m" 2>"$tmp/unc1.err"
rc=$?
sleep 0.2
check "nc -N on ustack to kernel nc -l: 4 MiB, sha256 equal (exit $rc)" \
    eval '[ "$rc" = 0 ] && [ "$(sum "$tmp/knc1.out")" = "$want4" ]'

us_spawn "$ns" "$tmp/unc2.err" sh -c "exec ${run[*]} nc -l 8102 >$tmp/unc2.out"
unc2=$US_LAST_PID
if wait_listen 8102; then
    in_ns_t 60 nc -N "$stack" 8102 <"$tmp/in.4m" 2>"$tmp/knc2.err"
    us_stop "$unc2" TERM 10 >/dev/null
    check "kernel nc -N to nc -l on ustack: 4 MiB, sha256 equal (nc -l exit $US_STATUS)" \
        eval '[ "$(sum "$tmp/unc2.out")" = "$want4" ]'
else
    notok "nc -l 8102 on ustack listens (ustat)"
    sed 's/^/#   /' "$tmp/unc2.err"
fi

# the ustack side sends too: its stdin to the kernel client
us_spawn "$ns" "$tmp/unc3.err" sh -c "exec ${run[*]} nc -N -l 8103 <$tmp/in.4m >/dev/null"
if wait_listen 8103; then
    in_ns_t 60 nc -d "$stack" 8103 >"$tmp/knc3.out" 2>"$tmp/knc3.err"
    check "nc -N -l on ustack sends 4 MiB to kernel nc: sha256 equal" \
        eval '[ "$(sum "$tmp/knc3.out")" = "$want4" ]'
else
    notok "nc -l 8103 on ustack listens (ustat)"
fi

# UDP: ustack client to a kernel server, then a ustack server
us_spawn "$ns" "$tmp/knc4.out" nc -u -l "$host" 8104
sleep 0.3
printf 'hello over udp\n' | in_ns_t 5 "${run[@]}" nc -u -w 1 "$host" 8104 2>"$tmp/unc4.err"
check "nc -u on ustack to kernel nc -u -l: the datagram arrives" \
    wait_for "$tmp/knc4.out" "hello over udp" 5

us_spawn "$ns" "$tmp/unc5.out" "${run[@]}" nc -u -l 8105
sleep 0.5
printf 'back to ustack\n' | in_ns_t 5 nc -u -w 1 "$stack" 8105 2>/dev/null
check "kernel nc -u to nc -u -l on ustack: the datagram arrives (recvfrom's source)" \
    wait_for "$tmp/unc5.out" "back to ustack" 5

# ---- http ------------------------------------------------------------------

want10=$(sum "$tmp/in.10m")
us_spawn "$ns" "$tmp/uhttp.log" "${run[@]}" "$py" -m http.server -b 0.0.0.0 \
    -d "$tmp/www" 8106
if wait_listen 8106; then
    in_ns_t 60 curl -sS -o "$tmp/curl1.out" "http://$stack:8106/big" 2>"$tmp/curl1.err"
    rc=$?
    check "python3 -m http.server on ustack, kernel curl: 10 MiB, sha256 equal (curl $rc)" \
        eval '[ "$rc" = 0 ] && [ "$(sum "$tmp/curl1.out")" = "$want10" ]'
else
    notok "python3 -m http.server on ustack listens"
    sed 's/^/#   /' "$tmp/uhttp.log"
fi

us_spawn "$ns" "$tmp/khttp.log" "$py" -m http.server -b "$host" -d "$tmp/www" 8107
wait_kernel_listen 8107
in_ns_t 60 "${run[@]}" curl -sS -o "$tmp/curl2.out" "http://$host:8107/big" 2>"$tmp/curl2.err"
rc=$?
check "curl on ustack from a kernel http.server: 10 MiB, sha256 equal (curl $rc)" \
    eval '[ "$rc" = 0 ] && [ "$(sum "$tmp/curl2.out")" = "$want10" ]'

out=$(in_ns_t 60 "${run[@]}" "$py" -c '
import hashlib, sys, urllib.request
print(hashlib.sha256(urllib.request.urlopen(sys.argv[1]).read()).hexdigest())
' "http://$host:8107/big" 2>&1)
check "urllib on ustack from a kernel http.server: sha256 equal" [ "$out" = "$want10" ]

# ---- a threading echo server -------------------------------------------------

us_spawn "$ns" "$tmp/techo.log" "${run[@]}" "$py" -c '
import socketserver
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            d = self.request.recv(65536)
            if not d:
                return
            self.request.sendall(d)
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(("0.0.0.0", 8108), Echo).serve_forever()
'
if wait_listen 8108; then
    out=$(in_ns_t 60 "$py" - "$stack" 8108 <<'EOF'
import os, socket, sys, threading
res = []
def client(i):
    data = os.urandom(512 << 10)
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
    t = threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR)))
    t.start()
    got = bytearray()
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
    t.join()
    res.append(got == data)
ts = [threading.Thread(target=client, args=(i,)) for i in range(8)]
[t.start() for t in ts]
[t.join() for t in ts]
print("%d of 8 identical" % sum(res))
EOF
    )
    check "ThreadingTCPServer echo on ustack, 8 kernel clients at once: $out" \
        [ "$out" = "8 of 8 identical" ]
else
    notok "ThreadingTCPServer on ustack listens"
    sed 's/^/#   /' "$tmp/techo.log"
fi

# ---- asyncio -----------------------------------------------------------------

us_spawn "$ns" "$tmp/aecho.log" "${run[@]}" "$py" -c '
import asyncio
async def echo(r, w):
    while d := await r.read(65536):
        w.write(d)
        await w.drain()
    w.close()
async def main():
    srv = await asyncio.start_server(echo, "0.0.0.0", 8113)
    async with srv:
        await srv.serve_forever()
asyncio.run(main())
'
if wait_listen 8113; then
    out=$(in_ns_t 60 "$py" - "$stack" 8113 <<'EOF'
import asyncio, os, sys
async def client():
    data = os.urandom(1 << 20)
    r, w = await asyncio.open_connection(sys.argv[1], int(sys.argv[2]))
    w.write(data)
    await w.drain()
    w.write_eof()
    got = await r.read()
    return got == data
async def main():
    return sum(await asyncio.gather(*[client() for _ in range(4)]))
print("%d of 4 identical" % asyncio.run(main()))
EOF
    )
    check "asyncio echo server on ustack, 4 kernel asyncio clients of 1 MiB: $out" \
        [ "$out" = "4 of 4 identical" ]
else
    notok "asyncio server on ustack listens"
    sed 's/^/#   /' "$tmp/aecho.log"
fi
out=$(in_ns_t 60 "${run[@]}" "$py" - "$host" 8109 <<'EOF'
import asyncio, os, sys
async def main():
    data = os.urandom(1 << 20)
    r, w = await asyncio.open_connection(sys.argv[1], int(sys.argv[2]))
    w.write(data)
    await w.drain()
    got = await r.readexactly(len(data))
    w.close()
    return got == data
print("identical" if asyncio.run(main()) else "differs")
EOF
)
check "asyncio client on ustack to a kernel echo server, 1 MiB: $out" [ "$out" = identical ]

# ---- socat, wget, iperf3 -----------------------------------------------------

# (socat's own PIPE echo can block itself writing into its full pipe: cat)
us_spawn "$ns" "$tmp/socat1.log" "${run[@]}" socat TCP4-LISTEN:8114,reuseaddr,fork EXEC:cat
if wait_listen 8114; then
    pids=()
    for k in 1 2 3 4; do
        in_ns_t 60 nc -N "$stack" 8114 <"$tmp/in.4m" >"$tmp/socat1.$k" 2>/dev/null &
        pids+=($!)
    done
    wait "${pids[@]}"
    good=0
    for k in 1 2 3 4; do
        [ "$(sum "$tmp/socat1.$k")" = "$want4" ] && good=$((good + 1))
    done
    check "socat TCP-LISTEN,fork EXEC:cat on ustack echoes 4 kernel nc at once: $good of 4" \
        [ "$good" = 4 ]
else
    notok "socat TCP-LISTEN on ustack listens"
    sed 's/^/#   /' "$tmp/socat1.log"
fi
us_spawn "$ns" "$tmp/socat2.log" "${run[@]}" socat UDP4-RECVFROM:8115,fork PIPE
sleep 0.5
out=$(in_ns_t 20 "$py" - "$stack" 8115 <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
good = 0
for i in range(5):
    d = os.urandom(100 + i)
    s.sendto(d, (sys.argv[1], int(sys.argv[2])))
    try:
        got, src = s.recvfrom(2000)
        good += got == d
    except socket.timeout:
        pass
print("%d of 5 echoed" % good)
EOF
)
check "socat UDP4-RECVFROM,fork PIPE on ustack echoes kernel datagrams: $out" \
    [ "$out" = "5 of 5 echoed" ]
us_spawn "$ns" "$tmp/socat3.out" nc -l "$host" 8116
k3=$US_LAST_PID
wait_kernel_listen 8116
in_ns_t 20 "${run[@]}" socat -u "OPEN:$tmp/in.4m" "TCP4:$host:8116" 2>"$tmp/socat3.err"
us_stop "$k3" TERM 10 >/dev/null
check "socat on ustack sends 4 MiB to kernel nc -l: sha256 equal" \
    eval '[ "$(sum "$tmp/socat3.out")" = "$want4" ]'

in_ns_t 60 "${run[@]}" wget -q -O "$tmp/wget.out" "http://$host:8107/big" 2>"$tmp/wget.err"
rc=$?
check "wget on ustack from a kernel http.server: 10 MiB, sha256 equal (wget $rc)" \
    eval '[ "$rc" = 0 ] && [ "$(sum "$tmp/wget.out")" = "$want10" ]'

# iperf_ok NAME JSON: a rate above zero and no error in iperf3's report
iperf_ok() {
    local verdict
    verdict=$("$py" - "$2" <<'EOF'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except Exception as e:
    print("no report: %r" % e)
    sys.exit()
if "error" in j:
    print("error: %s" % j["error"])
    sys.exit()
end = j["end"]
s = end.get("sum_received") or end.get("sum")
bps = s.get("bits_per_second", 0)
lost = s.get("lost_packets", 0)
print("ok %.1f Mbit/s lost %d" % (bps / 1e6, lost) if bps > 0 else "rate 0")
EOF
    )
    check "$1: $verdict" eval '[[ "$verdict" == ok* ]]'
}

us_spawn "$ns" "$tmp/iperf-s.log" "${run[@]}" iperf3 -4 -s -p 8117
if wait_listen 8117; then
    in_ns_t 60 iperf3 -4 -c "$stack" -p 8117 -t 2 --json >"$tmp/ip1.json" 2>&1
    iperf_ok "iperf3 TCP, kernel client to server on ustack" "$tmp/ip1.json"
    in_ns_t 60 iperf3 -4 -c "$stack" -p 8117 -t 2 -R --json >"$tmp/ip2.json" 2>&1
    iperf_ok "iperf3 TCP -R, server on ustack sending" "$tmp/ip2.json"
    in_ns_t 60 iperf3 -4 -c "$stack" -p 8117 -t 2 -u -b 20M --json >"$tmp/ip3.json" 2>&1
    iperf_ok "iperf3 UDP, kernel client to server on ustack" "$tmp/ip3.json"
else
    notok "iperf3 -s on ustack listens"
    sed 's/^/#   /' "$tmp/iperf-s.log"
fi
us_spawn "$ns" "$tmp/iperf-ks.log" iperf3 -4 -s -B "$host" -p 8118
wait_kernel_listen 8118
in_ns_t 60 "${run[@]}" iperf3 -4 -c "$host" -p 8118 -t 2 --json >"$tmp/ip4.json" 2>&1
iperf_ok "iperf3 TCP, client on ustack to a kernel server" "$tmp/ip4.json"
in_ns_t 60 "${run[@]}" iperf3 -4 -c "$host" -p 8118 -t 2 -R --json >"$tmp/ip5.json" 2>&1
iperf_ok "iperf3 TCP -R, client on ustack receiving" "$tmp/ip5.json"
in_ns_t 60 "${run[@]}" iperf3 -4 -c "$host" -p 8118 -t 2 -u -b 20M --json \
    >"$tmp/ip6.json" 2>&1
iperf_ok "iperf3 UDP, client on ustack to a kernel server" "$tmp/ip6.json"

# ---- IPv6 policy -------------------------------------------------------------

out=$(in_ns_t 10 "${run[@]}" "$py" -c '
import socket
try:
    socket.socket(socket.AF_INET6)
    print("created")
except OSError as e:
    print(e.errno)
' 2>&1)
check "socket(AF_INET6) under the shim: EAFNOSUPPORT ($out)" [ "$out" = 97 ]
in_ns_t 10 "${run[@]}" curl -sS -o /dev/null "http://[::1]:8107/big" 2>"$tmp/curl6.err"
rc=$?
check "curl on ustack to a v6 address fails (exit $rc): $(head -n 1 "$tmp/curl6.err")" \
    [ "$rc" != 0 ]

# ---- the shim itself ---------------------------------------------------------

relay preload_stress in_ns_t 120 "${run[@]}" "$py" tests/interop/preload_stress.py \
    "$host" 8109 "$stack"

# ---- the end -----------------------------------------------------------------

if us_stop "$dpid" INT 20 && [ "$US_STATUS" = 0 ]; then
    ok "SIGINT: daemon exits 0"
else
    notok "SIGINT: daemon exits 0 (status $US_STATUS)"
fi
check "daemon log has no sanitizer report" \
    eval '! grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$log"'
exit "$fail"
