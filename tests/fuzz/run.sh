#!/usr/bin/env bash
# tests/fuzz/run.sh - the fuzz tier: build/fuzz/fuzz_frame for FUZZ_SECONDS.
#
# Seeds come from pcaps/ (tests/fuzz/pcap2seeds.py) into build/fuzz/seeds;
# what libFuzzer finds interesting stays in build/fuzz/corpus across runs,
# so every run starts by re-running everything found before. A crash, a
# sanitizer report or a leak leaves build/fuzz/crash-* (or leak-*, timeout-*)
# and prints "not ok" with that path; reproduce with
#   build/fuzz/fuzz_frame build/fuzz/crash-...
# Prints TAP-style lines; exit 1 on failure.
set -u
cd "$(dirname "$0")/../.." || exit 1

secs=${FUZZ_SECONDS:-30}
bin=build/fuzz/fuzz_frame
seeds=build/fuzz/seeds
corpus=build/fuzz/corpus
log=build/fuzz/fuzz_frame.log

if [ ! -x "$bin" ]; then
    echo "not ok - fuzz_frame: $bin is not built (make fuzz)"
    exit 1
fi
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus"
shopt -s nullglob
pcaps=(pcaps/*.pcap)
if [ ${#pcaps[@]} -gt 0 ]; then
    if ! /usr/bin/python3 tests/fuzz/pcap2seeds.py "$seeds" "${pcaps[@]}" >"$log" 2>&1; then
        sed 's/^/# /' "$log"
        echo "not ok - fuzz_frame: cannot make seeds from pcaps/"
        exit 1
    fi
else
    echo "# no pcaps/*.pcap: fuzzing without seeds"
fi

"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix=build/fuzz/ -print_final_stats=1 \
    "$corpus" "$seeds" >>"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)

if [ "$rc" -eq 0 ] && [ -n "$execs" ]; then
    echo "ok - fuzz_frame $secs s, $execs execs"
    exit 0
fi
artifact=$(sed -n 's/.*Test unit written to \([^ ]*\).*/\1/p' "$log" | tail -n 1)
grep -E 'ERROR: |SUMMARY: |runtime error|^    #[0-9] ' "$log" | head -n 20 | sed 's/^/# /'
echo "not ok - fuzz_frame found a crash after ${execs:-?} execs (exit $rc): ${artifact:-no artifact written} (log: $log)"
exit 1
