#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Resolve a kernel named in scripts/profiles.toml, and build modules for it.

Two kinds of kernel, both found by name in the [kernel.*] tables:

  test kernels   source = "6.12", fragments = [...]: Debian's
                 linux-source-<source> tarball, tinyconfig plus the fragments
                 of scripts/configs/, built once into the cache, keyed by
                 the options (not the comments) and the source version
  stock kernels  package = "linux-image-6.12-amd64": a Debian meta-package,
                 resolved at run time to the release it depends on today
                 (never a release typed here); its headers are installed,
                 its unsigned image package is unpacked into the cache for
                 vmlinuz and /lib/modules

build_modules() is the one place that builds this repo's modules for a
kernel: in a copy of the tree kept per kernel, so objects built for one
kernel are never reused for another.

Usage: kernels.py resolve NAME            print the kernel's facts
       kernels.py build-modules NAME [CONFIG_...=m ...] [MAKEVAR=...]
"""
import dataclasses
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib

from cache import cache_dir

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROFILES = os.path.join(ROOT, 'scripts', 'profiles.toml')
CONFIGS = os.path.join(ROOT, 'scripts', 'configs')
# Bump when the way test kernels are configured or built changes.
KBUILD_REV = 2


def step(msg):
    print(f'==> {msg}', file=sys.stderr, flush=True)


def info(msg):
    print(f'    {msg}', file=sys.stderr, flush=True)


class KernelError(Exception):
    pass


@dataclasses.dataclass
class Kernel:
    name: str       # as in profiles.toml
    release: str    # uname -r
    image: str      # what QEMU boots
    kbuild: str     # make -C <kbuild> M=... builds modules for it
    modules: str    # the directory holding lib/modules/<release>
    source: str     # a source tree of the same version (kunit.py, drivers)
    key: str        # names what is built for this kernel in the cache
    config: str     # its .config


def load_profiles():
    with open(PROFILES, 'rb') as f:
        return tomllib.load(f)


def run(cmd, log=None, **kw):
    """Run cmd; with log, append its output there.  Raise on failure."""
    if log:
        with open(log, 'a') as f:
            res = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, **kw)
    else:
        res = subprocess.run(cmd, **kw)
    if res.returncode:
        raise KernelError(f'{" ".join(cmd)} failed (exit {res.returncode})'
                          + (f', see {log}' if log else ''))
    return res


def apt_install(*pkgs):
    """Install Debian packages that are missing (as root)."""
    missing = [p for p in pkgs if subprocess.run(
        ['dpkg-query', '-W', '-f=${Status}', p], capture_output=True,
        text=True).stdout != 'install ok installed']
    if not missing:
        return
    if os.geteuid() != 0:
        raise KernelError(f'missing packages; run: sudo apt-get install '
                          f'{" ".join(missing)}')
    info(f'apt-get install {" ".join(missing)}')
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    run(['apt-get', '-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-q',
         '--no-install-recommends', *missing], env=env,
        stdout=subprocess.DEVNULL)


# ---- kernel sources ------------------------------------------------------

def source_tree(version):
    """Debian's linux-source-<version>, unpacked into the cache once."""
    tarball = f'/usr/src/linux-source-{version}.tar.xz'
    if not os.path.exists(tarball):
        apt_install(f'linux-source-{version}')
    tree = cache_dir('src', f'linux-source-{version}')
    stamp = tree + '.unpacked'
    st = os.stat(tarball)
    want = f'{st.st_size} {int(st.st_mtime)}'
    if not os.path.exists(stamp) or open(stamp).read().strip() != want:
        step(f'unpacking {tarball} into {os.path.dirname(tree)} (once, ~1 min)')
        shutil.rmtree(tree, ignore_errors=True)
        shutil.rmtree(tree + '.tmp', ignore_errors=True)
        os.makedirs(tree + '.tmp')
        run(['tar', '-xJf', tarball, '-C', tree + '.tmp',
             '--strip-components=1'])
        os.rename(tree + '.tmp', tree)
        with open(stamp, 'w') as f:
            f.write(want + '\n')
    return tree


def tree_version(tree):
    """6.12.118 from a tree's Makefile."""
    v = {}
    with open(os.path.join(tree, 'Makefile')) as f:
        for line in f:
            m = re.match(r'(VERSION|PATCHLEVEL|SUBLEVEL|EXTRAVERSION) = ?(.*)',
                         line)
            if m:
                v[m.group(1)] = m.group(2).strip()
            if line.startswith('NAME'):
                break
    return '{VERSION}.{PATCHLEVEL}.{SUBLEVEL}{EXTRAVERSION}'.format(**v)


