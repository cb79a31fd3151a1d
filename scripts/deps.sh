#!/bin/sh
# deps.sh - install the Debian packages ustack needs to build, test and run.
#
# Idempotent and quiet when everything is there. As root, installs what is
# missing (one apt-get update, then apt-get install); otherwise lists what
# is missing and exits 1. Called by `make deps`, `make test`, `make run`.
set -eu

PACKAGES="build-essential clang libclang-rt-14-dev libpcap-dev libcmocka-dev hping3
python3-scapy tshark tcpdump iproute2 iputils-ping iputils-arping
netcat-openbsd graphviz pkg-config ethtool python3-matplotlib
curl wget socat iperf3"

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
    *" ok installed") ;;
    *) missing="$missing $p" ;;
    esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing Debian packages:$missing" >&2
    echo "deps.sh: install them as root: sudo make deps" >&2
    exit 1
fi

echo "deps.sh: installing$missing"
# tshark asks whether non-root users may capture; answer no, never block.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
    debconf-set-selections
apt-get update
# shellcheck disable=SC2086 # word splitting of the list is intended
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
