# SPDX-License-Identifier: BSD-2-Clause
# Each libFuzzer harness (fuzz/) runs its corpus, crash regressions
# included, and 20000 new inputs or 20 s, whichever comes first (the
# calls fuzzer makes VM exits: a few thousand inputs); any crash, leak
# or sanitizer report fails.  The fuzzers are built by `make check`
# (make fuzz-build).
set -eu
cd "$(dirname "$0")/../.."
exec ./fuzz/run.sh -runs=20000 -max_total_time=20
