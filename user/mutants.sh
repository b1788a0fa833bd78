#!/bin/bash
# Mutation check: build weakened copies of ../atomic_waker.c (and of
# ../atomic_waker.h where the code lives there) in a temporary directory,
# never touching the real files, and run aw_test on each.  AW_TESTS="..."
# limits the run to the named tests (e.g. the stress_* ones), AW_MUTANTS="..."
# to the named mutants.  A mutant is caught when the plain or the TSan build
# fails (a test, a sanitizer report, a crash, or the 120 s watchdog).  A
# mutant whose pattern no longer matches the source counts as not caught:
# update its pattern.
#
# Ordering weakenings (a full RMW made _release, a barrier dropped) are
# invisible on x86 and to TSan, which does not simulate weak memory: they
# are run and reported apart, not counted; ../model/ litmus tests cover them.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cc=${CC:-cc}
sancc=$(command -v clang || echo "$cc")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/aw-mutants.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# name | file | perl -0pe substitution | what it weakens
mutants=(
"ebusy_no_put|c|s/(continue;\s*)aw_put\(w\);/\$1/|register's -EBUSY path forgets to put its own waker"
"retry_is_ebusy|c|s/if \(!old\)\n\t\t\tcontinue;\n//|a cmpxchg that fails on 0 (a take emptied the slot) returns -EBUSY instead of trying again"
"busy_same_is_ebusy|c|s/return old == \(long\)w \? 0 : -EBUSY;/return -EBUSY;/|a register() that lost a race to its own waker reports -EBUSY although the waker is in"
"replaced_not_put|c|s/\taw_put\(old\);[^\n]*\n//|the waker a register() replaces is never put"
"peek_any_waker|c|s/return \*old == \(long\)w;/return *old;/|the same-waker peek returns 0 for any waker in the slot"
"get_after_cmpxchg|c|s/\taw_get\(w\);[^\n]*\n(.*?)\taw_put\(old\);/\$1\taw_get(w);\n\taw_put(old);/s|register() takes its reference after (A), when a take() may already have put it"
"take_load_store|c|s/return atomic_long_xchg\(&aw->slot, 0\);/return ({ unsigned long __w = atomic_long_read(\&aw->slot); atomic_long_set(\&aw->slot, 0); __w; });/|take (B) is a load and a separate store, not one xchg"
"wake_no_put|c|s/(aw_wake_put\(unsigned long w\)\n\{.*?)\t\tput_task_struct\(aw_task\(w\)\);\n(.*?)\t\tif \(ops->put\)\n\t\t\tops->put\(aw_cb\(w\)\);\n/\$1\$2/s|waking a waker never releases it"
"destroy_no_drop|c|s/(void atomic_waker_destroy\(.*?)atomic_waker_target_drop\(&w\);/\$1;/s|destroy() takes the waker and forgets it"
"finish_wait_erases|c|s/if \(atomic_long_read\(&aw->slot\) == \(long\)me\)\s*atomic_long_cmpxchg_relaxed\(&aw->slot, me, 0\);/atomic_long_set(\&aw->slot, 0);/|finish_wait() stores 0 unconditionally: erases a waker that replaced current"
"finish_wait_store|c|s/atomic_long_cmpxchg_relaxed\(&aw->slot, me, 0\);/atomic_long_set(\&aw->slot, 0);/|finish_wait()'s cmpxchg is a store after the peek: erases a waker that replaced current meanwhile"
"finish_wait_stays|c|s/atomic_long_cmpxchg_relaxed\(&aw->slot, me, 0\);/;/|finish_wait() leaves current in the slot"
"prepare_wait_ebusy_sleeps|c|s/(== -EBUSY\)\n)\t\t__set_current_state\(TASK_RUNNING\);[^\n]*\n/\$1\t\t;\n/|prepare_wait() that got -EBUSY leaves the task asleep, with nothing to wake it"
"sleeper_not_woken|c|s/wake_up_process\(aw_task\(w\)\);\t\/\* inside the RCU section \*\//;/|wake() takes a sleeper out of the slot without waking it"
"sleeper_woken_preemptible|c|s/(\t\twake_up_process\(aw_task\(w\)\);[^\n]*\n)(\t\tpreempt_enable\(\);\n)/\$2\$1/|wake() wakes an unpinned sleeper after preempt_enable(): out of the RCU section"
"wake_preempt_off|c|s/\taw_wake_put\(w\);\n\treturn true;/\tpreempt_disable();\n\taw_wake_put(w);\n\tpreempt_enable();\n\treturn true;/|wake() wakes and puts the other kinds with preemption off (a wait queue lock sleeps under PREEMPT_RT)"
"take_no_pin|c|s/\t\tget_task_struct\(aw_task\(w\)\);\s*\/\* it may be woken late \*\/\n//|take() hands a sleeper out unpinned"
"sleeper_accepted|c|s/(default:[^\n]*\n\t\treturn) false;/\$1 true;/|register() accepts a sleeper word (or an unknown kind) from its caller"
"no_wake_accepted|c|s/return cb->ops && cb->ops->wake;/return cb->ops;/|register() accepts a callback without a wake function"
"nmi_register|c|s/\tif \(WARN_ON_ONCE\(in_nmi\(\)\)\)\n\t\treturn -EOPNOTSUPP;\n//|register() runs in NMI context"
# Ordering weakenings: invisible on x86 and to TSan, which does not simulate
# weak memory.  Run to show exactly that; ../model/ litmus tests cover them.
"A_release|c|s/atomic_long_try_cmpxchg\(&aw->slot, &old, w\)/atomic_long_try_cmpxchg_release(\&aw->slot, \&old, w)/|ordering: register's cmpxchg (A) full -> _release"
"B_relaxed|c|s/return atomic_long_xchg\(&aw->slot, 0\);/return atomic_long_xchg_relaxed(\&aw->slot, 0);/|ordering: take()'s xchg (B) full -> _relaxed"
"F_dropped|h|s/smp_mb\(\); \/\* \(F\)[^\n]*//|ordering: the (F) smp_mb() of wake() and take() before their second load of the slot dropped"
)

