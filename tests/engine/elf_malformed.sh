# SPDX-License-Identifier: BSD-2-Clause
# Malformed and unsupported ELF files (dynamic ones: dynamic.sh) are refused with a precise message
# and exit status 125; the host survives every one.
. "$(dirname "$0")/../lib/common.sh"

build_guest good hello.c
gcc -O2 -o "$WORK/dynamic" "$GUESTS/hello.c" || die "cannot build dynamic"
gcc -O2 -c -o "$WORK/object.o" "$GUESTS/hello.c" || die "cannot build object"

# mutate OUT OFFSET FORMAT VALUE: a copy of good with one field changed
mutate() {
	python3 - "$WORK/good" "$WORK/$1" "$2" "$3" "$4" <<'PY'
import struct, sys
src, dst, off, fmt, val = sys.argv[1:6]
data = bytearray(open(src, 'rb').read())
off = int(off, 0)
if off < 0:   # relative to the first program header
    phoff = struct.unpack_from('<Q', data, 32)[0]
    off = phoff - off - 1
struct.pack_into(fmt, data, off, int(val, 0))
open(dst, 'wb').write(data)
PY
}
# first PT_LOAD program header offset, for segment mutations
first_load() {
	python3 - "$WORK/good" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
phoff, = struct.unpack_from('<Q', d, 32)
phnum, = struct.unpack_from('<H', d, 56)
for i in range(phnum):
    o = phoff + i * 56
    if struct.unpack_from('<I', d, o)[0] == 1:
        print(o); break
PY
}

expect_refused() {
	run_guest "$WORK/$1"
	expect_rc 125
	expect_err "tinykvm-run: $2"
}

printf 'not an elf at all' > "$WORK/magic"
: > "$WORK/empty"
head -c 40 "$WORK/good" > "$WORK/short"
head -c 20000 "$WORK/good" > "$WORK/truncated"
mutate class32 4 '<B' 1
mutate bigendian 5 '<B' 2
mutate machine 18 '<H' 183
mutate phoff 32 '<Q' 0x7fffffff
mutate phentsize 54 '<H' 32
mutate entry 24 '<Q' 0x10
load=$(first_load)
mutate vaddr $((load + 16)) '<Q' 0x100000000000
mutate filesz $((load + 32)) '<Q' 0x7fffffffffff

expect_refused magic "invalid ELF: not an ELF file (bad magic)"
expect_refused empty "invalid ELF: not an ELF file (bad magic)"
expect_refused short "invalid ELF: truncated ELF header"
expect_refused truncated "invalid ELF: segment data outside the file (truncated?)"
expect_refused class32 "invalid ELF: not a 64-bit ELF (32-bit programs are not supported)"
expect_refused bigendian "invalid ELF: not little-endian"
expect_refused machine "invalid ELF: not an x86-64 program"
expect_refused phoff "invalid ELF: program headers outside the file (truncated?)"
expect_refused phentsize "invalid ELF: bad program header entry size"
expect_refused entry "invalid ELF: entry point outside executable segments"
expect_refused vaddr "invalid ELF: segment outside the guest address space"
expect_refused filesz "invalid ELF: segment data outside the file (truncated?)"
expect_refused object.o "invalid ELF: not an executable (ELF type is not EXEC or DYN)"
run_guest "$WORK/does-not-exist"
expect_rc 125
expect_err_has "tinykvm-run: cannot open $WORK/does-not-exist: No such file or directory"
# The original still runs, and so does the dynamically linked build
# (tests/engine/dynamic.sh has the rest).
run_guest "$WORK/good"
expect_rc 0
run_guest "$WORK/dynamic" x 4
expect_rc 4
expect_out "argv0=dynamic argc=3
arg1=x
arg2=4
env=(none)
pi=3.141593 e=2.7183e-03"
echo ok
