#!/bin/bash
# Run both benchmarks and write results/bench.md and results/bench.svg.
#   1. user space (on this machine): bench/user, built offline with cargo
#   2. in kernel: bench/atomic_waker_bench.ko in QEMU, the "bench" profile
#      of scripts/vm.py, on Debian's stock non-debug kernel (KERNEL=6.12,
#      the default) or on the "bench" test kernel (tinyconfig without debug
#      options; results then in results/bench-kernel.{md,svg})
# Usage: bench/run.sh [--user-only|--kernel-only] [KERNEL]
# Environment: KPARAMS (module params, e.g. "nruns=11 loops=50000"), KBOOTS
# (kernel benchmark boots, default 3: the report gives the median ratios),
# UARGS (user bench "nruns iterations", default "21 1000000"), AW_FORCE=1
# to run even while a kernel build is using the CPUs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
mode=all
if [[ ${1:-} == --*-only ]]; then
	mode=$1
	shift
fi
kernel=${1:-6.12}
out=$root/results/bench
[[ $kernel == 6.12 ]] || out=$root/results/bench-kernel
release=$("$root/scripts/kernels.py" resolve "$kernel" | sed -n 's/^release=//p')
guest="$kernel kernel $release (no debug options)"
cache=$("$root/scripts/cache.py" bench-logs)
mkdir -p "$cache"
stamp=$(date +%Y%m%d-%H%M%S)
ulog=$cache/$stamp-user.md
kmd=$cache/$stamp-kernel.md
minfo=$cache/$stamp-machine.md

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
	echo "- QEMU: $(qemu-system-x86_64 --version | head -n1), TCG (no KVM), -smp 2 -m 1G; guest: $guest"
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
		klog=$("$root/scripts/vm.py" bench --kernel "$kernel" \
			--param "args=${KPARAMS:-}" | tee /dev/stderr |
			sed -n 's/^console log: //p')
		[[ -f $klog ]] || { echo "ERROR: the kernel benchmark's boot failed" >&2; exit 1; }
		tr -d '\r' <"$klog" | sed -n 's/^.*awbench: //p' | sed '/^BEGIN$/d; /^END$/d' >"$kmd.$i"
		grep -q '^errors: 0$' "$kmd.$i" || echo "WARNING: the kernel benchmark reported errors (see $klog)" >&2
		kmds+=(--kernel "$kmd.$i")
	done
	cat "$kmd.1"
fi
args=(--machine "$minfo" --md "$out.md" --svg "$out.svg")
[[ -f $ulog ]] && args+=(--user "$ulog")
args+=("${kmds[@]}")
python3 "$here/report.py" "${args[@]}"
echo "==> bench: wrote $out.md and $out.svg (raw: $cache/$stamp-*)" >&2
