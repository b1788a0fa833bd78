#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run a profile of scripts/profiles.toml: one VM runner for every check.

  kernel -> modules -> initramfs -> QEMU -> results (+ host checks)

Usage: vm.py PROFILE [--kernel NAME] [--smp N] [--timeout S]
             [--param NAME=VALUE]... [--table FILE]
Each run prints its steps as it goes, where its console log is, and ends
with "N passed, N failed"; the exit status is 1 if anything failed.  A
profile with runs = [...] or kernels = [...] runs several boots and prints
one table (written to --table FILE as Markdown too).
"""
import argparse
import datetime
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import initramfs  # noqa: E402
import kernels  # noqa: E402
import qemu  # noqa: E402
import results  # noqa: E402
from cache import cache_dir  # noqa: E402
from kernels import ROOT, info, step  # noqa: E402


def profile(name):
    """The settings of profile @name, with those of its 'like' under them."""
    profiles = kernels.load_profiles()['profile']
    if name not in profiles:
        raise kernels.KernelError(f'unknown profile "{name}"; known: '
                                  f'{", ".join(profiles)}')
    p = dict(profiles[name])
    if 'like' in p:
        p = {**profile(p.pop('like')), **p}
    return p


def profile_steps(p):
    """The steps of profile settings @p; "@NAME" stands for the steps of
    profile NAME."""
    steps = []
    for s in p.get('steps', []):
        steps += profile_steps(profile(s[1:])) if s.startswith('@') else [s]
    return steps


def profile_timeout(p, values):
    """The watchdog: seconds, or a sum of products over params such as
    "{minutes} * 60 + 900"."""
    t = p.get('timeout', 600)
    if isinstance(t, int):
        return t
    expr = t.format(**values)
    if not re.fullmatch(r'[\d\s+*]+', expr):
        raise kernels.KernelError(f'timeout "{t}": not a sum of products')
    return sum(eval_product(term) for term in expr.split('+'))


def eval_product(term):
    prod = 1
    for factor in term.split('*'):
        prod *= int(factor)
    return prod


def expand_pairs(groups, values):
    """For each group, steps that run A and B in turn, 'count' times: pair
    i on CPU i % 2 ({cpu} in the steps), A first on CPU 0, B first on 1."""
    steps = []
    for g in groups:
        for i in range(g['count']):
            for s in (g['a'] + g['b'] if i % 2 == 0 else g['b'] + g['a']):
                steps.append(s.format(cpu=i % 2, **values))
    return steps


def compile_program(src):
    """A C test program, static, for the initramfs; returns its path."""
    out = cache_dir('programs', os.path.basename(src)[:-2])
    os.makedirs(os.path.dirname(out), exist_ok=True)
    d = os.path.dirname(os.path.join(ROOT, src))
    kernels.run(['gcc', '-static', '-O2', '-Wall', '-Wextra', '-Werror',
                 '-pthread', f'-I{d}', f'-I{os.path.dirname(d)}', '-o', out,
                 os.path.join(ROOT, src)])
    return out


def host_check(what, kernel):
    """A check on the host against @kernel: (passed, failed)."""
    if what != 'dkms':
        raise kernels.KernelError(f'unknown host check "{what}"')
    res = subprocess.run([os.path.join(ROOT, 'scripts', 'dkms.sh'),
                          kernel.release], stdout=subprocess.PIPE,
                         stderr=sys.stderr, text=True)
    print(res.stdout, end='')
    m = re.search(r'(\d+) passed, (\d+) failed\s*$', res.stdout)
    if not m:
        return 0, 1
    return int(m.group(1)), int(m.group(2)) + int(res.returncode != 0 and
                                                  m.group(2) == '0')


def run_profile(name, kernel_name=None, smp=None, timeout=None, params=()):
    """One boot of profile @name; returns (passed, failed, kernel)."""
    p = profile(name)
    if 'runs' in p:
        raise kernels.KernelError(f'{name} runs other profiles: '
                                  f'use it without --kernel')
    if 'kernel' not in p and not kernel_name:
        kernel_name = p['kernels'][0]
    values = dict(p.get('params', {}))
    values.update(params)
    steps = [s.format(**values) for s in profile_steps(p)]
    if 'pairs' in p:
        steps += expand_pairs(p['pairs'], values)
    kname = kernel_name or p['kernel']
    start = time.time()

    step(f'{name} 1/5: kernel {kname}')
    kernel = kernels.resolve(kname)
    info(f'{kernel.release}: {kernel.image}')

    step(f'{name} 2/5: modules and programs')
    configs = [f'CONFIG_ATOMIC_WAKER_{b}' for b in p.get('build', [])]
    make_args = [a.format(**values) for a in p.get('make', [])]
    make_args = [a for a in make_args if a]     # an empty {param}: none
    moddirs = [kernels.build_modules(kernel, configs, make_args)]
    if p.get('drivers'):
        moddirs.append(kernels.build_drivers(kernel, moddirs[0],
                                             p['drivers']))
    programs = [compile_program(s) for s in p.get('programs', [])]

    stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    os.makedirs(cache_dir('logs'), exist_ok=True)
    log = cache_dir('logs', f'{stamp}-{name}-{kname}.log')
    initrd = log + '.cpio'
    step(f'{name} 3/5: initramfs, {len(steps)} steps')
    initramfs.build(initrd, kernel, moddirs, steps, programs)

    step(f'{name} 4/5: boot {kernel.release}')
    try:
        qemu.boot(kernel.image, initrd, log, smp=smp or p.get('smp', 2),
                  mem=p.get('mem', '1G'),
                  timeout=timeout or profile_timeout(p, values),
                  append=p.get('append', ''), qemu_args=p.get('qemu', []))
    finally:
        os.remove(initrd)

    step(f'{name} 5/5: results')
    if 'show' in p:
        with open(log, errors='replace') as f:
            for line in f:
                if re.search(p['show'], line):
                    print('  ' + line.rstrip())
    passed, failed = results.summarize(log, kernel.source, p.get('expect', []))
    if 'report' in p:
        script, out = p['report']
        step(f'{name}: {script} -> {out}')
        res = subprocess.run([sys.executable, os.path.join(ROOT, script),
                              '--out', os.path.join(ROOT, out), log],
                             stdout=subprocess.PIPE, text=True)
        print(res.stdout, end='')
        m = re.search(r'(\d+) passed, (\d+) failed\s*$', res.stdout)
        passed += int(m.group(1)) if m else 0
        failed += int(m.group(2)) if m else 1
    for what in p.get('host', []):
        step(f'{name}: host check {what} for {kernel.release}')
        hp, hf = host_check(what, kernel)
        passed, failed = passed + hp, failed + hf
    print(f'{name} on {kname} ({kernel.release}): '
          f'{int(time.time() - start)} s')
    return passed, failed, kernel


def runs_of(name):
    """(profile, kernel) pairs of a profile with runs = ["PROFILE@KERNEL",
    ...] or kernels = [...]; None for a profile that is one boot."""
    p = profile(name)
    if 'runs' in p:
        return [tuple(r.split('@')) for r in p['runs']]
    if 'kernels' in p:
        return [(name, k) for k in p['kernels']]
    return None


def run_many(name, table_file=None, **kw):
    """Each run of a profile with runs or kernels, then one table."""
    rows = []
    runs = runs_of(name)
    for i, (prof, kname) in enumerate(runs, 1):
        step(f'{name} {i}/{len(runs)}: {prof} on {kname}')
        try:
            p, f, k = run_profile(prof, kname or None, **kw)
            rel = k.release
        except kernels.KernelError as e:
            print(f'ERROR: {e}')
            p, f, rel = 0, 1, '?'
        print(f'{prof}@{kname}: {p} passed, {f} failed')
        rows.append((kname, rel, prof, p, f))
    table = ['| kernel | release | checks | passed | failed |',
             '|---|---|---|---|---|']
    table += [f'| {k} | {r} | {prof} | {p} | {f} |'
              for k, r, prof, p, f in rows]
    print('\n'.join(table))
    if table_file:
        with open(table_file, 'w') as fh:
            fh.write(f'<!-- generated by scripts/vm.py {name}, '
                     f'{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC -->\n')
            fh.write('\n'.join(table) + '\n')
        print(f'table: {table_file}')
    return sum(r[3] for r in rows), sum(r[4] for r in rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('profile')
    ap.add_argument('--kernel')
    ap.add_argument('--smp', type=int)
    ap.add_argument('--timeout', type=int)
    ap.add_argument('--param', action='append', default=[],
                    metavar='NAME=VALUE')
    ap.add_argument('--table', metavar='FILE')
    a = ap.parse_args()
    params = dict(kv.split('=', 1) for kv in a.param)
    kw = dict(smp=a.smp, timeout=a.timeout, params=params)
    try:
        if runs_of(a.profile) and not a.kernel:
            passed, failed = run_many(a.profile, a.table, **kw)
        else:
            passed, failed, _ = run_profile(a.profile, a.kernel, **kw)
    except (kernels.KernelError, RuntimeError) as e:
        print(f'ERROR: {e}')
        passed, failed = 0, 1
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
