#!/bin/bash
# Run the five builds of aw_test (see Makefile); a sanitizer report fails
# its build even if every case passed.  Each build's log goes to
# $B/<build>.log; its summary line is printed here.  Last line:
# "N passed, N failed" over all builds (skipped cases are neither).
set -uo pipefail
b=${1:-build}
passed=0 failed=0 skipped=0
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
export ASAN_OPTIONS="halt_on_error=1 detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1"
builds=(aw_test aw_test-tsan aw_test-asan aw_test-rt-tsan aw_test-rt-asan)
n=0
for name in "${builds[@]}"; do
	n=$((n + 1))
	log=$b/$name.log
	echo "== $n/${#builds[@]} $name (log: $log)"
	start=$SECONDS
	"$b/$name" -q >"$log" 2>&1
	rc=$?
	reports=$(grep -cE 'ThreadSanitizer|AddressSanitizer|LeakSanitizer|runtime error:' "$log")
	line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" "$log" | tail -1)
	p=0 f=1 s=0	# no summary: it crashed, or hung
	if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
	fi
	if ((rc != 0 || reports != 0)) && ((f == 0)); then
		f=1	# the sanitizer, or the exit status, overrules the cases
	fi
	grep -E '^not ok|^    not ok|FAILED|Sanitizer|runtime error|^BUG|^HANG' "$log" |
		head -20 | sed 's/^/   /'
	echo "== $name: $p passed, $f failed, $s skipped, exit $rc, sanitizer reports $reports, $((SECONDS - start)) s"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
echo "user-space: $passed passed, $failed failed ($skipped skipped, in ${#builds[@]} builds)"
((failed == 0))
