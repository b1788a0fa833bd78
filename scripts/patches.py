#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""atomic_waker's upstream form: this repo's sources as an in-tree series.

  patches.py generate   (make patches)
      Writes a git format-patch series with a cover letter, against Debian's
      linux-source-6.12, into the cache (never into the repo):
        1 lib: the library, its Kconfig symbol, its trace events, MAINTAINERS
        2 lib: the KUnit suites, their Kconfig entry and kunitconfig
        3 Documentation: core-api/atomic_waker.rst
        4 hwrng: virtio-rng switched from a completion to an atomic_waker
      from the working tree's files, transformed for the kernel tree
      (include paths, no module boilerplate in the bool library, comments
      naming in-tree paths), with the commit messages, Kconfig entries and
      documentation page of scripts/upstream/.

  patches.py check      (make patches-check)
      In a scratch copy of the tree: generate, then for each patch git am,
      checkpatch --strict (0/0/0), a W=1 + sparse build; then kunit.py on
      UML and on x86_64 under QEMU TCG (both must pass, with as many cases
      as the out-of-tree make check runs), virtio-rng read through its
      atomic_waker on the x86_64 build, and make htmldocs SPHINXDIRS=core-api
      with no new warning.  Regenerates the series with the figures in its
      commit messages.  Ends with "N passed, N failed".

Everything lives under $AW_CACHE/upstream (default ~/.cache/atomic_waker):
  linux/          git repo of the pristine tree (base commit) = scratch tree
  series/         the patches (make patches)
  build/um, build/x86_64, build/docs   kunit.py and htmldocs build dirs
  results.json    the figures of the last check
  logs/<stamp>/   one log per check step
"""
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kernels  # noqa: E402
from cache import cache_dir  # noqa: E402
from kernels import ROOT, KernelError, info, step  # noqa: E402

SOURCE = '6.12'                 # Debian's linux-source-<SOURCE>
TEMPLATES = os.path.join(ROOT, 'scripts', 'upstream')
UP = cache_dir('upstream')
REPO = os.path.join(UP, 'linux')
SERIES = os.path.join(UP, 'series')
RESULTS = os.path.join(UP, 'results.json')
# The KUnit module: its own directory of lib/, as drivers/base/test/ and
# mm/damon/tests/ are, since it may be several files; kunit.py takes the
# directory and reads its .kunitconfig.
KUNITDIR = 'lib/atomic_waker_kunit'
KUNITCONFIG = KUNITDIR + '/.kunitconfig'
# The out-of-tree places that have no in-tree counterpart: kernel sources
# must not name them.
OOT_DIRS = r'(?:model|user|sample|bench|torture|scripts|results|kunit|drivers)'
# kunit/'s shims for kernels before 6.6 (kunit actions, kthread_stop_put(),
# KUNIT_CASE_PARAM_ATTR): 6.12 has them all, the series leaves them out.
KUNIT_COMPAT = ('compat.c', 'compat.h')

# ---- small helpers ----------------------------------------------------------


def git(*args, cwd=REPO, env=None, input=None, check=True):
    """Run git in @cwd; return its stdout (text), stripped."""
    res = subprocess.run(['git', *args], cwd=cwd, env=env, input=input,
                         capture_output=True, text=True)
    if check and res.returncode:
        raise KernelError(f'git {" ".join(args)}: {res.stderr.strip()}')
    return res.stdout.strip()


def read(path):
    with open(path) as f:
        return f.read()


def template(name):
    return read(os.path.join(TEMPLATES, name))


def identity():
    """The project's name and email: git config, else HEAD's author."""
    name = git('config', 'user.name', cwd=ROOT, check=False)
    email = git('config', 'user.email', cwd=ROOT, check=False)
    if not (name and email):
        name, email = git('log', '-1', '--format=%an%n%ae',
                          cwd=ROOT).split('\n')
    return name, email


def source_date():
    """HEAD's commit date: the series' dates, so that it is reproducible."""
    return git('log', '-1', '--format=%cI', cwd=ROOT)


def project_version():
    return git('describe', '--always', '--dirty', cwd=ROOT, check=False) \
        or 'unknown'


# ---- the pristine tree -------------------------------------------------------


def base_commit():
    """The base commit: Debian's linux-source-<SOURCE> tarball, imported
    into a git repo in the cache once (its work tree is the scratch tree).
    Returns (sha, release)."""
    tarball = f'/usr/src/linux-source-{SOURCE}.tar.xz'
    if not os.path.exists(tarball):
        kernels.apt_install(f'linux-source-{SOURCE}')
    st = os.stat(tarball)
    want = f'{tarball} {st.st_size} {int(st.st_mtime)}'
    stamp = os.path.join(UP, 'linux.base')
    if os.path.exists(stamp):
        key, sha = read(stamp).strip().rsplit(' ', 1)
        if key == want and git('cat-file', '-t', sha, check=False) == 'commit':
            return sha, kernels.tree_version(REPO)
    pkg = subprocess.run(['dpkg-query', '-W', '-f=${Version}',
                          f'linux-source-{SOURCE}'], capture_output=True,
                         text=True).stdout.strip() or '?'
    step(f'importing {tarball} ({pkg}) into {REPO} (once, a few minutes)')
    shutil.rmtree(REPO, ignore_errors=True)
    os.makedirs(REPO)
    kernels.run(['tar', '-xJf', tarball, '-C', REPO, '--strip-components=1'])
    git('init', '-q')
    git('config', 'core.fileMode', 'true')
    git('config', 'gc.auto', '0')
    git('add', '-A', '-f')
    name, email = identity()
    date = datetime.datetime.fromtimestamp(int(st.st_mtime),
                                           datetime.timezone.utc).isoformat()
    env = dict(os.environ, GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email,
               GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email,
               GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    release = kernels.tree_version(REPO)
    git('commit', '-q', '-m',
        f'Linux {release}: Debian linux-source-{SOURCE} {pkg}\n\n'
        f'{tarball}, as packaged, imported by scripts/patches.py.', env=env)
    sha = git('rev-parse', 'HEAD')
    git('tag', '-f', 'aw-base', sha)
    with open(stamp, 'w') as f:
        f.write(f'{want} {sha}\n')
    return sha, release


def base_file(base, path):
    return git('show', f'{base}:{path}', check=True) + '\n'


# ---- transforming the out-of-tree sources -----------------------------------


def fix_includes(text, local, kernel):
    """Replace #include "@local" by #include <@kernel>, placed in sorted
    order in the block of #include <linux/...> lines."""
    lines = text.split('\n')
    quoted = f'#include "{local}"'
    if quoted not in lines:
        raise KernelError(f'no {quoted} to replace')
    i = lines.index(quoted)
    del lines[i]
    if i < len(lines) and i > 0 and lines[i] == '' and lines[i - 1] == '':
        del lines[i]
    want = f'#include <{kernel}>'
    incs = [j for j, l in enumerate(lines) if l.startswith('#include <linux/')]
    if not incs:
        raise KernelError(f'no #include <linux/...> block for {want}')
    at = incs[-1] + 1
    for j in incs:
        if lines[j] > want:
            at = j
            break
    lines.insert(at, want)
    return '\n'.join(lines)


