/* SPDX-License-Identifier: GPL-2.0 */
/* linux/atomic.h for user space: see kshim.h */
#include <kshim.h>
