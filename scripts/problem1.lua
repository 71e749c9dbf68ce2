-- problem1.lua - Problem 1: does the rank a network converges to under SGD with weight decay
-- follow the complexity of its task? Random networks, their controls (weight decay 0, random
-- labels) and a ladder of tasks of known complexity, each trained until its loss saturates
-- and its ranks converge; then the convergent rank against accuracy, architecture and task.
--
--   rankhost scripts/problem1.lua [--quick|--full] [--out DIR] [--jobs N] [...]
--   rankhost scripts/problem1.lua --help        -- every option with its default
--
-- Writes runs.jsonl, history/, summary.csv, classes.csv, complexity.csv, report.md and PNG
-- figures into --out (docs/problem1.md says how to read them). A restart with the same --out
-- continues where it stopped; --shard, Slurm arrays and mpirun split the runs (docs/cluster.md).
local script_dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = script_dir .. "/?.lua;" .. package.path

local rh = require "rankhost"
local options = require "common.options"
local shard = require "common.shard"
local results = require "common.results"
local sweep = require "common.sweep"
local settings = require "problem1.settings"
local plan_of = require "problem1.plan"
local tasks_of = require "problem1.tasks"
local trainer = require "problem1.train"
local analysis = require "problem1.analysis"

local PROG = settings.PROG
local t_start = rh.clock()
local o = options.parse_or_exit(settings.SPEC, { ... }, settings.USAGE, PROG)

local usage_error, fail = options.exits(PROG)
local bad = settings.check(o)
if bad then usage_error(bad) end

-- ---- this process's place: one machine, a shard, an MPI rank (common/shard.lua) ----
if o.merge and (o.shard ~= "" or rh.mpi.launched()) then
  usage_error("--merge: run it once, not as a shard or under mpirun")
end
local place, place_err = { file = "runs.jsonl", label = "" }, nil
if not o.merge then place, place_err = shard.placement(o.shard, rh.mpi) end
if not place then usage_error(place_err) end
local tag = place.label ~= "" and "[" .. place.label .. "] " or ""

-- ---- the output folder and its settings ----
local out = o.out
local paths = { runs = out .. "/runs.jsonl", history = out .. "/history", config = out .. "/config.json" }

local okdir, direrr = pcall(function() rh.io.mkdir_p(out); rh.io.mkdir_p(paths.history) end)
if not okdir then
  fail("cannot create the output folder " .. out .. ": " .. tostring(direrr):gsub("^[^(]*%((.*)%)$", "%1"))
end
local recorded, not_ours = results.recorded_config(paths.config)
if not_ours then
  fail(paths.config .. " is not a problem 1 study's settings (" .. not_ours .. "); is " .. out
    .. " another program's folder?")
end
if recorded then
  -- --merge joins the study the shards recorded: their settings, the command line's analysis options
  if o.merge then results.adopt_options(o, recorded.options) end
  local changed = results.changed_message(recorded, o, settings.RUN_KEYS, out, "study")
  if changed then usage_error(changed) end
elseif o.resume or o.merge then
  usage_error((o.merge and "--merge: no study to merge in " or "--resume: no study to continue in ") .. out
    .. " (no config.json)")
end
-- the MNIST rung: decided once, at the study's first start, and kept
if o.ladder_mnist == "auto" then
  o.ladder_mnist = recorded and recorded.options and recorded.options.ladder_mnist
    or (tasks_of.mnist_found(o) and "on" or "off")
end
-- the runs trained at once: --jobs (0: one per core), 1 under MPI and on a GPU (common/sweep.lua)
o.jobs = sweep.jobs(o.jobs, place)

-- ---- the plan and what is already done ----
local okp, plan = pcall(plan_of.plan, o)
if not okp then usage_error(tostring(plan)) end
local okr, done = pcall(results.read, out)
if not okr then fail(tostring(done) .. " (finished runs are read from it; fix or move the file)") end
-- this process's results file, opened (and a torn last line cut) before anything is written
local writer
if not o.merge then
  local okw
  okw, writer = pcall(sweep.open, place, out)
  if not okw then fail(tostring(writer)) end
end
local run_settings = {}
for _, k in ipairs(settings.RUN_KEYS) do run_settings[k] = o[k] end
rh.io.write_atomic(paths.config, rh.json.encode({ settings = run_settings, rule = trainer.rule_text(o),
  command = options.describe(settings.SPEC, o), options = results.recordable_options(o) }) .. "\n")

