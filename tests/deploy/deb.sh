#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The Debian package as an operator uses it: `make deb`, then
# `apt-get install ./vmod-tinykvm_*.deb`; its postinst gives /dev/kvm the
# group kvm with read/write for it and adds vcache to kvm; the files land
# where Debian's varnish looks (vmod dir, man pages, drop-in for
# varnish.service, udev rule); the package depends on the exact strict ABI
# the installed varnish provides.  Then varnishd is started with the
# exact arguments of Debian's varnish.service (default jail, worker user
# vcache), on its own port and instance name, with a VCL importing
# tinykvm and an https library served by a local nginx with a test CA,
# whose program is a .tar.xz there too; the program answers 200, and the
# downloads land in the package's cache directory.  With nginx stopped, a
# reloaded VCL uses the cached library with a warning; a restarted
# varnishd loads library and program from the cache, warns for each, and
# the program still answers.  Finally `dpkg -r` removes every file, a purge
# the cache.
# It runs in a throwaway copy of the system (tests/lib/throwaway_root.sh):
# an earlier make install, an installed vmod-tinykvm package (removed
# first in the copy, so that apt installs this one afresh), the kvm group
# and /dev/kvm are found afterwards exactly as they were, which is checked.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/throwaway_root.sh"
throwaway_root_run TKVM_DEB_NS "$@"
pkg=vmod-tinykvm

varnishd_pid=
nginx_pid=
cleanup() {
	[ -n "$varnishd_pid" ] && kill "$varnishd_pid" 2>/dev/null && wait "$varnishd_pid"
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid"
	rm -rf "$WORK"
}
trap cleanup EXIT

if dpkg-query -W "$pkg" >/dev/null 2>&1; then
	echo "$pkg $(dpkg-query -W -f='${Version} (${Status})' "$pkg") is installed: purged in the copy first"
	dpkg -P "$pkg" >"$WORK/dpkg-old.log" 2>&1 || { cat "$WORK/dpkg-old.log"; die "dpkg -P of the installed $pkg failed"; }
fi

# 1. The package, built from the plain (not sanitizer) build: a make
# check of a sanitizer build must not hand its settings down.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ROOT" deb BUILD=build SANITIZE= \
	>"$WORK/make.log" 2>&1 || { tail -n 20 "$WORK/make.log"; die "make deb failed"; }
version=$(sed -n 's/^VERSION *?= *//p' "$ROOT/Makefile")
deb="$ROOT/build/${pkg}_${version}_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || die "make deb made no $deb"

# 2. Its dependency is the exact strict ABI the installed varnish provides.
abi=$(dpkg-query -W -f='${Provides}' varnish | tr ',' '\n' | sed -n 's/^ *\(varnishabi-strict-[0-9a-f]*\).*/\1/p')
[ -n "$abi" ] || die "varnish provides no varnishabi-strict-*"
depends=$(dpkg-deb -f "$deb" Depends)
case ", $depends," in *", $abi,"*) ;; *) die "Depends [$depends] lacks $abi" ;; esac

# 3. apt installs it; the postinst sets up /dev/kvm and the group.
apt-get -o DPkg::Lock::Timeout=300 install -y -q "$deb" >"$WORK/apt.log" 2>&1 ||
	{ tail -n 20 "$WORK/apt.log"; die "apt-get install failed"; }
vmoddir=$(pkg-config --variable=vmoddir varnishapi)
for f in "$vmoddir/libvmod_tinykvm.so" /usr/bin/tinykvm-run \
    /usr/include/tinykvm/kvm_api.h /usr/include/tinykvm/engine.h \
    /usr/share/man/man3/vmod_tinykvm.3.gz /usr/share/man/man1/tinykvm-run.1.gz \
    /lib/systemd/system/varnish.service.d/tinykvm.conf \
    /lib/udev/rules.d/65-vmod-tinykvm.rules /usr/share/doc/$pkg/copyright; do
	[ -f "$f" ] || die "the package did not install $f"
done
[ "$(stat -c '%G %a' /dev/kvm)" = "kvm 660" ] ||
	die "postinst left /dev/kvm as $(stat -c '%U:%G %a' /dev/kvm), expected group kvm, mode 0660"
