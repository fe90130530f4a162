#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Soak: one varnishd (-j none, 127.0.0.1, a private -n directory) serving
# five programs built from bench/guests/soak.c, under wrk load for
# SOAK_SECONDS (default 600) with bench/soak.lua: unique markers per
# request, now and then a crash, a loop past max_request_time, a hog past
# max_request_memory and a crash answered by on_error.  Meanwhile VCL
# reloads (vcl.load, vcl.use, vcl.discard of the old), invalidate_programs()
# and live_update_file().  Fails on any unexpected status, body or marker,
# socket error, panic, child restart, busy VM left, or RSS / fd growth past
# the tolerances below.  usage: SOAK_SECONDS=N bench/soak.sh
set -eu
cd "$(dirname "$0")/.."
secs=${SOAK_SECONDS:-600}
conns=${SOAK_CONNECTIONS:-6}
rss_tol_kb=$((96 * 1024))	# RSS may grow by this much plus 25%
fd_tol=32			# and the open fds by this many
work=$(mktemp -d /tmp/tinykvm-soak.XXXXXX)
mgr=""
cleanup() {
	[ -n "$mgr" ] && kill "$mgr" 2>/dev/null
	sleep 0.5
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "SOAK FAILED: $*" >&2; exit 1; }

cc="gcc -static -O2 -Wall -Werror -Iengine/include"
$cc -o "$work/prog" bench/guests/soak.c
$cc -DGEN=2 -o "$work/prog2" bench/guests/soak.c
$cc -DON_ERROR -o "$work/onerr" bench/guests/soak.c

# vcl N: the VCL of generation N (every reload loads the programs anew).
vcl() {
	cat <<VCL
vcl 4.1;
import tinykvm;
backend default none;
sub vcl_init {
	tinykvm.configure("hello", {"{ "filename": "$work/prog", "concurrency": 4 }"});
	tinykvm.configure("crash", {"{ "filename": "$work/prog", "concurrency": 2 }"});
	tinykvm.configure("loop", {"{ "filename": "$work/prog", "concurrency": 2,
		"max_request_time": 0.2 }"});
	tinykvm.configure("hog", {"{ "filename": "$work/prog", "concurrency": 2,
		"max_memory": 128, "max_request_memory": 8, "limit_workmem_after_req": 4 }"});
	tinykvm.configure("onerr", {"{ "filename": "$work/onerr", "concurrency": 2 }"});
	tinykvm.start("hello", async = false);
	tinykvm.start("crash", async = false);
	tinykvm.start("loop", async = false);
	tinykvm.start("hog", async = false);
	tinykvm.start("onerr", async = false);
}
sub vcl_recv {
	if (req.url == "/admin/stats") {
		return (synth(200, "gen $1"));
	}
	if (req.url == "/admin/invalidate") {
		return (synth(201, "" + tinykvm.invalidate_programs("^(hello|crash)$")));
	}
	if (req.url == "/admin/update") {
		return (synth(202, "" + tinykvm.live_update_file("hello", "$work/prog2")));
	}
	return (pass);
}
sub vcl_backend_fetch {
	# "/KIND/MARKER": the program named KIND, handed the URL.
	set bereq.backend = tinykvm.program(regsub(bereq.url, "^/([a-z]+)/.*", "\1"),
	    bereq.url);
}
sub vcl_synth {
	if (resp.status == 200) {
		set resp.body = tinykvm.stats();
	}
	return (deliver);
}
VCL
}
vcl 1 > "$work/soak1.vcl"
adm() { varnishadm -n "$work/v" "$@"; }

varnishd -j none -a 127.0.0.1:0 -n "$work/v" -f "$work/soak1.vcl" \
	-p vmod_path="$PWD/${BUILD:-build}/vmod:$(pkg-config --variable=vmoddir varnishapi)" \
	-p vcl_cooldown=1 -p debug=+vtc_mode -s malloc,64m -P "$work/mgr.pid"
mgr=$(cat "$work/mgr.pid")
port=$(adm debug.listen_address | awk 'NF >= 3 { print $3; exit }')
[ -n "$port" ] || fail "no listen address"
url=http://127.0.0.1:$port
# The worker process (not the tee of the sanitizer suite's wrapper).
worker() {
	for p in $(pgrep -P "$mgr"); do
		[ "$(cat "/proc/$p/comm")" = tee ] || { echo "$p"; return; }
	done
}
child=$(worker)
[ -n "$child" ] || fail "no varnishd child"
[ "$(curl -s -H 'X-Marker: mk0x1' "$url/hello/mk0x1")" = "hello mk0x1 mk0x1" ] ||
	fail "hello does not answer"

# The figures of the child: RSS (kB), open fds, KVM VM fds.
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$child/status"; }
fds() { ls "/proc/$child/fd" | wc -l; }
vmfds() { ls -l "/proc/$child/fd" | grep -c kvm-vm || true; }

gen=1
reload() {	# a new VCL generation in use, the previous one discarded
	gen=$((gen + 1))
	vcl "$gen" > "$work/soak$gen.vcl"
	adm vcl.load "soak$gen" "$work/soak$gen.vcl" >/dev/null || fail "vcl.load soak$gen"
	adm vcl.use "soak$gen" >/dev/null || fail "vcl.use soak$gen"
	adm vcl.discard "$1" >/dev/null || fail "vcl.discard $1"
}
# Idle worker threads keep the VCL they last used (60 s; 1 s with
# vtc_mode), so a discarded VCL goes a little after its last request.
only_active_vcl() {
	for _ in $(seq 150); do
		adm vcl.list | grep -Eq '^(available|discarded)' || return 0
		sleep 0.2
	done
	fail "discarded VCLs stay: $(adm vcl.list)"
}
admin() {	# one lifecycle operation, every third round a reload
	local n=$1
	case $((n % 3)) in
	0) reload "$(adm vcl.list | awk '$1 == "active" { print $NF }')"; reloads=$((reloads + 1)) ;;
	1) [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/admin/invalidate")" = 201 ] ||
		fail "invalidate_programs() endpoint"; invalidations=$((invalidations + 1)) ;;
	2) curl -s -D - -o /dev/null "$url/admin/update" | grep -q '^HTTP/1.1 202 true' ||
		fail "live_update_file() endpoint"; updates=$((updates + 1)) ;;
	esac
}
reloads=0; invalidations=0; updates=0
touch_all() {	# every program loaded (invalidated ones load at their next request)
	for k in hello crash loop hog onerr; do
		curl -s -o /dev/null "$url/$k/mk0x0"
	done
}

