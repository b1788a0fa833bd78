#!/bin/bash
# Exhaustive check of atomic_waker.pml with spin, then its mutations.
# Prints, per configuration, the states explored and each property's
# verdict; per coverage probe, whether its path is reached; per mutation,
# the property that caught it.  Last line: "N passed, N failed" (each
# configuration, probe and caught mutant is a pass).  Needs spin and a C
# compiler (Debian: spin, gcc).
#
# The largest configuration (2 registrants, 2 wakers, any number of rounds:
# about 6.1e7 states, 4.5 GB, 1.5-2.5 minutes) runs on its own core while the
# others (the wait queue ones, -DWQ, among them), the probes and the
# mutations run on a second one, each printed as it finishes; the largest
# one's verdict is printed when it is done.  About 2.5 minutes and under
# 6 GB in all on 2 cores.
#
# Environment: MEMLIM (MB per pan run; default 2500, and 6500 for the
# largest configuration), MODEL_JOBS (1: run everything in turn; default 2).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
jobs=${MODEL_JOBS:-2}
passed=0 failed=0 peak=0 bigpid=""

command -v spin >/dev/null || { echo "spin not installed (apt-get install spin)"; echo "0 passed, 1 failed"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/aw-model.XXXXXX")
# A failed run keeps its logs and trails (pan's -t replays them).
trap '[[ -n $bigpid ]] && kill "$bigpid" 2>/dev/null
      if ((failed)); then echo "kept $work" >&2; else rm -rf "$work"; fi' EXIT
cp "$here/atomic_waker.pml" "$work/"
cd "$work" || exit 1

props="no_lost_wakeup exclusive no_double_put balanced ebusy_only_if_racing wq_wake_delivered sync_quiesces no_deadlock"
wq_props=" wq_wake_delivered sync_quiesces "	# only with -DWQ

# Which property an assertion or an error line names.
prop_of() {
	case $1 in
	*no_lost_wakeup*) echo no_lost_wakeup ;;
	*exclusive*) echo exclusive ;;
	*no_double_put*) echo no_double_put ;;
	*balanced*) echo balanced ;;
	*ebusy_only_if_racing*) echo ebusy_only_if_racing ;;
	*wq_wake_delivered*) echo wq_wake_delivered ;;
	*sync_quiesces*) echo sync_quiesces ;;
	*probe_reached*) echo reached ;;		# a coverage probe
	*"invalid end state"*) echo no_deadlock ;;
	*) echo "unknown($1)" ;;
	esac
}

# pan_exec NAME "spin -D flags" "pan cc flags" "pan run flags" MEMLIM
# Builds and runs pan in $work/NAME; its output goes to $work/NAME/log.
# The last step execs pan, so that a background run's pid is pan's.
pan_exec() {
	local d=$work/$1
	rm -rf "$d" && mkdir -p "$d" && cd "$d" || exit 1
	# shellcheck disable=SC2086
	spin -a $2 ../atomic_waker.pml >log 2>&1 || { echo "spin-error" >>log; return; }
	# shellcheck disable=SC2086
	nice -n 10 ${CC:-cc} -O2 -w -DSAFETY -DMEMLIM="$5" $3 -o pan pan.c >>log 2>&1 ||
		{ echo "cc-error" >>log; return; }
	# shellcheck disable=SC2086
	exec nice -n 10 ./pan $4 >log 2>&1
}

# pan_parse NAME.  Sets: states, errs, violated (a property name or ""),
# mb (pan's total memory), secs (pan's elapsed time).
pan_parse() {
	local out
	out=$(cat "$work/$1/log" 2>/dev/null)
	states=$(sed -n 's/^ *\([0-9e+.]*\) states, stored.*/\1/p' <<<"$out" | head -1)
	errs=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' <<<"$out" | head -1)
	mb=$(sed -n 's/^ *\([0-9.]*\)[[:space:]]*total actual memory usage.*/\1/p' <<<"$out" | head -1)
	secs=$(sed -n 's/^pan: elapsed time \([0-9.e+]*\) seconds.*/\1/p' <<<"$out" | head -1)
	mb=${mb%.*} secs=${secs:-0}
	((${mb:-0} > peak)) && peak=$mb
	violated=""
	if grep -qE '^(spin|cc)-error' <<<"$out"; then
		# shellcheck disable=SC2001 # indent every line of the log
		sed 's/^/    /' <<<"$out" | head -5 >&2
		errs=1 violated=$(grep -m1 -oE '^(spin|cc)-error' <<<"$out") states=0
		return
	fi
	if [[ ${errs:-1} != 0 ]]; then
		violated=$(prop_of "$(grep -m1 -E 'assertion violated|invalid end state' <<<"$out")")
	fi
	if grep -qE 'out of memory|max search depth too small|Search not completed' <<<"$out" && [[ ${errs:-1} == 0 ]]; then
		errs=1 violated=incomplete-search
	fi
}

