/* SPDX-License-Identifier: BSD-2-Clause */
/* Request program of the direct-call benchmark: GET /plain answers at
 * once, GET /direct first calls bench_incr() of the storage program
 * counter_storage.c directly (bench/storage_bench.c). */
#include <string.h>
#include <tinykvm/kvm_api.h>

extern unsigned long bench_incr(void);

static void
on_get(const char *url, const char *arg)
{
	(void)arg;
	if (strcmp(url, "/direct") == 0 && bench_incr() == 0)
		backend_response_str(500, "text/plain", "no count");
	backend_response_str(200, "text/plain", "x");
}

int
main(void)
{
	set_backend_get(on_get);
	wait_for_requests();
}
