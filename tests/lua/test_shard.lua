-- test_shard.lua - scripts/common/shard.lua and results.lua without training: --shard parsing,
-- Slurm array ids (0- or 1-based, steps, irregular arrays), which plan positions a shard
-- owns (every run exactly once over the K shards), results file names, and merge.read /
-- ordered / joined_text on a folder of hand-written results files (duplicates, plan order).
local T = require "testlib"
package.path = (os.getenv("RH_SOURCE") or "..") .. "/scripts/?.lua;" .. package.path
local shard = require "common.shard"
local merge = require "common.results"

-- --shard I/K
local i, k = shard.parse("2/8")
T.eq(i, 2); T.eq(k, 8)
i, k = shard.parse(" 1 / 1 ")
T.eq(i, 1); T.eq(k, 1)
for _, bad in ipairs { "0/4", "5/4", "1/0", "two", "1/2/3", "", "-1/2", "1.5/2" } do
  local x, msg = shard.parse(bad)
  T.ok(x == nil and type(msg) == "string" and msg:find("--shard", 1, true), "refused: " .. bad)
end

-- Slurm array environments
local function env(t) return function(name) return t[name] end end
T.eq(shard.from_slurm(env {}), nil, "no array job")
local function slurm(id, count, min, max, step)
  return shard.from_slurm(env { SLURM_ARRAY_TASK_ID = id, SLURM_ARRAY_TASK_COUNT = count, SLURM_ARRAY_TASK_MIN = min,
    SLURM_ARRAY_TASK_MAX = max, SLURM_ARRAY_TASK_STEP = step })
end
T.eq(select(1, slurm("0", "4", "0", "3")), 1, "0-based: id 0 is shard 1")
T.eq(select(1, slurm("3", "4", "0", "3")), 4, "0-based: id 3 is shard 4")
T.eq(select(1, slurm("1", "4", "1", "4")), 1, "1-based: id 1 is shard 1")
i, k = slurm("4", "4", "1", "4", "1")
T.eq(i, 4); T.eq(k, 4)
i, k = slurm("14", "8", "0", "14", "2")
T.eq(i, 8, "--array=0-14:2: id 14 is shard 8"); T.eq(k, 8)
T.eq(select(1, slurm("2", "2")), 2, "no MIN: 1-based")
local function refused(pattern, ...)
  local x, msg = slurm(...)
  T.ok(x == nil and msg and msg:find(pattern, 1, true), "refused (" .. pattern .. "): " .. tostring(msg))
end
refused("set SLURM_ARRAY_TASK_MIN=0", "0", "2")
refused("is task 5 of only 2", "5", "2", "1")
refused("not a regular range", "4", "3", "1", "9")
refused("not in the array", "3", "4", "0", "6", "2")
refused("is not an integer", "x", "2", "1")
refused("SLURM_ARRAY_TASK_COUNT is not", "1")

-- every plan position belongs to exactly one of K shards, in round robin
for kk = 1, 5 do
  for j = 1, 23 do
    local owners = 0
    for ii = 1, kk do if shard.owns(ii, kk, j) then owners = owners + 1 end end
    T.eq(owners, 1, string.format("position %d among %d shards", j, kk))
  end
end
T.ok(shard.owns(1, 4, 1) and shard.owns(1, 4, 5) and shard.owns(2, 4, 6) and not shard.owns(2, 4, 5))

-- file names
T.eq(shard.file_name(), "runs.jsonl")
T.eq(shard.file_name(3, 8), "runs.shard-3-of-8.jsonl")
T.eq(shard.file_name(nil, nil, 0, 4), "runs.rank-0-of-4.jsonl")
T.eq(shard.file_name(1, 2, 1, 2), "runs.shard-1-of-2.rank-1-of-2.jsonl")
for _, name in ipairs { "runs.jsonl", "runs.shard-1-of-2.jsonl", "runs.rank-3-of-4.jsonl" } do
  T.ok(shard.is_results_file(name), name)
end
for _, name in ipairs { "runs.jsonl.tmp", "summary.csv", "xruns.jsonl", "runs..jsonl/x" } do
  T.ok(not shard.is_results_file(name), "not a results file: " .. name)
end

-- placement: --shard wins over the environment; a bad array is a usage error
local p = shard.placement("2/3", nil, env { SLURM_ARRAY_TASK_ID = "1", SLURM_ARRAY_TASK_COUNT = "4" })
T.eq(p.shard[1], 2); T.eq(p.file, "runs.shard-2-of-3.jsonl"); T.eq(p.label, "shard 2/3")
p = shard.placement("", nil,
  env { SLURM_ARRAY_TASK_ID = "0", SLURM_ARRAY_TASK_MIN = "0", SLURM_ARRAY_TASK_COUNT = "2" })
