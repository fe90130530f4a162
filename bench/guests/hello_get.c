/* SPDX-License-Identifier: BSD-2-Clause */
/* Benchmark guest: the smallest GET handler. */
#include <tinykvm/kvm_api.h>

static void
on_get(const char *url, const char *arg)
{
	(void)url;
	(void)arg;
	backend_response_str(200, "text/plain", "Hello World");
}

int
main(void)
{
	set_backend_get(on_get);
	wait_for_requests();
}