local counts = {}
for _, r in ipairs(plan) do counts[r.kind] = (counts[r.kind] or 0) + 1 end
local kinds = {}
for _, k in ipairs { "real", "wd0", "random", "teacher", "parity", "noise", "mnist" } do
  if counts[k] then kinds[#kinds + 1] = counts[k] .. " " .. k end
end
print(string.format("problem 1: %d networks (%s) -> %s", #plan, table.concat(kinds, ", "), out))
print("settings: " .. options.describe(settings.SPEC, o))
print("stop rule: " .. trainer.rule_text(o))

-- Appends this start's wall time to its own timing file (timing*.jsonl, which the report
-- sums: how long the study took is measured, not estimated), with the number of runs it
-- trained at once (0: none, as in a merge).
local workers_used = 0
local function write_timing()
  local okt, err = pcall(function()
    local w = rh.log.jsonl(out .. "/" .. place.file:gsub("^runs", "timing"), { append = true })
    w:write { started = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() - math.floor(rh.clock() - t_start)),
      wall_s = rh.clock() - t_start, jobs = workers_used, cores = sweep.cores(), merge = o.merge or nil,
      label = place.label ~= "" and place.label or nil }
    w:close()
  end)
  if not okt then io.stderr:write(PROG, ": warning: the timing file was not written: ", tostring(err), "\n") end
end

-- ---- training ----
local lost_runs = 0
local finished = 0
for _, run in ipairs(plan) do if done[run.id] then finished = finished + 1 end end
if finished > 0 and not o.merge then
  print(string.format("continuing: %d of %d networks already finished", finished, #plan))
end
if not o.merge then
  local tasks = tasks_of.new(o)
  -- every task is built here, before any worker starts: workers share the data
  local okt, terr = pcall(function()
    for _, e in ipairs(shard.share(place, plan, done)) do tasks.get(e.run) end
  end)
  if not okt then fail(tostring(terr)) end
  local _, lost, used = sweep.run {
    place = place, plan = plan, done = done, out = out, jobs = o.jobs, writer = writer,
    train = function(run)
      return trainer.train(run, tasks.get(run), o, paths.history .. "/" .. run.id .. ".jsonl", function(line)
        print("  " .. tag .. line)
      end)
    end,
    describe = function(run)
      return string.format("[%s, %s%s]", table.concat(run.sizes, "-"), run.kind,
        run.level and run.kind ~= "random" and (" " .. run.level) or "")
    end,
    summary = function(rec)
      if rec.status ~= "ok" then return string.format("%s (epoch %d), %.1f s", rec.status, rec.epochs, rec.wall_time) end
      return string.format("%s after %d epochs (H %.1f), test acc %.3f, %.1f s", rec.converged and "converged"
        or rec.stopped, rec.epochs, rec.wd_horizon or 0, rec.final.test_acc, rec.wall_time)
    end,
  }
  workers_used = used
  if #lost > 0 then
    io.stderr:write(string.format("%s: %d runs were lost (their workers crashed); start again to train them\n", PROG,
      #lost))
    lost_runs = #lost
  end
end

-- ---- a shard, or an MPI rank other than 0, stops here; rank 0 waits for the others ----
if place.mpi then rh.mpi.barrier() end
if place.shard or (place.mpi and place.mpi[1] ~= 0) then
  write_timing()
  print(string.format("%sdone; results in %s; %s", tag, out .. "/" .. place.file, place.shard
    and "when every shard is done, join them with: rankhost scripts/problem1.lua --merge --out " .. out
    or "rank 0 writes the merged results"))
  return
end

-- ---- analysis, figures, report (from every results file in --out, in plan order) ----
local by_id, file_counts, dups = results.read(out)
local records, missing = results.ordered(plan, by_id)
if #file_counts > 1 or o.merge then
  for _, c in ipairs(file_counts) do print(string.format("merge: %d runs in %s", c[2], c[1])) end
  if #dups > 0 then
    print(string.format("merge: %d runs found twice (first copy kept): %s", #dups, table.concat(dups, " ")))
  end
  rh.io.write_atomic(paths.runs, results.joined_text(plan, by_id))
end
if #missing > 0 then
  io.stderr:write(string.format("%s: warning: %d of %d planned networks have no results yet: %s\n", PROG, #missing,
    #plan, table.concat(missing, " ")))
end
-- the settings as the report shows them: what the study is, not where or how it ran
local shown = {}
for _, opt in ipairs(settings.SPEC) do
  if not results.PROCESS[opt.name:gsub("-", "_")] then shown[#shown + 1] = opt end
end
o._command = options.describe(shown, o)
-- this start's wall time, written just before the report is (so the report counts it)
o._before_report = write_timing
local written = analysis.write_all(out, o, plan, records)
print(string.format("wrote %s", table.concat(written, ", ")))
-- runs lost to crashed workers: the analysis above is of the others; the status says so
if lost_runs > 0 then os.exit(1) end
