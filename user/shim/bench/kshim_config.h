/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench/kshim_config.h - found before ../kshim_config.h on the benchmark's
 * include path (bench/user/build.rs): the shim as the kernel's x86-64
 * instructions, with stubs for what the benchmark does not use
 * (kshim_bench.h).
 */
#define KSHIM_BENCH	1
