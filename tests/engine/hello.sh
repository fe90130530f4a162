# SPDX-License-Identifier: BSD-2-Clause
# A static glibc, static-PIE glibc and musl program runs: output, argv[0]
# as base name, arguments, environment, printf of doubles, exit status.
. "$(dirname "$0")/../lib/common.sh"

check() {
	run_guest --env GREETING=hi "$WORK/$1" one 7
	expect_rc 7
	expect_out "argv0=$1 argc=3
arg1=one
arg2=7
env=hi
pi=3.141593 e=2.7183e-03"
	run_guest "$WORK/$1"
	expect_rc 0
	expect_out_has "env=(none)"
	run_guest "$WORK/$1" 255
	expect_rc 255
}

build_guest glibc hello.c gcc -static
build_guest pie hello.c gcc -static-pie
build_guest musl hello.c musl-gcc -static
for p in glibc pie musl; do check "$p"; done
echo ok
