#!/bin/bash
# test_blas_core.sh - rankhost runs OpenBLAS's vector kernels where OpenBLAS itself fell
# back to generic ones (kernels/blas_control.c, host/main.c): a user's OPENBLAS_CORETYPE is kept,
# RANKHOST_BLAS_AUTO=0 turns the correction off, and the re-run keeps the arguments,
# standard input and exit status.
set -u
: "${RANKHOST:?}"
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; fi; }
core() { env "$@" "$RANKHOST" -e 'io.write(rh.blas().core)'; }

own=$(core -u OPENBLAS_CORETYPE RANKHOST_BLAS_AUTO=0)
auto=$(core -u OPENBLAS_CORETYPE -u RANKHOST_BLAS_AUTO)
kept=$(core -u RANKHOST_BLAS_AUTO OPENBLAS_CORETYPE=Haswell)
check "OpenBLAS names a core ($own)" '[ -n "$own" ]'
check "a user's OPENBLAS_CORETYPE is kept ($kept)" '[ "$kept" = "Haswell" ]'

flags=$(grep -m1 '^flags' /proc/cpuinfo)
has() { echo "$flags" | grep -qw "$1"; }
case "$own" in
  Prescott|Core2|Nehalem|Sandybridge|Katmai|Northwood) generic=1 ;;
  *) generic=0 ;;
esac
if [ $generic -eq 1 ] && has avx512f && has avx512bw && has avx512vl && has avx512dq; then
  check "generic $own on an AVX-512 CPU becomes SkylakeX ($auto)" '[ "$auto" = "SkylakeX" ]'
elif [ $generic -eq 1 ] && has avx2 && has fma; then
  check "generic $own on an AVX2 CPU becomes Haswell ($auto)" '[ "$auto" = "Haswell" ]'
else
  check "OpenBLAS's own choice stands ($auto = $own)" '[ "$auto" = "$own" ]'
fi

# the re-run sees the same arguments, standard input and exit status
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/args.lua" <<'LUA'
io.write(#arg, ":", table.concat(arg, ","), ":", io.read("a"))
os.exit(tonumber(arg[1]))
LUA
out=$(printf 'from stdin' | env -u OPENBLAS_CORETYPE "$RANKHOST" "$dir/args.lua" 3 "two words" x)
rc=$?
check "arguments and stdin survive ($out)" '[ "$out" = "3:3,two words,x:from stdin" ]'
check "exit status survives ($rc)" '[ $rc -eq 3 ]'
exit $fail
