#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs every fuzzer ($BUILD/fuzz/NAME_fuzz, built by `make fuzz-build`)
# on a temporary copy of its corpus fuzz/corpus/NAME, so that new inputs
# never land in the repository.  The arguments go to libFuzzer, e.g.
#   fuzz/run.sh -max_total_time=60     (make fuzz)
#   fuzz/run.sh -runs=20000            (tests/fuzz/fuzzers.sh)
# A crash, a leak, a sanitizer report or a missing fuzzer fails the run;
# the input that failed is kept as $BUILD/fuzz/crash-NAME-*.
set -u
cd "$(dirname "$0")/.."
dir=${BUILD:-build}/fuzz
names=(json library elf calls archive)
work=$(mktemp -d /tmp/tinykvm-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
failed=0

for name in "${names[@]}"; do
	bin=$dir/${name}_fuzz
	if ! [ -x "$bin" ]; then
		echo "$name: $bin is missing (make fuzz-build)"; failed=1; continue
	fi
	mkdir -p "$work/$name"
	cp fuzz/corpus/"$name"/* "$work/$name/"
	log=$work/$name.log
	if "$bin" "$@" -timeout=10 -print_final_stats=1 \
	    -artifact_prefix="$dir/crash-$name-" "$work/$name" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
		echo "$name: ${runs:-?} runs, ${rate:-?} exec/s, corpus $(ls "$work/$name" | wc -l) inputs"
	else
		echo "$name: FAILED"; tail -n 40 "$log"; failed=1
	fi
done
exit $failed
