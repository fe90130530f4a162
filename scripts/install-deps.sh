#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Installs the Debian 12 packages the build, the tests and the demo need,
# only those missing.  Needs root (apt-get).
set -eu
# gdb drives tests/debug/.  tests/deploy/ uses systemd-analyze (systemd), groupadd/usermod
# (passwd), unshare/setpriv (util-linux) and dpkg-shlibdeps (dpkg-dev).
# clang and libclang-rt-14-dev (libFuzzer, clang's sanitizer runtimes,
# a recommendation that --no-install-recommends skips) build fuzz/.
# rustc, cargo and golang-go build the examples in other languages
# (tests/requests/langs*.sh, tests/vmod/langs*.vtc); librust-libc-dev and
# librust-png-dev are the crates the published Rust examples ask for
# (scripts/try-published-examples.sh builds them with cargo --offline).
# nodejs runs under tinykvm-run in tests/engine/node.sh.
packages=(build-essential musl-tools g++ python3 pkg-config make
	varnish libvarnishapi-dev python3-docutils wrk nginx-light zlib1g-dev libpcre2-dev bc curl libcurl4-openssl-dev
	libarchive-dev xz-utils zstd openssl ca-certificates
	clang libclang-rt-14-dev gdb
	rustc cargo golang-go librust-libc-dev librust-png-dev nodejs
	systemd passwd util-linux dpkg-dev)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
