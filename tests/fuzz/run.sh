#!/usr/bin/env bash
# tests/fuzz/run.sh - the fuzz tier: every target tests/fuzz/fuzz_*.c builds
# (build/fuzz/fuzz_*), one after another, each for its own time budget:
#   fuzz_frame  FUZZ_SECONDS      (default 30)  frames into the engine
#   fuzz_ctl    FUZZ_CTL_SECONDS  (default 15)  control-protocol decoder
#   fuzz_tcp    FUZZ_TCP_SECONDS  (default 30)  a peer on two established
#                                                TCP connections, and UDP
#   others      FUZZ_SECONDS      (default 30)
#
# Seeds go to build/fuzz/seeds-NAME, made fresh each run: fuzz_frame's from
# pcaps/ (tests/fuzz/pcap2seeds.py), fuzz_tcp's from pcaps/ too
# (tests/fuzz/tcp_seeds.py), fuzz_ctl's by tests/fuzz/ctl_seeds.py.
# tests/fuzz/coverage.sh reports what a target's corpus covers.
# What libFuzzer finds interesting stays in build/fuzz/corpus-NAME across
# runs, so every run starts by re-running everything found before. A
# crash, a sanitizer report or a leak leaves build/fuzz/NAME-crash-* (or
# -leak-*, -timeout-*) and prints "not ok" with that path; reproduce with
#   build/fuzz/NAME build/fuzz/NAME-crash-...
# Prints one TAP-style line per target; exit 1 if any failed.
set -u
cd "$(dirname "$0")/../.." || exit 1

# budget NAME: seconds for that target
budget() {
    case $1 in
    fuzz_ctl) echo "${FUZZ_CTL_SECONDS:-15}" ;;
    fuzz_tcp) echo "${FUZZ_TCP_SECONDS:-30}" ;;
    *) echo "${FUZZ_SECONDS:-30}" ;;
    esac
}

# make_seeds NAME DIR LOG: fill DIR with NAME's seeds; 1 on failure.
make_seeds() {
    local name=$1 dir=$2 log=$3 pcaps
    case $name in
    fuzz_frame)
        pcaps=(pcaps/*.pcap)
        if [ ${#pcaps[@]} -eq 0 ]; then
            echo "# $name: no pcaps/*.pcap, fuzzing without seeds"
            return 0
        fi
        /usr/bin/python3 tests/fuzz/pcap2seeds.py "$dir" "${pcaps[@]}" >>"$log" 2>&1
        ;;
    fuzz_ctl)
        /usr/bin/python3 tests/fuzz/ctl_seeds.py "$dir" >>"$log" 2>&1
        ;;
    fuzz_tcp)
        /usr/bin/python3 tests/fuzz/tcp_seeds.py "$dir" pcaps/*.pcap >>"$log" 2>&1
        ;;
    *)
        echo "# $name: no seeds"
        ;;
    esac
}

# run_target NAME: fuzz build/fuzz/NAME; prints its ok / not ok line.
run_target() {
    local name=$1 bin=build/fuzz/$1 secs seeds corpus log rc execs artifact
    secs=$(budget "$name")
    seeds=build/fuzz/seeds-$name
    corpus=build/fuzz/corpus-$name
    log=build/fuzz/$name.log

    if [ ! -x "$bin" ]; then
        echo "not ok - $name: $bin is not built (make fuzz)"
        return 1
    fi
    # fuzz_frame's corpus was build/fuzz/corpus when it was the only target
    if [ "$name" = fuzz_frame ] && [ -d build/fuzz/corpus ] && [ ! -e "$corpus" ]; then
        mv build/fuzz/corpus "$corpus"
    fi
    rm -rf "$seeds"
    mkdir -p "$seeds" "$corpus"
    : >"$log"
    if ! make_seeds "$name" "$seeds" "$log"; then
        sed 's/^/# /' "$log"
        echo "not ok - $name: cannot make seeds"
        return 1
    fi

    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="build/fuzz/$name-" -print_final_stats=1 \
        "$corpus" "$seeds" >>"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)

    if [ "$rc" -eq 0 ] && [ -n "$execs" ]; then
        echo "ok - $name $secs s, $execs execs"
        return 0
    fi
    artifact=$(sed -n 's/.*Test unit written to \([^ ]*\).*/\1/p' "$log" | tail -n 1)
    grep -E 'ERROR: |SUMMARY: |runtime error|^    #[0-9] ' "$log" | head -n 20 | sed 's/^/# /'
    echo "not ok - $name found a crash after ${execs:-?} execs (exit $rc): ${artifact:-no artifact written} (log: $log)"
    return 1
}

shopt -s nullglob
srcs=(tests/fuzz/fuzz_*.c)
if [ ${#srcs[@]} -eq 0 ]; then
    echo "not ok - fuzz: no tests/fuzz/fuzz_*.c"
    exit 1
fi
fail=0
for src in "${srcs[@]}"; do
    run_target "$(basename "$src" .c)" || fail=1
done
exit "$fail"
