/* SPDX-License-Identifier: GPL-2.0 */
/* linux/lockdep_types.h for user space: see kshim.h */
#include <kshim.h>
