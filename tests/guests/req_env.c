/* SPDX-License-Identifier: BSD-2-Clause */
/* Requests: /env answers with what the sandbox tells the program of where
 * it runs (KVM_* variables); /crash crashes, and on_error then writes a
 * secret into a global; /global answers with that global. */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <tinykvm/kvm_api.h>

static char global[32] = "clean";

static const char *
env(const char *name)
{
	const char *v = getenv(name);
	return v ? v : "(unset)";
}

static void
on_error(const char *url, const char *arg, const char *exception)
{
	(void)url; (void)arg; (void)exception;
	strcpy(global, "SECRET-from-on_error");
	backend_response_str(500, "text/plain", "on_error ran");
}

static void
on_get(const char *url, const char *arg)
{
	char out[512];

	(void)arg;
	if (strcmp(url, "/crash") == 0)
		*(volatile int *)0 = 1;
	if (strcmp(url, "/global") == 0)
		backend_response_str(200, "text/plain", global);
	if (strcmp(url, "/fds") == 0) {
		/* Descriptors are bounded, and given back at the reset. */
		int n = 0, last;
		while ((last = dup(1)) >= 0 && n < 10000)
			n++;
		snprintf(out, sizeof out, "dup=%d then %s", n,
		    last < 0 && errno == EMFILE ? "EMFILE" : "other");
		backend_response_str(200, "text/plain", out);
	}
	if (strcmp(url, "/maps") == 0) {
		/* Mappings are bounded too (every other page, so none merge). */
		int n = 0;
		char *base = mmap(NULL, 64 << 20, PROT_READ, MAP_PRIVATE |
		    MAP_ANONYMOUS, -1, 0);
		munmap(base, 64 << 20);
		while (n < 100000 && mmap(base + (size_t)n * 8192, 4096,
		    PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
		    MAP_FAILED)
			n++;
		snprintf(out, sizeof out, "maps=%d then %s", n,
		    errno == ENOMEM ? "ENOMEM" : "other");
		backend_response_str(200, "text/plain", out);
	}
	snprintf(out, sizeof out, "KVM_NAME=%s KVM_GROUP=%s KVM_TYPE=%s "
	    "KVM_STATE=%s KVM_DEBUG=%s EXTRA=%s", env("KVM_NAME"),
	    env("KVM_GROUP"), env("KVM_TYPE"), env("KVM_STATE"),
	    env("KVM_DEBUG"), env("EXTRA"));
	backend_response_str(200, "text/plain", out);
}

int
main(void)
{
	set_on_error(on_error);
	set_backend_get(on_get);
	wait_for_requests();
}
