/* SPDX-License-Identifier: BSD-2-Clause */
/* A program with a storage VM (tests/requests/storage.sh): request VMs
 * call the storage functions below, which keep their state between
 * requests; some misbehave on purpose. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tinykvm/kvm_api.h>

/* State of the storage VM (a request VM's copies stay at their values). */
static unsigned long counter, after_return, task_runs, once_runs;
static char once_data[16];
static int main_allow = 9, late_allow = 9;

static void
st_incr(size_t n, struct virtbuffer b[], size_t res)
{
	volatile unsigned long v = counter;

	(void)n; (void)b; (void)res;
	for (int i = 0; i < 50; i++)	/* a window for lost updates */
		v = v + 0;
	counter = v + 1;
	if (counter - 1000 == 10000)
		printf("storage counter: %lu increments\n", counter - 1000);
	storage_return(NULL, 0);
	after_return++;			/* runs after the result went back */
}

static void
st_state(size_t n, struct virtbuffer b[], size_t res)
{
	char out[200];
	int len = snprintf(out, sizeof out, "counter=%lu after=%lu storage=%d "
	    "type=%s late_allow=%d", counter, after_return, sys_is_storage(),
	    getenv("KVM_TYPE"), late_allow);

	(void)n; (void)b; (void)res;
	storage_return(out, (size_t)len);
}

/* The buffers, joined with '|', and the room the caller has. */
static void
st_echo(size_t n, struct virtbuffer b[], size_t res)
{
	char out[256];
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		memcpy(out + len, b[i].data, b[i].len);
		len += b[i].len;
		out[len++] = '|';
	}
	len += (size_t)snprintf(out + len, sizeof out - len, "n=%zu res=%zu",
	    n, res);
	storage_return(out, len);
}

/* A result of the size given as text in the first buffer. */
static void
st_sized(size_t n, struct virtbuffer b[], size_t res)
{
	char num[32] = "";
	size_t size;
	char *data;

	(void)n; (void)res;
	memcpy(num, b[0].data, b[0].len < 31 ? b[0].len : 31);
	size = strtoul(num, NULL, 10);
	data = malloc(size + 1);
	for (size_t i = 0; i < size; i++)
		data[i] = (char)('a' + i % 26);
	storage_return(data, size);
	free(data);
}

static void
st_crash(size_t n, struct virtbuffer b[], size_t res)
{
	(void)n; (void)b; (void)res;
	counter = 777;		/* undone by the reset */
	*(volatile int *)0 = 1;
}

static void
st_loop(size_t n, struct virtbuffer b[], size_t res)
{
	(void)n; (void)b; (void)res;
	counter = 888;
	for (;;)
		;
}

static void
st_exit(size_t n, struct virtbuffer b[], size_t res)
{
	(void)n; (void)b; (void)res;
	exit(3);
}

static void
st_noreturn(size_t n, struct virtbuffer b[], size_t res)
{
	(void)n; (void)b; (void)res;
	storage_noreturn("nr", 2);
}

static void
st_nothing(size_t n, struct virtbuffer b[], size_t res)
{
	(void)n; (void)b; (void)res;
}

/* Storage calls, allow-list changes and requests from the storage VM. */
static void
st_nested(size_t n, struct virtbuffer b[], size_t res)
{
	char out[64];
	long r = storage_callv(st_state, 0, NULL, NULL, 0);
	int len;

	(void)n; (void)b; (void)res;
	late_allow = (int)sys_storage_allow((void (*)(void))st_nothing);
	len = snprintf(out, sizeof out, "nested=%ld", r);
	storage_return(out, (size_t)len);
}

static void
st_disallowed(size_t n, struct virtbuffer b[], size_t res)
{
	(void)n; (void)b; (void)res;
	storage_return("no", 2);
}

static void
st_tasks(size_t n, struct virtbuffer b[], size_t res)
{
	char out[80];
	int len = snprintf(out, sizeof out, "runs=%lu once=%lu:%s", task_runs,
	    once_runs, once_data);

	(void)n; (void)b; (void)res;
	storage_return(out, (size_t)len);
}

static void
task_tick(void *data, size_t len)
{
	if (len == 4 && memcmp(data, "tick", 4) == 0)
		task_runs++;
}

static void
task_once(void *data, size_t len)
{
	once_runs++;
	memcpy(once_data, data, len < 15 ? len : 15);
}

