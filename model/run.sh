#!/bin/bash
# Exhaustive check of atomic_waker.pml with spin, then its mutations.
# Prints, per configuration, the states explored and each property's
# verdict; per coverage probe, whether its path is reached; per mutation,
# the property that caught it.  Last line: "N passed, N failed" (each
# configuration, probe and caught mutant is a pass).  Needs spin and a C
# compiler (Debian: spin, gcc).
#
# The largest configuration (2 registrants, 2 wakers, any number of rounds:
# about 7e7 states, 4.9 GB, 2 minutes) runs on its own core while the
# others, the probes and the mutations run on a second one; its verdict is
# printed in its place.  About 2 minutes and under 6 GB in all on 2 cores.
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

props="no_lost_wakeup exclusive no_double_put balanced ebusy_only_if_racing no_deadlock"

# Which property an assertion or an error line names.
prop_of() {
	case $1 in
	*no_lost_wakeup*) echo no_lost_wakeup ;;
	*exclusive*) echo exclusive ;;
	*no_double_put*) echo no_double_put ;;
	*balanced*) echo balanced ;;
	*ebusy_only_if_racing*) echo ebusy_only_if_racing ;;
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

report_config() { # NAME what
	local name=$1
	printf '%-16s %-48s states %s (%s MB, %s s)\n' "$name" "$2" "${states:-?}" "${mb:-?}" "$secs"
	for p in $props; do
		if [[ $errs == 0 ]]; then
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
	report_config "$1" "$5"
}

# The largest configuration: the issue's "2 registrants, 2 wakers, 3
# rounds" and more, as any run of 3 rounds each is a prefix of a run here
# (and not counting rounds keeps the state space smaller than counting
# them).  About 7.0e7 states, 4.9 GB (-DCOLLAPSE, -w27), 2 minutes; the DFS
# goes 1.1e7 steps deep.
big=(two-reg "-DNREG=2 -DNWAKE=2" "-DCOLLAPSE" "-m14000000 -w27" "${MEMLIM:-6500}")
big_what="2 registrants, 2 wakers, any number of rounds"
if ((jobs > 1)); then
	(pan_exec "${big[@]}") &
	bigpid=$!
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

# Tried in turn until one catches the mutant or reaches the probe.
small_cfgs=("-DNREG=1 -DNWAKE=2|-m1000000 -w22" "-DNREG=2 -DNWAKE=2 -DROUNDS=1|-m1000000 -w24"
	    "-DNREG=2 -DNWAKE=1|-m1000000 -w25")

coverage() {
	echo "== coverage: each path the properties rely on must be reachable"
	# probe | the path
	local probes=(
	"PROBE_SAME|register() finds its own waker: the same-waker peek"
	"PROBE_RETRY|register()'s cmpxchg fails on 0 (a take emptied the slot) and retries"
	"PROBE_EBUSY|register()'s cmpxchg fails on another waker: -EBUSY"
	"PROBE_PIN|take() finds a sleeper and pins it"
	"PROBE_FINISH_RACE|finish_wait() peeks its sleeper, and its cmpxchg finds it gone"
	)
	local m probe what cfg d r how
	for m in "${probes[@]}"; do
		IFS='|' read -r probe what <<<"$m"
		how=""
		for cfg in "${small_cfgs[@]}"; do
			IFS='|' read -r d r <<<"$cfg"
			pan_run "$probe" "$d -D$probe" "-DCOLLAPSE" "$r" "${MEMLIM:-2500}"
			if [[ $errs != 0 && $violated == reached ]]; then
				how="($d, after ${states:-?} states)"
				break
			fi
		done
		if [[ -n $how ]]; then
			printf '%-18s reached    %s\n%-18s   %s\n' "$probe" "$what" "" "$how"
			passed=$((passed + 1))
		else
			printf '%-18s NOT REACHED %s: the model lost a path of atomic_waker.c\n' "$probe" "$what"
			failed=$((failed + 1))
		fi
	done
}

