#!/bin/bash
# run.sh - what `sudo make run` runs: ustackd on a TAP device, to play with.
#
# Creates the TAP device (ustap0, or $USTACK_TAP) unless it exists, gives
# the host side 10.0.0.1/24, brings it up and runs build/ustackd as
# 10.0.0.2, capturing to build/ustack.pcap (build/ustack-NS.pcap in a
# named namespace NS, or $USTACK_PCAP), with its control socket at
# $USTACK_CTL (default /run/ustack/ctl.sock, where the library looks, or
# /run/ustack/NS/ctl.sock in a named namespace).
# Once the daemon answers there, build/ustack-services runs on it in the
# background (as root: the daemon lets only root bind ports below 1024):
# TCP echo 7, discard 9, daytime 13, chargen 19 and UDP echo 7. Ctrl-C
# stops both; on the way out the TAP device is deleted if this script
# created it, and the script exits with the daemon's status: 0 after a
# clean stop, so `make run` ends quietly on Ctrl-C (SIGINT) or SIGTERM.
# Works in whatever network namespace it is started in, e.g.
#   ip netns add play; ip netns exec play scripts/run.sh
#
#   scripts/run.sh [USTACKD-OPTION...]
# passes the options on to ustackd (e.g. --loss 5 --seed 1, see
# ustackd --help); $USTACK_BIN is the directory of the programs (default
# build; build/san for the sanitizer build, as the tests run it).
# shellcheck disable=SC2317 # cleanup runs from the EXIT trap
set -eu

cd "$(dirname "$0")/.."

TAP=${USTACK_TAP:-ustap0}
HOST_ADDR=10.0.0.1/24
STACK_ADDR=10.0.0.2
# Two runs in two namespaces must not share a capture or a control
# socket: in a named namespace both are named after it (the capture
# build/ustack-NS.pcap, the socket /run/ustack/NS/ctl.sock); in the
# initial one, build/ustack.pcap and the library's default socket.
NS=$(ip netns identify 2>/dev/null || true)
if [ -n "$NS" ]; then
    PCAP=${USTACK_PCAP:-build/ustack-$NS.pcap}
    CTL=${USTACK_CTL:-/run/ustack/$NS/ctl.sock}
else
    PCAP=${USTACK_PCAP:-build/ustack.pcap}
    CTL=${USTACK_CTL:-/run/ustack/ctl.sock}
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "run.sh: creating a TAP device needs root: sudo make run" >&2
    exit 1
fi
BIN=${USTACK_BIN:-build}
for b in "$BIN/ustackd" "$BIN/ustack-services" "$BIN/ustat" "$BIN/ustack-ctl"; do
    if [ ! -x "$b" ]; then
        echo "run.sh: $b is missing: run make first" >&2
        exit 1
    fi
done

created=0
daemon_pid=
daemon_status=0
services_pid=
# stop_programs: the services, then the daemon (SIGINT, its clean stop);
# daemon_status is the daemon's exit status.
stop_programs() {
    if [ -n "$services_pid" ]; then
        kill "$services_pid" 2>/dev/null || true
        wait "$services_pid" 2>/dev/null || true
        services_pid=
    fi
    if [ -n "$daemon_pid" ]; then
        kill -INT "$daemon_pid" 2>/dev/null || true
        daemon_status=0
        wait "$daemon_pid" 2>/dev/null || daemon_status=$?
        daemon_pid=
    fi
}
cleanup() {
    trap '' INT TERM # a second Ctrl-C (or make's SIGTERM) must not cut this short
    stop_programs
    if [ "$created" = 1 ]; then
        ip link del dev "$TAP" 2>/dev/null || true
    fi
    if [ -n "$NS" ] && [ -z "${USTACK_CTL:-}" ]; then
        rmdir "/run/ustack/$NS" 2>/dev/null || true # the namespace's, if empty
    fi
}
# Ctrl-C reaches the whole foreground process group (make, this script,
# the daemon, the services); make then also sends this script SIGTERM.
# Either is the user's way to stop: a clean stop is a success.
on_stop() {
    trap '' INT TERM
    stop_programs
    exit "$daemon_status"
}
trap cleanup EXIT
trap on_stop INT TERM

if ! ip link show dev "$TAP" >/dev/null 2>&1; then
    ip tuntap add dev "$TAP" mode tap
    created=1
fi
# no IPv6 on the host side: its router and neighbour solicitations would
# fill the capture with frames ustack only drops (counted as not IPv4)
sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1" 2>/dev/null || true
ip addr replace "$HOST_ADDR" dev "$TAP"
ip link set dev "$TAP" up

# The daemon is ready when a new control socket answers (not a stale file,
# nor another daemon's: ustackd refuses to start over a live one).
old_ino=$(stat -c %i "$CTL" 2>/dev/null || echo none)
"$BIN/ustackd" --tap "$TAP" --addr "$STACK_ADDR/24" --gw "${HOST_ADDR%/*}" --pcap "$PCAP" \
    --ctl "$CTL" "$@" &
daemon_pid=$!
ready=0
for ((i = 0; i < 100; i++)); do
    kill -0 "$daemon_pid" 2>/dev/null || break
    ino=$(stat -c %i "$CTL" 2>/dev/null || echo none)
    if [ "$ino" != none ] && [ "$ino" != "$old_ino" ] &&
        USTACK_CTL=$CTL "$BIN/ustat" >/dev/null 2>&1; then
        ready=1
        break
    fi
    sleep 0.1
done
if [ "$ready" = 1 ]; then
    # root (this script's uid) may bind the well-known ports
    USTACK_CTL=$CTL "$BIN/ustack-services" &
    services_pid=$!
    env_hint=
    if [ "$CTL" != /run/ustack/ctl.sock ]; then
        env_hint="  (the apps need USTACK_CTL=$CTL)
"
    fi
    cat <<MSG
ustack: $STACK_ADDR on $TAP (this host is ${HOST_ADDR%/*}), serving TCP echo 7,
discard 9, daytime 13, chargen 19 and UDP echo 7. In another terminal try:
    nc $STACK_ADDR 7                 # echo: every line comes back
    nc $STACK_ADDR 13                # daytime: the time, then it closes
    nc $STACK_ADDR 19 | head         # chargen: RFC 864's rotating lines
    nc -u $STACK_ADDR 7              # UDP echo
    ping $STACK_ADDR
    arping -I $TAP $STACK_ADDR
    build/ustat -tuan             # sockets and connections, like ss -tuan
    build/ustat -s                # the counters: every drop by reason
    build/ustack-ctl fault loss 5%   # drop 5% each way from now on (fault off)
    build/unc ${HOST_ADDR%/*} PORT       # netcat over ustack (nc -l PORT here)
    build/echo-client -n 10M $STACK_ADDR 7   # throughput, through the daemon
  (run them in the same network namespace as this script)
${env_hint}  control socket: $CTL
  capture: $PCAP (tshark -r $PCAP)
  counters: build/ustat -s (or kill -USR1 $daemon_pid)
  Ctrl-C stops.
MSG
else
    echo "run.sh: ustackd did not start answering on $CTL" >&2
fi

# wait returns early when a trapped signal arrives; on_stop takes over
wait "$daemon_pid" || daemon_status=$?
daemon_pid=
exit "$daemon_status"
