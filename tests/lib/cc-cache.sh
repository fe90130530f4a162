#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A compiler cache for the tests' guest programs, so that the hardware-KVM
# rig (scripts/hwkvm.sh), where gcc itself runs emulated, reuses what the
# same checkout's suite built on the host.  tests/lib/cc-cache/ holds
# gcc, g++, cc, c++, musl-gcc and rustc that call this with their own name; put
# that directory first in PATH and TKVM_CC_CACHE=DIR to use it.
#
# The key is the compiler's name and version line and every argument, an
# argument naming a file replaced by its contents' hash, the output file
# left out; for each include directory (-I, -iquote, -Wa,-I) and each
# source's own directory the *.h and *.inc files in it count too.  Only a
# compile that succeeds and writes its -o file is stored; anything
# unusual (no -o, preprocessing only, input from stdin) is not cached.
set -u
name=$1; shift
self_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/cc-cache
# The real compiler: the first one on PATH outside our directory.
real=""
IFS=: read -r -a dirs <<<"$PATH"
for d in "${dirs[@]}"; do
	[ "$d" = "$self_dir" ] && continue
	[ -x "$d/$name" ] && { real="$d/$name"; break; }
done
[ -n "$real" ] || { echo "cc-cache: no $name on PATH" >&2; exit 127; }
cache=${TKVM_CC_CACHE:-}
[ -n "$cache" ] || exec "$real" "$@"

out="" prev="" cacheable=1
keyf=$(mktemp /tmp/cc-cache-key.XXXXXX) || exec "$real" "$@"
trap 'rm -f "$keyf"' EXIT
hash_dir() {	# the headers directly in a directory
	local f
	[ -d "$1" ] || return 0
	for f in "$1"/*.h "$1"/*.inc; do
		[ -f "$f" ] && printf 'H %s %s\n' "${f##*/}" "$(sha256sum <"$f" | cut -c1-64)"
	done
}
{
	printf 'C %s %s\n' "$name" "$("$real" --version 2>/dev/null | head -n 1)"
	for a in "$@"; do
		if [ "$prev" = "-o" ]; then out=$a; prev=""; continue; fi
		if [ "$prev" = "-I" ] || [ "$prev" = "-iquote" ]; then
			hash_dir "$a"; prev=""; continue
		fi
		prev=$a
		case "$a" in
		-o) continue ;;
		-o?*) out=${a#-o}; continue ;;
		-E|-M|-MM|-|-x-|--version|-v|-print-*|-dump*) cacheable=0 ;;
		-I|-iquote) continue ;;
		-I?*) hash_dir "${a#-I}"; continue ;;
		-Wa,-I*) hash_dir "${a#-Wa,-I}"; continue ;;
		esac
		if [ -f "$a" ]; then
			printf 'F %s\n' "$(sha256sum <"$a" | cut -c1-64)"
			hash_dir "$(dirname "$a")"
		else
			printf 'A %s\n' "$a"
		fi
	done
} >"$keyf"
if [ "$cacheable" = 0 ] || [ -z "$out" ] || [ "$out" = "-" ]; then
	exec "$real" "$@"
fi
key=$(sha256sum <"$keyf" | cut -c1-64)
hit=$cache/$key
if [ -f "$hit" ]; then
	cp "$hit" "$out" && chmod "$(stat -c %a "$hit")" "$out" && exit 0
fi
"$real" "$@" || exit
if [ -f "$out" ] && mkdir -p "$cache" 2>/dev/null; then
	tmp=$(mktemp "$cache/.tmp.XXXXXX" 2>/dev/null) &&
		cp -p "$out" "$tmp" && mv -f "$tmp" "$hit" || rm -f "${tmp:-}"
fi
exit 0