mutations() {
	echo "== mutations (each must violate a property; checked on the configs above)"
	# name | what it weakens | expected: a property, or "none" (equivalent under SC)
	local mutants=(
	"MUT_PLAIN_TAKE|take()'s xchg (B) a load, then a store of 0|exclusive"
	"MUT_NO_RETRY|register() returns -EBUSY when its cmpxchg finds the slot emptied|ebusy_only_if_racing"
	"MUT_PEEK_ANY_WAKER|register()'s same-waker peek returns 0 for any waker in the slot|no_lost_wakeup"
	"MUT_NO_PUT_OLD|register() does not put the waker it replaced|balanced"
	"MUT_EBUSY_NO_PUT|register() returning -EBUSY does not put its own waker|balanced"
	"MUT_GET_AFTER_CMPXCHG|register() gets its waker after storing it: a take can put it first|no_double_put"
	"MUT_FINISH_PLAIN|finish_wait() a load and a store of 0: erases a waker that replaced it|exclusive"
	"MUT_REGISTER_STORE|register() a plain store, not a cmpxchg|exclusive"
	"MUT_PEEK_BEFORE_STORE|wake()'s empty-slot test made before the condition store|no_lost_wakeup"
	"MUT_SLEEPER_PUT|wake() puts a sleeper, which holds no reference|no_double_put"
	"MUT_TAKE_NO_PIN|take() hands a sleeper out without get_task_struct()|no_double_put"
	"MUT_EBUSY_SLEEPS|prepare_wait() leaves the task sleeping on -EBUSY|no_lost_wakeup"
	"MUT_REGISTER_WAITS|register() waits for a take to empty the slot instead of replacing|no_deadlock"
	"MUT_DESTROY_NO_DROP|destroy() takes the waker and forgets it|balanced"
	"MUT_WAKE_NO_F|wake() trusts its first empty peek: no (F), no second peek|none"
	)
	local m mut what expect verdict how cfg d r
	caught=0 total=0
	for m in "${mutants[@]}"; do
		IFS='|' read -r mut what expect <<<"$m"
		verdict="" how=""
		for cfg in "${small_cfgs[@]}"; do
			IFS='|' read -r d r <<<"$cfg"
			pan_run "$mut" "$d -D$mut" "-DCOLLAPSE" "$r" "${MEMLIM:-2500}"
			if [[ $errs != 0 ]]; then
				how="$violated ($d, after ${states:-?} states)"
				verdict=$violated
				break
			fi
		done
		if [[ $expect == none ]]; then
			if [[ -z $verdict ]]; then
				printf '%-24s %-10s %s\n' "$mut" "survived" "$what: as expected, equivalent under SC"
				printf '%-24s   %s\n' "" "(litmus/aw-register-vs-empty-wake+no-mb.litmus: Sometimes)"
				passed=$((passed + 1))
			else
				printf '%-24s %-10s %s\n' "$mut" "UNEXPECTED" "$what: $how"
				failed=$((failed + 1))
			fi
			continue
		fi
		total=$((total + 1))
		if [[ -n $verdict && $verdict != *-error && $verdict != incomplete-search ]]; then
			caught=$((caught + 1)) passed=$((passed + 1))
			printf '%-24s %-10s %s\n' "$mut" "caught" "$what"
			printf '%-24s   by %s%s\n' "" "$how" "$([[ $verdict != "$expect" ]] && echo " (expected $expect)")"
		else
			failed=$((failed + 1))
			printf '%-24s %-10s %s%s\n' "$mut" "SURVIVED" "$what" "${verdict:+ ($verdict)}"
		fi
	done
	echo "mutations caught: $caught/$total"
	echo "ordering only, not steps under SC, so not mutated here: (A) _release or _relaxed,"
	echo "  (B) _relaxed, (F) dropped: litmus/ has each (make litmus)"
}

# Run while the largest configuration runs; printed after it.
{ coverage; mutations; } >"$work/rest.out"

if ((jobs > 1)); then
	wait "$bigpid"
	bigpid=""
	pan_parse "${big[0]}"
else
	pan_run "${big[@]}"
fi
report_config "${big[0]}" "$big_what"
cat "$work/rest.out"
echo "wall time ${SECONDS} s; largest pan run ${peak} MB"
echo "$passed passed, $failed failed"
((failed == 0))
