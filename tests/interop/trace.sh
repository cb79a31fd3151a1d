#!/usr/bin/env bash
# tests/interop/trace.sh - ustackd --trace (docs/TRACE.md) on a live
# connection with the kernel, and build/ustack-plot on what it wrote.
#
# In a namespace made here (deleted on exit, even on failure): the
# sanitizer build of ustackd on ustap0 at 10.0.0.2/24 with --trace and
# --pcap, build/san/ustack-services on it, the kernel at 10.0.0.1/24.
# Kernel nc sends 256 KiB to the echo service and reads it back. Checks:
#   - the trace can be read while the daemon runs (flushed every wakeup);
#   - every line is a well-formed event; the echo connection goes
#     SYN_RECEIVED -> ESTABLISHED; the application read and wrote the
#     256 KiB; as many segments each way as the capture holds for port 7
#     (tshark, independent of the trace);
#   - ustack-plot draws it: six real PNG and SVG files, with the trace's
#     time and sequence ranges (tests/replay/trace_check.py plot);
#   - no sanitizer report; the daemon exits 0 on SIGINT.
# Root needed. Prints TAP-style lines; exit 1 on any failure.
# shellcheck disable=SC2016 # eval quotes
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/ns-lib.bash
. tests/lib.bash

daemon=build/san/ustackd
san=build/san
py=/usr/bin/python3
ns=ustack-trace-$$
tap=ustap0
stack=10.0.0.2
host=10.0.0.1
fail=0
tmp=$(mktemp -d) || exit 1
log=$tmp/daemon.log
export USTACK_CTL=$tmp/ctl.sock

us_traps
trap test_cleanup EXIT

need_built trace "$daemon" "$san/ustack-services" "$san/ustat" build/ustack-plot
need_tools trace nc tshark
need_netns trace
start_daemon --seed 7 --trace "$tmp/t.jsonl" --pcap "$tmp/t.pcap"

head -c $((256 * 1024)) /dev/urandom >"$tmp/in"
if spawn_app ustack-services "$tmp/services.log" "TCP echo" "$san/ustack-services"; then
    spid=$US_LAST_PID
    in_ns_t 30 nc -N "$stack" 7 <"$tmp/in" >"$tmp/echo" 2>/dev/null
    check "echo (7) through ustackd --trace: 256 KiB identical" same "$tmp/in" "$tmp/echo"
    # the daemon flushes the trace at the end of every wakeup
    check "the trace is readable while the daemon runs" \
        wait_for "$tmp/t.jsonl" '"to":"CLOSED"' 5
    us_stop "$spid" TERM
fi
if us_stop "$dpid" INT 20 && [ "$US_STATUS" = 0 ]; then
    ok "SIGINT: daemon exits 0"
else
    notok "SIGINT: daemon exits 0 (status $US_STATUS)"
fi

"$py" tests/replay/trace_check.py schema "$tmp/t.jsonl" || fail=1
# the echo connection: port 7, the one with data
"$py" - "$tmp/t.jsonl" >"$tmp/facts" <<'EOF'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
echo = [e for e in evs if e["local"].endswith(":7") and not e["remote"].endswith(":0")]
cid = max({e["c"] for e in echo if e["ev"] == "recv"},
          key=lambda c: sum(e["len"] for e in echo if e["c"] == c and e["ev"] == "recv"))
mine = [e for e in echo if e["c"] == cid]
st = [(e["from"], e["to"]) for e in mine if e["ev"] == "state"]
print("states", " ".join("%s>%s" % s for s in st))
for op in ("read", "write"):
    print(op, sum(e["bytes"] for e in mine if e["ev"] == "app" and e["op"] == op))
print("in", sum(1 for e in mine if e["ev"] == "recv"))
print("out", sum(1 for e in mine if e["ev"] == "send"))
print("port", mine[0]["remote"].split(":")[1])
EOF
fact() { sed -n "s/^$1 //p" "$tmp/facts"; }
check "trace: the echo connection goes SYN_RECEIVED -> ESTABLISHED ($(fact states))" \
    grep -q "states CLOSED>SYN_RECEIVED SYN_RECEIVED>ESTABLISHED" "$tmp/facts"
check "trace: the application read and wrote 262144 bytes ($(fact read), $(fact write))" \
    test "$(fact read)" = 262144 -a "$(fact write)" = 262144
port=$(fact port)
n_in=$(tshark -r "$tmp/t.pcap" -Y "tcp.srcport == ${port:-0} && tcp.dstport == 7" 2>/dev/null | wc -l)
n_out=$(tshark -r "$tmp/t.pcap" -Y "tcp.srcport == 7 && tcp.dstport == ${port:-0}" 2>/dev/null | wc -l)
check "trace: a segment event for each segment of the capture ($(fact in) in, $(fact out) out; pcap $n_in, $n_out)" \
    test "$(fact in)" = "$n_in" -a "$(fact out)" = "$n_out" -a "$n_in" -gt 0

if build/ustack-plot "$tmp/t.jsonl" -o "$tmp/plot" >"$tmp/plot.out" 2>&1; then
    ok "ustack-plot draws the live trace"
    "$py" tests/replay/trace_check.py plot "$tmp/t.jsonl" "$tmp/plot.out" "$tmp/plot" || fail=1
else
    sed 's/^/#   /' "$tmp/plot.out"
    notok "ustack-plot draws the live trace"
fi
check "daemon logs have no sanitizer report" \
    eval '! grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$log" "$tmp/services.log"'
exit $fail
