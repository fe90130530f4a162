# kvm_api.h as a drop-in for the published header: a program using every
# published macro, constant, helper and prototype (tests/guests/compat_all.c,
# two files, one with KVM_API_ALREADY_DEFINED) builds with -Wall -Wextra
# -Werror as C (glibc, musl) and as C++, and runs; every known call this
# host does not serve ends the request with a reason naming it.  And
# tests/guests/compat_protos.c redeclares every published signature.
. "$(dirname "$0")/../lib/common.sh"

I="-I$ROOT/engine/include"
SRC="$GUESTS/compat_all.c $GUESTS/compat_all2.c"
printf 'blob!' > "$WORK/compat_blob.txt"
cd "$WORK"
W="-O2 -Wall -Wextra -Werror -Wstrict-prototypes -Wa,-I$WORK"
gcc $W -static $I -o all $SRC || die "C build failed"
musl-gcc $W -static $I -o all_musl $SRC || die "musl build failed"
g++ -O2 -Wall -Wextra -Werror -Wa,-I"$WORK" -static $I -o all_cxx \
	-x c++ "$GUESTS/compat_all.c" -x c "$GUESTS/compat_all2.c" || die "C++ build failed"

# Every published prototype, helper, typedef and constant, redeclared with
# the published types after our header, compiles (C and C++).
gcc -c $W $I -o protos.o "$GUESTS/compat_protos.c" || die "C prototypes differ"
g++ -c -O2 -Wall -Wextra -Werror $I -o protos_cxx.o -x c++ "$GUESTS/compat_protos.c" ||
	die "C++ prototypes differ"

# Outside the sandbox IS_LINUX_MAIN() is true.
[ "$(./all)" = "not in the sandbox" ] || die "IS_LINUX_MAIN() outside the sandbox"

for g in all all_musl all_cxx; do
	run_guest --request GET /all --header "X-In: yes" "$WORK/$g"
	expect_rc 0
	expect_out "HTTP 200
Content-Type: text/plain
X-Extra: 1
X-Str: 1
X-Fmt: 42
X-Set: b
X-TinyKVM-Cache: cached ttl=10 grace=2 keep=1

sandboxed=1 linux=0 storage=0 request=1 debug=0 sets=010101 fmt=4096 fields=12/6 unset=4,4,0 find=X-Fmt: 42 strlen=8 alloc=[X-In: yes][GET][] cache=0 shm=1 mem=1 eph=-1 storage=0 allow=-1 debug=0 wait=0 vcpu=0/0 blob=blob!/5 trust=1 second=2"
	expect_err "[log] logged 7"
done

run_guest --request POST /p --body "$WORK/compat_blob.txt" "$WORK/all"
expect_rc 0
expect_out_has "post /p 5"
run_guest --request GET /r "$WORK/all" request
expect_rc 0
expect_out_has "request /r warmup=0"

# Known calls not served: the request fails naming the call, and on_error
# gets that reason; the next request on the same VM is served.
unserved() {
	run_guest --request GET "$1" --request GET /all "$WORK/all"
	expect_rc 125
	expect_err_has "failed: guest call $2 is not supported by this host"
	expect_out_has "on_error $1: guest call $2 is not supported by this host"
	expect_out_has "sandboxed=1 linux=0"
}
# begin_streaming_response is served: one byte, "x", from the callback.
run_guest --request GET /stream --request GET /all "$WORK/all"
expect_rc 0
expect_out_has "Content-Type: text/plain

x
HTTP 200"
# Storage calls in a program without a storage VM (tests/requests/storage.sh
# has one) fail the same way, naming why.
refused() {
	run_guest --request GET "$1" --request GET /all "$WORK/all"
	expect_rc 125
	expect_err_has "failed: $2"
	expect_out_has "on_error $1: $2"
	expect_out_has "sandboxed=1 linux=0"
}
nostorage='the program has no storage VM ("storage": true in its settings)'
refused /noreturn "storage_noreturn called outside a storage call"
refused /return "storage_return called outside a storage call"
refused /call "storage_callv: $nostorage"
refused /callv "storage_callv: $nostorage"
refused /task "sys_storage_task: $nostorage"
refused /schedule "sys_storage_task: $nostorage"
# Stopping a task that does not exist is not an error (0, as published).
run_guest --request GET /stoptask "$WORK/all"
expect_rc 0
expect_out_has "sandboxed=1 linux=0"
# Extra vCPUs are not provided: the calls return -1 (the published host's
# answer without "smp") and the request goes on.
for mp in mp mparray mpclone; do
	run_guest --request GET "/$mp" "$WORK/all"
	expect_rc 0
	expect_out_has "$mp=-1 wait=0 sandboxed=1 linux=0"
done
unserved /sockets "sys_sockets_write (0x10500)"
echo ok
