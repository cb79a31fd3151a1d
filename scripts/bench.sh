#!/usr/bin/env bash
# scripts/bench.sh - make bench: ustack beside the kernel, measured in the
# same run. A measurement, not a test: nothing here passes or fails on a
# number. Root needed; every namespace and process is gone on exit.
#
# ping RTT, with the same ping (BENCH_COUNT = 500 echoes, BENCH_INTERVAL =
# 2 ms apart, -s 56 and -s 1472):
#   ustack  the release ustackd on a TAP in a fresh namespace, pinged by
#           the kernel on the host side
#   kernel  a veth pair between two fresh namespaces, kernel to kernel
# Prints avg and mdev in microseconds (ping reports 1 us resolution) and
# the ratio ustack/kernel.
#
# UDP echo, payloads of 64 and 1472 bytes, with the same programs on both
# stacks: build/udp-echo-client and build/udp-echo-server (apps/, with
# libustack), and the same sources compiled here on the kernel's sockets
# (-Iscripts/kernel-sockets: each us_* call is the system call), plus
# scripts/udp-flood.c built both ways. Four paths, client -> server:
#   kernel -> kernel  veth between two namespaces (the reference)
#   kernel -> ustack  the kernel client on the TAP's host side, the echo
#                     server on ustack
#   ustack -> kernel  the client on ustack, a kernel echo server on the
#                     host side
#   ustack -> ustack  both on ustack: delivered inside the daemon
# For each: udp-echo-client, one echo at a time (BENCH_UDP_COUNT = 2000):
# its average RTT, and echoes per second of wall time (process start
# included); then udp-flood, BENCH_UDP_WINDOW = 16 datagrams in flight for
# BENCH_UDP_SECONDS = 1 s: echoes per second and the share lost. An echo
# is one datagram each way. Each figure is the median of BENCH_UDP_RUNS =
# 3 runs, the paths taking turns (a busy machine moves single runs a lot).
# "x" columns are ratios to kernel -> kernel (RTT: how many times longer;
# rate: what fraction).
#
# TCP, BENCH_TCP_MB = 100 MiB per transfer, each figure the median of
# BENCH_TCP_RUNS = 3 runs, the paths taking turns:
#   bulk   one connection, a file in the page cache to a receiver that
#          counts the bytes (| wc -c, checked) and drops them, with two
#          sets of programs:
#            unc  unc on both ends: build/unc on ustack, the same source
#                 built on kernel sockets on the kernel (64 KiB reads and
#                 writes on both stacks: like for like)
#            nc   the kernel's end is OpenBSD nc (nc -N sending, nc -l
#                 receiving; its 16 KiB buffers cap it near 4 Gb/s)
#          and three paths:
#            kernel -> ustack  to build/unc -l (on the TAP)
#            ustack -> kernel  from build/unc (on the TAP)
#            kernel -> kernel  across the veth (the reference)
#          time from the sender's start to the receiver's last byte
#   cc     bulk with unc, the sender's congestion control chosen with unc
#          -C (TCP_CONGESTION): cubic and reno, ustack -> kernel and, for
#          reference, kernel -> kernel. Without loss on the path both stay
#          in slow start, so the figures should agree; a difference is
#          the cost of the algorithm itself
#   echo   echo-client -n BENCH_TCP_MB, one connection, every byte checked:
#            ustack -> ustack  build/echo-client to build/echo-server -m
#                              poll, both on ustack (inside the daemon)
#            ustack -> kernel  build/echo-client to echo-server -m poll on
#                              kernel sockets (the TAP's host side)
#            kernel -> ustack  echo-client on kernel sockets to
#                              build/echo-server -m poll
#            kernel -> kernel  both on kernel sockets, across the veth
#          (the same sources built on kernel sockets, as for UDP); the rate
#          is each way: bytes echoed / time. echo-client makes and checks
#          every byte: where kernel -> kernel is no faster than the rest,
#          the client is the limit, not the stacks
# MB/s are 10^6 bytes, Gb/s 10^9 bits; "x" is the ratio to kernel ->
# kernel, and the ratio ustack/kernel is printed under each table.
#
# BENCH_SECTIONS (default "ping udp tcp") runs only the sections named.
set -u
cd "$(dirname "$0")/.." || exit 1
. scripts/ns-lib.bash

