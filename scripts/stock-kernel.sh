#!/bin/bash
# Prove atomic_waker and its sample driver on Debian's stock kernel: build
# both modules against Debian's linux-headers, boot Debian's vmlinuz in QEMU
# with them and the static sample test in the initramfs, load them, run the
# test, remove the modules, and check the console log.
# Usage: stock-kernel.sh
# Environment:
#   STOCK_KVER     kernel release (default 6.12.117+deb12-amd64)
#   STOCK_VMLINUZ  kernel image to boot (default: see below)
#   AW_CACHE, SMP, AW_MEM, AW_TIMEOUT, AW_APPEND: see lib.sh and qemu-run.sh
# Needs: linux-headers-$STOCK_KVER (installed if missing, as root),
# busybox-static, qemu-system-x86, gcc, cpio (make deps).  The kernel image
# is /boot/vmlinuz-$STOCK_KVER if installed (signed or not: the same kernel),
# else it is extracted from linux-image-$STOCK_KVER-unsigned (apt-get
# download into the cache; nothing is installed).
# The last line is "N passed, N failed"; a bad console log or an init step
# that failed counts as one more failure each.  Exit 1 if any failed.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

kver=${STOCK_KVER:-6.12.117+deb12-amd64}
hdr=/usr/src/linux-headers-$kver
start=$SECONDS
out=$AW_CACHE/stock/$kver
mkdir -p "$out"

# ---- 1. the kernel image and headers --------------------------------------
step "stock 1/5: Debian kernel $kver"
if [[ ! -f $hdr/Makefile ]]; then
	((EUID == 0)) || die "$hdr missing: apt-get install linux-headers-$kver"
	info "installing linux-headers-$kver"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "linux-headers-$kver" >/dev/null
fi
vmlinuz=${STOCK_VMLINUZ:-/boot/vmlinuz-$kver}
if [[ ! -f $vmlinuz ]]; then
	vmlinuz=$out/image/boot/vmlinuz-$kver
	if [[ ! -f $vmlinuz ]]; then
		info "no /boot/vmlinuz-$kver: extracting linux-image-$kver-unsigned"
		rm -rf "$out/image" "$out/deb"
		mkdir -p "$out/deb"
		(cd "$out/deb" && apt-get download -q -o APT::Sandbox::User=root \
			"linux-image-$kver-unsigned")
		mkdir -p "$out/image"
		dpkg-deb --fsys-tarfile "$out"/deb/*.deb |
			tar -xf - -C "$out/image" "./boot/vmlinuz-$kver"
		rm -rf "$out/deb"
	fi
fi
[[ -f $vmlinuz ]] || die "no kernel image for $kver"
info "image $vmlinuz, headers $hdr"
cfg=$hdr/.config
if grep -q '^CONFIG_MODULE_SIG_FORCE=y' "$cfg"; then
	die "$kver enforces module signatures: unsigned modules cannot load"
fi
info "CONFIG_MODULE_SIG_FORCE is off: unsigned modules load (and taint)"

# ---- 2. the modules, in a scratch copy (the repo keeps its own build) -------
step "stock 2/5: build atomic_waker.ko + atomic_waker_sample.ko against $hdr"
b=$out/build
rm -rf "$b"
mkdir -p "$b/sample"
cp "$AW_ROOT"/atomic_waker.[ch] "$b/"
cp "$AW_ROOT"/sample/atomic_waker_sample.[ch] "$AW_ROOT/sample/Kbuild" \
	"$b/sample/"
printf 'obj-m += atomic_waker.o\nobj-m += sample/\n' >"$b/Kbuild"
t=$SECONDS
if ! nice -n 10 make -C "$hdr" M="$b" W=1 modules >"$out/build.log" 2>&1; then
	cat "$out/build.log" >&2
	die "module build failed"
fi
if grep -E 'warning:|error:' "$out/build.log" >&2; then
	die "module build has warnings (W=1), see $out/build.log"
fi
for ko in atomic_waker.ko sample/atomic_waker_sample.ko; do
	vm=$(modinfo -F vermagic "$b/$ko")
	[[ $vm == "$kver "* ]] || die "$ko: vermagic '$vm' is not $kver"
done
info "built in $((SECONDS - t))s; vermagic $(modinfo -F vermagic "$b/atomic_waker.ko")"

step "stock 3/5: static test program"
nice -n 10 gcc -static -O2 -Wall -Wextra -Werror -pthread \
	-I "$AW_ROOT/sample" -o "$b/aw_sample_test" \
	"$AW_ROOT/sample/test/aw_sample_test.c"

# ---- 3. initramfs and boot, through the shared runner ---------------------
step "stock 4/5: initramfs and QEMU boot of the stock kernel"
# qemu-run.sh boots <kdir>/arch/x86/boot/bzImage: give it a kdir that
# points at the stock image.  mk-initramfs.sh copies the test kernel's
# modules from <kdir>/aw-modules, which this one does not have.
kdir=$out/kdir
rm -rf "$kdir"
mkdir -p "$kdir/arch/x86/boot"
ln -s "$vmlinuz" "$kdir/arch/x86/boot/bzImage"
mkdir -p "$AW_CACHE/logs"
log=$AW_CACHE/logs/$(date +%Y%m%d-%H%M%S)-stock-$$.log
initrd=$log.cpio
trap 'rm -f "$initrd"' EXIT
AW_EXTRA="$b/atomic_waker.ko:/stock/ $b/sample/atomic_waker_sample.ko:/stock/"
AW_EXTRA+=" $b/aw_sample_test:/bin/"
# The test removes the sample itself (--rmmod) once its files are closed.
AW_STEPS='!insmod /stock/atomic_waker.ko;'
AW_STEPS+=' !insmod /stock/atomic_waker_sample.ko;'
AW_STEPS+=' !/bin/aw_sample_test --rmmod;'
AW_STEPS+=' !rmmod atomic_waker'
export AW_EXTRA AW_STEPS
"$AW_ROOT/scripts/mk-initramfs.sh" check "$kdir" "$initrd"
t=$SECONDS
nice -n 10 "$AW_ROOT/scripts/qemu-run.sh" "$kdir" "$initrd" "$log" || true
boot=$((SECONDS - t))

# ---- 4. results ----------------------------------------------------------
step "stock 5/5: results (console log: $log)"
grep -E 'aw_sample_test:|atomic_waker|AW-INIT:|Linux version|taint' "$log" |
	sed 's/^/    /' || true
pass=0 fail=0
line=$(grep -aoE 'aw_sample_test: [0-9]+ passed, [0-9]+ failed' "$log" |
	tail -n1 || true)
if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
	pass=${BASH_REMATCH[1]} fail=${BASH_REMATCH[2]}
else
	echo "no summary line from aw_sample_test"
	fail=$((fail + 1))
fi
if ! "$AW_ROOT/scripts/logcheck.py" "$log"; then
	fail=$((fail + 1))
fi
echo "stock kernel $kver: boot+test ${boot}s, total $((SECONDS - start))s"
echo "$pass passed, $fail failed"
((fail == 0))
