/* SPDX-License-Identifier: BSD-2-Clause */
/* Fails initialization in the way argv[1] says. */
#include <stdlib.h>
#include <string.h>
#include <tinykvm/kvm_api.h>

static void
on_get(const char *url, const char *arg)
{
	(void)url; (void)arg;
	backend_response_str(200, "text/plain", "ok");
}

int
main(int argc, char **argv)
{
	const char *w = argc > 1 ? argv[1] : "";

	if (!strcmp(w, "exit"))
		return 7;
	if (!strcmp(w, "crash"))
		*(volatile int *)0 = 1;
	if (!strcmp(w, "nocallback"))
		wait_for_requests();
	if (!strcmp(w, "loop"))
		for (;;)
			;
	if (!strcmp(w, "badpaused"))
		wait_for_requests_paused((struct kvm_request *)0x10);
	set_backend_get(on_get);
	wait_for_requests();
}
