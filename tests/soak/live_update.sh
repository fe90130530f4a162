#!/usr/bin/env bash
# bench/live_update.sh for 10 s: a storage counter under wrk load (8
# connections) while a new version is pushed every 2 s by live_update()
# and live_update_file() and a junk binary is refused; fails on any
# non-200, lost or repeated counter value, or push that did not switch.
# The RSS check needs the full run (`make bench-live`, 60 s).
set -eu
cd "$(dirname "$0")/../.."
LIVE_SECONDS=10 LIVE_CHECK_RSS=0 exec bash bench/live_update.sh
