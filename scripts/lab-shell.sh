#!/bin/bash
# lab-shell.sh - a shell for the labs (docs/labs/): in the network
# namespace where `make run` runs, with the environment the guides' commands
# expect.
#
#   sudo scripts/lab-shell.sh NS [BASH-ARGUMENT...]
#
# Runs bash in namespace NS (an interactive one, or with the arguments,
# e.g. -c 'COMMANDS') in a scratch directory, with:
#   PATH        the programs ($USTACK_BIN, default build) first: unc, ustat,
#               echo-server ... by name
#   USTACK_CTL  the daemon's control socket (default /run/ustack/NS/ctl.sock,
#               where scripts/run.sh puts it in namespace NS)
#   PCAP        the daemon's capture, absolute (default build/ustack-NS.pcap,
#               or $USTACK_PCAP, as scripts/run.sh)
#   USTACKD     the daemon's PID (for kill -USR1 $USTACKD), the ustackd
#               process in NS
#   USTACK_DIR  the source tree, where scripts/run.sh runs the daemon (so
#               a relative path given to it, e.g. --trace build/x.json,
#               is "$USTACK_DIR/build/x.json")
#   LAB_DIR     the scratch directory (default a new /tmp/lab-NS.XXXXXX,
#               kept for you to look at)
# The labs' test (tests/interop/labs.sh) runs every step through this
# script, so what a student types is what is tested.
set -eu

cd "$(dirname "$0")/.."

if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
    echo "usage: sudo scripts/lab-shell.sh NS [BASH-ARGUMENT...]" >&2
    echo "  a shell in network namespace NS (where 'ip netns exec NS make run' runs)" >&2
    exit 2
fi
NS=$1
shift
if ! ip netns pids "$NS" >/dev/null 2>&1; then
    echo "lab-shell.sh: no network namespace '$NS': sudo ip netns add $NS" >&2
    exit 1
fi

BIN=${USTACK_BIN:-build}
# ustack-plot (a script, the same in every build) lives in build/
export PATH="$PWD/$BIN:$PWD/build:$PATH"
export USTACK_DIR=$PWD
export USTACK_CTL=${USTACK_CTL:-/run/ustack/$NS/ctl.sock}
PCAP=${USTACK_PCAP:-build/ustack-$NS.pcap}
case "$PCAP" in /*) ;; *) PCAP=$PWD/$PCAP ;; esac
export PCAP
USTACKD=
for pid in $(ip netns pids "$NS"); do
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = ustackd ]; then
        USTACKD=$pid
    fi
done
if [ -z "$USTACKD" ]; then
    echo "lab-shell.sh: no ustackd runs in $NS yet (sudo ip netns exec $NS make run)" >&2
fi
export USTACKD
export LAB_DIR=${LAB_DIR:-$(mktemp -d "/tmp/lab-$NS.XXXXXX")}
cd "$LAB_DIR"
exec ip netns exec "$NS" bash "$@"
