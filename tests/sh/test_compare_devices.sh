#!/bin/bash
# test_compare_devices.sh - bench/compare_devices.lua, the check that a problem 1 study run on
# another device agrees with the CPU's: equal folders pass; round-off in init.* and a trained
# value moved within its tolerance pass; an init value moved beyond float32 round-off, a
# trained accuracy moved far, another status, a run missing on one side fail.
set -u
: "${RANKHOST:?}" "${RH_SOURCE:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
rec() { # rec ID INIT_STABLE TEST_ACC STATUS
  printf '{"id":"%s","kind":"real","architecture":[784,64,10],"status":"%s","stopped":"converged","epochs":40,"init":{"layers":[{"ranks":{"energy":50,"stable":%s}}]},"final":{"test_acc":%s},"layers":[{"spectrum":[3.0,1.5,0.01]}],"ranks_after_cooldown":[12,9],"wall_time":%s}\n' \
    "$1" "$4" "$2" "$3" "$RANDOM"
}
folder() { local d="$tmp/$1"; shift; mkdir -p "$d"; "$@" > "$d/runs.jsonl"; }
base() { rec r1 40.5 0.80 ok; rec r2 20.25 0.70 ok; }
folder a base
folder same base
folder roundoff bash -c "$(declare -f rec); rec r1 40.500001 0.82 ok; rec r2 20.25 0.70 ok"
folder init_moved bash -c "$(declare -f rec); rec r1 40.6 0.80 ok; rec r2 20.25 0.70 ok"
folder acc_moved bash -c "$(declare -f rec); rec r1 40.5 0.10 ok; rec r2 20.25 0.70 ok"
folder status bash -c "$(declare -f rec); rec r1 40.5 0.80 diverged; rec r2 20.25 0.70 ok"
folder missing bash -c "$(declare -f rec); rec r1 40.5 0.80 ok"
expect() { # expect RC NAME PATTERN [BASE]: compare folder NAME against BASE (default a)
  out=$("$RANKHOST" "$RH_SOURCE/bench/compare_devices.lua" "$tmp/${4:-a}" "$tmp/$2" 2>&1); rc=$?
  if [ "$rc" = "$1" ] && echo "$out" | grep -q -- "$3"; then echo "ok: $2 (exit $rc)"
  else echo "FAIL: $2: exit $rc, expected $1 and /$3/"; echo "$out"; fail=1; fi
}
expect 0 same "verdict: PASS"
expect 0 roundoff "verdict: PASS"
expect 1 init_moved "beyond tolerance: r1.init.layers.1.ranks.stable"
expect 1 acc_moved "beyond tolerance: r1.final.test_acc"
expect 1 status "beyond tolerance: r1.status: ok vs diverged"
expect 1 missing "run r2.*only in A"
# a gradient's gap rank is decided by round-off where its spectrum has no gap: shown, not
# judged; the same jump in another measure of the gradient still fails
grad() { printf '{"id":"g1","status":"ok","layers":[{"grad_ranks":{"gap":%s,"energy":%s}}]}\n' "$1" "$2"; }
folder ga bash -c "$(declare -f grad); grad 29 30"
folder gb_gap bash -c "$(declare -f grad); grad 2 30"
folder gb_energy bash -c "$(declare -f grad); grad 29 3"
expect 0 gb_gap "beyond tolerance (not judged): g1.layers.1.grad_ranks.gap" ga
expect 1 gb_energy "beyond tolerance: g1.layers.1.grad_ranks.energy" ga
exit $fail