id -nG vcache | tr ' ' '\n' | grep -qx kvm || die "postinst did not add vcache to kvm"
[ "$(stat -c '%U %a' /var/lib/varnish-tinykvm 2>&1)" = "vcache 750" ] ||
	die "postinst did not make the download cache /var/lib/varnish-tinykvm for vcache"
/usr/bin/tinykvm-run --help >/dev/null 2>&1 || die "the installed tinykvm-run does not run"
# systemd reads the drop-in with the stock unit and finds nothing wrong.
verify=$(systemd-analyze verify /lib/systemd/system/varnish.service 2>&1 | grep -v 'Command .* is not executable' || true)
[ -z "$verify" ] || die "systemd-analyze verify: $verify"

# 4. A program built against the installed guest header, and varnishd
# exactly as varnish.service starts it, on its own address, admin port
# and instance name, with a VCL importing tinykvm.
gcc -static -O2 -Wall -o "$WORK/hello" "$GUESTS/hello_http.c" || die "cannot build against /usr/include/tinykvm"
dir="$WORK/site"
mkdir -p "$dir/pkg/bin"
# nginx with a test CA (tests/lib/tls_nginx.sh) serves the library and
# the program as a .tar.xz.
sh "$ROOT/tests/lib/tls_nginx.sh" setup "$WORK/n" >/dev/null || die "cannot set up nginx"
nport=$(cat "$WORK/n/port")
cp "$WORK/hello" "$dir/pkg/bin/hello"
tar -C "$dir/pkg" -cJf "$WORK/n/www/hello.tar.xz" bin
cat >"$WORK/n/www/programs.json" <<EOF
{ "hello": { "uri": "https://127.0.0.1:$nport/hello.tar.xz", "concurrency": 1 } }
EOF
chmod -R a+rX "$WORK"
nginx -p "$WORK/n" -c "$WORK/n/nginx.conf" &
nginx_pid=$!
sh "$ROOT/tests/lib/tls_nginx.sh" wait "$WORK/n" || die "nginx did not start"
cat >"$dir/default.vcl" <<EOF
vcl 4.1;
import tinykvm;
backend default none;
sub vcl_init {
	tinykvm.remote_settings(ca_file = "$WORK/n/ca.pem");
	tinykvm.library("https://127.0.0.1:$nport/programs.json");
}
sub vcl_backend_fetch {
	set bereq.backend = tinykvm.program("hello", bereq.url);
}
EOF
chmod -R a+rX "$WORK"
# ExecStart, continuation lines joined, split into words.
read -r -a exec_start <<<"$(sed -n '/^ExecStart=/,/[^\\]$/p' /lib/systemd/system/varnish.service |
	sed 's/^ExecStart=//; s/\\$//' | tr '\n' ' ')"
[ "${exec_start[0]}" = /usr/sbin/varnishd ] || die "unexpected ExecStart: ${exec_start[*]}"
args=()
for ((i = 1; i < ${#exec_start[@]}; i++)); do
	a=${exec_start[i]}
	case "$a" in
	-a) args+=(-a 127.0.0.1:0); i=$((i + 1)) ;;
	-T) args+=(-T 127.0.0.1:0); i=$((i + 1)) ;;
	-f) args+=(-f "$dir/default.vcl"); i=$((i + 1)) ;;
	*) args+=("$a") ;;
	esac
