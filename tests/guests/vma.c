/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linux-like virtual memory (docs/DESIGN.md, "Address space and
 * max_memory"): vma MODE.  Each mode prints what it found; the modes that
 * end in a fault print the address first, so the test can name it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#define PG 4096UL

static long
rss_kib(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

static char *
map(size_t len, int prot)
{
	char *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		printf("mmap %zu failed: %s\n", len, strerror(errno));
		exit(2);
	}
	return p;
}

static int
err(long r)
{
	return r == -1 ? errno : 0;
}

/* 4 GiB PROT_NONE, a few pages of it made read-write and touched. */
static void
reserve(void)
{
	const size_t len = 4UL << 30;
	const size_t at[] = { 0, 1UL << 30, len - PG };
	long before = rss_kib(), after;
	char *p = map(len, PROT_NONE);
	int ok = 1;

	for (int i = 0; i < 3; i++) {
		if (mprotect(p + at[i], PG, PROT_READ | PROT_WRITE) != 0)
			ok = 0;
		memset(p + at[i], 'a' + i, PG);
	}
	for (int i = 0; i < 3; i++)
		ok &= p[at[i] + 100] == 'a' + i;
	after = rss_kib();
	printf("reserved 4096 MiB, touched 3 pages: %s\n", ok ? "ok" : "BAD");
	/* 3 pages and a page table for each: well under 64 KiB. */
	printf("rss grew %s\n", after - before >= 12 && after - before <= 64 ?
	    "by the touched pages only" : "too much");
	fprintf(stderr, "rss %ld -> %ld KiB\n", before, after);
	struct sysinfo si;
	sysinfo(&si);
	printf("sysinfo: total %lu MiB, free below it: %d\n",
	    si.totalram >> 20, si.freeram > 0 && si.freeram < si.totalram);
}

static void
big_malloc(void)
{
	char *m = malloc(512UL << 20);

	if (m == NULL) {
		printf("malloc(512 MiB) NULL\n");
		return;
	}
	memset(m, 1, 1 << 20);
	printf("malloc(512 MiB) ok, touched 1 MiB, sum %d\n", m[4096] + m[(1 << 20) - 1]);
	free(m);
}

static void
over_limit(long mib)
{
	char *m = malloc((size_t)mib << 20);

	printf("malloc(%ld MiB) %s\n", mib, m ? "ok" : "NULL");
	fflush(stdout);
	if (m != NULL)
		memset(m, 1, (size_t)mib << 20);
	printf("touched %ld MiB: %d\n", mib, m != NULL ? m[12345] : -1);
}

static void
wx(void)
{
	static const unsigned char code[] = { 0xb8, 0x2a, 0, 0, 0, 0xc3 };
	char *p = map(PG, PROT_READ | PROT_WRITE);
	int (*fn)(void) = (int (*)(void))(void *)p;

	memcpy(p, code, sizeof code);
	printf("mprotect RX: %d\n", mprotect(p, PG, PROT_READ | PROT_EXEC));
	printf("call: %d\n", fn());
	printf("mprotect RW: %d\n", mprotect(p, PG, PROT_READ | PROT_WRITE));
	p[1] = 7;
	printf("mprotect RX: %d\n", mprotect(p, PG, PROT_READ | PROT_EXEC));
	printf("call: %d\n", fn());
	printf("write to %p\n", (void *)p);
	fflush(stdout);
	p[1] = 8;
	printf("write went through\n");
}

static void
ro(void)
{
	char *p = map(3 * PG, PROT_READ | PROT_WRITE);

	strcpy(p + PG, "kept");
	printf("mprotect R: %d\n", mprotect(p + PG, PG, PROT_READ));
	p[0] = p[2 * PG] = 'w';		/* the neighbours stay writable */
	printf("read: %s\n", p + PG);
	printf("write to %p\n", (void *)(p + PG));
	fflush(stdout);
	p[PG] = 'x';
	printf("write went through\n");
}

static void
noexec(void)
{
	char *p = map(PG, PROT_READ | PROT_WRITE);
	void (*fn)(void) = (void (*)(void))(void *)p;

	p[0] = (char)0xc3;
	printf("mprotect R: %d\n", mprotect(p, PG, PROT_READ));
	printf("call %p\n", (void *)p);
	fflush(stdout);
	fn();
	printf("call went through\n");
}

static void
guard(void)
{
	char *p = map(3 * PG, PROT_READ | PROT_WRITE);
	volatile char *v = p;

	printf("mprotect NONE: %d\n", mprotect(p + PG, PG, PROT_NONE));
	v[0] = 1;
	v[2 * PG] = 2;
	printf("neighbours: %d %d\n", v[0], v[2 * PG]);
	printf("read of %p\n", (void *)(p + PG));
	fflush(stdout);
	printf("read %d\n", v[PG]);
}

static int
zeros(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static void
dontneed(void)
{
	char *big = map(1 << 20, PROT_READ | PROT_WRITE);
	char *small = map(2 * PG, PROT_READ | PROT_WRITE);

	memset(big, 5, 1 << 20);
	memset(small, 6, 2 * PG);
	int r = madvise(big, 1 << 20, MADV_DONTNEED);
	printf("DONTNEED big: %d zero %d\n", r, zeros(big, 1 << 20));
	r = madvise(small, PG, MADV_DONTNEED);
	printf("DONTNEED small: %d zero %d\n", r, zeros(small, PG));
	printf("untouched page kept: %d\n", small[PG] == 6);
	memset(small, 7, PG);
	r = madvise(small, PG, MADV_FREE);
	printf("FREE: %d zero %d\n", r, zeros(small, PG));
	printf("HUGEPAGE: %d NOHUGEPAGE: %d WILLNEED: %d\n",
	    madvise(big, 1 << 20, MADV_HUGEPAGE),
	    madvise(big, 1 << 20, MADV_NOHUGEPAGE),
	    madvise(big, 1 << 20, MADV_WILLNEED));
	printf("bad advice: %d\n", err(madvise(big, PG, 12345)));
	printf("writable after: %d\n", (big[0] = 1) == 1);
}

static void
remap(void)
{
	char *p = map(2 * PG, PROT_READ | PROT_WRITE), *q, *r;
	char *wall;

	memset(p, 'p', 2 * PG);
	q = mremap(p, 2 * PG, 8 * PG, MREMAP_MAYMOVE);
	printf("grown: %s kept %d new zero %d\n", q == MAP_FAILED ? "no" : "yes",
	    q != MAP_FAILED && q[0] == 'p' && q[2 * PG - 1] == 'p',
	    q != MAP_FAILED && zeros(q + 2 * PG, 6 * PG));
	q = mremap(q, 8 * PG, PG, 0);
	printf("shrunk: %d, tail unmapped %d\n", q != MAP_FAILED && q[0] == 'p',
	    err(mprotect(q + PG, PG, PROT_READ)) == ENOMEM);
	/* A mapping right after it: growing must move. */
	wall = mmap(q + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_FIXED_NOREPLACE, -1, 0);
	printf("wall: %d\n", wall == q + PG);
	printf("no room, no move: %d\n", err((long)mremap(q, PG, 4 * PG, 0)));
	r = mremap(q, PG, 4 * PG, MREMAP_MAYMOVE);
	printf("moved: %d kept %d old unmapped %d\n", r != q && r != MAP_FAILED,
	    r != MAP_FAILED && r[0] == 'p',
	    err(mprotect(q, PG, PROT_READ)) == ENOMEM);
	q = mmap(NULL, 16 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p = mremap(r, 4 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, q + 4 * PG);
	printf("fixed: %d kept %d\n", p == q + 4 * PG, p != MAP_FAILED && p[0] == 'p');
	printf("bad flags: %d, fixed without maymove: %d, unmapped: %d\n",
	    err((long)mremap(p, PG, PG, 64)),
	    err((long)mremap(p, PG, PG, MREMAP_FIXED, q)),
	    err((long)mremap(q + 12 * PG + 16 * PG * 64, PG, 2 * PG, 0)));
}

static void
unmap_middle(void)
{
	char *p = map(5 * PG, PROT_READ | PROT_WRITE), *m;
	int kept = 1;

	for (int i = 0; i < 5; i++)
		memset(p + i * PG, '0' + i, PG);
	printf("munmap middle: %d\n", munmap(p + 2 * PG, PG));
	for (int i = 0; i < 5; i++)
		if (i != 2)
			kept &= p[i * PG] == '0' + i && p[i * PG + PG - 1] == '0' + i;
	printf("others kept: %d\n", kept);
	printf("mprotect of the hole: %d\n", err(mprotect(p + 2 * PG, PG, PROT_READ)));
	printf("mprotect across the hole: %d\n", err(mprotect(p, 5 * PG, PROT_READ)));
	m = mmap(p + PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_FIXED_NOREPLACE, -1, 0);
	printf("noreplace over a mapping: %d\n", m == MAP_FAILED ? errno : 0);
	m = mmap(p + 2 * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	printf("noreplace into the hole: %d zero %d\n", m == p + 2 * PG,
	    m != MAP_FAILED && zeros(m, PG));
	printf("mprotect all: %d\n", mprotect(p, 5 * PG, PROT_READ));
	printf("munmap all: %d\n", munmap(p, 5 * PG));
}

static void
hostile(void)
{
	char *p = map(PG, PROT_READ | PROT_WRITE), *h;

	printf("mprotect stubs: %d\n", err(mprotect((void *)0x4000, PG,
	    PROT_READ | PROT_WRITE | PROT_EXEC)));
	printf("mprotect page tables: %d\n", err(mprotect((void *)0x9000, PG,
	    PROT_READ | PROT_WRITE)));
	printf("mprotect page 0: %d\n", err(mprotect(NULL, PG, PROT_READ)));
	printf("mprotect system area: %d\n", err(mprotect((void *)PG,
	    (2UL << 20) - PG, PROT_READ | PROT_WRITE)));
	printf("mprotect up from system area: %d\n", err(mprotect((void *)0x1c000,
	    8UL << 20, PROT_READ | PROT_WRITE)));
	printf("mprotect unaligned: %d\n", err(mprotect(p + 1, PG, PROT_READ)));
	printf("mprotect wrapping: %d\n", err(mprotect(p, (size_t)-PG, PROT_READ)));
	printf("mprotect huge: %d\n", err(mprotect(p, 1UL << 62, PROT_READ)));
	printf("mprotect bad prot: %d\n", err(mprotect(p, PG, 0x100)));
	printf("mprotect beyond memory: %d\n", err(mprotect((void *)(1UL << 46),
	    PG, PROT_READ)));
	h = mmap((void *)0x4000, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	printf("mmap fixed into system area: %d\n", h == MAP_FAILED ? errno : 0);
	h = mmap((void *)0x4000, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	printf("mmap hint into system area: %s\n", h == MAP_FAILED ? "failed" :
	    (uintptr_t)h >= (2UL << 20) ? "placed above it" : "INSIDE");
	h = mmap(NULL, 1UL << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap huge: %d\n", h == MAP_FAILED ? errno : 0);
	h = mmap(NULL, (size_t)-PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap wrapping: %d\n", h == MAP_FAILED ? errno : 0);
	h = mmap((void *)(-PG * 2), 4 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_FIXED, -1, 0);
	printf("mmap fixed wrapping: %d\n", h == MAP_FAILED ? errno : 0);
	printf("munmap wrapping: %d\n", err(munmap((void *)(-PG * 2), 4 * PG)));
	printf("madvise system area: %d\n", err(madvise((void *)0x9000, PG,
	    MADV_DONTNEED)));
	printf("mremap huge: %d\n", err((long)mremap(p, PG, 1UL << 62,
	    MREMAP_MAYMOVE)));
	printf("mremap fixed into system area: %d\n", err((long)mremap(p, PG, PG,
	    MREMAP_MAYMOVE | MREMAP_FIXED, (void *)0x4000)));
	printf("mremap fixed to 0: %d\n", err((long)mremap(p, PG, PG,
	    MREMAP_MAYMOVE | MREMAP_FIXED, NULL)));
	p[0] = 1;
	printf("still running: %d\n", p[0]);
}

/* Reads the middle of the free address space: between the brk heap and
 * the mappings, far from both. */
static void
wild(void)
{
	volatile char *p = (volatile char *)(3UL << 30);

	printf("read of %p\n", (void *)p);
	fflush(stdout);
	printf("read %d\n", *p);
}

/* The brk heap grows into the absent middle and gives it back. */
static void
brk_far(void)
{
	char *p = sbrk(0);
	volatile char *far = p + (199UL << 20);

	if (sbrk(200UL << 20) != p)
		printf("sbrk failed\n");
	*far = 'f';
	printf("grown: %c\n", *far);
	sbrk(-(200L << 20));
	printf("read of %p\n", (void *)far);
	fflush(stdout);
	printf("read %d\n", *far);
}

/* Protections taken away from pages the guest never used (no flush is
 * due for them) hold all the same. */
static void
fresh(int none)
{
	char *p = map(4 * PG, PROT_READ | PROT_WRITE);
	volatile char *v = p + 2 * PG;

	printf("mprotect %s: %d\n", none ? "NONE" : "R",
	    mprotect(p + 2 * PG, PG, none ? PROT_NONE : PROT_READ));
	p[0] = 1;
	printf("%s %p\n", none ? "read of" : "write to", (void *)v);
	fflush(stdout);
	if (none)
		printf("read %d\n", *v);
	else
		*v = 1;
	printf("went through\n");
}

int
main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	if (strcmp(m, "reserve") == 0)
		reserve();
	else if (strcmp(m, "malloc512") == 0)
		big_malloc();
	else if (strcmp(m, "over") == 0)
		over_limit(argc > 2 ? atol(argv[2]) : 100);
	else if (strcmp(m, "wx") == 0)
		wx();
	else if (strcmp(m, "ro") == 0)
		ro();
	else if (strcmp(m, "noexec") == 0)
		noexec();
	else if (strcmp(m, "guard") == 0)
		guard();
	else if (strcmp(m, "dontneed") == 0)
		dontneed();
	else if (strcmp(m, "mremap") == 0)
		remap();
	else if (strcmp(m, "unmap") == 0)
		unmap_middle();
	else if (strcmp(m, "hostile") == 0)
		hostile();
	else if (strcmp(m, "wild") == 0)
		wild();
	else if (strcmp(m, "brk") == 0)
		brk_far();
	else if (strcmp(m, "fresh_ro") == 0)
		fresh(0);
	else if (strcmp(m, "fresh_none") == 0)
		fresh(1);
	else
		return 1;
	return 0;
}
