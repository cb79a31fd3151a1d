#!/bin/bash
# tests/lib.bash - what the script tiers (interop, conformance) share:
# TAP-style result lines and small helpers around the test's network
# namespace. Source it after scripts/ns-lib.bash; the script sets ns (its
# namespace), tmp (its temp dir) and fail=0 before calling these.

ok() { echo "ok - $*"; }

notok() {
    echo "not ok - $*"
    fail=1
}

check() {
    local name=$1
    shift
    if "$@"; then ok "$name"; else notok "$name"; fi
}

in_ns() { ip netns exec "$ns" "$@"; }

# bounded: a hang is a failure, not a stuck test
in_ns_t() {
    local secs=$1
    shift
    timeout -k 2 "$secs" ip netns exec "$ns" "$@"
}

wait_for() {
    local i
    for ((i = 0; i < ${3:-5} * 20; i++)); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# same FILE1 FILE2: identical, else say how they differ
same() {
    if cmp -s "$1" "$2"; then
        return 0
    fi
    echo "#   $(stat -c %s "$1") bytes sent, $(stat -c %s "$2") received;" \
        "$(cmp "$1" "$2" 2>&1 | head -n 1)"
    return 1
}

# relay NAME CMD...: run a helper that prints its own TAP lines; its other
# output is kept for the sanitizer check. A helper that fails without a
# "not ok" line (a crash) is one failure.
relay() {
    local name=$1 out rc
    shift
    out=$("$@" 2>&1)
    rc=$?
    printf '%s\n' "$out" >>"$tmp/clients.log"
    grep -E '^(ok|not ok) - ' <<<"$out"
    grep -E '^#' <<<"$out"
    if grep -q '^not ok - ' <<<"$out"; then
        fail=1
    elif [ "$rc" -ne 0 ]; then
        grep -vE '^(ok|not ok) - |^#' <<<"$out" | tail -n 15 | sed 's/^/#   /'
        notok "$name exited $rc"
    fi
}

# spawn_app NAME LOG CMD...: start a ustack server in the namespace and
# wait until it says it serves.
spawn_app() {
    local name=$1 applog=$2 pattern=$3
    shift 3
    us_spawn "$ns" "$applog" "$@"
    if wait_for "$applog" "$pattern" 10; then
        return 0
    fi
    sed 's/^/#   /' "$applog"
    notok "$name starts"
    return 1
}

# need_built TEST FILE...: each FILE is built, or a failure line and exit.
need_built() {
    local t=$1 b
    shift
    for b; do
        if [ ! -x "$b" ]; then
            notok "$t: $b is not built (make san)"
            exit 1
        fi
    done
}

# need_tools TEST TOOL...: each TOOL is installed, or a failure line and exit.
need_tools() {
    local t=$1 c
    shift
    for c; do
        if ! command -v "$c" >/dev/null; then
            notok "$t: $c is not installed (scripts/deps.sh)"
            exit 1
        fi
    done
}

# need_netns TEST: the namespace $ns exists, or a failure line and exit.
need_netns() {
    if ! us_netns_add "$ns"; then
        notok "$1: cannot set up namespace $ns"
        exit 1
    fi
}

# start_daemon OPTION...: $daemon on $tap at $stack/24 (gateway $host),
# control socket $USTACK_CTL, output to $log, plus OPTIONs; waits until
# the TAP is up and the daemon answers on the control socket (ustat).
# Sets dpid; a daemon that does not come up is a failure line and exit.
start_daemon() {
    local i ready=0
    us_spawn "$ns" "$log" "$daemon" --tap "$tap" --addr "$stack/24" --gw "$host" \
        --ctl "$USTACK_CTL" "$@"
    dpid=$US_LAST_PID
    if us_tap_up "$ns" "$tap" "$host/24" "$dpid" 15; then
        for ((i = 0; i < 100; i++)); do
            if [ -S "$USTACK_CTL" ] && in_ns "$san/ustat" >/dev/null 2>&1; then
                ready=1
                break
            fi
            kill -0 "$dpid" 2>/dev/null || break
            sleep 0.05
        done
    fi
    if [ "$ready" -ne 1 ]; then
        notok "daemon brings up $tap and answers on --ctl $USTACK_CTL"
        exit 1
    fi
    ok "daemon brings up $tap and answers on --ctl $USTACK_CTL"
}

# kernel_echo LOG ADDR PORT: a kernel TCP echo server in $ns on ADDR:PORT,
# a thread per connection; it writes "ready" to LOG once it listens
# (wait_for LOG ready). The peer that ustack's clients talk to.
kernel_echo() {
    us_spawn "$ns" "$1" /usr/bin/python3 -c '
import socket, sys, threading
def serve(c):
    with c:
        while True:
            d = c.recv(1 << 16)
            if not d:
                return
            c.sendall(d)
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], int(sys.argv[2])))
l.listen(1024)
print("ready", flush=True)
while True:
    c, _ = l.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
' "$2" "$3"
}

# test_cleanup: the EXIT trap of a test that runs a daemon logging to
# $log: every process and namespace it made gone (us_cleanup), and the
# log's tail shown when a check failed ($fail).
test_cleanup() {
    us_cleanup
    if [ "$fail" -ne 0 ] && [ -s "$log" ]; then
        echo "# daemon log (last 30 lines):"
        tail -n 30 "$log" | sed 's/^/#   /'
    fi
    rm -rf "$tmp"
}