# ---- test kernels ----------------------------------------------------------

def fragment_options(fragments):
    """The option lines of the fragments, in order, comments dropped."""
    opts = []
    for frag in fragments:
        with open(os.path.join(CONFIGS, frag)) as f:
            for line in f:
                line = line.strip()
                if re.match(r'CONFIG_\w+=', line) or \
                        re.match(r'# CONFIG_\w+ is not set$', line):
                    opts.append(line)
    return opts


def option_name(line):
    return re.search(r'CONFIG_\w+', line).group(0)


def check_options(config, opts):
    """Every option's last setting must have survived olddefconfig."""
    have = {}
    with open(config) as f:
        for line in f:
            line = line.strip()
            if re.match(r'(# )?CONFIG_\w+[= ]', line):
                have[option_name(line)] = line
    last = {option_name(o): o for o in opts}
    bad = []
    for name, want in last.items():
        got = have.get(name, f'# {name} is not set')
        if want.startswith('#'):
            ok = not got.startswith(name + '=')
        else:
            ok = got == want
        if not ok:
            bad.append(f'wanted "{want}", got "{got}"')
    return bad


def build_progress(log, total, start):
    n = 0
    last = '...'
    with open(log, errors='replace') as f:
        for line in f:
            if line.startswith(('  CC ', '  AS ')):
                n += 1
            if re.match(r'  [A-Z]+ ', line):
                last = line.strip()
    return f'{int(time.time() - start)}s: {n}/~{total} files compiled, ' \
           f'last: {last}'


def test_kernel_dir(spec):
    """(source tree, option lines, build directory) of test kernel @spec:
    the directory is keyed by the options and the source version."""
    src = source_tree(spec.get('source', '6.12'))
    opts = fragment_options(spec['fragments'])
    key_text = '\n'.join(opts + [tree_version(src), f'rev={KBUILD_REV}'])
    digest = hashlib.sha256(key_text.encode()).hexdigest()[:10]
    return src, opts, cache_dir(f'kernel-{tree_version(src)}-{digest}')


def build_seconds(name):
    """How long the cached build of test kernel @name took (its stamp),
    or None if it is not built; never builds."""
    spec = load_profiles()['kernel'][name]
    stamp = os.path.join(test_kernel_dir(spec)[2], '.aw-built')
    try:
        with open(stamp) as f:
            return int(re.search(r'built in (\d+)s', f.read()).group(1))
    except (OSError, AttributeError):
        return None


def build_test_kernel(name, spec):
    frags = spec['fragments']
    src, opts, obj = test_kernel_dir(spec)
    stamp = os.path.join(obj, '.aw-built')
    if not os.path.exists(stamp):
        os.makedirs(obj, exist_ok=True)
        with open(obj + '.lock', 'w') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another run may be building it
            if not os.path.exists(stamp):
                compile_kernel(name, src, obj, frags, opts)
    release = open(os.path.join(obj, 'include/config/kernel.release')).read()
    release = release.strip()
    return Kernel(name=name, release=release,
                  image=os.path.join(obj, 'arch/x86/boot/bzImage'),
                  kbuild=obj, modules=os.path.join(obj, 'aw-modules'),
                  source=src, key=os.path.basename(obj),
                  config=os.path.join(obj, '.config'))


