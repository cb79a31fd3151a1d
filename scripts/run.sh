#!/bin/bash
# run.sh - what `sudo make run` runs: ustackd on a TAP device, to play with.
#
# Creates the TAP device (ustap0, or $USTACK_TAP) unless it exists, gives
# the host side 10.0.0.1/24, brings it up and runs build/ustackd as
# 10.0.0.2, capturing to build/ustack.pcap, with its control socket at
# $USTACK_CTL (default /run/ustack/ctl.sock, where the library looks).
# Once the daemon answers there, build/udp-echo-server runs on it (UDP
# port 7) in the background. Ctrl-C stops both; on the way out the TAP
# device is deleted if this script created it. Works in whatever network
# namespace it is started in, e.g.
#   ip netns add play; ip netns exec play scripts/run.sh
# shellcheck disable=SC2317 # cleanup runs from the EXIT trap
set -eu

cd "$(dirname "$0")/.."

TAP=${USTACK_TAP:-ustap0}
HOST_ADDR=10.0.0.1/24
STACK_ADDR=10.0.0.2
PCAP=build/ustack.pcap
CTL=${USTACK_CTL:-/run/ustack/ctl.sock}

if [ "$(id -u)" -ne 0 ]; then
    echo "run.sh: creating a TAP device needs root: sudo make run" >&2
    exit 1
fi
for b in build/ustackd build/udp-echo-server build/ustat; do
    if [ ! -x "$b" ]; then
        echo "run.sh: $b is missing: run make first" >&2
        exit 1
    fi
done

created=0
daemon_pid=
echo_pid=
cleanup() {
    if [ -n "$echo_pid" ]; then
        kill "$echo_pid" 2>/dev/null || true
        wait "$echo_pid" 2>/dev/null || true
    fi
    if [ -n "$daemon_pid" ]; then
        kill -INT "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
    fi
    if [ "$created" = 1 ]; then
        ip link del dev "$TAP" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! ip link show dev "$TAP" >/dev/null 2>&1; then
    ip tuntap add dev "$TAP" mode tap
    created=1
fi
ip addr replace "$HOST_ADDR" dev "$TAP"
ip link set dev "$TAP" up

# The daemon is ready when a new control socket answers (not a stale file,
# nor another daemon's: ustackd refuses to start over a live one).
old_ino=$(stat -c %i "$CTL" 2>/dev/null || echo none)
build/ustackd --tap "$TAP" --addr "$STACK_ADDR/24" --gw "${HOST_ADDR%/*}" --pcap "$PCAP" \
    --ctl "$CTL" &
daemon_pid=$!
ready=0
for ((i = 0; i < 100; i++)); do
    kill -0 "$daemon_pid" 2>/dev/null || break
    ino=$(stat -c %i "$CTL" 2>/dev/null || echo none)
    if [ "$ino" != none ] && [ "$ino" != "$old_ino" ] &&
        USTACK_CTL=$CTL build/ustat >/dev/null 2>&1; then
        ready=1
        break
    fi
    sleep 0.1
done
if [ "$ready" = 1 ]; then
    USTACK_CTL=$CTL build/udp-echo-server &
    echo_pid=$!
    env_hint=
    if [ "$CTL" != /run/ustack/ctl.sock ]; then
        env_hint="  (the apps need USTACK_CTL=$CTL)
"
    fi
    cat <<MSG
ustack: $STACK_ADDR on $TAP (this host is ${HOST_ADDR%/*}). In another terminal try:
    ping $STACK_ADDR
    arping -I $TAP $STACK_ADDR
    nc -u $STACK_ADDR 7              # udp-echo-server: every line comes back
    build/ustat                   # the daemon's sockets, like ss -uan
    build/unc -u ${HOST_ADDR%/*} PORT    # netcat over ustack (nc -u -l -p PORT here)
  (run them in the same network namespace as this script)
${env_hint}  control socket: $CTL
  capture: $PCAP (tshark -r $PCAP)
  counters: kill -USR1 $daemon_pid
  Ctrl-C stops.
MSG
else
    echo "run.sh: ustackd did not start answering on $CTL" >&2
fi

status=0
wait "$daemon_pid" || status=$?
daemon_pid=
exit "$status"
