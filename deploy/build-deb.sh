#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Builds vmod-tinykvm_VERSION_amd64.deb from an installed tree (make deb
# runs `make install DESTDIR=...` first).  Usage:
#   deploy/build-deb.sh VERSION STAGE OUTDIR
# The package depends on the exact strict ABI of the Varnish whose
# headers it was built with (varnishabi-strict-HASH, which Debian's
# varnish package provides), and on the shared libraries the binaries
# link (found by dpkg-shlibdeps).
set -euo pipefail
version=$1 stage=$(realpath "$2") outdir=$(realpath -m "$3")
cd "$(dirname "$0")/.."
pkg=vmod-tinykvm
arch=$(dpkg --print-architecture)

# "Varnish 7.1.1 7cee1c58..." in the headers the VMOD was compiled with.
abi_h="$(pkg-config --variable=pkgincludedir varnishapi)/vmod_abi.h"
[ -r "$abi_h" ] || abi_h="$(pkg-config --variable=includedir varnishapi)/varnish/vmod_abi.h"
abi=$(sed -n 's/.*VMOD_ABI_Version "Varnish [^ ]* \([0-9a-f]\{40\}\)".*/\1/p' "$abi_h")
[ -n "$abi" ] || { echo "build-deb: no strict ABI hash in $abi_h" >&2; exit 1; }

# Debian policy: compressed man pages, the licence in the doc directory.
find "$stage/usr/share/man" -type f -name '*.[0-9]' -exec gzip -9nf {} +
install -d "$stage/usr/share/doc/$pkg"
{
	echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
	echo "Upstream-Name: vmod_tinykvm"
	echo
	echo "Files: *"
	echo "Copyright: The vmod_tinykvm authors"
	echo "License: BSD-2-Clause"
	sed -n '/^Redistribution/,$p' LICENSE | sed 's/^$/./; s/^/ /'
} >"$stage/usr/share/doc/$pkg/copyright"

# Shared library dependencies, as dpkg-shlibdeps finds them.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" >"$tmp/debian/control"
elfs=()
while IFS= read -r f; do elfs+=("$f"); done < <(find "$stage" -type f \( -name '*.so' -o -path '*/bin/*' \))
shlibs=$(cd "$tmp" && dpkg-shlibdeps --warnings=0 -O "${elfs[@]}" | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

install -d "$stage/DEBIAN"
cat >"$stage/DEBIAN/control" <<CONTROL
Package: $pkg
Version: $version
Architecture: $arch
Maintainer: The vmod_tinykvm authors <vmod-tinykvm@localhost>
Section: web
Priority: optional
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: varnishabi-strict-$abi, $shlibs, passwd
Description: Varnish module running sandboxed programs in KVM
 vmod_tinykvm runs x86-64 Linux programs (static or dynamically linked)
 inside tiny KVM virtual machines from VCL, one freshly reset VM per
 request.  Includes tinykvm-run, which runs such a program from the
 terminal, the guest API header, a drop-in letting varnish.service open
 /dev/kvm and a udev rule giving /dev/kvm to group kvm, which the
 postinst adds vcache to.
CONTROL
install -m 755 deploy/postinst "$stage/DEBIAN/postinst"
install -m 755 deploy/postrm "$stage/DEBIAN/postrm"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
	sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"

mkdir -p "$outdir"
out="$outdir/${pkg}_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$stage" "$out"
