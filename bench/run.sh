#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs every benchmark in build/bench/ (`make bench` builds them first;
# this script builds none of them).  The static guests they run are
# compiled here from bench/guests/*.c into build/bench/guests/, whose path
# is passed to each benchmark.
set -eu
cd "$(dirname "$0")/.."
mkdir -p build/bench/guests
for src in bench/guests/*.c; do
	name=$(basename "$src" .c)
	gcc -static -O2 -Iengine/include -Ibench/guests -o "build/bench/guests/$name" "$src"
done
# The direct-call pair: a storage program linked at 1 GiB and a request
# program linked against its symbols (docs/DESIGN.md, "Direct storage calls").
G=build/bench/guests
gcc -static -O2 -Iengine/include -Wl,-Ttext-segment=0x40200000 \
	-o $G/counter_storage bench/guests/direct/counter_storage.c
objcopy -w --extract-symbol --strip-symbol='!bench_*' --strip-symbol='*' \
	$G/counter_storage $G/counter_storage.syms
gcc -static -O2 -Iengine/include -Wl,--just-symbols=$G/counter_storage.syms \
	-o $G/direct_get bench/guests/direct/direct_get.c
# The request programs in other languages (bench/langs_bench.c), with
# Debian's toolchains and Node.js when they are installed
# (scripts/install-deps.sh).
if [ -x /usr/bin/rustc ]; then RUSTC=/usr/bin/rustc examples/rust/build.sh $G/hello_rust || true; fi
if [ -x /usr/bin/python3 ]; then examples/python/build.sh $G/python || true; fi
if [ -x /usr/bin/go ]; then GO=/usr/bin/go examples/go/build.sh $G/hello_go || true; fi
if [ -x /usr/bin/node ]; then examples/node/build.sh $G/node || true; fi
for b in build/bench/*; do
	[ -f "$b" ] && [ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b" build/bench/guests
done
