#!/usr/bin/env bash
# tests/run_all.sh - run every test tier and print one summary (make test).
#
# Tiers, in order:
#   unit     each build/san/tests/test_* (cmocka; its PASSED/FAILED counts)
#   replay   tests/replay/run.sh, tests/replay/trace.sh, tests/replay/notes.sh
#   docs     tests/docs.sh: generated docs match the code
#   install  tests/install.sh: make install into a temporary DESTDIR, the
#            first program of docs/SOCKETS.md built against it (no root)
#   interop  each tests/interop/*.sh (root and network namespaces needed;
#            skipped with the reason otherwise, a failure when CI is set)
#   conformance  tests/conformance/run.sh: ustack's TCP segment by segment
#            against RFC 9293 / RFC 5961, Scapy as the peer (same needs
#            as interop, skipped or failed the same way)
#   fuzz     tests/fuzz/run.sh: every fuzz target, one line each
#            (FUZZ_SECONDS default 30 for fuzz_frame, FUZZ_CTL_SECONDS 15,
#            FUZZ_TCP_SECONDS 30)
# Script tiers print TAP-style "ok - name" / "not ok - name" lines, which
# are counted; a tier that exits non-zero without a "not ok" line (a crash,
# a sanitizer abort) counts as one failure. Build first: make san fuzz.
# The last line is "N passed, N failed[, N skipped]"; exit 1 if any failed.
set -u
cd "$(dirname "$0")/.." || exit 1

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

passed=0
failed=0
skipped=0
failures=()
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

tier() {
    printf '\n== %s ==\n' "$1"
}

# run_unit BIN: one cmocka binary; adds its counts.
run_unit() {
    local bin=$1 name out rc p f
    name=$(basename "$bin")
    out=$tmp/$name.out
    "$bin" >"$out" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    p=${p:-0}
    f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # crashed or aborted before cmocka could count
    fi
    if [ "$rc" -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
        f=1 # ran nothing we can see: not a pass
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
        sed 's/^/    /' "$out"
        echo "not ok - unit $name ($p passed, $f failed, exit $rc)"
        failures+=("unit $name")
    else
        echo "ok - unit $name ($p passed)"
    fi
}

# run_script NAME CMD...: a TAP-style script; adds its ok / not ok lines.
run_script() {
    local name=$1 out rc p f s
    shift
    out=$tmp/$(echo "$name" | tr '/ ' '__').out
    "$@" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    p=$(grep -c '^ok - ' "$out")
    s=$(grep -c '^ok - .*# *SKIP' "$out")
    f=$(grep -c '^not ok - ' "$out")
    p=$((p - s))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "not ok - $name exited $rc without reporting a failure"
        f=1
    fi
    if [ "$rc" -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then
        echo "not ok - $name reported no result"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
    if [ "$f" -gt 0 ]; then
        failures+=("$name")
    fi
}

# Why interop cannot run here, or nothing when it can.
interop_blocker() {
    local ns
    if [ "$(id -u)" -ne 0 ]; then
        echo "not root"
        return
    fi
    if ! command -v ip >/dev/null 2>&1; then
        echo "no ip(8) (iproute2)"
        return
    fi
    if [ ! -c /dev/net/tun ]; then
        echo "no /dev/net/tun"
        return
    fi
    ns=ustack-probe-$$
    if ! ip netns add "$ns" 2>/dev/null; then
        echo "cannot create a network namespace"
        return
    fi
    ip netns del "$ns" 2>/dev/null
}

shopt -s nullglob

tier unit
units=(build/san/tests/test_*)
if [ ${#units[@]} -eq 0 ]; then
    echo "# no unit test binaries in build/san/tests (make san)"
fi
for bin in "${units[@]}"; do
    [ -x "$bin" ] && run_unit "$bin"
done

tier replay
run_script replay tests/replay/run.sh
run_script "replay trace" tests/replay/trace.sh
run_script "replay notes" tests/replay/notes.sh

tier docs
run_script docs tests/docs.sh

tier install
run_script install tests/install.sh

tier interop
scripts=(tests/interop/*.sh)
why=$(interop_blocker)
if [ -n "$why" ]; then
    if [ -n "${CI:-}" ]; then
        echo "not ok - interop cannot run in CI: $why"
        failed=$((failed + 1))
        failures+=("interop ($why)")
    else
        echo "# interop skipped: $why (${#scripts[@]} scripts)"
        skipped=$((skipped + ${#scripts[@]}))
    fi
else
    for t in "${scripts[@]}"; do
        run_script "interop $(basename "$t" .sh)" "$t"
    done
fi

tier conformance
if [ -n "$why" ]; then
    if [ -n "${CI:-}" ]; then
        echo "not ok - conformance cannot run in CI: $why"
        failed=$((failed + 1))
        failures+=("conformance ($why)")
    else
        echo "# conformance skipped: $why"
        skipped=$((skipped + 1))
    fi
else
    run_script conformance tests/conformance/run.sh
fi

tier fuzz
run_script fuzz tests/fuzz/run.sh

echo
if [ ${#failures[@]} -gt 0 ]; then
    echo "failed in: $(printf '%s; ' "${failures[@]}")"
fi
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
