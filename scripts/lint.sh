#!/bin/bash
# Static checks: checkpatch --strict on every kernel .c/.h of the repo,
# sparse (C=2: every file) + W=1 on every module against the test kernel
# with zero warnings, and kernel-doc on atomic_waker.[ch] with no output.
# Builds the test kernel first if it is not in the cache.
# Last line: "N passed, N failed" (one per check and file).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
step() { printf '==> %s\n' "$*" >&2; }
passed=0 failed=0
verdict() { # verdict <what> <status>
	if (($2 == 0)); then passed=$((passed + 1)); else
		failed=$((failed + 1)); echo "FAIL: $1"; fi
}

ksrc=$(scripts/kernels.py resolve test | sed -n 's/^source=//p')
[[ -d $ksrc ]] || { echo "no test kernel"; echo "0 passed, 1 failed"; exit 1; }

# The kernel sources: every .c/.h next to a Kbuild file (user-space code
# such as user/ or sample/test/ has no Kbuild and is not kernel style).
mapfile -t files < <(git ls-files -co --exclude-standard '*Kbuild' |
	while read -r k; do
		git ls-files -co --exclude-standard ":(glob)$(dirname "$k")/*.[ch]"
	done | grep -v '\.mod\.c$' | sort -u)

step "lint 1/3: checkpatch --strict on ${#files[@]} files"
for f in "${files[@]}"; do
	"$ksrc/scripts/checkpatch.pl" --no-tree --strict --quiet --show-types -f "$f"
	verdict "checkpatch $f" $?
done

step "lint 2/3: sparse (C=2) + W=1 on every module"
out=$(scripts/kernels.py build-modules test CONFIG_ATOMIC_WAKER_KUNIT_TEST \
	CONFIG_ATOMIC_WAKER_SAMPLE CONFIG_ATOMIC_WAKER_TORTURE \
	CONFIG_ATOMIC_WAKER_BENCH C=2 2>&1)
rc=$?
echo "$out" | tail -n 3
verdict "sparse + W=1 build" $rc

step "lint 3/3: kernel-doc -none atomic_waker.c atomic_waker.h"
kd=$("$ksrc/scripts/kernel-doc" -none atomic_waker.c atomic_waker.h 2>&1)
[[ -z $kd ]] || echo "$kd"
verdict "kernel-doc" "$([[ -z $kd ]]; echo $?)"

echo "$passed passed, $failed failed"
((failed == 0))
