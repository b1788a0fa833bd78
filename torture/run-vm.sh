#!/bin/bash
# Build atomic_waker_torture.ko against the cached test kernel and run it in
# QEMU, then the busted=1 variant, which must be caught.
# Usage: torture/run-vm.sh [module params]   (default: duration=30)
# Environment: AW_TORTURE_BUSTED=0 skips the busted run; SMP, AW_TIMEOUT,
# AW_MEM as for scripts/qemu-run.sh.  Last line: "N passed, N failed".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

params=${*:-duration=30}
kdir=$("$root/scripts/build-kernel.sh" --path)
[[ -f $kdir/.aw-built ]] || die "test kernel not built: run make kernel"

step "torture: building modules against $kdir"
make -s -C "$kdir" M="$root" modules
# Until the top-level Kbuild lists torture/, build it on its own.
grep -q 'torture/' "$root/Kbuild" ||
	make -s -C "$kdir" M="$root/torture" \
		KBUILD_EXTRA_SYMBOLS="$root/Module.symvers" modules

mkdir -p "$AW_CACHE/logs"
passed=0 failed=0
trap 'rm -f "$AW_CACHE"/logs/*-torture-$$*.cpio' EXIT

# run_one EXPECT PARAMS: EXPECT is "pass" or "fail" (busted)
run_one() {
	local expect=$1 p=$2 log initrd verdict
	log=$AW_CACHE/logs/$(date +%Y%m%d-%H%M%S)-torture-$$-$expect.log
	initrd=$log.cpio
	AW_STEPS="torture; atomic_waker.ko; torture/atomic_waker_torture.ko $p" \
		"$root/scripts/mk-initramfs.sh" run "$kdir" "$initrd"
	"$root/scripts/qemu-run.sh" "$kdir" "$initrd" "$log" || true
	rm -f "$initrd"
	grep -E 'atomic_waker_torture: (nwakers|end|SUCCESS|!!!)|lost wakeup' "$log" |
		sed 's/^/  /' | awk '!seen[$0]++' | head -20
	if grep -q 'atomic_waker_torture: !!! FAILURE' "$log"; then
		verdict=fail
	elif grep -q 'atomic_waker_torture: SUCCESS' "$log" &&
		"$root/scripts/logcheck.py" "$log" >/dev/null; then
		verdict=pass
	else
		verdict=broken
		"$root/scripts/logcheck.py" "$log" || true
	fi
	if [[ $verdict == "$expect" ]]; then
		passed=$((passed + 1))
		echo "torture ($p): $verdict, as expected  [log: $log]"
	else
		failed=$((failed + 1))
		echo "torture ($p): $verdict, expected $expect  [log: $log]"
	fi
}

step "torture: $params"
run_one pass "$params"
if [[ ${AW_TORTURE_BUSTED:-1} == 1 ]]; then
	step "torture: busted=1 must be caught"
	run_one fail "duration=20 busted=1"
fi
echo "$passed passed, $failed failed"
((failed == 0))
