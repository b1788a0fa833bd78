#!/bin/bash
# Run both benchmarks and write bench/results/results.md and
# bench/results/chart.svg.
#   1. user space (on this machine): bench/user, built offline with cargo
#   2. in kernel: bench/atomic_waker_bench.ko on Debian's stock non-debug
#      kernel in QEMU (bench/vm.sh)
# Usage: bench/run.sh [--user-only|--kernel-only]
# Environment: AW_BENCH_KDIR (a kernel objdir to boot instead of the stock
# kernel, results then in results/bench-kernel/; make bench-kernel sets it),
# KPARAMS (module params, e.g. "nruns=11 loops=50000"), KBOOTS (kernel
# benchmark boots, default 3: the report gives the median ratios),
# UARGS (user bench "nruns iterations", default "21 1000000"), SMP, AW_MEM,
# AW_FORCE=1 to run even while a kernel build is using the CPUs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/results
guest="Debian stock kernel ${AW_STOCK_RELEASE:-6.12.117+deb12-amd64} (no debug options)"
if [[ -n ${AW_BENCH_KDIR:-} ]]; then	# see vm.sh and bench-kernel.config
	out=$here/results/bench-kernel
	guest="a kernel built from bench/bench-kernel.config (tinyconfig, no debug options): $(make -s -C "$AW_BENCH_KDIR" kernelrelease 2>/dev/null)"
fi
cache=${AW_CACHE:-${HOME:-/root}/.cache/atomic_waker}
mode=${1:-all}
mkdir -p "$out" "$cache/bench-logs"
stamp=$(date +%Y%m%d-%H%M%S)
ulog=$cache/bench-logs/$stamp-user.md
klog=$cache/bench-logs/$stamp-console.log
kmd=$cache/bench-logs/$stamp-kernel.md
minfo=$cache/bench-logs/$stamp-machine.md

busy() { pgrep -f 'make.*(bzImage|vmlinux|linux-source)|cc1 ' >/dev/null; }
if busy && [[ ${AW_FORCE:-0} != 1 ]]; then
	echo "==> bench: a kernel build is running; waiting for it (AW_FORCE=1 skips)" >&2
	while busy; do sleep 15; done
fi

{
	echo "## Machine"
	echo
	echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) online CPUs"
	echo "- host kernel: $(uname -r); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- compilers: $(gcc --version | head -n1); $(rustc --version)"
	echo "- QEMU: $(qemu-system-x86_64 --version | head -n1), TCG (no KVM), -smp ${SMP:-2} -m ${AW_MEM:-1G}; guest: $guest"
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
} >"$minfo"
cat "$minfo"

if [[ $mode != --kernel-only ]]; then
	echo "==> bench: user space" >&2
	(cd "$here/user" && nice -n 10 cargo build --release --offline -q)
	# shellcheck disable=SC2086 # UARGS is two numbers
	"$here/user/target/release/awbench" ${UARGS:-21 1000000} | tee "$ulog"
fi
kmds=()
if [[ $mode != --user-only ]]; then
	# Under TCG the same binary's costs move from boot to boot (where its
	# translated code lands): boot KBOOTS times, report the median ratios.
	boots=${KBOOTS:-3}
	for ((i = 1; i <= boots; i++)); do
		echo "==> bench: in kernel (QEMU), boot $i/$boots" >&2
		# shellcheck disable=SC2086 # KPARAMS is a list of module params
		"$here/vm.sh" "$klog.$i" ${KPARAMS:-} >&2
		tr -d '\r' <"$klog.$i" | sed -n 's/^.*awbench: //p' | sed '/^BEGIN$/d; /^END$/d' >"$kmd.$i"
		grep -q '^errors: 0$' "$kmd.$i" || echo "WARNING: the kernel benchmark reported errors (see $klog.$i)" >&2
		kmds+=(--kernel "$kmd.$i")
	done
	cat "$kmd.1"
fi
args=(--machine "$minfo" --md "$out/results.md" --svg "$out/chart.svg")
[[ -f $ulog ]] && args+=(--user "$ulog")
args+=("${kmds[@]}")
python3 "$here/report.py" "${args[@]}"
echo "==> bench: wrote $out/results.md and $out/chart.svg (raw: $cache/bench-logs/$stamp-*)" >&2
