# SPDX-License-Identifier: BSD-2-Clause
# The hostile-input catalogue of system calls (tests/guests/catalogue.c):
# each emulated call that takes a pointer, with every bad pointer in every
# pointer position, and with lengths 0, 1, huge and negative.  Every
# outcome is asserted exactly against catalogue.expected (Linux's errno
# where Linux defines one); the program survives them all.
. "$(dirname "$0")/../lib/common.sh"

build_guest catalogue catalogue.c
mkdir -p "$WORK/data/sub"
printf 'hello\n' > "$WORK/data/f.txt"
run_guest --allow "$WORK/data" "$WORK/catalogue" "$WORK/data/f.txt" "$WORK/data/sub"
expect_rc 0
# write/writev print blanks; only the results are compared.
printf '%s\n' "$OUT" | tr -s ' ' | sed 's/^ //' | grep -v '^$' > "$WORK/got"
diff -u "$(dirname "$0")/catalogue.expected" "$WORK/got" ||
	die "outcomes differ from catalogue.expected"
echo "$(grep -c ': ' "$WORK/got") cases as expected"
echo ok
