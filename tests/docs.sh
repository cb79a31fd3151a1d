#!/bin/bash
# tests/docs.sh - generated documentation matches the code: the committed
# docs/tcp-states.dot must be what tcp_fsm_dot() prints from the
# transition table (run `make docs` after changing the table).
cd "$(dirname "$0")/.." || exit 1
gen=build/tcp-states-dot
if [ ! -x "$gen" ]; then
    echo "not ok - tcp state diagram: $gen is missing (make all)"
    exit 0
fi
if diff -u docs/tcp-states.dot <("$gen") >/tmp/tcp-states.diff.$$ 2>&1; then
    echo "ok - docs/tcp-states.dot matches the transition table"
else
    echo "not ok - docs/tcp-states.dot differs from the transition table (make docs):"
    sed 's/^/#   /' /tmp/tcp-states.diff.$$ | head -20
fi
rm -f /tmp/tcp-states.diff.$$
# The project stands alone: nothing in it points outside the tree to a
# style guide or notes that a clone does not have.
if git rev-parse --git-dir >/dev/null 2>&1; then
    if refs=$(git grep -n -e '\.\./shared' -- . ':!tests/docs.sh'); then
        echo "not ok - files point outside the project (../shared):"
        printf '%s\n' "$refs" | sed 's/^/#   /' | head -10
    else
        echo "ok - no file points outside the project"
    fi
fi
