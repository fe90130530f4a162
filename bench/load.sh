#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Load benchmark: one varnishd serving (a) tinykvm.program("hello") with
# return(pass), (b) a synthetic response from vcl_synth, (c) a pass to
# nginx on loopback serving the same bytes.  wrk runs them interleaved,
# ROUNDS times each, and the ratios a/b and a/c are printed.  Then a long
# run at 64 connections reports errors and varnishd's RSS before and after.
# In between, varnishd's CPU per request of each kind, and of program() on
# a VMOD built without the VM (BENCH_NO_VM=1), give what the VMOD and the
# engine cost beyond the VM exit itself.
# usage: bench/load.sh [ROUNDS] [SECONDS] [LONG_SECONDS]
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-3}; secs=${2:-10}; long=${3:-60}
work=$(mktemp -d /tmp/tinykvm-load.XXXXXX)
chmod 755 "$work"	# nginx workers run as www-data
trap 'kill $(cat "$work"/nginx.pid 2>/dev/null) 2>/dev/null; pkill -f "varnishd.*$work" 2>/dev/null; rm -rf "$work"' EXIT

gcc -static -O2 -Iengine/include -o "$work/hello" bench/guests/hello_get.c
. bench/nginx.sh
start_nginx "$work" 8091
cat > "$work/load.vcl" <<VCL
vcl 4.1;
import tinykvm;
backend nginx { .host = "127.0.0.1"; .port = "8091"; }
sub vcl_init {
	tinykvm.configure("hello", {"{ "filename": "$work/hello", "concurrency": 4 }"});
	tinykvm.start("hello", async = false);
}
sub vcl_recv {
	if (req.url == "/synth") { return (synth(200)); }
	if (req.url == "/tostr") { return (synth(202)); }
	if (req.url == "/ksynth") { return (synth(203)); }
	if (req.url == "/stats") { return (synth(201)); }
	return (pass);
}
sub vcl_backend_fetch {
	if (bereq.url == "/kvm") {
		set bereq.backend = tinykvm.program("hello");
	} else {
		set bereq.backend = nginx;
	}
}
sub vcl_synth {
	if (resp.status == 202) {
		set resp.status = 200;
		set resp.http.Content-Type = "text/plain";
		set resp.body = tinykvm.to_string("hello", "/");
		return (deliver);
	}
	if (resp.status == 203) {
		if (tinykvm.synth(200, "hello", "/") == 0) {
			set resp.status = 503;
		}
		return (deliver);
	}
	if (resp.status == 201) {
		set resp.body = tinykvm.stats();
		return (deliver);
	}
	set resp.http.Content-Type = "text/plain";
	set resp.body = "Hello World";
	return (deliver);
}
VCL
varnishd -j none -a 127.0.0.1:8090 -f "$work/load.vcl" -n "$work/varnishd" \
	-p vmod_path="$PWD/build/vmod:$(pkg-config --variable=vmoddir varnishapi)" \
	-s malloc,64m -P "$work/varnishd.pid"
for i in $(seq 50); do curl -sf http://127.0.0.1:8090/kvm >/dev/null && break; sleep 0.1; done
[ "$(curl -s http://127.0.0.1:8090/kvm)" = "Hello World" ] || { echo "load: /kvm does not answer"; exit 1; }
[ "$(curl -s http://127.0.0.1:8090/nginx)" = "Hello World" ] || { echo "load: nginx does not answer"; exit 1; }
for u in tostr ksynth; do
	[ "$(curl -s http://127.0.0.1:8090/$u)" = "Hello World" ] || { echo "load: /$u does not answer"; exit 1; }
done

rate() {	# rate URL SECONDS CONNECTIONS -> requests/s
	wrk -t2 -c"$3" -d"$2"s "http://127.0.0.1:8090$1" | awk '/Requests\/sec/ { print $2 }'
}
declare -A sum=([kvm]=0 [synth]=0 [nginx]=0 [tostr]=0 [ksynth]=0)
for r in $(seq "$rounds"); do
	for t in kvm synth nginx tostr ksynth; do
		v=$(rate "/$t" "$secs" 8)
		echo "round $r $t: $v req/s"
		sum[$t]=$(echo "${sum[$t]} + $v" | bc -l)
	done
