/* Requests: /env answers with what the sandbox tells the program of where
 * it runs (KVM_* variables); /crash crashes, and on_error then writes a
 * secret into a global; /global answers with that global. */
#include <stdio.h>
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
