/* SPDX-License-Identifier: BSD-2-Clause */
/* Before its first system call (no libc: _start is the first code to
 * run), the program jumps into the host's syscall stub as if SYSCALL had
 * been executed, then makes ordinary system calls, reading CS each time.
 * Prints "stub=<getpid> cs=<cs> real=<getpid> cs=<cs>" and exits 0.
 * Build: gcc -static -nostdlib -O2.  argv is not used: the stub address
 * is the engine's layout (engine/src/layout.h, SYSCALL_STUB_ADDR). */
#define STUB 0x1c000UL

static long
sys3(long nr, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c)
	    : "rcx", "r11", "memory");
	return r;
}

static unsigned
cs(void)
{
	unsigned short v;
	__asm__ volatile("mov %%cs, %0" : "=r"(v));
	return v;
}

static char *
put(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static char *
hex(char *p, unsigned long v)
{
	char tmp[16];
	int n = 0;
	*p++ = '0'; *p++ = 'x';
	do { tmp[n++] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

void _start(void) __attribute__((noreturn));
void
_start(void)
{
	char out[128], *p = out;
	long via_stub;

	__asm__ volatile(
	    "lea 1f(%%rip), %%rcx\n\t"
	    "pushfq\n\tpop %%r11\n\t"
	    "mov $39, %%eax\n\t"		/* getpid */
	    "jmp *%1\n"
	    "1:"
	    : "=&a"(via_stub) : "r"(STUB) : "rcx", "r11", "memory");
	p = put(p, "stub=");
	p = hex(p, (unsigned long)via_stub);
	p = put(p, " cs=");
	p = hex(p, cs());
	p = put(p, " real=");
	p = hex(p, (unsigned long)sys3(39, 0, 0, 0));
	p = put(p, " cs=");
	p = hex(p, cs());
	p = put(p, "\n");
	sys3(1, 1, (long)out, p - out);
	sys3(231, 0, 0, 0);
	for (;;)
		;
}
