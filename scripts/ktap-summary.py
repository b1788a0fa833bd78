#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarize the KUnit results in a QEMU console log.

Usage: ktap-summary.py KSRC LOG [SUITE...]

Each top-level KTAP document in LOG (one per loaded KUnit module; the empty
"1..0" one of the built-in executor at boot is skipped) is cut out and fed
to KSRC/tools/testing/kunit/kunit.py parse, which prints the test tree.
Test cases are counted as kunit.py does: leaves of the tree, so each
parameterized sub-case counts as one test case.
The sample driver's test and the torture module, if the init ran them, count
as tests too. The last line is always "N passed, N failed". Failed includes
+1 for each of:
a bad console log (see logcheck.py), a KTAP parse error, no test cases run,
a SUITE given on the command line that did not run, a */kunit/* module
loaded by the init that printed no KTAP. Exit 1 if failed > 0.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import logcheck  # noqa: E402

# A top-level KTAP header: nothing but an optional printk timestamp before it.
TOP_KTAP = re.compile(r'^(\[[^\]]*\] ?)?KTAP version \d+$')
PLAN0 = re.compile(r'^(\[[^\]]*\] ?)?1\.\.0$')
LOADING = re.compile(r'AW-INIT: loading (\S+)')
# The sample driver's user-space test (sample/test/aw_sample_test.c).
SAMPLE_RAN = 'AW-INIT: running /bin/aw_sample_test'
SAMPLE_SUM = re.compile(r'aw_sample_test: (\d+) passed, (\d+) failed')


def sample_summary(path):
    """(passed, failed) of aw_sample_test; (0, 1) if it started but printed
    no summary (crashed or hung); None if it did not run."""
    ran, res = False, None
    with open(path, errors='backslashreplace') as f:
        for line in f:
            ran = ran or SAMPLE_RAN in line
            m = SAMPLE_SUM.search(line)
            if m:
                res = (int(m.group(1)), int(m.group(2)))
    if ran and res is None:
        return (0, 1)
    return res


TORTURE_RAN = 'AW-INIT: loading torture/atomic_waker_torture.ko'
TORTURE_OK = 'atomic_waker_torture: SUCCESS'


def torture_summary(path):
    """(1, 0) if the torture module ran and printed SUCCESS, (0, 1) if it
    ran without (FAILURE, crash or hang), None if it did not run."""
    ran = ok = False
    with open(path, errors='backslashreplace') as f:
        for line in f:
            ran = ran or TORTURE_RAN in line
            ok = ok or TORTURE_OK in line
    if not ran:
        return None
    return (1, 0) if ok else (0, 1)


def ktap_blocks(path):
    """Yield (step, lines): one per top-level KTAP document, with the
    "AW-INIT: loading <step>" it appeared under (None at boot)."""
    block = None
    step = None
    with open(path, errors='backslashreplace') as f:
        for line in f:
            line = line.rstrip('\r\n')
            if TOP_KTAP.match(line):
                if block:
                    yield step, block
                block = [line]
            elif 'AW-INIT:' in line:
                if block:
                    yield step, block
                block = None
                m = LOADING.search(line)
                step = m.group(1) if m else None
            elif block is not None:
                block.append(line)
    if block:
        yield step, block


def count(group, counts):
    """Add the leaf test cases of a kunit.py JSON group to counts."""
    for case in group['test_cases']:
        counts[case['status']] = counts.get(case['status'], 0) + 1
    for sub in group['sub_groups']:
        count(sub, counts)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    ksrc, log, expected = sys.argv[1], sys.argv[2], sys.argv[3:]
    kunit_py = os.path.join(ksrc, 'tools/testing/kunit/kunit.py')
    counts = {}
    suites = []
    extra = []
    # every kunit module the init loaded must print a KTAP document
    with open(log, errors='backslashreplace') as f:
        silent = {m.group(1) for m in map(LOADING.search, f)
                  if m and 'kunit' in m.group(1)}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (step, block) in enumerate(ktap_blocks(log)):
            if len(block) > 1 and PLAN0.match(block[1]):
                continue    # built-in executor with no built-in suites
            silent.discard(step)
            ktap = os.path.join(tmp, f'{i}.ktap')
            js = os.path.join(tmp, f'{i}.json')
            with open(ktap, 'w') as f:
                f.write('\n'.join(block) + '\n')
            res = subprocess.run([sys.executable, kunit_py, 'parse',
                                  f'--json={js}', ktap],
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
            for line in res.stdout.splitlines():
                if 'Test results stored in' not in line:   # our temp file
                    print(line)
            try:
                with open(js) as f:
                    tree = json.load(f)
            except (OSError, ValueError):
                extra.append(f'kunit.py parse crashed (exit {res.returncode})')
                continue
            n = sum(counts.values())
            count(tree, counts)
            suites += [g['name'] for g in tree['sub_groups']]
            suites += [c['name'] for c in tree['test_cases']]
            if res.returncode != 0 and counts.get('FAIL', 0) + \
                    counts.get('ERROR', 0) == 0:
                extra.append('kunit.py parse failed (KTAP parse error?)')
            if sum(counts.values()) == n:
                extra.append('a KTAP document without test cases')

    passed = counts.get('PASS', 0)
    failed = counts.get('FAIL', 0) + counts.get('ERROR', 0)
    skipped = counts.get('SKIP', 0)
    print(f'console log: {log}')
    print(f'kunit: {passed + failed + skipped} test cases '
          f'(parameterized sub-cases counted individually) in suites: '
          f'{" ".join(suites) or "(none)"}; {skipped} skipped')
    if passed + failed + skipped == 0:
        extra.append('no KUnit test case ran')
    for m in sorted(silent):
        extra.append(f'{m} printed no KTAP results')
    for s in expected:
        if s not in suites:
            extra.append(f'expected suite "{s}" did not run')
    for what, counts in (
            ('sample driver test (aw_sample_test)', sample_summary(log)),
            ('torture module (atomic_waker_torture)', torture_summary(log))):
        if counts is not None:
            print(f'{what}: {counts[0]} passed, {counts[1]} failed')
            passed += counts[0]
            failed += counts[1]
    for e in extra:
        print(f'FAIL: {e} (counted as 1 failed test)')
    failed += len(extra) + logcheck.report(log)
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
