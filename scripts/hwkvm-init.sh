#!/bin/busybox sh
# SPDX-License-Identifier: BSD-2-Clause
# /init of the hardware-KVM rig's initramfs (scripts/hwkvm.sh): loads the
# modules, mounts the host's root read-only under a tmpfs overlay, runs
# the command the host left in the hwkvmout share and writes its status
# back there, then powers off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# The order modules depend on each other changes between kernels: load
# in passes until a pass loads nothing more.
left=$(ls /lib/modules)
for pass in 1 2 3 4 5 6; do
	next=""
	for m in $left; do
		insmod "/lib/modules/$m" 2>/dev/null || next="$next $m"
	done
	left=$next
	[ -n "$left" ] || break
done
ip link set lo up
mkdir -p /mnt/ro /mnt/rw /mnt/root /mnt/out
o="trans=virtio,version=9p2000.L,msize=524288,cache=loose"
if ! mount -t 9p -o "$o,ro" hostroot /mnt/ro || ! mount -t 9p -o "trans=virtio,version=9p2000.L,msize=524288" hwkvmout /mnt/out; then
	echo "hwkvm: cannot mount the host's file systems (modules left:$left)"
	poweroff -f
fi
mount -t tmpfs -o size=75% tmpfs /mnt/rw
mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay overlay -o lowerdir=/mnt/ro,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work /mnt/root
r=/mnt/root
mount -t proc proc $r/proc
mount -t sysfs sysfs $r/sys
mount -t devtmpfs devtmpfs $r/dev
mkdir -p $r/dev/pts $r/dev/shm $r/hwkvm-out
mount -t devpts devpts $r/dev/pts
mount -t tmpfs tmpfs $r/dev/shm
# /tmp stays the overlay's (writable, in the tmpfs): the checkout being
# tested may itself live under the host's /tmp.
mount -t tmpfs tmpfs $r/run
mount --bind /mnt/out $r/hwkvm-out
hostname hwkvm
if [ -c /dev/kvm ]; then
	chroot $r /bin/bash -c '. /hwkvm-out/cmd' </dev/null
	echo $? >/mnt/out/rc
else
	echo "hwkvm: no /dev/kvm (modules left:$left)"
fi
sync
umount /mnt/out 2>/dev/null
poweroff -f
