#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Live update under load: one varnishd (-j none, 127.0.0.1, a private -n
# directory) serving tests/guests/req_live.c, a program whose counter
# lives in its storage VM and moves to each new binary through
# on_live_update/on_live_restore.  wrk (LIVE_CONNECTIONS, default 8)
# increments it for LIVE_SECONDS (default 60) while a new version is
# pushed every 2 s, alternately by live_update() (POST) and
# live_update_file(); early on a junk binary is pushed and must be refused.
# Fails on: any non-200 or malformed response, socket errors, a counter
# value handed out twice or going back on a connection, a final counter
# that does not match the responses, a push that did not change the
# serving version, a refused push that changed anything, and (unless
# LIVE_CHECK_RSS=0) child RSS growing by 10% or more after the first 10 s.
# Prints the switch times: the VMOD's binary in hand -> first request
# served by the new program (stats()), binary in hand -> new program
# current (live_update() answers it, with how long loading took and how
# long requests waited), and push sent -> new version seen (client side).  usage: LIVE_SECONDS=N bench/live_update.sh
set -eu
cd "$(dirname "$0")/.."
secs=${LIVE_SECONDS:-60}
conns=${LIVE_CONNECTIONS:-8}
check_rss=${LIVE_CHECK_RSS:-1}
work=$(mktemp -d /tmp/tinykvm-live.XXXXXX)
mgr=""
cleanup() {
	[ -n "$mgr" ] && kill "$mgr" 2>/dev/null
	sleep 0.5
	[ -n "${LIVE_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "LIVE UPDATE FAILED: $*" >&2; exit 1; }

cc="gcc -static -O2 -Wall -Werror -Iengine/include"
for v in 1 2 3 4; do $cc -DVERSION=$v -o "$work/v$v" tests/guests/req_live.c; done
head -c 20000 /dev/urandom > "$work/junk"
cp "$work/v1" "$work/prog"
cat > "$work/live.vcl" <<VCL
vcl 4.1;
import tinykvm;
backend default none;
sub vcl_init {
	tinykvm.configure("live", {"{ "filename": "$work/prog", "key": "k",
		"concurrency": 4, "storage": true }"});
	tinykvm.start("live", async = false);
}
sub vcl_recv {
	if (req.url ~ "^/admin/file/") {
		if (tinykvm.live_update_file("live", "$work/" + regsub(req.url, "^/admin/file/", ""))) {
			return (synth(201, "updated"));
		}
		return (synth(500, "refused"));
	}
	if (req.url == "/admin/stats") {
		return (synth(200, tinykvm.stats("^live$")));
	}
	return (pass);
}
sub vcl_backend_fetch {
	if (bereq.method == "POST") {
		set bereq.backend = tinykvm.live_update("live", bereq.http.X-Key, 10MB);
	} else {
		set bereq.backend = tinykvm.program("live", bereq.url);
	}
}
sub vcl_synth {
	set resp.body = resp.reason;
	return (deliver);
}
VCL
adm() { varnishadm -n "$work/v" "$@"; }
varnishd -j none -a 127.0.0.1:0 -n "$work/v" -f "$work/live.vcl" \
	-p vmod_path="$PWD/${BUILD:-build}/vmod:$(pkg-config --variable=vmoddir varnishapi)" \
	-s malloc,64m -P "$work/mgr.pid"
mgr=$(cat "$work/mgr.pid")
port=$(adm debug.listen_address | awk 'NF >= 3 { print $3; exit }')
[ -n "$port" ] || fail "no listen address"
url=http://127.0.0.1:$port
child=$(pgrep -P "$mgr" | head -1)
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$child/status"; }
peek() { curl -s "$url/peek"; }
[ "$(peek)" = "v=1 n=0 u=0" ] || fail "the program does not answer: $(peek)"

mkdir "$work/n"
wrk -t"$conns" -c"$conns" -d"${secs}s" --timeout 10s -s bench/live_update.lua \
	"$url/" -- "$work/n" > "$work/wrk.out" &
wrk_pid=$!
start=$(date +%s)
ver=1; pushes=0; refused=0; rss10=""
junk_at=$((secs / 8 > 0 ? secs / 8 : 1))	# pushes before the junk one
switch_ms=(); vmod_ms=(); load_ms=(); pause_ms=(); first_ms=()
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
push() {	# push version $1 by POST or by file; check it serves
	local v=$1 how=$2 t0 t1 body
	t0=$(now_ms)
	if [ "$how" = post ]; then
		# The figures come in X-TinyKVM-Update, the published answer in the body.
		body=$(curl -s -D - -w ' %{http_code}' -H 'X-Key: k' --data-binary "@$work/v$v" "$url/" | tr -d '\r')
		[[ $body == *"X-TinyKVM-Update: state moved"*"Update successful (not stored)"*" 201" ]] ||
			fail "push $pushes (post v$v): $body"
		local sw ld
		sw=$(sed -n 's/.*switch \([0-9.]*\) ms.*/\1/p' <<<"$body")
		ld=$(sed -n 's/.*; load \([0-9.]*\) ms.*/\1/p' <<<"$body")
		vmod_ms+=("$sw"); load_ms+=("$ld")
		pause_ms+=("$(echo "$sw - $ld" | bc)")
	else
		body=$(curl -s -w ' %{http_code}' "$url/admin/file/v$v")
		[ "$body" = "updated 201" ] || fail "push $pushes (file v$v): $body"
	fi
	for _ in $(seq 100); do
		[[ $(peek) == "v=$v "* ]] && break
	done
	t1=$(now_ms)
	[[ $(peek) == "v=$v "* ]] || fail "push $pushes: still serving $(peek), not v$v"
	switch_ms+=($((t1 - t0)))
	# The VMOD's: binary in hand -> first request of the new one served.
	first_ms+=("$(curl -s "$url/admin/stats" | awk -F'"live_update_first_request":' \
	    'NF > 1 { split($2, a, ","); printf "%.3f", a[1] * 1000 }')")
	pushes=$((pushes + 1))
}
next_at=$(( $(now_ms) + 2000 ))
while kill -0 "$wrk_pid" 2>/dev/null; do
	# One push every 2 s, whatever the last one took.
	wait_ms=$((next_at - $(now_ms)))
	[ "$wait_ms" -gt 0 ] && sleep "$(echo "scale=3; $wait_ms / 1000" | bc)"
	next_at=$((next_at + 2000))
	kill -0 "$wrk_pid" 2>/dev/null || break
	[ -z "$rss10" ] && [ $(($(date +%s) - start)) -ge 10 ] && rss10=$(rss)
	if [ "$pushes" -ge "$junk_at" ] && [ "$refused" -eq 0 ]; then
		before=$(peek)
		body=$(curl -s -w ' %{http_code}' -H 'X-Key: k' --data-binary "@$work/junk" "$url/")
		[[ $body == "Live update failed: "*" 201" ]] || fail "junk binary: $body"
		after=$(peek)
		[ "${before%% *}" = "${after%% *}" ] || fail "junk changed the version: $before -> $after"
		echo "junk binary refused: ${body% 201}"
		refused=1
	fi
	next=$((ver % 4 + 1))
	if [ $((pushes % 2)) -eq 0 ]; then push "$next" post; else push "$next" file; fi
	ver=$next
done
wait "$wrk_pid" || fail "wrk failed: $(cat "$work/wrk.out")"
rss_end=$(rss)
final=$(peek)
stats=$(curl -s "$url/admin/stats")
val() { awk -v k="$1" '$1 == "LIVE" && $2 == k { print $3 }' "$work/wrk.out"; }
n_final=$(sed -n 's/^v=[0-9]* n=\([0-9]*\) .*/\1/p' <<<"$final")
u_final=$(sed -n 's/.* u=\([0-9]*\)$/\1/p' <<<"$final")
sort -n "$work"/n/n.* > "$work/all"
dups=$(uniq -d "$work/all" | wc -l)
count=$(wc -l < "$work/all")
max=$(tail -1 "$work/all")
stat() {	# min median max of the arguments
	printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END {
		if (NR) printf "min %s, median %s, max %s (%d)", a[1], a[int((NR + 1) / 2)], a[NR], NR }'
}

printf '\n== live update under load: %s s, %s connections, %s pushes (%s refused)\n' \
	"$secs" "$conns" "$pushes" "$refused"
printf '%-44s %s\n' "requests answered 200 (wrk)" "$(val ok)" \
	"non-200 responses" "$(val wrong_status)$(val statuses)" \
	"malformed bodies" "$(val wrong_body)" \
	"counter not growing on a connection" "$(val backwards)" \
	"counter values handed out twice" "$dups" \
	"socket errors" "$(val socket_errors)" \
	"final counter / highest value seen" "$n_final / $max" \
	"updates the state went through (u)" "$u_final" \
	"binary in hand -> first request served by it (ms)" "$(stat "${first_ms[@]}")" \
	"push sent -> new version serving, client (ms)" "$(stat "${switch_ms[@]}")" \
	"live_update(): binary in hand -> switched (ms)" "$(stat "${vmod_ms[@]}")" \
	"  of which loading the new binary (ms)" "$(stat "${load_ms[@]}")" \
	"  of which requests waited: drain+move (ms)" "$(stat "${pause_ms[@]}")" \
	"child RSS at 10 s / end (kB)" "${rss10:-?} / $rss_end"

[ "$(val wrong_status)" = 0 ] || fail "non-200 responses"
[ "$(val wrong_body)" = 0 ] || fail "malformed bodies"
[ "$(val socket_errors)" = 0 ] || fail "socket errors"
[ "$(val backwards)" = 0 ] || fail "the counter went back on a connection"
[ "$dups" = 0 ] || fail "$dups counter values were handed out twice"
# Responses wrk never read (in flight when it stopped) incremented too.
[ "$max" -le "$n_final" ] && [ "$max" -ge $((n_final - conns)) ] ||
	fail "final counter $n_final, highest value seen $max"
[ "$count" -le "$n_final" ] && [ "$count" -ge $((n_final - conns)) ] ||
	fail "$count responses for a counter of $n_final"
[ "$u_final" = "$pushes" ] || fail "the state went through $u_final updates, not $pushes"
[ "$pushes" -ge $((secs / 4)) ] || fail "only $pushes pushes in $secs s"
[ "$refused" = 1 ] || fail "the junk binary was not pushed"
grep -q "\"live_updates\":$pushes," <<<"$stats" || fail "stats: $stats"
if [ "$check_rss" = 1 ]; then
	if [ -n "${ASAN_OPTIONS:-}" ]; then
		echo "NOTE: RSS growth not checked under AddressSanitizer"
	elif [ -z "$rss10" ] || [ "$rss_end" -ge $((rss10 + rss10 / 10)) ]; then
		fail "RSS grew from ${rss10:-?} kB (10 s) to $rss_end kB"
	fi
fi
echo "live update under load: OK"
