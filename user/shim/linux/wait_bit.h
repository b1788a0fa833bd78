/* SPDX-License-Identifier: GPL-2.0 */
/* linux/wait_bit.h for user space: see kshim.h */
#include <kshim.h>
