#!/bin/bash
# test_kill_resume.sh - results survive SIGKILL at any moment: a small problem-1 sweep is
# killed with kill -9 at random moments several times, each time restarted with the same
# --out; after every kill every line of every .jsonl/.csv file parses (at most a torn last
# line, which the readers skip and the next append cuts), and at the end every planned run
# is in runs.jsonl exactly once, no line is torn, and summary.csv, classes.csv, report.md
# and the figures exist. The delays are printed, so a failure can be replayed by hand.
# Data: the Fashion-MNIST 10k test set (Debian's dataset-fashion-mnist) split 3:1, and a
# teacher rung.
set -u
out=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$out"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
S=$out/s
data=/usr/share/datasets/fashion-mnist  # Debian's dataset-fashion-mnist (debian-packages.txt)
[ -f "$data/t10k-images-idx3-ubyte.gz" ] || { echo "FAIL: no $data: apt-get install dataset-fashion-mnist"; exit 1; }
args=(--dataset fashion-mnist --data-dir "$data" --train-split test --holdout 0.25 --train-size 3000 --test-size 200
      --n 3 --seeds 2 --wd0-runs 1 --random-runs 1 --teacher-ranks 2 --ladder-seeds 1 --parity-k none --noise-levels none
      --teacher-dim 16 --ladder-hidden 16 --jobs 1)
planned=10
# an array, not a function: "cmd &" must give the pid of rankhost itself (a function would
# run in a subshell, and kill -9 of that would leave rankhost running)
sweep=("$RANKHOST" "$RH_SOURCE/scripts/problem1.lua" --quick --out "$S" "${args[@]}" --teacher-n 300 --max-epochs 6
       --min-horizon 0 --wd0-epochs 6 --sat-patience 6 --cooldown 1 --probe 64 --progress-every 0)