def compile_kernel(name, src, obj, frags, opts):
    log = os.path.join(obj, 'build.log')
    open(log, 'w').close()
    kmake = ['make', '-C', src, f'O={obj}']
    start = time.time()
    step(f'kernel {name} 1/4: configure {tree_version(src)} with '
         f'{" + ".join(frags)} in {obj} (log: {log})')
    run(kmake + ['tinyconfig'], log)
    run([os.path.join(src, 'scripts/kconfig/merge_config.sh'), '-m', '-O',
         obj, os.path.join(obj, '.config'),
         *[os.path.join(CONFIGS, f) for f in frags]], log, cwd=src)
    run(kmake + ['olddefconfig'], log)
    step(f'kernel {name} 2/4: check that every fragment option stuck')
    bad = check_options(os.path.join(obj, '.config'), opts)
    for b in bad:
        info(b)
    if bad:
        raise KernelError('fragment options dropped by olddefconfig '
                          '(missing dependencies?)')
    count_file = cache_dir('kernel-files.count')
    total = open(count_file).read().strip() \
        if os.path.exists(count_file) else '?'
    jobs = os.cpu_count()
    step(f'kernel {name} 3/4: make -j{jobs} (5-10 min on 2 cores; log: {log})')
    with open(log, 'a') as f:
        proc = subprocess.Popen(['nice', '-n', '10'] + kmake +
                                [f'-j{jobs}', 'all'], stdout=f,
                                stderr=subprocess.STDOUT)
    while proc.poll() is None:
        time.sleep(20)
        if proc.poll() is None:
            info(build_progress(log, total, start))
    if proc.returncode:
        with open(log, errors='replace') as f:
            errs = [l for l in f if re.search(r'error|Error', l)][:20]
        sys.stderr.writelines(errs)
        raise KernelError(f'kernel build failed, see {log}')
    with open(log, errors='replace') as f:
        n = sum(1 for l in f if l.startswith(('  CC ', '  AS ')))
    with open(count_file, 'w') as f:
        f.write(f'{n}\n')
    step(f'kernel {name} 4/4: install its modules into {obj}/aw-modules')
    shutil.rmtree(os.path.join(obj, 'aw-modules'), ignore_errors=True)
    run(kmake + [f'INSTALL_MOD_PATH={obj}/aw-modules', 'modules_install'],
        log)
    with open(os.path.join(obj, '.aw-built'), 'w') as f:
        f.write(f'built in {int(time.time() - start)}s\n')
    step(f'kernel {name}: built in {int(time.time() - start)}s: {obj}')


# ---- stock kernels ---------------------------------------------------------

def stock_release(meta):
    """The release a Debian meta-package depends on today."""
    def depends():
        out = subprocess.run(['apt-cache', 'depends', meta],
                             capture_output=True, text=True).stdout
        m = re.search(r'Depends: linux-image-(\S+)', out)
        return m.group(1) if m else None
    rel = depends()
    if rel is None and os.geteuid() == 0:
        info('apt-get update (no package lists yet)')
        subprocess.run(['apt-get', 'update', '-q'], stdout=subprocess.DEVNULL)
        rel = depends()
    if rel is None:
        raise KernelError(f'cannot resolve {meta}: apt-cache depends found no '
                          f'linux-image dependency (apt-get update?)')
    return rel


def stock_kernel(name, spec):
    rel = stock_release(spec['package'])
    hdr = f'/usr/src/linux-headers-{rel}'
    if not os.path.exists(os.path.join(hdr, 'Makefile')):
        apt_install(f'linux-headers-{rel}')
    root = cache_dir('stock', rel)
    image = os.path.join(root, 'root', 'boot', f'vmlinuz-{rel}')
    if not os.path.exists(image):
        step(f'kernel {name}: unpacking linux-image-{rel}-unsigned into {root}')
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(os.path.join(root, 'deb'))
        run(['apt-get', 'download', '-q', '-o', 'APT::Sandbox::User=root',
             f'linux-image-{rel}-unsigned'], cwd=os.path.join(root, 'deb'),
            stdout=subprocess.DEVNULL)
        deb = os.listdir(os.path.join(root, 'deb'))[0]
        run(['dpkg-deb', '-x', os.path.join(root, 'deb', deb),
             os.path.join(root, 'root')])
        shutil.rmtree(os.path.join(root, 'deb'))
        run(['depmod', '-b', os.path.join(root, 'root'), rel])  # modules.dep
    config = os.path.join(hdr, '.config')
    with open(config) as f:
        if 'CONFIG_MODULE_SIG_FORCE=y\n' in f.read():
            raise KernelError(f'{rel} enforces module signatures')
    return Kernel(name=name, release=rel, image=image, kbuild=hdr,
                  modules=os.path.join(root, 'root'),
                  source=source_tree(re.match(r'\d+\.\d+', rel).group(0)),
                  key=f'stock-{rel}', config=config)


def resolve(name):
    """The Kernel named @name in profiles.toml, built or fetched if need be."""
    kernels = load_profiles()['kernel']
    if name not in kernels:
        raise KernelError(f'unknown kernel "{name}"; known: '
                          f'{", ".join(kernels)}')
    spec = kernels[name]
    if 'package' in spec:
        return stock_kernel(name, spec)
    return build_test_kernel(name, spec)


# ---- this repo's modules, for a kernel -------------------------------------

