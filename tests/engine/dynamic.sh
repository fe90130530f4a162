# SPDX-License-Identifier: BSD-2-Clause
# Dynamically linked programs run unmodified: PT_INTERP's interpreter is
# loaded, it maps libc, libm, libstdc++ and dlopen()ed objects from the
# allowed paths (the system library directories implicitly), and the
# output is the native one.  Python (Debian's python3) runs a script.
# Interpreters that are not allowed, missing, not ELF or malformed, and
# malformed PT_INTERP entries are refused with a clear error.
. "$(dirname "$0")/../lib/common.sh"

[ -x /usr/bin/python3 ] || die "Debian's python3 is missing (scripts/install-deps.sh)"
command -v g++ >/dev/null || die "g++ is missing (scripts/install-deps.sh)"

# native ARGS...: runs a program natively, as run_guest captures it
native() {
	set +e
	env -i "$@" >"$WORK/nout" 2>/dev/null
	NRC=$?
	set -e
	NOUT=$(cat "$WORK/nout")
}

# C with libc and libm: exactly the native output and exit status.
build_guest libc dyn_libc.c gcc -lm
readelf -l "$WORK/libc" | grep -q "Requesting program interpreter" ||
	die "dyn_libc is not dynamically linked"
native DYN_VALUE=sandboxed "$WORK/libc" one two
[ "$NRC" -eq 3 ] || die "native run: status $NRC"
run_guest --env DYN_VALUE=sandboxed "$WORK/libc" one two
expect_rc 3
expect_out "$NOUT"
expect_out "sqrt=1.414213562 sin=0.909297427 exp=7.389056099
sorted: cache elf kvm sandbox varnish
malloc: 1 DYN_VALUE=sandboxed argc=3 last=two"
# Not position independent: loaded at its fixed address.
build_guest libc_nopie dyn_libc.c gcc -no-pie -lm
run_guest --env DYN_VALUE=fixed "$WORK/libc_nopie" three
expect_rc 3
expect_out_has "malloc: 1 DYN_VALUE=fixed argc=2 last=three"

# C++: libstdc++, iostream, std::string, exceptions.
build_guest cxx cxx.cc g++ -O2
run_guest "$WORK/cxx"
expect_rc 0
expect_out "cache=5 kvm=3 sandbox=7 varnish=7 
caught empty
sum=42"

# dlopen() of a shared object built here: allowed, it works; not
# allowed, dlopen fails with its usual message, logged with --verbose.
mkdir "$WORK/plugins" "$WORK/other"
gcc -O2 -Wall -shared -fPIC -o "$WORK/plugins/libplugin.so" \
    "$GUESTS/dyn_plugin.c" || die "cannot build the plugin"
cp "$WORK/plugins/libplugin.so" "$WORK/other/libplugin.so"
build_guest dl dyn_dlopen.c gcc -ldl
run_guest --allow "$WORK/plugins" "$WORK/dl" "$WORK/plugins/libplugin.so"
expect_rc 0
expect_out "plugin says 42
result 42"
run_guest --verbose --allow "$WORK/plugins" "$WORK/dl" "$WORK/other/libplugin.so"
expect_rc 1
expect_out "dlopen failed: $WORK/other/libplugin.so: cannot open shared object file: Permission denied"
expect_err_has "[tinykvm] refused access to $WORK/other/libplugin.so (not in allowed paths)"
# A symlink inside the allowed directory cannot lead out of it.
ln -s "$WORK/other/libplugin.so" "$WORK/plugins/link.so"
run_guest --verbose --allow "$WORK/plugins" "$WORK/dl" "$WORK/plugins/link.so"
expect_rc 1
expect_out "dlopen failed: $WORK/plugins/link.so: cannot open shared object file: Permission denied"
expect_err_has "refused access to $WORK/plugins/link.so (resolves outside allowed paths)"

# /proc and /sys: the program's own image, maps, one CPU; the rest of
# /proc/self refused as a sandbox would, each refusal logged.
build_guest proc dyn_proc.c gcc -Wextra
run_guest --verbose "$WORK/proc"
expect_rc 0
expect_out "readlink: /proc
exe: size $(stat -c %s "$WORK/proc") elf 1
/sys/devices/system/cpu/online: 0
/sys/kernel/mm/transparent_hugepage/hpage_pmd_size: 2097152
maps: stack 1 heap 1
/proc/self/status: Permission denied
/proc/1/environ: Permission denied
/proc/self/fd: Permission denied
cpus: 1"
expect_err_has "[tinykvm] dynamically linked: interpreter /lib64/ld-linux-x86-64.so.2 at 0x"
expect_err_has "[tinykvm] refused access to /proc/self/status (process information is not emulated)"
expect_err_has "[tinykvm] refused access to /proc/1/environ (process information is not emulated)"