pan_run() { # NAME DFLAGS CCFLAGS RUNFLAGS MEMLIM
	(pan_exec "$@")
	pan_parse "$1"
}

report_config() { # NAME what DFLAGS
	local name=$1
	printf '%-16s %-52s states %s (%s MB, %s s)\n' "$name" "$2" "${states:-?}" "${mb:-?}" "$secs"
	for p in $props; do
		if [[ $wq_props == *" $p "* && $3 != *-DWQ* ]]; then
			v="not applicable (no wait queue target)"
		elif [[ $errs == 0 ]]; then
			v=holds
		elif [[ $violated == "$p" ]]; then
			v=VIOLATED
		else
			v="not reached (stopped at the first violation)"
		fi
		printf '    %-20s %s\n' "$p" "$v"
	done
	if [[ $errs == 0 ]]; then
		passed=$((passed + 1))
	else
		[[ -n $violated ]] && echo "    stopped: $violated; log and trail in $work/$name"
		failed=$((failed + 1))
	fi
}

check_config() { # NAME "DFLAGS" "CCFLAGS" "RUNFLAGS" what
	pan_run "$1" "$2" "$3" "$4" "${MEMLIM:-2500}"
	report_config "$1" "$5" "$2"
}

# The largest configuration: the issue's "2 registrants, 2 wakers, 3
# rounds" and more, as any run of 3 rounds each is a prefix of a run here
# (and not counting rounds keeps the state space smaller than counting
# them).  About 6.1e7 states, 4.5 GB (-DCOLLAPSE, -w27), 1.5-2.5 minutes; the
# DFS goes 9.3e6 steps deep.
big=(two-reg "-DNREG=2 -DNWAKE=2" "-DCOLLAPSE" "-m14000000 -w27" "${MEMLIM:-6500}")
big_what="2 registrants, 2 wakers, any number of rounds"
if ((jobs > 1)); then
	(pan_exec "${big[@]}") &
	bigpid=$!
	echo "${big[0]} ($big_what) runs on its own core meanwhile: log in $work/${big[0]}/log"
fi

echo "== exhaustive checks (spin, SC, every interleaving)"
check_config one-reg "-DNREG=1 -DNWAKE=2" "-DCOLLAPSE" "-m1000000 -w22" \
	"1 registrant, 2 wakers, any number of rounds"
check_config one-reg-3 "-DNREG=1 -DNWAKE=2 -DROUNDS=3" "-DCOLLAPSE" "-m1000000 -w22" \
	"1 registrant, 2 wakers, exactly 3 rounds each"
check_config one-reg-3w "-DNREG=1 -DNWAKE=3" "-DCOLLAPSE" "-m1000000 -w24" \
	"1 registrant, 3 wakers, any number of rounds"
check_config two-reg-1 "-DNREG=2 -DNWAKE=2 -DROUNDS=1" "-DCOLLAPSE" "-m1000000 -w24" \
	"2 registrants, 2 wakers, 1 round each"
check_config two-reg-1w "-DNREG=2 -DNWAKE=1" "-DCOLLAPSE" "-m1000000 -w25" \
	"2 registrants, 1 waker, any number of rounds"
check_config three-reg-1w "-DNREG=3 -DNWAKE=1 -DROUNDS=1" "-DCOLLAPSE" "-m1000000 -w25" \
	"3 registrants, 1 waker, 1 round each"
check_config two-reg-3w "-DNREG=2 -DNWAKE=3 -DROUNDS=1" "-DCOLLAPSE" "-m1000000 -w26" \
	"2 registrants, 3 wakers, 1 round each"
# The wait queue target (registrant 1's, with the irq_work thread): every
# wake of it in place or deferred, chosen at each call.
check_config wq-one-reg "-DWQ -DNREG=1 -DNWAKE=2" "-DCOLLAPSE" "-m1000000 -w22" \
	"wait queue: 1 registrant, 2 wakers, any number of rounds"
check_config wq-one-reg-3w "-DWQ -DNREG=1 -DNWAKE=3" "-DCOLLAPSE" "-m2000000 -w23" \
	"wait queue: 1 registrant, 3 wakers, any number of rounds"
