/* SPDX-License-Identifier: GPL-2.0 */
/* linux/spinlock.h for user space: see kshim.h */
#include <kshim.h>