daemon=build/ustackd
count=${BENCH_COUNT:-500}
interval=${BENCH_INTERVAL:-0.002}
sizes=(56 1472)
udp_count=${BENCH_UDP_COUNT:-2000}
udp_window=${BENCH_UDP_WINDOW:-16}
udp_secs=${BENCH_UDP_SECONDS:-1}
udp_runs=${BENCH_UDP_RUNS:-3}
udp_sizes=(64 1472)
tcp_mb=${BENCH_TCP_MB:-100}
tcp_runs=${BENCH_TCP_RUNS:-3}
sections=" ${BENCH_SECTIONS:-ping udp tcp} "
CC=${CC:-cc}
tap=ustap0
ns_us=ustack-bench-$$
ns_a=ustack-bench-$$-a
ns_b=ustack-bench-$$-b

if [ "$(id -u)" -ne 0 ]; then
    echo "bench: needs root (network namespaces, TAP, ping -i $interval)" >&2
    exit 1
fi
for b in "$daemon" build/udp-echo-client build/udp-echo-server build/libustack.a \
    build/unc build/echo-client build/echo-server build/ustat; do
    if [ ! -x "$b" ] && [ ! -f "$b" ]; then
        echo "bench: $b is not built (make)" >&2
        exit 1
    fi
done
us_traps
tmp=$(mktemp -d) || exit 1
trap 'us_cleanup; rm -rf "$tmp"' EXIT

for t in nc ss wc; do
    if ! command -v "$t" >/dev/null; then
        echo "bench: $t is not installed (scripts/deps.sh)" >&2
        exit 1
    fi
done
# wants SECTION: BENCH_SECTIONS names it
wants() {
    [[ $sections == *" $1 "* ]]
}

