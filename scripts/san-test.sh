#!/bin/bash
# make kcsan / make kasan: the check steps (KUnit, the sample driver test)
# and the torture module, on 4 CPUs, on a sanitizer kernel: the base fragment
# + scripts/<name>.config, its own cached kernel. Any report fails the run.
# The modules are built in a copy of the sources ($AW_CACHE/<name>-build):
# kbuild does not always rebuild a tree built for another kernel (the
# .mod.o files keep the other struct module size), so the repo's own build
# (make check) is left alone. Needs sample/test/aw_sample_test (make does it).
# Usage: san-test.sh <kcsan|kasan>   Last lines: "N passed, N failed", time.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

name=${1:-}
[[ $name == kcsan || $name == kasan ]] || die "usage: $0 <kcsan|kasan>"
start=$SECONDS
export AW_FRAGMENT="$AW_ROOT/scripts/test-kernel.config $AW_ROOT/scripts/$name.config"
kdir=$("$AW_ROOT/scripts/build-kernel.sh")

build=$AW_CACHE/$name-build
step "$name: modules for $kdir in $build"
rm -rf "$build"
mkdir -p "$build"
(cd "$AW_ROOT" && tar -cf - --exclude='*.o' --exclude='*.ko' \
	--exclude='*.mod' --exclude='*.mod.c' --exclude='.*.cmd' \
	--exclude=modules.order --exclude=Module.symvers \
	atomic_waker.c atomic_waker.h kunit sample torture scripts) |
	tar -xf - -C "$build"
# shellcheck disable=SC2016 # $(...) is for kbuild
printf '%s\n' 'obj-m += atomic_waker.o' 'obj-m += sample/' \
	'obj-$(CONFIG_KUNIT) += kunit/' \
	'obj-$(CONFIG_TORTURE_TEST) += torture/' >"$build/Kbuild"
make -C "$kdir" M="$build" modules >"$build/modules.log" 2>&1 ||
	{ cat "$build/modules.log" >&2; die "$name: module build failed"; }

steps='atomic_waker.ko; kunit/atomic_waker_kunit.ko'
steps+='; sample/atomic_waker_sample.ko; !/bin/aw_sample_test'
steps+="; torture; torture/atomic_waker_torture.ko duration=${AW_TORTURE_DURATION:-20}"
rc=0
SMP=4 AW_TIMEOUT=${AW_TIMEOUT:-1200} AW_STEPS=$steps \
	"$build/scripts/vm-test.sh" check || rc=$?
echo "make $name: $((SECONDS - start)) s wall time"
exit $rc
