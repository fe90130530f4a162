/* SPDX-License-Identifier: BSD-2-Clause */
/* The second file of compat_all.c: the header once more, without stubs
 * (KVM_API_ALREADY_DEFINED), so the program links with one copy. */
#define KVM_API_ALREADY_DEFINED
#include <tinykvm/kvm_api.h>

int second_file(void);

int
second_file(void)
{
	return 2 + sys_is_debug();
}
