/* SPDX-License-Identifier: GPL-2.0 */
/* linux/jiffies.h for user space: see kshim.h */
#include <kshim.h>
