#!/usr/bin/env bash
# The demo: installs missing packages, builds and installs tinykvm-run,
# then runs the example program inside the sandbox.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/check-kvm.sh
make -j"$(nproc)"
make install
mkdir -p build/examples
gcc -static -O2 -o build/examples/hello examples/hello/hello.c
echo "+ tinykvm-run build/examples/hello world"
tinykvm-run build/examples/hello world
