#!/bin/bash
# Boot Debian's stock (non-debug) 6.12 kernel in QEMU with atomic_waker.ko and
# bench/atomic_waker_bench.ko built against its headers, reusing
# scripts/mk-initramfs.sh and scripts/qemu-run.sh from a scratch copy of the
# tree (so the test kernel's modules in the work tree are not overwritten).
# Usage: bench/vm.sh <console.log> [bench module params...]
# Environment: AW_STOCK_RELEASE (6.12.117+deb12-amd64), SMP, AW_MEM,
# AW_TIMEOUT (qemu-run.sh), AW_EXTRA (files for the initramfs);
# AW_BENCH_KDIR=<kernel objdir> boots a kernel built from
# bench/bench-kernel.config instead of the stock one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
rel=${AW_STOCK_RELEASE:-6.12.117+deb12-amd64}
cache=${AW_CACHE:-${HOME:-/root}/.cache/atomic_waker}
build=$cache/bench-build
kimg=/boot/vmlinuz-$rel
hdrs=/usr/src/linux-headers-$rel
if [[ -n ${AW_BENCH_KDIR:-} ]]; then
	kimg=$AW_BENCH_KDIR/arch/x86/boot/bzImage
	hdrs=$AW_BENCH_KDIR
	rel=$(make -s -C "$hdrs" kernelrelease 2>/dev/null || echo "$hdrs")
fi
log=${1:?usage: $0 <console.log> [module params]}
shift

[[ -r $kimg ]] || { echo "ERROR: $kimg missing: apt-get install linux-image-$rel" >&2; exit 1; }
[[ -d $hdrs ]] || { echo "ERROR: $hdrs missing: apt-get install linux-headers-$rel" >&2; exit 1; }
if grep -qE '^CONFIG_(PROVE_LOCKING|KASAN|KCSAN|DEBUG_ATOMIC_SLEEP)=y' "$hdrs/.config" 2>/dev/null; then
	echo "WARNING: $hdrs has debug options: numbers will not be representative" >&2
fi

echo "==> bench: modules for $rel in $build" >&2
rm -rf "$build"
mkdir -p "$build"
(cd "$root" && git ls-files -co --exclude-standard -- atomic_waker.c \
	atomic_waker.h bench scripts | tar -cf - -T -) | tar -xf - -C "$build"
printf 'obj-m += atomic_waker.o\nobj-m += bench/\n' >"$build/Kbuild"
nice -n 10 make -s -C "$hdrs" M="$build" modules >&2

# qemu-run.sh boots <kdir>/arch/x86/boot/bzImage: point one at the stock image.
kdir=$build/stock-kernel
mkdir -p "$kdir/arch/x86/boot"
ln -sf "$kimg" "$kdir/arch/x86/boot/bzImage"

initrd=$build/bench.cpio
AW_STEPS="atomic_waker.ko; bench/atomic_waker_bench.ko $*" \
	"$build/scripts/mk-initramfs.sh" run "$kdir" "$initrd"
AW_TIMEOUT=${AW_TIMEOUT:-1200} AW_APPEND="quiet loglevel=7 ${AW_APPEND:-}" \
	nice -n 10 "$build/scripts/qemu-run.sh" "$kdir" "$initrd" "$log"