OOT_REF = re.compile(r'(?<![\w/])' + OOT_DIRS + r'/\w|\.\./' + OOT_DIRS +
                     r'\b')


def drop_oot_sentences(text):
    """In a comment paragraph (" * words" lines), drop each sentence that
    names a place of this repo (../user/, model/...), and refill it."""
    lines = text.split('\n')
    prose = re.compile(r'^(\s*\* )(?! )(?!@\w+:)\S.*$')
    i = 0
    while i < len(lines):
        if not (prose.match(lines[i]) and OOT_REF.search(lines[i])):
            i += 1
            continue
        a = i
        while a > 0 and prose.match(lines[a - 1]):
            a -= 1
        b = i + 1
        while b < len(lines) and prose.match(lines[b]):
            b += 1
        prefix = prose.match(lines[a]).group(1)
        para = ' '.join(l[len(prefix):].strip() for l in lines[a:b])
        keep = [x for x in re.split(r'(?<=[.:;])  ', para)
                if not OOT_REF.search(x)]
        new = [prefix + l for l in textwrap.wrap(
            '  '.join(keep), 80 - len(prefix.expandtabs()),
            break_on_hyphens=False)] if keep else []
        if not keep and b < len(lines) and lines[b].strip() == '*':
            b += 1
        lines[a:b] = new
        i = a + len(new)
    return '\n'.join(lines)


def fix_comments(text):
    """Comments name the in-tree paths; references to places of this repo
    that the kernel has not are dropped, and any other one is an error."""
    text = re.sub(r'(?<![\w/<"])atomic_waker\.h\b(?!")',
                  'include/linux/atomic_waker.h', text)
    text = re.sub(r'(?<![\w/<"])atomic_waker\.c\b(?!")',
                  'lib/atomic_waker.c', text)
    # "... visible here\n * (model/litmus/x.litmus)." -> "... visible here."
    text = re.sub(r'\s*\n[ \t]*\*[ \t]*\(' + OOT_DIRS + r'/[^)]*\)', '', text)
    text = re.sub(r'[ \t]*\(' + OOT_DIRS + r'/[^)]*\)', '', text)
    text = drop_oot_sentences(reflow_comments(text))
    for num, line in enumerate(text.split('\n'), 1):
        if OOT_REF.search(line) and not line.startswith('#include'):
            raise KernelError(f'line {num} names a place of this repo that '
                              f'the kernel tree has not: {line.strip()}')
    return text


def reflow_comments(text):
    """Refill the comment paragraphs that a longer in-tree path pushed past
    80 columns: lines " * words" (not indented: tables and literal blocks
    are left alone) between blank comment lines."""
    lines = text.split('\n')
    prose = re.compile(r'^(\s*\* )(?! )(?!@\w+:)\S.*$')
    i = 0
    while i < len(lines):
        if len(lines[i].expandtabs()) <= 80 or not prose.match(lines[i]):
            i += 1
            continue
        a = i
        while a > 0 and prose.match(lines[a - 1]) and \
                not lines[a - 1].rstrip().endswith('::'):
            a -= 1
        b = i + 1
        while b < len(lines) and prose.match(lines[b]):
            b += 1
        prefix = prose.match(lines[a]).group(1)
        para = ' '.join(l[len(prefix):].strip() for l in lines[a:b])
        # words, each with the space before it: two after a sentence
        words = re.findall(r'(\s*)(\S+)', para)
        width = 80 - len(prefix.expandtabs())
        out, cur = [], ''
        for sp, w in words:
            sep = '  ' if len(sp) > 1 else ' '
            if cur and len(cur) + len(sep) + len(w) > width:
                out.append(cur)
                cur = w
            else:
                cur = f'{cur}{sep}{w}' if cur else w
        out.append(cur)
        lines[a:b] = [prefix + o for o in out]
        i = a + len(out)
    return '\n'.join(lines)


def drop_module_boilerplate(text, name):
    """CONFIG_ATOMIC_WAKER is bool: no module.h, no MODULE_*()."""
    text = text.replace('#include <linux/module.h>\n', '')
    text = re.sub(r'\n*(MODULE_[A-Z_]+\([^;]*\);\n)+$', '\n', text)
    if re.search(r'\bMODULE_|THIS_MODULE|module_(init|exit|param)', text):
        raise KernelError(f'{name}: module code left in a built-in library')
    return text


def intree_header(text):
    text = text.replace('_ATOMIC_WAKER_H', '_LINUX_ATOMIC_WAKER_H')
    return fix_comments(text)


def intree_library(text):
    text = drop_module_boilerplate(text, 'atomic_waker.c')
    text = fix_includes(text, 'atomic_waker.h', 'linux/atomic_waker.h')
    old = '#define CREATE_TRACE_POINTS\n#include "atomic_waker_trace.h"\n'
    if old not in text:
        raise KernelError('atomic_waker.c: no CREATE_TRACE_POINTS include '
                          'of atomic_waker_trace.h')
    text = text.replace(old, '#define CREATE_TRACE_POINTS\n'
                        '#include <trace/events/atomic_waker.h>\n')
    return fix_comments(text)


def intree_trace_header(text):
    block = re.search(r'/\* Out of tree only:.*?\n\n', text, re.S)
    if not block or 'TRACE_INCLUDE_FILE' not in block.group(0):
        raise KernelError('atomic_waker_trace.h: no "Out of tree only" '
                          'TRACE_INCLUDE_PATH/FILE block')
    text = text.replace(block.group(0), '')
    text = fix_includes(text, 'atomic_waker.h', 'linux/atomic_waker.h')
    return fix_comments(text)


def unifdef_kernel(text):
    """Keep the __KERNEL__ side of #ifdef __KERNEL__ / #ifndef __KERNEL__
    blocks: the user-space half of "one source, two worlds" stays out of
    the kernel tree.  Other conditionals are left as they are."""
    out, stack = [], []     # stack: None (another #if), or keep this side
    for line in text.split('\n'):
        d = re.match(r'\s*#\s*(ifdef|ifndef|if|else|elif|endif)\b\s*(.*)',
                     line)
        kw = d.group(1) if d else None
        if kw in ('ifdef', 'ifndef') and d.group(2).strip() == '__KERNEL__':
            stack.append(kw == 'ifdef')
            continue
        if kw in ('if', 'ifdef', 'ifndef'):
            stack.append(None)
        elif kw == 'elif' and stack and stack[-1] is not None:
            raise KernelError('#elif in an #ifdef __KERNEL__ block')
        elif kw == 'else' and stack and stack[-1] is not None:
            stack[-1] = not stack[-1]
            continue
        elif kw == 'endif':
            if stack.pop() is not None:
                continue
        if all(k is not False for k in stack):
            out.append(line)
    return '\n'.join(out)


