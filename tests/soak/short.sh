#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The soak of bench/soak.sh (`make soak`, 10 minutes) for 30 s: varnishd
# under wrk load with crashing, looping and memory-hungry requests, VCL
# reloads, invalidate_programs() and live_update_file(); fails on any
# violation it checks.
set -eu
cd "$(dirname "$0")/../.."
SOAK_SECONDS=30 exec bash bench/soak.sh
