# SPDX-License-Identifier: BSD-2-Clause
# Address space larger than max_memory (docs/DESIGN.md, "Address space and
# max_memory"): with max_memory 64, a 512 MiB malloc and mmap succeed in a
# 1 GiB address_space and a few touched pages work; so they do with the
# default address space (1 GiB here, where the published host's 256 MiB
# hands out mappings past its end); a request touching more than its limit
# fails and the next one is served (a large free leaves nothing dirty);
# a main or storage VM holding more than max_memory after initialization
# fails the load.  The plain runner keeps --memory as the address space
# (tests/engine/memory.sh).
. "$(dirname "$0")/../lib/common.sh"

build_guest as req_addrspace.c gcc -static "-I$ROOT/engine/include"
cat > "$WORK/lib.json" <<JSON
{
	"base": { "max_memory": 64, "concurrency": 1 },
	"big": { "group": "base", "filename": "$WORK/as", "address_space": 1024 },
	"dflt": { "group": "base", "filename": "$WORK/as" },
	"full": { "group": "base", "filename": "$WORK/as", "address_space": 1024,
		"max_request_memory": 64 },
	"initok": { "group": "base", "filename": "$WORK/as", "address_space": 1024,
		"main_arguments": ["init", "40"] },
	"initbad": { "group": "base", "filename": "$WORK/as", "address_space": 1024,
		"main_arguments": ["init", "80"] },
	"storebad": { "group": "base", "filename": "$WORK/as", "address_space": 1024,
		"storage": true, "main_arguments": ["init", "80"] },
	"toobig": { "group": "base", "filename": "$WORK/as", "address_space": 16384,
		"shared_memory": 2 }
}
JSON
req() {
	run_library "$@"
	BODIES=$(grep -E '^(malloc|init)' "$WORK/out" | tr '\n' '|')
}
OK8="malloc ok mmap ok touched 8+8 max_memory=64MiB"
req big /map/512/4 /map/512/8
expect_rc 0
[ "$BODIES" = "malloc ok mmap ok touched 4+4 max_memory=64MiB|$OK8|" ] ||
	die "big: $BODIES"
# 80 MiB touched: more than max_request_memory (default 32 MiB), then
# more than max_memory itself; each time the next request is served.
req big /map/512/20480 /map/512/8 /map/512/8
expect_rc 125
expect_err_has "request 1 (GET /map/512/20480) failed: request used "
expect_err_has "KiB of working memory, more than max_request_memory (32768 KiB)"
[ "$(grep -c 'failed: request used' "$WORK/err")" -eq 1 ] || die "big: $ERR"
[ "$BODIES" = "$OK8|$OK8|" ] || die "big after: $BODIES"
req full /map/512/15000 /map/512/20480 /map/512/8 /map/512/15000
expect_rc 125
expect_err_has "request 2 (GET /map/512/20480) failed: request used "
expect_err_has "KiB of working memory, more than max_request_memory (65536 KiB)"
[ "$(grep -c 'failed: request used' "$WORK/err")" -eq 1 ] || die "full: $ERR"
T15="malloc ok mmap ok touched 15000+15000 max_memory=64MiB"
[ "$BODIES" = "$T15|$OK8|$T15|" ] || die "full after: $BODIES"
# The default: 1 GiB whatever max_memory says (the published c/zlib's
# malloc(512 MiB) fits), and no mapping larger than the address space.
req dflt /map/200/4 /map/512/4 /map/1024/4
expect_rc 0
[ "$BODIES" = "malloc ok mmap ok touched 4+4 max_memory=64MiB|malloc ok mmap ok touched 4+4 max_memory=64MiB|malloc NULL mmap ENOMEM touched -1+-1 max_memory=64MiB|" ] ||
	die "dflt: $BODIES"
req initok /map/8/1
expect_rc 0
[ "$BODIES" = "init touched 40 MiB|malloc ok mmap ok touched 1+1 max_memory=64MiB|" ] ||
	die "initok: $BODIES"
req initbad /map/8/1
expect_rc 125
case "$ERR" in
"tinykvm-run: the main VM uses "*" KiB of memory after initialization, more than max_memory (65536 KiB)") ;;
*) die "initbad: [$ERR]" ;;
esac
req storebad /map/8/1
expect_rc 125
case "$ERR" in
"tinykvm-run: the storage VM uses "*" KiB of memory after initialization, more than max_memory (65536 KiB)") ;;
*) die "storebad: [$ERR]" ;;
esac
req toobig /map/8/1
expect_rc 125
expect_err "tinykvm-run: address space must be at most 16384 MiB, shared memory included"
echo ok
