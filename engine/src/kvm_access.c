/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Why /dev/kvm cannot be opened, told apart by cause, each with the
 * command that fixes it: no KVM in the kernel or the CPU, a device the
 * service's sandbox hides (systemd's PrivateDevices=, the device cgroup),
 * a node with no driver behind it, and the permission cases (the node's
 * group and mode, the user's group membership, a process started before
 * the user joined the group).  docs/DEPLOY.md lists every message.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tinykvm/engine.h"

#define KVM_DEV		"/dev/kvm"
#define KVM_SYSFS	"/sys/class/misc/kvm"

struct out {
	char *buf;
	size_t len, used;
};

static void __attribute__((format(printf, 2, 3)))
say(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->used >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}

static bool
path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* "vmx" or "svm" when /proc/cpuinfo lists the flag, else NULL. */
static const char *
cpu_virt_flag(void)
{
	static const char *const flags[] = { "vmx", "svm" };
	FILE *f = fopen("/proc/cpuinfo", "re");
	const char *found = NULL;
	char line[4096];

	if (f == NULL)
		return NULL;
	while (found == NULL && fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		for (char *w = strtok(strchr(line, ':'), " :\t\n"); w != NULL &&
		    found == NULL; w = strtok(NULL, " \t\n"))
			for (size_t i = 0; i < 2; i++)
				if (strcmp(w, flags[i]) == 0)
					found = flags[i];
		break;
	}
	fclose(f);
	return found;
}

/*
 * The systemd unit this process runs in (from its cgroup path), so that
 * the message can name it; "varnish.service" when none is found.
 */
static void
service_name(char *name, size_t n)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[1024];

	snprintf(name, n, "varnish.service");
	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		char *end = strstr(line, ".service");
		char *start;

		if (end == NULL)
			continue;
		end += strlen(".service");
		*end = '\0';
		start = strrchr(line, '/');
		if (start != NULL && start[1] != '\0') {
			snprintf(name, n, "%s", start + 1);
			break;
		}
	}
	fclose(f);
}

static void
missing(struct out *o)
{
	char unit[128];
	const char *flag;

	/* The misc device is registered once a vendor module (kvm_intel,
	 * kvm_amd, kvm_pvm) is loaded; the kvm core module alone has none. */
	if (path_exists(KVM_SYSFS)) {
		service_name(unit, sizeof unit);
		say(o, "/dev/kvm does not exist in this process's view although "
		    "the kernel has KVM (" KVM_SYSFS " exists): the service's "
		    "sandbox hides the device. systemd's PrivateDevices=true "
		    "does this (Debian's varnish.service sets it): install the "
		    "drop-in %s.d/tinykvm.conf (PrivateDevices=false, "
		    "DeviceAllow=/dev/kvm rw; make install and the vmod-tinykvm "
		    "package install it), then run: systemctl daemon-reload && "
		    "systemctl restart %s. In a container, pass the device "
		    "(docker run --device /dev/kvm).", unit, unit);
		return;
	}
	flag = cpu_virt_flag();
	if (flag != NULL)
		say(o, "the kernel has no KVM (no /dev/kvm, no " KVM_SYSFS ") "
		    "although the CPU has hardware virtualization (%s): run "
		    "modprobe %s; if that fails, virtualization is disabled in "
		    "the firmware (BIOS/UEFI) settings.", flag,
		    strcmp(flag, "vmx") == 0 ? "kvm_intel" : "kvm_amd");
	else
		say(o, "this machine has no KVM: no /dev/kvm, no KVM module in "
		    "the kernel (no " KVM_SYSFS ") and no hardware "
		    "virtualization in the CPU (no vmx or svm flag in "
		    "/proc/cpuinfo). On a virtual machine, enable nested "
		    "virtualization for it.");
}

static bool
process_has_group(gid_t gid)
{
	gid_t groups[256];
	int n = getgroups(256, groups);

	if (getegid() == gid)
		return true;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* The name of uid, or its number, into name (n bytes). */
static void
user_name(uid_t uid, char *name, size_t n)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(name, n, "%s", pw->pw_name);
	else
		snprintf(name, n, "%u", (unsigned)uid);
}