caught=0 total=0 ordering=0 ordering_total=0
for m in "${mutants[@]}"; do
	IFS='|' read -r name file expr what <<<"$m"
	if [[ -n ${AW_MUTANTS:-} && " $AW_MUTANTS " != *" $name "* ]]; then
		continue
	fi
	d=$tmp/$name
	mkdir -p "$d"
	cp "$here/../atomic_waker.c" "$here/../atomic_waker.h" "$here/../atomic_waker_trace.h" "$d/"
	perl -0pi -e "$expr" "$d/atomic_waker.$file"
	control=false
	[[ $what == ordering:* ]] && control=true
	if cmp -s "$d/atomic_waker.$file" "$here/../atomic_waker.$file"; then
		echo "NOT APPLIED $name: pattern not found in atomic_waker.$file"
		$control || total=$((total + 1))
		continue
	fi
	verdict=survived how=""
	for v in plain tsan; do
		bin=$d/aw_test-$v
		if [[ $v == plain ]]; then
			$cc -O2 -g -w -I"$d" -I"$here/shim" -o "$bin" "$here/aw_test.c" \
				"$here/shim/kshim.c" "$d/atomic_waker.c" -pthread || { verdict=build-failed; break; }
		else
			$sancc -O1 -g -w -fsanitize=thread -I"$d" -I"$here/shim" -o "$bin" \
				"$here/aw_test.c" "$here/shim/kshim.c" "$d/atomic_waker.c" -pthread || { verdict=build-failed; break; }
		fi
		# shellcheck disable=SC2086 # AW_TESTS is a list of test names
		TSAN_OPTIONS="halt_on_error=1 exitcode=66" timeout 120 "$bin" -q -s 2 ${AW_TESTS:-} >"$d/$v.log" 2>&1
		rc=$?
		if ((rc != 0)); then
			verdict=caught
			how="$v: $(grep -E '^FAIL|ThreadSanitizer: [a-z-]+|LOST' "$d/$v.log" | sed 's/^ *//' | sort -u | head -4 | paste -sd, -)"
			((rc == 124)) && how="$v: watchdog (hang)"
			break
		fi
	done
	if $control; then
		ordering_total=$((ordering_total + 1))
		printf '%-24s %-9s %s\n' "$name" "$verdict" "$what (survival expected here)"
		[[ $verdict == caught ]] && ordering=$((ordering + 1))
		[[ -n $how ]] && printf '%-24s   by %s\n' "" "$how"
		continue
	fi
	total=$((total + 1))
	[[ $verdict == caught ]] && caught=$((caught + 1))
	printf '%-24s %-9s %s\n' "$name" "$verdict" "$what"
	[[ -n $how ]] && printf '%-24s   by %s\n' "" "$how"
done
echo "ordering mutants caught here: $ordering/$ordering_total (not expected: see ../model/)"
echo "mutants caught: $caught/$total"
((caught == total))
