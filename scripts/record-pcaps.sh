#!/usr/bin/env bash
# scripts/record-pcaps.sh - regenerate pcaps/ from real exchanges.
#
# For each capture: a fresh network namespace with IPv6 off (clean
# captures), TAP ustap0 made and brought up with the host side at
# 10.0.0.1/24 (MAC 02:00:00:00:00:01), then the release ustackd on it at 10.0.0.2/24 (gateway
# 10.0.0.1, --seed 1, default MAC 02:00:00:00:00:02, its control socket in
# our temp dir, never another daemon's) writing pcaps/NAME.pcap, the kernel on the host side running one of its own
# tools, then SIGINT so the daemon flushes the capture. The
# replay tier (tests/replay/run.sh) feeds these back with the same
# settings; pcaps/README.md says what each one shows. A capture made now
# is pcapng (a comment on every frame, stack/dev/capture.c) under the
# same .pcap name; the replay tools (libpcap) and the fuzz seed scripts
# (tests/fuzz/capfile.py) read it as they read the classic pcap files.
#
# The TCP captures (tcp-*) are not made through ustackd: when an
# application reads or writes there depends on scheduling, and such a
# capture cannot be replayed exactly. Instead build/san/tools/tcp_scenario
# --live runs the engine on the TAP itself with a scripted application
# that acts only at points replay reproduces (tests/replay/tcp_scenario.c),
# and the kernel's side is scripts/tcp-peer.py (or nc -l for tcp-connect).
# Each TCP capture is checked at once: tshark finds nothing malformed and
# no bad checksum, and tcp_scenario --replay reproduces it.
#
#   sudo scripts/record-pcaps.sh [NAME...]   (after make and make san;
#                                             no NAME: all of them)
set -u
cd "$(dirname "$0")/.." || exit 1
. scripts/ns-lib.bash

daemon=build/ustackd
tap=ustap0
host_mac=02:00:00:00:00:01

# NAME|command run in the namespace
captures=(
    "arp|arping -c 3 -I $tap 10.0.0.2"
    "ping|ping -c 3 -s 56 10.0.0.2"
    "ping-frag|ping -c 2 -s 4000 10.0.0.2"
    "ping-max|ping -c 1 -s 65507 10.0.0.2"
    "ping-zero|ping -c 2 -s 0 10.0.0.2"
)
# TCP: NAME|the kernel's side, run in the namespace once ustack is ready
tool=build/san/tools/tcp_scenario
tcp_captures=(
    "tcp-handshake|python3 scripts/tcp-peer.py tcp-handshake"
    "tcp-transfer|python3 scripts/tcp-peer.py tcp-transfer"
    "tcp-close-peer-first|python3 scripts/tcp-peer.py tcp-close-peer-first"
    "tcp-close-us-first|python3 scripts/tcp-peer.py tcp-close-us-first"
    "tcp-zero-window|python3 scripts/tcp-peer.py tcp-zero-window"
    "tcp-retransmit|python3 scripts/tcp-peer.py tcp-retransmit"
    "tcp-sack-recovery|python3 scripts/tcp-peer.py tcp-sack-recovery"
    "tcp-tail-loss|python3 scripts/tcp-peer.py tcp-tail-loss"
    "tcp-connect|nc -l 10.0.0.1 8000"
)
settings=(--addr 10.0.0.2/24 --gw 10.0.0.1 --seed 1)

