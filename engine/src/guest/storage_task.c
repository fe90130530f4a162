/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Storage tasks: sys_storage_task(fn, data, len, start_ms, period_ms) runs
 * fn(data, len) in the storage VM on a thread of the engine, once or every
 * period_ms, taking the storage lock like a storage call (so tasks never
 * run at the same time as calls).  The thread starts with the first task
 * and ends when the program is destroyed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "program.h"

#define MAX_TASKS	15		/* scheduled at once, as published */
#define MAX_TASK_DATA	(2UL << 20)	/* bytes, as published */
#define MAX_MS		(10ULL * 365 * 86400 * 1000)	/* start, period */

struct task {
	long id;		/* 0: a free slot */
	uint64_t fn;
	void *data;
	size_t len;
	struct timespec next;
	uint64_t period_ms;	/* 0: once */
};

struct storage_tasks {
	struct tkvm_program *p;
	pthread_t thread;
	bool started, stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* CLOCK_MONOTONIC */
	struct task t[MAX_TASKS];
	long last_id;
};

static void
add_ms(struct timespec *ts, uint64_t ms)
{
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static bool
before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* One run of fn(data, len) with the storage lock held. */
static void
run_task(struct tkvm_program *p, uint64_t fn, const void *data, size_t len)
{
	struct storage *s = p->storage;
	struct storage_call c = { .kind = SCALL_CALL };
	enum tkvm_stop stop;
	uint64_t addr, args[CALL_ARGS] = { 0 };
	char why[160];
	bool failed = true;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&s->lock);
	if (s->vm != NULL && storage_stack_room(s) >= len) {
		addr = (s->stack_top - len) & ~15ULL;
		if (len == 0 || gmem_put(s->vm, addr, data, len) == 0) {
			args[0] = len ? addr : 0;
			args[1] = len;
			failed = storage_run(p, fn, args, addr, &c,
			    p->cfg.max_storage_time, 0, &stop, why, sizeof why) != 0;
			if (failed)
				vm_verbose(s->vm ? s->vm : s->base,
				    "storage task 0x%llx failed: %s",
				    (unsigned long long)fn, why);
		}
	}
	pthread_mutex_unlock(&s->lock);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_mutex_lock(&s->stats_lock);
	s->stats.tasks++;
	s->stats.task_failures += failed;
	s->stats.task_s += (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	pthread_mutex_unlock(&s->stats_lock);
}

/* The earliest task, or NULL. */
static struct task *
earliest(struct storage_tasks *ts)
{
	struct task *best = NULL;

	for (unsigned i = 0; i < MAX_TASKS; i++)
		if (ts->t[i].id != 0 &&
		    (best == NULL || before(&ts->t[i].next, &best->next)))
			best = &ts->t[i];
	return best;
}

static void *
task_thread(void *arg)
{
	struct storage_tasks *ts = arg;
	struct timespec now;

	pthread_mutex_lock(&ts->mu);
	while (!ts->stop) {
		struct task *t = earliest(ts), run;
		void *copy;
		if (t == NULL) {
			pthread_cond_wait(&ts->cv, &ts->mu);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (before(&now, &t->next)) {
			pthread_cond_timedwait(&ts->cv, &ts->mu, &t->next);
			continue;
		}
		run = *t;
		copy = run.len ? malloc(run.len) : NULL;
		if (copy != NULL)
			memcpy(copy, run.data, run.len);
		if (run.period_ms != 0) {
			t->next = now;
			add_ms(&t->next, run.period_ms);
		} else {
			free(t->data);
			memset(t, 0, sizeof *t);
		}
		pthread_mutex_unlock(&ts->mu);
		if (copy != NULL || run.len == 0)
			run_task(ts->p, run.fn, copy, run.len);
		free(copy);
		pthread_mutex_lock(&ts->mu);
	}
	pthread_mutex_unlock(&ts->mu);
	return NULL;
}

static struct storage_tasks *
tasks_new(struct tkvm_program *p)
{
	struct storage_tasks *ts = calloc(1, sizeof *ts);
	pthread_condattr_t ca;

	if (ts == NULL)
		return NULL;
	ts->p = p;
	pthread_mutex_init(&ts->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ts->cv, &ca);
	pthread_condattr_destroy(&ca);
	return ts;
}

/* Starts the thread (ts->mu held). */
static void
tasks_start(struct storage_tasks *ts)
{
	if (!ts->started && !ts->stop)
		ts->started = pthread_create(&ts->thread, NULL, task_thread,
		    ts) == 0;
}

/* The storage VM serves from now on: tasks added during its
 * initialization start. */
void
storage_tasks_begin(struct storage *s)
{
	struct storage_tasks *ts;

	pthread_mutex_lock(&s->stats_lock);
	s->serving = true;
	ts = s->tasks;
	pthread_mutex_unlock(&s->stats_lock);
	if (ts == NULL)
		return;
	pthread_mutex_lock(&ts->mu);
	tasks_start(ts);
	pthread_mutex_unlock(&ts->mu);
}

void
storage_tasks_stop(struct storage *s)
{
	struct storage_tasks *ts = s->tasks;

	if (ts == NULL)
		return;
	pthread_mutex_lock(&ts->mu);
	ts->stop = true;
	pthread_cond_signal(&ts->cv);
	pthread_mutex_unlock(&ts->mu);
	if (ts->started)
		pthread_join(ts->thread, NULL);
	for (unsigned i = 0; i < MAX_TASKS; i++)
		free(ts->t[i].data);
	pthread_cond_destroy(&ts->cv);
	pthread_mutex_destroy(&ts->mu);
	free(ts);
	s->tasks = NULL;
}

/* rdi fn, rsi data, rdx len, rcx start_ms, r8 period_ms: the task's id
 * for a timed task, 0 for one to run now, -1 when refused. */
int64_t
api_storage_task(struct tkvm_vm *vm, struct kvm_regs *r)
{
	struct storage *s = vm->program ? vm->program->storage : NULL;
	const uint64_t len = r->rdx;
	struct storage_tasks *ts;
	struct task *t = NULL;
	void *data = NULL;
	bool serving;
	long id;

	if (s == NULL) {
		vm_fail(vm, TKVM_STOP_ERROR, "sys_storage_task: the program has "
		    "no storage VM (\"storage\": true in its settings)");
		return -1;
	}
	if (!storage_allowed(s, r->rdi)) {
		vm_fail(vm, TKVM_STOP_ERROR, "sys_storage_task: function 0x%llx "
		    "is not allowed by sys_storage_allow()",
		    (unsigned long long)r->rdi);
		return -1;
	}
	if (len > MAX_TASK_DATA || (len != 0 && gmem_at(vm, r->rsi, len) == NULL)) {
		/* Published: reading the data throws (more than 2 MiB, or
		 * not in the program's memory). */
		vm_fail(vm, TKVM_STOP_ERROR, "sys_storage_task: bad data pointer "
		    "or length (at most %lu bytes)", MAX_TASK_DATA);
		return -1;
	}
	if (len != 0 && (data = malloc(len)) == NULL)
		return -1;
	if (len != 0)
		gmem_copy(vm, data, r->rsi, len);
	pthread_mutex_lock(&s->stats_lock);
	if (s->tasks == NULL)
		s->tasks = tasks_new(vm->program);
	ts = s->tasks;
	serving = s->serving;
	pthread_mutex_unlock(&s->stats_lock);
	if (ts == NULL) {
		free(data);
		return -1;
	}
	pthread_mutex_lock(&ts->mu);
	for (unsigned i = 0; i < MAX_TASKS && t == NULL; i++)
		if (ts->t[i].id == 0)
			t = &ts->t[i];
	if (t == NULL) {
		pthread_mutex_unlock(&ts->mu);
		free(data);
		return -1;
	}
	id = ++ts->last_id;
	t->id = id;
	t->fn = r->rdi;
	t->data = data;
	t->len = len;
	t->period_ms = r->r8 < MAX_MS ? r->r8 : MAX_MS;
	clock_gettime(CLOCK_MONOTONIC, &t->next);
	add_ms(&t->next, r->rcx < MAX_MS ? r->rcx : MAX_MS);
	if (serving)
		tasks_start(ts);
	pthread_cond_signal(&ts->cv);
	pthread_mutex_unlock(&ts->mu);
	return r->rcx == 0 && r->r8 == 0 ? 0 : id;
}

/* 1 when the task was stopped, 0 when there was no such task. */
int64_t
api_stop_storage_task(struct tkvm_vm *vm, struct kvm_regs *r)
{
	struct storage *s = vm->program ? vm->program->storage : NULL;
	struct storage_tasks *ts = s ? s->tasks : NULL;
	int64_t found = 0;

	if (ts == NULL || r->rdi == 0)
		return 0;
	pthread_mutex_lock(&ts->mu);
	for (unsigned i = 0; i < MAX_TASKS; i++) {
		if (ts->t[i].id == (long)r->rdi) {
			free(ts->t[i].data);
			memset(&ts->t[i], 0, sizeof ts->t[i]);
			found = 1;
		}
	}
	pthread_mutex_unlock(&ts->mu);
	return found;
}
