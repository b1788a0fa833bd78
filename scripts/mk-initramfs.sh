#!/bin/bash
# Build the test initramfs: static busybox, the repo's .ko files, the test
# kernel's own modules (e.g. torture.ko) and an /init that runs test steps.
# Usage: mk-initramfs.sh <run|check> <kernel objdir> <output.cpio>
#
# Steps (one per line in /etc/aw-steps, run in order by /init):
#   dir/x.ko [args]  insmod a module built in this repo
#   name [args]      modprobe a module of the test kernel (e.g. torture)
#   !cmd [args]      run a user-space command (e.g. a static test binary)
# Modules are unloaded in reverse order at the end. Environment:
#   AW_STEPS  replace the mode's step list; steps separated by ';'
#             e.g. AW_STEPS='torture; atomic_waker.ko; !/bin/aw_test'
#   AW_EXTRA  extra files to copy in, "src[:dest] ..." (dest default /bin/)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

(($# == 3)) || die "usage: $0 <run|check> <kernel objdir> <output.cpio>"
mode=$1 kdir=$2 out=$3
case $mode in
run) steps='atomic_waker.ko; demo/atomic_waker_demo.ko' ;;
check) steps='atomic_waker.ko; kunit/atomic_waker_kunit.ko; sample/atomic_waker_sample.ko; !/bin/aw_sample_test' ;;
*) die "unknown mode $mode" ;;
esac
steps=${AW_STEPS:-$steps}

root=$(mktemp -d "${TMPDIR:-/tmp}/aw-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,etc,lib/modules,modules,proc,sys,tmp}

# busybox and its applets
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	[[ -e $root/bin/$applet ]] || ln -s busybox "$root/bin/$applet"
done
ln -s bin "$root/sbin"

# kernel modules of the test kernel (installed by build-kernel.sh)
if [[ -d $kdir/aw-modules/lib/modules ]]; then
	cp -a "$kdir/aw-modules/lib/modules/." "$root/lib/modules/"
fi

# the step list and the repo modules it names
IFS=';' read -ra list <<<"$steps"
: >"$root/etc/aw-steps"
for s in "${list[@]}"; do
	read -r s <<<"$s" # trim
	[[ -n $s ]] || continue
	echo "$s" >>"$root/etc/aw-steps"
	ko=${s%% *}
	if [[ $ko == *.ko ]]; then
		[[ -f $AW_ROOT/$ko ]] || die "$AW_ROOT/$ko not built"
		mkdir -p "$root/modules/$(dirname "$ko")"
		cp "$AW_ROOT/$ko" "$root/modules/$ko"
	fi
done
echo "$mode" >"$root/etc/aw-mode"

for e in ${AW_EXTRA:-}; do
	src=${e%%:*} dest=/bin/
	[[ $e == *:* ]] && dest=${e#*:}
	[[ -e $src ]] || die "AW_EXTRA: $src not found"
	mkdir -p "$root/$(dirname "$dest/x")"
	cp -a "$src" "$root/$dest"
done

# The sample driver's user-space test (make sample-test), if a step runs it
# and AW_EXTRA did not bring one.
if grep -q '^!/bin/aw_sample_test' "$root/etc/aw-steps" &&
	[[ ! -e $root/bin/aw_sample_test ]]; then
	[[ -x $AW_ROOT/sample/test/aw_sample_test ]] ||
		die "sample/test/aw_sample_test not built (make sample-test)"
	cp "$AW_ROOT/sample/test/aw_sample_test" "$root/bin/"
fi

cat >"$root/init" <<'INIT'
#!/bin/sh
# /init of the atomic_waker test initramfs (from scripts/mk-initramfs.sh).
# Markers go to /dev/kmsg so they interleave with kernel messages in order.
PATH=/bin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
say() { echo "AW-INIT: $*" >/dev/kmsg; }
say "start mode=$(cat /etc/aw-mode) cpus=$(nproc) kernel=$(uname -r)"
status=0
loaded=
while read -r step args <&3; do
	case $step in
	'' | '#'*) ;;
	'!'*)
		say "running ${step#!} $args"
		# shellcheck disable=SC2086
		if ${step#!} $args; then
			say "passed ${step#!}"
		else
			say "FAILED ${step#!} (exit $?)"
			status=1
		fi
		;;
	*.ko)
		say "loading $step $args"
		# shellcheck disable=SC2086
		if insmod "/modules/$step" $args; then
			loaded="$(basename "$step" .ko) $loaded"
			say "loaded $step"
		else
			say "FAILED to load $step (exit $?)"
			status=1
		fi
		;;
	*)
		say "modprobe $step $args"
		# shellcheck disable=SC2086
		if modprobe "$step" $args; then
			loaded="$step $loaded"
			say "loaded $step"
		else
			say "FAILED to modprobe $step (exit $?)"
			status=1
		fi
		;;
	esac
done 3</etc/aw-steps
for m in $loaded; do
	say "unloading $m"
	rmmod "$m" || { say "FAILED to unload $m"; status=1; }
done
# A kmemleak kernel (make kasan): scan once the modules are gone and copy
# the report to the console; logcheck.py fails on any "kmemleak: " line.
if grep -qw debugfs /proc/filesystems; then
	mount -t debugfs debugfs /sys/kernel/debug
fi
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
INIT
chmod +x "$root/init"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out"
info "initramfs $out ($(du -k "$out" | cut -f1) KiB), steps: $(paste -sd';' "$root/etc/aw-steps")"