# Python: the standard library's directory must be allowed.
cat > "$WORK/script.py" <<'PY'
import hashlib, json
data = {"name": "tinykvm", "values": [1, 2.5, None, True], "nested": {"k": "v"}}
text = json.dumps(data, sort_keys=True)
print(text)
print(hashlib.sha256(text.encode()).hexdigest())
print(hashlib.md5(b"varnish").hexdigest(), json.loads(text)["values"][1] * 2)
PY
native /usr/bin/python3 "$WORK/script.py"
[ "$NRC" -eq 0 ] || die "native python3: status $NRC"
pystd=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
run_guest --memory 256 --allow "$pystd" --allow "$WORK/script.py" \
    /usr/bin/python3 "$WORK/script.py"
expect_rc 0
expect_out "$NOUT"
expect_out_has '{"name": "tinykvm", "nested": {"k": "v"}, "values": [1, 2.5, null, true]}'
# Without its standard library it fails as python3 does.
run_guest --memory 256 --allow "$WORK/script.py" /usr/bin/python3 "$WORK/script.py"
[ "$RC" -ne 0 ] || die "python3 without its library succeeded"
expect_err_has "ModuleNotFoundError: No module named 'encodings'"

# Hostile interpreters and PT_INTERP entries.
cp /lib64/ld-linux-x86-64.so.2 "$WORK/ld.so"
printf 'not an ELF file\n' > "$WORK/text.so"
head -c 4096 /lib64/ld-linux-x86-64.so.2 > "$WORK/short.so"
build_guest static hello.c
with_interp() {	# NAME INTERPRETER: dyn_libc linked to that interpreter
	gcc -O2 -o "$WORK/$1" "$GUESTS/dyn_libc.c" -lm \
	    "-Wl,--dynamic-linker=$2" || die "cannot link $1"
}
refused() {	# NAME MESSAGE [OPTIONS]: refused with exit status 125
	local name=$1 msg=$2; shift 2
	run_guest "$@" "$WORK/$name"
	expect_rc 125
	expect_err "tinykvm-run: $msg"
}
with_interp outside "$WORK/ld.so"
refused outside "interpreter $WORK/ld.so: not in the allowed paths (or not readable)"
# Once allowed, a copy of the interpreter works.
run_guest --allow "$WORK/ld.so" "$WORK/outside"
expect_rc 3
expect_out_has "sorted: cache elf kvm sandbox varnish"
with_interp missing "$WORK/missing.so"
refused missing "interpreter $WORK/missing.so: No such file or directory" --allow "$WORK"
with_interp text "$WORK/text.so"
refused text "interpreter $WORK/text.so: invalid ELF: not an ELF file (bad magic)" --allow "$WORK"
with_interp short "$WORK/short.so"
refused short "interpreter $WORK/short.so: invalid ELF: segment data outside the file (truncated?)" --allow "$WORK"
with_interp exec "$WORK/static"
refused exec "interpreter $WORK/static: invalid ELF: not a shared object (an interpreter is ET_DYN)" --allow "$WORK"
with_interp chained "$WORK/libc"
refused chained "interpreter $WORK/libc: has an interpreter itself (PT_INTERP)" --allow "$WORK"
with_interp dir "$WORK/plugins"
refused dir "interpreter $WORK/plugins: not a regular file of at most 64 MiB" --allow "$WORK"
# PT_INTERP itself malformed: beyond the file, not NUL-terminated, relative.
interp_patch() {	# OUT FIELD VALUE: a copy of libc with PT_INTERP changed
	python3 - "$WORK/libc" "$WORK/$1" "$2" "$3" <<'PY'
import struct, sys
src, dst, field, val = sys.argv[1:5]
d = bytearray(open(src, 'rb').read())
phoff, = struct.unpack_from('<Q', d, 32)
phnum, = struct.unpack_from('<H', d, 56)
for i in range(phnum):
    o = phoff + i * 56
    if struct.unpack_from('<I', d, o)[0] == 3:
        off, = struct.unpack_from('<Q', d, o + 8)
        size, = struct.unpack_from('<Q', d, o + 32)
        if field == 'filesz':
            struct.pack_into('<Q', d, o + 32, int(val, 0))
        elif field == 'lastbyte':
            d[off + size - 1] = ord('x')
        elif field == 'first':
            d[off] = ord(val)
        elif field == 'second':
            struct.pack_into('<I', d, phoff + (i + 1) * 56, 3)
open(dst, 'wb').write(d)
PY
}
interp_patch huge filesz 0x7fffffff
refused huge "invalid ELF: bad interpreter path (PT_INTERP)"
interp_patch unterminated lastbyte 0
refused unterminated "invalid ELF: bad interpreter path (PT_INTERP)"
interp_patch relative first l
refused relative "invalid ELF: bad interpreter path (PT_INTERP)"
# The host survives all of it: the program still runs.
run_guest "$WORK/libc"
expect_rc 3
echo ok
