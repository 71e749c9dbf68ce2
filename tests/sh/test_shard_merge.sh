#!/bin/bash
# test_shard_merge.sh - a problem 1 sweep split into shards and merged equals the same sweep
# on one machine (same runs, every non-timing field bit-identical, same summary/classes,
# byte-identical report and figures): with --shard I/K, and with a Slurm job array's
# environment set by hand (0-based ids); a shard that lost a run trains only that one again;
# a merge with runs missing warns; the report's time names the workers each shard ran (none
# for the merge); bad --shard and array settings are usage errors.
set -u
. "$RH_SOURCE/tests/sh/sweep_common.sh"

sweep "$tmp/u" > "$tmp/u.log" 2>&1
check "unsharded sweep exits 0" '[ $? -eq 0 ] || { cat "$tmp/u.log"; false; }'

# ---- --shard I/K ----
sweep "$tmp/s" --shard 1/2 > "$tmp/s1.log" 2>&1
check "shard 1/2 exits 0" '[ $? -eq 0 ] || { cat "$tmp/s1.log"; false; }'
sweep "$tmp/s" --shard 2/2 > "$tmp/s2.log" 2>&1
check "shard 2/2 exits 0" '[ $? -eq 0 ] || { cat "$tmp/s2.log"; false; }'
check "shard 1 trained plan positions 1 and 3" 'grep -q "run 1/4 p1-1-1-s1 " "$tmp/s1.log" && grep -q "run 3/4 p1-1-1-s1-wd0 " "$tmp/s1.log" && [ "$(trained "$tmp/s1.log")" = 2 ]'
check "shard 2 trained plan positions 2 and 4" 'grep -q "run 2/4 p1-1-2-s1 " "$tmp/s2.log" && grep -q "run 4/4 p1-1-teacher2-s1 " "$tmp/s2.log" && [ "$(trained "$tmp/s2.log")" = 2 ]'
check "each shard wrote its own file" '[ "$(lines "$tmp/s/runs.shard-1-of-2.jsonl")" = 2 ] && [ "$(lines "$tmp/s/runs.shard-2-of-2.jsonl")" = 2 ]'
check "shards write no runs.jsonl, summary, report or figures" '[ ! -e "$tmp/s/runs.jsonl" ] && [ ! -e "$tmp/s/summary.csv" ] && [ ! -e "$tmp/s/report.md" ] && ! ls "$tmp/s"/*.png >/dev/null 2>&1'
# the merge needs only --out: it takes the sweep's settings from config.json
"$RANKHOST" "$RH_SOURCE/scripts/problem1.lua" --merge --out "$tmp/s" > "$tmp/m.log" 2>&1
check "merge exits 0 and trains nothing" '[ $? -eq 0 ] && [ "$(trained "$tmp/m.log")" = 0 ] || { cat "$tmp/m.log"; false; }'
check "merged runs.jsonl holds the 4 runs in plan order" '[ "$(grep -o "\"id\":\"[^\"]*\"" "$tmp/s/runs.jsonl" | tr "\n" " ")" = "\"id\":\"p1-1-1-s1\" \"id\":\"p1-1-2-s1\" \"id\":\"p1-1-1-s1-wd0\" \"id\":\"p1-1-teacher2-s1\" " ]'
check "sharded + merged = unsharded" 'same "$tmp/u" "$tmp/s"'
# the report's time names the runs trained at once: each shard's, none for the merge
check "report: one process, one worker" 'grep -q "^\*\*Time\.\*\*.* in 1 start (.* with 1 local worker on a machine" "$tmp/u/report.md"'
check "report: shards of one worker each, merged" 'grep -q "^\*\*Time\.\*\*.* in 3 starts (.* with 1 local worker on a machine" "$tmp/s/report.md"'
for i in 1 2; do sweep "$tmp/j" --shard $i/2 --jobs 2 > "$tmp/j$i.log" 2>&1; done
"$RANKHOST" "$RH_SOURCE/scripts/problem1.lua" --merge --out "$tmp/j" > "$tmp/jm.log" 2>&1
check "report: shards of two workers each, merged" '[ $? -eq 0 ] && grep -q "^\*\*Time\.\*\*.* in 3 starts (.* with 2 local workers on a machine" "$tmp/j/report.md" || { cat "$tmp/j1.log" "$tmp/jm.log"; false; }'