def intree_kunit(text, name):
    text = unifdef_kernel(text)
    if '#include "atomic_waker.h"' in text:
        text = fix_includes(text, 'atomic_waker.h', 'linux/atomic_waker.h')
    for f in KUNIT_COMPAT:
        text = text.replace(f'#include "{f}"\n', '')
    text = re.sub(r'\n\n\n+', '\n\n', text)     # where the includes were
    if 'AW_HAVE_' in text or re.search(r'#include "compat', text):
        raise KernelError(f'kunit/{name}: uses the compat layer, which '
                          f'6.12 does not need and the series leaves out')
    return fix_comments(text)


def kunit_sources():
    """The KUnit files (kunit/*.c, *.h) and the kbuild lines for them, from
    kunit/Kbuild: obj-m modules and their composite objects."""
    kdir = os.path.join(ROOT, 'kunit')
    files = sorted(f for f in os.listdir(kdir)
                   if re.match(r'[\w-]+\.[ch]$', f) and
                   not f.endswith('.mod.c') and f not in KUNIT_COMPAT)
    make = []
    kbuild = re.sub(r'\\\n\s*', ' ', read(os.path.join(kdir, 'Kbuild')))
    for line in kbuild.split('\n'):
        line = line.strip()
        if not line or line.startswith('#') or line.startswith('ccflags') \
                or line.startswith('aw_declares'):
            continue        # -I$(src)/.. and the compat probes
        m = re.match(r'obj-m\s*\+?=\s*(.*)$', line)
        if m:
            for obj in m.group(1).split():
                make.append(f'obj-$(CONFIG_ATOMIC_WAKER_KUNIT_TEST) += {obj}')
            continue
        m = re.match(r'([\w-]+)-(?:y|objs)\s*(:?=|\+=)\s*(.*)$', line)
        if m:
            objs = textwrap.wrap(' '.join(
                o for o in m.group(3).split()
                if o[:-2] + '.c' not in KUNIT_COMPAT), 52)
            make.append(f'{m.group(1)}-y {m.group(2)} ' +
                        ' \\\n\t\t\t'.join(objs))
            continue
        raise KernelError(f'kunit/Kbuild: cannot translate "{line}"')
    return files, make


def insert_before(text, anchor, new, what):
    if text.count(anchor) != 1:
        raise KernelError(f'{what}: anchor "{anchor.strip()}" found '
                          f'{text.count(anchor)} times')
    return text.replace(anchor, new + anchor)


def insert_after(text, anchor, new, what):
    if text.count(anchor) != 1:
        raise KernelError(f'{what}: anchor "{anchor.strip()}" found '
                          f'{text.count(anchor)} times')
    return text.replace(anchor, anchor + new)


def maintainers(text, files):
    """Add the ATOMIC WAKER entry, or F: lines to it, keeping F: sorted."""
    name, email = identity()
    entry = template('MAINTAINERS.entry').replace('@IDENTITY@',
                                                   f'{name} <{email}>')
    head = entry.split('\n')[0]
    blocks = text.split('\n\n')
    have = [i for i, b in enumerate(blocks) if b.split('\n')[0] == head]
    if have:
        lines = blocks[have[0]].split('\n')
    else:
        lines = entry.rstrip('\n').split('\n')
    fl = sorted(set([l for l in lines if l.startswith('F:\t')] +
                    [f'F:\t{f}' for f in files]))
    lines = [l for l in lines if not l.startswith('F:\t')] + fl
    if have:
        blocks[have[0]] = '\n'.join(lines)
        return '\n\n'.join(blocks)
    # after the entry that sorts last before ours (a few entries are out of
    # order: "the first after ours" could be anywhere)
    start = next(i for i, b in enumerate(blocks) if b.startswith('3C59X'))
    titles = [(blocks[i].split('\n')[0].upper(), i)
              for i in range(start, len(blocks))]
    _, prev = max(t for t in titles if t[0] < head.upper())
    blocks.insert(prev + 1, '\n'.join(lines))
    return '\n\n'.join(blocks)


def drivers_diff():
    """The virtio-rng conversion of the drivers work: drivers/virtio-rng/
    virtio-rng.diff in this tree, else $AW_DRIVERS_DIFF, else the one
    committed on the branch "drivers".  (text, where) or (None, why)."""
    rel = 'drivers/virtio-rng/virtio-rng.diff'
    here = os.path.join(ROOT, rel)
    if os.path.exists(here):
        return read(here), rel
    env = os.environ.get('AW_DRIVERS_DIFF')
    if env:
        return read(env), env
    text = git('show', f'drivers:{rel}', cwd=ROOT, check=False)
    if text:
        sha = git('rev-parse', '--short', 'drivers', cwd=ROOT)
        return text + '\n', f'branch drivers ({sha}):{rel}'
    return None, f'no {rel} in this tree, no $AW_DRIVERS_DIFF, no branch drivers'


def virtio_rng(base, diff):
    """Apply @diff to the base tree's virtio-rng.c; returns (new file
    text, subject, notes) with the notes from the diff's header."""
    path = 'drivers/char/hw_random/virtio-rng.c'
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, 'virtio-rng.c'), 'w') as f:
            f.write(base_file(base, path))
        res = subprocess.run(['patch', '-s', '-p1', '-d', d,
                              '--no-backup-if-mismatch'], input=diff,
                             capture_output=True, text=True)
        if res.returncode:
            raise KernelError(f'virtio-rng.diff does not apply to {path}: '
                              f'{res.stdout}{res.stderr}')
        text = read(os.path.join(d, 'virtio-rng.c'))
    text = fix_includes(text, 'atomic_waker.h', 'linux/atomic_waker.h')
    header = diff.split('\n--- ')[0].rstrip('\n').split('\n\n')
    title = header[0].strip()
    m = re.match(r'virtio-rng: (.*)$', title)
    if not m:
        raise KernelError(f'virtio-rng.diff: title "{title}" is not '
                          f'"virtio-rng: ..."')
    # Paragraph 2 says where the diff came from and how this repo applies
    # it: not for the commit message.
    notes = [p for p in header[2:] if 'apply.sh' not in p]
    notes = re.sub(r'(?<![\w/<"])atomic_waker\.h\b',
                   'include/linux/atomic_waker.h', '\n\n'.join(notes))
    return text, f'hwrng: virtio - {m.group(1)}', notes


# ---- the series ---------------------------------------------------------------


