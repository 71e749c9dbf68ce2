#!/bin/bash
# test_study_folder.sh - the study folder keeps what it holds (issue 24; common/study.lua):
#   - --merge while a one-machine study trains is refused (the study holds DIR/.lock) and
#     the study keeps every record (the merge used to replace runs.jsonl under it);
#   - a shard started beside a running one-machine study gets a clear message;
#   - two starts at once with other settings: config.json only ever holds the settings of
#     the process that trained (it is written under the lock);
#   - a complete last record without its newline is kept, in runs.jsonl and in problem 2's
#     iterations/ files, not cut;
#   - --resume / --merge of a missing or empty folder are refused and create nothing;
#   - results without a config.json are refused, not adopted under other settings;
#   - a folder whose config.json lacks settings added since (an older rankhost wrote it) is
#     refused naming them;
#   - a bad --data-dir leaves no config.json / runs.jsonl behind;
#   - stale .workers/result-<pid>.json files are cleaned;
#   - hand-edited records (42 alone on a line, a record with only an id) are refused naming
#     the file and the line, without a traceback.
# Processes are paused (SIGSTOP) at a chosen point, so that nothing depends on timing.
set -u
data=/usr/share/datasets/fashion-mnist
[ -f "$data/t10k-images-idx3-ubyte.gz" ] || { echo "FAIL: no $data: apt-get install dataset-fashion-mnist"; exit 1; }
T=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
lines() { if [ -f "$1" ]; then grep -c . "$1"; else echo 0; fi; }
G="$RH_SOURCE/scripts/lowrank_bias.lua"
P1="$RH_SOURCE/scripts/problem1.lua"
P2="$RH_SOURCE/scripts/problem2.lua"
GRID=(--data-dir "$data" --train-split test --holdout 0.25 --train-size 600 --test-size 200 --hidden 16 --epochs 3
  --batches 16,64 --wds 0,0.01 --seeds 2 --probe 64 --jobs 2)
grid() { "$RANKHOST" --threads 1 "$G" "${GRID[@]}" "$@"; }
P1S=(--quick --n 2 --seeds 2 --wd0-runs 0 --random-runs 0 --ladder off --jobs 1)
# waits until file $1 has at least $2 lines (or 120 s)
wait_lines() { for _ in $(seq 1200); do [ "$(lines "$1")" -ge "$2" ] && return 0; sleep 0.1; done; return 1; }

# ---- --merge and a shard beside a running study (the issue's scenario) ----
"$RANKHOST" --threads 1 "$P1" "${P1S[@]}" --out "$T/p1" > "$T/p1.log" 2>&1 &
pid=$!; pids+=("$pid")
wait_lines "$T/p1/runs.jsonl" 1
kill -STOP "$pid"
"$RANKHOST" "$P1" --merge --out "$T/p1" > "$T/merge.log" 2>&1; rc=$?
check "--merge beside a running study is refused (status 1, a message naming the lock)" \
  '[ $rc -eq 1 ] && grep -q "another process is writing $T/p1" "$T/merge.log" || { cat "$T/merge.log"; false; }'
"$RANKHOST" "$P1" "${P1S[@]}" --shard 1/2 --out "$T/p1" > "$T/shard.log" 2>&1; rc=$?
check "a shard beside a running study: a clear message, no traceback" \
  '[ $rc -eq 1 ] && grep -q "a shard cannot run beside it" "$T/shard.log" && ! grep -q traceback "$T/shard.log" \
   || { cat "$T/shard.log"; false; }'
kill -CONT "$pid"; wait "$pid"; rc=$?
check "the study finishes (status 0)" '[ $rc -eq 0 ] || { tail "$T/p1.log"; false; }'
check "the study kept all 4 records" '[ "$(lines "$T/p1/runs.jsonl")" = 4 ]'
"$RANKHOST" "$P1" --merge --out "$T/p1" > "$T/merge2.log" 2>&1
check "--merge once it has finished" '[ $? -eq 0 ] && [ "$(lines "$T/p1/runs.jsonl")" = 4 ] || { cat "$T/merge2.log"; false; }'

