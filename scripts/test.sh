#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The whole test suite: installs missing packages, builds, runs every test.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/check-kvm.sh
make -j"$(nproc)" WERROR="${WERROR:-1}"
make WERROR="${WERROR:-1}" check
