/* SPDX-License-Identifier: BSD-2-Clause */
/* Benchmark guest: each GET writes one byte in each of 256 pages. */
#include <tinykvm/kvm_api.h>

#define PAGES 256
static volatile char pages[PAGES][4096];

static void
on_get(const char *url, const char *arg)
{
	(void)url;
	(void)arg;
	for (int i = 0; i < PAGES; i++)
		pages[i][0] = (char)i;
	backend_response_str(200, "text/plain", "dirty");
}

int
main(void)
{
	set_backend_get(on_get);
	wait_for_requests();
}
