/* SPDX-License-Identifier: BSD-2-Clause */
/* Counts requests in a global and in shared memory; /crash crashes,
 * /dirty writes 8 MiB, /keep asks to stop being ephemeral during the
 * request (which ends it, as published); with the argument "keep" main()
 * asks for it during initialization. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tinykvm/kvm_api.h>

static int counter, warmups;
static long eph_main;
static char area[8 << 20];

static void
on_request(const struct kvm_request *r)
{
	struct shared_memory_info shm = shared_memory_area();
	int *shared = (int *)shm.ptr;
	long eph = eph_main;
	char out[256];

	unsigned sum = 0;

	/* What an earlier request may have left in the 8 MiB area. */
	for (size_t i = 0; i < sizeof area; i += 4096)
		sum += (unsigned char)area[i];
	if (r->info_flags & KVM_REQ_IS_WARMUP)
		warmups++;
	if (r->url_len == 6 && !memcmp(r->url, "/crash", 6))
		*(volatile int *)0 = 1;
	if (r->url_len == 6 && !memcmp(r->url, "/dirty", 6))
		memset(area, 1, sizeof area);
	if (r->url_len == 5 && !memcmp(r->url, "/keep", 5))
		eph = sys_make_ephemeral(0);
	struct meminfo mi;
	get_meminfo(&mi);
	int n = snprintf(out, sizeof out, "counter=%d shared=%d warmups=%d eph=%ld%s%s",
	    counter++, shared ? (*shared)++ : -1, warmups, eph,
	    sum ? " area=DIRTY" : "",
	    mi.reqmem_upper >= sizeof area ? " kept=8MiB" : "");
	sys_backend_response(200, "text/plain", 10, out, (size_t)n, NULL);
}

int
main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "keep"))
		eph_main = sys_make_ephemeral(0);
	set_backend_request(on_request);
	wait_for_requests();
}
