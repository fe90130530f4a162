# SPDX-License-Identifier: BSD-2-Clause
# For the deploy tests that install (tests/deploy/demo.sh, deb.sh):
# they run in a throwaway copy of the system, so that an earlier
# `make install` or installed vmod-tinykvm package, the kvm group,
# vcache's groups and /dev/kvm stay exactly as they were, whatever they
# were and wherever the test fails.  Sourced after common.sh.
#
#   throwaway_root_run VAR ARGS...
#	The test's first step.  Where VAR is unset (outside): records the
#	state below, runs the test again (VAR=1, ARGS) in a mount namespace
#	of its own, records the state again and exits with the test's
#	status, or 1 if the state changed.  Where VAR is set (inside):
#	mounts the throwaway copy and returns.
#
# Inside, /etc, /usr and /var are overlays whose writes land in a tmpfs
# that goes with the namespace: make install and uninstall, apt-get and
# dpkg, groupadd and usermod work as usual and change only the copy
# (mounts below those directories are hidden, never written).  /dev/kvm
# is a node of its own (root:root 0600, as on a machine without udev),
# so a chgrp or chmod of it never reaches the device other tests use.
# Processes started inside see only the copy; a daemon outside (systemd,
# udevd, nscd) still reads the real files.

# Every file make install (default PREFIX, SYSTEMDUNITDIR, UDEVRULESDIR)
# puts in place; tests/deploy/demo.sh checks the list is complete.
throwaway_install_files() {
	local vmoddir
	vmoddir=$(pkg-config --variable=vmoddir varnishapi)
	printf '%s\n' /usr/local/bin/tinykvm-run \
		/usr/local/include/tinykvm/engine.h \
		/usr/local/include/tinykvm/kvm_api.h \
		"$vmoddir/libvmod_tinykvm.so" \
		/usr/local/share/man/man3/vmod_tinykvm.3 \
		/usr/local/share/man/man1/tinykvm-run.1 \
		/etc/systemd/system/varnish.service.d/tinykvm.conf \
		/etc/udev/rules.d/65-vmod-tinykvm.rules \
		/usr/local/share/vmod-tinykvm/kvm-access
}

# throwaway_state: what a deploy test must leave as it found: the kvm
# group (members included), whether vcache is in it, the real /dev/kvm,
# the package's status, and the owner, mode and content of every file of
# an earlier make install or of the package and of its download cache.
throwaway_state() {
	local f
	echo "group kvm: $(getent group kvm || echo none)"
	echo "gshadow kvm: $(getent gshadow kvm || echo none)"
	if id -nG vcache 2>/dev/null | tr ' ' '\n' | grep -qx kvm; then
		echo "vcache: in group kvm"
	else
		echo "vcache: not in group kvm"
	fi
	echo "/dev/kvm: $(stat -c '%U:%G %a %t:%T' /dev/kvm)"
	echo "package: $(dpkg-query -W -f='${Status} ${Version}' vmod-tinykvm 2>/dev/null || echo none)"
	{
		throwaway_install_files
		dpkg-query -L vmod-tinykvm 2>/dev/null || true
		if [ -d /var/lib/varnish-tinykvm ]; then
			find /var/lib/varnish-tinykvm
		fi
	} | sort -u | while IFS= read -r f; do
		if [ -f "$f" ] && ! [ -L "$f" ]; then
			echo "$f: $(stat -c '%U:%G %a' "$f") $(sha256sum <"$f" | cut -d' ' -f1)"
		elif [ -e "$f" ] || [ -L "$f" ]; then
			echo "$f: $(stat -c '%F %U:%G %a' "$f")"
		elif throwaway_install_files | grep -qxF -- "$f"; then
			echo "$f: absent"
		fi
	done
}

throwaway_root_run() {
	local var=$1; shift
	if [ -n "${!var:-}" ]; then
		throwaway_root_mount
		return 0
	fi
	[ "$(id -u)" -eq 0 ] || die "needs root (mount namespaces, overlays)"
	mkdir "$WORK/ns"
	throwaway_state >"$WORK/before"
	# A signal (the time limit) waits for the test inside to clean up
	# and end; the state is compared all the same.
	local rc=0 sig=
	trap 'sig=TERM' TERM; trap 'sig=INT' INT; trap 'sig=HUP' HUP
	env "$var=1" TKVM_THROWAWAY="$WORK/ns" \
		unshare --mount --propagation private bash "$0" "$@" || rc=$?
	[ -z "$sig" ] || { echo "FAILED: got SIG$sig" >&2; rc=1; }
	throwaway_state >"$WORK/after"
	if ! diff -u "$WORK/before" "$WORK/after" >"$WORK/state.diff"; then
		cat "$WORK/state.diff" >&2
		echo "FAILED: the test changed the system (above: before and after)" >&2
		exit 1
	fi
	echo "state afterwards as before: $(head -n 5 "$WORK/before" | tr '\n' ';')" \
		"$(grep -c ' [0-9a-f]\{64\}$' "$WORK/before" || true) installed files byte-identical"
	exit "$rc"
}

# throwaway_root_mount: inside, the overlays and the private /dev/kvm.
throwaway_root_mount() {
	local t=$TKVM_THROWAWAY d major minor
	mount -t tmpfs -o mode=755 tinykvm-throwaway "$t" || die "cannot mount a tmpfs on $t"
	for d in etc usr var; do
		mkdir "$t/$d.upper" "$t/$d.work"
		# The overlay's root takes the upper directory's owner and mode.
		chown --reference="/$d" "$t/$d.upper"
		chmod --reference="/$d" "$t/$d.upper"
		mount -t overlay tinykvm-throwaway \
			-o "lowerdir=/$d,upperdir=$t/$d.upper,workdir=$t/$d.work" "/$d" ||
			die "cannot mount an overlay on /$d (kernel module overlay)"
	done
	major=$((0x$(stat -c %t /dev/kvm))) minor=$((0x$(stat -c %T /dev/kvm)))
	mknod -m 600 "$t/kvm" c "$major" "$minor"
	mount --bind "$t/kvm" /dev/kvm
	[ "$(stat -c '%U:%G %a' /dev/kvm)" = "root:root 600" ] ||
		die "private /dev/kvm not in place"
	# The time limit's TERM ends the test through its EXIT trap.
	trap 'exit 143' TERM INT HUP
}

# throwaway_written TOP: the paths below TOP (/etc, /usr or /var) that
# the test wrote or removed so far, one a line.
throwaway_written() {
	(cd "$TKVM_THROWAWAY${1}.upper" &&
		find . -mindepth 1 \( -type f -o -type c -o -type l \)) | sed "s|^\.|$1|"
}
