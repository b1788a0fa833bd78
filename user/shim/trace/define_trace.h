/* SPDX-License-Identifier: GPL-2.0 */
/* trace/define_trace.h for user space: no trace events to define */
