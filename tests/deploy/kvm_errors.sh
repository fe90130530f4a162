#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Loading a VCL that imports tinykvm, when varnishd's worker (default
# jail: user vcache) cannot open /dev/kvm, fails with one message per
# cause, each naming what fixes it (docs/DEPLOY.md):
#   the device's mode, its group, a group the worker lacks until it is
#   restarted (and the load works after the restart), a device hidden by
#   a private /dev (systemd's PrivateDevices=true), no KVM at all (with
#   and without a virtualization flag in the CPU), a node without a
#   driver, and the device cgroup refusing it (DevicePolicy=closed).
# The real /dev/kvm is never changed: every case runs in its own mount
# namespace with a device node made for it, so tests running at the
# same time see nothing of it.
. "$(dirname "$0")/../lib/common.sh"

[ "$(id -u)" -eq 0 ] || die "needs root (mount namespaces, mknod)"
id vcache >/dev/null 2>&1 || die "user vcache (package varnish) is missing"
VMOD_PATH="$ROOT/${BUILD:-build}/vmod:$(pkg-config --variable=vmoddir varnishapi)"
RESTART="then restart varnishd (systemctl restart varnish)."

# vtc NAME EXPECTED...: a varnishtest in which each load of a VCL
# importing tinykvm fails with a message containing EXPECTED.
vtc() {
	local name=$1; shift
	{
		echo "varnishtest \"$name\""
		echo 'varnish v1 -vcl { backend default none; } -start'
		for e in "$@"; do
			printf 'varnish v1 -errvcl {%s} {\n\tvcl 4.1;\n\timport tinykvm;\n\tbackend default none;\n}\n' "$e"
		done
	} >"$WORK/$name.vtc"
}

# in_namespace NAME SETUP: runs SETUP then $WORK/NAME.vtc in a private
# mount namespace (unshare makes every mount private to it).
in_namespace() {
	local name=$1 setup=$2
	if ! unshare -m bash -euc "
		$(declare -f node private_dev hide_kvm_sysfs fake_cpuinfo)
		WORK='$WORK'
		$setup
		varnishtest -t 120 -p vmod_path='$VMOD_PATH' '$WORK/$name.vtc'
	" >"$WORK/$name.log" 2>&1; then
		grep -E '^(\*\*\*\*|---|\*\*   ).*(CLI RX|errvcl|FAIL|tinykvm)' \
			"$WORK/$name.log" | tail -n 20 >&2
		die "$name: the VCL load did not fail as expected"
	fi
	echo "ok $name"
}

# node MODE GROUP [MINOR]: /dev/kvm becomes a new node (misc major 10,
# minor 232 = KVM unless given) with that mode and group.
node() {
	local d
	d=$(mktemp -d "$WORK/node.XXXXXX")
	mount -t tmpfs -o mode=755 tinykvm-test "$d"
	mknod -m "$1" "$d/kvm" c 10 "${3:-232}"
	chgrp "$2" "$d/kvm"
	mount --bind "$d/kvm" /dev/kvm
}

# private_dev: /dev as systemd's PrivateDevices=true makes it: a tmpfs
# with the pseudo devices, the fd symlinks, pts and shm, and no /dev/kvm.
private_dev() {
	local d
	d=$(mktemp -d "$WORK/dev.XXXXXX")
	mount -t tmpfs -o mode=755 tinykvm-test "$d"
	mknod -m 666 "$d/null" c 1 3; mknod -m 666 "$d/zero" c 1 5
	mknod -m 666 "$d/full" c 1 7; mknod -m 666 "$d/random" c 1 8
	mknod -m 666 "$d/urandom" c 1 9; mknod -m 666 "$d/tty" c 5 0
	ln -s /proc/self/fd "$d/fd"; ln -s /proc/self/fd/0 "$d/stdin"
	ln -s /proc/self/fd/1 "$d/stdout"; ln -s /proc/self/fd/2 "$d/stderr"
	mkdir "$d/pts" "$d/shm"
	mount --bind /dev/pts "$d/pts"
	mount --bind /dev/shm "$d/shm"
	mount --bind "$d" /dev
}

# hide_kvm_sysfs: the kernel looks as if it had no KVM module.
hide_kvm_sysfs() {
	mount -t tmpfs tinykvm-test /sys/class/misc
	mount -t tmpfs tinykvm-test /sys/module
}

# fake_cpuinfo FLAGS: /proc/cpuinfo shows one CPU with these flags.
fake_cpuinfo() {
	printf 'processor\t: 0\nflags\t\t: %s\n\n' "$1" >"$WORK/cpuinfo"
	mount --bind "$WORK/cpuinfo" /proc/cpuinfo
}

PERM="cannot open /dev/kvm: Permission denied: /dev/kvm is owned by root"
WORKER="and varnishd's worker runs as user vcache"

# 1. root:root 0600, as on our machines without udev.
if getent group kvm | cut -d: -f4 | tr , '\n' | grep -qx vcache; then
	join=""
else
	join=" && usermod -aG kvm vcache"
fi
vtc mode_root "$PERM, group root, mode 0600, $WORKER: only root may open it. Run: groupadd -f -r kvm && chgrp kvm /dev/kvm && chmod g+rw /dev/kvm$join, $RESTART The udev rule that make install and the vmod-tinykvm package install keeps that group and mode across reboots."
in_namespace mode_root "node 600 root"

# 2. A group, but no group access: nogroup, which vcache is never in.
vtc mode_group "$PERM, group nogroup, mode 0600, $WORKER: only root may open it. Run: chmod g+rw /dev/kvm && usermod -aG nogroup vcache, $RESTART"
in_namespace mode_group "node 600 nogroup"

