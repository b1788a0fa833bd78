#!/bin/bash
# Mutation check: build weakened copies of ../atomic_waker.c (and of
# ../atomic_waker.h where the code lives there) in a temporary directory,
# never touching the real files, and run the KUnit cases built in user space
# (aw_test, see Makefile) on each.  A mutant is caught when a build fails
# its run: a failed case, a sanitizer report, a crash, or the watchdog.
# The builds are tried in this order, stopping at the first that catches:
# plain, PREEMPT_RT, ThreadSanitizer, PREEMPT_RT + ASan+UBSan.
#
#   AW_TESTS="suite suite.case ..."   run only these (globs, as aw_test takes)
#   AW_MUTANTS="name ..."             only these mutants
#   AW_VARIANTS="plain rt tsan rt-asan"  only these builds, in this order
#
# A mutant whose pattern no longer matches the source counts as not caught:
# update its pattern.  Ordering weakenings (a full RMW made _release, a
# barrier dropped) run apart and are not counted: whether x86 and TSan see
# them is luck (TSan does not simulate weak memory); ../model/ covers them.
# Last line: "mutants caught: N/N".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cc=${CC:-cc}
sancc=$(command -v clang || echo "$cc")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/aw-mutants.XXXXXX")
keep=false	# a survivor's logs are kept
trap '$keep || rm -rf "$tmp"' EXIT

