#!/bin/bash
# Build the QEMU test kernel (tinyconfig + scripts/test-kernel.config, or the
# fragments listed in AW_FRAGMENT) into the cache, or reuse it if built.
# Usage: build-kernel.sh          build/reuse, print the object dir on stdout
#        build-kernel.sh --path   only print the object dir
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

src=$(aw_src_dir)
obj=$(aw_kernel_dir "$src")
read -ra frags <<<"$AW_FRAGMENT"
for i in "${!frags[@]}"; do
	[[ -f ${frags[i]} ]] || die "AW_FRAGMENT: ${frags[i]} not found"
	frags[i]=$(realpath "${frags[i]}") # merge_config.sh runs in $src
done
stamp=$obj/.aw-built
if [[ ${1:-} == --path ]]; then
	echo "$obj"
	exit 0
fi
if [[ -f $stamp ]]; then
	step "kernel: reusing $obj ($(cat "$stamp"))"
	echo "$obj"
	exit 0
fi

mkdir -p "$obj"
exec 9>"$obj.lock"
flock 9    # another build of the same kernel may be running
if [[ -f $stamp ]]; then
	step "kernel: reusing $obj ($(cat "$stamp"))"
	echo "$obj"
	exit 0
fi

log=$obj/build.log
kmake() { make -C "$src" O="$obj" "$@"; }
start=$SECONDS
: >"$log"
step "kernel 1/4: configure $(aw_src_version "$src") in $obj (log: $log)"
{
	kmake tinyconfig
	(cd "$src" && scripts/kconfig/merge_config.sh -m -O "$obj" \
		"$obj/.config" "${frags[@]}")
	kmake olddefconfig
} >>"$log" 2>&1

step "kernel 2/4: verify that every fragment option stuck"
bad=0
# Later fragments override earlier ones: check each option's last line.
while read -r line; do
	if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
		grep -qxF "$line" "$obj/.config" && continue
		got=$(grep -E "^(# )?${BASH_REMATCH[1]}[= ]" "$obj/.config" || true)
	elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
		grep -q "^${BASH_REMATCH[1]}=" "$obj/.config" || continue
		got=$(grep "^${BASH_REMATCH[1]}=" "$obj/.config")
	else
		continue
	fi
	printf '    wanted "%s", got "%s"\n' "$line" "${got:-(absent)}" >&2
	bad=1
done < <(cat "${frags[@]}" |
	sed -nE 's/^(CONFIG_[A-Za-z0-9_]+)=.*$/\1 &/p
		s/^# (CONFIG_[A-Za-z0-9_]+) is not set$/\1 &/p' |
	awk '{ k = $1; sub(/^[^ ]+ /, ""); last[k] = $0; if (!(k in seen)) {
		seen[k] = 1; order[n++] = k } }
		END { for (i = 0; i < n; i++) print last[order[i]] }')
((bad == 0)) || die "fragment options dropped by olddefconfig (missing dependencies?)"

jobs=$(nproc)
step "kernel 3/4: make -j$jobs (~5 min on 2 cores; log: $log)"
kmake -j"$jobs" all >>"$log" 2>&1 &
pid=$!
# the file count of the last kernel built is the progress estimate
total=$(cat "$AW_CACHE/kernel-files.count" 2>/dev/null || echo '?')
while kill -0 "$pid" 2>/dev/null; do
	sleep 20
	n=$(grep -cE '^  (CC|AS) ' "$log" || true)
	last=$(grep -E '^  [A-Z]+ ' "$log" | tail -n1 | sed 's/^ *//')
	info "$((SECONDS - start))s: $n/~$total files compiled, last: ${last:-...}"
done
if ! wait "$pid"; then
	grep -E 'error|Error' "$log" | head -n 20 >&2 || true
	die "kernel build failed, see $log"
fi
grep -cE '^  (CC|AS) ' "$log" >"$AW_CACHE/kernel-files.count" || true

step "kernel 4/4: install kernel modules into $obj/aw-modules"
rm -rf "$obj/aw-modules"
kmake INSTALL_MOD_PATH="$obj/aw-modules" modules_install >>"$log" 2>&1

release=$(kmake -s --no-print-directory kernelrelease)
echo "$release, built in $((SECONDS - start))s" >"$stamp"
step "kernel: built $release in $((SECONDS - start))s: $obj"
echo "$obj"
