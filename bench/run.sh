#!/usr/bin/env bash
# Builds the benchmark guests and runs every benchmark in build/bench/.
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