def inputs_digest():
    """What the series is made of, hashed: results.json says which series
    its figures are about."""
    h = hashlib.sha256()
    names = ['atomic_waker.c', 'atomic_waker.h', 'atomic_waker_trace.h',
             'kunit/Kbuild']
    names += [os.path.join('kunit', f) for f in kunit_sources()[0]]
    names += [os.path.join('scripts', 'upstream', f)
              for f in sorted(os.listdir(TEMPLATES))]
    names.append('scripts/patches.py')
    for n in names:
        h.update(n.encode() + b'\0' + open(os.path.join(ROOT, n), 'rb').read())
    diff, _ = drivers_diff()
    h.update((diff or '').encode())
    return h.hexdigest()[:16]


def load_results():
    """The figures of the last check, if they are about these inputs."""
    try:
        r = json.load(open(RESULTS))
    except (OSError, ValueError):
        return None
    return r if r.get('inputs') == inputs_digest() else None


def kunit_line(k):
    s = f'{k["passed"]} passed, {k["failed"]} failed'
    return s + (f', {k["skipped"]} skipped' if k.get('skipped') else '')


def tested(n, results):
    """The "Tested" paragraph of patch @n (0: the cover letter)."""
    if not results:
        return 'Tested: figures pending (make patches-check fills them in).'
    um, x86, oot = results['kunit_um'], results['kunit_x86_64'], \
        results['oot_kunit']
    clean = 'checkpatch --strict, W=1 and sparse clean'
    kunit = [f'Tested on Linux {results["release"]} with',
             f'  ./tools/testing/kunit/kunit.py run --kunitconfig={KUNITDIR}',
             '  on UML:                       ' + kunit_line(um),
             '  on x86_64, QEMU TCG, 2 vCPUs: ' + kunit_line(x86),
             f'the same {oot["total"]} cases as the out-of-tree module passes '
             f'on a 6.12 kernel with',
             f'lockdep; {clean} after each patch.']
    rng = results.get('virtio_rng')
    rng_text = None
    if rng:
        rng_text = (
            'Tested on x86_64 under QEMU with a virtio-rng-pci device that '
            f'gives {RNG_BYTES} bytes per {RNG_PERIOD_MS} ms and the '
            'atomic_waker trace events printed: the hwrng thread\'s reads '
            'slept on the atomic_waker and were woken from the virtqueue '
            f'interrupt {rng["woken"]} times (atomic_waker_wake events, '
            'kind=sleeper, woken=1), without a hang or a warning; '
            f'{clean}.')
    docs = ('make htmldocs SPHINXDIRS=core-api adds no warning.'
            if not results['htmldocs_new_warnings'] else
            f'make htmldocs SPHINXDIRS=core-api: '
            f'{results["htmldocs_new_warnings"]} new warnings.')
    if n == 1:
        return textwrap.fill(
            f'Tested on Linux {results["release"]}: {clean} after each '
            f'patch of the series; the KUnit suites of the next patch pass '
            f'with kunit.py on UML ({um["total"]} cases) and on x86_64 under '
            f'QEMU TCG with 2 vCPUs ({x86["total"]} cases), the same '
            f'{oot["total"]} cases as the out-of-tree module passes on a '
            f'6.12 kernel with lockdep.', 72)
    if n == 2:
        return '\n'.join(kunit)
    if n == 3:
        return 'Tested: ' + docs
    if n == 4:
        return textwrap.fill(rng_text or f'Tested: {clean}.', 72)
    text = '\n'.join(kunit) + '\n' + textwrap.fill('Documentation: ' + docs,
                                                    72)
    if rng_text:
        text += '\n\n' + textwrap.fill(rng_text, 72)
    return text


def build_series(base, release, results):
    """The series as [(subject, message, {path: text})]."""
    patches = []
    lib = {
        'include/linux/atomic_waker.h':
            intree_header(read(os.path.join(ROOT, 'atomic_waker.h'))),
        'include/trace/events/atomic_waker.h':
            intree_trace_header(read(os.path.join(ROOT,
                                                  'atomic_waker_trace.h'))),
        'lib/atomic_waker.c':
            intree_library(read(os.path.join(ROOT, 'atomic_waker.c'))),
    }
    kconfig = insert_before(base_file(base, 'lib/Kconfig'), 'config OBJAGG\n',
                            template('Kconfig.lib'), 'lib/Kconfig')
    makefile = insert_after(base_file(base, 'lib/Makefile'),
                            'obj-$(CONFIG_OBJAGG) += objagg.o\n',
                            'obj-$(CONFIG_ATOMIC_WAKER) += atomic_waker.o\n',
                            'lib/Makefile')
    mnt = maintainers(base_file(base, 'MAINTAINERS'), sorted(lib))
    patches.append(('0001-lib.txt', dict(lib, **{
        'lib/Kconfig': kconfig, 'lib/Makefile': makefile,
        'MAINTAINERS': mnt})))

    files, make = kunit_sources()
    if git('cat-file', '-t', f'{base}:{KUNITDIR}', check=False):
        raise KernelError(f'{KUNITDIR} exists in the base tree already')
    kunit = {}
    for f in files:
        kunit[f'{KUNITDIR}/{f}'] = intree_kunit(
            read(os.path.join(ROOT, 'kunit', f)), f)
    kunit[f'{KUNITDIR}/Makefile'] = (
        '# SPDX-License-Identifier: GPL-2.0\n' +
        ''.join(m + '\n' for m in make))
    kunit[KUNITCONFIG] = 'CONFIG_KUNIT=y\nCONFIG_ATOMIC_WAKER_KUNIT_TEST=y\n'
    makefile = insert_after(
        makefile, 'CFLAGS_longest_symbol_kunit.o += $(call cc-disable-'
        'warning, missing-prototypes)\n',
        f'obj-$(CONFIG_ATOMIC_WAKER_KUNIT_TEST) += '
        f'{os.path.basename(KUNITDIR)}/\n', 'lib/Makefile')
    debug = insert_before(base_file(base, 'lib/Kconfig.debug'),
                          'config TEST_UDELAY\n', template('Kconfig.kunit'),
                          'lib/Kconfig.debug')
    mnt = maintainers(mnt, [KUNITDIR + '/'])
    patches.append(('0002-kunit.txt', dict(kunit, **{
        'lib/Makefile': makefile, 'lib/Kconfig.debug': debug,
        'MAINTAINERS': mnt})))

    rst = 'Documentation/core-api/atomic_waker.rst'
    index = insert_after(base_file(base, 'Documentation/core-api/index.rst'),
                         '   local_ops\n', '   atomic_waker\n',
                         'core-api/index.rst')
    mnt = maintainers(mnt, [rst])
    patches.append(('0003-docs.txt', {rst: template('atomic_waker.rst'),
                                       'Documentation/core-api/index.rst':
                                       index, 'MAINTAINERS': mnt}))

    diff, where = drivers_diff()
    if diff:
        text, subject, notes = virtio_rng(base, diff)
        kc = 'drivers/char/hw_random/Kconfig'
        kconf = base_file(base, kc)
        old = ('config HW_RANDOM_VIRTIO\n\ttristate "VirtIO Random Number '
               'Generator support"\n\tdepends on VIRTIO\n')
        kconf = insert_after(kconf, old, '\tselect ATOMIC_WAKER\n', kc)
        patches.append(('0004-virtio-rng.txt', {
            'drivers/char/hw_random/virtio-rng.c': text, kc: kconf},
            subject, notes, where))
    else:
        info(f'WARNING: no virtio-rng conversion: {where}')

    suites = []
    for f in files:
        suites += re.findall(r'\.name\s*=\s*"([\w-]+)"',
                             read(os.path.join(ROOT, 'kunit', f)))
    out = []
    for n, p in enumerate(patches, 1):
        msg = template(p[0])
        msg = msg.replace('@TESTED@', tested(n, results))
        msg = msg.replace('@SUITES@', '%d suites, %s' % (
            len(suites), ', '.join(suites[:-1]) + ' and ' + suites[-1]))
        if len(p) > 2:
            msg = msg.replace('@DRIVER_SUBJECT@', p[2])
            msg = msg.replace('@DRIVER_NOTES@', p[3])
        msg = wrap(msg)
        left = re.findall(r'@[A-Z_]+@', msg)
        if left:
            raise KernelError(f'{p[0]}: unknown placeholders {left}')
        out.append((msg, p[1]))
    return out, (diff is not None, where)