# every .jsonl and .csv under --out reads (a torn last line allowed), and how many runs.jsonl has
cat > "$out/parse.lua" <<'LUA'
local dir, final = ...
local files, n, torn_total = {}, 0, 0
local function walk(d)
  for _, name in ipairs(rh.io.listdir(d)) do
    local p = d .. "/" .. name
    if rh.io.exists(p) == "directory" then walk(p)
    elseif name:match("%.jsonl$") or name:match("%.csv$") then files[#files + 1] = p end
  end
end
if rh.io.exists(dir) then walk(dir) end
for _, p in ipairs(files) do
  local ok, rows, a, b = pcall(p:match("%.csv$") and rh.log.read_csv or rh.log.read_jsonl, p)
  if not ok then error(p .. " does not read: " .. tostring(rows)) end
  local torn = p:match("%.csv$") and b or a
  torn_total = torn_total + torn
  if p:match("runs%.jsonl$") then n = #rows end
end
if final == "final" and torn_total > 0 then error("a torn line is left at the end") end
print(string.format("%d files read, %d runs recorded, %d torn last lines", #files, n, torn_total))
LUA

# waits until the log of the running sweep matches $2 at least $3 times (or it ends)
wait_for() {
  local pid=$1 pat=$2 count=$3 t=0
  while kill -0 "$pid" 2>/dev/null && [ "$(grep -c -- "$pat" "$out/log$i")" -lt "$count" ] && [ $t -lt 1500 ]; do
    sleep 0.02; t=$((t + 1))
  done
}
# Kills 1-3 land in training for sure: the moment runs.jsonl gains a line in this start (a
# network finished; the next one starts), whatever the machine's speed. Polling every 10 ms
# lets a start finish a network or two, never the 10 planned in 3 starts.
# Kills 4-6 land anywhere in training: after a random number (1-8) of epoch lines of this
# start (rankhost line-buffers stdout, so the log has each line as it is printed), plus a
# random 0-0.2 s (so also inside an epoch's measurements and writes).
# Kills 7-8: a random 0-1 s after the restart said how many networks were done, so in the
# last networks' training or in the analysis (summary.csv, classes.csv, figures, report.md).
# lines in runs.jsonl now (a torn last line counts too: that is fine for a trigger)
runs_now() { if [ -f "$S/runs.jsonl" ]; then wc -l < "$S/runs.jsonl"; else echo 0; fi; }
kills=0 in_training=0
for i in 1 2 3 4 5 6 7 8; do
  "${sweep[@]}" > "$out/log$i" 2>&1 &
  pid=$!
  if [ $i -le 3 ]; then
    n0=$(runs_now); t=0
    while kill -0 "$pid" 2>/dev/null && [ "$(runs_now)" -le "$n0" ] && [ $t -lt 3000 ]; do
      sleep 0.01; t=$((t + 1))
    done
    delay=0; where="as runs.jsonl grew past $n0 lines"
  elif [ $i -le 6 ]; then
    m=$((RANDOM % 8 + 1)); delay=$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.2 * r / 32767 }')
    wait_for "$pid" "epoch [0-9]*/" "$m"; where="after $m epochs + ${delay}s"
  else
    delay=$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", r / 32767 }')
    wait_for "$pid" "networks already finished" 1; where="${delay}s after the resume line"
  fi
  sleep "$delay"
  if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); state="killed"; else state="had finished"; fi
  wait "$pid" 2>/dev/null
  check "start $i: no rankhost left running" '! kill -0 "$pid" 2>/dev/null'
  "$RANKHOST" "$out/parse.lua" "$S" > "$out/parse$i" 2>&1
  check "start $i ($state $where): every line parses [$(tail -1 "$out/parse$i")]" '[ $? -eq 0 ]'
  # killed with networks still to train: the restart has real work to resume
  if [ "$state" = killed ] && [ "$(sed -n 's/.* \([0-9]*\) runs recorded.*/\1/p' "$out/parse$i")" -lt $planned ]; then
    in_training=$((in_training + 1))
  fi
done
check "at least 3 starts were killed before the sweep had trained every network ($in_training of $kills kills)" \
  '[ $in_training -ge 3 ]'

"${sweep[@]}" > "$out/last" 2>&1
check "the last run finishes" '[ $? -eq 0 ] || { tail -20 "$out/last"; false; }'
"$RANKHOST" "$out/parse.lua" "$S" final > "$out/parsefinal" 2>&1
check "at the end every line parses and none is torn" '[ $? -eq 0 ] || { cat "$out/parsefinal"; false; }'

cat > "$out/once.lua" <<'LUA'
local dir, planned = ...
local runs = rh.log.read_jsonl(dir .. "/runs.jsonl")
local seen = {}
for _, r in ipairs(runs) do
  assert(not seen[r.id], r.id .. " is in runs.jsonl twice")
  seen[r.id] = true
  assert(r.status == "ok" or r.status:match("^diverged at step %d+$"), r.id .. ": status " .. tostring(r.status))
  local h = rh.log.read_jsonl(dir .. "/history/" .. r.id .. ".jsonl")
  assert(#h == r.epochs, r.id .. ": its history has one line per epoch (" .. #h .. " vs " .. r.epochs .. ")")
end
assert(#runs == tonumber(planned), string.format("%d runs, %s planned", #runs, planned))
local rows = rh.log.read_csv(dir .. "/summary.csv")
assert(#rows == #runs, "summary.csv has a row per run")
print("each of " .. #runs .. " runs once")
LUA
"$RANKHOST" "$out/once.lua" "$S" "$planned" > "$out/once" 2>&1
check "every planned run is in runs.jsonl exactly once" '[ $? -eq 0 ] || { cat "$out/once"; false; }'
for f in summary.csv classes.csv report.md config.json; do
  check "$f exists" '[ -s "$S/$f" ]'
done
check "figures exist" 'ls "$S"/*.png > /dev/null 2>&1'
exit $fail
