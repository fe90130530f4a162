#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Lets varnishd's worker user (vcache, or $1) open /dev/kvm: the kvm
# group exists, the user is in it, and /dev/kvm has that group with read
# and write for it (a mode wider than 0660 is left as it is).  Run as
# root by `make install` and by the package's postinst; running it again
# changes nothing.  A running varnishd gets the group when restarted.
set -eu
user=${1:-vcache}
if ! getent group kvm >/dev/null; then
	groupadd --system kvm
	echo "kvm-access: created group kvm"
fi
if ! id "$user" >/dev/null 2>&1; then
	echo "kvm-access: no user $user (is varnish installed?): add it to group kvm once it exists" >&2
elif ! id -nG "$user" | tr ' ' '\n' | grep -qx kvm; then
	usermod -aG kvm "$user"
	echo "kvm-access: added $user to group kvm; restart varnish for its worker to get it"
fi
if [ -c /dev/kvm ]; then
	if [ "$(stat -c %G /dev/kvm)" != kvm ]; then
		chgrp kvm /dev/kvm
		echo "kvm-access: /dev/kvm now has group kvm"
	fi
	if [ $(( 0$(stat -c %a /dev/kvm) & 060 )) -ne 48 ]; then
		chmod g+rw /dev/kvm
		echo "kvm-access: /dev/kvm now group read/write"
	fi
else
	echo "kvm-access: no /dev/kvm on this machine: vmod_tinykvm needs KVM" >&2
fi
# systemd reads the drop-in and udev the rule once told to.
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
if command -v udevadm >/dev/null 2>&1; then
	udevadm control --reload-rules 2>/dev/null || true
fi
exit 0