# The kernel-socket builds of the same programs, and udp-flood both ways,
# with the release flags of the Makefile.
# The programs of apps/ take their shared helpers (apps/lib) along.
cflags=(-std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Werror -O2 -g)
app_lib=(apps/lib/*.c)
for prog in apps/udp-echo-client.c apps/udp-echo-server.c scripts/udp-flood.c \
    apps/echo-client.c apps/echo-server.c apps/unc.c; do
    name=$(basename "$prog" .c)
    extra=()
    if [[ $prog == apps/* ]]; then
        extra=(-Iapps "${app_lib[@]}")
    fi
    if ! "$CC" "${cflags[@]}" -Iscripts/kernel-sockets "${extra[@]}" -o "$tmp/k-$name" \
        "$prog"; then
        echo "bench: cannot build $prog on kernel sockets" >&2
        exit 1
    fi
done
if ! "$CC" "${cflags[@]}" -Isocket_api -o "$tmp/udp-flood" scripts/udp-flood.c \
    build/libustack.a; then
    echo "bench: cannot build scripts/udp-flood.c with libustack" >&2
    exit 1
fi

# ustack: TAP in its own namespace.
us_netns_add "$ns_us" || exit 1
us_spawn "$ns_us" "$tmp/daemon.log" "$daemon" --tap "$tap" --addr 10.0.0.2/24 \
    --gw 10.0.0.1 --ctl "$tmp/ctl.sock" --log warn
if ! us_tap_up "$ns_us" "$tap" 10.0.0.1/24 "$US_LAST_PID" 10; then
    echo "bench: ustackd did not bring up $tap" >&2
    cat "$tmp/daemon.log" >&2
    exit 1
fi

# kernel: veth pair between two namespaces.
us_netns_add "$ns_a" && us_netns_add "$ns_b" || exit 1
ip link add bench0 netns "$ns_a" type veth peer name bench1 netns "$ns_b" &&
    ip -n "$ns_a" addr add 10.0.1.1/24 dev bench0 &&
    ip -n "$ns_b" addr add 10.0.1.2/24 dev bench1 &&
    ip -n "$ns_a" link set bench0 up &&
    ip -n "$ns_b" link set bench1 up || exit 1

# measure NS DST SIZE: "avg_us mdev_us loss%" of one ping run.
measure() {
    local ns=$1 dst=$2 size=$3 out loss rtt
    # warm up: ARP resolved, caches hot
    ip netns exec "$ns" ping -c 3 -i 0.2 -W 2 -s "$size" "$dst" >/dev/null 2>&1
    out=$(ip netns exec "$ns" ping -c "$count" -i "$interval" -W 1 -q -s "$size" "$dst" 2>&1)
    loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' <<<"$out")
    # rtt min/avg/max/mdev = 0.025/0.031/0.102/0.008 ms
    rtt=$(sed -n 's|^rtt [^=]*= \([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\) ms.*|\2 \4|p' <<<"$out")
    if [ -z "$rtt" ]; then
        echo "- - ${loss:-100}"
        return
    fi
    awk -v r="$rtt" -v l="$loss" 'BEGIN { split(r, a, " "); printf "%.0f %.0f %s\n", a[1] * 1000, a[2] * 1000, l }'
}

if wants ping; then
    echo "ping RTT, $count echoes ${interval}s apart (ustack: TAP + ustackd; kernel: veth)"
    printf '%-6s  %-7s %10s %10s %7s\n' size path avg_us mdev_us loss
    for size in "${sizes[@]}"; do
        read -r us_avg us_mdev us_loss <<<"$(measure "$ns_us" 10.0.0.2 "$size")"
        read -r k_avg k_mdev k_loss <<<"$(measure "$ns_a" 10.0.1.2 "$size")"
        printf '%-6s  %-7s %10s %10s %6s%%\n' "$size" ustack "$us_avg" "$us_mdev" "$us_loss"
        printf '%-6s  %-7s %10s %10s %6s%%\n' "$size" kernel "$k_avg" "$k_mdev" "$k_loss"
        ratio=$(awk -v u="$us_avg" -v k="$k_avg" 'BEGIN { if (u + 0 > 0 && k + 0 > 0) printf "%.2f", u / k; else print "-" }')
        printf '%-6s  ratio ustack/kernel avg: %s\n' "$size" "$ratio"
    done
fi

# ---- UDP echo ----------------------------------------------------------

export USTACK_CTL=$tmp/ctl.sock
# servers: on ustack (port 7), the kernel on the TAP's host side (7007),
# the kernel across the veth (7)
us_spawn "$ns_us" "$tmp/us-server.log" build/udp-echo-server -p 7
us_spawn "$ns_us" "$tmp/k-server-tap.log" "$tmp/k-udp-echo-server" -p 7007
us_spawn "$ns_b" "$tmp/k-server-veth.log" "$tmp/k-udp-echo-server" -p 7
for ((i = 0; i < 100; i++)); do
    n=$(cat "$tmp/us-server.log" "$tmp/k-server-tap.log" "$tmp/k-server-veth.log" |
        grep -c 'echoing on')
    [ "$n" -eq 3 ] && break
    sleep 0.05
done
if [ "$n" -ne 3 ]; then
    echo "bench: the echo servers did not start:" >&2
    cat "$tmp"/*server*.log >&2
    exit 1
fi

# udp_path NAME: "NS CLIENT_KIND DST PORT" (kind: k = kernel, u = ustack)
udp_path() {
    case $1 in
    kernel-kernel) echo "$ns_a k 10.0.1.2 7" ;;
    kernel-ustack) echo "$ns_us k 10.0.0.2 7" ;;
    ustack-kernel) echo "$ns_us u 10.0.0.1 7007" ;;
    ustack-ustack) echo "$ns_us u 10.0.0.2 7" ;;
    esac
}
# udp_measure PATH SIZE: "rtt_avg_us echoes_per_s flood_per_s flood_loss%"
udp_measure() {
    local ns kind dst port client flood out t0 t1 ok avg rate frate floss
    read -r ns kind dst port <<<"$(udp_path "$1")"
    if [ "$kind" = k ]; then
        client=$tmp/k-udp-echo-client flood=$tmp/k-udp-flood
    else
        client=build/udp-echo-client flood=$tmp/udp-flood
    fi
    # warm up: ARP resolved, caches and the daemon's pages hot
    ip netns exec "$ns" "$client" -n 20 -s "$2" "$dst" "$port" >/dev/null 2>&1
    t0=$(date +%s%N)
    out=$(ip netns exec "$ns" "$client" -n "$udp_count" -s "$2" -t 1000 "$dst" "$port" 2>/dev/null)
    t1=$(date +%s%N)
    # 2000/2000 echoed, rtt min/avg/max = 21/25/230 us
    ok=$(sed -n 's|^\([0-9]*\)/.*|\1|p' <<<"$out")
    avg=$(sed -n 's|.*rtt min/avg/max = [0-9]*/\([0-9]*\)/.*|\1|p' <<<"$out")
    rate=$(awk -v n="${ok:-0}" -v ns="$((t1 - t0))" 'BEGIN { printf "%.0f", n / (ns / 1e9) }')
    # sent 1 echoed 1 lost 0 in 2.000 s: 1 echoes/s
    out=$(ip netns exec "$ns" "$flood" -w "$udp_window" -s "$2" -d "$udp_secs" "$dst" "$port" 2>/dev/null)
    frate=$(sed -n 's|.*: \([0-9]*\) echoes/s|\1|p' <<<"$out")
    floss=$(awk '{ if ($2 > 0) printf "%.1f", 100 * $6 / $2; else print "-" }' <<<"$out")
    echo "${avg:--} ${rate:--} ${frate:--} ${floss:--}"
}
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'
}