# 3. Group access, but vcache is not in the group.
vtc not_member "$PERM, group nogroup, mode 0660, $WORKER, who is not in group nogroup. Run: usermod -aG nogroup vcache, $RESTART"
in_namespace not_member "node 660 nogroup"

# 4. vcache joins the group after varnishd started: the worker lacks it
# until restarted, and after the restart the same VCL loads.
group=tkvm$$
cg=/sys/fs/cgroup/devices/tinykvm-test-$$
# The temporary group and cgroup go whatever happens; the cgroup empties
# once the last varnishd process of the test has exited.
cleanup() {
	getent group "$group" >/dev/null && groupdel "$group"
	if [ -d "$cg" ]; then
		for _ in $(seq 100); do
			[ -s "$cg/tasks" ] || break
			sleep 0.1
		done
		rmdir "$cg"
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
groupadd "$group" || die "groupadd $group"
cat >"$WORK/stale_group.vtc" <<EOF
varnishtest "stale_group"
varnish v1 -vcl { backend default none; } -start
shell {usermod -aG $group vcache}
varnish v1 -errvcl {$PERM, group $group, mode 0660, $WORKER, who is in group $group, but this process started before the user was added and lacks the group: restart varnishd (systemctl restart varnish).} {
	vcl 4.1;
	import tinykvm;
	backend default none;
}
varnish v1 -stop
varnish v1 -start
varnish v1 -vcl {
	vcl 4.1;
	import tinykvm;
	backend default none;
}
EOF
in_namespace stale_group "node 660 $group"

# 5. Hidden by a private /dev although the kernel has KVM.
[ -e /sys/class/misc/kvm ] || die "this host has no /sys/class/misc/kvm"
vtc hidden "cannot open /dev/kvm: No such file or directory: /dev/kvm does not exist in this process's view although the kernel has KVM (/sys/class/misc/kvm exists): the service's sandbox hides the device. systemd's PrivateDevices=true does this (Debian's varnish.service sets it): install the drop-in " \
	"(PrivateDevices=false, DeviceAllow=/dev/kvm rw; make install and the vmod-tinykvm package install it), then run: systemctl daemon-reload && systemctl restart " \
	"In a container, pass the device (docker run --device /dev/kvm)."
in_namespace hidden "private_dev"

# 6. No KVM anywhere: neither the device, the module nor a CPU flag.
vtc no_kvm "cannot open /dev/kvm: No such file or directory: this machine has no KVM: no /dev/kvm, no KVM module in the kernel (no /sys/class/misc/kvm) and no hardware virtualization in the CPU (no vmx or svm flag in /proc/cpuinfo). On a virtual machine, enable nested virtualization for it."
in_namespace no_kvm "private_dev; hide_kvm_sysfs; fake_cpuinfo 'fpu sse2 avx'"

# 7. The CPU can, but no module is loaded.
vtc no_module "cannot open /dev/kvm: No such file or directory: the kernel has no KVM (no /dev/kvm, no /sys/class/misc/kvm) although the CPU has hardware virtualization (svm): run modprobe kvm_amd; if that fails, virtualization is disabled in the firmware (BIOS/UEFI) settings."
in_namespace no_module "private_dev; hide_kvm_sysfs; fake_cpuinfo 'fpu svm sse2'"

# 8. A node with no driver behind it (a misc minor nothing registered).
minor=250
while grep -q "^ *$minor " /proc/misc; do minor=$((minor - 1)); done
vtc no_driver "cannot open /dev/kvm: No such device: /dev/kvm exists but no KVM driver is behind it: run modprobe kvm_intel (Intel) or modprobe kvm_amd (AMD)."
in_namespace no_driver "node 666 root $minor"

# 9. The device cgroup refuses it (what DevicePolicy=closed does) while
# the node's mode would allow it.
[ -w "${cg%/*}/cgroup.procs" ] || die "no cgroup v1 devices controller at ${cg%/*}"
mkdir "$cg"
echo 'c 10:232 rw' >"$cg/devices.deny"
vtc device_cgroup "cannot open /dev/kvm: Operation not permitted: the device cgroup of this process refuses /dev/kvm: systemd's DevicePolicy=closed (PrivateDevices=true implies it) without DeviceAllow=/dev/kvm rw. Install the drop-in "
in_namespace device_cgroup "echo \$\$ >'$cg/cgroup.procs'; node 666 root"

# 10. tinykvm-run says the same, for the user running it.
build_guest hello hello.c
chmod 755 "$WORK" "$WORK/hello"
if ! unshare -m bash -euc "
	$(declare -f node)
	WORK='$WORK'
	node 600 root
	setpriv --reuid=vcache --regid=nogroup --init-groups '$RUN' '$WORK/hello'
" >"$WORK/runner.out" 2>&1; then
	expect="tinykvm-run: cannot open /dev/kvm: Permission denied: /dev/kvm is owned by root, group root, mode 0600, and this process runs as user vcache: only root may open it. Run: groupadd -f -r kvm && chgrp kvm /dev/kvm && chmod g+rw /dev/kvm$join, then start it again from a new login session. The udev rule that make install and the vmod-tinykvm package install keeps that group and mode across reboots."
	[ "$(cat "$WORK/runner.out")" = "$expect" ] ||
		die "tinykvm-run said [$(cat "$WORK/runner.out")], expected [$expect]"
	echo "ok runner"
else
	die "tinykvm-run ran without access to /dev/kvm"
fi
echo ok
