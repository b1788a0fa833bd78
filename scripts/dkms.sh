#!/bin/bash
# Check that atomic_waker installs with DKMS: install Debian's dkms, copy
# the sources to /usr/src/atomic_waker-<version>, then dkms add, build and
# install for one kernel, check the result, and dkms remove it all again.
# Usage: dkms.sh RELEASE   (as root; changes /usr/src, /var/lib/dkms and
#                          /lib/modules/RELEASE/updates, then cleans up)
# make stock runs it for the kernel it boots (scripts/profiles.toml); the
# linux-headers-RELEASE package is installed if missing.
# The last line is "N passed, N failed"; exit 1 if any check failed.
set -euo pipefail
step() { printf '==> %s\n' "$*" >&2; }
info() { printf '    %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

AW_ROOT=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:?usage: dkms.sh RELEASE}
((EUID == 0)) || die "run as root: dkms installs into /usr/src and /lib/modules"
export DEBIAN_FRONTEND=noninteractive
if [[ ! -d /usr/src/linux-headers-$kver ]]; then
	apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "linux-headers-$kver" \
		>/dev/null
fi

name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"$/\1/p' "$AW_ROOT/dkms.conf")
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$AW_ROOT/dkms.conf")
[[ -n $name && -n $ver ]] || die "dkms.conf: no PACKAGE_NAME/PACKAGE_VERSION"
src=/usr/src/$name-$ver
dest=/lib/modules/$kver/updates/dkms
mods=(atomic_waker atomic_waker_sample)
pass=0 fail=0
check() { # check <description> <command...>
	local what=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
		info "ok   $what"
	else
		fail=$((fail + 1))
		info "FAIL $what"
	fi
}
quiet() { "$@" >/dev/null 2>&1; }
start=$SECONDS
# dkms signs what it builds with /var/lib/dkms/mok.key, and creates that key
# pair if missing; a pair created by this run is removed again at the end.
mok=/var/lib/dkms/mok
new_mok=
[[ -e $mok.key ]] || new_mok=1

step "dkms 1/5: install Debian's dkms"
if ! command -v dkms >/dev/null; then
	apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends dkms >/dev/null
fi
info "$(dkms --version)"

cleanup() {
	if dkms status -m "$name" -v "$ver" 2>/dev/null | grep -q .; then
		dkms remove -m "$name" -v "$ver" --all >/dev/null 2>&1 || true
	fi
	rm -rf "$src"
	[[ -z $new_mok ]] || rm -f "$mok.key" "$mok.pub"
}
cleanup	# leftovers of an interrupted run
trap cleanup EXIT

step "dkms 2/5: copy the sources to $src"
# The whole tree as git sees it (tracked and new files, no build products),
# so that whatever the top Kbuild names is there.
mkdir -p "$src"
(cd "$AW_ROOT" && git ls-files -co --exclude-standard |
	cpio -pdm --quiet "$src")
info "$(find "$src" -type f | wc -l) files"

step "dkms 3/5: dkms add, build, install for $kver"
t=$SECONDS
dkms add -m "$name" -v "$ver"
if ! nice -n 10 dkms build -m "$name" -v "$ver" -k "$kver"; then
	cat "/var/lib/dkms/$name/$ver/build/make.log" >&2 || true
	die "dkms build failed"
fi
dkms install -m "$name" -v "$ver" -k "$kver"
info "add+build+install in $((SECONDS - t))s"

step "dkms 4/5: check the installed modules"
status=$(dkms status -m "$name" -v "$ver" -k "$kver")
info "dkms status: $status"
check "dkms status says installed" grep -q ': installed' <<<"$status"
for m in "${mods[@]}"; do
	ko=$(find "$dest" -maxdepth 1 -name "$m.ko*" | head -n1)
	check "$m.ko installed in $dest (${ko##*/})" test -n "$ko"
	[[ -n $ko ]] || continue
	vm=$(modinfo -F vermagic "$ko")
	check "$m vermagic is $kver" test "${vm%% *}" = "$kver"
	check "$m is known to modprobe (modules.dep)" \
		quiet modprobe -S "$kver" --show-depends "$m"
done
check "atomic_waker_sample depends on atomic_waker" \
	grep -qx atomic_waker <<<"$(modinfo -k "$kver" -F depends atomic_waker_sample 2>/dev/null)"

step "dkms 5/5: dkms remove --all"
dkms remove -m "$name" -v "$ver" --all
check "dkms status is empty after remove" \
	test -z "$(dkms status -m "$name" -v "$ver")"
check "no module left in $dest" \
	test -z "$(find "$dest" -name 'atomic_waker*' 2>/dev/null)"
rm -rf "$src"
echo "dkms $kver: $((SECONDS - start))s"
echo "$pass passed, $fail failed"
((fail == 0))