# ---- a Slurm job array (--array=0-1): I and K from the environment ----
for id in 0 1; do
  SLURM_ARRAY_JOB_ID=77 SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=1 SLURM_ARRAY_TASK_COUNT=2 \
    sweep "$tmp/a" > "$tmp/a$id.log" 2>&1
  check "array task $id exits 0" '[ $? -eq 0 ] || { cat "$tmp/a$id.log"; false; }'
done
check "array task 0 is shard 1/2" 'grep -q "^\[shard 1/2\] run 1/4 p1-1-1-s1 " "$tmp/a0.log" && [ "$(lines "$tmp/a/runs.shard-1-of-2.jsonl")" = 2 ]'
check "array task 1 is shard 2/2" 'grep -q "^\[shard 2/2\] run 2/4 p1-1-2-s1 " "$tmp/a1.log" && [ "$(lines "$tmp/a/runs.shard-2-of-2.jsonl")" = 2 ]'
# a shard that lost its last run (killed before the line was written) trains only that run again
head -n 1 "$tmp/a/runs.shard-2-of-2.jsonl" > "$tmp/cut" && cp "$tmp/cut" "$tmp/a/runs.shard-2-of-2.jsonl"
"$RANKHOST" "$RH_SOURCE/scripts/problem1.lua" --merge --out "$tmp/a" > "$tmp/am.log" 2>&1
check "merge with a run missing warns and names it" '[ $? -eq 0 ] && grep -q "1 of 4 planned networks have no results yet: p1-1-teacher2-s1" "$tmp/am.log"'
SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=1 SLURM_ARRAY_TASK_COUNT=2 sweep "$tmp/a" > "$tmp/a1b.log" 2>&1
check "resumed array task trains only the lost run" '[ $? -eq 0 ] && [ "$(trained "$tmp/a1b.log")" = 1 ] && grep -q "run 4/4 p1-1-teacher2-s1 " "$tmp/a1b.log"'
"$RANKHOST" "$RH_SOURCE/scripts/problem1.lua" --merge --out "$tmp/a" > "$tmp/am2.log" 2>&1
check "array shards + merge = unsharded" '[ $? -eq 0 ] && same "$tmp/u" "$tmp/a"'

# ---- usage errors: status 2 and a message ----
sweep "$tmp/e" --shard 3/2 > "$tmp/err" 2>&1
check "--shard 3/2 refused" '[ $? -eq 2 ] && grep -q "need 1 <= I <= K" "$tmp/err"'
sweep "$tmp/e" --shard two > "$tmp/err" 2>&1
check "--shard two refused" '[ $? -eq 2 ] && grep -q "expected I/K" "$tmp/err"'
SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=2 sweep "$tmp/e" > "$tmp/err" 2>&1
check "array id beyond the count refused" '[ $? -eq 2 ] && grep -q "SLURM_ARRAY_TASK_ID=5 is task 5 of only 2" "$tmp/err"'
SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=9 SLURM_ARRAY_TASK_COUNT=3 sweep "$tmp/e" > "$tmp/err" 2>&1
check "irregular array (--array=1,4,9) refused" '[ $? -eq 2 ] && grep -q "not a regular range" "$tmp/err"'
SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_TASK_COUNT=2 sweep "$tmp/e" > "$tmp/err" 2>&1
check "id 0 without SLURM_ARRAY_TASK_MIN refused" '[ $? -eq 2 ] && grep -q "set SLURM_ARRAY_TASK_MIN=0" "$tmp/err"'
"$RANKHOST" "$RH_SOURCE/scripts/problem1.lua" --merge --out "$tmp/none" > "$tmp/err" 2>&1
check "--merge without a sweep refused" '[ $? -eq 2 ] && grep -q "no study to merge in" "$tmp/err"'
"$RANKHOST" "$RH_SOURCE/scripts/problem1.lua" --merge --shard 1/2 --out "$tmp/s" > "$tmp/err" 2>&1
check "--merge with --shard refused" '[ $? -eq 2 ] && grep -q "not as a shard" "$tmp/err"'
exit $fail
