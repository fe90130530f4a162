#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds the Go request program (cgo, linked statically), offline:
#   examples/go/build.sh [OUTPUT]   (default: build/examples/hello_go)
# GO picks the toolchain (default: Debian's /usr/bin/go, package golang-go).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../../build/examples/hello_go}")
mkdir -p "$(dirname "$out")"
cd "$here"
export CGO_ENABLED=1 GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local
export GOCACHE="${GOCACHE:-$(dirname "$out")/.gocache}"
exec "${GO:-/usr/bin/go}" build -o "$out" -ldflags '-linkmode external -extldflags -static' .
