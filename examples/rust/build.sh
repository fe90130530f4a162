#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds a Rust request program with plain rustc (no crates, no network):
#   examples/rust/build.sh [OUTPUT [SOURCE]]
# (default: hello.rs into build/examples/hello_rust; threads.rs is the
# other program).
# RUSTC picks the compiler (default: Debian's /usr/bin/rustc, package rustc).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../build/examples/hello_rust}
mkdir -p "$(dirname "$out")"
exec "${RUSTC:-/usr/bin/rustc}" --edition 2021 -O -C target-feature=+crt-static \
    -o "$out" "$here/${2:-hello.rs}"
