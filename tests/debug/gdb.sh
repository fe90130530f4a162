# SPDX-License-Identifier: BSD-2-Clause
# Real gdb (Debian's, gdb --batch) against tinykvm-run --gdb: a breakpoint
# in a function, locals and globals, next, stepi (also over a syscall),
# finish, a global and a register set by gdb that the program then uses, the stop at
# sys_breakpoint() with sys_is_debug() = 1, and the exit status; then
# --gdb-on-crash over TCP and a unix socket: bt and rip at the faulting
# instruction and the signal for a page fault, #UD and #DE.  Every gdb and
# runner has a time limit, so a broken stub fails the test, never hangs it.
. "$(dirname "$0")/../lib/common.sh"
command -v gdb >/dev/null || die "gdb is not installed (scripts/install-deps.sh)"
gdb --version | head -n 1
T=60	# seconds for any one gdb or runner

gcc -static -g -O0 -I "$ROOT/engine/include" -o "$WORK/dt" \
	"$GUESTS/debug_target.c" || die "cannot compile debug_target.c"

# start_runner ARGS...: tinykvm-run in the background; waits until it
# says it waits for gdb, and sets TARGET from its `target remote` line.
start_runner() {
	: >"$WORK/run.err"	# not the last runner's line
	timeout "$T" "$RUN" "$@" >"$WORK/run.out" 2>"$WORK/run.err" &
	RUNNER=$!
	for _ in $(seq 1 300); do
		grep -q "gdb -ex 'target remote" "$WORK/run.err" 2>/dev/null && break
		kill -0 "$RUNNER" 2>/dev/null || break
		sleep 0.1
	done
	TARGET=$(sed -n "s/.*gdb -ex 'target remote \([^']*\)'.*/\1/p" "$WORK/run.err")
	[ -n "$TARGET" ] || die "tinykvm-run printed no gdb line: $(cat "$WORK/run.err")"
}
# wait_runner: its exit status in RRC.
wait_runner() { set +e; wait "$RUNNER"; RRC=$?; set -e; }
# run_gdb COMMANDS...: gdb --batch with one -ex per argument, output in G.
run_gdb() {
	local args=()
	for c in "$@"; do args+=(-ex "$c"); done
	set +e
	G=$(timeout "$T" gdb --batch -nx -ex "target remote $TARGET" "${args[@]}" \
		"$WORK/dt" 2>&1)
	set -e
	echo "$G"
}
has() { case "$G" in *"$1"*) ;; *) die "gdb output lacks [$1]" ;; esac; }

echo "== --gdb: stop at the entry, break, print, step, set a register"
start_runner --gdb="$WORK/gdb.sock" "$WORK/dt"
grep -q "stopped at the program entry; waiting for gdb on $WORK/gdb.sock" \
	"$WORK/run.err" || die "no entry notice: $(cat "$WORK/run.err")"
[ "$TARGET" = "$WORK/gdb.sock" ] || die "target [$TARGET]"
run_gdb 'print $pc == (long)&_start' 'break compute' continue next \
	'print local' 'print counter' 'set var counter = 58' 'print/x $pc' stepi 'print/x $pc' finish \
	'break answer' continue finish 'set $rax = 77' 'break *syscall_at' \
	continue stepi 'print $pc == (long)&after_syscall' 'print $rax' \
	continue 'print is_debug' continue
