#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Builds the C and C++ example programs of the published TinyKVM examples
# repository unmodified, twice: against the kvm_api.h found in that checkout
# and against ours (engine/include/tinykvm/kvm_api.h put in place of every
# copy of theirs, in a scratch copy of the sources), then runs each binary
# under build/tinykvm-run the way the example expects to be called, then
# the ones built with our header under varnishd (our VMOD from build/vmod)
# with a program library and VCL as a user of the published VMOD writes
# them.  Prints, per example, how each build went and each run's status and
# first body bytes or exact failure.  Nothing of the examples is copied
# into this repository: give the path of a checkout.
#
#   scripts/try-published-examples.sh EXAMPLES-CHECKOUT [KEEP-DIR]
#
# Libraries come from Debian (-dev packages with a static library; the
# script says which are missing, it does not install them).  Submodules a
# checkout may lack are replaced by the Debian library of the same name.
# Fetching examples get a small local HTTP server on 127.0.0.1:7070 (the
# port c/fetch.c asks for).  Results are also written to KEEP-DIR/results
# with every build and run log beside them.
set -u

if [ $# -lt 1 ] || [ ! -f "$1/kvm_api.h" ]; then
	echo "usage: $0 EXAMPLES-CHECKOUT [KEEP-DIR]  (the checkout has kvm_api.h at its top)" >&2
	exit 2
fi
EX=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=${RUN:-$ROOT/build/tinykvm-run}
OURS=$ROOT/engine/include/tinykvm/kvm_api.h
W=${2:-$(mktemp -d)}
mkdir -p "$W/log" "$W/bin" "$W/inc/x" "$W/inc/zstd/lib" "$W/www"
PORT=7070
PY=/usr/bin/python3
[ -x "$RUN" ] || { echo "no $RUN: run make first" >&2; exit 2; }

# --- the scratch tree with our header in place of theirs -------------------
OURT=$W/ours-tree
rm -rf "$OURT"; mkdir -p "$OURT"
skip_paths=$(cd "$EX" && git config -f .gitmodules --get-regexp 'submodule\..*\.path' 2>/dev/null | awk '{print $2}')
(cd "$EX" && find c cpp \( -type f -o -type l \) \( -name '*.c' -o -name '*.cpp' -o -name '*.h' -o -name '*.hpp' \) ) |
while read -r f; do
	for s in $skip_paths; do case $f in "$s"/*) continue 2;; esac; done
	mkdir -p "$OURT/$(dirname "$f")"; cp -P "$EX/$f" "$OURT/$f"
done
cp "$OURS" "$OURT/kvm_api.h"
find "$OURT" -name kvm_api.h -exec cp --remove-destination "$OURS" {} \;
ln -sfn "$EX/assets" "$OURT/assets"

# Submodule headers reached by relative quoted includes: "zstd/lib/zstd.h"
# (c/zstd) and "../zstd/lib/zstd.h" (cpp/zstd) find Debian's through -I.
ln -sf /usr/include/zstd.h "$W/inc/zstd/lib/zstd.h"
INC="-I$W/inc -I$W/inc/x"

# --- what is missing from Debian ------------------------------------------
missing=""
for lib in z zstd webp turbojpeg deflate espeak-ng sonic pcaudio SQLiteCpp sqlite3; do
	[ -f /usr/lib/x86_64-linux-gnu/lib$lib.a ] || missing="$missing lib$lib.a"
done
[ -f /usr/include/nlohmann/json.hpp ] || missing="$missing nlohmann/json.hpp"
[ -n "$missing" ] && echo "note: not installed:$missing (apt-get install zlib1g-dev libzstd-dev libwebp-dev libturbojpeg0-dev libdeflate-dev libespeak-ng-dev libsonic-dev libpcaudio-dev libsqlitecpp-dev libsqlite3-dev nlohmann-json3-dev)"

# --- a local server for the fetching examples ------------------------------
printf 'Hello from the local origin!\n%.0s' $(seq 200) > "$W/www/text"
zstd -q -f "$W/www/text" -o "$W/www/text.zst" 2>/dev/null
cat > "$W/server.py" <<'EOF'
import gzip, json, sys, http.server
root = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def send(self, code, ctype, body, extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        p = self.path
        if p.startswith("/headers"):
            h = {k: v for k, v in self.headers.items()}
            self.send(200, "application/json", json.dumps({"headers": h}).encode())
        elif p.startswith("/gzip"):
            self.send(200, "text/plain", gzip.compress(open(root + "/text", "rb").read()),
                      [("Content-Encoding", "gzip")])
        elif p.startswith("/zstd"):
            self.send(200, "application/zstd", open(root + "/text.zst", "rb").read())
        elif p.startswith("/image"):
            self.send(200, "image/jpeg", open(root + "/image.jpg", "rb").read())
        elif p.startswith("/redirect"):
            self.send(302, "text/plain", b"", [("Location", "/text")])
        else:
            self.send(200, "text/plain", open(root + "/text", "rb").read())
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(n)
        self.send(200, "application/json", json.dumps(
            {"data": body.decode("latin-1"), "content-type": self.headers.get("Content-Type")}).encode())
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
[ -f "$EX/assets/rose.jpg" ] && cp "$EX/assets/rose.jpg" "$W/www/image.jpg"
$PY "$W/server.py" $PORT "$W/www" 2>"$W/log/server" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
for _ in $(seq 50); do
	$PY -c "import socket; socket.create_connection(('127.0.0.1', $PORT))" 2>/dev/null && break
	sleep 0.1
done
kill -0 $SERVER 2>/dev/null || { echo "cannot serve on 127.0.0.1:$PORT (in use?): $(tail -1 "$W/log/server")" >&2; exit 2; }
ORIGIN=http://127.0.0.1:$PORT

# --- build and run ----------------------------------------------------------
# build NAME SRCDIR OUT CC FLAGS... : compiles in SRCDIR of both trees
# (published: the checkout itself; ours: the scratch tree); sets B_pub, B_ours.
build() {
	local name=$1 dir=$2 out=$3; shift 3
	local v tree
	mkdir -p "$(dirname "$W/log/$name")"
	for v in pub ours; do
		if [ $v = pub ]; then tree=$EX; else tree=$OURT; fi
		if (cd "$tree/$dir" && "$@" -o "$W/bin/$out.$v") >"$W/log/$name.$v.build" 2>&1; then
			eval "B_$v=ok"
		else
			eval "B_$v=\"FAIL: \$(grep -m1 -E 'error|undefined reference|cannot find' \"\$W/log/\$name.\$v.build\" | sed 's/^[^:]*:[0-9]*:[0-9]*: //' | cut -c1-110)\""
		fi
	done
}

# show OUT ERR RC : HTTP status and the first bytes of the body of each
# response tinykvm-run printed, and the failure it reported, if any.
show() {
	local out=$1 err=$2 rc=$3 n
	n=$(grep -c '^HTTP [0-9]' "$out")
	if [ "$n" -gt 0 ]; then
		awk '/^HTTP [0-9]/{if(s!="")print s "\""; s=$2 " \""; inb=0; next}
		     inb==0 && /^$/ {inb=1; next}
		     inb==1 && length(s) < 60 {s=s $0 "."}
		     END{if(s!="")print s "\""}' "$out" | cut -c1-64 | tr -c '[:print:]\n' '.' | paste -sd ';' | sed 's/;/; /g' | tr -d '\n'
		[ "$rc" != 0 ] && printf ' (exit %s: %s)' "$rc" "$(grep -v -E '^tinykvm-run: ([0-9]* requests|storage:)' "$err" | tail -1 | cut -c1-110)"
	else
		printf 'FAIL exit %s: %s' "$rc" "$(tail -1 "$err" | cut -c1-130)"
	fi
}

# run NAME OUT RUNNER-ARGS... : runs both builds; PROGRAM goes last.
run() {
	local name=$1 out=$2; shift 2
	local v
	mkdir -p "$(dirname "$W/log/$name")"
	for v in pub ours; do
		if [ ! -x "$W/bin/$out.$v" ]; then eval "R_$v='not built'"; continue; fi
		(cd "$W" && timeout 60 "$RUN" --timeout 20 "${@//@V/$v}" "$W/bin/$out.$v") \
			>"$W/log/$name.$v.out" 2>"$W/log/$name.$v.err"
		eval "R_$v=\$(show \"\$W/log/\$name.\$v.out\" \"\$W/log/\$name.\$v.err\" $?)"
	done
}

report() {
	printf '%-22s | build: published %s; ours %s\n%-22s | run published-header binary: %s\n%-22s | run our-header binary: %s\n' \
		"$1" "$B_pub" "$B_ours" "" "$R_pub" "" "$R_ours" | tee -a "$W/results"
}
skip() {
	printf '%-22s | not tried: %s\n' "$1" "$2" | tee -a "$W/results"
}
: > "$W/results"

CFLAGS="-static -O2 -std=gnu17 $INC"
CXXFLAGS="-static -O2 -std=c++17 $INC"
echo "hello" > "$W/post.txt"
printf '%s' '{ "a" : [1, 2, {"b": null}] }' > "$W/post.json"

build c/hello_world c hello gcc $CFLAGS hello_world.c
run c/hello_world hello --request GET /; report c/hello_world

build c/counter c counter gcc $CFLAGS counter.c
echo '{ "g": {}, "counter": { "group": "g", "shared_memory": 2, "ephemeral": false } }' > "$W/counter.json"
run c/counter counter --config "$W/counter.json" --program counter --request GET / --request GET /
report "c/counter (2 GETs)"

build c/dns c dns gcc $CFLAGS dns.c
run c/dns dns --request GET /; report c/dns

build c/fetch c fetch gcc $CFLAGS fetch.c
run c/fetch fetch --request GET /; report c/fetch

build c/storage c storage gcc $CFLAGS storage.c
# tinykvm-run sends --body with every request (a GET with a body goes to
# on_post), so GET and POST are two runs; varnishd below does both in turn.
run c/storage storage --storage --request GET /
report "c/storage (GET)"
run c/storage storage --storage --body "$W/post.txt" --request POST /
report "c/storage (POST)"

build c/streaming c streaming gcc $CFLAGS streaming.c
run c/streaming streaming --request GET /; report c/streaming

build c/zlib c/zlib zlib gcc $CFLAGS zlib.c -lz
# GET inflates into malloc(512 MiB): more than the default guest memory.
run c/zlib zlib --request GET "$ORIGIN/gzip"; report "c/zlib (GET gzip origin)"
run c/zlib zlib --memory 1024 --request GET "$ORIGIN/gzip"; report "c/zlib (GET, --memory 1024)"
run c/zlib zlib --body "$W/post.txt" --content-type text/plain --request POST /
report "c/zlib (POST compress)"

build c/zstd c/zstd zstd gcc $CFLAGS zstd.c -lzstd
run c/zstd zstd --arg inline --request GET "$ORIGIN/zstd"; report "c/zstd (GET zstd origin)"

for prebuilt in counter scounter; do
	if [ -f "$EX/c/$prebuilt" ]; then
		cp "$EX/c/$prebuilt" "$W/bin/pre-$prebuilt.pub"; chmod +x "$W/bin/pre-$prebuilt.pub"
		cp "$EX/c/$prebuilt" "$W/bin/pre-$prebuilt.ours"; chmod +x "$W/bin/pre-$prebuilt.ours"
		B_pub="shipped binary"; B_ours="(same binary)"
		run "c/$prebuilt" "pre-$prebuilt" --config "$W/counter.json" --program counter --request GET / --request GET /
		report "c/$prebuilt (shipped)"
	fi
done

build cpp/hello_world cpp/src cpp_hello g++ $CXXFLAGS hello_world.cpp
run cpp/hello_world cpp_hello --request GET /; report cpp/src/hello_world

build cpp/hello_frontend cpp/src cpp_frontend g++ $CXXFLAGS hello_frontend.cpp
run cpp/hello_frontend cpp_frontend --request GET /; report cpp/src/hello_frontend

build cpp/to_string cpp/src cpp_to_string g++ $CXXFLAGS to_string.cpp
run cpp/to_string cpp_to_string --arg "Hello to_string" --request GET text/plain
report cpp/src/to_string

build cpp/payload cpp/src cpp_payload g++ $CXXFLAGS payload.cpp
run cpp/payload cpp_payload --arg '{"size": 32}' --request GET text/plain
report cpp/src/payload

build cpp/fetch cpp/src cpp_fetch g++ $CXXFLAGS fetch.cpp
run cpp/fetch cpp_fetch --arg '{"headers": ["X-Example: yes"]}' --request GET "$ORIGIN/redirect"
report "cpp/src/fetch (redirect)"

build cpp/deflate cpp/src cpp_deflate g++ $CXXFLAGS deflate.cpp -ldeflate
run cpp/deflate cpp_deflate --arg '{"action": "compress", "level": 6}' --body "$W/post.txt" --content-type text/plain --request POST /
report "cpp/src/deflate (compress)"

build cpp/espeak cpp/src cpp_espeak g++ $CXXFLAGS espeak.cpp -lespeak-ng -lsonic -lpcaudio -lpthread
run cpp/espeak cpp_espeak --allow /usr/lib/x86_64-linux-gnu/espeak-ng-data --arg "hello" --request GET /
report cpp/src/espeak

build cpp/shared_counter cpp/shared_counter shared_counter g++ -static -O2 -std=c++20 $INC shared_counter.cpp
echo '{ "g": {}, "shared_counter": { "group": "g", "shared_memory": 2 } }' > "$W/shared_counter.json"
run cpp/shared_counter shared_counter --config "$W/shared_counter.json" --program shared_counter --request GET / --request GET /
report "cpp/shared_counter (2 GETs)"

# minimal and collector: a storage binary linked at 0x40200000 and a request
# binary that calls into it directly (their build.sh).
for two in minimal collector; do
	nostd=""; [ $two = minimal ] && nostd="-ffreestanding -nostdlib"
	build "cpp/$two-storage" "cpp/$two" "$two-storage" g++ -static -O2 $nostd -Wl,-Ttext-segment=0x40200000 storage.cpp
	for v in pub ours; do
		[ -x "$W/bin/$two-storage.$v" ] || continue
		objcopy -w --extract-symbol --strip-symbol='!*storage*' --strip-symbol='*' \
			"$W/bin/$two-storage.$v" "$W/bin/$two.$v.syms"
	done
	sb_pub=$B_pub sb_ours=$B_ours
	# The request binary is linked against the symbols of the storage binary
	# built with the same header.
	for v in pub ours; do
		if [ $v = pub ]; then tree=$EX; else tree=$OURT; fi
		if (cd "$tree/cpp/$two" && g++ -static -O2 $nostd -Wl,-s,--just-symbols="$W/bin/$two.$v.syms" $two.cpp -o "$W/bin/$two.$v") >"$W/log/cpp/$two.$v.build" 2>&1; then
			eval "B_$v=\"ok (storage binary: \$sb_$v)\""
		else
			eval "B_$v=\"FAIL: \$(grep -m1 -E 'error|undefined' \"\$W/log/cpp/\$two.\$v.build\" | cut -c1-100)\""
		fi
	done 2>/dev/null
	mkdir -p "$W/log/cpp"
	# Each binary with the storage binary built with the same header.
	if [ $two = minimal ]; then
		run "cpp/$two" "$two" --storage-program "$W/bin/$two-storage.@V" \
			--request GET /a --request GET /b
	else
		run "cpp/$two" "$two" --storage-program "$W/bin/$two-storage.@V" \
			--request GET /a --request GET :report:
	fi
	report "cpp/$two (storage binary)"
done

build cpp/zstd cpp/zstd/src cpp_zstd g++ $CXXFLAGS zstd.cpp -lzstd
run cpp/zstd cpp_zstd --arg '{"action": "compress", "level": 3}' --body "$W/www/text" --content-type text/plain --request POST /
report "cpp/zstd (POST compress)"
run cpp/zstd cpp_zstd --arg '{"action": "decompress"}' --request GET "$ORIGIN/zstd"
report "cpp/zstd (GET decompress)"

build cpp/sqlite cpp/sqlite/src cpp_sqlite g++ $CXXFLAGS sql.cpp -lSQLiteCpp -lsqlite3
run cpp/sqlite cpp_sqlite --body "$W/post.txt" --request POST /; report cpp/sqlite

build cpp/webp cpp/webp/src cpp_webp g++ $CXXFLAGS webp.cpp decode_webp.cpp decode_jpeg.cpp -lwebp -lsharpyuv -lturbojpeg -lpthread
[ -f "$W/bin/cpp_webp.pub" ] || [ -f "$W/bin/cpp_webp.ours" ] || \
	build cpp/webp cpp/webp/src cpp_webp g++ $CXXFLAGS webp.cpp decode_webp.cpp decode_jpeg.cpp -lwebp -lturbojpeg -lpthread
run cpp/webp cpp_webp --arg '{"quality": 50}' --body "$W/www/image.jpg" --content-type image/jpeg --request POST /
report "cpp/webp (POST jpeg)"

# --- Rust and Go ------------------------------------------------------------
# Built as their scripts do (rust/static/build.sh: cargo build --release;
# rust/collector/build_and_upload.sh: the same for the musl target, the
# upload left out; go/build.sh: go build in goexample), offline, with
# Debian's toolchains (rustc, cargo, golang-go) and crates (librust-*-dev,
# in /usr/share/cargo/registry), in a scratch copy of rust/ and go/ (cargo
# and go write there).  The Rust API is the examples' own varnish.rs, so
# both builds are the same; Go's cgo package includes the top-level
# kvm_api.h, ours in the second copy.  CARGO_NEWER=path-of-cargo also
# builds rust/static with a newer toolchain, its unused png line dropped.
mkdir -p "$W/cargo-home" "$W/log/rust" "$W/log/go"
cat > "$W/cargo-home/config.toml" <<'TOML'
[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "/usr/share/cargo/registry"
[net]
offline = true
TOML
for v in pub ours; do
	rm -rf "$W/lang.$v"; mkdir -p "$W/lang.$v"
	(cd "$EX" && cp -r rust go "$W/lang.$v/")
	if [ $v = pub ]; then cp "$EX/kvm_api.h" "$W/lang.$v/"; else cp "$OURS" "$W/lang.$v/kvm_api.h"; fi
done
# cargo_build NAME DIR OUT BINARY CARGO-ARGS...: sets B_pub and B_ours.
cargo_build() {
	local name=$1 dir=$2 out=$3 bin=$4 v; shift 4
	for v in pub ours; do
		if (cd "$W/lang.$v/$dir" && CARGO_HOME="$W/cargo-home" RUSTC=/usr/bin/rustc \
		    /usr/bin/cargo "$@" && cp "$bin" "$W/bin/$out.$v") >"$W/log/$name.$v.build" 2>&1; then
			eval "B_$v=ok"
		else
			eval "B_$v=\"FAIL: \$(grep -m1 -E '^error|cannot find|not found' \"\$W/log/\$name.\$v.build\" | cut -c1-110)\""
		fi
	done
}
if [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ]; then
	cargo_build rust/static rust/static rust_static target/release/demo build --release
	run rust/static rust_static --request GET /hello --request GET /two; report rust/static
	cargo_build rust/collector rust/collector rust_collector \
		target/x86_64-unknown-linux-musl/release/collector build --release --target=x86_64-unknown-linux-musl
	run rust/collector rust_collector --request GET /a; report rust/collector
	cargo_build "rust/collector (gnu)" rust/collector rust_collector_gnu target/release/collector build --release
	run "rust/collector (gnu)" rust_collector_gnu --request GET /a; report "rust/collector (gnu)"
else
	skip rust "Debian's rustc and cargo are not installed"
fi
if [ -n "${CARGO_NEWER:-}" ]; then
	for v in pub ours; do
		sed -i '/^png = /d' "$W/lang.$v/rust/static/Cargo.toml"
		rm -rf "$W/lang.$v/rust/static/target" "$W/lang.$v/rust/static/Cargo.lock"
		if (cd "$W/lang.$v/rust/static" && CARGO_HOME="$W/cargo-home" \
		    RUSTFLAGS="-C target-feature=+crt-static" "$CARGO_NEWER" build --release &&
		    cp target/release/demo "$W/bin/rust_static_newer.$v") >"$W/log/rust/static-newer.$v.build" 2>&1; then
			eval "B_$v=\"ok ($("${CARGO_NEWER%cargo}rustc" --version 2>/dev/null | cut -d' ' -f1-2), png dropped, crt-static)\""
		else
			eval "B_$v=\"FAIL: \$(grep -m1 -E '^error' \"\$W/log/rust/static-newer.\$v.build\" | cut -c1-110)\""
		fi
	done
	run "rust/static (newer)" rust_static_newer --request GET /hello --request GET /two
	report "rust/static (newer)"
fi
if [ -x /usr/bin/go ]; then
	for v in pub ours; do
		if (cd "$W/lang.$v/go/goexample" && GOPROXY=off GOTOOLCHAIN=local GOCACHE="$W/gocache" \
		    /usr/bin/go build && cp goexample "$W/bin/goexample.$v") >"$W/log/go/goexample.$v.build" 2>&1; then
			eval "B_$v=ok"
		else
			eval "B_$v=\"FAIL: \$(grep -m1 -v '^#' \"\$W/log/go/goexample.\$v.build\" | cut -c1-110)\""
		fi
	done
	run go/goexample goexample --memory 1024 --storage --request GET /; report go/goexample
else
	skip go/goexample "Debian's golang-go is not installed"
fi
skip go/avif "needs the Go module github.com/Kagami/go-avif (not packaged by Debian) and libaom as a static library (Debian ships it shared only)"
skip rust/png "needs png 0.15 (Debian packages 0.17) and the musl target"
skip rust/tokio "needs tokio 1.44 and edition 2024: Debian has tokio 1.24 and rustc 1.63"

# --- the same binaries (built with our header) under varnishd ---------------
# A program library in the style of the published compute.json (one group,
# programs named as there) and a VCL as a user of the published VMOD writes
# it: program(name, url, arg), chain() feeding one program's body to the
# next, to_string().
try_varnishd() {
	local vport=7071 d=$W/varnishd
	command -v varnishd >/dev/null || { echo "varnishd: not installed, skipped"; return; }
	[ -f "$ROOT/build/vmod/libvmod_tinykvm.so" ] || { echo "varnishd: VMOD not built, skipped"; return; }
	mkdir -p "$d"
	b() { echo "$W/bin/$1.ours"; }
	# The published host takes a separate storage program from FILENAME_storage.
	for two in minimal collector; do
		[ -f "$W/bin/$two-storage.ours" ] && cp "$W/bin/$two-storage.ours" "$(b $two)_storage"
	done
	cat > "$d/library.json" <<JSON
{
	"compute": { "concurrency": 2, "max_boot_time": 8.0, "max_request_time": 6.0,
		"max_memory": 64, "max_request_memory": 48 },
	"hello": { "group": "compute", "filename": "$(b hello)", "storage": true,
		"server": { "port": 8081, "systems": 64 } },
	"counter": { "group": "compute", "filename": "$(b counter)", "shared_memory": 2,
		"concurrency": 4, "ephemeral": false },
	"scounter": { "group": "compute", "uri": "file://$W/bin/pre-scounter.pub",
		"filename": "/tmp/compute_counter", "shared_memory": 2, "concurrency": 4,
		"ephemeral": false },
	"cfetch": { "group": "compute", "filename": "$(b fetch)" },
	"storage": { "group": "compute", "filename": "$(b storage)", "storage": true },
	"streaming": { "group": "compute", "filename": "$(b streaming)" },
	"zlibng": { "group": "compute", "filename": "$(b zlib)", "ephemeral": false },
	"zstdc": { "group": "compute", "filename": "$(b zstd)" },
	"fetch": { "group": "compute", "filename": "$(b cpp_fetch)", "max_request_time": 16.0 },
	"to_string": { "group": "compute", "filename": "$(b cpp_to_string)" },
	"payload": { "group": "compute", "filename": "$(b cpp_payload)", "max_memory": 128,
		"max_request_memory": 80, "ephemeral": false },
	"deflate": { "group": "compute", "filename": "$(b cpp_deflate)", "ephemeral": false,
		"split_hugepages": false, "hugepage_arena_size": 64, "request_hugepage_arena_size": 32 },
	"zstd": { "group": "compute", "filename": "$(b cpp_zstd)", "max_memory": 64,
		"max_request_memory": 16 },
	"webp": { "group": "compute", "filename": "$(b cpp_webp)", "key": "123", "max_memory": 128,
		"max_request_memory": 64, "ephemeral": false, "hugepage_arena_size": 16 },
	"shared_counter": { "group": "compute", "filename": "$(b shared_counter)", "shared_memory": 2 },
	"minimal": { "group": "compute", "filename": "$(b minimal)", "max_memory": 10,
		"max_request_memory": 4, "storage": true, "ephemeral": false },
	"collector": { "group": "compute", "filename": "$(b collector)", "storage": true,
		"ephemeral": false }
}
JSON
	cat > "$d/examples.vcl" <<VCL
vcl 4.1;
import tinykvm;
backend default none;

sub vcl_init {
	tinykvm.library("file://$d/library.json");
	tinykvm.init_self_requests("$d/self.sock");
}
sub vcl_recv {
	if (req.url == "/to_string") {
		return (synth(200));
	}
	return (pass);
}
sub vcl_synth {
	set resp.http.Content-Type = "text/plain";
	set resp.body = tinykvm.to_string("to_string", "text/plain", "Hello to_string", "to_string failed");
	return (deliver);
}
sub vcl_backend_fetch {
	if (bereq.url == "/hello") {
		set bereq.backend = tinykvm.program("hello");
	} elsif (bereq.url == "/counter") {
		set bereq.backend = tinykvm.program("counter");
	} elsif (bereq.url == "/scounter") {
		set bereq.backend = tinykvm.program("scounter");
	} elsif (bereq.url == "/shm_counter") {
		set bereq.backend = tinykvm.program("shared_counter");
	} elsif (bereq.url == "/cfetch") {
		set bereq.backend = tinykvm.program("cfetch");
	} elsif (bereq.url == "/storage") {
		set bereq.backend = tinykvm.program("storage");
	} elsif (bereq.url == "/streaming") {
		set bereq.backend = tinykvm.program("streaming");
	} elsif (bereq.url == "/zlib/get") {
		set bereq.backend = tinykvm.program("zlibng", "$ORIGIN/gzip");
	} elsif (bereq.url == "/zlib/post") {
		set bereq.backend = tinykvm.program("zlibng");
	} elsif (bereq.url == "/zlib/chain") {
		tinykvm.chain("payload", "text/plain", """{ "size": 100000 }""");
		set bereq.backend = tinykvm.program("zlibng", "", "{}");
	} elsif (bereq.url == "/zstdc") {
		set bereq.backend = tinykvm.program("zstdc", "$ORIGIN/zstd", "inline");
	} elsif (bereq.url == "/fetch") {
		set bereq.backend = tinykvm.program("fetch", "$ORIGIN/redirect",
			"""{ "headers": ["X-Example: yes"] }""");
	} elsif (bereq.url == "/deflate") {
		tinykvm.chain("payload", "text/plain", """{ "size": 100000, "randomize": true }""");
		set bereq.backend = tinykvm.program("deflate", "", """{ "action": "compress", "level": 1 }""");
	} elsif (bereq.url == "/zstd") {
		tinykvm.chain("fetch", "$ORIGIN/text");
		tinykvm.chain("zstd", "", """{ "action": "compress" }""");
		set bereq.backend = tinykvm.program("zstd", "", """{ "action": "decompress",
			"resp_headers": ["Content-Disposition: inline; filename=text"] }""");
	} elsif (bereq.url == "/string") {
		tinykvm.chain("to_string", "text/plain", "Hello World!");
		tinykvm.chain("zstd", "", """{ "action": "compress" }""");
		set bereq.http.X-Result = tinykvm.to_string("zstd", "", """{ "action": "decompress" }""");
		set bereq.backend = tinykvm.program("to_string", "text/plain", bereq.http.X-Result);
	} elsif (bereq.url == "/webp") {
		tinykvm.chain("fetch", "$ORIGIN/image");
		set bereq.backend = tinykvm.program("webp", "", """{ "quality": 75 }""");
	} elsif (bereq.url == "/webp/get") {
		set bereq.backend = tinykvm.program("webp", "$ORIGIN/image", """{ "quality": 50 }""");
	} elsif (bereq.url == "/min") {
		set bereq.backend = tinykvm.program("minimal");
	} elsif (bereq.url == "/collector") {
		set bereq.backend = tinykvm.program("collector", ":report:");
	} else {
		set bereq.backend = tinykvm.program("collector", bereq.url);
	}
}
VCL
	varnishd -F -j none -a 127.0.0.1:$vport -a "$d/self.sock" -n "$d/n" -f "$d/examples.vcl" \
		-p vmod_path="$ROOT/build/vmod:$(pkg-config --variable=vmoddir varnishapi)" \
		>"$W/log/varnishd" 2>&1 &
	local vpid=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$vport/to_string" && break
		kill -0 $vpid 2>/dev/null || break
		sleep 0.2
	done
	# get LABEL URL-PATH [curl args]: status and first bytes of the body.
	get() {
		local label=$1 path=$2; shift 2
		local code body
		code=$(curl -s -m 30 -o "$d/body" -D "$d/head" -w '%{http_code}' "$@" "http://127.0.0.1:$vport$path")
		body=$(head -c 48 "$d/body" | tr -c '[:print:]' '.')
		printf '%-22s | varnishd %-14s %s "%s"%s\n' "$label" "$path" "$code" "$body" \
			"$(grep -i -m1 -E '^(transfer-encoding|content-encoding|x-hello|content-disposition):' "$d/head" | tr -d '\r' | sed 's/^/ [/; s/$/]/')" |
			tee -a "$W/results"
	}
	get c/hello_world /hello
	get c/counter /counter; get c/counter /counter
	# The shipped binary, as the published compute.json's "counter" runs it.
	if [ -f "$W/bin/pre-scounter.pub" ]; then
		get "c/scounter (shipped)" /scounter; get "c/scounter (shipped)" /scounter
		get "c/scounter (shipped)" /scounter
	fi
	get cpp/shared_counter /shm_counter; get cpp/shared_counter /shm_counter
	get c/fetch /cfetch
	get c/storage /storage --data-binary "new content"
	get c/storage /storage
	get c/streaming /streaming
	get c/zlib /zlib/get
	get c/zlib /zlib/post -H 'Content-Type: text/plain' --data-binary @"$W/www/text"
	get c/zlib /zlib/post -H 'Accept-Encoding: gzip' -H 'Content-Type: text/plain' --data-binary @"$W/www/text"
	get c/zlib /zlib/chain
	get c/zstd /zstdc
	get cpp/src/to_string /to_string
	get cpp/src/fetch /fetch
	get cpp/src/deflate /deflate -H 'Accept-Encoding: gzip'
	get cpp/zstd /zstd
	get cpp/zstd /string
	get cpp/webp /webp
	get cpp/webp /webp/get
	get cpp/minimal /min
	get cpp/collector /a
	get cpp/collector /collector
	varnishlog -d -n "$d/n" -g raw -i Error,FetchError,VCL_Log,VCL_Error >"$W/log/varnishlog" 2>&1
	kill $vpid; wait $vpid 2>/dev/null
	echo "varnishd: its log lines are in $W/log/varnishlog"
}
try_varnishd

skip cpp/src/minify "needs simdjson as a static library; Debian's libsimdjson-dev ships only a shared one and no <simdjson/minify.h>"
skip cpp/src/basicauth "needs Turbo-Base64 (turbob64.h), not packaged by Debian"
skip cpp/base64 "needs Turbo-Base64 (turbob64.h), not packaged by Debian"
skip cpp/xml "needs tinyxml2 as a static library; Debian's libtinyxml2-dev ships only a shared one"
skip cpp/avif "needs libavif (with aom) as static libraries; Debian ships them shared only"
skip cpp/thumbnail "needs the Simd library (ermig1979), not packaged by Debian"
skip cpp/gbc "needs the gamebro emulator (a submodule), not packaged by Debian"
skip cpp/llama "huge ML dependency (llama.cpp and a model file of GiBs)"
skip cpp/sd "huge ML dependency (stable-diffusion.cpp and a model file of GiBs)"
skip v8 "huge dependency (V8 built with CMake)"
echo "logs and binaries: $W"
