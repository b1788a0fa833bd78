# SPDX-License-Identifier: GPL-2.0
"""Read a QEMU console log: count the results, and check the kernel's health.

What counts (per init step, see initramfs.py):
  - KTAP documents, one per KUnit module loaded: parsed by the kernel's own
    tools/testing/kunit/kunit.py parse; every leaf case counts once;
  - "<name>: N passed, N failed" lines of test programs and modules, the
    last one per name and step;
  - torture modules, as kernel/torture.c prints them: "<name>: SUCCESS" is
    one passed, "<name>: !!! FAILURE" one failed;
  - an xfail step that failed as it should: one passed;
  - a step that failed without printing a failure of its own: one failed.
Each kind of trouble in the log adds one failure: a WARNING, BUG, Oops,
lockdep, KASAN, KCSAN, UBSAN, kmemleak, ODEBUG or hung-task report, the
watchdog, a KUnit suite that should have run and did not, a KUnit module
without KTAP, or no "AW-INIT: done" marker.  Excused, and printed:
  - a WARNING from atomic_waker.c right after a KUnit case printed
    "atomic_waker: expected misuse warning" (each line excuses one);
  - KCSAN reports of races inside the kernel itself (KNOWN_KERNEL_RACES).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

BAD = re.compile('|'.join([
    r'WARNING:', r'BUG:', r'Oops', r'Kernel panic', r'Call Trace',
    r'general protection fault', r'Unable to handle',
    r'possible recursive locking', r'inconsistent lock state',
    r'possible circular locking', r'INFO: lockdep', r'DEBUG_LOCKS_WARN_ON',
    r'suspicious RCU usage', r'blocked for more than', r'soft lockup',
    r'detected stalls?', r'KASAN', r'KCSAN', r'UBSAN',
    # kmemleak: all but its banner (the init copies its final report)
    r'kmemleak: (?!Kernel memory leak detector initialized)',
    r'suspected memory leak', r'unreferenced object',
    r'ODEBUG', r'list_(add|del) corruption', r'refcount_t:',
    r'AW-HOST: watchdog',
]))

# KCSAN reports of races inside the kernel itself, not in atomic_waker or
# its tests: the pair of racing functions, and why the kernel means it.
KNOWN_KERNEL_RACES = {
    frozenset({'__hrtimer_run_queues', 'hrtimer_active'}):
        'hrtimer_active() reads base->running and timer->state locklessly '
        'under base->seq, by design (kernel/time/hrtimer.c, 6.12)',
    frozenset({'hrtimer_wakeup', 'schedule_hrtimeout_range_clock'}):
        'the hrtimer sleeper clears t->task with a plain store that '
        'schedule_hrtimeout_range_clock() reads plainly as a hint before '
        'schedule(), as usleep_range() does (kernel/time/hrtimer.c, 6.12)',
}
KCSAN = re.compile(r'BUG: KCSAN: data-race in (\S+)(?: / (\S+))?')
EXPECT_WARN = 'atomic_waker: expected misuse warning'
CUT_HERE = '------------[ cut here ]------------'
WARN_AT = re.compile(r'WARNING: .* at \S*atomic_waker\.c:\d+ ')
END_TRACE = re.compile(r'---\[ end trace [0-9a-f]* \]---')
STEP = re.compile(r'AW-INIT: step (\d+)/(\d+): (.*)')
SUMMARY = re.compile(r'(?:^|\s)([\w.-]+): (\d+) passed, (\d+) failed')
TORTURE = re.compile(r'(\w+): (SUCCESS|!!! FAILURE)')
KTAP = re.compile(r'^(\[[^\]]*\] ?)?KTAP version \d+$')
PLAN0 = re.compile(r'^(\[[^\]]*\] ?)?1\.\.0$')
SUITE_KTAP = re.compile(r'^(\[[^\]]*\] ?)?    KTAP version \d+$')
# A kernel message that landed inside a KTAP document ("tsc: Refined TSC
# clocksource calibration" between a suite's "KTAP version 1" and its
# "# Subtest:" line breaks kunit.py's parser): unindented, and not KTAP.
STAMP = re.compile(r'^\[[^\]]*\] ?')
KTAP_LINE = re.compile(r'[ \t]|KTAP version|1\.\.|ok |not ok |#')
TOTALS = re.compile(r'# Totals: pass:\d+ fail:\d+ skip:(\d+) ')
TOP_RESULT = re.compile(r'^(\[[^\]]*\] ?)?(not )?ok \d+ ')


def known_kernel_race(line):
    m = KCSAN.search(line)
    if not m:
        return None
    return KNOWN_KERNEL_RACES.get(
        frozenset(f.split('+')[0] for f in m.groups() if f))


class Log:
    """The console log cut into init steps."""

    def __init__(self, path):
        self.path = path
        with open(path, errors='backslashreplace') as f:
            self.lines = [line.rstrip('\r\n') for line in f]
        self.steps = []         # (step text, first line, last line + 1)
        start, text = 0, None
        for i, line in enumerate(self.lines):
            m = STEP.search(line)
            if m:
                self.steps.append((text, start, i))
                start, text = i, m.group(3)
        self.steps.append((text, start, len(self.lines)))


def problems(log):
    """Lines that make a run fail, and the excused ones (printed)."""
    found, excused = [], []
    budget = 0          # expected misuse warnings announced, not yet seen
    in_block = False    # inside an excused WARNING block
    done = None
    for num, line in enumerate(log.lines, 1):
        where = f'{log.path}:{num}: {line}'
        if EXPECT_WARN in line:
            budget += 1
        if in_block:
            in_block = not END_TRACE.search(line)
            continue
        if WARN_AT.search(line) and budget:
            budget -= 1
            in_block = True
            excused.append(f'expected misuse warning: {where}')
            continue
        m = re.search(r'AW-INIT: done status=(\d+)', line)
        if m:
            done = int(m.group(1))
        if 'AW-INIT: FAILED' in line:
            found.append(where)
        elif line.endswith(CUT_HERE):
            continue        # decided by the WARNING line that follows
        elif BAD.search(line):
            why = known_kernel_race(line)
            if why:
                excused.append(f'known kernel race, not ours ({why}): {where}')
            else:
                found.append(where)
    if done is None:
        found.append('no "AW-INIT: done" marker: the guest crashed, hung or '
                     'was killed by the watchdog')
    elif done and not any('AW-INIT: FAILED' in p for p in found):
        found.append(f'init finished with status={done}')
    return found, excused


def ktap_documents(lines):
    """The top-level KTAP documents in @lines (the built-in executor's
    empty one at boot excepted)."""
    docs, doc = [], None
    for line in lines:
        if KTAP.match(line):
            doc = [line]
            docs.append(doc)
        elif 'AW-INIT:' in line:
            doc = None
        elif doc is not None and KTAP_LINE.match(STAMP.sub('', line, 1)):
            doc.append(line)
    docs = [d for d in docs if not (len(d) > 1 and PLAN0.match(d[1]))]
    if not docs:
        docs = headless_document(lines)
    return docs


def headless_document(lines):
    """Before 6.6, a module's suites print no top-level KTAP header of
    their own (the executor printed "1..0" at boot): the suites' indented
    documents and their top-level "ok N" lines, under a header made here."""
    if not any(SUITE_KTAP.match(line) for line in lines):
        return []
    body = [line for line in lines if 'AW-INIT:' not in line]
    n = sum(1 for line in body if TOP_RESULT.match(line))
    # kunit.py strips the printk prefix of the header from every line
    stamp = next(SUITE_KTAP.match(line).group(1) or '' for line in body
                 if SUITE_KTAP.match(line))
    return [[f'{stamp}KTAP version 1', f'{stamp}1..{n}'] + body]


def kunit_parse(ksrc, doc, tmp, rows):
    """Feed one KTAP document to kunit.py; add its counts to @rows."""
    ktap, js = os.path.join(tmp, 'ktap'), os.path.join(tmp, 'json')
    with open(ktap, 'w') as f:
        f.write('\n'.join(doc) + '\n')
    res = subprocess.run([sys.executable, os.path.join(
        ksrc, 'tools/testing/kunit/kunit.py'), 'parse', f'--json={js}', ktap],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in res.stdout.splitlines():
        if 'Test results stored in' not in line:
            print(line)
    try:
        with open(js) as f:
            tree = json.load(f)
    except (OSError, ValueError):
        rows.append(('kunit.py parse crashed', 0, 1))
        return []
    counts = {}

    def walk(group):
        for case in group['test_cases']:
            counts[case['status']] = counts.get(case['status'], 0) + 1
        for sub in group['sub_groups']:
            walk(sub)
    walk(tree)
    # Before 6.6 a skipped parameterized case printed its parameters as
    # plain "ok": take the skips from the suites' own "# Totals:" lines.
    skips = sum(int(m.group(1)) for m in map(TOTALS.search, doc) if m)
    moved = min(max(skips - counts.get('SKIP', 0), 0), counts.get('PASS', 0))
    counts['SKIP'] = counts.get('SKIP', 0) + moved
    counts['PASS'] = counts.get('PASS', 0) - moved
    suites = [g['name'] for g in tree['sub_groups']]
    failed = counts.get('FAIL', 0) + counts.get('ERROR', 0)
    if res.returncode and not failed:
        failed = 1      # a parse error
    rows.append((f'KUnit {" ".join(suites)} ({counts.get("SKIP", 0)} '
                 f'skipped)', counts.get('PASS', 0), failed))
    if not sum(counts.values()):
        rows.append(('a KTAP document without test cases', 0, 1))
    return suites


def name_differs(last, text):
    """Whether a step's text says more than the one result name it
    printed (a program run with arguments, say)."""
    return ' ' in text.split(None, 1)[-1]


def step_rows(log, ksrc, tmp):
    """Result rows (what, passed, failed) and the KUnit suites that ran."""
    rows, suites = [], []
    for text, a, b in log.steps:
        if text is None:
            continue
        lines = log.lines[a:b]
        xfail = text.startswith('xfail ')
        counted = len(rows)
        for doc in ktap_documents(lines):
            suites += kunit_parse(ksrc, doc, tmp, rows)
        if 'kunit' in text and len(rows) == counted and not xfail:
            rows.append((f'{text}: printed no KTAP', 0, 1))
        last = {}
        for line in lines:
            m = SUMMARY.search(line)
            if m and m.group(1) != 'AW-INIT':
                last[m.group(1)] = (int(m.group(2)), int(m.group(3)))
            m = TORTURE.search(line)
            if m:
                ok = m.group(2) == 'SUCCESS'
                last[m.group(1)] = (int(ok), int(not ok))
        verdict = ' '.join(l for l in lines if 'AW-INIT: passed' in l or
                           'AW-INIT: FAILED' in l)
        if xfail:
            # It must fail, and show why: a reported failure, not (say)
            # an insmod refused because the module is loaded already.
            caught = 'failed as expected' in verdict and \
                any(f for _, f in last.values())
            rows.append((f'{text} (a planted bug, caught)', int(caught),
                         int(not caught)))
            continue
        where = f' ({text[:60]})' if len(last) == 1 and name_differs(
            last, text) else ''
        rows += [(name + where, p, f) for name, (p, f) in last.items()]
        if 'AW-INIT: FAILED' in verdict and \
                not any(r[2] for r in rows[counted:]):
            rows.append((f'{text}: step failed', 0, 1))
    return rows, suites


def summarize(path, ksrc, expect=()):
    """Print the results of the console log @path; return (passed, failed).
    @ksrc: a kernel source tree (for kunit.py); @expect: KUnit suites that
    must have run."""
    log = Log(path)
    with tempfile.TemporaryDirectory() as tmp:
        rows, suites = step_rows(log, ksrc, tmp)
    for s in expect:
        if s not in suites:
            rows.append((f'KUnit suite "{s}" did not run', 0, 1))
    found, excused = problems(log)
    for e in excused:
        print(f'  LOG: {e}')
    for p in found:
        print(f'  LOG: {p}')
    rows.append(('console log check: ' + (
        f'{len(found)} problem lines' if found else
        'clean (no WARNING/BUG/Oops/lockdep/sanitizer report/hung task; '
        'init completed)'), 0, int(bool(found))))
    for what, p, f in rows:
        print(f'  {what}: {p} passed, {f} failed' if p or f or 'check' not in
              what else f'  {what}')
    print(f'console log: {path}')
    return sum(r[1] for r in rows), sum(r[2] for r in rows)
