#!/bin/bash
# test_problem1_jobs.sh - local workers: a tiny problem 1 study under --jobs 2 (two forked
# workers, one BLAS thread each) gives the same runs as --jobs 1 (same ids, every non-timing
# field bit-identical with --threads 1, the same tables, report and figures); runs are handed
# out longest first; a worker killed mid-run loses only its own run, which the parent names
# and the next start trains again (then the study equals --jobs 1's again); no worker is left
# running after its parent is killed.
set -u
. "$RH_SOURCE/tests/sh/sweep_common.sh"
[ "$(nproc)" -ge 1 ] || exit 77

sweep "$tmp/one" --jobs 1 > "$tmp/one.log" 2>&1
check "--jobs 1 exits 0" '[ $? -eq 0 ] || { cat "$tmp/one.log"; false; }'
sweep "$tmp/two" --jobs 2 > "$tmp/two.log" 2>&1
check "--jobs 2 exits 0" '[ $? -eq 0 ] || { cat "$tmp/two.log"; false; }'
check "--jobs 2 used two workers" 'grep -q "(worker 1)" "$tmp/two.log" && grep -q "(worker 2)" "$tmp/two.log"'
check "--jobs 2 = --jobs 1" 'same "$tmp/one" "$tmp/two"'
# longest first: the costliest network (the widest real-label draw) starts first, the small
# teacher-ladder network last
first=$(grep -m1 -o "^run [0-9]*/4 [^ ]*" "$tmp/two.log" | awk '{print $3}')
last=$(grep -o "^run [0-9]*/4 [^ ]*" "$tmp/two.log" | tail -1 | awk '{print $3}')
check "longest first ($first first, $last last)" '[ "$last" = p1-1-teacher2-s1 ] && [ "$first" != p1-1-teacher2-s1 ]'

# a worker killed in the middle of a run: only that run is lost, and trained at the next start
slow=(--max-epochs 40 --rank-patience 40 --sat-patience 40 --wd0-epochs 40 --progress-every 0)
# rankhost itself in the background (not the sweep function, which would be a subshell)
P1=("$RANKHOST" --threads 1 "$RH_SOURCE/scripts/problem1.lua" "${SWEEP_ARGS[@]}")
"${P1[@]}" --out "$tmp/k" --jobs 2 "${slow[@]}" > "$tmp/k.log" 2>&1 &
parent=$!
for _ in $(seq 500); do grep -q "epoch 3/" "$tmp/k.log" && break; sleep 0.02; done
victim=$(pgrep -P "$parent" | head -1)
check "a worker to kill" '[ -n "$victim" ]'
kill -9 "$victim" 2>/dev/null
wait "$parent"; rc=$?
check "the study goes on and says it lost a run (status 1)" '[ $rc -eq 1 ] && grep -q "was lost: its worker was killed by signal 9" "$tmp/k.log" || { cat "$tmp/k.log"; false; }'
check "one run lost" '[ "$(lines "$tmp/k/runs.jsonl")" = 3 ] && grep -q "1 runs were lost" "$tmp/k.log"'
sweep "$tmp/k" --jobs 2 "${slow[@]}" > "$tmp/k2.log" 2>&1
check "the next start trains the lost run only" '[ $? -eq 0 ] && [ "$(trained "$tmp/k2.log")" = 1 ] && [ "$(lines "$tmp/k/runs.jsonl")" = 4 ]'
sweep "$tmp/k1" --jobs 1 "${slow[@]}" > "$tmp/k1.log" 2>&1
check "and the study equals --jobs 1's" 'same "$tmp/k1" "$tmp/k"'

# killing the parent leaves no worker behind (they die with it)
"${P1[@]}" --out "$tmp/p" --jobs 2 "${slow[@]}" > "$tmp/p.log" 2>&1 &
parent=$!
for _ in $(seq 500); do grep -q "epoch 3/" "$tmp/p.log" && break; sleep 0.02; done
kids=$(pgrep -P "$parent" | tr '\n' ' ')
kill -9 "$parent"; wait "$parent" 2>/dev/null
sleep 0.3
alive=0
# (a killed child may stay a zombie until init reaps it: alive means running, not defunct)
for k in $kids; do st=$(ps -o stat= -p "$k" 2>/dev/null); [ -n "$st" ] && [ "${st#Z}" = "$st" ] && alive=$((alive + 1)); done
check "no worker outlives a killed parent (${kids:-none})" '[ -n "$kids" ] && [ $alive -eq 0 ]'
exit $fail
