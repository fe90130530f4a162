# SPDX-License-Identifier: BSD-2-Clause
# For the deploy tests, sourced after common.sh inside their own mount
# namespace: a private /dev/kvm node (root:root 0600, as on a machine
# without udev) so that what an install does to the device never reaches
# the real one, and the kvm group and vcache's membership put back as
# they were found.
#   private_kvm_node       makes the node and records the group state
#   private_kvm_restore    puts the group back, unmounts the node
private_kvm_node() {
	mkdir "$WORK/node"
	mount -t tmpfs -o mode=755 tinykvm-test "$WORK/node"
	mknod -m 600 "$WORK/node/kvm" c 10 232
	mount --bind "$WORK/node/kvm" /dev/kvm
	[ "$(stat -c '%U:%G %a' /dev/kvm)" = "root:root 600" ] ||
		die "private /dev/kvm not in place"
	kvm_existed=0
	getent group kvm >/dev/null && kvm_existed=1
	vcache_in_kvm=0
	id -nG vcache | tr ' ' '\n' | grep -qx kvm && vcache_in_kvm=1
}

private_kvm_restore() {
	if [ "$kvm_existed" = 0 ]; then
		getent group kvm >/dev/null && groupdel kvm
	elif [ "$vcache_in_kvm" = 0 ]; then
		gpasswd -d vcache kvm >/dev/null 2>&1
	fi
	umount /dev/kvm "$WORK/node"
}
