/* SPDX-License-Identifier: GPL-2.0 */
/* linux/completion.h for user space: see kshim.h */
#include <kshim.h>
