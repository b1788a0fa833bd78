#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Scan a QEMU console log for kernel problems and the init's end marker.

Usage: logcheck.py LOG   (prints problems, exit 1 if any)
Also imported by ktap-summary.py and demo-summary.py.
Set AW_LOG_ALLOW to a regex of lines that are expected (not problems).
"""
import os
import re
import sys

# Each pattern marks a line as a problem (searched anywhere in the line).
BAD = [
    r'WARNING:', r'BUG:', r'Oops', r'Kernel panic', r'Call Trace',
    r'general protection fault', r'Unable to handle',
    r'possible recursive locking', r'inconsistent lock state',
    r'possible circular locking', r'INFO: lockdep', r'DEBUG_LOCKS_WARN_ON',
    r'suspicious RCU usage', r'blocked for more than', r'soft lockup',
    r'detected stalls?', r'KASAN', r'KCSAN', r'UBSAN',
    # kmemleak: everything but its boot banner (the init copies the report
    # of its final scan as "kmemleak: ..." lines, see mk-initramfs.sh)
    r'kmemleak: (?!Kernel memory leak detector initialized)',
    r'suspected memory leak', r'unreferenced object',
    r'ODEBUG', r'list_(add|del) corruption', r'refcount_t:',
    r'AW-HOST: watchdog',
]
BAD_RE = re.compile('|'.join(BAD))
DONE_RE = re.compile(r'AW-INIT: done status=(\d+)')

# KCSAN reports of races inside the kernel itself, not in atomic_waker or our
# tests: the pair of racing functions, and why the kernel means it.  Any
# other KCSAN report, and any report naming one of our functions, fails.
KNOWN_KERNEL_RACES = {
    frozenset({'__hrtimer_run_queues', 'hrtimer_active'}):
        'hrtimer_active() reads base->running and timer->state locklessly '
        'under base->seq, by design (kernel/time/hrtimer.c, 6.12)',
    frozenset({'hrtimer_wakeup', 'schedule_hrtimeout_range_clock'}):
        'the hrtimer sleeper clears t->task with a plain store that '
        'schedule_hrtimeout_range_clock() reads plainly as a hint before '
        'schedule(), as usleep_range() does (kernel/time/hrtimer.c, 6.12)',
}
KCSAN_RE = re.compile(r'BUG: KCSAN: data-race in (\S+)(?: / (\S+))?')


def known_kernel_race(line):
    """Why a KCSAN report line is a known kernel-core race, or None."""
    m = KCSAN_RE.search(line)
    if not m:
        return None
    funcs = frozenset(f.split('+')[0] for f in m.groups() if f)
    return KNOWN_KERNEL_RACES.get(funcs)


def check(path):
    """Return a list of problem strings (empty when the log is clean)."""
    allow = os.environ.get('AW_LOG_ALLOW')
    allow_re = re.compile(allow) if allow else None
    problems = []
    done = None
    with open(path, errors='backslashreplace') as f:
        for num, line in enumerate(f, 1):
            line = line.rstrip()
            m = DONE_RE.search(line)
            if m:
                done = int(m.group(1))
            if 'AW-INIT: FAILED' in line:
                problems.append(f'{path}:{num}: {line}')
            elif BAD_RE.search(line) and not (allow_re and allow_re.search(line)):
                why = known_kernel_race(line)
                if why:
                    print(f'  LOG: known kernel race, not ours ({why}): {path}:{num}: {line}')
                else:
                    problems.append(f'{path}:{num}: {line}')
    if done is None:
        problems.append('no "AW-INIT: done" marker: the guest crashed, hung '
                        'or was killed by the watchdog')
    elif done != 0 and not any('AW-INIT: FAILED' in p for p in problems):
        problems.append(f'init finished with status={done}')
    return problems


def report(path):
    """Print the problems; return 1 if there were any (one failed 'test')."""
    problems = check(path)
    for p in problems:
        print(f'  LOG: {p}')
    if problems:
        print(f'log check: FAILED ({len(problems)} problem lines, counted as 1 failed test)')
        return 1
    print('log check: clean (no WARNING/BUG/Oops/lockdep/hung task; init completed)')
    return 0


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(report(sys.argv[1]))
