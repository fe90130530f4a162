#!/usr/bin/env bash
# The demo: installs missing packages, builds and installs everything, then
# runs varnishd in the foreground on 127.0.0.1:8080 serving the example
# programs (see README.md for curl commands).  Ctrl-C stops it.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/check-kvm.sh
make -j"$(nproc)"
make install
dir=$(./examples/build.sh build/examples)
listen=${DEMO_LISTEN:-127.0.0.1:8080}
echo "Serving the example programs on http://$listen/ (Ctrl-C stops)"
# The worker runs as root (-j none) so it can open the root-only /dev/kvm.
exec varnishd -F -j none -a "$listen" -f "$dir/demo.vcl" -n "$dir/varnishd" \
	-s malloc,64m
