#!/bin/bash
# Static checks: checkpatch --strict on every .c/.h in the repo, a
# sparse (C=1) + W=1 build against the test kernel with zero warnings, and
# kernel-doc on atomic_waker.[ch] with no output.
# The test kernel must already be built (make lint does that).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

src=$(aw_src_dir)
kdir=$(aw_kernel_dir "$src")
[[ -f $kdir/.aw-built ]] || die "test kernel not built: run make kernel"
cd "$AW_ROOT"
fail=0
# The kernel sources: every .c/.h next to a Kbuild file (user-space code
# such as user/ or sample/test/ has no Kbuild and is not kernel style).
mapfile -t files < <(find . -path ./.git -prune -o -name Kbuild -printf '%h\n' |
	while read -r d; do
		find "$d" -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' \) \
			! -name '*.mod.c'
	done | sort)

step "lint 1/3: checkpatch --strict on ${#files[@]} files"
for f in "${files[@]}"; do
	# --no-tree: out-of-tree repo. No --ignore is needed so far.
	if ! "$src/scripts/checkpatch.pl" --no-tree --strict --quiet \
		--show-types -f "$f"; then
		fail=1
	fi
done

step "lint 2/3: make C=1 W=1 (sparse + extra warnings)"
out=$AW_CACHE/logs/$(date +%Y%m%d-%H%M%S)-lint-$$.log
mkdir -p "$AW_CACHE/logs"
make -s -C "$kdir" M="$AW_ROOT" clean
# after the clean, C=1 runs sparse on every file compiled
if ! make -C "$kdir" M="$AW_ROOT" C=1 W=1 modules >"$out" 2>&1; then
	cat "$out"
	fail=1
elif grep -iE 'warning:|error:' "$out"; then
	fail=1
fi
info "build output: $out"

step "lint 3/3: kernel-doc -none atomic_waker.c atomic_waker.h"
kdoc=()
for f in atomic_waker.c atomic_waker.h; do
	[[ -f $f ]] && kdoc+=("$f")
done
if ((${#kdoc[@]})); then
	kd_out=$("$src/scripts/kernel-doc" -none "${kdoc[@]}" 2>&1)
	if [[ -n $kd_out ]]; then
		echo "$kd_out"
		fail=1
	fi
fi

if ((fail)); then
	die "lint: FAILED"
fi
step "lint: OK"
