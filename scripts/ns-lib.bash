# scripts/ns-lib.bash - sourced (not run) by the scripts that put ustackd
# or the kernel on a link inside network namespaces: tests/interop/*.sh,
# scripts/record-pcaps.sh, scripts/bench.sh, scripts/loss-bench.sh.
#
# House rules it enforces: every namespace is new (the name carries the
# caller's PID), every packet stays inside them, and us_cleanup (set it as
# the EXIT trap with us_traps) kills only the processes started here and
# deletes only the namespaces made here, on success or failure.

US_NETNS=()   # namespaces we created
US_PIDS=()    # processes we started

# us_traps: cleanup on exit, and make INT/TERM/HUP exit so it runs.
us_traps() {
    trap us_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
}

us_cleanup() {
    local pid ns i
    for pid in "${US_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${US_PIDS[@]}"; do
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    US_PIDS=()
    for ns in "${US_NETNS[@]}"; do
        ip netns del "$ns" 2>/dev/null
    done
    US_NETNS=()
}

# us_netns_add NAME: a fresh namespace with lo up and IPv6 off (so captures
# hold only what the test sends, not router solicitations and MLD).
us_netns_add() {
    local ns=$1
    ip netns add "$ns" || return 1
    US_NETNS+=("$ns")
    ip -n "$ns" link set lo up &&
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 &&
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
}

# us_spawn NS LOG CMD...: run CMD in NS in the background, stdout and
# stderr to LOG. `ip netns exec` execs CMD, so US_LAST_PID is CMD's own PID.
us_spawn() {
    local ns=$1 log=$2
    shift 2
    ip netns exec "$ns" "$@" >"$log" 2>&1 &
    US_LAST_PID=$!
    US_PIDS+=("$US_LAST_PID")
}

# us_tap_create NS TAP ADDR/LEN [MAC]: make TAP in NS ahead of the daemon,
# with the host side at ADDR (and MAC) and up, so that what the daemon
# sends first (the gratuitous ARP) is not lost on a link still down.
us_tap_create() {
    local ns=$1 tap=$2 addr=$3 mac=${4:-}
    ip -n "$ns" tuntap add dev "$tap" mode tap || return 1
    if [ -n "$mac" ]; then
        ip -n "$ns" link set "$tap" address "$mac" || return 1
    fi
    ip -n "$ns" addr add "$addr" dev "$tap" &&
        ip -n "$ns" link set "$tap" up
}

# us_tap_up NS TAP ADDR/LEN PID [SECONDS]: wait (bounded, default 10 s)
# until process PID has created (or opened) TAP in NS, give the host side
# ADDR, bring it up and wait for carrier (PID holds the TAP open). 0 when
# ready.
us_tap_up() {
    local ns=$1 tap=$2 addr=$3 pid=$4 secs=${5:-10} i n
    n=$((secs * 20))
    for ((i = 0; i < n; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        ip -n "$ns" link show "$tap" >/dev/null 2>&1 && break
        sleep 0.05
    done
    [ "$i" -lt "$n" ] || return 1
    ip -n "$ns" addr replace "$addr" dev "$tap" || return 1
    ip -n "$ns" link set "$tap" up || return 1
    for ((; i < n; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        if ! ip -n "$ns" link show "$tap" | grep -q NO-CARRIER; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# us_stop PID SIG [SECONDS]: send SIG and wait (bounded, default 10 s) for
# PID to exit. Sets US_STATUS to its exit status (or "timeout", after which
# it is killed). 0 when it exited by itself.
us_stop() {
    local pid=$1 sig=$2 secs=${3:-10} i p
    kill -"$sig" "$pid" 2>/dev/null
    for ((i = 0; i < secs * 20; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        US_STATUS=timeout
    else
        wait "$pid"
        US_STATUS=$?
    fi
    local keep=()
    for p in "${US_PIDS[@]}"; do
        [ "$p" = "$pid" ] || keep+=("$p")
    done
    US_PIDS=("${keep[@]}")
    [ "$US_STATUS" != timeout ]
}

# us_veth NS1 IF1 NS2 IF2: a veth pair, IF1 in NS1 and IF2 in NS2, both
# up, with the offloads that AF_PACKET would see through off (checksums
# left to the hardware, TCP segments above the MTU): what lossy-link
# forwards must be frames a wire could carry. Needs ethtool.
us_veth() {
    local ns1=$1 if1=$2 ns2=$3 if2=$4
    ip link add "$if1" netns "$ns1" type veth peer name "$if2" netns "$ns2" || return 1
    us_veth_end "$ns1" "$if1" && us_veth_end "$ns2" "$if2"
}

# us_veth_end NS IF: IF up, offloads off
us_veth_end() {
    ip -n "$1" link set "$2" up &&
        ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1
}

# us_relay NS LOG OPTION... A B: build/lossy-link (or $US_RELAY) in NS
# between interfaces A and B with the fault OPTIONs; waits (bounded) until
# it says ready. Sets US_LAST_PID; 0 when ready.
us_relay() {
    local ns=$1 log=$2 i
    shift 2
    us_spawn "$ns" "$log" "${US_RELAY:-build/lossy-link}" "$@"
    for ((i = 0; i < 100; i++)); do
        grep -q ' ready$' "$log" 2>/dev/null && return 0
        kill -0 "$US_LAST_PID" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# us_fault_field LOG DIR FIELD: FIELD of the last "fault DIR:" report line
# in LOG (ustackd's or lossy-link's), e.g. us_fault_field d.log in dropped.
us_fault_field() {
    grep "^fault $2: " "$1" | tail -n 1 | grep -o " $3=[0-9]*" | cut -d= -f2
}
