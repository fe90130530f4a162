/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private to the engine: remote debugging with GDB (docs/DEBUGGING.md).
 *
 * rsp.c speaks the remote serial protocol on one socket (packets,
 * checksums, acknowledgements); gdbstub.c answers gdb's packets from a
 * stopped VM (registers, memory, breakpoints, the target description);
 * debug.c turns guest exceptions into stops and runs the VM between them.
 *
 * Breakpoints and single steps travel the guest's own exception path:
 * int3 raises #BP and RFLAGS.TF raises #DB, both delivered through the
 * IDT to the exception stubs (cpu/tables.c), which leave with `out`.
 * That works alike on hardware KVM and on software KVM (PVM), where
 * KVM_SET_GUEST_DEBUG cannot be relied upon.
 */
#ifndef TKVM_DEBUG_H
#define TKVM_DEBUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tinykvm/engine.h"
#include "vm.h"

/* rsp.c: the connection. */
#define RSP_PACKET_MAX	4096	/* payload bytes, what qSupported says */

struct rsp_conn {
	int listen_fd;			/* -1 once closed */
	int fd;				/* the client, -1 before accept */
	bool no_ack;			/* QStartNoAckMode was accepted */
	double wait_s;			/* per accept and per packet; 0 = forever */
	char target[160];		/* what gdb's `target remote` takes */
	char unix_path[108];		/* a unix socket to unlink, or "" */
	char in[RSP_PACKET_MAX + 1];	/* the last packet, NUL-terminated */
	size_t in_len;
	char out[2 * RSP_PACKET_MAX + 8];
};

int rsp_listen(struct rsp_conn *c, const char *where, char *err, size_t errlen);
/* 0 with a client, -1 with why (time out, error). */
int rsp_accept(struct rsp_conn *c, char *why, size_t whylen);
/* Reads one packet into c->in (acked unless no_ack).  1 with a packet,
 * 0 when the client left, -1 with why on a timeout or error.  A bad
 * checksum is answered with '-' and the next packet read; an oversized
 * packet is read to its end and given as "" with *oversized set. */
int rsp_read(struct rsp_conn *c, bool *oversized, char *why, size_t whylen);
/* Sends one packet (binary-escaped); -1 if the client is gone. */
int rsp_send(struct rsp_conn *c, const char *data, size_t len);
int rsp_send_str(struct rsp_conn *c, const char *s);
void rsp_close_client(struct rsp_conn *c);
void rsp_close(struct rsp_conn *c);

/* Hex helpers shared with gdbstub.c. */
void hex_encode(char *dst, const void *src, size_t len);
/* -1 unless src holds exactly 2*len hex digits. */
int hex_decode(void *dst, const char *src, size_t len);

/* debug.c: the session of one VM. */
#define DEBUG_MAX_BREAKPOINTS	64

struct debug_bp {
	uint64_t addr;
	uint8_t saved;			/* the byte int3 replaced */
	bool inserted;
};

enum debug_action {
	DEBUG_CONTINUE,			/* resume the guest */
	DEBUG_STEP,			/* one instruction */
	DEBUG_KILL,			/* end the run */
	DEBUG_DETACH,			/* run on without gdb */
};

struct debug_session {
	struct rsp_conn conn;
	struct tkvm_debug_config cfg;
	bool connected, detached;
	bool entry_pending;		/* stop before the first instruction */
	bool owes_reply;		/* gdb resumed and waits for a stop */
	int signal;			/* of the current stop (gdb's numbers) */
	bool swbreak;			/* the stop is at one of our breakpoints */
	int resume_signal;		/* what gdb continued with (C/S) */
	struct debug_bp bp[DEBUG_MAX_BREAKPOINTS];
	unsigned nbp;
};

/* gdbstub.c: serves packets until gdb resumes, detaches or kills. */
enum debug_action gdbstub_serve(struct tkvm_vm *vm, struct debug_session *d,
    char *why, size_t whylen);

/* Guest signal numbers gdb expects in stop replies. */
#define GDB_SIGILL	4
#define GDB_SIGTRAP	5
#define GDB_SIGBUS	7
#define GDB_SIGFPE	8
#define GDB_SIGKILL	9
#define GDB_SIGSEGV	11

/* vm.c calls these.  debug_run() is vm_run() for a VM under gdb. */
bool debug_active(const struct tkvm_vm *vm);
bool debug_is_session(const struct tkvm_vm *vm);
void debug_fini(struct tkvm_vm *vm);
enum vm_halt debug_run(struct tkvm_vm *vm, double timeout_s,
    struct tkvm_result *res);
/* A run that ended in an exception: waits for gdb at the faulting
 * instruction (listening only now), serves it, then lets the fault stand
 * whatever gdb does.  No-op for any other end of a run. */
void debug_hold_crash(struct tkvm_vm *vm, const struct tkvm_debug_config *cfg,
    const struct tkvm_result *res);

#endif