# median of the numbers given ("-" ignored; "-" if none)
median() {
    printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

if wants udp; then
    paths=(kernel-kernel kernel-ustack ustack-kernel ustack-ustack)
    echo
    echo "UDP echo: one at a time ($udp_count echoes, udp-echo-client) and $udp_window in flight for ${udp_secs}s (udp-flood); median of $udp_runs runs"
    printf '%-5s %-17s %8s %6s %9s %6s %10s %6s %6s\n' size "client -> server" rtt_us x \
        echoes/s x flood/s x loss
    for size in "${udp_sizes[@]}"; do
        declare -A res=()
        for ((run = 0; run < udp_runs; run++)); do
            for path in "${paths[@]}"; do
                res[$path.$run]=$(udp_measure "$path" "$size")
            done
        done
        for path in "${paths[@]}"; do
            cols=()
            for c in 1 2 3 4; do
                vals=()
                for ((run = 0; run < udp_runs; run++)); do
                    vals+=("$(cut -d' ' -f"$c" <<<"${res[$path.$run]}")")
                done
                cols+=("$(median "${vals[@]}")")
            done
            read -r avg rate frate floss <<<"${cols[*]}"
            if [ "$path" = kernel-kernel ]; then
                k_avg=$avg k_rate=$rate k_frate=$frate
            fi
            printf '%-5s %-17s %8s %6s %9s %6s %10s %6s %5s%%\n' "$size" \
                "${path%-*} -> ${path#*-}" "$avg" "$(ratio "$avg" "$k_avg")" "$rate" \
                "$(ratio "$rate" "$k_rate")" "$frate" "$(ratio "$frate" "$k_frate")" "$floss"
        done
        unset res
    done
fi

# ---- TCP ---------------------------------------------------------------

if ! wants tcp; then
    exit 0
fi
tcp_bytes=$((tcp_mb * 1024 * 1024))
head -c "$tcp_bytes" /dev/urandom >"$tmp/tcp.bin"
us_spawn "$ns_us" "$tmp/tcp-us-echo.log" build/echo-server -p 7 -m poll
us_spawn "$ns_us" "$tmp/tcp-k-echo-tap.log" "$tmp/k-echo-server" -p 7007 -m poll
us_spawn "$ns_b" "$tmp/tcp-k-echo-veth.log" "$tmp/k-echo-server" -p 7 -m poll
for ((i = 0; i < 100; i++)); do
    n=$(cat "$tmp"/tcp-*echo*.log | grep -c 'echoing on')
    [ "$n" -eq 3 ] && break
    sleep 0.05
done
if [ "$n" -ne 3 ]; then
    echo "bench: the TCP echo servers did not start:" >&2
    cat "$tmp"/tcp-*echo*.log >&2
    exit 1
fi

# tcp_listening NS PORT KIND: wait (bounded) for a listener on PORT: on
# ustack (KIND u: ustat says so) or on the kernel of NS (k: ss)
tcp_listening() {
    local i
    for ((i = 0; i < 250; i++)); do
        if [ "$3" = u ]; then
            build/ustat -tl 2>/dev/null | grep -q "LISTEN.*:$2 " && return 0
        else
            ip netns exec "$1" ss -Htln "sport = :$2" 2>/dev/null | grep -q . && return 0
        fi
        sleep 0.02
    done
    return 1
}

# tcp_bulk PATH TOOL PORT [CC]: "microseconds bytes_received" of one
# transfer of $tmp/tcp.bin, from the sender's start to the receiver's end.
# TOOL is what runs on the kernel's end (unc: the kernel-socket build,
# nc); CC the sender's congestion control (unc -C), else the default
tcp_bulk() {
    local tool=$2 port=$3 krecv rns rcmd rkind sns t0 t1 rpid
    local -a ksend send cc=()
    [ -n "${4:-}" ] && cc=(-C "$4")
    if [ "$tool" = unc ]; then
        krecv="$tmp/k-unc -l" ksend=("$tmp/k-unc" "${cc[@]}")
    else
        krecv="nc -l" ksend=(nc -N)
    fi
    case $1 in
    kernel-ustack)
        rns=$ns_us rkind=u rcmd="build/unc -l $port"
        sns=$ns_us send=("${ksend[@]}" 10.0.0.2 "$port")
        ;;
    ustack-kernel)
        rns=$ns_us rkind=k rcmd="$krecv $([ "$tool" = nc ] && echo 10.0.0.1) $port"
        sns=$ns_us send=(build/unc "${cc[@]}" 10.0.0.1 "$port")
        ;;
    kernel-kernel)
        rns=$ns_b rkind=k rcmd="$krecv $([ "$tool" = nc ] && echo 10.0.1.2) $port"
        sns=$ns_a send=("${ksend[@]}" 10.0.1.2 "$port")
        ;;
    esac
    timeout 120 ip netns exec "$rns" sh -c "$rcmd </dev/null | wc -c" >"$tmp/tcp.count" \
        2>"$tmp/tcp.rx.err" &
    rpid=$!
    if ! tcp_listening "$rns" "$port" "$rkind"; then
        wait "$rpid"
        echo "- 0"
        return
    fi
    t0=$(date +%s%N)
    timeout 120 ip netns exec "$sns" "${send[@]}" <"$tmp/tcp.bin" >/dev/null 2>"$tmp/tcp.tx.err"
    wait "$rpid"
    t1=$(date +%s%N)
    echo "$(((t1 - t0) / 1000)) $(tr -d ' ' <"$tmp/tcp.count")"
}

