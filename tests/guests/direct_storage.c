/* SPDX-License-Identifier: BSD-2-Clause */
/* A separate storage program (tests/requests/direct_storage.sh), linked at
 * 0x40200000 so that its memory is above the request program's: the
 * request program direct_request.c calls these functions directly, by
 * name, and through storage_callv.  Every name starts with "direct_": the
 * build keeps only those symbols for the request program's link (the
 * API functions here must not replace the request program's own). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tinykvm/kvm_api.h>

static long counter;
static char *heap_note;		/* malloc'd in the storage VM's own heap */

long direct_add(long n)
{
	counter += n;
	if (counter == 1000 + 4000)
		printf("direct counter: 4000 calls\n");
	return counter;
}

/* Each argument weighted, so a swapped or lost register shows. */
long direct_sum6(long a, long b, long c, long d, long e, long f)
{
	return a + 10 * b + 100 * c + 1000 * d + 10000 * e + 100000 * f;
}

/* Where this code runs and what it owns there. */
long direct_where(void)
{
	return (long)(uintptr_t)&counter + sys_is_storage() +
	    (heap_note != NULL && strcmp(heap_note, "storage heap") == 0 ? 2 : 0);
}

long direct_crash(void)
{
	volatile long *volatile p = NULL;

	p[2] = 1;
	return 0;
}

long direct_loop(void)
{
	for (;;)
		__asm__ volatile("");
}

/* A pointer of the caller's is not memory of the storage VM. */
long direct_deref(const long *p)
{
	return *p;
}

long direct_secret(void)	/* not allowed: the request must fail */
{
	return 42;
}

long direct_exit(void)
{
	exit(7);
}

/* A storage_callv function of the same program. */
void direct_echo(size_t n, struct virtbuffer b[], size_t res)
{
	char out[64];
	int len = snprintf(out, sizeof out, "echo %.*s counter=%ld",
	    n ? (int)b[0].len : 0, n ? (const char *)b[0].data : "", counter);

	(void)res;
	storage_return(out, (size_t)len);
}

/* Live update: the counter moves to the next storage VM. */
static void
on_live_update(void)
{
	storage_return(&counter, sizeof counter);
}

static void
on_live_restore(size_t len)
{
	(void)len;
	storage_return(&counter, sizeof counter);
}

int main(void)
{
	heap_note = strdup("storage heap");
	counter = getenv("KVM_TYPE") && strcmp(getenv("KVM_TYPE"),
	    "storage") == 0 ? 1000 : -1;
	STORAGE_ALLOW(direct_add);
	STORAGE_ALLOW(direct_sum6);
	STORAGE_ALLOW(direct_where);
	STORAGE_ALLOW(direct_crash);
	STORAGE_ALLOW(direct_loop);
	STORAGE_ALLOW(direct_deref);
	STORAGE_ALLOW(direct_exit);
	STORAGE_ALLOW(direct_echo);
	set_on_live_update(on_live_update);
	set_on_live_restore(on_live_restore);
	wait_for_requests();
}
