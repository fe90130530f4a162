#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Load benchmark: one varnishd serving (a) tinykvm.program("hello") with
# return(pass), (b) a synthetic response from vcl_synth, (c) a pass to
# nginx on loopback serving the same bytes.  wrk runs them interleaved,
# ROUNDS times each, and the ratios a/b and a/c are printed.  Then a long
# run at 64 connections reports errors and varnishd's RSS before and after.
# usage: bench/load.sh [ROUNDS] [SECONDS] [LONG_SECONDS]
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-3}; secs=${2:-10}; long=${3:-60}
work=$(mktemp -d /tmp/tinykvm-load.XXXXXX)
chmod 755 "$work"	# nginx workers run as www-data
trap 'kill $(cat "$work"/nginx.pid 2>/dev/null) 2>/dev/null; pkill -f "varnishd.*$work" 2>/dev/null; rm -rf "$work"' EXIT

gcc -static -O2 -Iengine/include -o "$work/hello" bench/guests/hello_get.c
printf 'Hello World' > "$work/index.html"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
	access_log off;
	server {
		listen 127.0.0.1:8091;
		root $work;
		location / { default_type text/plain; try_files /index.html =404; }
	}
}
NGINX
nginx -c "$work/nginx.conf" -p "$work"
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

rate() {	# rate URL SECONDS CONNECTIONS -> requests/s
	wrk -t2 -c"$3" -d"$2"s "http://127.0.0.1:8090$1" | awk '/Requests\/sec/ { print $2 }'
}
declare -A sum=([kvm]=0 [synth]=0 [nginx]=0)
for r in $(seq "$rounds"); do
	for t in kvm synth nginx; do
		v=$(rate "/$t" "$secs" 8)
		echo "round $r $t: $v req/s"
		sum[$t]=$(echo "${sum[$t]} + $v" | bc -l)
	done
done
a=${sum[kvm]}; b=${sum[synth]}; c=${sum[nginx]}
printf 'load_kvm_vs_synth: ratio %.3f (target >= 0.5)\n' "$(echo "$a / $b" | bc -l)"
printf 'load_kvm_vs_nginx_pass: ratio %.3f (target >= 1.0)\n' "$(echo "$a / $c" | bc -l)"

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
