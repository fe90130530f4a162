/* SPDX-License-Identifier: BSD-2-Clause */
/* Storage benchmark guest: GET /plain answers at once, GET /store first
 * increments a counter in the storage VM (bench/storage_bench.c). */
#include <string.h>
#include <tinykvm/kvm_api.h>

static unsigned long counter;

static void
incr(size_t n, struct virtbuffer b[], size_t res)
{
	(void)n; (void)b; (void)res;
	counter++;
	storage_return(&counter, sizeof counter);
}

static void
on_get(const char *url, const char *arg)
{
	unsigned long v = 0;

	(void)arg;
	if (strcmp(url, "/store") == 0 &&
	    storage_call(incr, NULL, 0, &v, sizeof v) != sizeof v)
		backend_response_str(500, "text/plain", "storage call failed");
	backend_response_str(200, "text/plain", "x");
}

int
main(void)
{
	set_backend_get(on_get);
	wait_for_requests();
}
