# TinyKVM for Varnish: the sandbox engine, its terminal runner, tests and
# benchmarks.  `make`, `make check`, `make install`, `make bench`.

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
           -Wstrict-prototypes -Wpointer-arith -Wformat=2 -Wvla
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -Iengine/include

BUILD   = build
ENGINE_SRC = $(wildcard engine/src/*.c)
ENGINE_OBJ = $(ENGINE_SRC:engine/src/%.c=$(BUILD)/engine/%.o)
ENGINE_LIB = $(BUILD)/libtinykvm-engine.a
RUNNER     = $(BUILD)/tinykvm-run
BENCH_SRC  = $(wildcard bench/*.c)
BENCH_BIN  = $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
UNIT_SRC   = $(wildcard tests/unit/*.c)
UNIT_BIN   = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)

.PHONY: all check bench install clean

all: $(ENGINE_LIB) $(RUNNER) $(BENCH_BIN) $(UNIT_BIN)

$(BUILD)/engine/%.o: engine/src/%.c $(wildcard engine/src/*.h) engine/include/tinykvm/engine.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -c -o $@ $<

$(ENGINE_LIB): $(ENGINE_OBJ)
	$(AR) rcs $@ $^

$(RUNNER): $(wildcard runner/*.c runner/*.h) $(ENGINE_LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $(wildcard runner/*.c) $(ENGINE_LIB) -lrt -lpthread

$(BUILD)/bench/%: bench/%.c $(ENGINE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iengine/src -o $@ $< $(ENGINE_LIB) -lrt -lpthread -lm

$(BUILD)/unit/%: tests/unit/%.c $(ENGINE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iengine/src -o $@ $< $(ENGINE_LIB) -lrt -lpthread

# Every tests/*/*.sh and unit test is found and run; none may be skipped.
check: all
	./tests/run-all.sh

bench: all
	./bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include/tinykvm
	install -m 755 $(RUNNER) $(DESTDIR)$(PREFIX)/bin/tinykvm-run
	install -m 644 engine/include/tinykvm/engine.h $(DESTDIR)$(PREFIX)/include/tinykvm/

clean:
	rm -rf $(BUILD)
