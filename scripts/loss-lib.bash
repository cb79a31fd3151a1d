# scripts/loss-lib.bash - sourced (not run) after scripts/ns-lib.bash by
# the scripts that move TCP data through lossy-link: scripts/loss-bench.sh
# (make soak) and tests/interop/lossy_tcp.sh. The caller sets tmp (its
# temp dir) and LL_BIN (build for the release programs, build/san for the
# sanitizer ones), calls us_traps, then ll_setup.
#
# Topology, every namespace new and named with the caller's PID:
#
#   ns_k  vk 10.0.0.1 --veth-- vr  [ns_r: lossy-link #1]  ustap0 (TAP, no
#                                   address) -- ustackd 10.0.0.2
#   ns_a  va 10.0.1.1 --veth-- va-r [ns_r: lossy-link #2] vb-r --veth--
#                                                         vb 10.0.1.2 ns_b
#
# The kernel's connections use CUBIC (the routes' congctl). ns_r holds no address, so its kernel
# answers nothing; every frame between the kernel and ustack, or between
# the two kernels, crosses a relay with the same fault options.
# shellcheck disable=SC2154,SC2034 # tmp is the caller's; US_RELAY is ns-lib's

LL_SECONDS=${LL_SECONDS:-60} # a transfer's sender is stopped after this
LL_PORT=${LL_PORT:-6000}     # the next port a transfer listens on

