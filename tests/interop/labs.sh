#!/usr/bin/env bash
# tests/interop/labs.sh - the labs of docs/labs/ run as written, so that
# what a guide says a student will see stays true.
#
# Each guide (docs/labs/[0-9]*.md) is read for its fenced blocks:
#   ```sh daemon      terminal 1: how the daemon is started (make run or
#                     scripts/run.sh, with any ustackd options after it)
#   ```sh lab         terminal 2: commands typed in scripts/lab-shell.sh
#                     (one shell for the whole lab, as a terminal)
#   ```expect         what that step prints: one extended regular
#                     expression a line, each must match some line of the
#                     step's output ("! RE": no line may match)
#   ```expect daemon  the same for what terminal 1 (the daemon) printed
#                     since the step began; waited for, up to 10 s
# Everything else (prose, ```sh blocks without "lab", sample output) is
# for the reader only. A lab runs in a namespace of its own made here
# (deleted on exit, even on failure): scripts/run.sh with the sanitizer
# build and the guide's options, then every step through
# scripts/lab-shell.sh (bounded: 60 s a step), then SIGTERM to run.sh,
# which must stop cleanly and exit 0 (unless the lab stopped the daemon
# itself), and no sanitizer report in what the daemon printed.
#
#   LABS="01 04"   only those labs (by number)
#   LABS_RECORD=1  also write each lab's capture beside its guide,
#                  truncated to 128 bytes a frame (docs/labs/NN-*.pcap),
#                  and tshark's one line per frame of it (NN-*.txt); a
#                  guide's "<!-- record: FILTER -->" line keeps only the
#                  frames tshark's display filter FILTER matches
# Root needed. Prints TAP-style lines; exit 1 on any failure.
# shellcheck disable=SC2317 # cleanup runs from the EXIT trap
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/ns-lib.bash
. tests/lib.bash

fail=0
tmp=$(mktemp -d) || exit 1
log=$tmp/none.log
us_traps
trap test_cleanup EXIT
need_built labs build/san/ustackd build/san/ustack-services build/san/ustat build/san/unc \
    build/san/echo-server
need_tools labs tshark nc ping

# split GUIDE DIR: each fenced block of GUIDE that the runner reads into
# DIR/NNN.KIND (KIND: daemon, lab, expect, expect-daemon), in order.
split() {
    awk -v dir="$2" '
        /^```/ && !inblock {
            kind = ""
            if ($0 ~ /^```sh daemon *$/) kind = "daemon"
            else if ($0 ~ /^```sh lab *$/) kind = "lab"
            else if ($0 ~ /^```expect *$/) kind = "expect"
            else if ($0 ~ /^```expect daemon *$/) kind = "expect-daemon"
            inblock = 1
            if (kind != "") { n++; out = sprintf("%s/%03d.%s", dir, n, kind); printf "" > out }
            next
        }
        /^```/ && inblock { inblock = 0; if (out != "") close(out); out = ""; next }
        inblock && out != "" { print >> out }
    ' "$1"
}

# daemon_args FILE: what follows "make run" or "scripts/run.sh" in the
# daemon block, as words (options for ustackd)
daemon_args() {
    sed -n 's/.*\(make run\|scripts\/run\.sh\)\(.*\)$/\2/p' "$1" | sed 's/#.*//' | head -n 1
}

# step_run STEP SHELLOUT OUT N: the lab's shell (fd 7) runs STEP (stdin
# /dev/null, as nobody types); what it printed, up to the end marker, in
# OUT. 1 if it did not end within 60 s.
step_run() {
    local start i mark="@@ step $4 done @@"
    start=$(stat -c %s "$2")
    printf "source '%s' </dev/null; echo '%s'\n" "$1" "$mark" >&7
    for ((i = 0; i < 600; i++)); do
        if tail -c +"$((start + 1))" "$2" | grep -q "^$mark\$"; then
            tail -c +"$((start + 1))" "$2" | sed "/^$mark\$/,\$d" >"$3"
            return 0
        fi
        sleep 0.1
    done
    tail -c +"$((start + 1))" "$2" >"$3"
    return 1
}

# expect_lines FILE OUT LABEL: every pattern of FILE against OUT; 1 if
# any failed
expect_lines() {
    local re neg found bad=0
    while IFS= read -r re; do
        [ -n "$re" ] || continue
        neg=0
        if [ "${re#! }" != "$re" ]; then
            neg=1
            re=${re#! }
        fi
        if grep -Eq -- "$re" "$2"; then
            found=1
        else
            found=0
        fi
        if [ "$neg" = 0 ] && [ "$found" = 1 ]; then
            ok "$3: /$re/"
        elif [ "$neg" = 1 ] && [ "$found" = 0 ]; then
            ok "$3: no /$re/"
        else
            notok "$3: $([ "$neg" = 1 ] && echo 'no ')/$re/"
            bad=1
        fi
    done <"$1"
    return "$bad"
}

# expect_daemon FILE LOG OFFSET LABEL: every pattern of FILE appears in
# LOG past byte OFFSET, within 10 s
expect_daemon() {
    local re i found
    while IFS= read -r re; do
        [ -n "$re" ] || continue
        found=0
        for ((i = 0; i < 100; i++)); do
            if tail -c +"$(($3 + 1))" "$2" | grep -Eq -- "$re"; then
                found=1
                break
            fi
            sleep 0.1
        done
        if [ "$found" = 1 ]; then
            ok "$4: daemon /$re/"
        else
            notok "$4: daemon /$re/"
        fi
    done <"$1"
}

# leftovers NS: the PIDs a step left running in NS (our namespace), not
# run.sh, the daemon or the services
leftovers() {
    local pid comm
    for pid in $(ip netns pids "$1" 2>/dev/null); do
        comm=$(cat "/proc/$pid/comm" 2>/dev/null)
        case "$comm" in run.sh | ustackd | ustack-services | "") continue ;; esac
        [ "$pid" = "$runpid" ] || echo "$pid"
    done
}

