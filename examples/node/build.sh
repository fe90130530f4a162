#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds varnish.node (the N-API addon, kvm_api_node.c) beside hello.js in
# DIR (default build/examples/node), with the headers of the system's
# Node.js (/usr/include/node, or NODE_INCLUDE):
#   examples/node/build.sh [DIR]
# Run: tinykvm-run --memory 1024 --allow DIR --allow /etc/ssl \
#          --request GET / /usr/bin/node DIR/hello.js
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here/../../build/examples/node}
inc=${NODE_INCLUDE:-/usr/include/node}
[ -f "$inc/node_api.h" ] || { echo "build.sh: no $inc/node_api.h" >&2; exit 1; }
mkdir -p "$dir"
${CC:-gcc} -O2 -Wall -shared -fPIC -I"$here/../../engine/include" -I"$inc" \
    -o "$dir/varnish.node" "$here/kvm_api_node.c"
cp "$here/hello.js" "$dir/"
