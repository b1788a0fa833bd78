# shellcheck shell=bash
# Shared helpers for the atomic_waker scripts. Source it, do not run it.
#
# Environment:
#   AW_CACHE    cache dir outside the repo (default ~/.cache/atomic_waker)
#   KSRC        kernel source tree to use instead of the Debian tarball
#   AW_TARBALL  kernel source tarball (default Debian's linux-source-6.12)
#   AW_FRAGMENT config fragments, space-separated, applied in order (default
#               scripts/test-kernel.config), e.g. base + scripts/kcsan.config

AW_CACHE=${AW_CACHE:-${HOME:-/root}/.cache/atomic_waker}
AW_TARBALL=${AW_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
AW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
AW_FRAGMENT=${AW_FRAGMENT:-$AW_ROOT/scripts/test-kernel.config}
# Bump when the way the kernel is configured/built changes (new cache key).
AW_KBUILD_REV=1

step() { printf '==> %s\n' "$*" >&2; }
info() { printf '    %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Print the kernel source dir; unpack the tarball into the cache once.
aw_src_dir() {
	if [[ -n ${KSRC:-} ]]; then
		[[ -f $KSRC/Makefile ]] || die "KSRC=$KSRC is not a kernel tree"
		(cd "$KSRC" && pwd)
		return
	fi
	[[ -f $AW_TARBALL ]] || die "$AW_TARBALL missing (make deps, or set KSRC=)"
	local name dir stamp want
	name=$(basename "$AW_TARBALL" .tar.xz)
	dir=$AW_CACHE/src/$name
	stamp=$dir.unpacked
	want=$(stat -c '%s %Y' "$AW_TARBALL")
	if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
		step "unpacking $AW_TARBALL into $AW_CACHE/src (once, ~1 min)"
		rm -rf "$dir" "$dir.tmp" "$stamp"
		mkdir -p "$dir.tmp"
		tar -xJf "$AW_TARBALL" -C "$dir.tmp" --strip-components=1
		mv "$dir.tmp" "$dir"
		echo "$want" >"$stamp"
	fi
	echo "$dir"
}

# Kernel version from a source tree's Makefile, e.g. 6.12.117.
aw_src_version() {
	awk -F' *= *' '
		$1 == "VERSION" { v = $2 } $1 == "PATCHLEVEL" { p = $2 }
		$1 == "SUBLEVEL" { s = $2 } $1 == "EXTRAVERSION" { e = $2 }
		$1 == "NAME" { exit }
		END { printf "%s.%s.%s%s\n", v, p, s, e }' "$1/Makefile"
}

# Object dir of the test kernel for source dir $1:
# kernel-<version>-<hash of fragments, source path, build revision>.
# (One fragment hashes as before the list was allowed: same cache dir.)
aw_kernel_dir() {
	local hash frags
	read -ra frags <<<"$AW_FRAGMENT"
	hash=$({ cat "${frags[@]}"; echo "$1 rev=$AW_KBUILD_REV"; } |
		sha256sum | cut -c1-10)
	echo "$AW_CACHE/kernel-$(aw_src_version "$1")-$hash"
}
