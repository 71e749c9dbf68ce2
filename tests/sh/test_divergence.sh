#!/bin/bash
# test_divergence.sh - a sweep whose learning rate is far too large: networks whose loss,
# weights or activations become NaN/Inf stop with status "diverged at step N" in runs.jsonl,
# the sweep goes on with the next network (the others finish with status ok and a final
# evaluation), exits 0, and report.md and summary.csv list the diverged runs.
# The teacher ladder only (no dataset files needed); at lr 10 half of these diverge.
set -u
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }

ARGS=(--quick --n 0 --random-runs 0 --wd0-runs 0 --teacher-ranks 2,4,8 --ladder-seeds 2 --parity-k none
  --noise-levels none --teacher-n 300 --teacher-dim 32 --ladder-hidden 64,64 --max-epochs 3 --min-horizon 0 --probe 64
  --lr 10 --jobs 1)
"$RANKHOST" "$RH_SOURCE/scripts/problem1.lua" "${ARGS[@]}" --out "$out/s" > "$out/log" 2>&1
check "the sweep exits 0" '[ $? -eq 0 ] || { cat "$out/log"; false; }'

cat > "$out/check.lua" <<'LUA'
local dir = ...
local runs = rh.log.read_jsonl(dir .. "/runs.jsonl")
assert(#runs == 6, "6 runs recorded, got " .. #runs)
local seen, ok, diverged = {}, {}, {}
for _, r in ipairs(runs) do
  assert(not seen[r.id], "duplicate " .. r.id); seen[r.id] = true
  local step = r.status:match("^diverged at step (%d+)$")
  if step then
    diverged[#diverged + 1] = r
    assert(tonumber(step) == r.steps and r.steps > 0 and r.diverged_step == r.steps, r.id .. ": steps match the status")
    assert(r.converged == false and r.stopped == "diverged" and r.diverged:find("at step", 1, true), r.id .. ": fields")
    assert(r.final == nil and r.layers == nil, r.id .. ": a diverged run has no final measurements")
  else
    assert(r.status == "ok", r.id .. ": status is ok or diverged, got " .. r.status)
    assert(r.final and r.final.test_acc >= 0 and #r.layers > 0, r.id .. ": finished with its final measurements")
    ok[#ok + 1] = r
  end
end
assert(#diverged >= 1, "at least one run diverged at lr 10")
assert(#ok >= 1, "at least one run finished (the sweep went on past the diverged ones)")
local report = io.open(dir .. "/report.md"):read("a")
assert(report:find("## Not converged, diverged", 1, true), "report.md has the list of runs that did not finish")
for _, r in ipairs(diverged) do
  assert(report:find("| " .. r.id .. " |", 1, true) and report:find(r.status, 1, true), "report.md lists " .. r.id)
end
assert(report:find(string.format("(%d diverged)", #diverged), 1, true), "report.md counts the diverged runs")
assert(report:find("Controls side by side", 1, true), "the report is written with diverged runs in it")
local rows = rh.log.read_csv(dir .. "/summary.csv")
local st = {}
for _, row in ipairs(rows) do st[row.id] = row.status end
for _, r in ipairs(runs) do assert(st[r.id] == r.status, "summary.csv has " .. r.id .. " with its status") end
print(string.format("%d ok, %d diverged", #ok, #diverged))
LUA
"$RANKHOST" "$out/check.lua" "$out/s" > "$out/check.log" 2>&1
check "diverged runs recorded and listed, the others finished" '[ $? -eq 0 ] && cat "$out/check.log" || { cat "$out/check.log"; false; }'
check "progress shows the diverged runs" 'grep -q -- "-> diverged at step" "$out/log"'

# a restart does not train diverged runs again: they are finished runs with a status
"$RANKHOST" "$RH_SOURCE/scripts/problem1.lua" "${ARGS[@]}" --out "$out/s" > "$out/log2" 2>&1
check "restart: nothing trained again" '[ $? -eq 0 ] && grep -q "6 of 6 networks already finished" "$out/log2" && ! grep -q "epoch 1/" "$out/log2"'
exit $fail
