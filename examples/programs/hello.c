/* SPDX-License-Identifier: BSD-2-Clause */
/* hello: answers every GET with a greeting.  Also runs from a terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <tinykvm/kvm_api.h>

static void
on_get(const char *url, const char *arg)
{
	char out[512];
	int n = snprintf(out, sizeof out, "Hello from a KVM sandbox! url=%s%s%s\n",
	    url, *arg ? " arg=" : "", arg);

	sys_set_cacheable(true, 10000, 0, 0);
	sys_backend_response(200, "text/plain", 10, out, (size_t)n, NULL);
}

int
main(void)
{
	if (getenv("KVM_NAME") == NULL && getenv("TINYKVM_DEMO") != NULL)
		printf("hello: initialized\n");
	set_backend_get(on_get);
	wait_for_requests();
}