check_config wq-two-reg-1 "-DWQ -DNREG=2 -DNWAKE=2 -DROUNDS=1" "-DCOLLAPSE" "-m1000000 -w22" \
	"wait queue: 2 registrants, 2 wakers, 1 round each"
check_config wq-two-reg-1w "-DWQ -DNREG=2 -DNWAKE=1" "-DCOLLAPSE" "-m2000000 -w23" \
	"wait queue: 2 registrants, 1 waker, any number of rounds"

# Tried in turn until one catches the mutant or reaches the probe: the
# first list for the slot, the second (-DWQ) for the wait queue target.
# Their pans are built with -O0: most stop after a few thousand states,
# and gcc -O2 takes a second and a half longer per build than -O0.
small_cfgs=("-DNREG=1 -DNWAKE=2|-m1000000 -w22" "-DNREG=2 -DNWAKE=2 -DROUNDS=1|-m1000000 -w24"
	    "-DNREG=2 -DNWAKE=1|-m1000000 -w25")
wq_cfgs=("-DWQ -DNREG=1 -DNWAKE=2|-m1000000 -w22" "-DWQ -DNREG=2 -DNWAKE=1|-m2000000 -w23")

coverage() {
	echo "== coverage: each path the properties rely on must be reachable"
	# probe | the path | "wq": with the wait queue target
	local probes=(
	"PROBE_SAME|register() finds its own target: the same-target peek"
	"PROBE_RETRY|register()'s cmpxchg fails on 0 (a take emptied the slot) and retries"
	"PROBE_EBUSY|register()'s cmpxchg fails on another target: -EBUSY"
	"PROBE_SLEEPER_EBUSY|register() finds another registrant's sleeper: -EBUSY"
	"PROBE_PIN|take() finds a sleeper and pins it"
	"PROBE_FINISH_RACE|finish_wait() peeks its sleeper, and its cmpxchg finds it gone"
	"PROBE_MERGE|a deferred wake's claim finds the irq_work pending: merged|wq"
	"PROBE_RECLAIM|a claim while the irq_work runs: its cmpxchg keeps BUSY, it runs again|wq"
	"PROBE_WQ_SLEEPER|the irq_work's wake_up_all() finds the registrant asleep on the queue|wq"
	"PROBE_SYNC_WAITS|atomic_waker_wait_queue_sync() at teardown finds the irq_work busy|wq"
	)
	local m probe what wq cfg d r how cfgs
	for m in "${probes[@]}"; do
		IFS='|' read -r probe what wq <<<"$m"
		how=""
		if [[ $wq == wq ]]; then cfgs=("${wq_cfgs[@]}"); else cfgs=("${small_cfgs[@]}"); fi
		for cfg in "${cfgs[@]}"; do
			IFS='|' read -r d r <<<"$cfg"
			pan_run "$probe" "$d -D$probe" "-DCOLLAPSE -O0" "$r" "${MEMLIM:-2500}"
			if [[ $errs != 0 && $violated == reached ]]; then
				how="($d, after ${states:-?} states)"
				break
			fi
		done
		if [[ -n $how ]]; then
			printf '%-20s reached    %s\n%-20s   %s\n' "$probe" "$what" "" "$how"
			passed=$((passed + 1))
		else
			printf '%-20s NOT REACHED %s: the model lost a path of atomic_waker.c\n' "$probe" "$what"
			failed=$((failed + 1))
		fi
	done
}

