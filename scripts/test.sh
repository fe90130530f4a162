#!/usr/bin/env bash
# The whole test suite: installs missing packages, builds, runs every test.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/check-kvm.sh
make -j"$(nproc)"
make check