def tree_id():
    """A short name for this checkout: each gets its own module builds."""
    return hashlib.sha256(ROOT.encode()).hexdigest()[:8]


def sync_tree(dest):
    """Make dest a copy of the repo's source files (as git sees them),
    touching only what changed, so that kbuild rebuilds only that."""
    files = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard'],
                           cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    want = set()
    for rel in files:
        src = os.path.join(ROOT, rel)
        if not os.path.isfile(src):
            continue
        want.add(rel)
        dst = os.path.join(dest, rel)
        with open(src, 'rb') as f:
            data = f.read()
        if os.path.exists(dst):
            with open(dst, 'rb') as f:
                if f.read() == data:
                    continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, 'wb') as f:
            f.write(data)
        shutil.copymode(src, dst)
    for dirpath, _, names in os.walk(dest):
        for n in names:
            rel = os.path.relpath(os.path.join(dirpath, n), dest)
            if re.search(r'\.(c|h|S)$|(^|/)(Kbuild|Makefile)$', rel) and \
                    rel not in want and not rel.endswith('.mod.c'):
                os.remove(os.path.join(dirpath, n))


def build_modules(kernel, configs=(), make_args=()):
    """Build atomic_waker.ko and the modules that the CONFIG_ATOMIC_WAKER_*
    names in @configs ask for, against @kernel, W=1 and warning-free.
    Returns the build directory (the .ko files are under it); @make_args
    (KCFLAGS=-D... say) get a directory of their own, so that such a build
    never stands in for the plain one."""
    key = f'{kernel.key}-{tree_id()}'
    if make_args:
        key += '-' + hashlib.sha256(' '.join(make_args).encode()).hexdigest()[:8]
    build = cache_dir('modules', key)
    os.makedirs(build, exist_ok=True)
    log = os.path.join(build, 'build.log')
    cmd = ['make', '-C', kernel.kbuild, f'M={build}', 'W=1',
           *[f'{c}=m' for c in configs], *make_args, 'modules']
    step(f'modules for {kernel.name} ({kernel.release}): '
         f'{" ".join(configs) or "atomic_waker.ko"} (log: {log})')
    with open(build + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)    # one build of this tree at a time
        sync_tree(build)
        open(log, 'w').close()
        run(['nice', '-n', '10'] + cmd, log)
    with open(log, errors='replace') as f:
        warnings = [l for l in f if re.search(r'warning:|error:', l)]
    if warnings:
        sys.stderr.writelines(warnings)
        raise KernelError(f'module build has warnings (W=1), see {log}')
    return build


def build_drivers(kernel, moddir, names):
    """The converted in-tree drivers of drivers/, applied to @kernel's
    source tree (drivers/apply.sh) and built against @kernel with the
    Module.symvers of atomic_waker in @moddir.  Returns the directory that
    holds drivers/<name>/*.ko."""
    top = cache_dir('modules', f'{kernel.key}-{tree_id()}-drivers')
    for name in names:
        out = os.path.join(top, 'drivers', name)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        log = out + '.log'
        open(log, 'w').close()
        step(f'driver {name} for {kernel.name}: drivers/apply.sh, then '
             f'kbuild (log: {log})')
        run([os.path.join(ROOT, 'drivers', 'apply.sh'), name, kernel.source,
             out], log, env=dict(os.environ, AW_DIR=moddir))
        run(['nice', '-n', '10', 'make', '-C', kernel.kbuild, f'M={out}',
             'W=1', f'KBUILD_EXTRA_SYMBOLS={moddir}/Module.symvers',
             'modules'], log)
        with open(log, errors='replace') as f:
            warnings = [line for line in f
                        if re.search(r'warning:|error:', line)]
        if warnings:
            sys.stderr.writelines(warnings)
            raise KernelError(f'{name} build has warnings (W=1), see {log}')
    return top


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ('resolve', 'build-modules'):
        sys.exit(__doc__)
    try:
        k = resolve(sys.argv[2])
        if sys.argv[1] == 'resolve':
            for field in dataclasses.fields(k):
                print(f'{field.name}={getattr(k, field.name)}')
        else:
            args = sys.argv[3:]
            configs = [a.split('=')[0] for a in args
                       if a.startswith('CONFIG_')]
            make_args = [a for a in args if not a.startswith('CONFIG_')]
            print(build_modules(k, configs, make_args))
    except KernelError as e:
        sys.exit(f'ERROR: {e}')


if __name__ == '__main__':
    main()
