/* SPDX-License-Identifier: BSD-2-Clause */
/* The call stubs of the guest API, emitted once by kvm_api.h. */
#include <tinykvm/kvm_api.h>
