#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs a command on hardware KVM: a Debian kernel booted under QEMU's
# emulator (TCG models an AMD CPU with SVM, so the kernel's kvm_amd gives a
# /dev/kvm where SYSCALL enters CPL 0).  The guest sees this machine's root
# read-only (virtio-9p) under a tmpfs overlay, so the build and the tests
# are the ones here; the command runs as root in the current directory.
#
#   scripts/hwkvm.sh [-t SECONDS] COMMAND [ARGS...]
#
# Exits with the command's status, or 125 when the rig cannot boot or the
# command did not finish in SECONDS (default 3600): never "skipped".
# Everything comes from Debian packages (qemu-system-x86, busybox-static,
# cpio, and the linux-image package linux-image-amd64 depends on); the
# kernel and the initramfs are kept in build/hwkvm/ between runs.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
limit=3600
if [ "${1:-}" = "-t" ]; then limit=$2; shift 2; fi
[ $# -gt 0 ] || { echo "usage: $0 [-t SECONDS] COMMAND [ARGS...]" >&2; exit 2; }
RIG=${HWKVM_DIR:-$ROOT/build/hwkvm}
fail() { echo "hwkvm: $*" >&2; exit 125; }

need=()
for p in qemu-system-x86 busybox-static cpio; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	echo "hwkvm: installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null ||
		fail "cannot install ${need[*]}"
fi

# The kernel: the version Debian's linux-image-amd64 names, whatever this
# machine itself boots.
mkdir -p "$RIG"
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
if [ -z "$kpkg" ]; then
	apt-get update -q >/dev/null || true
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
fi
[ -n "$kpkg" ] || fail "apt-cache does not name the kernel linux-image-amd64 depends on"
kver=${kpkg#linux-image-}
kdir=$RIG/$kpkg
if ! [ -f "$kdir/boot/vmlinuz-$kver" ]; then
	rm -rf "$kdir" "$RIG"/*.deb
	(cd "$RIG" && apt-get download "$kpkg" >/dev/null 2>&1) || fail "cannot download $kpkg"
	dpkg-deb -x "$RIG/$kpkg"_*.deb "$kdir" || fail "cannot unpack $kpkg"
	rm -f "$RIG/$kpkg"_*.deb
fi

# The initramfs: busybox and the modules for KVM, virtio-9p and overlayfs.
# Named by the kernel and by its /init's contents, so a changed init is
# always rebuilt.
inithash=$(sha256sum "$ROOT/scripts/hwkvm-init.sh" | cut -c1-12)
initrd=$RIG/initrd-$kver-$inithash.gz
if ! [ -f "$initrd" ]; then
	rm -f "$RIG"/initrd-*.gz
	tree=$RIG/initrd-tree
	rm -rf "$tree"; mkdir -p "$tree"/{bin,lib/modules,proc,sys,dev,mnt}
	cp /bin/busybox "$tree/bin/busybox"
	for m in irqbypass kvm ccp kvm-amd virtio virtio_ring virtio_pci_legacy_dev \
	    virtio_pci_modern_dev virtio_pci 9pnet 9pnet_virtio netfs fscache 9p overlay; do
		f=$(find "$kdir/lib/modules/$kver" -name "$m.ko*" | head -n 1)
		[ -n "$f" ] || continue	# built in, or not needed by this kernel
		case "$f" in
		*.ko.xz) xz -dc "$f" >"$tree/lib/modules/$m.ko" ;;
		*.ko.zst) zstd -qdc "$f" >"$tree/lib/modules/$m.ko" ;;
		*) cp "$f" "$tree/lib/modules/$m.ko" ;;
		esac
	done
	[ -f "$tree/lib/modules/kvm-amd.ko" ] || fail "$kpkg has no kvm-amd module"
	install -m 755 "$ROOT/scripts/hwkvm-init.sh" "$tree/init"
	(cd "$tree" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd.tmp" ||
		fail "cannot build the initramfs"
	mv "$initrd.tmp" "$initrd"
	rm -rf "$tree"
fi

# The command goes in through a writable share; its status comes back.
out=$(mktemp -d /tmp/hwkvm.XXXXXX)
trap 'rm -rf "$out"' EXIT
{
	printf 'cd %q || exit 125\n' "$PWD"
	# The same root, so the same PATH finds the same tools.
	printf 'export PATH=%q HOME=/root LANG=C.UTF-8 TERM=dumb\n' "$PATH:/usr/sbin:/sbin"
	for v in BUILD WERROR TEST_TIMEOUT TKVM_CC_CACHE CI; do
		[ -n "${!v:-}" ] && printf 'export %s=%q\n' "$v" "${!v}"
	done
	printf '%q ' "$@"; echo
} >"$out/cmd"

mem=${HWKVM_MEMORY:-8192}
set +e
# One vCPU by default: with two (multi-threaded TCG) the rig's kernel
# was seen to hang in a soft lockup (a KVM ioctl on one vCPU, RCU on the
# other) during VM creations; HWKVM_SMP=2 tries two.
smp=${HWKVM_SMP:-1}
timeout -k 10 "$limit" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp "$smp" \
	-m "$mem" -nographic -no-reboot -nic none \
	-kernel "$kdir/boot/vmlinuz-$kver" -initrd "$initrd" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap \
	-virtfs local,path="$out",mount_tag=hwkvmout,security_model=passthrough,multidevs=remap \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 oops=panic" </dev/null
qrc=$?
set -e
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	fail "the command did not finish in $limit s"
fi
[ -f "$out/rc" ] || fail "the rig did not run the command (QEMU exit $qrc)"
exit "$(cat "$out/rc")"
