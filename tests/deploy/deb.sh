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
# tinykvm and a file:// library; a program answers 200.  Finally
# `dpkg -r` removes every file and the kvm group membership is put back
# as it was.
# The test runs in its own mount namespace with its own /dev/kvm node
# (root:root 0600 like the real one here), so the postinst's chgrp and
# chmod never change the real device other tests see.
set -u
if [ -z "${TKVM_DEB_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "FAILED: needs root (apt-get, unshare)" >&2; exit 1; }
	exec env TKVM_DEB_NS=1 unshare -m bash "$0" "$@"
fi
. "$(dirname "$0")/../lib/common.sh"
pkg=vmod-tinykvm

# Our own /dev/kvm node, root-only as on a machine without udev.
mkdir "$WORK/node"
mount -t tmpfs -o mode=755 tinykvm-test "$WORK/node"
mknod -m 600 "$WORK/node/kvm" c 10 232
mount --bind "$WORK/node/kvm" /dev/kvm
[ "$(stat -c '%U:%G %a' /dev/kvm)" = "root:root 600" ] || die "private /dev/kvm not in place"

# vcache's groups and the kvm group come back as they were.
kvm_existed=0; getent group kvm >/dev/null && kvm_existed=1
vcache_in_kvm=0
id -nG vcache | tr ' ' '\n' | grep -qx kvm && vcache_in_kvm=1
varnishd_pid=
cleanup() {
	[ -n "$varnishd_pid" ] && kill "$varnishd_pid" 2>/dev/null && wait "$varnishd_pid"
	if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
		dpkg -r "$pkg" >/dev/null 2>&1
	fi
	# Not even a "removed" status line stays behind.
	if dpkg-query -W "$pkg" >/dev/null 2>&1; then
		dpkg -P "$pkg" >/dev/null 2>&1
	fi
	if [ "$kvm_existed" = 0 ]; then
		getent group kvm >/dev/null && groupdel kvm
	elif [ "$vcache_in_kvm" = 0 ]; then
		gpasswd -d vcache kvm >/dev/null 2>&1
	fi
	umount /dev/kvm "$WORK/node"
	rm -rf "$WORK"
}
trap cleanup EXIT

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
mkdir -p "$dir"
cp "$WORK/hello" "$dir/hello"
cat >"$dir/programs.json" <<EOF
{ "hello": { "filename": "$dir/hello", "concurrency": 1 } }
EOF
cat >"$dir/default.vcl" <<EOF
vcl 4.1;
import tinykvm;
backend default none;
sub vcl_init {
	tinykvm.library("file://$dir/programs.json");
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
# The worker (the manager's child) runs as vcache.
pgrep -P "$varnishd_pid" -u vcache >/dev/null || die "no worker running as vcache"
body=$(curl -s -o - -w ' %{http_code}' "http://127.0.0.1:$port/deb")
[ "$body" = "Hello from /deb 200" ] || die "GET /deb gave [$body]"
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
