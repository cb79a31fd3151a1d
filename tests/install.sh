#!/bin/bash
# tests/install.sh - `make install` as a student's program sees it: install
# into a temporary DESTDIR with PREFIX=/usr, compile the echo client of
# docs/SOCKETS.md ("Your first program", taken from the page so the page
# cannot rot) with pkg-config and from the build tree, and check the
# installed library: its SONAME, that it exports only us_ / ustack_
# functions, that the installed ustack-run finds the installed shim, and
# that make uninstall removes everything. No daemon, no network.
cd "$(dirname "$0")/.." || exit 1
tmp=$(mktemp -d /tmp/install-test.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root

check() { # check NAME CMD...: ok if CMD succeeds
    local name=$1
    shift
    if "$@" >"$tmp/out" 2>&1; then
        echo "ok - $name"
    else
        echo "not ok - $name"
        sed 's/^/#   /' "$tmp/out" | head -20
    fi
}

# The first ```c block after the "Your first program" heading.
awk '/^## Your first program/ { f = 1 }
     f && /^```c$/ { c = 1; next }
     c && /^```$/ { exit }
     c { print }' docs/SOCKETS.md >"$tmp/echo1.c"
check "docs/SOCKETS.md has a first program using us_connect" grep -q 'us_connect' "$tmp/echo1.c"

check "make install DESTDIR=... PREFIX=/usr" make -s install DESTDIR="$dest" PREFIX=/usr

lib=$dest/usr/lib
export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_LIBDIR=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
check "pkg-config knows ustack" pkg-config --exists ustack
# shellcheck disable=SC2046 # pkg-config's words are meant to split
check "the first program compiles and links with pkg-config" \
    cc -Wall -Werror "$tmp/echo1.c" $(pkg-config --cflags --libs ustack) -o "$tmp/echo1"
check "it needs libustack.so.0" sh -c "readelf -d '$tmp/echo1' | grep -q 'NEEDED.*\[libustack\.so\.0\]'"
check "the first program links from the build tree (build/libustack.a)" \
    cc -Wall -Werror -Isocket_api "$tmp/echo1.c" build/libustack.a -o "$tmp/echo1-static"
check "the first program links from the build tree (-Lbuild -lustack)" \
    cc -Wall -Werror -Isocket_api "$tmp/echo1.c" -Lbuild -lustack -Wl,-rpath,"$PWD/build" \
    -o "$tmp/echo1-shared"
# With no daemon at the path, us_socket fails with ENOENT: the program
# runs (the library loads) and says so.
check "the build-tree program loads libustack.so and finds no daemon" \
    sh -c "USTACK_CTL='$tmp/none.sock' '$tmp/echo1-shared' 2>&1 | grep -q 'No such file'"

check "the installed libustack.so has the SONAME libustack.so.0" \
    sh -c "readelf -d '$lib/libustack.so' | grep -q 'SONAME.*\[libustack\.so\.0\]'"
check "libustack.so.0 and libustack.so are links to libustack.so.0.8.0" \
    sh -c "[ -L '$lib/libustack.so.0' ] && [ -L '$lib/libustack.so' ] &&
           [ \"\$(readlink -f '$lib/libustack.so')\" = \"\$(readlink -f '$lib/libustack.so.0.8.0')\" ]"
nm -D --defined-only "$lib/libustack.so" | awk '$2 ~ /^[TtWDdBbRrVvi]$/ { print $3 }' |
    grep -v -e '^us_' -e '^ustack_' >"$tmp/foreign"
if [ -s "$tmp/foreign" ]; then
    echo "not ok - libustack.so exports only us_ and ustack_ symbols; also:"
    sed 's/^/#   /' "$tmp/foreign" | head -20
elif ! nm -D --defined-only "$lib/libustack.so" | grep -q ' T us_socket$'; then
    echo "not ok - libustack.so exports us_socket"
else
    echo "ok - libustack.so exports only us_ and ustack_ symbols"
fi
for f in bin/ustackd bin/ustat bin/ustack-ctl bin/unc bin/ustack-services bin/echo-server \
    bin/echo-client bin/udp-echo-server bin/udp-echo-client bin/ustack-run bin/ustack-plot \
    lib/libustack.a lib/libustack-preload.so include/ustack/ustack.h lib/pkgconfig/ustack.pc; do
    [ -e "$dest/usr/$f" ] || echo "$f" >>"$tmp/missing"
done
check "every file is installed" sh -c "! cat '$tmp/missing' 2>/dev/null | grep ."
check "ustack.pc has prefix=/usr" grep -qx 'prefix=/usr' "$lib/pkgconfig/ustack.pc"
check "the installed ustack-run finds the installed shim" \
    sh -c "[ \"\$('$dest/usr/bin/ustack-run' --where)\" = \"\$(readlink -f '$lib/libustack-preload.so')\" ]"
check "build/ustack-run finds the build tree's shim" \
    sh -c "[ \"\$(build/ustack-run --where)\" = \"$PWD/build/libustack-preload.so\" ]"

check "make uninstall" make -s uninstall DESTDIR="$dest" PREFIX=/usr
check "make uninstall leaves no file behind" sh -c "[ -z \"\$(find '$dest' -not -type d)\" ]"