# name | file | perl -0pe substitution | what it weakens
mutants=(
# -- the slot: register, take, wake, destroy
"ebusy_no_put|c|s/(if \(!old\)\n\t\t\tcontinue;\n)\t\ttarget_put\(t\);\n/\$1/|register's -EBUSY path forgets to put its own target"
"retry_is_ebusy|c|s/\t\tif \(!old\)\n\t\t\tcontinue;\n//|a cmpxchg that fails on 0 (a take emptied the slot) returns -EBUSY instead of trying again"
"busy_same_is_ebusy|c|s/return WARN_ON_ONCE\(old != \(long\)t\) \? -EBUSY : 0;/return WARN_ON_ONCE(1) ? -EBUSY : 0;/|a register() that lost a race to its own target reports -EBUSY although the target is in"
"busy_no_warning|c|s/return WARN_ON_ONCE\(old != \(long\)t\) \? -EBUSY : 0;/return old != (long)t ? -EBUSY : 0;/|a racing register() gets -EBUSY without the warning"
"replaced_not_put|c|s/\ttarget_put\(old\);\t\/\* replaced[^\n]*\n//|the target a register() replaces is never put"
"peek_any_target|c|s/if \(old == \(long\)t\.word && old\)/if (old)/|the same-target peek returns 0 for any target in the slot"
"get_after_cmpxchg|c|s/\ttarget_get\(t\);[^\n]*\n(.*?)\ttarget_put\(old\);/\$1\ttarget_get(t);\n\ttarget_put(old);/s|register() takes its reference after (A), when a take() may already have put it"
"take_load_store|c|s/return atomic_long_xchg\(&aw->slot, 0\);/return ({ unsigned long __w = atomic_long_read(\&aw->slot); atomic_long_set(\&aw->slot, 0); __w; });/|take (B) is a load and a separate store, not one xchg"
"wake_no_put|c|s/(target_wake_put\(unsigned long t\)\n\{.*?)\t\tput_task_struct\(target_task\(t\)\);\n(.*?)\t\tif \(ops->put\)\n\t\t\tops->put\(target_cb\(t\)\);\n/\$1\$2/s|waking a target never releases it"
"destroy_no_drop|c|s/(void atomic_waker_destroy\(.*?)atomic_waker_target_drop\(&t\);/\$1;/s|destroy() takes the target and forgets it"
"empty_wake_writes|h|s/\tif \(!__atomic_waker_may_hold\(aw\)\)\n\t\treturn false;\n\treturn __atomic_waker_wake\(aw\);/\treturn __atomic_waker_wake(aw);/|wake() with nothing registered writes the slot (an xchg), taking the line from a registrant"
"take_no_pin|c|s/\t\tget_task_struct\(target_task\(t\)\);\s*\/\* it may be woken late \*\/\n//|take() hands a sleeper out unpinned"
# -- misuse: refused, warned
"sleeper_accepted|c|s/(default:[^\n]*\n\t\treturn) false;/\$1 true;/|register() accepts a sleeper word (or an unknown kind) from its caller"
"no_wake_accepted|c|s/return cb->ops && cb->ops->wake;/return cb->ops;/|register() accepts a callback without a wake function"
"einval_no_warning|c|s/if \(WARN_ON_ONCE\(!target_valid\(t\.word\)\)\)/if (!target_valid(t.word))/|an invalid target gets -EINVAL without the warning"
"nmi_register|c|s/\tif \(WARN_ON_ONCE\(in_nmi\(\)\)\)\n\t\treturn -EOPNOTSUPP;\n//|register() runs in NMI context"
"sleeper_replaced|c|s/\tif \(WARN_ON_ONCE\(target_kind\(old\) == ATOMIC_WAKER_KIND_SLEEPER\)\)\n\t\treturn -EBUSY;\n//|register() replaces a task asleep in the wait_event helpers (the old behaviour)"
# -- sleeping on an atomic_waker
"wait_tests_unregistered|h|s/(\tfor \(;;\) \{\t+\x5c\n)/\$1\t\tif (condition)\t\x5c\n\t\t\tbreak;\t\x5c\n/|the sleep loop tests its condition before registering (the old fast path, at every round)"
"finish_wait_erases|c|s/if \(atomic_long_read\(&aw->slot\) == \(long\)me\)\s*atomic_long_cmpxchg_relaxed\(&aw->slot, me, 0\);/atomic_long_set(\&aw->slot, 0);/|finish_wait() stores 0 unconditionally: erases a target registered after a wake"
"finish_wait_store|c|s/atomic_long_cmpxchg_relaxed\(&aw->slot, me, 0\);/atomic_long_set(\&aw->slot, 0);/|finish_wait()'s cmpxchg is a store after the peek: erases a target registered meanwhile"
"finish_wait_stays|c|s/atomic_long_cmpxchg_relaxed\(&aw->slot, me, 0\);/;/|finish_wait() leaves current in the slot"
"prepare_wait_ebusy_sleeps|c|s/__set_current_state\(TASK_RUNNING\); \/\* nobody would wake us \*\//;/|prepare_wait() that got -EBUSY leaves the task asleep, with nothing to wake it"
"sleeper_not_woken|c|s/wake_up_process\(target_task\(t\)\);\t\/\* inside the RCU section \*\//;/|wake() takes a sleeper out of the slot without waking it"
"sleeper_woken_preemptible|c|s/(\t\twake_up_process\(target_task\(t\)\);[^\n]*\n)(\t\tpreempt_enable\(\);\n)/\$2\$1/|wake() wakes an unpinned sleeper after preempt_enable(): out of the RCU section"
"wake_preempt_off|c|s/\tpreempt_enable\(\);\n\n\t\/\* Any other kind[^\n]*\n\tif \(!t\)\n\t\treturn false;\n\ttarget_wake_put\(t\);\n/\tif (!t) {\n\t\tpreempt_enable();\n\t\treturn false;\n\t}\n\ttarget_wake_put(t);\n\tpreempt_enable();\n/|wake() wakes and puts the other kinds with preemption off"
# -- wait queue targets: the PREEMPT_RT deferral through the irq_work
"wq_always_in_place|c|s/if \(!IS_ENABLED\(CONFIG_PREEMPT_RT\) \x7c\x7c preemptible\(\)\) \{/if (true) {/|a wait queue is always woken in place: no deferral, its sleeping lock taken in atomic context under PREEMPT_RT"
"wq_always_deferred|c|s/if \(!IS_ENABLED\(CONFIG_PREEMPT_RT\) \x7c\x7c preemptible\(\)\) \{/if (false) {/|a wait queue's wake always goes through the irq_work, never in place, also without PREEMPT_RT"
"wq_rt_always_deferred|c|s/if \(!IS_ENABLED\(CONFIG_PREEMPT_RT\) \x7c\x7c preemptible\(\)\) \{/if (!IS_ENABLED(CONFIG_PREEMPT_RT)) {/|under PREEMPT_RT a wake from a preemptible task is deferred too"
"wq_deferred_hardirq_only|c|s/if \(!IS_ENABLED\(CONFIG_PREEMPT_RT\) \x7c\x7c preemptible\(\)\) \{/if (!IS_ENABLED(CONFIG_PREEMPT_RT) \x7c\x7c !in_hardirq()) {/|under PREEMPT_RT only a hard IRQ defers: a raw spinlock or IRQs off take the sleeping lock"
"wq_queue_dropped|c|s/\tirq_work_queue\(&wq->irq_work\);\n/\t;\n/|the deferred wake is never queued: lost"
"wq_irq_work_no_wake|c|s/(wait_queue_irq_work\(struct irq_work \*work\)\n\{.*?)\twake_up_all\(&wq->head\);/\$1\t;/s|the irq_work runs but wakes nobody"
"wq_sync_noop|c|s/\tirq_work_sync\(&wq->irq_work\);/\t;/|atomic_waker_wait_queue_sync() does not wait for a deferred wake"
# Ordering weakenings: not counted, as whether they are caught here depends
# on the CPU (x86 reorders only a store with a later load) and on TSan's
# model of the C11 orders; ../model/ litmus tests cover them.
"A_release|c|s/atomic_long_try_cmpxchg\(&aw->slot, &old, t\)/atomic_long_try_cmpxchg_release(\&aw->slot, \&old, t)/|ordering: register's cmpxchg (A) full -> _release"
"B_relaxed|c|s/return atomic_long_xchg\(&aw->slot, 0\);/return atomic_long_xchg_relaxed(\&aw->slot, 0);/|ordering: take()'s xchg (B) full -> _relaxed"
"F_dropped|h|s/smp_mb\(\); \/\* \(F\)[^\n]*//|ordering: the (F) smp_mb() of wake() and take() before their second load of the slot dropped"
)

