#!/bin/bash
# Boot the test kernel + initramfs in QEMU (TCG) under a watchdog, with the
# serial console going to a log file. Shows AW-INIT/KUnit lines as progress.
# Usage: qemu-run.sh <kernel objdir> <initramfs.cpio> <console.log>
# Environment: SMP (2), AW_MEM (1G), AW_TIMEOUT (600 s), AW_APPEND (cmdline),
# AW_KERNEL (image to boot instead of <kdir>/arch/x86/boot/bzImage)
# Exit status: 0 when QEMU exited by itself (guest reboot or panic: the log
# tells which), 124 when the watchdog killed it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

(($# == 3)) || die "usage: $0 <kernel objdir> <initramfs.cpio> <console.log>"
kdir=$1 initrd=$2 log=$3
smp=${SMP:-2} mem=${AW_MEM:-1G} tmo=${AW_TIMEOUT:-600}
# panic=-1: reboot at once on panic, and -no-reboot turns that into a QEMU
# exit. oops=panic: an oops ends the run instead of leaving a hung system.
# hung_task_panic: a task stuck in D state ends the run after 30-60 s.
cmdline="console=ttyS0 panic=-1 oops=panic printk.devkmsg=on"
cmdline+=" sysctl.kernel.hung_task_panic=1 ${AW_APPEND:-}"

mkdir -p "$(dirname "$log")"
: >"$log"
step "qemu: booting $smp CPUs, $mem, watchdog ${tmo}s (console log: $log)"
start=$SECONDS
timeout -k 10 "$tmo" qemu-system-x86_64 -accel tcg -smp "$smp" -m "$mem" \
	-nographic -no-reboot -monitor none -serial "file:$log" -nic none \
	-kernel "${AW_KERNEL:-$kdir/arch/x86/boot/bzImage}" -initrd "$initrd" \
	-append "$cmdline" </dev/null &
qpid=$!
tail -n +1 -F --pid="$qpid" "$log" 2>/dev/null |
	grep --line-buffered -E 'AW-INIT:|ok [0-9]+ |_demo: |Kernel panic|BUG:|WARNING:|Oops' |
	sed -u 's/^/    | /' >&2 &
tpid=$!
rc=0
wait "$qpid" || rc=$?
wait "$tpid" || true
if ((rc == 124 || rc == 137)); then
	echo "AW-HOST: watchdog: QEMU killed after ${tmo}s" >>"$log"
	step "qemu: WATCHDOG: killed after ${tmo}s (set AW_TIMEOUT= to change)"
	exit 124
fi
((rc == 0)) || die "qemu failed (exit $rc), see $log"
step "qemu: exited after $((SECONDS - start))s"
