# ustack - top-level build.
#
#   make            release build: build/ustackd (and later libustack, apps)
#   make test       installs missing Debian packages (as root), builds every
#                   tier with ASan+UBSan and runs all tests (tests/run_all.sh)
#   sudo make run   TAP device + ustackd at 10.0.0.2 (scripts/run.sh)
#   make install    ustackd, the apps, libustack (.so with a SONAME, .a),
#                   ustack.h and ustack.pc under PREFIX (default /usr/local;
#                   DESTDIR, BINDIR, LIBDIR, INCLUDEDIR honoured);
#                   make uninstall removes them
#   make bench      side-by-side measurements (scripts/bench.sh)
#   make soak       TCP through a lossy link, ustack beside Linux
#                   (scripts/loss-bench.sh; LOSS_MB, LOSS_LEVELS, LOSS_SECONDS);
#                   sockets at scale and crash recovery (scripts/scale-soak.sh;
#                   SCALE_CLIENTS, SCALE_CYCLES); connections at scale, a
#                   SYN flood and connect/close cycles (scripts/conn-soak.sh;
#                   CONN_N, CONN_FLOOD_SECONDS, CONN_CYCLES)
#
# Two flavours of every object: build/rel (optimised) and build/san
# (AddressSanitizer + UndefinedBehaviorSanitizer). The fuzz targets are
# built with clang into build/fuzz.

Q       ?= @   # make Q= to see every command
CC      ?= cc
CLANG   ?= clang
WARN    := -Wall -Wextra -Wshadow -Werror
BASE    := -std=c11 -D_GNU_SOURCE $(WARN) -Istack -Isocket_api -Iapps -MMD -MP
REL     := -O2 -g
SAN     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ    := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
           -fno-sanitize-recover=all
LIBS    := -lpcap

VERSION    := 0.8.0
SOMAJOR    := 0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PCDIR      ?= $(LIBDIR)/pkgconfig
SONAME     := libustack.so.$(SOMAJOR)

