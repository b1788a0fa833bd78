#!/bin/bash
# Mutation check: build weakened copies of ../atomic_waker.c (and of
# ../atomic_waker.h where the code lives there) in a temporary directory,
# never touching the real files, and run aw_test on each (AW_TESTS="..."
# limits the run to the named tests, e.g. the stress_* ones).  A mutant is
# caught when the plain or the TSan build fails (a test, a sanitizer report,
# a crash, or the 120 s watchdog).  A mutant whose pattern no longer matches
# the source counts as not caught: update its pattern.
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
"raced_no_wake|c|s/(static void aw_register_raced.*?)aw_waker_wake\(&w\);/\$1aw_waker_drop(&w);/s|register's raced path (E) drops the waker instead of waking it"
"contended_no_wake|c|s/(static int aw_register_contended.*?)w->ops->wake\(w->data\);/\$1(void)w;/s|register finding WAKING neither stores nor wakes its waker"
"unlock_plain_store|c|s/if \(!atomic_try_cmpxchg\w*\(&aw->state, &state, AW_WAITING\)\)\s*aw_register_raced\(aw\);/atomic_set(&aw->state, AW_WAITING);/|register's unlock (A) is a plain store: a WAKING set meanwhile is lost"
"raced_unlock_first|c|s/(static void aw_register_raced.*?)struct aw_waker w = aw_slot_take\(aw\);(.*?)atomic_xchg\(&aw->state, AW_WAITING\);/\$1struct aw_waker w;\n\tatomic_xchg(&aw->state, AW_WAITING);\n\tw = aw_slot_take(aw);\$2/s|raced path unlocks before taking the slot"
"take_no_waking|c|s/atomic_fetch_or\(AW_WAKING, &aw->state\) ([!=]=) AW_WAITING/atomic_read(\&aw->state) \$1 AW_WAITING/|take() (B) reads the state but does not set WAKING"
"ebusy_ignored|c|s/if \(state & AW_REGISTERING\)\s*return -EBUSY;//|a register finding REGISTERING behaves as if it found WAKING"
"same_waker_inverted|c|s/if \(aw_slot_holds\(aw, &w\)\)/if (!aw_slot_holds(aw, \&w))/|the same-waker peek is inverted: a new waker is never stored"
"slot_not_emptied|c|s/(static struct aw_waker aw_slot_take.*?)WRITE_ONCE\(aw->waker.ops, NULL\);/\$1/s|taking the slot leaves the waker in it"
"wake_no_put|c|s/(void aw_wake_put\(.*?)aw_put\(w\);/\$1/s|waking a waker never releases it"
"destroy_no_drop|c|s/(void atomic_waker_destroy\(.*?)aw_waker_drop\(&w\);/\$1;/s|destroy() takes the waker and forgets it"
"finish_wait_drops_other|c|s/(void atomic_waker_finish_wait\(.*?)aw_waker_wake\(&w\);/\$1aw_waker_drop(\&w);/s|finish_wait() drops someone else's waker instead of waking it"
# Ordering weakenings: invisible on x86 and to TSan, which does not simulate
# weak memory.  Run to show exactly that; ../model/ litmus tests cover them.
"A_release|c|s/if \(!atomic_try_cmpxchg\(&aw->state, &state, AW_WAITING\)\)/if (!atomic_try_cmpxchg_release(\&aw->state, \&state, AW_WAITING))/|ordering: register's unlock (A) full -> _release"
"B_relaxed|c|s/atomic_try_cmpxchg\(&aw->state, &state, AW_WAKING\)/atomic_try_cmpxchg_relaxed(\&aw->state, \&state, AW_WAKING)/; s/atomic_fetch_or\(AW_WAKING, &aw->state\)/atomic_fetch_or_relaxed(AW_WAKING, \&aw->state)/|ordering: take()'s cmpxchg and fetch_or (B) full -> _relaxed"
"C_plain_store|c|s/atomic_xchg_release\(&aw->state, AW_WAITING\);/atomic_set_release(\&aw->state, AW_WAITING);/|ordering: take()'s unlock (C) RMW -> store_release (tokio #7450)"
"E_no_acquire|c|s/smp_acquire__after_ctrl_dep\(\);//|ordering: no acquire (E) after register's failed cmpxchg"
"F_dropped|h|s/smp_mb\(\); \/\* \(F\)[^\n]*//|ordering: wake()'s (F) smp_mb() before its load of the slot dropped"
)

caught=0 total=0 ordering=0
for m in "${mutants[@]}"; do
	IFS='|' read -r name file expr what <<<"$m"
	d=$tmp/$name
	mkdir -p "$d"
	cp "$here/../atomic_waker.c" "$here/../atomic_waker.h" "$d/"
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
echo "ordering mutants caught here: $ordering/5 (not expected: see ../model/)"
echo "mutants caught: $caught/$total"
((caught == total))
