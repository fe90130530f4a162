# SPDX-License-Identifier: BSD-2-Clause
# A dynamically linked request program: its interpreter, libm and a
# dlopen()ed plugin are loaded by main() in the main VM, and every request
# VM forked from it uses them (the plugin's data is reset like any other
# page: each request sees "plugin says" once).  A dynamic program whose
# interpreter is not allowed fails to load with the reason.
. "$(dirname "$0")/../lib/common.sh"

mkdir "$WORK/plugins"
gcc -O2 -Wall -shared -fPIC -o "$WORK/plugins/libplugin.so" \
    "$GUESTS/dyn_plugin.c" || die "cannot build the plugin"
build_guest dynreq dyn_request.c gcc "-I$ROOT/engine/include" -lm -ldl
cat > "$WORK/lib.json" <<JSON
{
	"dyn": { "filename": "$WORK/dynreq", "concurrency": 2,
		"main_arguments": ["$WORK/plugins/libplugin.so"],
		"allowed_paths": ["$WORK/plugins"] },
	"noplugin": { "filename": "$WORK/dynreq",
		"main_arguments": ["$WORK/other.so"] }
}
JSON
run_library dyn /a /bb /ccc /dddd
expect_rc 0
BODIES=$(grep '^dyn ' "$WORK/out" | tr '\n' ' ')
[ "$BODIES" = "dyn /a sqrt=1.414214 counter=0 answer=6 dyn /bb sqrt=1.732051 counter=0 answer=6 dyn /ccc sqrt=2.000000 counter=0 answer=6 dyn /dddd sqrt=2.236068 counter=0 answer=6 " ] ||
	die "bodies: $BODIES"
[ "$(grep -c '^plugin says 6$' "$WORK/out")" -eq 4 ] || die "plugin output: $OUT"
# On the command line, as a plain --request program.
run_guest --allow "$WORK/plugins" --request GET /x "$WORK/dynreq" \
    "$WORK/plugins/libplugin.so"
expect_rc 0
expect_out_has "dyn /x sqrt=1.414214 counter=0 answer=6"
# dlopen() failing in main(): the program's own message, then the reason.
run_library noplugin /
expect_rc 125
expect_err_has "$WORK/other.so: cannot open shared object file: Permission denied"
expect_err_has "program exited with status 1 during initialization, before wait_for_requests()"
# An interpreter outside the allowed paths: the program does not load.
cp /lib64/ld-linux-x86-64.so.2 "$WORK/ld.so"
gcc -O2 "-I$ROOT/engine/include" -o "$WORK/badinterp" "$GUESTS/dyn_request.c" \
    -lm -ldl "-Wl,--dynamic-linker=$WORK/ld.so" || die "cannot link badinterp"
run_guest --request GET / "$WORK/badinterp"
expect_rc 125
expect_err "tinykvm-run: interpreter $WORK/ld.so: not in the allowed paths (or not readable)"
echo ok
