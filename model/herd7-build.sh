#!/bin/bash
# Build herd7 of herdtools7 7.58 with Debian 12's OCaml packages and keep
# it in the cache, where litmus.sh finds it without settings:
#   $AW_CACHE/herd7/bin/herd7 and $AW_CACHE/herd7/libdir
# (AW_CACHE defaults to ~/.cache/atomic_waker).
#
#   model/herd7-build.sh SRC
#
# SRC: a git repository of herdtools7 (a clone, or a bare git dir) holding
# the tag 7.58; it is cloned into $AW_CACHE/build/herdtools7-7.58 and
# built there.  herdtools7 is not a Debian package; its build needs
#   apt-get install ocaml ocaml-dune menhir libmenhir-ocaml-dev libzarith-ocaml-dev
# About 3 minutes on 2 cores (nice -n 10); the log goes to
# $AW_CACHE/build/herd7-build.log.
set -euo pipefail
src=${1:?usage: $0 HERDTOOLS7_GIT_REPO}
cache=$("$(dirname "$0")/../scripts/cache.py")
tag=7.58
tree=$cache/build/herdtools7-$tag
log=$cache/build/herd7-build.log

for p in ocaml dune menhir; do
	command -v $p >/dev/null || { echo "$p missing: apt-get install ocaml ocaml-dune menhir libmenhir-ocaml-dev libzarith-ocaml-dev"; exit 1; }
done
for l in menhirLib zarith; do
	[[ -d /usr/lib/ocaml/$l ]] || { echo "OCaml library $l missing: apt-get install libmenhir-ocaml-dev libzarith-ocaml-dev"; exit 1; }
done

mkdir -p "$cache/build"
rm -rf "$tree"
git clone -q --no-checkout "$src" "$tree"
cd "$tree"
git -c advice.detachedHead=false checkout -q "$tag"
echo "herdtools7 $(git describe --tags) in $tree"

# zarith 1.13 added Z.of_int64_unsigned and Z.to_int64_unsigned, which
# lib/SVEScalar.ml uses; Debian 12 has zarith 1.12.  A stand-in, the
# same functions written with the 1.12 API, shadows Z in that file.
if ! grep -q of_int64_unsigned /usr/lib/ocaml/zarith/z.mli; then
	sed -i '/^module BV = struct$/i\
(* zarith < 1.13: Z.of_int64_unsigned and Z.to_int64_unsigned *)\
module Z = struct\
  include Z\
  let p64 = shift_left one 64\
  let of_int64_unsigned x =\
    if Int64.compare x 0L >= 0 then of_int64 x else add (of_int64 x) p64\
  let to_int64_unsigned x =\
    if sign x < 0 || numbits x > 64 then raise Overflow\
    else to_int64 (if numbits x = 64 then sub x p64 else x)\
end\
' lib/SVEScalar.ml
	echo "zarith < 1.13: stand-in for Z.{of,to}_int64_unsigned added to lib/SVEScalar.ml"
fi

# Version.ml: the version, and a libdir that litmus.sh overrides (HERDLIB).
sh version-gen.sh "$cache/herd7" >/dev/null
echo "building herd/herd.exe (dune, release profile); log: $log"
start=$SECONDS
if ! nice -n 10 dune build -j "$(nproc)" --profile release herd/herd.exe >"$log" 2>&1; then
	tail -20 "$log"
	echo "herd7 build FAILED after $((SECONDS - start)) s; log: $log"
	exit 1
fi
mkdir -p "$cache/herd7/bin"
rm -rf "$cache/herd7/libdir"
install -m 755 _build/default/herd/herd.exe "$cache/herd7/bin/herd7"
cp -r herd/libdir "$cache/herd7/libdir"
echo "built in $((SECONDS - start)) s: $("$cache/herd7/bin/herd7" -version)"
echo "herd7: $cache/herd7/bin/herd7, libdir: $cache/herd7/libdir"
