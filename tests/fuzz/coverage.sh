#!/usr/bin/env bash
# tests/fuzz/coverage.sh - line and branch coverage of a fuzz target's
# corpus over the engine, with clang's source-based coverage.
#
#   tests/fuzz/coverage.sh [NAME [FILE...]]   (default: fuzz_tcp tcp_in.c)
#
# Builds build/cov/NAME (the engine and the target with
# -fprofile-instr-generate -fcoverage-mapping, libFuzzer's driver), runs
# every input of build/fuzz/corpus-NAME and build/fuzz/seeds-NAME once
# (-runs=0: no fuzzing), and prints llvm-cov's report for the engine files
# named (their basenames; all of stack/ without one). Nothing else is
# changed; build/cov is scratch.
set -eu
cd "$(dirname "$0")/../.." || exit 1
name=${1:-fuzz_tcp}
shift || true
[ $# -gt 0 ] || set -- tcp_in.c
out=build/cov
mkdir -p "$out/obj"
flags=(-std=c11 -D_GNU_SOURCE -O1 -g -Istack -Isocket_api -fprofile-instr-generate
    -fcoverage-mapping -fsanitize=fuzzer-no-link)
objs=()
for src in stack/core/*.c stack/wire/*.c stack/proto/*.c stack/dev/*.c stack/stack.c \
    "tests/fuzz/$name.c"; do
    obj=$out/obj/$(echo "$src" | tr / _).o
    if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] ||
        [ -n "$(find stack -name '*.h' -newer "$obj" | head -n 1)" ]; then
        clang "${flags[@]}" -c "$src" -o "$obj"
    fi
    objs+=("$obj")
done
[ "$name" != fuzz_ctl ] || objs+=("$(clang "${flags[@]}" -c socket_api/ctl_proto.c \
    -o "$out/obj/ctl_proto.o" && echo "$out/obj/ctl_proto.o")")
clang -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping -o "$out/$name" \
    "${objs[@]}" -lpcap
rm -f "$out"/*.profraw
dirs=()
for d in "build/fuzz/corpus-$name" "build/fuzz/seeds-$name"; do
    [ -d "$d" ] && dirs+=("$d")
done
LLVM_PROFILE_FILE="$out/$name.profraw" "$out/$name" -runs=0 -artifact_prefix="$out/" \
    "${dirs[@]}" >"$out/$name.log" 2>&1 || {
    tail -n 20 "$out/$name.log"
    exit 1
}
llvm-profdata merge -sparse "$out/$name.profraw" -o "$out/$name.profdata"
files=()
for f in "$@"; do
    files+=("$(find stack -name "$f" | head -n 1)")
done
llvm-cov report "$out/$name" -instr-profile="$out/$name.profdata" "${files[@]}"
