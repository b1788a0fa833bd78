# SPDX-License-Identifier: GPL-2.0
"""Build the test initramfs: static busybox, the modules and programs a
profile's steps name, and an /init that runs the steps in order.

Steps, one per line of /etc/aw-steps (see scripts/profiles.toml):
  insmod PATH.ko [ARGS]   a module of this repo's build
  modprobe NAME [ARGS]    a module of the kernel (with its dependencies)
  run CMD [ARGS]          a program in /bin (or a busybox command)
  rmmod NAME              unload a module now
  xfail STEP              STEP must fail
The init prints "AW-INIT: step I/N: STEP" before each step and "AW-INIT:
passed ..." or "AW-INIT: FAILED ..." after it, into the kernel log so that
the markers interleave with kernel messages; it unloads what it loaded in
reverse order, scans for leaks where kmemleak is built in, and ends with
"AW-INIT: done status=N" and a reboot.
"""
import os
import shutil
import subprocess
import tempfile

INIT = r'''#!/bin/sh
# /init of the atomic_waker test initramfs (scripts/initramfs.py)
PATH=/bin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
grep -qw debugfs /proc/filesystems && mount -t debugfs debugfs /sys/kernel/debug
grep -qw tracefs /proc/filesystems && mount -t tracefs tracefs /sys/kernel/tracing
say() { echo "AW-INIT: $*" >/dev/kmsg; }
say "start cpus=$(nproc) kernel=$(uname -r)"
status=0
loaded=
total=$(grep -c . /etc/aw-steps)
i=0
# do_step STEP...: run one step; exit status 0 if it succeeded
do_step() {
	cmd=$1
	shift
	case $cmd in
	insmod)
		ko=$1
		shift
		insmod "/modules/$ko" "$@" || return 1
		loaded="$(basename "$ko" .ko | tr - _) $loaded"
		;;
	modprobe)
		modprobe "$@" || return 1
		loaded="$(echo "$1" | tr - _) $loaded"
		;;
	run) "$@" ;;
	rmmod) rmmod "$@" ;;
	*) echo "unknown step $cmd" >&2; return 2 ;;
	esac
}
while read -r line <&3; do
	i=$((i + 1))
	say "step $i/$total: $line"
	# shellcheck disable=SC2086
	set -- $line
	if [ "$1" = xfail ]; then
		shift
		if do_step "$@"; then
			say "FAILED (passed, expected to fail): $*"
			status=1
		else
			say "passed (failed as expected): $*"
		fi
	elif do_step "$@"; then
		say "passed: $*"
	else
		say "FAILED (exit $?): $*"
		status=1
	fi
done 3</etc/aw-steps
for m in $loaded; do
	[ -d "/sys/module/$m" ] || continue
	say "unloading $m"
	rmmod "$m" || { say "FAILED to unload $m"; status=1; }
done
if [ -e /sys/kernel/debug/kmemleak ]; then
	say "kmemleak scan"
	sleep 6 # objects younger than 5 s are not reported
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak # a leak is reported on its 2nd scan
	while read -r l; do
		echo "kmemleak: $l" >/dev/kmsg
	done </sys/kernel/debug/kmemleak
	say "kmemleak scan done"
fi
say "done status=$status"
reboot -f
'''


def step_words(step):
    """The step without xfail, as words."""
    words = step.split()
    return words[1:] if words and words[0] == 'xfail' else words


def kernel_modules(kernel, names, root):
    """Copy the kernel's modules @names and what they depend on into
    @root/lib/modules/<release>, uncompressed, and index them (depmod)."""
    rel = kernel.release
    dest = os.path.join(root, 'lib', 'modules', rel)
    os.makedirs(dest, exist_ok=True)
    for name in names:
        out = subprocess.run(['modprobe', '-d', kernel.modules, '-S', rel,
                              '--show-depends', name], capture_output=True,
                             text=True)
        if out.returncode:
            raise RuntimeError(f'modprobe --show-depends {name} for {rel}: '
                               f'{out.stderr.strip()}')
        for line in out.stdout.splitlines():
            words = line.split()
            if words[0] != 'insmod':
                continue        # builtin
            path = words[1]
            rel_path = os.path.relpath(path, os.path.join(kernel.modules,
                                                          'lib/modules', rel))
            target = os.path.join(dest, rel_path)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if path.endswith('.xz'):
                with open(target[:-3], 'wb') as f:
                    subprocess.run(['xz', '-dc', path], stdout=f, check=True)
            else:
                shutil.copy(path, target)
    src = os.path.join(kernel.modules, 'lib', 'modules', rel)
    for index in ('modules.builtin', 'modules.builtin.modinfo'):
        if os.path.exists(os.path.join(src, index)):   # modprobe of builtins
            shutil.copy(os.path.join(src, index), dest)
    subprocess.run(['depmod', '-b', root, rel], check=True,
                   stderr=subprocess.DEVNULL)


def find_module(moddirs, path):
    for d in moddirs:
        if os.path.exists(os.path.join(d, path)):
            return os.path.join(d, path)
    raise RuntimeError(f'{path}: not built (looked in {", ".join(moddirs)})')


def build(out, kernel, moddirs, steps, programs):
    """Write the initramfs for @steps to @out.  @moddirs hold this repo's
    built modules, @programs the static binaries to put in /bin."""
    root = tempfile.mkdtemp(prefix='aw-initramfs.')
    try:
        for d in ('bin', 'dev', 'etc', 'modules', 'proc', 'sys', 'tmp'):
            os.makedirs(os.path.join(root, d))
        shutil.copy('/bin/busybox', os.path.join(root, 'bin', 'busybox'))
        applets = subprocess.run(['/bin/busybox', '--list'],
                                 capture_output=True, text=True,
                                 check=True).stdout.split()
        for a in set(applets) - {'busybox'}:
            os.symlink('busybox', os.path.join(root, 'bin', a))
        os.symlink('bin', os.path.join(root, 'sbin'))
        for p in programs:
            shutil.copy(p, os.path.join(root, 'bin'))
        probe = []
        for s in steps:
            w = step_words(s)
            if w[0] == 'insmod':
                dst = os.path.join(root, 'modules', w[1])
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copy(find_module(moddirs, w[1]), dst)
            elif w[0] == 'modprobe':
                probe.append(w[1])
        kernel_modules(kernel, probe, root)
        with open(os.path.join(root, 'etc', 'aw-steps'), 'w') as f:
            f.write(''.join(s + '\n' for s in steps))
        with open(os.path.join(root, 'init'), 'w') as f:
            f.write(INIT)
        os.chmod(os.path.join(root, 'init'), 0o755)
        files = subprocess.run('find . | LC_ALL=C sort', shell=True, cwd=root,
                               capture_output=True, check=True).stdout
        with open(out, 'wb') as f:
            subprocess.run(['cpio', '-o', '-H', 'newc', '--quiet'], cwd=root,
                           input=files, stdout=f, check=True)
    finally:
        shutil.rmtree(root)
