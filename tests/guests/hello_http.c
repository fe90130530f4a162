/* SPDX-License-Identifier: BSD-2-Clause */
/* Answers every GET with "Hello from URL" (built against the installed
 * guest header by tests/deploy/deb.sh). */
#include <stdio.h>
#include <tinykvm/kvm_api.h>

static void
on_get(const char *url, const char *arg)
{
	char body[256];

	(void)arg;
	snprintf(body, sizeof body, "Hello from %s", url);
	backend_response_str(200, "text/plain", body);
}

int
main(void)
{
	set_backend_get(on_get);
	wait_for_requests();
}