done
printf '%s\n' "${args[@]}" | grep -qx -- '-j' || die "ExecStart has no -j: ${args[*]}"
echo "varnishd ${args[*]} -n $WORK/varnishd"
start_varnishd() {
	/usr/sbin/varnishd "${args[@]}" -n "$WORK/varnishd" >"$WORK/varnishd.log" 2>&1 &
	varnishd_pid=$!
	port=
	for _ in $(seq 300); do
		kill -0 "$varnishd_pid" 2>/dev/null || { cat "$WORK/varnishd.log"; die "varnishd exited"; }
		port=$(varnishadm -n "$WORK/varnishd" debug.listen_address 2>/dev/null |
			awk '/^a0 / { print $3 }')
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { cat "$WORK/varnishd.log"; die "varnishd did not come up"; }
}
start_varnishd
# The worker (the manager's child) runs as vcache.
pgrep -P "$varnishd_pid" -u vcache >/dev/null || die "no worker running as vcache"
body=$(curl -s -o - -w ' %{http_code}' "http://127.0.0.1:$port/deb")
[ "$body" = "Hello from /deb 200" ] || die "GET /deb gave [$body]"
grep -q '^/programs.json 200$' "$WORK/n/access.log" &&
	grep -q '^/hello.tar.xz 200$' "$WORK/n/access.log" ||
	die "nginx did not serve both files: $(cat "$WORK/n/access.log")"
cached=$(find /var/lib/varnish-tinykvm -type f ! -name '*.meta' | wc -l)
[ "$cached" -ge 2 ] ||
	die "the downloads are not in /var/lib/varnish-tinykvm: $(ls -la /var/lib/varnish-tinykvm)"
[ -z "$(find /var/lib/varnish-tinykvm -type f ! -user vcache)" ] ||
	die "cache files not owned by vcache"

# The server goes away; a reloaded VCL uses the cached copies and says so.
kill "$nginx_pid"; wait "$nginx_pid"; nginx_pid=
varnishadm -n "$WORK/varnishd" vcl.load reload "$dir/default.vcl" >"$WORK/reload.log" 2>&1 ||
	{ cat "$WORK/reload.log" "$WORK/varnishd.log"; die "the reload failed without the server"; }
varnishadm -n "$WORK/varnishd" vcl.use reload >/dev/null || die "vcl.use reload failed"
body=$(curl -s -o - -w ' %{http_code}' "http://127.0.0.1:$port/deb")
[ "$body" = "Hello from /deb 200" ] || die "after the reload GET /deb gave [$body]"
grep -q "download of 'https://127.0.0.1:$nport/programs.json' failed.*using the cached copy" \
    "$WORK/varnishd.log" || { cat "$WORK/varnishd.log"; die "no cached-copy warning at the reload"; }
# The loaded program stays; a restart while the server is down loads
# library and program from the cache.  A warning at VCL load goes to
# stderr, one while a request loads the program to varnishlog.
kill "$varnishd_pid"; wait "$varnishd_pid"; varnishd_pid=
start_varnishd
body=$(curl -s -o - -w ' %{http_code}' "http://127.0.0.1:$port/deb")
[ "$body" = "Hello from /deb 200" ] || die "after the restart GET /deb gave [$body]"
varnishlog -n "$WORK/varnishd" -d -g raw -i VCL_Log >"$WORK/vsl.log" 2>&1
for f in programs.json hello.tar.xz; do
	cat "$WORK/varnishd.log" "$WORK/vsl.log" |
	    grep -q "download of 'https://127.0.0.1:$nport/$f' failed.*using the cached copy" ||
	    { cat "$WORK/varnishd.log" "$WORK/vsl.log"; die "no cached-copy warning for $f"; }
done
kill "$varnishd_pid"; wait "$varnishd_pid"; varnishd_pid=

# 5. dpkg -r takes every file away again.
files=$(dpkg -L "$pkg" | while read -r f; do [ -f "$f" ] && echo "$f"; done)
dpkg -r "$pkg" >"$WORK/dpkg-r.log" 2>&1 || { cat "$WORK/dpkg-r.log"; die "dpkg -r failed"; }
for f in $files; do
	[ -e "$f" ] && die "dpkg -r left $f"
done
[ -e /lib/systemd/system/varnish.service.d ] && die "dpkg -r left the drop-in directory"
[ -d /var/lib/varnish-tinykvm ] || die "dpkg -r removed the download cache (only a purge may)"
dpkg -P "$pkg" >"$WORK/dpkg-p.log" 2>&1 || { cat "$WORK/dpkg-p.log"; die "dpkg -P failed"; }
[ -e /var/lib/varnish-tinykvm ] && die "dpkg -P left the download cache"
echo ok
