#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Median of the comparison lines ("<x>-cmp: key=value ...") in console logs.

Usage: cmp-summary.py LOG...
Groups by (test, cpu, driver) and prints, per group, the number of runs and
the median of each numeric field, as a Markdown table.
"""
import re
import statistics
import sys
from collections import defaultdict

LINE = re.compile(r'([a-z0-9]+)-cmp: (.*)')
groups = defaultdict(list)
for path in sys.argv[1:]:
    with open(path, errors='replace') as f:
        for line in f:
            m = LINE.search(line)
            if not m:
                continue
            kv = dict(x.split('=', 1) for x in m.group(2).split())
            key = (m.group(1), kv.pop('test'), kv.pop('cpu', '-'), kv.pop('driver'))
            groups[key].append(kv)

fields = ['ops_per_s', 'reads_per_s', 'xfers_per_s', 'MBps', 'p50_us',
          'p99_us', 'irqs_per_req', 'wakeups_per_req', 'irqs_on_own_cpu']
print('| kind | test | cpu | driver | runs | ' +
      ' | '.join(f for f in fields) + ' |')
print('|' + '---|' * (5 + len(fields)))
for key in sorted(groups):
    rows = groups[key]
    cells = []
    for f in fields:
        vals = [float(r[f]) for r in rows if f in r]
        cells.append('%.3g' % statistics.median(vals) if vals else '')
    print('| ' + ' | '.join(key) + ' | %d | ' % len(rows) +
          ' | '.join(cells) + ' |')
