#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Builds the example programs into DIR (default build/examples) and writes
# the library and VCL that serve them.
set -eu
cd "$(dirname "$0")/.."
dir=$(realpath -m "${1:-build/examples}")
mkdir -p "$dir"
for p in hello json headers; do
	gcc -static -O2 -Iengine/include -o "$dir/$p" "examples/programs/$p.c"
done
gcc -static -O2 -Iengine/include -o "$dir/gzip" examples/programs/gzip.c -lz
sed "s|@DIR@|$dir|g" examples/programs.json.in > "$dir/programs.json"
sed "s|@DIR@|$dir|g" examples/demo.vcl.in > "$dir/demo.vcl"
echo "$dir"
