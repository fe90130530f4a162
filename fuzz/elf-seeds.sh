#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Writes the ELF fuzzer's seeds into DIR (fuzz/corpus/elf holds them):
# tiny static, static-PIE and dynamically linked (PT_INTERP) programs
# without libc, with and without a data segment and .bss.  Usage: fuzz/elf-seeds.sh DIR
set -eu
out=$1
src=$(cd "$(dirname "$0")" && pwd)/elf_seed.c
flags=(-Os -nostdlib -s -fno-asynchronous-unwind-tables -Wl,--build-id=none
	-Wl,-z,max-page-size=4096 -Wl,-z,noseparate-code -Wl,-z,norelro)
mkdir -p "$out"
gcc "${flags[@]}" -static -o "$out/exec" "$src"
gcc "${flags[@]}" -static -DWITH_DATA -o "$out/exec-data" "$src"
gcc "${flags[@]}" -static-pie -o "$out/pie" "$src"
gcc "${flags[@]}" -static-pie -DWITH_DATA -o "$out/pie-data" "$src"
gcc "${flags[@]}" -pie -Wl,--dynamic-linker=/lib64/ld-linux-x86-64.so.2 -o "$out/dynamic" "$src"