done
a=${sum[kvm]}; b=${sum[synth]}; c=${sum[nginx]}
printf 'load_kvm_vs_synth: ratio %.3f (target >= 0.5)\n' "$(echo "$a / $b" | bc -l)"
printf 'load_kvm_vs_nginx_pass: ratio %.3f (target >= 1.0)\n' "$(echo "$a / $c" | bc -l)"
# to_string() and synth() run the program in the client thread, no
# backend fetch: their bound on PVM is the VM exit (bare_exit_us below).
printf 'load_to_string_vs_synth: ratio %.3f (%s req/s summed over rounds)\n' "$(echo "${sum[tostr]} / $b" | bc -l)" "${sum[tostr]}"
printf 'load_tinykvm_synth_vs_synth: ratio %.3f (%s req/s summed over rounds)\n' "$(echo "${sum[ksynth]} / $b" | bc -l)" "${sum[ksynth]}"

# CPU of the varnishd child per request, each kind alone at 8 connections:
# program(), the same VCL on the VMOD built with BENCH_NO_VM=1 (program()
# answers without a VM: Varnish's own cost of the backend fetch), synth
# and the pass to nginx.  What program() costs beyond that baseline and
# beyond one bare VM exit is the VMOD's and the engine's own.
make -s BENCH_NO_VM=1 vmod >/dev/null
varnishd -j none -a 127.0.0.1:8092 -f "$work/load.vcl" -n "$work/varnishd-novm" \
	-p vmod_path="$PWD/build-novm/vmod:$(pkg-config --variable=vmoddir varnishapi)" \
	-s malloc,64m -P "$work/varnishd-novm.pid"
for i in $(seq 50); do curl -sf http://127.0.0.1:8092/kvm >/dev/null && break; sleep 0.1; done
child_of() { pgrep -P "$(cat "$1")" | head -1; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
cpu_us() {	# cpu_us PORT URL CHILD -> microseconds of CPU per request
	local t0 t1 n
	t0=$(ticks "$3")
	n=$(wrk -t2 -c8 -d"$secs"s "http://127.0.0.1:$1$2" | awk '/requests in/ { print $1 }')
	t1=$(ticks "$3")
	echo "($t1 - $t0) * 1000000 / $(getconf CLK_TCK) / $n" | bc -l
}
main_child=$(child_of "$work/varnishd.pid")
novm_child=$(child_of "$work/varnishd-novm.pid")
[ "$(curl -s http://127.0.0.1:8092/kvm)" = "Hello World" ] || { echo "load: the no-VM build does not answer"; exit 1; }
exit_us=$(build/tinykvm-run --host-info | awk '/^bare_exit_us/ { print $2 }')
c_kvm=$(cpu_us 8090 /kvm "$main_child")
c_novm=$(cpu_us 8092 /kvm "$novm_child")
c_synth=$(cpu_us 8090 /synth "$main_child")
c_tostr=$(cpu_us 8090 /tostr "$main_child")
c_nginx=$(cpu_us 8090 /nginx "$main_child")
printf 'cpu_per_request_us: program %.1f, no-VM program %.1f, synth %.1f, to_string %.1f, pass to nginx %.1f (varnishd child only); bare exit %.1f\n' \
	"$c_kvm" "$c_novm" "$c_synth" "$c_tostr" "$c_nginx" "$exit_us"
printf 'vmod_cpu_beyond_exit: %.1f us = program - no-VM program - bare exit; ratio to the bare exit %.3f (target <= 0.3)\n' \
	"$(echo "$c_kvm - $c_novm - $exit_us" | bc -l)" \
	"$(echo "($c_kvm - $c_novm - $exit_us) / $exit_us" | bc -l)"
kill "$(cat "$work/varnishd-novm.pid")" 2>/dev/null || true

pid=$(pgrep -f "varnishd.*$work" | tail -1)
child=$(pgrep -P "$(cat "$work/varnishd.pid")" | head -1)
rss_before=$(awk '/VmRSS/ { print $2 }' "/proc/$child/status")
out=$(wrk -t2 -c64 -d"$long"s http://127.0.0.1:8090/kvm)
rss_after=$(awk '/VmRSS/ { print $2 }' "/proc/$child/status")
echo "$out" | grep -E "Requests/sec|Socket errors|Non-2xx" || true
errors=$(echo "$out" | awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 } /Non-2xx/ { print $5 }' | paste -sd+ | bc)
vm_kb=$(curl -s http://127.0.0.1:8090/stats | grep -o '"memory_in_use":[0-9]*' |
	awk -F: '{ s += $2 } END { print int(s / 1024) }')
echo "long_run_64_connections: ${long}s, errors ${errors:-0}, varnishd child RSS ${rss_before} kB before, ${rss_after} kB after; request VMs' private memory ${vm_kb} kB"
: "$pid"
