# SPDX-License-Identifier: BSD-2-Clause
# TinyKVM for Varnish: the sandbox engine, its terminal runner, tests and
# benchmarks.  `make`, `make check`, `make install`, `make bench`,
# `make fuzz` (FUZZ_SECONDS per fuzzer), and sanitizer builds with
# `make SANITIZE=address,undefined check` (in build-san/).

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
# CFLAGS, CPPFLAGS and LDFLAGS from the environment or the command line
# (dpkg-buildflags, distribution builds) are honoured everywhere.
CFLAGS  ?= -O2 -g
CPPFLAGS ?=
LDFLAGS ?=
# Warnings are errors only with WERROR=1 (CI and scripts/test.sh set it),
# so that a newer compiler's new warning does not break a user's build.
WERROR  ?= 0
WARN     = -Wall -Wextra -Wshadow -Wmissing-prototypes \
           -Wstrict-prototypes -Wpointer-arith -Wformat=2 -Wvla
ifeq ($(WERROR),1)
WARN    += -Werror
VMOD_WERROR = -Werror
endif
ALL_CFLAGS = -std=gnu11 $(WARN) $(CPPFLAGS) $(CFLAGS) -D_GNU_SOURCE -Iengine/include

BUILD   = build
# SANITIZE=address,undefined: everything built with those sanitizers in
# its own directory; any report fails the test that caused it.
SANITIZE ?=
ifneq ($(SANITIZE),)
BUILD   = build-san
SAN_FLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
ALL_CFLAGS += $(SAN_FLAGS)
endif
# BENCH_NO_VM=1: a VMOD whose program() backend answers "Hello World"
# without a VM (in build-novm/), the baseline bench/load.sh measures
# Varnish's own cost of a backend fetch with.  Never installed.
BENCH_NO_VM ?=
ifneq ($(BENCH_NO_VM),)
BUILD   = build-novm
NOVM_FLAGS = -DTKVM_BENCH_NO_VM
endif
ENGINE_SRC = $(wildcard engine/src/*.c engine/src/*/*.c)
ENGINE_HDR = $(wildcard engine/src/*.h engine/src/*/*.h)
ENGINE_OBJ = $(ENGINE_SRC:engine/src/%.c=$(BUILD)/engine/%.o)
ENGINE_LIB = $(BUILD)/libtinykvm-engine.a
RUNNER     = $(BUILD)/tinykvm-run
BENCH_SRC  = $(wildcard bench/*.c)
BENCH_BIN  = $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
CONFIG_SRC = $(wildcard config/*.c)
CONFIG_OBJ = $(CONFIG_SRC:config/%.c=$(BUILD)/config/%.o)
CONFIG_LIB = $(BUILD)/libtinykvm-config.a
# The HTTP client (libcurl) of the VMOD and tinykvm-run.
HTTP_SRC   = $(wildcard http/*.c)
HTTP_OBJ   = $(HTTP_SRC:http/%.c=$(BUILD)/http/%.o)
HTTP_LIB   = $(BUILD)/libtinykvm-http.a
UNIT_SRC   = $(wildcard tests/unit/*.c)
UNIT_BIN   = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)

# `make` builds what `all` builds (the engine, tinykvm-run, the VMOD,
# the man pages, benchmarks and unit tests); `make vmod` only the VMOD.
.DEFAULT_GOAL := all

.PHONY: vmod all check check-hwkvm bench bench-load bench-scaling bench-live soak install uninstall deb clean fuzz fuzz-build

# The Varnish module.
VARNISH_CFLAGS := $(shell pkg-config --cflags varnishapi 2>/dev/null)
VMODDIR    ?= $(shell pkg-config --variable=vmoddir varnishapi 2>/dev/null)
VMODTOOL   ?= $(shell pkg-config --variable=vmodtool varnishapi 2>/dev/null)
MANDIR     ?= $(PREFIX)/share/man
VMOD_SRC   = $(wildcard vmod/*.c)
VSCTOOL    ?= $(shell pkg-config --variable=vsctool varnishapi 2>/dev/null)
VMOD_OBJ   = $(VMOD_SRC:vmod/%.c=$(BUILD)/vmod/%.o) $(BUILD)/vmod/vcc_if.o \
	$(BUILD)/vmod/VSC_tinykvm.o
VMOD_SO    = $(BUILD)/vmod/libvmod_tinykvm.so
VMOD_MAN   = $(BUILD)/vmod/vmod_tinykvm.3
RUNNER_MAN = $(BUILD)/tinykvm-run.1
VMOD_CFLAGS = -std=gnu11 -Wall -Wextra $(VMOD_WERROR) -Wshadow -Wpointer-arith \
	-Wno-unused-parameter $(CPPFLAGS) $(CFLAGS) -fPIC -D_GNU_SOURCE $(VARNISH_CFLAGS) \
	-Iengine/include -Iconfig -Ihttp -I$(BUILD)/vmod -Ivmod $(SAN_FLAGS) \
	$(NOVM_FLAGS)

vmod: $(VMOD_SO)

all: $(ENGINE_LIB) $(RUNNER) $(BENCH_BIN) $(UNIT_BIN) $(VMOD_SO) $(VMOD_MAN) $(RUNNER_MAN)

# One vmodtool run makes all three (&: so that make -j runs it once).
$(BUILD)/vmod/vcc_if.c $(BUILD)/vmod/vcc_if.h $(BUILD)/vmod/vmod_tinykvm.man.rst &: vmod/vmod_tinykvm.vcc
	@mkdir -p $(BUILD)/vmod
	cd $(BUILD)/vmod && python3 $(VMODTOOL) -o vcc_if -w . $(CURDIR)/vmod/vmod_tinykvm.vcc
	@: > $(BUILD)/vmod/config.h	# vcc_if.c includes an autoconf config.h

$(BUILD)/vmod/vcc_if.o: $(BUILD)/vmod/vcc_if.c
	$(CC) $(VMOD_CFLAGS) -c -o $@ $<

# varnishstat counters: Varnish's vsctool turns vmod/tinykvm.vsc into
# VSC_tinykvm.c and .h (struct VSC_tinykvm, VSC_tinykvm_New/_Destroy).
$(BUILD)/vmod/VSC_tinykvm.c $(BUILD)/vmod/VSC_tinykvm.h &: vmod/tinykvm.vsc
	@mkdir -p $(BUILD)/vmod
	cd $(BUILD)/vmod && python3 $(VSCTOOL) -ch $(CURDIR)/vmod/tinykvm.vsc
	@: > $(BUILD)/vmod/config.h	# VSC_tinykvm.c includes config.h too

$(BUILD)/vmod/VSC_tinykvm.o: $(BUILD)/vmod/VSC_tinykvm.c
	$(CC) $(VMOD_CFLAGS) -c -o $@ $<

$(BUILD)/vmod/%.o: vmod/%.c $(wildcard vmod/*.h) $(BUILD)/vmod/vcc_if.h $(BUILD)/vmod/VSC_tinykvm.h engine/include/tinykvm/engine.h $(wildcard config/*.h)
	@mkdir -p $(@D)
	$(CC) $(VMOD_CFLAGS) -Wmissing-prototypes -c -o $@ $<

$(VMOD_SO): $(VMOD_OBJ) $(ENGINE_LIB) $(CONFIG_LIB) $(HTTP_LIB) vmod/exports.map
	$(CC) -shared $(SAN_FLAGS) $(CFLAGS) $(LDFLAGS) -Wl,--version-script=vmod/exports.map \
		-o $@ $(VMOD_OBJ) $(CONFIG_LIB) $(HTTP_LIB) $(ENGINE_LIB) -lcurl -larchive -lz -lrt -lpthread -lm

$(VMOD_MAN): $(BUILD)/vmod/vmod_tinykvm.man.rst
	rst2man $< $@

$(BUILD)/engine/%.o: engine/src/%.c $(ENGINE_HDR) engine/include/tinykvm/engine.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iengine/src -fPIC -c -o $@ $<

$(ENGINE_LIB): $(ENGINE_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/config/%.o: config/%.c $(wildcard config/*.h) engine/include/tinykvm/engine.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -c -o $@ $<

$(CONFIG_LIB): $(CONFIG_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/http/%.o: http/%.c $(wildcard http/*.h) engine/include/tinykvm/engine.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -c -o $@ $<

$(HTTP_LIB): $(HTTP_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(RUNNER): $(wildcard runner/*.c runner/*.h) $(ENGINE_LIB) $(CONFIG_LIB) $(HTTP_LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -Iconfig -Ihttp -o $@ $(wildcard runner/*.c) $(CONFIG_LIB) $(HTTP_LIB) $(ENGINE_LIB) -lcurl -lpcre2-8 -lrt -lpthread -lm

$(BUILD)/bench/%: bench/%.c $(wildcard bench/*.h bench/guests/*.h) $(ENGINE_LIB) $(CONFIG_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -Ibench -Iconfig -o $@ $< $(CONFIG_LIB) $(ENGINE_LIB) -lrt -lpthread -lm

$(BUILD)/unit/%: tests/unit/%.c tests/unit/unit_check.h $(ENGINE_LIB) $(CONFIG_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -Iengine/src -Iconfig -o $@ $< $(CONFIG_LIB) $(ENGINE_LIB) -lrt -lpthread -lm

# Every tests/*/*.sh and unit test is found and run; none may be skipped.
# tests/fuzz/ runs each fuzzer briefly.
check: all fuzz-build
	BUILD=$(BUILD) ./tests/run-all.sh

# The engine, requests, debug and vmod suites on hardware KVM: kvm_amd
# under QEMU's emulator (scripts/hwkvm.sh), one boot for the whole run.
check-hwkvm: all
	BUILD=$(BUILD) ./scripts/check-hwkvm.sh

# libFuzzer harnesses (fuzz/), built with clang and ASan/UBSan, run for
# FUZZ_SECONDS each on a copy of their corpus (fuzz/corpus/NAME).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     = $(BUILD)/fuzz
FUZZ_NAMES   = json library elf calls archive
FUZZ_BIN     = $(FUZZ_NAMES:%=$(FUZZ_DIR)/%_fuzz) $(FUZZ_DIR)/guests/call_runner
# clang warns about two GNU C idioms gcc accepts in the engine.
FUZZ_CFLAGS  = -std=gnu11 $(WARN) -Wno-gnu-variable-sized-type-not-at-end \
	-Wno-format-nonliteral -O1 -g -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-D_GNU_SOURCE -Iengine/include
FUZZ_ENGINE_OBJ = $(ENGINE_SRC:engine/src/%.c=$(FUZZ_DIR)/engine/%.o)
FUZZ_CONFIG_OBJ = $(CONFIG_SRC:config/%.c=$(FUZZ_DIR)/config/%.o)

$(FUZZ_DIR)/engine/%.o: engine/src/%.c $(ENGINE_HDR) engine/include/tinykvm/engine.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Iengine/src -c -o $@ $<

$(FUZZ_DIR)/config/%.o: config/%.c $(wildcard config/*.h) engine/include/tinykvm/engine.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/libengine.a: $(FUZZ_ENGINE_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_DIR)/libconfig.a: $(FUZZ_CONFIG_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_DIR)/%_fuzz: fuzz/%_fuzz.c $(FUZZ_DIR)/libconfig.a $(FUZZ_DIR)/libengine.a \
	    $(ENGINE_HDR) $(wildcard config/*.h)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Iengine/src -Iconfig -o $@ $< \
		$(FUZZ_DIR)/libconfig.a $(FUZZ_DIR)/libengine.a -lrt -lpthread -lm

# The calls fuzzer runs a guest program and uses the runner's header sets
# and regular expressions.
$(FUZZ_DIR)/calls_fuzz: fuzz/calls_fuzz.c runner/headers.c runner/regex.c \
	    $(wildcard runner/*.h) $(FUZZ_DIR)/libengine.a $(ENGINE_HDR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Iengine/src -Irunner -o $@ \
		fuzz/calls_fuzz.c runner/headers.c runner/regex.c \
		$(FUZZ_DIR)/libengine.a -lpcre2-8 -lrt -lpthread -lm

# The archive fuzzer runs the VMOD's unpacker alone (libarchive, zlib).
$(FUZZ_DIR)/archive_fuzz: fuzz/archive_fuzz.c vmod/unpack.c vmod/unpack.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Ivmod -o $@ \
		fuzz/archive_fuzz.c vmod/unpack.c -larchive -lz

$(FUZZ_DIR)/guests/call_runner: fuzz/guests/call_runner.c engine/include/tinykvm/kvm_api.h
	@mkdir -p $(@D)
	gcc -static -O2 -Wall -Iengine/include -o $@ $<

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	BUILD=$(BUILD) ./fuzz/run.sh -max_total_time=$(FUZZ_SECONDS)

bench: all
	./bench/run.sh

# varnishd + wrk: program() vs vcl_synth vs a pass to nginx (minutes).
bench-load: all
	./bench/load.sh

# varnishd + wrk: req/s with 1, 2, 4, 8 request VMs, program() vs a pass
# to nginx (p50/p99, -c8 and -c64), RSS with 1, 16, 64 request VMs.
bench-scaling: all
	./bench/scaling.sh

# A storage counter under wrk load while a new version is pushed every
# 2 s (60 s; tests/soak/live_update.sh runs it for 10 s).
bench-live: all
	./bench/live_update.sh

# varnishd under wrk load with hostile requests and reloads for
# SOAK_SECONDS (default 600); tests/soak/short.sh runs it for 30 s.
soak: all
	./bench/soak.sh

# Where make install puts what varnish.service and udev read; the
# package (make deb) uses the distribution's directories instead.
SYSTEMDUNITDIR ?= /etc/systemd/system
UDEVRULESDIR   ?= /etc/udev/rules.d
PKGDATADIR     ?= $(PREFIX)/share/vmod-tinykvm
DROPIN_DIR      = $(SYSTEMDUNITDIR)/varnish.service.d
# KVM_SETUP=0 skips deploy/kvm-access.sh (the kvm group, vcache in it,
# /dev/kvm's group and mode), which runs when installing as root into
# the live system (no DESTDIR).
KVM_SETUP      ?= 1

$(RUNNER_MAN): docs/tinykvm-run.rst
	@mkdir -p $(@D)
	rst2man $< $@

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include/tinykvm
	install -m 755 $(RUNNER) $(DESTDIR)$(PREFIX)/bin/tinykvm-run
	install -m 644 engine/include/tinykvm/engine.h engine/include/tinykvm/kvm_api.h \
		$(DESTDIR)$(PREFIX)/include/tinykvm/
	install -d $(DESTDIR)$(VMODDIR) $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(VMOD_SO) $(DESTDIR)$(VMODDIR)/
	install -m 644 $(VMOD_MAN) $(DESTDIR)$(MANDIR)/man3/
	install -m 644 $(RUNNER_MAN) $(DESTDIR)$(MANDIR)/man1/
	install -d $(DESTDIR)$(DROPIN_DIR) $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(PKGDATADIR)
	install -m 644 deploy/varnish-tinykvm.conf $(DESTDIR)$(DROPIN_DIR)/tinykvm.conf
	install -m 644 deploy/65-vmod-tinykvm.rules $(DESTDIR)$(UDEVRULESDIR)/
	install -m 755 deploy/kvm-access.sh $(DESTDIR)$(PKGDATADIR)/kvm-access
	@if [ -z "$(DESTDIR)" ] && [ "$(KVM_SETUP)" = 1 ]; then \
		if [ "$$(id -u)" -eq 0 ]; then ./deploy/kvm-access.sh; \
		else echo "not root: run deploy/kvm-access.sh as root so that varnishd's worker can open /dev/kvm"; fi; \
	fi

# Removes what install installed; the kvm group, vcache's membership and
# /dev/kvm's group and mode stay (other KVM users may rely on them).
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/tinykvm-run \
		$(DESTDIR)$(PREFIX)/include/tinykvm/engine.h \
		$(DESTDIR)$(PREFIX)/include/tinykvm/kvm_api.h \
		$(DESTDIR)$(VMODDIR)/libvmod_tinykvm.so \
		$(DESTDIR)$(MANDIR)/man3/vmod_tinykvm.3 \
		$(DESTDIR)$(MANDIR)/man1/tinykvm-run.1 \
		$(DESTDIR)$(DROPIN_DIR)/tinykvm.conf \
		$(DESTDIR)$(UDEVRULESDIR)/65-vmod-tinykvm.rules \
		$(DESTDIR)$(PKGDATADIR)/kvm-access
	-rmdir $(DESTDIR)$(PREFIX)/include/tinykvm $(DESTDIR)$(DROPIN_DIR) \
		$(DESTDIR)$(PKGDATADIR) 2>/dev/null
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

# The Debian package: vmod-tinykvm_$(VERSION)_amd64.deb in $(BUILD)/,
# installed into a staging tree with the distribution's directories
# (deploy/build-deb.sh writes the control data, postinst and postrm).
VERSION   ?= 0.1.0
DEB_STAGE  = $(BUILD)/deb/root
deb: all
	rm -rf $(DEB_STAGE)
	$(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/$(DEB_STAGE) PREFIX=/usr \
		MANDIR=/usr/share/man SYSTEMDUNITDIR=/lib/systemd/system \
		UDEVRULESDIR=/lib/udev/rules.d
	./deploy/build-deb.sh $(VERSION) $(DEB_STAGE) $(BUILD)

clean:
	rm -rf $(BUILD) build-novm
