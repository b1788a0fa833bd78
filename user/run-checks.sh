#!/bin/bash
# Run the three builds of aw_test; a sanitizer report fails its variant even
# if the tests passed.  Last line: "N passed, N failed" over all variants.
set -uo pipefail
b=${1:-build}
passed=0 failed=0
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
export ASAN_OPTIONS="halt_on_error=1 detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1"
run() { # name binary scale
	local name=$1 bin=$2 s=$3 log rc reports p f
	log=$(mktemp)
	"$bin" -s "$s" >"$log" 2>&1
	rc=$?
	reports=$(grep -cE 'ThreadSanitizer|AddressSanitizer|LeakSanitizer|runtime error:' "$log")
	p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log" | tail -1)
	sed 's/^/  /' "$log"
	if [[ -z $p ]]; then	# crashed before its summary
		p=0 f=1
	fi
	if ((rc != 0 || reports != 0)) && ((f == 0)); then
		f=1	# the sanitizer, or the exit status, overrules the tests
	fi
	echo "== $name: $p passed, $f failed, exit $rc, sanitizer reports $reports"
	passed=$((passed + p)) failed=$((failed + f))
	rm -f "$log"
}
run plain "$b/aw_test" 5
run tsan "$b/aw_test-tsan" 1
run asan+ubsan "$b/aw_test-asan" 2
echo "$passed passed, $failed failed"
((failed == 0))