srcs=("$here"/../kunit/{helpers,producer,api,context,wait_queue,wait,race,misuse}.c
	"$here/aw_user_cases.c" "$here"/shim/{kshim,kshim_time,kunit}.c)

# build <variant> <dir>: the mutant's aw_test-<variant>
build() {
	local v=$1 d=$2 c=$cc flags=(-O2)
	local asan=-fsanitize=address,undefined
	case $v in
	rt) flags+=(-DCONFIG_PREEMPT_RT=1) ;;
	tsan) c=$sancc flags=(-O1 -fsanitize=thread) ;;
	rt-asan) c=$sancc flags=(-O1 "$asan" -fno-sanitize-recover=all
		-DCONFIG_PREEMPT_RT=1) ;;
	esac
	$c "${flags[@]}" -g -w -std=gnu11 -I"$d" -I"$here/shim" -I"$here/../kunit" \
		-o "$d/aw_test-$v" "${srcs[@]}" "$d/atomic_waker.c" -pthread
}

echo "mutants: ${#mutants[@]}; builds and logs in $tmp (kept if one survives)"
export TSAN_OPTIONS="halt_on_error=1 exitcode=66"
export ASAN_OPTIONS="halt_on_error=1 detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1"
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
	read -ra variants <<<"${AW_VARIANTS:-plain rt tsan rt-asan}"
	if [[ $what == ordering:* ]]; then
		control=true
		read -ra variants <<<"${AW_VARIANTS:-plain tsan}"
	fi
	if cmp -s "$d/atomic_waker.$file" "$here/../atomic_waker.$file"; then
		echo "NOT APPLIED $name: pattern not found in atomic_waker.$file"
		$control || total=$((total + 1))
		continue
	fi
	verdict=survived how=""
	for v in "${variants[@]}"; do
		build "$v" "$d" || { verdict=build-failed; break; }
		# A subshell: bash reports a crash ("Segmentation fault") there.
		# shellcheck disable=SC2086 # AW_TESTS is a list of patterns
		(timeout 300 "$d/aw_test-$v" -q -x ${AW_TESTS:-} >"$d/$v.log" 2>&1) 2>/dev/null
		rc=$?
		if ((rc != 0)); then
			verdict=caught
			how="$v: $(grep -E '^ *not ok|Sanitizer: [a-z-]+|^BUG' "$d/$v.log" |
				sed 's/^ *//; s/ # .*//' | cut -c1-100 | sort -u | head -4 |
				paste -sd, -)"
			[[ $how == "$v: " ]] && how="$v: crashed (exit $rc)"
			((rc == 124)) && how="$v: watchdog (hang)"
			break
		fi
	done
	if $control; then
		ordering_total=$((ordering_total + 1))
		printf '%-26s %-9s %s\n' "$name" "$verdict" "$what (not counted)"
		[[ $verdict == caught ]] && ordering=$((ordering + 1))
		[[ -n $how ]] && printf '%-26s   by %s\n' "" "$how"
		continue
	fi
	total=$((total + 1))
	if [[ $verdict == caught ]]; then
		caught=$((caught + 1))
	else
		keep=true
	fi
	printf '%-26s %-9s %s\n' "$name" "$verdict" "$what"
	[[ -n $how ]] && printf '%-26s   by %s\n' "" "$how"
done
echo "ordering mutants caught here: $ordering/$ordering_total (not counted: see ../model/)"
echo "mutants caught: $caught/$total"
((caught == total))
