#!/bin/bash
# shellcheck disable=SC2054 # QEMU options are comma-separated on purpose
# By-hand run of the driver conversions on Debian's stock kernel in QEMU
# (TCG), until scripts/vm.py has profiles for them (see drivers/README.md).
# Usage: drivers/vm-stock.sh <virtio-rng|i2c-i801|virtio-crypto|build>
# Builds atomic_waker.ko and the converted module against the stock headers,
# the static workloads, an initramfs (scripts/mk-initramfs.sh, by hand) with
# the stock modules the run needs, boots it, and prints the result lines.
# Environment: STOCK_KVER (6.12.117+deb12-amd64), KSRC (the source tree the
# diffs apply to; default Debian's linux-source-6.12 in the cache),
# COMPARE_N (2000), AW_TIMEOUT (900 s), FUNC_ONLY=1 (only the conversion's
# functional test: for trying a broken diff).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
kver=${STOCK_KVER:-6.12.117+deb12-amd64}
cache=${AW_CACHE:-$HOME/.cache/atomic_waker}
hdr=/usr/src/linux-headers-$kver
ksrc=${KSRC:-$cache/src/linux-source-6.12}
stock=$cache/stock
img=$stock/image
b=$stock/drivers-build
n=${COMPARE_N:-2000}
what=${1:?usage: $0 <virtio-rng|i2c-i801|virtio-crypto|build>}
step() { printf '==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# ---- stock kernel: headers installed, image package extracted -----------
[[ -f $hdr/Makefile ]] || die "apt-get install linux-headers-$kver"
if [[ ! -d $img/lib/modules/$kver ]]; then
	step "extracting linux-image-$kver-unsigned into $img"
	mkdir -p "$stock"
	(cd "$stock" && apt-get download -q -o APT::Sandbox::User=root \
		"linux-image-$kver-unsigned")
	dpkg-deb -x "$stock"/linux-image-"$kver"-unsigned_*.deb "$img"
fi
vmlinuz=$img/boot/vmlinuz-$kver

# ---- modules and workloads ------------------------------------------------
step "building atomic_waker.ko and the conversions against $hdr (log $b/build.log)"
rm -rf "$b" && mkdir -p "$b/aw" "$b/bin"
cp "$root"/atomic_waker.[ch] "$b/aw/" && echo 'obj-m += atomic_waker.o' >"$b/aw/Kbuild"
: >"$b/build.log"
nice -n 10 make -C "$hdr" M="$b/aw" W=1 modules >>"$b/build.log" 2>&1 ||
	die "atomic_waker build failed, see $b/build.log"
for d in virtio-rng i2c-i801 virtio-crypto; do
	AW_DIR=$b/aw "$here/apply.sh" "$d" "$ksrc" "$b/$d" >>"$b/build.log"
	nice -n 10 make -C "$hdr" M="$b/$d" W=1 \
		KBUILD_EXTRA_SYMBOLS="$b/aw/Module.symvers" modules \
		>>"$b/build.log" 2>&1 || die "$d build failed, see $b/build.log"
done
if grep -E 'warning:|error:' "$b/build.log" >&2; then
	die "warnings in $b/build.log"
fi
for t in hwrng_test i2c_test crypto_test; do
	[[ -f $here/test/$t.c ]] || continue
	nice -n 10 gcc -static -O2 -Wall -Wextra -Werror -Wno-format-truncation -o "$b/bin/$t" \
		"$here/test/$t.c"
done
[[ $what == build ]] && { ls "$b"/*/*.ko "$b"/bin/*; exit 0; }

# ---- the stock modules the run needs, with a modules.dep ------------------
kdir=$b/kdir
mods=$kdir/aw-modules/lib/modules/$kver
mkdir -p "$mods" "$kdir/arch/x86/boot"
ln -sf "$vmlinuz" "$kdir/arch/x86/boot/bzImage"
for m in virtio-rng i2c-i801 i2c-smbus i2c-dev virtio_crypto crypto_engine \
	algif_skcipher af_alg; do
	f=$(cd "$img/lib/modules/$kver" && find kernel -name "$m.ko.xz")
	mkdir -p "$mods/$(dirname "$f")"
	xz -dc "$img/lib/modules/$kver/$f" >"$mods/${f%.xz}"
done
cp "$img/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$mods/"
depmod -b "$kdir/aw-modules" "$kver"

# ---- per-driver recipe ----------------------------------------------------
append=
qemu=(-machine q35 -accel tcg -cpu qemu64 -smp 2 -m 1G)
awko='!insmod /drv/atomic_waker.ko'
case $what in
virtio-rng)
	qemu+=(-object rng-random,id=rngf,filename=/dev/urandom
	       -device virtio-rng-pci,rng=rngf
	       -object rng-random,id=rngs,filename=/dev/urandom
	       -device virtio-rng-pci,rng=rngs,max-bytes=64,period=3000)
	extra="$b/virtio-rng/virtio-rng-aw.ko:/drv/ $b/bin/hwrng_test:/bin/"
	o='--drv virtio_rng' c='--drv virtio_rng_aw'
	steps="$awko; !modprobe virtio-rng; !/bin/hwrng_test $o --rmmod virtio_rng;"
	steps+=" !insmod /drv/virtio-rng-aw.ko; !/bin/hwrng_test $c --rmmod virtio_rng_aw;"
	ro="!modprobe virtio-rng; !/bin/hwrng_test $o --compare $n; !rmmod virtio_rng;"
	rc="!insmod /drv/virtio-rng-aw.ko; !/bin/hwrng_test $c --compare $n; !rmmod virtio_rng_aw;"
	steps+=" ${ro//--compare/--cpu 0 --compare} ${rc//--compare/--cpu 0 --compare}"
	steps+=" ${rc//--compare/--cpu 1 --compare} ${ro//--compare/--cpu 1 --compare}"
	steps+=" ${ro//--compare/--cpu 0 --compare} ${rc//--compare/--cpu 0 --compare}"
	steps+=" ${rc//--compare/--cpu 1 --compare} ${ro//--compare/--cpu 1 --compare}"
	;;
i2c-i801)
	extra="$b/i2c-i801/i2c-i801-aw.ko:/drv/ $b/bin/i2c_test:/bin/"
	o='--drv i801_smbus' c='--drv i801_smbus_aw'
	steps="$awko; !modprobe i2c-dev; !modprobe i2c-i801; !/bin/i2c_test $o --rmmod i2c_i801;"
	steps+=" !insmod /drv/i2c-i801-aw.ko; !/bin/i2c_test $c --rmmod i2c_i801_aw;"
	ro="!modprobe i2c-i801; !/bin/i2c_test $o --compare $n; !rmmod i2c_i801;"
	rc="!insmod /drv/i2c-i801-aw.ko; !/bin/i2c_test $c --compare $n; !rmmod i2c_i801_aw;"
	steps+=" ${ro//--compare/--cpu 0 --compare} ${rc//--compare/--cpu 0 --compare}"
	steps+=" ${rc//--compare/--cpu 1 --compare} ${ro//--compare/--cpu 1 --compare}"
	steps+=" ${ro//--compare/--cpu 0 --compare} ${rc//--compare/--cpu 0 --compare}"
	steps+=" ${rc//--compare/--cpu 1 --compare} ${ro//--compare/--cpu 1 --compare}"
	;;
virtio-crypto)
	qemu+=(-object cryptodev-backend-builtin,id=cryptodev0
	       -device virtio-crypto-pci,cryptodev=cryptodev0)
	extra="$b/virtio-crypto/virtio_crypto_aw.ko:/drv/ $b/bin/crypto_test:/bin/"
	o='--drv virtio_crypto --alg virtio_crypto_aes_cbc'
	c='--drv virtio_crypto_aw --alg virtio_crypto_aw_aes_cbc'
	steps="$awko; !modprobe algif_skcipher; !modprobe virtio_crypto; !/bin/crypto_test $o --rmmod virtio_crypto;"
	steps+=" !modprobe crypto_engine; !insmod /drv/virtio_crypto_aw.ko; !/bin/crypto_test $c --rmmod virtio_crypto_aw;"
	ro="!modprobe virtio_crypto; !/bin/crypto_test $o --compare $((n / 4)); !rmmod virtio_crypto;"
	rc="!insmod /drv/virtio_crypto_aw.ko; !/bin/crypto_test $c --compare $((n / 4)); !rmmod virtio_crypto_aw;"
	steps+=" ${ro//--compare/--cpu 0 --compare} ${rc//--compare/--cpu 0 --compare}"
	steps+=" ${rc//--compare/--cpu 1 --compare} ${ro//--compare/--cpu 1 --compare}"
	steps+=" ${ro//--compare/--cpu 0 --compare} ${rc//--compare/--cpu 0 --compare}"
	steps+=" ${rc//--compare/--cpu 1 --compare} ${ro//--compare/--cpu 1 --compare}"
	# QEMU 7.2's builtin backend fails testmgr's RSA vector (data queue,
	# -EINVAL) with the original module too: WARNING at testmgr.c:5928
	append=cryptomgr.notests=1
	;;
*) die "unknown run $what" ;;
esac
if [[ ${FUNC_ONLY:-} ]]; then	# the conversion's functional test only
	case $what in
	virtio-rng) steps="$awko; !insmod /drv/virtio-rng-aw.ko; !/bin/hwrng_test $c --rmmod virtio_rng_aw;" ;;
	i2c-i801) steps="$awko; !modprobe i2c-dev; !modprobe i2c-smbus; !insmod /drv/i2c-i801-aw.ko; !/bin/i2c_test $c --rmmod i2c_i801_aw;" ;;
	virtio-crypto) steps="$awko; !modprobe algif_skcipher; !modprobe crypto_engine; !insmod /drv/virtio_crypto_aw.ko; !/bin/crypto_test $c --rmmod virtio_crypto_aw;" ;;
	esac
fi
steps+=" !rmmod atomic_waker"

mkdir -p "$cache/logs"
log=$cache/logs/$(date +%Y%m%d-%H%M%S)-drivers-$what.log
initrd=$log.cpio
AW_STEPS=$steps AW_EXTRA="$b/aw/atomic_waker.ko:/drv/ $extra" \
	"$root/scripts/mk-initramfs.sh" check "$kdir" "$initrd"
step "booting $vmlinuz (console log: $log)"
: >"$log"
t=$SECONDS
timeout -k 10 "${AW_TIMEOUT:-900}" nice -n 10 qemu-system-x86_64 "${qemu[@]}" \
	-nographic -no-reboot -monitor none -serial "file:$log" -nic none \
	-kernel "$vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 oops=panic printk.devkmsg=on no_console_suspend sysctl.kernel.hung_task_panic=1 $append" \
	</dev/null || echo "AW-HOST: qemu exit $? (124: watchdog)" >>"$log"
rm -f "$initrd"
step "boot took $((SECONDS - t))s; results:"
grep -aE 'AW-INIT: (FAILED|done)|_test: [0-9]+ passed|-cmp:|_test: FAIL' "$log" || true
"$root/scripts/logcheck.py" "$log" && echo "console log clean: $log"
