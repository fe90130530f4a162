/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vmod_tinykvm internals.  The VMOD is glue: programs are defined by the
 * config library (config/), run by the engine (engine/include/tinykvm),
 * and served to Varnish here.
 *
 * Objects:
 *   struct vmod_state   one per VCL (PRIV_VCL): definitions and programs
 *   struct vprogram     one per program name in use: load state, director
 *   struct vinstance    one loaded program (engine program + VM pool);
 *                       reference-counted so invalidation and live update
 *                       never pull VMs from under a running request
 */
#ifndef TINYKVM_VMOD_H
#define TINYKVM_VMOD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cache/cache_varnishd.h"
#include "cache/cache_filter.h"
#include "vcl.h"

#include "tinykvm/engine.h"
#include "program_config.h"
#include "VSC_tinykvm.h"
#include "remote.h"

#define VMOD_LOG_PREFIX "tinykvm: "

enum vprogram_state {
	VP_UNLOADED = 0,
	VP_LOADING,
	VP_READY,
	VP_FAILED,
};

struct vstats {
	uint64_t invocations, failures, exceptions, timeouts, resets;
	uint64_t replacements;		/* failed resets: VM recreated */
	uint64_t reservation_timeouts;
	double reservation_time, run_time, reset_time;
	uint64_t input_bytes, output_bytes;
	uint64_t status[6];	/* 1xx..5xx, [0] other */
};

/* debug.c: what the debug waiting callback says. */
struct vdebug {
	const char *name, *path;
	char path_copy[256];
	struct tkvm_debug_config cfg;
	char listen[256];
};

/* What counters_vm_end() last saw of a request VM's engine counters. */
struct vmarks {
	uint64_t resets, replacements;
};

struct vinstance {
	unsigned magic;
#define VINSTANCE_MAGIC 0x5b1e2d01
	unsigned refcnt;		/* under vprogram->mtx */
	struct vprogram *vp;
	struct tkvm_program *prog;
	unsigned nvms;
	bool *busy;			/* which request VMs are reserved */
	struct vstats *vm_stats;	/* one per request VM */
	struct vmarks *marks;		/* one per request VM */
	uint64_t storage_calls_seen;	/* under vprogram->mtx */
	double loaded_at;
	double load_time;
	struct vdebug crash_debug;	/* remote_debug_on_exception */
	/* A live update: when its binary was in hand (VTIM_mono), and from
	 * then to the end of the first request it served (0: none yet). */
	double received_at;
	double first_served;
};

struct vprogram {
	unsigned magic;
#define VPROGRAM_MAGIC 0x5b1e2d02
	char *name;
	struct vmod_state *state;
	pthread_mutex_t mtx;
	pthread_cond_t cond;		/* state changes, VMs freed */
	enum vprogram_state ls;
	char error[256];		/* why the last load failed */
	struct vinstance *current;
	/* A live update moving state: new requests wait until the switch
	 * (program_acquire), requests of the old program drain first. */
	bool switching;
	pthread_mutex_t update_mtx;	/* one load or update at a time */
	uint64_t live_updates;		/* switches to a new binary */
	struct tkvm_live_result last_live; /* of the last switch */
	VCL_BACKEND director;
	VCL_BACKEND live_director;
	char **main_args;		/* main_arguments(), NULL-terminated */
	bool debug;			/* start(debug): next load under gdb */
	void *storage;			/* the separate storage program the */
	size_t storage_len;		/* current instance runs, or NULL */
	struct vprogram *next;
};

struct vmod_state {
	unsigned magic;
#define VMOD_STATE_MAGIC 0x5b1e2d03
	pthread_mutex_t mtx;
	/* library() and configure() change the library while programs that
	 * start asynchronously look definitions up in it. */
	pthread_rwlock_t lib_lock;
	struct program_library *library;
	struct vprogram *programs;
	char *self_socket, *self_prefix;
	long self_max;
	unsigned self_active;		/* self-requests in flight */
	struct remote_settings remote;	/* downloads: remote_settings() */
	struct VSC_tinykvm *vsc;	/* TINYKVM.<vcl>.* in varnishstat */
	struct vsc_seg *vsc_seg;
};

/* counters.c: varnishstat counters, updated by many threads at once. */
#define COUNT_ADD(field, n) \
	((void)__atomic_fetch_add(&(field), (uint64_t)(n), __ATOMIC_RELAXED))
void counters_create(VRT_CTX, struct vmod_state *st);
void counters_destroy(struct vmod_state *st);
void counters_show(struct vmod_state *st, bool show);
void counters_request(struct vmod_state *st, const struct tkvm_response *r,
    int rc);
void counters_vm_end(struct vmod_state *st, struct vinstance *vi, int slot,
    struct tkvm_reqvm *vm);
void counters_storage(struct vmod_state *st, struct vinstance *vi);
void live_update_counted(struct vmod_state *st, bool ok);

/* reqlog.c: a program's sys_log text and output during one request, as
 * bounded, escaped VCL_Log lines of that request. */
#define LOG_LINE_MAX	1024	/* bytes of text per record */
#define LOG_LINES_MAX	64	/* records per request */
#define LOG_MARKER_MAX	48	/* the "[truncated ...]" marker */
struct vreqlog {
	const struct vrt_ctx *ctx;
	const char *name;		/* the program's */
	struct VSC_tinykvm *vsc;
	unsigned lines, dropped;
	int part_fd;			/* 1 or 2: a partial line waits */
	size_t part_len, part_cut;	/* kept and left-out bytes of it */
	char part[LOG_LINE_MAX];
};
void reqlog_init(struct vreqlog *lg, VRT_CTX, const char *name,
    struct VSC_tinykvm *vsc);
