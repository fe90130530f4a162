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
for b in build/bench/*; do
	[ -f "$b" ] && [ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b" build/bench/guests
done