# tcp_echo PATH: MB/s each way of one echo-client run, "-" if it failed
tcp_echo() {
    local ns client dst port out
    case $1 in
    kernel-kernel) ns=$ns_a client=$tmp/k-echo-client dst=10.0.1.2 port=7 ;;
    ustack-ustack) ns=$ns_us client=build/echo-client dst=10.0.0.2 port=7 ;;
    ustack-kernel) ns=$ns_us client=build/echo-client dst=10.0.0.1 port=7007 ;;
    kernel-ustack) ns=$ns_us client=$tmp/k-echo-client dst=10.0.0.2 port=7 ;;
    esac
    # 1/1 connections echoed N bytes intact: N bytes each way in S s, X MB/s each way (...)
    if out=$(timeout 120 ip netns exec "$ns" "$client" -n "${tcp_mb}M" "$dst" "$port" 2>&1); then
        sed -n 's|.* \([0-9.]*\) MB/s each way.*|\1|p' <<<"$out"
    else
        echo "-"
        echo "bench: echo $1: $(tail -n 1 <<<"$out")" >&2
    fi
}

# gbps MB/s: the same rate in Gb/s
gbps() {
    awk -v m="$1" 'BEGIN { if (m + 0 > 0) printf "%.2f", m * 8 / 1000; else print "-" }'
}

bulk_paths=(kernel-kernel kernel-ustack ustack-kernel)
bulk_tools=(unc nc)
echo
echo "TCP bulk: $tcp_mb MiB over one connection, a file to a receiver counting the bytes; median of $tcp_runs runs"
printf '%-17s %-29s %9s %7s %6s %s\n' "sender -> receiver" programs MB/s Gb/s x \
    "bytes received"
declare -A res=()
port=42000
for ((run = 0; run < tcp_runs; run++)); do
    for tool in "${bulk_tools[@]}"; do
        for path in "${bulk_paths[@]}"; do
            port=$((port + 1))
            res[$path.$tool.$run]=$(tcp_bulk "$path" "$tool" "$port")
        done
    done