void reqlog_text(struct vreqlog *lg, const char *text, size_t len);
void reqlog_output(struct vreqlog *lg, int fd, const char *data, size_t len);
void reqlog_finish(struct vreqlog *lg);

vmod_event_f vmod_event;

/* log.c: VSLb when the task has a log, else the shared log (vxid 0). */
void vlog(VRT_CTX, enum VSL_tag_e tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* programs.c */
struct vmod_state *state_get(VRT_CTX, struct vmod_priv *priv);
void state_free(struct vmod_state *st);
struct vprogram *program_get(VRT_CTX, struct vmod_state *st, const char *name);
/* Loads if needed and takes a reference; NULL with a logged reason. */
struct vinstance *program_acquire(VRT_CTX, struct vprogram *vp);
void instance_release(struct vinstance *vi);
void instance_destroy(struct vinstance *vi);	/* one never published */
/* Reserves a request VM; -1 after the reservation timeout. */
int instance_reserve(struct vinstance *vi, double timeout);
void instance_free_vm(struct vinstance *vi, int slot);
/* What a load or live update did, for its caller's message. */
struct vupdate {
	double load_s;			/* the new program, to ready */
	double drain_s;			/* old requests finishing */
	double switch_s;		/* binary in hand -> new one serving */
	bool replaced;			/* an old program was replaced */
	struct tkvm_live_result live;	/* the state transfer */
};
/* Loads vp from image (from its definition when NULL) and makes it
 * current, moving the old program's state when it has on_live_update;
 * up may be NULL.  On failure the old program keeps serving. */
int program_load_now(VRT_CTX, struct vprogram *vp, const void *image,
    size_t len, struct vupdate *up, char *err, size_t errlen);
/* One line about what an update did (up from program_load_now). */
void vupdate_describe(const struct vupdate *up, char *out, size_t outlen);
void program_start_async(struct vprogram *vp);
int program_invalidate(struct vprogram *vp);
const struct program_def *program_def(const struct vprogram *vp);
/* library_find() under the library's read lock; NULL without a library. */
const struct program_def *state_find(struct vmod_state *st, const char *name);

/* debug.c: start(debug = true) and the debug session of a load. */
int debug_start(VRT_CTX, struct vprogram *vp);
/* The debug session for this load, or NULL; n must outlive the load. */
const struct tkvm_debug_config *debug_config(struct vprogram *vp,
    const struct program_def *def, struct vdebug *n);
/* remote_debug_on_exception: the session a crashing request VM opens,
 * or NULL; n lives in the instance, as long as its program. */
const struct tkvm_debug_config *debug_crash_config(struct vprogram *vp,
    const struct program_def *def, struct vdebug *n);

/* live_update.c: moves old's state into vi (not serving yet), first
 * letting old's requests end when its state is in a storage VM. */
int live_transfer(VRT_CTX, struct vprogram *vp, struct vinstance *old,
    struct vinstance *vi, struct vupdate *up, char *err, size_t errlen);
/* Whether the loaded program has state to move (invalidate reloads it). */
bool program_has_live_state(struct vprogram *vp);

/* run.c: running one request on a program, shared by all entry points */
struct vrun {
	struct vinstance *vi;
	int slot;
	struct tkvm_reqvm *vm;
	struct tkvm_response resp;
	int rc;
	double t0;
	struct vsl_log *vsl;		/* of the task that runs it */
	const char *name;		/* the program's */
	void *streamed;			/* a drained streamed body, malloc'd */
};
struct vhttp {
	VRT_CTX;
	struct http *req, *resp;	/* NULL: header calls fail */
	struct vmod_state *st;		/* for sys_fetch/sys_request */
	struct vreqlog log;		/* set up by run_request() */
	/* The last header copy bridge_set() made: replacing it while it is
	 * still the newest allocation of its workspace reuses its room. */
	const char *copy;
	struct ws *copy_ws;
	uintptr_t copy_below, copy_top;
};
/* stream: the caller pulls a streamed response (tkvm_stream_pull);
 * otherwise run_request() drains it into run->resp.body. */
int run_request(VRT_CTX, struct vprogram *vp, struct tkvm_request *req,
    struct vhttp *hb, struct vrun *run, bool stream);
void run_finish(struct vrun *run);
extern const struct tkvm_http_ops vmod_http_ops;

/* regex.c: sys_regex_* with Varnish's VRE */
extern const struct tkvm_regex_ops vmod_regex_ops;
bool ws_fits(struct ws *ws, size_t len);

/* chain.c */
struct chain_item {
	struct vprogram *vp;		/* NULL: the built-in "fetch" step */
	struct vmod_state *st;
	const char *url, *arg;		/* what the program is handed */
	int error_treshold;
};
#define CHAIN_MAX 16
struct chain {
	unsigned magic;
#define CHAIN_MAGIC 0x5b1e2d04
	unsigned n;
	struct chain_item items[CHAIN_MAX];
};
struct chain *chain_get(VRT_CTX, bool create);
/* Runs the queued chain; the last body (malloc'd) goes to *body.
 * Returns the last status, or -1 (logged). */
bool self_enter(struct vmod_state *st);
void self_leave(struct vmod_state *st);
int chain_run(VRT_CTX, struct chain *c, const char *method, void **body,
    size_t *len, char *ctype, size_t ctlen);

/* Does f with the shared HTTP client (http/http_client.h); a relative URL is a
 * self-request through init_self_requests()'s socket or prefix. */
int fetch_url(struct vmod_state *st, struct tkvm_fetch *f);

/* stats.c */
VCL_STRING stats_json(VRT_CTX, struct vmod_state *st, const char *pattern,
    long indent);

#endif
