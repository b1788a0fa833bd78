/* SPDX-License-Identifier: GPL-2.0 */
/* linux/irq_work.h for user space: see kshim.h */
#include <kshim.h>
