#!/bin/bash
# Run one test mode in the VM: initramfs -> QEMU -> result summary.
# The test kernel and the modules must already be built (the Makefile does
# that). Usage: vm-test.sh <run|check>
# Environment: see qemu-run.sh and mk-initramfs.sh; AW_EXPECT_SUITES lists
# KUnit suites that must have run (check mode).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

mode=${1:-}
[[ $mode == run || $mode == check ]] || die "usage: $0 <run|check>"
src=$(aw_src_dir)
kdir=$(aw_kernel_dir "$src")
[[ -f $kdir/.aw-built ]] || die "test kernel not built: run make kernel"

mkdir -p "$AW_CACHE/logs"
log=$AW_CACHE/logs/$(date +%Y%m%d-%H%M%S)-$mode-$$.log
initrd=$log.cpio
trap 'rm -f "$initrd"' EXIT

step "$mode 1/3: initramfs"
"$AW_ROOT/scripts/mk-initramfs.sh" "$mode" "$kdir" "$initrd"
step "$mode 2/3: boot"
"$AW_ROOT/scripts/qemu-run.sh" "$kdir" "$initrd" "$log" || true # log decides
step "$mode 3/3: results"
rm -f "$initrd"
if [[ $mode == run ]]; then
	"$AW_ROOT/scripts/demo-summary.py" "$log"
else
	# shellcheck disable=SC2086 # AW_EXPECT_SUITES is a list
	"$AW_ROOT/scripts/ktap-summary.py" "$src" "$log" ${AW_EXPECT_SUITES:-}
fi
