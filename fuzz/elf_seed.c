/* SPDX-License-Identifier: BSD-2-Clause */
/* The ELF fuzzer's seed program (fuzz/elf-seeds.sh): exit(0), and with
 * WITH_DATA a data segment and .bss. */
#ifdef WITH_DATA
static char bss[8192];
static volatile int data = 42;
#endif

void _start(void);

void
_start(void)
{
#ifdef WITH_DATA
	bss[data] = 1;
#endif
	__asm__ volatile("mov $60, %eax; xor %edi, %edi; syscall");
}
