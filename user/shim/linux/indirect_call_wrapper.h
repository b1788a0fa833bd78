/* SPDX-License-Identifier: GPL-2.0 */
/* linux/indirect_call_wrapper.h for user space: see kshim.h */
#include <kshim.h>