/* Whether user (by name and primary group) is listed in group. */
static bool
user_in_group(const char *user, const struct group *gr)
{
	struct passwd *pw = getpwnam(user);

	if (gr == NULL)
		return false;
	if (pw != NULL && pw->pw_gid == gr->gr_gid)
		return true;
	for (char **m = gr->gr_mem; m != NULL && *m != NULL; m++)
		if (strcmp(*m, user) == 0)
			return true;
	return false;
}

static void
denied(struct out *o, const char *who, const char *restart)
{
	struct stat st;
	struct group *gr;
	char user[64], group[64], owner[64];
	bool member;

	user_name(geteuid(), user, sizeof user);
	if (stat(KVM_DEV, &st) != 0) {
		say(o, "%s runs as user %s.", who, user);
		return;
	}
	user_name(st.st_uid, owner, sizeof owner);
	/* A device left in root's group gets the kvm group, as udev's
	 * default rules give it. */
	gr = st.st_gid == 0 ? getgrnam("kvm") : getgrgid(st.st_gid);
	if (st.st_gid == 0 || gr == NULL)
		snprintf(group, sizeof group, st.st_gid == 0 ? "kvm" : "%u",
		    (unsigned)st.st_gid);
	else
		snprintf(group, sizeof group, "%s", gr->gr_name);
	member = user_in_group(user, gr);
	say(o, "/dev/kvm is owned by %s, group %s, mode %04o, and %s runs as "
	    "user %s", owner, st.st_gid == 0 ? "root" : group,
	    (unsigned)(st.st_mode & 07777), who, user);
	if (st.st_gid == 0 || (st.st_mode & 060) != 060) {
		say(o, ": only %s may open it. Run: %schmod g+rw /dev/kvm",
		    owner, st.st_gid == 0 ?
		    "groupadd -f -r kvm && chgrp kvm /dev/kvm && " : "");
		if (!member)
			say(o, " && usermod -aG %s %s", group, user);
		say(o, ", then %s. The udev rule that make install and the "
		    "vmod-tinykvm package install keeps that group and mode "
		    "across reboots.", restart);
		return;
	}
	if (!member) {
		say(o, ", who is not in group %s. Run: usermod -aG %s %s, then "
		    "%s.", group, group, user, restart);
		return;
	}
	if (!process_has_group(st.st_gid)) {
		say(o, ", who is in group %s, but this process started before "
		    "the user was added and lacks the group: %s.", group,
		    restart);
		return;
	}
	say(o, " with group %s, and still may not open it: a security module "
	    "(AppArmor, SELinux) or a nodev mount of /dev refuses it.", group);
}

void
tkvm_kvm_open_error(int err, const char *who, const char *restart,
    char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	char unit[128];

	if (len == 0)
		return;
	buf[0] = '\0';
	say(&o, "cannot open /dev/kvm: %s: ", strerror(err));
	switch (err) {
	case ENOENT:
		missing(&o);
		break;
	case EACCES:
		denied(&o, who, restart);
		break;
	case EPERM:
		service_name(unit, sizeof unit);
		say(&o, "the device cgroup of this process refuses /dev/kvm: "
		    "systemd's DevicePolicy=closed (PrivateDevices=true implies "
		    "it) without DeviceAllow=/dev/kvm rw. Install the drop-in "
		    "%s.d/tinykvm.conf (make install and the vmod-tinykvm "
		    "package install it), then run: systemctl daemon-reload && "
		    "systemctl restart %s.", unit, unit);
		break;
	case ENXIO:
	case ENODEV:
		say(&o, "/dev/kvm exists but no KVM driver is behind it: run "
		    "modprobe kvm_intel (Intel) or modprobe kvm_amd (AMD).");
		break;
	default:
		say(&o, "%s runs as uid %u.", who, (unsigned)geteuid());
		break;
	}
}