T.eq(p.file, "runs.shard-1-of-2.jsonl")
p = shard.placement("", nil, env {})
T.eq(p.file, "runs.jsonl"); T.eq(p.label, ""); T.eq(p.shard, nil)
local none, msg = shard.placement("", nil,
  env { SLURM_ARRAY_TASK_ID = "9", SLURM_ARRAY_TASK_MIN = "1", SLURM_ARRAY_TASK_COUNT = "2" })
T.ok(none == nil and msg:find("^Slurm job array:"), msg)
-- several copies started by a launcher but not as MPI ranks (a build without MPI, srun --mpi=none)
local no_mpi = { available = function() return false end, launched = function() return false end }
none, msg = shard.placement("", no_mpi, env { SLURM_STEP_NUM_TASKS = "4" })
T.ok(none == nil and msg:find("4 copies", 1, true) and msg:find("built without MPI", 1, true), msg)
none, msg = shard.placement("1/2", nil, env { OMPI_COMM_WORLD_SIZE = "2" })
T.ok(none == nil and msg:find("OMPI_COMM_WORLD_SIZE=2", 1, true), msg)
T.ok(shard.placement("", no_mpi, env { SLURM_STEP_NUM_TASKS = "1" }) ~= nil, "one task is fine")

-- share and the serial iterator: unfinished runs of the shard, in plan order
local plan = {}
for j = 1, 7 do plan[j] = { id = "r" .. j } end
p = shard.placement("2/3", nil, env {})
local share = shard.share(p, plan, { r5 = {} })
T.eq(#share, 1, "shard 2/3 of 7 owns positions 2 and 5; r5 is done"); T.eq(share[1].position, 2)
local seen = {}
for e, n in shard.next_runs(shard.placement("", nil, env {}), shard.share({}, plan, {})) do
  seen[#seen + 1] = e.run.id .. ":" .. n
end
T.eq(table.concat(seen, " "), "r1:1 r2:2 r3:3 r4:4 r5:5 r6:6 r7:7")

-- merge.read on hand-written files: plan order, duplicates, a torn last line
local dir = rh.io.mkdtemp("rh-shard-test")
local function write(name, text) local f = assert(io.open(dir .. "/" .. name, "w")); f:write(text); f:close() end
write("runs.shard-2-of-2.jsonl", '{"id":"r2","v":2}\n{"id":"r4","v":4}\n')
write("runs.shard-1-of-2.jsonl", '{"id":"r3","v":3}\n{"id":"r1","v":1}\n{"id":"r9","v":9}\n{"id":"r4","v":40}\n{"id":"r7"')
write("summary.csv", "not,a,results,file\n")
local files = merge.files(dir)
T.eq(#files, 2); T.ok(files[1]:find("shard%-1%-of%-2") and files[2]:find("shard%-2%-of%-2"), "files by name")
local by_id, counts, dups = merge.read(dir)
T.eq(counts[1][2], 4, "torn last line skipped")
T.eq(by_id.r4.v, 40, "first file by name wins"); T.eq(#dups, 1); T.eq(dups[1], "r4")
local results, missing = merge.ordered({ plan[1], plan[2], plan[3], plan[4], plan[5] }, by_id)
local ids = {}
for n, r in ipairs(results) do ids[n] = r.id end
T.eq(table.concat(ids, " "), "r1 r2 r3 r4", "plan order, not file order")
T.eq(table.concat(missing, " "), "r5")
local joined = merge.joined_text({ plan[1], plan[2], plan[3], plan[4] }, by_id)
local order = {}
for id in joined:gmatch('"id":"(%w+)"') do order[#order + 1] = id end
T.eq(table.concat(order, " "), "r1 r2 r3 r4 r9", "plan order, then other runs by id")
-- after a merge, runs.jsonl copies the runs: copies are not counted as trained twice
write("runs.jsonl", joined)
by_id, counts, dups = merge.read(dir)
T.eq(#dups, 1, "only r4 (in two shards) is a duplicate"); T.eq(counts[1][1], dir .. "/runs.jsonl")
for _, f in ipairs(rh.io.listdir(dir)) do os.remove(dir .. "/" .. f) end
os.remove(dir)

-- options recorded and adopted by --merge
local rec = merge.recordable_options { n = 3, out = "x", shard = "1/2", merge = false, measure = "relative", _given = {} }
T.eq(rec.n, 3); T.eq(rec.out, nil); T.eq(rec.shard, nil); T.eq(rec._given, nil)
local o = { n = 1, out = "y", measure = "numerical", class_tol = 0, _given = { measure = true } }
merge.adopt_options(o, { n = 3, measure = "relative", class_tol = 1, out = "x" })
T.eq(o.n, 3); T.eq(o.out, "y"); T.eq(o.measure, "numerical", "given on the merge's command line"); T.eq(o.class_tol, 1)
T.done()