def reflow_table(par):
    """An "A -> B" table paragraph, too wide: the same two columns, B
    refilled to 72 columns."""
    entries = []
    for line in par.split('\n'):
        m = re.match(r'(\s*)(.*?)\s+->\s+(.*)$', line)
        if m:
            entries.append([m.group(1), m.group(2), m.group(3)])
        elif entries:
            entries[-1][2] += ' ' + line.strip()
        else:
            return None
    ind = entries[0][0]
    left = max(len(e[1]) for e in entries)
    out = []
    for _, a, b in entries:
        head = f'{ind}{a.ljust(left)} -> '
        out.append(textwrap.fill(b, 72, initial_indent=head,
                                 subsequent_indent=' ' * len(head)))
    return '\n'.join(out)


def wrap(msg):
    """Commit messages at most 75 columns (checkpatch): a paragraph with a
    longer line is filled to 72, an "A -> B" table reflowed; the subject
    and indented blocks (commands, figures) are left alone."""
    pars = msg.split('\n\n')
    for i, par in enumerate(pars):
        if i == 0 or max(len(l) for l in par.split('\n')) <= 75:
            continue
        table = reflow_table(par)
        if table:
            pars[i] = table
        elif not re.match(r'\s', par):
            pars[i] = textwrap.fill(' '.join(par.split()), 72)
        else:
            raise KernelError(f'a line over 75 columns in: {par[:60]}...')
    return '\n\n'.join(pars)


