#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Fails loudly unless /dev/kvm can be opened read-write by this user.
if ! [ -e /dev/kvm ]; then
	echo "FATAL: /dev/kvm does not exist: this machine has no KVM" >&2
	exit 1
fi
if ! { exec 3<>/dev/kvm; } 2>/dev/null; then
	echo "FATAL: /dev/kvm cannot be opened read-write by $(id -un)" \
	     "(add this user to the group that owns /dev/kvm, or run as root)" >&2
	exit 1
fi
exec 3>&-