# Warm-up: a little load and one round of each operation, then the start figures.
wrk -t"$conns" -c"$conns" -d3s -s bench/soak.lua "$url" >/dev/null
for i in 1 2 0; do admin "$i"; done
only_active_vcl; touch_all
rss0=$(rss); fd0=$(fds); vm0=$(vmfds)

wrk -t"$conns" -c"$conns" -d"${secs}s" --timeout 30s -s bench/soak.lua "$url" > "$work/wrk.out" &
wrk_pid=$!
i=0
while kill -0 "$wrk_pid" 2>/dev/null; do
	sleep 2
	kill -0 "$wrk_pid" 2>/dev/null || break
	admin "$i"
	i=$((i + 1))
done
wait "$wrk_pid" || fail "wrk failed: $(cat "$work/wrk.out")"
only_active_vcl; touch_all
rss1=$(rss); fd1=$(fds); vm1=$(vmfds)
stats=$(curl -s "$url/admin/stats")

val() { awk -v k="$1" '$1 == "SOAK" && $2 == k { print $3 }' "$work/wrk.out"; }
busy=$(grep -o '"busy_vms":[0-9]*' <<<"$stats" | awk -F: '{ s += $2 } END { print s + 0 }')
nprog=$(grep -c . <<<"$(grep -o '"busy_vms"' <<<"$stats")")
panic=$(adm panic.show 2>&1 || true)
child1=$(worker)
starts=$(varnishstat -n "$work/v" -1 -f MGT.child_start | awk '{ print $2 }')

printf '\n== soak: %s s, %s connections, %s VCL reloads, %s invalidations, %s live updates\n' \
	"$secs" "$conns" "$reloads" "$invalidations" "$updates"
printf '%-34s %12s\n' "requests (wrk)" "$(val requests)"
printf '%-34s %12s\n' "  hello: 200 with its marker" "$(val hello)" \
	"  crash: expected 500" "$(val crash)" \
	"  loop past max_request_time: 500" "$(val loop)" \
	"  hog past max_request_memory: 500" "$(val hog)" \
	"  crash with on_error: 203" "$(val onerr)"
printf '%-34s %12s\n' "unexpected status" "$(val wrong_status)" \
	"unexpected body" "$(val wrong_body)" \
	"another request's marker" "$(val mismatch)" \
	"socket errors" "$(val socket_errors)" \
	"busy VMs after the run" "$busy" \
	"child restarts" "$((starts - 1))"
printf '%-34s %12s %12s\n' "" start end "child RSS (kB)" "$rss0" "$rss1" \
	"child open fds" "$fd0" "$fd1" "child KVM VM fds" "$vm0" "$vm1"
grep '^SOAK wrong_statuses' "$work/wrk.out" | cut -c1-300

[ "$(val wrong_status)" = 0 ] || fail "unexpected statuses"
[ "$(val wrong_body)" = 0 ] || fail "unexpected bodies"
[ "$(val mismatch)" = 0 ] || fail "a response held another request's marker"
[ "$(val socket_errors)" = 0 ] || fail "socket errors"
for k in hello crash loop hog onerr; do
	[ "$(val "$k")" -gt 0 ] || fail "no $k request was answered"
done
[ "$reloads" -gt 0 ] && [ "$invalidations" -gt 0 ] && [ "$updates" -gt 0 ] ||
	fail "not every lifecycle operation ran"
grep -q 'Child has not panicked' <<<"$panic" || fail "panic: $panic"
[ "$child1" = "$child" ] && [ "$starts" = 1 ] || fail "varnishd's child restarted"
[ "$nprog" -eq 5 ] || fail "stats show $nprog programs, not 5: $stats"
[ "$busy" -eq 0 ] || fail "$busy request VMs still reserved"
if [ -n "${ASAN_OPTIONS:-}" ]; then
	# ASan keeps freed memory in quarantine: RSS says nothing there.
	echo "NOTE: soak: RSS growth not checked under AddressSanitizer"
elif [ "$rss1" -gt $((rss0 + rss0 / 4 + rss_tol_kb)) ]; then
	fail "RSS grew from $rss0 kB to $rss1 kB"
fi
[ "$fd1" -le $((fd0 + fd_tol)) ] || fail "open fds grew from $fd0 to $fd1"
[ "$vm1" -le "$vm0" ] || fail "KVM VM fds grew from $vm0 to $vm1"
echo "SOAK PASSED"