# ---- a complete last record without its newline is kept ----
grid --out "$T/g" > "$T/g1.log" 2>&1
check "a small grid" '[ $? -eq 0 ] && [ "$(lines "$T/g/runs.jsonl")" = 8 ] || { cat "$T/g1.log"; false; }'
truncate -s -1 "$T/g/runs.jsonl"
grid --out "$T/g" > "$T/g2.log" 2>&1
check "the last record without its newline is kept: nothing trained again" \
  '[ $? -eq 0 ] && grep -q "8 of 8 networks already finished" "$T/g2.log" && ! grep -q "epoch 1/" "$T/g2.log" \
   && grep -q "kept, newline added" "$T/g2.log" || { cat "$T/g2.log"; false; }'
check "runs.jsonl holds 8 whole lines again" '[ "$(lines "$T/g/runs.jsonl")" = 8 ] && [ -z "$(tail -c 1 "$T/g/runs.jsonl")" ]'

# ---- stale worker files of an earlier start are cleaned ----
mkdir -p "$T/g/.workers/runs" && echo '{}' > "$T/g/.workers/result-999999.json" \
  && echo '{}' > "$T/g/.workers/runs/result-999998.json"
grid --out "$T/g" > "$T/g3.log" 2>&1
check "stale .workers/result-<pid>.json files are removed" \
  '[ ! -e "$T/g/.workers/result-999999.json" ] && [ ! -e "$T/g/.workers/runs/result-999998.json" ]'

# ---- hand-edited records ----
cp "$T/g/runs.jsonl" "$T/runs.good"
{ head -n 3 "$T/runs.good"; echo 42; tail -n +4 "$T/runs.good"; } > "$T/g/runs.jsonl"
grid --out "$T/g" > "$T/h1.log" 2>&1; rc=$?
check "'42' alone on a line: status 1, file and line named, no traceback" \
  '[ $rc -eq 1 ] && grep -q "runs.jsonl:4: a record must be a JSON object" "$T/h1.log" && ! grep -q traceback "$T/h1.log" \
   || { cat "$T/h1.log"; false; }'
{ cat "$T/runs.good"; echo '{"id":"g-1-lr0.1-b16-wd0-s9"}'; } > "$T/g/runs.jsonl"
grid --out "$T/g" > "$T/h2.log" 2>&1; rc=$?
check "a record with only an id: status 1, file and line named" \
  '[ $rc -eq 1 ] && grep -q "runs.jsonl:9: the record g-1-lr0.1-b16-wd0-s9 has no status" "$T/h2.log" \
   && ! grep -q traceback "$T/h2.log" || { cat "$T/h2.log"; false; }'
cp "$T/runs.good" "$T/g/runs.jsonl"

# ---- config.json deleted, a restart with other settings ----
cp -r "$T/g" "$T/nc" && rm "$T/nc/config.json"
grid --out "$T/nc" --epochs 4 > "$T/nc.log" 2>&1; rc=$?
check "results without config.json are refused, not adopted" \
  '[ $rc -eq 1 ] && grep -q "holds results .* but no config.json" "$T/nc.log" && [ ! -e "$T/nc/config.json" ] \
   || { cat "$T/nc.log"; false; }'

# ---- --resume / --merge of nothing ----
for opt in --resume --merge; do
  grid --out "$T/none$opt" $opt > "$T/r.log" 2>&1; rc=$?
  check "$opt of a missing folder is refused and creates nothing" \
    '[ $rc -eq 2 ] && grep -q "no study to" "$T/r.log" && [ ! -e "$T/none$opt" ] || { cat "$T/r.log"; false; }'
  mkdir "$T/empty$opt"
  grid --out "$T/empty$opt" $opt > "$T/r.log" 2>&1; rc=$?
  check "$opt of an empty folder is refused and leaves it empty" \
    '[ $rc -eq 2 ] && [ -z "$(ls -A "$T/empty$opt")" ] || { cat "$T/r.log"; false; }'
done

# ---- a bad --data-dir leaves nothing that refuses the next start ----
"$RANKHOST" "$G" "${GRID[@]}" --data-dir "$T/nodata" --out "$T/bd" > "$T/bd.log" 2>&1; rc=$?
check "a bad --data-dir fails" '[ $rc -ne 0 ] && ! grep -q traceback "$T/bd.log" || { cat "$T/bd.log"; false; }'
check "... leaving no config.json or runs.jsonl" '[ ! -e "$T/bd/config.json" ] && [ ! -e "$T/bd/runs.jsonl" ]'
grid --out "$T/bd" --epochs 2 --batches 64 --wds 0 > "$T/bd2.log" 2>&1
check "... and the next start with other settings runs" '[ $? -eq 0 ] || { cat "$T/bd2.log"; false; }'