mutations() {
	echo "== mutations (each must violate a property; checked on the configs above)"
	# name | what it weakens | expected: a property, or "none" (equivalent
	# under SC) | "wq": with the wait queue target
	local mutants=(
	"MUT_PLAIN_TAKE|take()'s xchg (B) a load, then a store of 0|exclusive"
	"MUT_NO_RETRY|register() returns -EBUSY when its cmpxchg finds the slot emptied|ebusy_only_if_racing"
	"MUT_PEEK_ANY_TARGET|register()'s same-target peek returns 0 for any target in the slot|no_lost_wakeup"
	"MUT_NO_PUT_OLD|register() does not put the target it replaced|balanced"
	"MUT_EBUSY_NO_PUT|register() returning -EBUSY does not put its own target|balanced"
	"MUT_GET_AFTER_CMPXCHG|register() gets its target after storing it: a take can put it first|no_double_put"
	"MUT_FINISH_PLAIN|finish_wait() a load and a store of 0: erases a target stored after a take|exclusive"
	"MUT_REGISTER_STORE|register() a plain store, not a cmpxchg|exclusive"
	"MUT_PEEK_BEFORE_STORE|wake()'s empty-slot test made before the condition store|no_lost_wakeup"
	"MUT_SLEEPER_PUT|wake() puts a sleeper, which holds no reference|no_double_put"
	"MUT_TAKE_NO_PIN|take() hands a sleeper out without get_task_struct()|no_double_put"
	"MUT_EBUSY_SLEEPS|prepare_wait() leaves the task sleeping on -EBUSY|no_lost_wakeup"
	"MUT_REGISTER_WAITS|register() waits for a take to empty the slot instead of replacing|no_deadlock"
	"MUT_DESTROY_NO_DROP|destroy() takes the target and forgets it|balanced"
	"MUT_REPLACE_SLEEPER|register() replaces a sleeper, as before (no -EBUSY)|no_lost_wakeup"
	"MUT_SLEEPER_EBUSY_GET|register() gets its target, then finds the sleeper: -EBUSY, no put|balanced"
	"MUT_DEFER_DROP|a deferred wait queue wake is dropped: no claim, the queue never raised|wq_wake_delivered|wq"
	"MUT_RUNNER_WAKE_FIRST|the irq_work wakes the queue before it clears PENDING: a merge is lost|wq_wake_delivered|wq"
	"MUT_CLAIM_IGNORES_PENDING|irq_work_queue() queues the work though it was pending|no_double_put|wq"
	"MUT_SYNC_NO_WAIT|atomic_waker_wait_queue_sync() does not wait|sync_quiesces|wq"
	"MUT_SYNC_NO_RCU|the sync waits for !BUSY but skips synchronize_rcu()|sync_quiesces|wq"
	"MUT_WAKE_NO_F|wake() trusts its first empty peek: no (F), no second peek|none"
	)
	local m mut what expect wq verdict how cfg d r cfgs
	caught=0 total=0
	for m in "${mutants[@]}"; do
		IFS='|' read -r mut what expect wq <<<"$m"
		verdict="" how=""
		if [[ $wq == wq ]]; then cfgs=("${wq_cfgs[@]}"); else cfgs=("${small_cfgs[@]}"); fi
		for cfg in "${cfgs[@]}"; do
			IFS='|' read -r d r <<<"$cfg"
			pan_run "$mut" "$d -D$mut" "-DCOLLAPSE -O0" "$r" "${MEMLIM:-2500}"
			if [[ $errs != 0 ]]; then
				how="$violated ($d, after ${states:-?} states)"
				verdict=$violated
				break
			fi
		done
		if [[ $expect == none ]]; then
			if [[ -z $verdict ]]; then
				printf '%-26s %-10s %s\n' "$mut" "survived" "$what: as expected, equivalent under SC"
				printf '%-26s   %s\n' "" "(litmus/aw-register-vs-empty-wake+no-mb.litmus: Sometimes)"
				passed=$((passed + 1))
			else
				printf '%-26s %-10s %s\n' "$mut" "UNEXPECTED" "$what: $how"
				failed=$((failed + 1))
			fi
			continue
		fi
		total=$((total + 1))
		if [[ -n $verdict && $verdict != *-error && $verdict != incomplete-search ]]; then
			caught=$((caught + 1)) passed=$((passed + 1))
			printf '%-26s %-10s %s\n' "$mut" "caught" "$what"
			printf '%-26s   by %s%s\n' "" "$how" "$([[ $verdict != "$expect" ]] && echo " (expected $expect)")"
		else
			failed=$((failed + 1))
			printf '%-26s %-10s %s%s\n' "$mut" "SURVIVED" "$what" "${verdict:+ ($verdict)}"
		fi
	done
	echo "mutations caught: $caught/$total"
	echo "ordering only, not steps under SC, so not mutated here: (A) _release or _relaxed,"
	echo "  (B) _relaxed, (F) dropped, the claim relaxed, the irq_work's smp_mb() dropped:"
	echo "  litmus/ has each (make litmus)"
}

# Printed as they finish, while the largest configuration runs.
coverage
mutations

if ((jobs > 1)); then
	echo "== waiting for ${big[0]} ($big_what)"
	wait "$bigpid"
	bigpid=""
	pan_parse "${big[0]}"
else
	echo "== ${big[0]} ($big_what)"
	pan_run "${big[@]}"
fi
report_config "${big[0]}" "$big_what" "${big[1]}"
echo "wall time ${SECONDS} s; largest pan run ${peak} MB"
echo "$passed passed, $failed failed"
((failed == 0))
