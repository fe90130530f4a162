/* SPDX-License-Identifier: BSD-2-Clause */
/* A program that keeps a counter in its storage VM and hands it to its
 * replacement through on_live_update/on_live_restore (tests/vmod/
 * live_update_state.vtc, tests/requests/live_load.sh, bench/live_update.sh).
 * Built with -DVERSION=N; -DBAD_RESTORE makes on_live_restore crash,
 * -DBAD_SERIALIZE on_live_update, -DBAD_LOOP makes it loop, -DBAD_POINTER
 * hands over memory it does not have, and
 * -DNO_STORAGE_STATE keeps a generation number in the main VM instead
 * (for a program without a storage VM); there on_live_restore also
 * copies the state into a fresh 1 MiB mapping, GET /far shows that copy
 * and GET /touch/N writes N MiB of fresh pages (tests/vmod/
 * live_update_trim.vtc).
 *   GET /      increments the counter: "v=VERSION n=COUNT"
 *   GET /peek  the counter, unchanged
 *   GET /save  writes the counter to the file "state"
 *   GET /slow  increments, waits until the file $GATE exists, increments
 *              again: a request in flight across a live update */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <tinykvm/kvm_api.h>

#ifndef VERSION
#define VERSION 1
#endif
#define MAGIC 0x6c697665u

struct state {
	unsigned magic, version;
	unsigned long counter, updates;
};

static struct state st = { MAGIC, VERSION, 0, 0 };
static struct state incoming;
#ifdef NO_STORAGE_STATE
static struct state *far;	/* the restored state, mmapped */
#endif

static void
on_live_update(void)
{
#ifdef BAD_SERIALIZE
	*(volatile int *)16 = 1;	/* a serializer that crashes */
#endif
#ifdef BAD_LOOP
	for (;;)			/* a serializer that never ends */
		__asm__ volatile("");
#endif
#ifdef BAD_POINTER
	storage_return((const void *)0x7fff00000000ULL, 16);	/* not its memory */
#endif
	storage_return(&st, sizeof st);
}

static void
on_live_restore(size_t len)
{
#ifdef BAD_RESTORE
	(void)len;
	*(volatile int *)8 = 1;		/* a restorer that crashes */
#endif
	if (len != sizeof incoming)
		abort();
	storage_return(&incoming, sizeof incoming);
	if (incoming.magic != MAGIC)
		abort();
	st.counter = incoming.counter;
	st.updates = incoming.updates + 1;
#ifdef NO_STORAGE_STATE
	far = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (far == MAP_FAILED)
		abort();
	*far = st;
#endif
}

static void
reply(size_t n)
{
	char out[128];
	int len = snprintf(out, sizeof out, "v=%d n=%lu u=%lu", VERSION,
	    st.counter, st.updates);

	(void)n;
	storage_return(out, (size_t)len);
}

static void
incr(size_t n, struct virtbuffer b[], size_t res)
{
	(void)b; (void)res;
	st.counter++;
	reply(n);
}

static void
peek(size_t n, struct virtbuffer b[], size_t res)
{
	(void)b; (void)res;
	reply(n);
}

/* The "state" file: this program's own, beside its filename. */
static void
save(size_t n, struct virtbuffer b[], size_t res)
{
	char text[64];
	int fd = open("state", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int len = snprintf(text, sizeof text, "%lu", st.counter);
	long w = fd >= 0 ? write(fd, text, (size_t)len) : -1;

	(void)n; (void)b; (void)res;
	if (fd >= 0)
		close(fd);
	len = snprintf(text, sizeof text, "saved %ld", w);
	storage_return(text, (size_t)len);
}

static void
load_state_file(void)
{
	char text[64] = "";
	int fd = open("state", O_RDONLY);

	if (fd < 0)
		return;
	if (read(fd, text, sizeof text - 1) > 0)
		st.counter = strtoul(text, NULL, 10);
	close(fd);
}

static void
on_get(const char *url, const char *arg)
{
	char out[160];
	long len;

	(void)arg;
#ifdef NO_STORAGE_STATE
	if (strcmp(url, "/far") == 0) {
		len = far == NULL ? snprintf(out, sizeof out, "far none") :
		    snprintf(out, sizeof out, "far magic=%s gen=%lu",
		    far->magic == MAGIC ? "ok" : "lost", far->updates);
	} else if (strncmp(url, "/touch/", 7) == 0) {
		size_t n = strtoul(url + 7, NULL, 10) << 20;
		char *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			backend_response_str(500, "text/plain", "no memory");
		for (size_t i = 0; i < n; i += 4096)
			p[i] = 1;
		len = snprintf(out, sizeof out, "touched %zu", n >> 20);
	} else
		len = snprintf(out, sizeof out, "v=%d gen=%lu", VERSION, st.updates);
#else
	if (strcmp(url, "/peek") == 0)
		len = storage_call(peek, NULL, 0, out, sizeof out);
	else if (strcmp(url, "/save") == 0)
		len = storage_call(save, NULL, 0, out, sizeof out);
	else if (strcmp(url, "/reqwrite") == 0) {
		/* A request VM may read "state", never write it. */
		int fd = open("state", O_WRONLY);
		len = snprintf(out, sizeof out, "reqwrite %s",
		    fd < 0 ? "refused" : "allowed");
	} else if (strcmp(url, "/slow") == 0) {
		const char *gate = getenv("GATE");
		const struct timespec tick = { 0, 10 * 1000 * 1000 };
		int fd = -1;
		storage_call(incr, NULL, 0, out, sizeof out);
		while (gate != NULL && (fd = open(gate, O_RDONLY)) < 0)
			nanosleep(&tick, NULL);
		if (fd >= 0)
			close(fd);
		len = storage_call(incr, NULL, 0, out, sizeof out);
	} else
		len = storage_call(incr, NULL, 0, out, sizeof out);
#endif
	if (len < 0)
		backend_response_str(500, "text/plain", "storage call failed");
	backend_response(200, "text/plain", 10, out, (size_t)len);
}

int
main(void)
{
	const char *s = getenv("KVM_STATE");

	if (s == NULL || strcmp(s, "state") != 0)
		return 3;
	if (IS_STORAGE()) {
		load_state_file();
		STORAGE_ALLOW(incr);
		STORAGE_ALLOW(peek);
		STORAGE_ALLOW(save);
	}
	set_backend_get(on_get);
	set_on_live_update(on_live_update);
	set_on_live_restore(on_live_restore);
	wait_for_requests();
}
