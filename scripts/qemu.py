# SPDX-License-Identifier: GPL-2.0
"""Boot a kernel and an initramfs in QEMU (TCG: no KVM here), under a
watchdog, with the serial console going to a log file.  The one place that
starts QEMU.

While the guest runs, the lines that say how far it got (the init's step
markers, KTAP results, kernel splats) are echoed to stderr.
"""
import re
import subprocess
import sys
import threading
import time

# panic=-1: reboot at once on panic, and -no-reboot turns that into a QEMU
# exit; oops=panic: an oops ends the run instead of leaving a hung system;
# hung_task_panic: a task stuck in D state ends the run after its timeout.
CMDLINE = ('console=ttyS0 panic=-1 oops=panic printk.devkmsg=on '
           'sysctl.kernel.hung_task_panic=1')
PROGRESS = re.compile(r'AW-INIT:|^\s*(\[[^\]]*\] )?\s*(not )?ok \d+ |'
                      r'Kernel panic|BUG:|WARNING:|Oops|: \d+ passed, \d+ '
                      r'failed|SUCCESS|FAILURE|^\w+: (progress|soak): ')


def _follow(log, proc):
    """Echo the progress lines of @log until @proc exits."""
    with open(log, errors='replace') as f:
        while True:
            line = f.readline()
            if line:
                if PROGRESS.search(line):
                    print('    | ' + line.rstrip()[:150], file=sys.stderr,
                          flush=True)
            elif proc.poll() is not None:
                return
            else:
                time.sleep(0.2)


def boot(image, initrd, log, smp=2, mem='1G', timeout=600, append='',
         qemu_args=()):
    """Boot; return 'exited' (the guest rebooted or panicked: the log says
    which) or 'watchdog' (killed after @timeout seconds)."""
    open(log, 'w').close()
    cmd = ['qemu-system-x86_64', '-accel', 'tcg', '-smp', str(smp),
           '-m', mem, '-nographic', '-no-reboot', '-monitor', 'none',
           '-serial', f'file:{log}', '-nic', 'none', '-kernel', image,
           '-initrd', initrd, '-append', f'{CMDLINE} {append}'.strip(),
           *qemu_args]
    print(f'==> qemu: {smp} vCPUs, {mem}, watchdog {timeout}s '
          f'(console log: {log})', file=sys.stderr, flush=True)
    start = time.time()
    proc = subprocess.Popen(['nice', '-n', '5'] + cmd, stdin=subprocess.DEVNULL)
    tail = threading.Thread(target=_follow, args=(log, proc), daemon=True)
    tail.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        tail.join()
        with open(log, 'a') as f:
            f.write(f'AW-HOST: watchdog: QEMU killed after {timeout}s\n')
        print(f'==> qemu: WATCHDOG: killed after {timeout}s', file=sys.stderr)
        return 'watchdog'
    tail.join()
    if proc.returncode:
        raise RuntimeError(f'qemu failed (exit {proc.returncode}), see {log}')
    print(f'==> qemu: exited after {int(time.time() - start)}s',
          file=sys.stderr, flush=True)
    return 'exited'
