#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Scaling, latency and memory of tinykvm.program() in a real varnishd,
# all measured in this run:
#   1. req/s of program("hello") with 1, 2, 4 and 8 request VMs under
#      wrk -c8, with the CPU time varnishd and wrk used per request (the
#      2 cores are the limit: once varnishd + wrk use both, more request
#      VMs cannot add throughput);
#   2. p50/p99 latency and req/s of program() and of a pass to a local
#      nginx serving the same bytes, side by side, at -c8 and -c64;
#   3. varnishd child RSS with 1, 16 and 64 request VMs of a 64 MiB
#      program, each request VM having served requests (RSS counts a
#      guest page once per VM mapping it, PSS once; more connections
#      also mean more worker threads, whose stacks count too).
# usage: bench/scaling.sh [SECONDS]   (run `make` first)
set -eu
cd "$(dirname "$0")/.."
secs=${1:-5}
work=$(mktemp -d /tmp/tinykvm-scaling.XXXXXX)
chmod 755 "$work"	# nginx workers run as www-data
cleanup() {
	[ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
	stop_varnishd
	rm -rf "$work"
}
stop_varnishd() {
	local pid
	pid=$(cat "$work/varnishd.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 50); do	# varnishd removes its pid file itself
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	rm -f "$work/varnishd.pid"
}
trap cleanup EXIT

gcc -static -O2 -Iengine/include -o "$work/hello" bench/guests/hello_get.c
. bench/nginx.sh
start_nginx "$work" 8093

# start_varnishd CONCURRENCY MAX_MEMORY_MIB
start_varnishd() {
	cat > "$work/s.vcl" <<VCL
vcl 4.1;
import tinykvm;
backend nginx { .host = "127.0.0.1"; .port = "8093"; }
sub vcl_init {
	tinykvm.configure("hello", {"{ "filename": "$work/hello", "concurrency": $1, "max_memory": $2 }"});
	tinykvm.start("hello", async = false);
}
sub vcl_recv { return (pass); }
sub vcl_backend_fetch {
	if (bereq.url == "/kvm") {
		set bereq.backend = tinykvm.program("hello");
	} else {
		set bereq.backend = nginx;
	}
}
VCL
	varnishd -j none -a 127.0.0.1:8092 -f "$work/s.vcl" -n "$work/varnishd" \
		-p vmod_path="$PWD/build/vmod:$(pkg-config --variable=vmoddir varnishapi)" \
		-s malloc,64m -P "$work/varnishd.pid"
	for _ in $(seq 100); do
		[ "$(curl -s http://127.0.0.1:8092/kvm)" = "Hello World" ] && return 0
		sleep 0.1
	done
	echo "scaling: /kvm does not answer"; exit 1
}
child_pid() { pgrep -P "$(cat "$work/varnishd.pid")" | head -1; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }	# utime + stime
idle_ticks() { awk '/^cpu / { print $5 + $6 }' /proc/stat; }	# whole machine

echo "host: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. Throughput by request VMs.
for n in 1 2 4 8; do
	start_varnishd "$n" 64
	wrk -t2 -c8 -d1s http://127.0.0.1:8092/kvm >/dev/null	# warm up
	child=$(child_pid)
	c0=$(cpu_ticks "$child"); i0=$(idle_ticks)
	out=$(wrk -t2 -c8 -d"${secs}s" http://127.0.0.1:8092/kvm)
	c1=$(cpu_ticks "$child"); i1=$(idle_ticks)
	rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
	reqs=$(echo "$out" | awk '/requests in/ { print $1 }')
	hz=$(getconf CLK_TCK)
	vus=$(echo "($c1 - $c0) * 1000000 / $hz / $reqs" | bc -l)
	vshare=$(echo "($c1 - $c0) / $hz / $secs" | bc -l)
	busy=$(echo "$(nproc) - ($i1 - $i0) / $hz / $secs" | bc -l)
	printf 'throughput_%d_request_vms: %s req/s (wrk -c8), varnishd %.1f us CPU per request, varnishd busy %.2f cores, machine busy %.2f of %d cores (all processes)\n' \
		"$n" "$rps" "$vus" "$vshare" "$busy" "$(nproc)"
	stop_varnishd
done

# 2. Latency side by side (4 request VMs, as bench/load.sh).
start_varnishd 4 64
for c in 8 64; do
	for t in kvm nginx; do
		out=$(wrk -t2 -c"$c" -d"${secs}s" --latency "http://127.0.0.1:8092/$t")
		rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
		p50=$(echo "$out" | awk '$1 == "50%" { print $2 }')
		p99=$(echo "$out" | awk '$1 == "99%" { print $2 }')
		eval "rps_$t=$rps"
		echo "latency_c${c}_$t: $rps req/s, p50 $p50, p99 $p99"
	done
	# shellcheck disable=SC2154
	printf 'program_vs_nginx_pass_c%d: ratio %.3f (req/s, same run)\n' "$c" \
		"$(echo "$rps_kvm / $rps_nginx" | bc -l)"
done
stop_varnishd

# 3. RSS by request VMs of a 64 MiB program; wrk with as many
# connections as VMs so that every request VM serves.
for n in 1 16 64; do
	start_varnishd "$n" 64
	child=$(child_pid)
	before=$(awk '/^Rss:/ { print $2 }' "/proc/$child/smaps_rollup")
	wrk -t"$(( n < 2 ? 1 : 2 ))" -c"$n" -d2s http://127.0.0.1:8092/kvm >/dev/null
	after=$(awk '/^Rss:/ { print $2 }' "/proc/$child/smaps_rollup")
	pss=$(awk '/^Pss:/ { print $2 }' "/proc/$child/smaps_rollup")
	threads=$(awk '/^Threads:/ { print $2 }' "/proc/$child/status")
	echo "varnishd_rss_64mib_program_${n}_request_vms: child RSS ${after} kB after serving (${before} kB after start), PSS ${pss} kB, ${threads} threads"
	stop_varnishd
done
