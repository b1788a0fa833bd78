#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Show the demo's console lines and decide PASS/FAIL.

Usage: demo-summary.py LOG
PASS needs "atomic_waker_demo: PASS", no "atomic_waker_demo: FAIL", and a
clean log (logcheck.py). Exit 1 on FAIL.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import logcheck  # noqa: E402


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    log = sys.argv[1]
    verdict = None
    print('demo output:')
    with open(log, errors='backslashreplace') as f:
        for line in f:
            if 'atomic_waker_demo:' in line or 'AW-INIT:' in line:
                print('  ' + line.rstrip())
            if 'atomic_waker_demo: FAIL' in line:
                verdict = 'FAIL'
            elif 'atomic_waker_demo: PASS' in line and verdict is None:
                verdict = 'PASS'
    bad = logcheck.report(log)
    print(f'console log: {log}')
    if verdict == 'PASS' and not bad:
        print('demo: PASS')
        return 0
    print(f'demo: FAIL ({"no PASS line from the demo" if verdict is None else "demo said FAIL" if verdict == "FAIL" else "bad console log"})')
    return 1


if __name__ == '__main__':
    sys.exit(main())
