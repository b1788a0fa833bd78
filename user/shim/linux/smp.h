/* SPDX-License-Identifier: GPL-2.0 */
/* linux/smp.h for user space: see kshim.h */
#include <kshim.h>
