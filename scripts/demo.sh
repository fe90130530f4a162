#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The demo: installs missing packages, builds and installs everything, then
# runs varnishd in the foreground on 127.0.0.1:8080 serving the example
# programs (see README.md for curl commands).  Ctrl-C stops it.
# varnishd runs with its default jail, as varnish.service runs it: the
# worker is user vcache, which `make install` put in group kvm after
# giving /dev/kvm that group (deploy/kvm-access.sh).  The programs go to
# DEMO_DIR (default /var/lib/vmod-tinykvm/demo), where vcache can read
# them.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/check-kvm.sh
make -j"$(nproc)"
make install
dir=$(./examples/build.sh "${DEMO_DIR:-/var/lib/vmod-tinykvm/demo}")
chmod -R a+rX "$dir"
listen=${DEMO_LISTEN:-127.0.0.1:8080}
echo "Serving the example programs on http://$listen/ (Ctrl-C stops)"
exec varnishd -F -a "$listen" -f "$dir/demo.vcl" -n "$dir/varnishd" \
	-s malloc,64m
