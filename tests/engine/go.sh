# SPDX-License-Identifier: BSD-2-Clause
# A Go program (Debian's golang-go, no cgo) with goroutines, a channel and
# runtime.GC() prints what its native run prints: the Go runtime's large
# PROT_NONE reservations, its threads (clone, futex), signals and epoll.
. "$(dirname "$0")/../lib/common.sh"

GO=$(command -v go || echo /usr/lib/go/bin/go)
[ -x "$GO" ] || die "no go (golang-go, scripts/install-deps.sh)"
cp "$GUESTS/go_hello.go" "$WORK/main.go"
(cd "$WORK" && CGO_ENABLED=0 GOFLAGS=-mod=mod GO111MODULE=off "$GO" build -o go_hello main.go) ||
	die "cannot build go_hello.go"
"$WORK/go_hello" >"$WORK/native" 2>&1 || die "go_hello failed natively"
run_guest --memory 1024 "$WORK/go_hello"
expect_rc 0
expect_out "$(cat "$WORK/native")"
expect_out "hello from go
sum 14"
echo ok