# kill_ns NS: whatever a step left running in NS, gone
kill_ns() {
    local pid pids i
    for ((i = 0; i < 3; i++)); do
        pids=$(leftovers "$1")
        [ -n "$pids" ] || return 0
        for pid in $pids; do
            kill -TERM "$pid" 2>/dev/null
        done
        sleep 0.3
    done
    for pid in $(leftovers "$1"); do
        kill -KILL "$pid" 2>/dev/null
    done
}

# run_lab GUIDE
run_lab() {
    local guide=$1 name num d ns step kind label out off rc args filter n shellpid t0
    name=$(basename "$guide" .md)
    num=${name%%-*}
    d=$tmp/$name
    mkdir -p "$d/blocks" "$d/work"
    split "$guide" "$d/blocks"
    ns=ustack-labs-$$-$num
    need_netns "lab $name"
    log=$d/run.log
    args=
    for step in "$d"/blocks/*.daemon; do
        [ -f "$step" ] && args=$(daemon_args "$step")
        break
    done
    # shellcheck disable=SC2086 # the guide's options, as words
    us_spawn "$ns" "$log" env USTACK_BIN=build/san USTACK_CTL="$d/ctl.sock" \
        USTACK_PCAP="$d/cap.pcap" scripts/run.sh $args
    runpid=$US_LAST_PID
    if ! wait_for "$log" 'Ctrl-C stops' 20; then
        sed 's/^/#   /' "$log"
        notok "lab $name: scripts/run.sh $args starts"
        return
    fi
    ok "lab $name: scripts/run.sh $args starts"
    # one shell for the whole lab, as a student's terminal 2: what a step
    # leaves (variables, open descriptors, background jobs) the next finds
    mkfifo "$d/cmd"
    USTACK_BIN=build/san USTACK_CTL=$d/ctl.sock USTACK_PCAP=$d/cap.pcap LAB_DIR=$d/work \
        scripts/lab-shell.sh "$ns" <"$d/cmd" >"$d/shell.out" 2>&1 &
    shellpid=$!
    exec 7>"$d/cmd"
    off=0
    out=
    for step in "$d"/blocks/*; do
        kind=${step##*.}
        n=$(basename "${step%.*}")
        label="lab $name step $n"
        case "$kind" in
        lab)
            out=$step.out
            off=$(stat -c %s "$log")
            t0=$(date +%s.%N)
            if ! step_run "$step" "$d/shell.out" "$out" "$n"; then
                notok "$label ends (within 60 s)"
                sed 's/^/#   | /' "$out" | tail -n 25
                break
            fi
            echo "# $label took $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
            ;;
        expect)
            if [ -z "$out" ]; then
                notok "$label: an expect block before any step"
            elif ! expect_lines "$step" "$out" "$label"; then
                sed 's/^/#   | /' "$out" | tail -n 25
            fi
            ;;
        expect-daemon) expect_daemon "$step" "$log" "$off" "$label" ;;
        esac
    done
    exec 7>&-
    kill_ns "$ns"
    wait "$shellpid" 2>/dev/null
    if kill -0 "$runpid" 2>/dev/null; then
        us_stop "$runpid" TERM 15
        check "lab $name: run.sh stops on SIGTERM, exit 0 (was $US_STATUS)" \
            test "$US_STATUS" = 0
    else
        wait "$runpid"
        rc=$?
        check "lab $name: run.sh ends with exit 0 (was $rc)" test "$rc" = 0
    fi
    check "lab $name: no sanitizer report" \
        bash -c "! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' '$log' $d/work/*.log 2>/dev/null"
    if [ "${LABS_RECORD:-}" = 1 ] && [ -s "$d/cap.pcap" ]; then
        filter=$(sed -n 's/^<!-- record: \(.*\) -->$/\1/p' "$guide" | head -n 1)
        if [ -n "$filter" ]; then
            tshark -r "$d/cap.pcap" -Y "$filter" -w "$d/rec.pcap" 2>/dev/null
        else
            cp "$d/cap.pcap" "$d/rec.pcap"
        fi
        # pcapng keeps each frame's comment (why ustack sent it, or
        # dropped it), which the text shows as its last column
        editcap -F pcapng -s 128 "$d/rec.pcap" "docs/labs/$name.pcap" &&
            tshark -n -r "docs/labs/$name.pcap" -o "gui.column.format:$columns" \
                >"docs/labs/$name.txt" 2>/dev/null
        echo "# recorded docs/labs/$name.pcap ($(stat -c %s "docs/labs/$name.pcap") bytes)"
    fi
    ip netns del "$ns" 2>/dev/null
}

# the committed text of a capture: tshark's usual columns and the comment
columns='"No.","%m","Time","%t","Source","%s","Destination","%d","Protocol","%p","Info","%i","Why","%Cus:frame.comment"'

for guide in docs/labs/[0-9]*.md; do
    n=$(basename "$guide")
    n=${n%%-*}
    if [ -n "${LABS:-}" ] && ! grep -qw "$n" <<<"$LABS"; then
        continue
    fi
    run_lab "$guide"
done
exit "$fail"
