#!/bin/bash
# Run model/litmus/*.litmus with herd7 against the Linux-kernel memory
# model of the kernel tree (tools/memory-model), and compare each verdict
# with the "Result:" line of the test.  Skips, saying so, when herd7 is
# not installed.  Last line: "N passed, N failed" (or "skipped").
#
# Environment: HERD7 (default: herd7 in PATH, else a build kept in the
# cache, $AW_CACHE/herd7/bin/herd7 with its libdir beside it), HERDLIB
# (herd7's libdir, for an uninstalled build: herdtools7/herd/libdir), KSRC
# (a kernel source tree; default the one the kernel build unpacked, then
# /usr/src/linux-source-*).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=$("$(dirname "$0")/../scripts/cache.py")
herd=${HERD7:-$(command -v herd7 || true)}
if [[ -z $herd && -x $cache/herd7/bin/herd7 ]]; then
	herd=$cache/herd7/bin/herd7
	export HERDLIB=${HERDLIB:-$cache/herd7/libdir}
fi
if [[ -z $herd || ! -x $herd ]]; then
	tests=("$here"/litmus/*.litmus)
	echo "herd7 not installed: SKIPPED ${#tests[@]} litmus tests"
	echo "(herdtools7 is not a Debian package: model/herd7-build.sh builds it, see model/README.md; or set HERD7=)"
	echo "skipped"
	exit 0
fi
ksrc=${KSRC:-}
for d in "$ksrc" "$cache"/src/linux-source-* /usr/src/linux-source-*; do
	[[ -n $d && -f $d/tools/memory-model/linux-kernel.cfg ]] && { ksrc=$d; break; }
done
[[ -f $ksrc/tools/memory-model/linux-kernel.cfg ]] || { echo "no kernel tools/memory-model found (set KSRC=)"; echo "0 passed, 1 failed"; exit 1; }

passed=0 failed=0
cd "$ksrc/tools/memory-model" || exit 1
for t in "$here"/litmus/*.litmus; do
	want=$(sed -n 's/^ \* Result: \([A-Za-z]*\).*/\1/p' "$t" | head -1)
	out=$("$herd" -conf linux-kernel.cfg "$t" 2>&1)
	got=$(sed -n 's/^Observation [^ ]* \([A-Za-z]*\).*/\1/p' <<<"$out")
	states=$(sed -n 's/^States \([0-9]*\)/\1/p' <<<"$out")
	if [[ -n $got && $got == "$want" ]]; then
		passed=$((passed + 1)) v=ok
	else
		failed=$((failed + 1)) v=FAIL
	fi
	printf '%-4s %-62s expected %-9s herd7: %s (%s states)\n' "$v" "$(basename "$t")" "$want" "${got:-error}" "${states:-?}"
	# shellcheck disable=SC2001 # indent every line of herd7's output
	[[ $v == FAIL && -z $got ]] && sed 's/^/       /' <<<"$out" | head -5
done
echo "$passed passed, $failed failed"
((failed == 0))
