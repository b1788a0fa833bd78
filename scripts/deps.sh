#!/bin/bash
# Install the Debian packages needed to build and test atomic_waker.
# As root: apt-get install the missing ones. Otherwise print the command.
# Usage: deps.sh [extra packages a target needs]
set -euo pipefail

pkgs=(
	build-essential   # gcc, make, libc headers
	flex bison bc     # kconfig, kernel build
	libelf-dev        # objtool (ORC unwinder)
	libssl-dev        # kernel host tools (sign-file, extract-cert)
	perl              # checkpatch.pl, kernel-doc, build scripts
	python3           # scripts/vm.py (3.11: tomllib), kunit.py parser
	git               # the module builds copy the tree as git sees it
	xz-utils          # unpacking the source tarball
	cpio              # initramfs
	kmod              # depmod, modprobe --show-depends for the initramfs
	busybox-static    # initramfs user space
	qemu-system-x86   # test VM
	sparse            # make lint, make patches-check (C=2)
	linux-source-6.12 # the test kernels' source (others: scripts/kernels.py)
	"$@"
)
missing=()
for p in "${pkgs[@]}"; do
	if [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) != "install ok installed" ]]; then
		missing+=("$p")
	fi
done
if ((${#missing[@]} == 0)); then
	echo "==> deps: all ${#pkgs[@]} packages installed" >&2
	exit 0
fi
if ((EUID != 0)); then
	echo "ERROR: missing packages; run:" >&2
	echo "  sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "==> deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -q
apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}"
