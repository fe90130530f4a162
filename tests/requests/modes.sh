# SPDX-License-Identifier: BSD-2-Clause
# Program settings from JSON: ephemeral (default) vs "ephemeral": false
# (state kept, but a crash resets it), shared_memory (survives resets and
# is shared by the request VMs), warmup (mock requests before forking),
# max_request_memory (a request dirtying more fails, the next succeeds),
# control_ephemeral (sys_make_ephemeral during initialization honoured
# only when allowed; during a request it ends the request, as published).
# 8 MiB dirtied by a request (whole bitmap words) are restored, and kept
# as private copies unless limit_workmem_after_req gives them back.
. "$(dirname "$0")/../lib/common.sh"

build_guest modes req_modes.c gcc -static "-I$ROOT/engine/include"
cat > "$WORK/lib.json" <<JSON
{
	"base": { "max_memory": 64, "concurrency": 1 },
	"eph": { "group": "base", "filename": "$WORK/modes" },
	"keep": { "group": "base", "filename": "$WORK/modes", "ephemeral": false },
	"shared": { "group": "base", "filename": "$WORK/modes", "shared_memory": 2 },
	"warm": { "group": "base", "filename": "$WORK/modes",
		"warmup": { "num_requests": 3, "url": "/w" } },
	"small": { "group": "base", "filename": "$WORK/modes", "max_request_memory": 4 },
	"ephkeep": { "group": "base", "filename": "$WORK/modes", "main_arguments": ["keep"] },
	"control": { "group": "base", "filename": "$WORK/modes", "control_ephemeral": true,
		"main_arguments": ["keep"] },
	"trim": { "group": "base", "filename": "$WORK/modes", "limit_workmem_after_req": 1 }
}
JSON
req() {
	run_library "$@"
	BODIES=$(grep -E '^(counter=|$)' "$WORK/out" | grep . | tr '\n' ' ')
}
req eph /dirty / /dirty /
expect_rc 0
[ "$BODIES" = "counter=0 shared=-1 warmups=0 eph=0 counter=0 shared=-1 warmups=0 eph=0 kept=8MiB counter=0 shared=-1 warmups=0 eph=0 kept=8MiB counter=0 shared=-1 warmups=0 eph=0 kept=8MiB " ] || die "eph dirty: $BODIES"
# limit_workmem_after_req: the 8 MiB of private copies are given back.
req trim /dirty / /dirty /
expect_rc 0
[ "$BODIES" = "counter=0 shared=-1 warmups=0 eph=0 counter=0 shared=-1 warmups=0 eph=0 counter=0 shared=-1 warmups=0 eph=0 counter=0 shared=-1 warmups=0 eph=0 " ] || die "trim: $BODIES"
req eph / / /
expect_rc 0
[ "$BODIES" = "counter=0 shared=-1 warmups=0 eph=0 counter=0 shared=-1 warmups=0 eph=0 counter=0 shared=-1 warmups=0 eph=0 " ] || die "eph: $BODIES"
req keep / / /crash / /
expect_rc 125
[ "$BODIES" = "counter=0 shared=-1 warmups=0 eph=0 counter=1 shared=-1 warmups=0 eph=0 counter=0 shared=-1 warmups=0 eph=0 counter=1 shared=-1 warmups=0 eph=0 " ] || die "keep: $BODIES"
expect_err_has "request 3 (GET /crash) failed: guest page fault"
req shared / / /crash /
expect_rc 125
[ "$BODIES" = "counter=0 shared=0 warmups=0 eph=0 counter=0 shared=1 warmups=0 eph=0 counter=0 shared=2 warmups=0 eph=0 " ] || die "shared: $BODIES"
req warm / /
[ "$BODIES" = "counter=3 shared=-1 warmups=3 eph=0 counter=3 shared=-1 warmups=3 eph=0 " ] || die "warm: $BODIES"
req small /dirty /
expect_rc 125
expect_err_has "request 1 (GET /dirty) failed: request used 8"
expect_err_has "KiB of working memory, more than max_request_memory (4096 KiB)"
[ "$BODIES" = "counter=0 shared=-1 warmups=0 eph=0 kept=8MiB " ] || die "small: $BODIES"
req ephkeep / / /
[ "$BODIES" = "counter=0 shared=-1 warmups=0 eph=-1 counter=0 shared=-1 warmups=0 eph=-1 counter=0 shared=-1 warmups=0 eph=-1 " ] || die "eph keep: $BODIES"
req control / / /
[ "$BODIES" = "counter=0 shared=-1 warmups=0 eph=0 counter=1 shared=-1 warmups=0 eph=0 counter=2 shared=-1 warmups=0 eph=0 " ] || die "control: $BODIES"
req control /keep /
expect_rc 125
expect_err_has "request 1 (GET /keep) failed: sys_make_ephemeral called after initialization"
[ "$BODIES" = "counter=0 shared=-1 warmups=0 eph=0 " ] || die "control /keep: $BODIES"
echo ok