# ---- problem 2: two starts at once with other --train-size; iterations/ without a newline ----
DATA=$T/fashion-t10k
mkdir "$DATA" && ln -s "$data"/t10k-*-ubyte.gz "$DATA"/
P2S=(--data-dir "$DATA" --test-size 300 --hidden 24,16 --seeds 3 --min-horizon 0.2 --max-epochs 3 --rank-every 1
  --rank-patience 2 --cooldown 1 --max-iters 2 --margin 1 --schedule constant --no-baselines --teacher-widths none
  --jobs 1)
for trial in 1 2 3; do
  d=$T/race$trial
  "$RANKHOST" --threads 1 "$P2" "${P2S[@]}" --train-size 480 --out "$d" > "$d.a" 2>&1 & a=$!
  "$RANKHOST" --threads 1 "$P2" "${P2S[@]}" --train-size 360 --out "$d" > "$d.b" 2>&1 & b=$!
  wait $a; ra=$?; wait $b; rb=$?
  size=$("$RANKHOST" -e "print(rh.json.decode(io.open('$d/config.json'):read('a')).settings.train_size)")
  check "race $trial: one start trains, the other is refused, config.json holds the trainer's settings" \
    '{ [ $ra -eq 0 ] && [ $rb -ne 0 ] && [ "$size" = 480 ]; } || { [ $rb -eq 0 ] && [ $ra -ne 0 ] && [ "$size" = 360 ]; } \
     || { echo "status $ra $rb, config.json train_size $size"; cat "$d.a" "$d.b"; false; }'
done
d=$T/race1; size=$("$RANKHOST" -e "print(rh.json.decode(io.open('$d/config.json'):read('a')).settings.train_size)")
it=$(ls "$d"/iterations/*.jsonl | head -n 1)
n_it=$(lines "$it")
id=$(basename "$it" .jsonl)

"$RANKHOST" -e "
local keep = {}
for l in io.lines('$d/runs.jsonl') do if rh.json.decode(l).id ~= '$id' then keep[#keep + 1] = l end end
local f = io.open('$d/runs.jsonl', 'w'); f:write(table.concat(keep, '\n') .. '\n'); f:close()"
truncate -s -1 "$it"
"$RANKHOST" --threads 1 "$P2" "${P2S[@]}" --train-size "$size" --out "$d" > "$T/it.log" 2>&1
check "problem 2 continues a loop whose last iteration lacks its newline, keeping it" \
  '[ $? -eq 0 ] && [ "$(lines "$it")" = "$n_it" ] && [ -z "$(tail -c 1 "$it")" ] || { cat "$T/it.log"; false; }'

# ---- a folder written by an older rankhost: its config.json lacks settings added since ----
cp -r "$d" "$T/old"
"$RANKHOST" -e "
local p = '$T/old/config.json'
local c = rh.json.decode(io.open(p):read('a'))
for _, part in ipairs { 'settings', 'options' } do
  for _, k in ipairs { 'width_measure', 'narrow_hidden', 'narrow_fraction' } do c[part][k] = nil end
end
local f = io.open(p, 'w'); f:write(rh.json.encode(c)); f:close()"
cp "$T/old/config.json" "$T/old.config"
"$RANKHOST" --threads 1 "$P2" "${P2S[@]}" --train-size "$size" --out "$T/old" > "$T/old.log" 2>&1; rc=$?
check "an older version's folder (no --width-measure etc. in config.json): refused (status 2) naming the keys, untouched" \
  '[ $rc -eq 2 ] && grep -q "config.json was written by an older rankhost: it has no --width-measure, --narrow-hidden, --narrow-fraction" "$T/old.log" \
   && cmp -s "$T/old/config.json" "$T/old.config" && ! grep -q "epoch 1/" "$T/old.log" || { cat "$T/old.log"; false; }'
exit $fail