static void
task_crash(void *data, size_t len)
{
	(void)data; (void)len;
	counter = 555;		/* undone by the reset */
	*(volatile int *)0 = 1;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void
respond(long r, const char *out)
{
	char body[512];
	int len = snprintf(body, sizeof body, "r=%ld out=%s", r, out);

	backend_response(200, "text/plain", 10, body, (size_t)len);
}

static void
on_get(const char *url, const char *arg)
{
	static char out[256];
	long r = -99;

	(void)arg;
	memset(out, 0, sizeof out);
	if (!strcmp(url, "/incr")) {
		r = storage_call(st_incr, NULL, 0, NULL, 0);
		backend_response_str(200, "text/plain", r == 0 ? "ok" : "bad");
	}
	if (!strcmp(url, "/state"))
		r = storage_call(st_state, NULL, 0, out, sizeof out);
	if (!strcmp(url, "/echo")) {
		const struct virtbuffer b[3] = { { "ab", 2 }, { "", 0 }, { "cde", 3 } };
		r = storage_callv(st_echo, 3, b, out, sizeof out);
	}
	if (!strncmp(url, "/sized/", 7)) {
		const char *num = url + 7, *cap = strchr(num, '/');
		size_t dstlen = cap ? strtoul(cap + 1, NULL, 10) : sizeof out;
		char *dst = dstlen > sizeof out ? malloc(dstlen) : out;
		const size_t want = strtoul(num, NULL, 10);
		char first[5] = "";
		int ok = 1;
		r = storage_call(st_sized, num, cap ? (size_t)(cap - num) :
		    strlen(num), dst, dstlen);
		for (long i = 0; i < r; i++)
			ok &= dst[i] == (char)('a' + i % 26);
		memcpy(first, dst, r > 0 ? (r < 4 ? (size_t)r : 4) : 0);
		snprintf(out, sizeof out, "want=%zu ok=%d first=%s", want, ok,
		    first);
		if (dst != out)
			free(dst);
	}
	if (!strcmp(url, "/nodst"))
		r = storage_call(st_sized, "100", 3, NULL, 0);
	if (!strcmp(url, "/crash"))
		r = storage_call(st_crash, NULL, 0, out, sizeof out);
	if (!strcmp(url, "/loop"))
		r = storage_call(st_loop, NULL, 0, out, sizeof out);
	if (!strcmp(url, "/exit"))
		r = storage_call(st_exit, NULL, 0, out, sizeof out);
	if (!strcmp(url, "/noreturn"))
		r = storage_call(st_noreturn, NULL, 0, out, sizeof out);
	if (!strcmp(url, "/nothing"))
		r = storage_call(st_nothing, NULL, 0, out, sizeof out);
	if (!strcmp(url, "/nested"))
		r = storage_call(st_nested, NULL, 0, out, sizeof out);
	if (!strcmp(url, "/disallowed"))
		r = storage_call(st_disallowed, NULL, 0, out, sizeof out);
	if (!strcmp(url, "/toomany")) {
		static struct virtbuffer b[65];
		r = storage_callv(st_echo, 65, b, out, sizeof out);
	}
	if (!strcmp(url, "/badbuf")) {
		const struct virtbuffer b[1] = { { (void *)16, 4 } };
		r = storage_callv(st_echo, 1, b, out, sizeof out);
	}
	if (!strcmp(url, "/return"))
		storage_return("x", 1);
	if (!strcmp(url, "/allow"))
		r = snprintf(out, sizeof out, "main=%d request=%ld", main_allow,
		    sys_storage_allow((void (*)(void))st_nothing));
	if (!strcmp(url, "/taskruns")) {
		sleep_ms(200);
		storage_call(st_tasks, NULL, 0, out, sizeof out);
		r = strtol(out + 5, NULL, 10) >= 5;
	}
	if (!strcmp(url, "/taskcrash")) {
		r = storage_task(task_crash, NULL, 0);
		sleep_ms(100);
		storage_call(st_state, NULL, 0, out, sizeof out);
	}
	if (!strcmp(url, "/tasks")) {
		long id = schedule_storage_task(task_tick, "tick", 4, 0, 0.02f);
		long once = storage_task(task_once, "abc", 3);
		long r1, r2, stop1, stop2;
		sleep_ms(300);
		stop1 = stop_storage_task(id);
		stop2 = stop_storage_task(id);
		sleep_ms(60);
		storage_call(st_tasks, NULL, 0, out, sizeof out);
		r1 = strtol(out + 5, NULL, 10);
		sleep_ms(100);
		memset(out, 0, sizeof out);
		r = storage_call(st_tasks, NULL, 0, out, sizeof out);
		r2 = strtol(out + 5, NULL, 10);
		snprintf(out + r, sizeof out - (size_t)r - 1, " id>0=%d once=%ld "
		    "stop=%ld,%ld many=%d still=%d", id > 0, once, stop1, stop2,
		    r1 >= 5, r1 == r2);
		r = (long)strlen(out);
	}
	out[sizeof out - 1] = '\0';
	respond(r, out);
}

int
main(void)
{
	if (sys_is_storage()) {
		if (getenv("STORAGE_INIT_CRASH"))
			*(volatile int *)0 = 1;
		if (getenv("STORAGE_INIT_RETURN"))
			storage_return("x", 1);
		if (getenv("STORAGE_INIT_TASK"))
			schedule_storage_task(task_tick, "tick", 4, 0, 0.01f);
		counter = 1000;
		STORAGE_ALLOW(st_incr);
		STORAGE_ALLOW(st_state);
		STORAGE_ALLOW(st_echo);
		STORAGE_ALLOW(st_sized);
		STORAGE_ALLOW(st_crash);
		STORAGE_ALLOW(st_loop);
		STORAGE_ALLOW(st_exit);
		STORAGE_ALLOW(st_noreturn);
		STORAGE_ALLOW(st_nothing);
		STORAGE_ALLOW(st_nested);
		STORAGE_ALLOW(st_tasks);
		STORAGE_ALLOW(task_tick);
		STORAGE_ALLOW(task_once);
		STORAGE_ALLOW(task_crash);
	} else {
		main_allow = (int)sys_storage_allow((void (*)(void))st_nothing);
	}
	set_backend_get(on_get);
	wait_for_requests();
}