ENGINE_SRC := $(sort $(wildcard stack/core/*.c stack/wire/*.c stack/proto/*.c stack/dev/*.c)) stack/stack.c
DAEMON_SRC := $(wildcard stack/daemon/*.c) socket_api/ctl_proto.c
LIB_SRC    := $(filter-out socket_api/preload.c,$(wildcard socket_api/*.c))
APP_SRC    := $(wildcard apps/*.c)
APP_LIB    := $(wildcard apps/lib/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_LIB   := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))
TOOL_SRC   := $(wildcard tests/replay/*.c)
TOOL_LIB   := $(wildcard tests/replay/lib/*.c)
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
ITEST_SRC  := $(wildcard tests/interop/*.c)

REL_ENGINE := build/rel/libengine.a
SAN_ENGINE := build/san/libengine.a
UNIT_BINS  := $(UNIT_SRC:tests/unit/%.c=build/san/tests/%)
TOOL_BINS  := $(TOOL_SRC:tests/replay/%.c=build/san/tools/%)
FUZZ_BINS  := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
REL_APPS   := $(APP_SRC:apps/%.c=build/%)
SAN_APPS   := $(APP_SRC:apps/%.c=build/san/%)
ITEST_BINS := $(ITEST_SRC:tests/interop/%.c=build/san/itest/%)

.PHONY: all san fuzz test run bench soak deps clean docs install uninstall FORCE
.SECONDARY:
all: build/ustackd build/libustack.a build/libustack.so build/libustack-preload.so $(REL_APPS) \
	build/tcp-states-dot build/lossy-link build/stall-meter build/ustack-plot
san: build/san/ustackd build/san/libustack.a $(SAN_APPS) $(UNIT_BINS) $(TOOL_BINS) $(ITEST_BINS) \
	build/san/lossy-link build/san/stall-meter
fuzz: $(FUZZ_BINS)

build/rel/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(BASE) $(REL) -c $< -o $@
build/san/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(BASE) $(SAN) -c $< -o $@
build/fuzz/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CLANG) $(BASE) $(FUZZ) -c $< -o $@
build/pic/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(BASE) $(REL) -fPIC -c $< -o $@

$(REL_ENGINE): $(ENGINE_SRC:%.c=build/rel/%.o)
	@rm -f $@; ar rcs $@ $^
$(SAN_ENGINE): $(ENGINE_SRC:%.c=build/san/%.o)
	@rm -f $@; ar rcs $@ $^
build/fuzz/libengine.a: $(ENGINE_SRC:%.c=build/fuzz/%.o)
	@rm -f $@; ar rcs $@ $^

build/ustackd: $(DAEMON_SRC:%.c=build/rel/%.o) $(REL_ENGINE)
	$(CC) $(REL) -o $@ $^ $(LIBS)
build/san/ustackd: $(DAEMON_SRC:%.c=build/san/%.o) $(SAN_ENGINE)
	$(CC) $(SAN) -o $@ $^ $(LIBS)

# scripts/lossy-link.c: the seeded relay, on the engine's fault line and devices
build/lossy-link: build/rel/scripts/lossy-link.o $(REL_ENGINE)
	$(CC) $(REL) -o $@ $^ $(LIBS)
build/san/lossy-link: build/san/scripts/lossy-link.o $(SAN_ENGINE)
	$(CC) $(SAN) -o $@ $^ $(LIBS)
# scripts/stall-meter.c: the loss benchmark's receivers time arrivals with it
build/stall-meter: build/rel/scripts/stall-meter.o
	$(CC) $(REL) -o $@ $^
build/san/stall-meter: build/san/scripts/stall-meter.o
	$(CC) $(SAN) -o $@ $^

# the trace plotter (docs/TRACE.md): a Python script, installed executable
build/ustack-plot: scripts/ustack-plot.py
	@mkdir -p $(@D)
	install -m 755 $< $@

build/libustack.a: $(LIB_SRC:%.c=build/rel/%.o)
	@rm -f $@; ar rcs $@ $^
# The shared library exports only the API (socket_api/libustack.map) and
# carries a SONAME; build/libustack.so and build/$(SONAME) are symlinks.
build/libustack.so.$(VERSION): $(LIB_SRC:%.c=build/pic/%.o) socket_api/libustack.map
	$(CC) -shared -o $@ $(filter %.o,$^) -Wl,-soname,$(SONAME) \
		-Wl,--version-script=socket_api/libustack.map -ldl
build/$(SONAME): build/libustack.so.$(VERSION)
	ln -sf $(<F) $@
build/libustack.so: build/$(SONAME)
	ln -sf $(<F) $@
# The LD_PRELOAD shim (socket_api/preload.c) with libustack inside it.
# libustack's calls to the functions the shim replaces are renamed to
# us_libc_* (which the shim sends to libc), so they never come back
# into the shim.
PRELOAD_SYMS := socket socketpair bind listen accept accept4 connect shutdown \
	getsockname getpeername setsockopt getsockopt send sendto sendmsg sendmmsg recv \
	recvfrom recvmsg recvmmsg close dup dup2 dup3 fcntl fcntl64 close_range
build/preload/%.o: build/pic/%.o
	@mkdir -p $(@D)
	$(Q)objcopy $(foreach s,$(PRELOAD_SYMS),--redefine-sym $(s)=us_libc_$(s)) $< $@
build/libustack-preload.so: build/pic/socket_api/preload.o $(LIB_SRC:%.c=build/preload/%.o)
	$(CC) -shared -o $@ $^ -ldl -lpthread
build/san/libustack.a: $(LIB_SRC:%.c=build/san/%.o)
	@rm -f $@; ar rcs $@ $^
build/%: build/rel/apps/%.o $(APP_LIB:%.c=build/rel/%.o) build/libustack.a
	$(CC) $(REL) -o $@ $^
build/san/%: build/san/apps/%.o $(APP_LIB:%.c=build/san/%.o) build/san/libustack.a
	$(CC) $(SAN) -o $@ $^

build/san/tests/%: build/san/tests/unit/%.o $(UNIT_LIB:%.c=build/san/%.o) $(SAN_ENGINE) build/san/libustack.a
	@mkdir -p $(@D)
	$(CC) $(SAN) -o $@ $^ -lcmocka $(LIBS) -lm
# helper programs of the interop tests: socket API users, under ASan+UBSan
build/san/itest/%: build/san/tests/interop/%.o build/san/libustack.a
	@mkdir -p $(@D)
	$(CC) $(SAN) -o $@ $^
build/san/tools/%: build/san/tests/replay/%.o $(TOOL_LIB:%.c=build/san/%.o) $(SAN_ENGINE)
	@mkdir -p $(@D)
	$(CC) $(SAN) -o $@ $^ $(LIBS)
build/fuzz/%: build/fuzz/tests/fuzz/%.o build/fuzz/libengine.a
	$(CLANG) $(subst fuzzer-no-link,fuzzer,$(FUZZ)) -o $@ $^ $(LIBS)
# ustack-run looks for the shim beside itself, one directory up, in ../lib,
# then in LIBDIR (baked in; rebuilt when LIBDIR changes).
build/libdir.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(LIBDIR)' | cmp -s - $@ || echo '$(LIBDIR)' > $@
build/rel/apps/ustack-run.o build/san/apps/ustack-run.o: build/libdir.stamp
build/rel/apps/ustack-run.o build/san/apps/ustack-run.o: BASE += -DUSTACK_LIBDIR='"$(LIBDIR)"'
# the control protocol codec is not part of the engine
build/fuzz/fuzz_ctl: build/fuzz/socket_api/ctl_proto.o
# the daemon's socket table and quotas, tested without the daemon
build/san/tests/test_quota: build/san/stack/daemon/slots.o build/san/stack/daemon/quota.o
# ustat's options and lines (apps/lib), tested without the daemon
build/san/tests/test_ustat: build/san/apps/lib/ss_fmt.o

# The TCP state diagram, drawn from the transition table in tcp_fsm.c.
build/tcp-states-dot: build/rel/docs/tcp_states.o $(REL_ENGINE)
	$(CC) $(REL) -o $@ $^ $(LIBS)
docs: build/tcp-states-dot
	build/tcp-states-dot > docs/tcp-states.dot
	dot -Tsvg docs/tcp-states.dot -o docs/tcp-states.svg

deps:
	@scripts/deps.sh

test: deps
	$(MAKE) san fuzz all
	tests/run_all.sh

run: deps
	$(MAKE) all
	scripts/run.sh

bench: deps
	$(MAKE) all
	scripts/bench.sh

soak: deps
	$(MAKE) all build/san/ustackd build/san/ustack-services build/san/echo-server \
		build/san/unc build/san/ustat build/san/itest/tcp_quota
	scripts/loss-bench.sh
	scripts/scale-soak.sh
	scripts/conn-soak.sh

# pkg-config file for programs built against the installed library
build/ustack.pc: Makefile
	@mkdir -p $(@D)
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
		'Name: ustack' \
		'Description: BSD socket API of the ustack user-space TCP/IP stack (needs ustackd)' \
		'Version: $(VERSION)' 'Cflags: -I$${includedir}/ustack' \
		'Libs: -L$${libdir} -lustack' 'Libs.private: -ldl' > $@
build/ustack.pc: FORCE

INSTALL_BINS := build/ustackd $(REL_APPS) build/ustack-plot
install: all build/ustack.pc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PCDIR) \
		$(DESTDIR)$(INCLUDEDIR)/ustack
	install -m 755 $(INSTALL_BINS) $(DESTDIR)$(BINDIR)
	install -m 755 build/libustack.so.$(VERSION) build/libustack-preload.so $(DESTDIR)$(LIBDIR)
	ln -sf libustack.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libustack.so
	install -m 644 build/libustack.a $(DESTDIR)$(LIBDIR)
	install -m 644 socket_api/ustack.h $(DESTDIR)$(INCLUDEDIR)/ustack
	install -m 644 build/ustack.pc $(DESTDIR)$(PCDIR)
uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(INSTALL_BINS)))
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,libustack.so.$(VERSION) $(SONAME) libustack.so \
		libustack.a libustack-preload.so)
	rm -f $(DESTDIR)$(INCLUDEDIR)/ustack/ustack.h $(DESTDIR)$(PCDIR)/ustack.pc
	rmdir $(DESTDIR)$(INCLUDEDIR)/ustack 2>/dev/null || true

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
