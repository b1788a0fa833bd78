/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kshim_config.h - the test build of the shim: nothing to configure.  The
 * benchmark's include path finds bench/kshim_config.h first instead.
 */