wait_runner
has '$1 = 1'				# stopped at the entry point
has 'Breakpoint 1, compute (x=21) at'
has '$2 = 42'				# local after `next`
has '$3 = 41'				# global, before compute() added to it
pc1=$(echo "$G" | sed -n 's/^\$4 = 0x\([0-9a-f]*\)$/\1/p')
pc2=$(echo "$G" | sed -n 's/^\$5 = 0x\([0-9a-f]*\)$/\1/p')
[ -n "$pc1" ] && [ -n "$pc2" ] && [ $((16#$pc2)) -gt $((16#$pc1)) ] &&
	[ $((16#$pc2 - 16#$pc1)) -le 15 ] || die "stepi went from [$pc1] to [$pc2]"
has 'Value returned is $6 = 43'
has 'Breakpoint 2, answer () at'
has 'Value returned is $7 = 5'
has 'Breakpoint 3, '			# *syscall_at
has '$8 = 1'				# stepi over syscall ends right after it
has '$9 = 1'				# getpid() in the sandbox
has 'Program received signal SIGTRAP'	# sys_breakpoint()
has 'in sys_breakpoint ()'
has '$10 = 1'				# sys_is_debug() under gdb
has '[Inferior 1 (Remote target) exited with code 0115]'	# 77
[ "$RRC" -eq 77 ] || die "runner exit status $RRC, expected 77 (set \$rax)"
grep -qx 'r=43 counter=100 a=77 pid=1 is_debug=1' "$WORK/run.out" ||
	die "program output: $(cat "$WORK/run.out")"

echo "== without gdb: sys_breakpoint() does nothing, sys_is_debug() is 0"
run_guest "$WORK/dt"
expect_rc 5
expect_out "r=43 counter=83 a=5 pid=1 is_debug=0"

echo "== --gdb-on-crash over TCP: NULL dereference"
start_runner --gdb-on-crash=127.0.0.1:0 "$WORK/dt" null
case "$TARGET" in 127.0.0.1:[1-9]*) ;; *) die "TCP target [$TARGET]" ;; esac
fault_rip=$(sed -n 's/.*page fault: write to 0x0 at rip \(0x[0-9a-f]*\);.*/\1/p' \
	"$WORK/run.err")
[ -n "$fault_rip" ] || die "no fault notice: $(cat "$WORK/run.err")"
run_gdb bt 'info registers rip' continue
wait_runner
has '#0  '; has 'crash_here (how='
has '#1  0x'; has ' in main (argc=2'
echo "$G" | grep -Eq "^rip +$fault_rip +$fault_rip <crash_here\+[0-9]+>$" ||
	die "rip is not the fault address $fault_rip"
has 'Program terminated with signal SIGSEGV'
[ "$RRC" -eq 125 ] || die "runner exit status $RRC after the crash, expected 125"
grep -q "guest page fault: write to 0x0 at rip $fault_rip" "$WORK/run.err" ||
	die "the crash was not reported at the end"

for c in "ud2 SIGILL invalid opcode" "div0 SIGFPE divide error"; do
	set -- $c
	echo "== --gdb-on-crash on a unix socket: $1 gives $2"
	rm -f "$WORK/crash.sock"
	start_runner --gdb-on-crash="$WORK/crash.sock" "$WORK/dt" "$1"
	grep -q "guest $3" "$WORK/run.err" || die "notice: $(cat "$WORK/run.err")"
	run_gdb bt continue
	wait_runner
	has '#0  '; has 'crash_here (how='
	has "Program terminated with signal $2"
	[ "$RRC" -eq 125 ] || die "runner exit status $RRC, expected 125"
done

echo "== --gdb-on-crash, no crash: sys_breakpoint() does not wait for gdb"
run_guest --gdb-on-crash="$WORK/unused.sock" --gdb-wait 20 "$WORK/dt"
expect_rc 5
expect_out "r=43 counter=83 a=5 pid=1 is_debug=0"
[ ! -e "$WORK/unused.sock" ] || die "the socket was left behind"

echo "== nobody connects: --gdb-wait ends the run"
run_guest --gdb="$WORK/lonely.sock" --gdb-wait 1 "$WORK/dt"
expect_rc 125
expect_err_has "no debugger connected within 1 s"
run_guest --gdb-on-crash="$WORK/lonely.sock" --gdb-wait 1 "$WORK/dt" null
expect_rc 125
expect_out "crashing: null"
expect_err "tinykvm-run: guest page fault: write to 0x0 at rip $fault_rip; waiting for gdb on $WORK/lonely.sock:
    gdb -ex 'target remote $WORK/lonely.sock' $WORK/dt
tinykvm-run: guest page fault: write to 0x0 at rip $fault_rip"
echo ok