def commit_series(base, series):
    """Commit the series on @base without touching any work tree; returns
    the commits."""
    name, email = identity()
    date = source_date()
    env = dict(os.environ, GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email,
               GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email,
               GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    commits = []
    parent = base
    with tempfile.TemporaryDirectory() as d:
        idx = dict(env, GIT_INDEX_FILE=os.path.join(d, 'index'))
        for msg, files in series:
            git('read-tree', parent, env=idx)
            for path, text in files.items():
                sha = git('hash-object', '-w', '--stdin', input=text)
                git('update-index', '--add', '--cacheinfo',
                    f'100644,{sha},{path}', env=idx)
            tree = git('write-tree', env=idx)
            msg = msg.rstrip('\n') + f'\n\nSigned-off-by: {name} <{email}>\n'
            parent = git('commit-tree', tree, '-p', parent, input=msg,
                         env=env)
            commits.append(parent)
    git('update-ref', 'refs/aw/series', parent)
    return commits


def cover_letter(path, base, release, results, commits):
    text = read(path)
    cover = template('cover.txt')
    subject, blurb = cover.split('\n', 1)
    plist = ['The patches:']
    for c in commits:
        s = git('log', '-1', '--format=%s', c)
        files = git('diff-tree', '--no-commit-id', '--name-only', '-r', c)
        plist.append(f'- {s}:')
        plist.append(textwrap.fill(', '.join(files.split('\n')), 72,
                                   initial_indent='    ',
                                   subsequent_indent='    ',
                                   break_on_hyphens=False))
    pkg = subprocess.run(['dpkg-query', '-W', '-f=${Version}',
                          f'linux-source-{SOURCE}'], capture_output=True,
                         text=True).stdout.strip()
    blurb = blurb.strip('\n')
    blurb = blurb.replace('@PATCHES@', '\n'.join(plist))
    blurb = blurb.replace('@TESTED@', tested(0, results))
    blurb = blurb.replace('@BASE@', (
        f'Based on Linux {release} as Debian packages it (linux-source-'
        f'{SOURCE}\n{pkg}); generated from atomic_waker {project_version()} '
        f'by\nscripts/patches.py.'))
    text = text.replace('*** SUBJECT HERE ***', subject)
    text = text.replace('*** BLURB HERE ***', blurb)
    with open(path, 'w') as f:
        f.write(text)


def generate(results=None, quiet=False):
    """make patches: write the series; returns (paths, base, release,
    has_driver)."""
    say = info if quiet else step
    base, release = base_commit()
    if results is None:
        results = load_results()
    say(f'series against Linux {release} (base {base[:12]} in {REPO})')
    series, (has_driver, where) = build_series(base, release, results)
    if has_driver:
        info(f'virtio-rng conversion: {where}')
    commits = commit_series(base, series)
    os.makedirs(SERIES, exist_ok=True)
    for f in os.listdir(SERIES):
        if f.endswith('.patch'):
            os.remove(os.path.join(SERIES, f))
    out = git('format-patch', '--cover-letter', f'--base={base}',
              '-o', SERIES, '--signature',
              f'atomic_waker {project_version()}',
              f'{base}..{commits[-1]}').split('\n')
    out = sorted(out)
    cover_letter(out[0], base, release, results, commits)
    for p in out:
        info(p)
    if not results:
        info('commit messages: test figures pending (make patches-check '
             'fills them in)')
    return out, base, release, has_driver


# ---- make patches-check ----------------------------------------------------

# What the x86_64 build adds to the kunitconfig: trace events (the
# tracepoints compile, and the virtio-rng boot shows them), and virtio-rng
# with what it needs (patch 4 is built, and read in QEMU).
X86_ADD = ['CONFIG_FTRACE=y', 'CONFIG_ENABLE_DEFAULT_TRACERS=y', 'CONFIG_PCI=y',
           'CONFIG_VIRTIO_MENU=y', 'CONFIG_VIRTIO_PCI=y', 'CONFIG_HW_RANDOM=y',
           'CONFIG_HW_RANDOM_VIRTIO=y', 'CONFIG_SMP=y']
X86_QEMU = '-smp 2'
KUNIT_TIMEOUT = 600             # seconds; x86_64 under TCG runs in ~1-2 min
RNG_BYTES, RNG_PERIOD_MS = 32, 100  # the virtio-rng device's rate
DEBIAN_PKGS = ['python3-sphinx', 'python3-sphinx-rtd-theme', 'python3-ply',
               'python3-git', 'patch']


class Check:
    """Counts what passed and failed, keeps the figures, prints progress."""

    def __init__(self, nsteps):
        self.nsteps = nsteps
        self.passed = self.failed = 0
        self.rows = []
        self.figures = {}
        self.stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
        self.logs = os.path.join(UP, 'logs', self.stamp)
        os.makedirs(self.logs, exist_ok=True)
        # Debian's python3 first: apt's ply and GitPython for checkpatch's
        # spdxcheck.py, its Sphinx for htmldocs
        self.env = dict(os.environ, PATH='/usr/bin:/bin:' +
                        os.environ.get('PATH', ''))

    def step(self, n, what):
        step(f'patches-check {n}/{self.nsteps}: {what}')

    def verdict(self, what, ok, detail=''):
        self.rows.append((what, ok, detail))
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        info(f'{"ok  " if ok else "FAIL"} {what}' +
             (f': {detail}' if detail else ''))
        return ok

    def log(self, name):
        return os.path.join(self.logs, name)

    def run(self, cmd, log, cwd=REPO, progress=None, timeout=None):
        """Run @cmd (niced) with its output in @log; print a progress line
        every 30 s.  Returns the exit status."""
        info(f'$ {" ".join(cmd)}')
        info(f'  log: {log}')
        start = time.time()
        with open(log, 'a') as f:
            f.write(f'$ {" ".join(cmd)}\n')
            f.flush()
            proc = subprocess.Popen(['nice', '-n', '10'] + cmd, cwd=cwd,
                                    stdout=f, stderr=subprocess.STDOUT,
                                    env=self.env)
            while True:
                try:
                    proc.wait(timeout=30)
                    break
                except subprocess.TimeoutExpired:
                    el = int(time.time() - start)
                    if timeout and el > timeout:
                        proc.kill()
                        proc.wait()
                        f.write(f'\n*** killed after {el} s\n')
                        info(f'  killed after {el} s')
                        return 124
                    info(f'  {el}s: ' + (progress() if progress else
                                         last_line(log)))
        info(f'  exit {proc.returncode} after {int(time.time() - start)} s')
        return proc.returncode


def last_line(log):
    try:
        lines = [l for l in read(log).split('\n') if l.strip()]
    except OSError:
        return '...'
    return lines[-1][:100] if lines else '...'


def objects_progress(build_dir, what):
    """Progress of a kernel build: objects built so far, of how many the
    last complete build had."""
    count_file = os.path.join(build_dir, '.aw-objects')
    total = read(count_file).strip() if os.path.exists(count_file) else '?'

    def progress():
        n = subprocess.run(f'find {build_dir} -name "*.o" | wc -l', shell=True,
                           capture_output=True, text=True).stdout.strip()
        return f'{what}: {n}/~{total} objects'
    return progress


def count_objects(build_dir):
    n = subprocess.run(f'find {build_dir} -name "*.o" | wc -l', shell=True,
                       capture_output=True, text=True).stdout.strip()
    with open(os.path.join(build_dir, '.aw-objects'), 'w') as f:
        f.write(n + '\n')


def kunit_summary(log):
    """kunit.py's own summary line of @log, parsed: {total, passed, ...}."""
    m = None
    for line in read(log).split('\n'):
        mm = re.search(r'Testing complete\. Ran (\d+) tests?: (.*)$', line)
        if mm:
            m = mm
    if not m:
        return None
    k = {'total': int(m.group(1)), 'line': m.group(0).strip()}
    for key in ('passed', 'failed', 'crashed', 'skipped', 'errors'):
        mm = re.search(rf'\b{key}: (\d+)', m.group(2))
        k[key] = int(mm.group(1)) if mm else 0
    return k


def oot_digest():
    h = hashlib.sha256()
    for n in ['atomic_waker.c', 'atomic_waker.h', 'atomic_waker_trace.h',
              'kunit/Kbuild', *[os.path.join('kunit', f)
                                for f in kunit_sources()[0]]]:
        h.update(n.encode() + b'\0' + open(os.path.join(ROOT, n), 'rb').read())
    return h.hexdigest()[:16]


def oot_kunit(c):
    """The out-of-tree KUnit total: make check's (scripts/vm.py check),
    cached by the KUnit sources and the library."""
    cache = os.path.join(UP, 'oot-kunit.json')
    key = oot_digest()
    try:
        known = json.load(open(cache))
    except (OSError, ValueError):
        known = {}
    if key in known:
        k = known[key]
        info(f'make check of these sources ({k["when"]}): {k["line"]}')
        return k
    log = c.log('03-make-check.log')
    rc = c.run([sys.executable, os.path.join(ROOT, 'scripts', 'vm.py'),
                'check'], log, cwd=ROOT)
    k = None
    for line in read(log).split('\n'):
        m = re.search(r'KUnit (.*) \((\d+) skipped\): (\d+) passed, '
                      r'(\d+) failed', line)
        if m:
            k = {'suites': m.group(1).split(), 'skipped': int(m.group(2)),
                 'passed': int(m.group(3)), 'failed': int(m.group(4))}
            k['total'] = k['passed'] + k['failed'] + k['skipped']
            k['line'] = line.strip()
    if not k:
        return None
    k['when'] = datetime.datetime.now().strftime('%Y-%m-%d %H:%M')
    k['make_check_exit'] = rc
    info(f'make check: {k["line"]} (exit {rc}; log {log})')
    known[key] = k
    with open(cache, 'w') as f:
        json.dump(known, f, indent=1)
    return k


def series_files(patch):
    """The files a patch file touches."""
    return re.findall(r'^\+\+\+ b/(\S+)$', read(patch), re.M)


def build_warnings(log, files):
    """Compiler, sparse and kernel-doc diagnostics ("path:line: warning:")
    in @log about @files.  (W=1 also runs scripts/misc-check, which flags
    every tracked file: Debian's top .gitignore ignores "/*".)"""
    out = []
    for line in read(log).split('\n'):
        line = line.replace(REPO + '/', '').strip()
        m = re.match(r'(\S+?):\d+:(\d+:)? (warning|error):', line)
        if m and m.group(1) in files:
            out.append(line)
    return out


def docs_warnings(log):
    """Sphinx and kernel-doc warnings of a htmldocs log, with the tree's
    absolute path taken out (so that two builds compare)."""
    out = set()
    for line in read(log).split('\n'):
        if re.search(r'WARNING|ERROR|warning:|error:', line):
            out.add(line.replace(REPO + '/', '').strip())
    return out


def scratch_reset(c, base):
    log = c.log('04-scratch.log')
    for cmd in (['git', 'am', '--abort'], ['git', 'checkout', '-q', '-f',
                                           '-B', 'aw-check', base],
                ['git', 'clean', '-q', '-f', '-d', '-x']):
        c.run(cmd, log)
    return git('rev-parse', 'HEAD') == base and not git('status',
                                                        '--porcelain')


def docs_build(c, out_dir, log):
    return c.run(['make', f'O={out_dir}', 'htmldocs', 'SPHINXDIRS=core-api',
                  f'-j{os.cpu_count()}'], log)


def check_patch(c, i, n, patch, base_build, all_files):
    """git am, checkpatch --strict, then the W=1 (+ sparse) build; a
    diagnostic about any file of the series (@all_files) fails it."""
    name = os.path.basename(patch)
    log = c.log(f'05-{i}-checkpatch.log')
    c.run(['./scripts/checkpatch.pl', '--strict', '--show-types', patch],
          log)
    m = re.search(r'total: (\d+) errors, (\d+) warnings, (\d+) checks',
                  read(log))
    counts = tuple(int(x) for x in m.groups()) if m else None
    c.figures.setdefault('checkpatch', {})[name] = \
        '%d errors, %d warnings, %d checks' % counts if counts else '?'
    c.verdict(f'patch {i}/{n} checkpatch --strict', counts == (0, 0, 0),
              c.figures['checkpatch'][name] + f' ({log})')
    log = c.log(f'05-{i}-am.log')
    if c.run(['git', 'am', '-q', patch], log):
        c.verdict(f'patch {i}/{n} git am', False, log)
        return False
    files = series_files(patch)
    kconfig = os.path.join(REPO, KUNITCONFIG)
    if not os.path.exists(kconfig):
        kconfig = os.path.join(UP, 'kunitconfig.base')
        with open(kconfig, 'w') as f:
            f.write('CONFIG_KUNIT=y\n')
    log = c.log(f'05-{i}-build.log')
    rc = c.run([sys.executable, 'tools/testing/kunit/kunit.py', 'build',
                '--arch=x86_64', f'--build_dir={base_build}',
                f'--kunitconfig={kconfig}', '--make_options=W=1',
                f'--jobs={os.cpu_count()}'] +
               [f'--kconfig_add={o}' for o in X86_ADD], log,
               progress=objects_progress(base_build, 'x86_64 W=1 build'))
    if rc == 0:
        count_objects(base_build)
    # The series' C files, compiled W=1 and checked by sparse (C=2) even if
    # up to date; CONFIG_ATOMIC_WAKER=y: nothing selects it before patch 2.
    objs = [f[:-2] + '.o' for f in files if f.endswith('.c')]
    have = [o for o in ('lib/atomic_waker.o',) if
            os.path.exists(os.path.join(REPO, o[:-2] + '.c'))]
    objs = sorted(set(objs + have))
    if objs and rc == 0:
        rc = c.run(['make', 'ARCH=x86_64', f'O={base_build}', 'W=1', 'C=2',
                    'CONFIG_ATOMIC_WAKER=y', f'-j{os.cpu_count()}'] + objs,
                   log)
    warn = build_warnings(log, all_files)
    for w in warn[:20]:
        info(f'  {w}')
    ok = rc == 0 and not warn
    c.figures.setdefault('builds', {})[name] = \
        f'exit {rc}, {len(warn)} warnings'
    return c.verdict(f'patch {i}/{n} builds (x86_64 W=1, sparse on '
                     f'{len(objs)} objects)', ok,
                     f'exit {rc}, {len(warn)} warnings ({log})')


def kunit_run(c, arch, build_dir, extra, log):
    cmd = [sys.executable, 'tools/testing/kunit/kunit.py', 'run',
           f'--arch={arch}', f'--build_dir={build_dir}',
           f'--kunitconfig={KUNITDIR}', f'--jobs={os.cpu_count()}',
           f'--timeout={KUNIT_TIMEOUT}'] + extra
    rc = c.run(cmd, log, progress=objects_progress(build_dir,
                                                   f'kunit.py {arch}'),
               timeout=KUNIT_TIMEOUT + 3600)
    k = kunit_summary(log)
    if k:
        count_objects(build_dir)
        info(f'  kunit.py: {k["line"]}')
    return rc, k


def virtio_rng_boot(c, build_dir):
    """Boot the x86_64 build with a virtio-rng device, its KUnit suites
    off and the atomic_waker events printed: the hwrng thread must have
    slept on the atomic_waker and been woken from the virtqueue IRQ.  The
    device gives 32 bytes per 100 ms (unlimited, every read of the hwrng
    thread finds its data there already and never sleeps); the boot ends
    after rootdelay, with the panic of a kernel without a root device."""
    log = c.log('07-virtio-rng.log')
    cmd = ['timeout', '-k', '10', '600', 'qemu-system-x86_64', '-nodefaults',
           '-m', '1024', '-smp', '2', '-bios', 'qboot.rom', '-nographic',
           '-no-reboot', '-serial', 'stdio', '-object', 'rng-builtin,id=rng0',
           '-device', f'virtio-rng-pci,rng=rng0,max-bytes={RNG_BYTES},'
           f'period={RNG_PERIOD_MS}',
           '-kernel', os.path.join(build_dir, 'arch/x86/boot/bzImage'),
           '-append', 'console=ttyS0 kunit.enable=0 panic=-1 rootdelay=10 '
           'trace_event=atomic_waker:* tp_printk']
    rc = c.run(cmd, log)
    text = read(log)
    woken = len(re.findall(r'atomic_waker_wake: aw=\S+ kind=sleeper '
                           r'target=\S+ woken=1', text))
    regs = len(re.findall(r'atomic_waker_register: aw=\S+ kind=sleeper '
                          r'target=\S+ ret=0', text))
    ended = 'Waiting 10 sec before mounting root device' in text
    bad = re.findall(r'.*(?:WARNING:|BUG:|Oops|Call Trace|hung_task|'
                     r'blocked for more than).*',
                     text.split('Kernel panic - not syncing: VFS')[0])
    c.figures['virtio_rng'] = {'woken': woken, 'registers': regs,
                               'log': log}
    return c.verdict('virtio-rng reads woken through the atomic_waker '
                     '(x86_64, QEMU)', rc == 0 and woken > 0 and not bad
                     and ended,
                     f'{woken} wake events (woken=1), {regs} registers, '
                     f'{len(bad)} warnings, rootdelay reached: {ended} '
                     f'({log})')


def check():
    """make patches-check."""
    start = time.time()
    os.makedirs(UP, exist_ok=True)
    lock = open(os.path.join(UP, 'check.lock'), 'w')
    import fcntl
    fcntl.flock(lock, fcntl.LOCK_EX)
    c = Check(9)
    info(f'logs: {c.logs}')
    um_dir = os.path.join(UP, 'build', 'um')
    x86_dir = os.path.join(UP, 'build', 'x86_64')
    docs_dir = os.path.join(UP, 'build', 'docs')

    c.step(1, 'Debian packages')
    kernels.apt_install(*DEBIAN_PKGS)

    c.step(2, 'generate the series (make patches)')
    paths, base, release, has_driver = generate(results={}, quiet=True)
    c.figures['release'] = release
    patches = paths[1:]
    c.verdict('the series has the virtio-rng conversion', has_driver,
              drivers_diff()[1])

    c.step(3, 'the out-of-tree KUnit count (make check)')
    oot = oot_kunit(c)
    c.verdict('make check ran the out-of-tree KUnit suites', oot is not None,
              oot['line'] if oot else c.log('03-make-check.log'))

    c.step(4, f'scratch tree at the base commit ({base[:12]}), the '
           f'documentation baseline')
    c.verdict('scratch tree reset to the base commit', scratch_reset(c, base),
              REPO)
    base_warn = os.path.join(UP, f'docs-base-{base[:12]}.warnings')
    if not os.path.exists(base_warn):
        log = c.log('04-htmldocs-base.log')
        info('htmldocs of the base tree, for its warnings (once per base)')
        rc = docs_build(c, os.path.join(UP, 'build', 'docs-base'), log)
        if rc == 0:
            with open(base_warn, 'w') as f:
                f.write('\n'.join(sorted(docs_warnings(log))) + '\n')
        else:
            c.verdict('htmldocs of the base tree', False, log)
    before = set(read(base_warn).split('\n')) - {''} \
        if os.path.exists(base_warn) else set()

    c.step(5, f'each patch: checkpatch --strict, git am, W=1 build '
           f'({len(patches)} patches)')
    all_files = sorted(set(f for p in patches for f in series_files(p)))
    for i, p in enumerate(patches, 1):
        info(f'patch {i}/{len(patches)}: {os.path.basename(p)}')
        check_patch(c, i, len(patches), p, x86_dir, all_files)
    total = oot['total'] if oot else None

    c.step(6, 'kunit.py run --arch=um')
    rc, um = kunit_run(c, 'um', um_dir, [], c.log('06-kunit-um.log'))
    c.figures['kunit_um'] = um
    c.verdict('kunit.py UML: no failure', rc == 0 and um is not None and
              not (um['failed'] or um['crashed'] or um['errors']),
              (um['line'] if um else 'no summary') +
              f' ({c.log("06-kunit-um.log")})')
    c.verdict('kunit.py UML: the out-of-tree case count',
              um is not None and um['total'] == total,
              f'{um["total"] if um else "?"} vs {total}')

    c.step(7, 'kunit.py run --arch=x86_64 (QEMU TCG), virtio-rng boot')
    rc, x86 = kunit_run(c, 'x86_64', x86_dir,
                        ['--make_options=W=1', f'--qemu_args={X86_QEMU}'] +
                        [f'--kconfig_add={o}' for o in X86_ADD],
                        c.log('07-kunit-x86_64.log'))
    c.figures['kunit_x86_64'] = x86
    c.verdict('kunit.py x86_64: no failure', rc == 0 and x86 is not None and
              not (x86['failed'] or x86['crashed'] or x86['errors']),
              (x86['line'] if x86 else 'no summary') +
              f' ({c.log("07-kunit-x86_64.log")})')
    c.verdict('kunit.py x86_64: the out-of-tree case count',
              x86 is not None and x86['total'] == total,
              f'{x86["total"] if x86 else "?"} vs {total}')
    if has_driver and x86:
        virtio_rng_boot(c, x86_dir)

    c.step(8, 'make htmldocs SPHINXDIRS=core-api')
    log = c.log('08-htmldocs.log')
    rc = docs_build(c, docs_dir, log)
    new = sorted(docs_warnings(log) - before)
    for w in new[:30]:
        info(f'  new: {w}')
    html = os.path.join(docs_dir, 'Documentation', 'output', 'core-api',
                        'atomic_waker.html')
    c.figures['htmldocs_new_warnings'] = len(new)
    c.figures['html'] = html
    c.verdict('htmldocs: no new warning', rc == 0 and not new and
              os.path.exists(html),
              f'exit {rc}, {len(new)} new warnings ({log})')
    info(f'rendered: {html}')

    c.step(9, 'the series again, with these figures in its messages')
    figures = dict(c.figures, inputs=inputs_digest(), oot_kunit=oot,
                   version=project_version(),
                   date=datetime.datetime.now().strftime('%Y-%m-%d %H:%M'))
    good = all(r[1] for r in c.rows)
    if good:
        with open(RESULTS, 'w') as f:
            json.dump(figures, f, indent=1)
        trees = [git('rev-parse', f'{h}^{{tree}}') for h in
                 git('rev-list', f'{base}..HEAD').split('\n')]
        paths, *_ = generate(results=figures, quiet=True)
        again = [git('rev-parse', f'{h}^{{tree}}') for h in
                 git('rev-list', f'{base}..refs/aw/series').split('\n')]
        log = c.log('09-checkpatch.log')
        for p in paths[1:]:
            c.run(['./scripts/checkpatch.pl', '--strict', '--show-types', p],
                  log)
        totals = re.findall(r'total: (\d+) errors, (\d+) warnings, (\d+) '
                            r'checks', read(log))
        c.verdict('the series with its figures: the same code, checkpatch '
                  'clean', trees == again and len(totals) == len(paths) - 1
                  and all(t == ('0', '0', '0') for t in totals),
                  f'{len(totals)} patches ({log})')
    else:
        info('not all checks passed: the series keeps "figures pending"')

    print()
    print('patches-check summary:')
    for what, ok, detail in c.rows:
        print(f'  {"ok  " if ok else "FAIL"} {what}' +
              (f': {detail}' if detail else ''))
    print(f'series: {SERIES}')
    print(f'rendered documentation: {html}')
    print(f'logs: {c.logs}')
    print(f'patches-check: {int(time.time() - start)} s')
    print(f'{c.passed} passed, {c.failed} failed')
    return 1 if c.failed else 0


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ('generate', 'check'):
        sys.exit(__doc__)
    try:
        if sys.argv[1] == 'generate':
            paths, _, _, has_driver = generate()
            print(f'{len(paths) - 1} patches and a cover letter in {SERIES}')
            return 0 if has_driver else 1
        return check()
    except KernelError as e:
        print(f'ERROR: {e}')
        if sys.argv[1] == 'check':
            print('0 passed, 1 failed')
        return 1


if __name__ == '__main__':
    sys.exit(main())