# ll_setup PREFIX: the namespaces, links and ustackd. 0 when ready.
ll_setup() {
    local p=$1 n i
    ns_r=$p-r ns_k=$p-k ns_a=$p-a ns_b=$p-b
    for n in "$ns_r" "$ns_k" "$ns_a" "$ns_b"; do
        us_netns_add "$n" || return 1
    done
    us_veth "$ns_k" vk "$ns_r" vr && us_veth "$ns_a" va "$ns_r" va-r &&
        us_veth "$ns_b" vb "$ns_r" vb-r || return 1
    ip -n "$ns_k" addr add 10.0.0.1/24 dev vk &&
        ip -n "$ns_a" addr add 10.0.1.1/24 dev va &&
        ip -n "$ns_b" addr add 10.0.1.2/24 dev vb || return 1
    # CUBIC on the kernel's side. Not through the namespace's
    # net.ipv4.tcp_congestion_control: a namespace may only pick an
    # algorithm the host lists in tcp_allowed_congestion_control (EPERM
    # otherwise, as on hosts that run BBR), and the host is not ours to
    # change. The route's congctl applies to every connection on the link.
    ip -n "$ns_k" route replace 10.0.0.0/24 dev vk src 10.0.0.1 congctl cubic &&
        ip -n "$ns_a" route replace 10.0.1.0/24 dev va src 10.0.1.1 congctl cubic &&
        ip -n "$ns_b" route replace 10.0.1.0/24 dev vb src 10.0.1.2 congctl cubic ||
        return 1
    ip -n "$ns_r" tuntap add dev ustap0 mode tap && ip -n "$ns_r" link set ustap0 up ||
        return 1
    export USTACK_CTL=$tmp/ctl.sock
    us_spawn "$ns_r" "$tmp/ustackd.log" "$LL_BIN/ustackd" --tap ustap0 --addr 10.0.0.2/24 \
        --ctl "$USTACK_CTL" --log warn --seed 1
    ll_ustackd=$US_LAST_PID
    for ((i = 0; i < 200; i++)); do
        [ -S "$USTACK_CTL" ] && "$LL_BIN/ustat" >/dev/null 2>&1 && return 0
        kill -0 "$ll_ustackd" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# ll_relays_start SEED OPTION...: lossy-link #1 and #2 with the OPTIONs.
ll_relays_start() {
    local seed=$1
    shift
    US_RELAY=$LL_BIN/lossy-link
    us_relay "$ns_r" "$tmp/relay-u.log" "$@" --fault-seed "$seed" vr ustap0 || return 1
    ll_relay_u=$US_LAST_PID
    us_relay "$ns_r" "$tmp/relay-k.log" "$@" --fault-seed "$seed" va-r vb-r || return 1
    ll_relay_k=$US_LAST_PID
}

ll_relays_stop() {
    us_stop "$ll_relay_u" TERM 10
    us_stop "$ll_relay_k" TERM 10
}

# ll_cpu_ticks PID: user + system time of PID so far, in clock ticks
ll_cpu_ticks() {
    awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}

# ll_listening NS PORT KIND: wait (bounded) for a listener on PORT: on
# ustack (KIND u: ustat says so) or on the kernel of NS (k: ss).
ll_listening() {
    local i
    for ((i = 0; i < 250; i++)); do
        if [ "$3" = u ]; then
            "$LL_BIN/ustat" -tl 2>/dev/null | grep -q "LISTEN.*:$2 " && return 0
        else
            ip netns exec "$1" ss -Htln "sport = :$2" 2>/dev/null | grep -q . && return 0
        fi
        sleep 0.02
    done
    return 1
}

# ll_transfer PATH FILE: send FILE once along PATH (k2u: kernel to ustack,
# u2k: ustack to kernel, k2k: kernel to kernel), the sender stopped after
# LL_SECONDS. Sets LL_RESULT (not printed: the port count must survive,
# so call it without a subshell) to
#   bytes us stall_us same relay_cpu% ustackd_cpu%
# bytes received; us from the sender's start to the last byte; the
# longest stall (no new data; the wait for the first byte included);
# same = 1 when what arrived is FILE or its first `bytes` bytes, byte for
# byte, 0 when it is not, 2 when nothing arrived; CPU shares of the relay and of ustackd over the transfer.
ll_transfer() {
    local path=$1 file=$2 port=$LL_PORT rns rcmd rkind sns relay rpid t0 i
    local -a send
    LL_PORT=$((LL_PORT + 1))
    case $path in
    k2u)
        rns=$ns_r rkind=u rcmd="$LL_BIN/unc -l $port" relay=$ll_relay_u
        sns=$ns_k send=(nc -N 10.0.0.2 "$port")
        ;;
    u2k)
        rns=$ns_k rkind=k rcmd="nc -l 10.0.0.1 $port" relay=$ll_relay_u
        sns=$ns_r send=("$LL_BIN/unc" 10.0.0.1 "$port")
        ;;
    k2k)
        rns=$ns_b rkind=k rcmd="nc -l 10.0.1.2 $port" relay=$ll_relay_k
        sns=$ns_a send=(nc -N 10.0.1.2 "$port")
        ;;
    esac
    rm -f "$tmp/meter.txt" "$tmp/sum.txt"
    # the receiving program alone is stopped 30 s after the sender: the
    # meter and the checksum then see the end of their input and report
    # what did arrive (a transfer cut short by the cap is measured, not
    # lost); the outer timeout is only a guard
    timeout -k 2 $((LL_SECONDS + 40)) ip netns exec "$rns" sh -c \
        "timeout -k 2 $((LL_SECONDS + 30)) $rcmd </dev/null |
         $LL_BIN/stall-meter 2>$tmp/meter.txt | sha256sum >$tmp/sum.txt" &
    rpid=$!
    if ! ll_listening "$rns" "$port" "$rkind"; then
        kill "$rpid" 2>/dev/null
        wait "$rpid"
        LL_RESULT="0 0 0 0 0 0"
        return
    fi
    local r0 u0 w0 r1 u1 w1
    r0=$(ll_cpu_ticks "$relay") u0=$(ll_cpu_ticks "$ll_ustackd")
    t0=$(date +%s%N)
    timeout -k 2 "$LL_SECONDS" ip netns exec "$sns" "${send[@]}" <"$file" >/dev/null \
        2>"$tmp/send.err"
    wait "$rpid"
    w1=$(date +%s%N)
    r1=$(ll_cpu_ticks "$relay") u1=$(ll_cpu_ticks "$ll_ustackd")
    local bytes first last gap same=0 hz
    bytes=$(grep -o 'bytes=[0-9]*' "$tmp/meter.txt" | cut -d= -f2)
    first=$(grep -o 'first_ns=[0-9]*' "$tmp/meter.txt" | cut -d= -f2)
    last=$(grep -o 'last_ns=[0-9]*' "$tmp/meter.txt" | cut -d= -f2)
    gap=$(grep -o 'max_gap_us=[0-9]*' "$tmp/meter.txt" | cut -d= -f2)
    bytes=${bytes:-0} first=${first:-0} last=${last:-0} gap=${gap:-0}
    if [ "$bytes" -gt 0 ]; then
        [ $(((first - t0) / 1000)) -gt "$gap" ] && gap=$(((first - t0) / 1000))
        if [ "$(head -c "$bytes" "$file" | sha256sum)" = "$(cat "$tmp/sum.txt")" ]; then
            same=1
        fi
    else
        last=$w1 gap=$(((w1 - t0) / 1000)) same=2 # nothing arrived: all stall
    fi
    hz=$(getconf CLK_TCK)
    w0=$(((w1 - t0) / 1000)) # the wall time both CPU figures are over, us
    i=$((w0 > 0 ? w0 : 1))
    LL_RESULT="$bytes $(((last - t0) / 1000)) $gap $same"
    LL_RESULT+=" $(((r1 - r0) * 100000000 / hz / i)) $(((u1 - u0) * 100000000 / hz / i))"
}

# ll_mbps BYTES US: MB/s (10^6 bytes), two decimals
ll_mbps() {
    if [ "$2" -le 0 ]; then
        echo "-"
        return
    fi
    awk -v b="$1" -v u="$2" 'BEGIN { printf "%.2f", b / u }'
}