# wanted NAME: no names on the command line, or NAME among them
wanted() {
    local n
    [ ${#names[@]} -eq 0 ] && return 0
    for n in "${names[@]}"; do
        [ "$n" = "$1" ] && return 0
    done
    return 1
}
names=("$@")

if [ "$(id -u)" -ne 0 ]; then
    echo "record-pcaps: needs root (network namespaces, TAP)" >&2
    exit 1
fi
for b in "$daemon" "$tool"; do
    if [ ! -x "$b" ]; then
        echo "record-pcaps: $b is not built (make; make san)" >&2
        exit 1
    fi
done
us_traps
mkdir -p pcaps
tmp=$(mktemp -d) || exit 1
trap 'us_cleanup; rm -rf "$tmp"' EXIT
status=0

for entry in "${captures[@]}"; do
    name=${entry%%|*}
    cmd=${entry#*|}
    wanted "$name" || continue
    ns=ustack-rec-$$-$name
    out=pcaps/$name.pcap
    log=$tmp/$name.log
    rm -f "$out"
    if ! us_netns_add "$ns"; then
        echo "record-pcaps: $name: cannot set up namespace $ns" >&2
        status=1
        break
    fi
    # The TAP is up before the daemon opens it, so the capture begins with
    # the daemon's gratuitous ARP (on a link still down it would be lost).
    # A fixed host MAC keeps the captures easy to read and to compare.
    if ! us_tap_create "$ns" "$tap" 10.0.0.1/24 "$host_mac"; then
        echo "record-pcaps: $name: cannot create $tap in $ns" >&2
        status=1
        break
    fi
    us_spawn "$ns" "$log" "$daemon" --tap "$tap" --addr 10.0.0.2/24 \
        --gw 10.0.0.1 --seed 1 --pcap "$out" --ctl "$tmp/$name.ctl" --log warn
    pid=$US_LAST_PID
    if ! us_tap_up "$ns" "$tap" 10.0.0.1/24 "$pid" 10; then
        echo "record-pcaps: $name: daemon did not bring up $tap" >&2
        cat "$log" >&2
        status=1
        us_cleanup
        continue
    fi
    # shellcheck disable=SC2086 # cmd is a command line, split on purpose
    ip netns exec "$ns" $cmd >"$tmp/$name.cmd" 2>&1 || {
        echo "record-pcaps: $name: '$cmd' failed:" >&2
        cat "$tmp/$name.cmd" >&2
        status=1
    }
    sleep 0.2 # the last reply reaches the daemon's capture
    if ! us_stop "$pid" INT 10 || [ "$US_STATUS" -ne 0 ]; then
        echo "record-pcaps: $name: daemon did not exit 0 on SIGINT ($US_STATUS)" >&2
        cat "$log" >&2
        status=1
    fi
    us_cleanup
    frames=$(tshark -r "$out" -T fields -e frame.number 2>/dev/null | wc -l)
    printf '%-10s %4d frames %8d bytes  (%s)\n' "$name" "$frames" \
        "$(stat -c %s "$out" 2>/dev/null || echo 0)" "$cmd"
done

# us_wait_listen NS ADDR:PORT: wait (bounded, 5 s) for a TCP listener.
us_wait_listen() {
    local i
    for ((i = 0; i < 100; i++)); do
        ip netns exec "$1" ss -Hltn "src $2" 2>/dev/null | grep -q . && return 0
        sleep 0.05
    done
    return 1
}

# record_tcp NAME CMD: one TCP capture; 0 when it was made and checked.
record_tcp() {
    local name=$1 cmd=$2 ns=ustack-rec-$$-$1 out=pcaps/$1.pcap log=$tmp/$1.log
    local pid i nc_pid=''
    rm -f "$out"
    if ! us_netns_add "$ns" || ! us_tap_create "$ns" "$tap" 10.0.0.1/24 "$host_mac"; then
        echo "record-pcaps: $name: cannot set up namespace $ns with $tap" >&2
        return 1
    fi
    if [ "$name" = tcp-connect ]; then
        # the kernel listens first; ustack connects 0.5 s after it starts
        us_spawn "$ns" "$tmp/$name.nc" sh -c "exec $cmd </dev/null"
        nc_pid=$US_LAST_PID
        us_wait_listen "$ns" 10.0.0.1:8000 || {
            echo "record-pcaps: $name: '$cmd' is not listening" >&2
            return 1
        }
    fi
    us_spawn "$ns" "$log" "$tool" --live "$tap" --pcap "$out" --scenario "$name" \
        "${settings[@]}"
    pid=$US_LAST_PID
    us_tap_up "$ns" "$tap" 10.0.0.1/24 "$pid" 10 || {
        echo "record-pcaps: $name: $tool did not bring up $tap" >&2
        cat "$log" >&2
        return 1
    }
    for ((i = 0; i < 100; i++)); do
        grep -q '^tcp_scenario: ready' "$log" && break
        sleep 0.05
    done
    if [ -z "$nc_pid" ]; then
        # shellcheck disable=SC2086 # cmd is a command line, split on purpose
        ip netns exec "$ns" timeout 30 $cmd >"$tmp/$name.cmd" 2>&1 || {
            echo "record-pcaps: $name: '$cmd' failed:" >&2
            cat "$tmp/$name.cmd" "$log" >&2
            return 1
        }
    fi
    # the scenario ends by itself (connection gone, or in TIME_WAIT)
    us_stop "$pid" 0 30
    if [ "$US_STATUS" != 0 ]; then
        echo "record-pcaps: $name: $tool exited $US_STATUS:" >&2
        cat "$log" >&2
        return 1
    fi
    if [ -n "$nc_pid" ]; then
        us_stop "$nc_pid" 0 5 || {
            echo "record-pcaps: $name: '$cmd' did not end after the close" >&2
            return 1
        }
        grep -qx 'hello from ustack' "$tmp/$name.nc" || {
            echo "record-pcaps: $name: nc did not print ustack's line:" >&2
            cat "$tmp/$name.nc" >&2
            return 1
        }
    fi
    sed -n 's/^tcp_scenario live/   /p; s/^tcp_scenario: lost/    lost/p' "$log"
    local bad
    if ! bad=$(tshark -r "$out" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
        -Y '_ws.malformed || tcp.checksum.status == "Bad" || ip.checksum.status == "Bad"' \
        2>"$tmp/$name.tshark") || [ -n "$bad" ]; then
        cat "$tmp/$name.tshark" >&2
        echo "record-pcaps: $name: tshark finds malformed frames or bad checksums:" >&2
        echo "$bad" >&2
        return 1
    fi
    "$tool" --replay "$out" --scenario "$name" "${settings[@]}" >"$tmp/$name.replay" 2>&1 || {
        echo "record-pcaps: $name: the capture does not replay:" >&2
        cat "$tmp/$name.replay" >&2
        return 1
    }
    return 0
}

for entry in "${tcp_captures[@]}"; do
    name=${entry%%|*}
    cmd=${entry#*|}
    wanted "$name" || continue
    if ! record_tcp "$name" "$cmd"; then
        status=1
    fi
    us_cleanup
    frames=$(tshark -r "pcaps/$name.pcap" -T fields -e frame.number 2>/dev/null | wc -l)
    printf '%-20s %4d frames %8d bytes  (%s)\n' "$name" "$frames" \
        "$(stat -c %s "pcaps/$name.pcap" 2>/dev/null || echo 0)" "$cmd"
done
exit "$status"
