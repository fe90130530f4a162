/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A guest for the compatibility tests (tests/vmod/compat_*.vtc): it answers
 * with what it was handed, so the tests can see the url, the arg, the
 * POST body of a chain, its main() arguments and (/group) its group.
 */
#include <tinykvm/kvm_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char args[512];
static char out[8192];

static void
reply(int n)
{
	sys_backend_response(200, "text/plain", 10, out, (size_t)n, NULL);
}

static void
on_get(const char *url, const char *arg)
{
	if (strcmp(url, "/argv") == 0)
		reply(snprintf(out, sizeof out, "%s", args));
	else if (strcmp(url, "/group") == 0)
		reply(snprintf(out, sizeof out, "%s", getenv("KVM_GROUP")));
	else
		reply(snprintf(out, sizeof out, "GET url=[%s] arg=[%s]", url, arg));
}

static void
on_post(const char *url, const char *arg, const char *ctype,
    const uint8_t *data, size_t len)
{
	(void)ctype;
	reply(snprintf(out, sizeof out, "POST url=[%s] arg=[%s] body=(%.*s)",
	    url, arg, (int)len, (const char *)data));
}

int
main(int argc, char **argv)
{
	/* argv joined by '|', e.g. "echo|one|two" */
	for (int i = 0; i < argc; i++)
		snprintf(args + strlen(args), sizeof args - strlen(args), "%s%s",
		    i ? "|" : "", argv[i]);
	set_backend_get(on_get);
	set_backend_post(on_post);
	wait_for_requests();
}