done
declare -A bulk=()
for tool in "${bulk_tools[@]}"; do
    for path in "${bulk_paths[@]}"; do
        vals=()
        counts=""
        for ((run = 0; run < tcp_runs; run++)); do
            read -r us n <<<"${res[$path.$tool.$run]}"
            if [ "$n" = "$tcp_bytes" ] && [ "$us" != - ]; then
                vals+=("$(awk -v b="$n" -v us="$us" 'BEGIN { printf "%.1f", b / us }')")
                counts+=" ok"
            else
                counts+=" ${n:-0}!"
            fi
        done
        case $tool.$path in
        unc.kernel-kernel) progs="unc (kernel) -> unc (kernel)" ;;
        unc.kernel-ustack) progs="unc (kernel) -> unc -l" ;;
        unc.ustack-kernel) progs="unc -> unc -l (kernel)" ;;
        nc.kernel-kernel) progs="nc -N -> nc -l" ;;
        nc.kernel-ustack) progs="nc -N -> unc -l" ;;
        nc.ustack-kernel) progs="unc -> nc -l" ;;
        esac
        bulk[$path.$tool]=$(median "${vals[@]}")
        printf '%-17s %-29s %9s %7s %6s %s\n' "${path%-*} -> ${path#*-}" "$progs" \
            "${bulk[$path.$tool]}" "$(gbps "${bulk[$path.$tool]}")" \
            "$(ratio "${bulk[$path.$tool]}" "${bulk[kernel-kernel.$tool]}")" "$tcp_bytes:$counts"
    done
done
for tool in "${bulk_tools[@]}"; do
    printf 'ratio ustack/kernel (%s): kernel -> ustack %s, ustack -> kernel %s\n' "$tool" \
        "$(ratio "${bulk[kernel-ustack.$tool]}" "${bulk[kernel-kernel.$tool]}")" \
        "$(ratio "${bulk[ustack-kernel.$tool]}" "${bulk[kernel-kernel.$tool]}")"
done
unset res

# the sender's congestion control
echo
echo "TCP bulk by the sender's congestion control (unc -C): $tcp_mb MiB, unc on both ends; median of $tcp_runs runs"
printf '%-17s %-6s %9s %7s %s\n' "sender -> receiver" cc MB/s Gb/s "bytes received"
declare -A res=()
for ((run = 0; run < tcp_runs; run++)); do
    for cc in cubic reno; do
        for path in ustack-kernel kernel-kernel; do
            port=$((port + 1))
            res[$path.$cc.$run]=$(tcp_bulk "$path" unc "$port" "$cc")
        done
    done
done
for path in ustack-kernel kernel-kernel; do
    for cc in cubic reno; do
        vals=()
        counts=""
        for ((run = 0; run < tcp_runs; run++)); do
            read -r us n <<<"${res[$path.$cc.$run]}"
            if [ "$n" = "$tcp_bytes" ] && [ "$us" != - ]; then
                vals+=("$(awk -v b="$n" -v us="$us" 'BEGIN { printf "%.1f", b / us }')")
                counts+=" ok"
            else
                counts+=" ${n:-0}!"
            fi
        done
        m=$(median "${vals[@]}")
        printf '%-17s %-6s %9s %7s %s\n' "${path%-*} -> ${path#*-}" "$cc" "$m" "$(gbps "$m")" \
            "$tcp_bytes:$counts"
    done
done
unset res

echo_paths=(kernel-kernel ustack-ustack ustack-kernel kernel-ustack)
echo
echo "TCP echo: echo-client -n ${tcp_mb}M, one connection, echo-server -m poll; rate each way; median of $tcp_runs runs"
printf '%-17s %9s %7s %6s\n' "client -> server" MB/s Gb/s x
declare -A res=()
for ((run = 0; run < tcp_runs; run++)); do
    for path in "${echo_paths[@]}"; do
        res[$path.$run]=$(tcp_echo "$path")
    done
done
declare -A echo_rate=()
for path in "${echo_paths[@]}"; do
    vals=()
    for ((run = 0; run < tcp_runs; run++)); do
        vals+=("${res[$path.$run]}")
    done
    echo_rate[$path]=$(median "${vals[@]}")
    printf '%-17s %9s %7s %6s\n' "${path%-*} -> ${path#*-}" "${echo_rate[$path]}" \
        "$(gbps "${echo_rate[$path]}")" "$(ratio "${echo_rate[$path]}" "${echo_rate[kernel-kernel]}")"
done
printf 'ratio ustack/kernel: ustack -> ustack %s, ustack -> kernel %s, kernel -> ustack %s\n' \
    "$(ratio "${echo_rate[ustack-ustack]}" "${echo_rate[kernel-kernel]}")" \
    "$(ratio "${echo_rate[ustack-kernel]}" "${echo_rate[kernel-kernel]}")" \
    "$(ratio "${echo_rate[kernel-ustack]}" "${echo_rate[kernel-kernel]}")"
