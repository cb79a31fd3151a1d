#!/bin/bash
# run.sh - what `sudo make run` runs: ustackd on a TAP device, to play with.
#
# Creates the TAP device (ustap0, or $USTACK_TAP) unless it exists, gives
# the host side 10.0.0.1/24, brings it up and runs build/ustackd as
# 10.0.0.2 in the foreground, capturing to build/ustack.pcap. Ctrl-C stops
# ustackd; on the way out the TAP device is deleted if this script created
# it. Works in whatever network namespace it is started in, e.g.
#   ip netns add play; ip netns exec play scripts/run.sh
set -eu

cd "$(dirname "$0")/.."

TAP=${USTACK_TAP:-ustap0}
HOST_ADDR=10.0.0.1/24
STACK_ADDR=10.0.0.2
PCAP=build/ustack.pcap

if [ "$(id -u)" -ne 0 ]; then
    echo "run.sh: creating a TAP device needs root: sudo make run" >&2
    exit 1
fi
if [ ! -x build/ustackd ]; then
    echo "run.sh: build/ustackd is missing: run make first" >&2
    exit 1
fi

created=0
cleanup() {
    if [ "$created" = 1 ]; then
        ip link del dev "$TAP" 2>/dev/null || true
    fi
}
trap cleanup EXIT

if ! ip link show dev "$TAP" >/dev/null 2>&1; then
    ip tuntap add dev "$TAP" mode tap
    created=1
fi
ip addr replace "$HOST_ADDR" dev "$TAP"
ip link set dev "$TAP" up

cat <<MSG
ustack: $STACK_ADDR on $TAP (this host is ${HOST_ADDR%/*}). In another terminal try:
    ping $STACK_ADDR
    arping -I $TAP $STACK_ADDR
  (run them in the same network namespace as this script)
  capture: $PCAP (tshark -r $PCAP)
  counters: kill -USR1 <pid> (the pid is on ustackd's first line)
  Ctrl-C stops.
MSG

build/ustackd --tap "$TAP" --addr "$STACK_ADDR/24" --gw "${HOST_ADDR%/*}" --pcap "$PCAP"
