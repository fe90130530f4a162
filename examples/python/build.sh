#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds libkvm_api.so beside hello.py and varnish.py in DIR (default
# build/examples/python) and copies them there:
#   examples/python/build.sh [DIR]
# Run: tinykvm-run --allow DIR --allow PYTHON-STDLIB --request GET / \
#          /usr/bin/python3 DIR/hello.py
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here/../../build/examples/python}
mkdir -p "$dir"
${CC:-gcc} -O2 -Wall -shared -fPIC -I"$here/../../engine/include" \
    -o "$dir/libkvm_api.so" "$here/kvm_api.c"
cp "$here/varnish.py" "$here/hello.py" "$dir/"
