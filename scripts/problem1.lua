-- problem1.lua - Problem 1: sweeps of random networks, their convergent rank, its trends with
-- test accuracy, and equivalence classes of networks of equal convergent rank.
--
--   rankhost scripts/problem1.lua [--quick|--full] [--out DIR] [--n N] [--resume] [...]
--   rankhost scripts/problem1.lua --help        -- every option with its default
--
-- Draws N architectures from a documented space (scripts/lib/p1_space.lua), trains each with
-- SGD + weight decay until the training loss saturates, measures every rank of every layer
-- at every epoch, and writes runs.jsonl, history/, summary.csv, classes.csv, report.md and
-- PNG figures into --out. See docs/problem1.md for how to read the results.
local script_dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = script_dir .. "/lib/?.lua;" .. package.path

local rh = require "rankhost"
local options = require "options"
local runlog = require "runlog"
local space = require "p1_space"
local trainer = require "p1_train"
local analysis = require "p1_analysis"
local figures = require "p1_figures"
local writeup = require "p1_report"
local p1data = require "p1_data"
local shard = require "shard"
local merge = require "merge"

local PROG = "problem1.lua"

local spec = {
  { name = "help", type = "bool", default = false, help = "print this help and exit" },
  { name = "config", type = "string", default = "", metavar = "FILE.lua", help = "Lua file returning a table of these options" },
  { name = "quick", type = "preset", help = "a small sweep that produces every output in under a minute",
    sets = { n = 10, train_subset = 4000, test_subset = 1000, max_epochs = 15, width_min = 16, width_max = 256,
      depth_max = 3, min_params = 5000, teacher_ranks = { 2, 8 }, teacher_n = 1500, teacher_dim = 32,
      probe = 128, random_labels = 0.25, batch = 64, sat_patience = 3 } },
  { name = "full", type = "preset", help = "the seed's scale: all 60000 images, wider nets, 64 runs",
    sets = { n = 64, train_subset = 0, test_subset = 0, max_epochs = 100, width_min = 64, width_max = 1024,
      min_params = 100000, teacher_runs = 3, probe = 512 } },
  { name = "out", type = "string", default = "results/problem1", metavar = "DIR", help = "output folder" },
  { name = "resume", type = "bool", default = false,
    help = "require an existing sweep in --out and continue it (a restart with the same --out continues anyway)" },
  { name = "shard", type = "string", default = "", metavar = "I/K",
    help = "train only shard I of K (plan positions j with (j-1) % K == I-1) into runs.shard-I-of-K.jsonl; "
      .. "default: a Slurm array task's shard, else all (docs/cluster.md)" },
  { name = "merge", type = "bool", default = false,
    help = "train nothing: join the results files of shards and MPI ranks in --out and write the analysis" },
  { name = "n", type = "int", default = 24, min = 0, help = "number of random networks (real or random labels)" },
  { name = "seed", type = "int", default = 1, min = 0, help = "sweep seed: run ids are p1-<seed>-<index>" },
  { name = "dataset", type = "choice", choices = { "fashion_mnist", "mnist" }, default = "fashion_mnist",
    help = "the real task" },
  { name = "data-dir", type = "string", default = "", metavar = "DIR",
    help = "folder with the IDX files (empty: the dataset's default folder)" },
  { name = "train-split", type = "choice", choices = { "train", "test" }, default = "train",
    help = "which file split training draws from" },
  { name = "holdout", type = "number", default = 0, min = 0, max = 0.9, metavar = "F",
    help = "if > 0, the test set is this fraction of the training split (for folders with one split)" },
  { name = "train-subset", type = "int", default = 10000, min = 0, help = "first N training images (0 = all)" },
  { name = "test-subset", type = "int", default = 2000, min = 0, help = "first N test images (0 = all)" },
  { name = "random-labels", type = "number", default = 0.25, min = 0, max = 1, metavar = "FRACTION",
    help = "fraction of the N runs trained on random labels" },
  { name = "label-noise", type = "number", default = 1, min = 0, max = 1, metavar = "F",
    help = "in a random-label run, the fraction of training labels replaced" },
  { name = "teacher-ranks", type = "ints", default = { 2, 4, 8 }, min = 1, metavar = "K,K,...",
    help = "teacher task ranks (none = no teacher runs)" },
  { name = "teacher-runs", type = "int", default = 1, min = 1, help = "networks per teacher rank" },
  { name = "teacher-n", type = "int", default = 4000, min = 10, help = "teacher task: training samples (test: n/4)" },
  { name = "teacher-dim", type = "int", default = 64, min = 2, help = "teacher task: input dimension" },
  { name = "depth-min", type = "int", default = 1, min = 1, help = "fewest hidden layers" },
  { name = "depth-max", type = "int", default = 4, min = 1, help = "most hidden layers" },
  { name = "width-min", type = "int", default = 32, min = 1, help = "narrowest hidden width (log-uniform draw)" },
  { name = "width-max", type = "int", default = 512, min = 1, help = "widest hidden width" },
  { name = "min-params", type = "int", default = 20000, min = 0, help = "capacity floor: fewest parameters" },
  { name = "lr", type = "number", default = 0.05, min = 0, help = "SGD learning rate" },
  { name = "momentum", type = "number", default = 0.9, min = 0, max = 1, help = "SGD momentum" },
  { name = "wd", type = "number", default = 5e-4, min = 0, help = "weight decay (L2, in the gradient)" },
  { name = "batch", type = "int", default = 128, min = 1, help = "minibatch size" },
  { name = "max-epochs", type = "int", default = 30, min = 1, help = "stop a run after N epochs if not saturated" },
  { name = "sat-patience", type = "int", default = 3, min = 1,
    help = "saturation: epochs without relative improvement > --sat-tol" },
  { name = "sat-tol", type = "number", default = 0.01, min = 0, help = "saturation: relative loss improvement threshold" },
  { name = "random-max-epochs", type = "int", default = 300, min = 1,
    help = "random-label runs: stop after N epochs if not saturated (they need 150-300+ to memorise)" },
  { name = "random-sat-patience", type = "int", default = 10, min = 1,
    help = "random-label runs: saturation patience (epochs without relative improvement > --sat-tol)" },
  { name = "random-min-epochs", type = "int", default = 100, min = 0,
    help = "random-label runs: saturation cannot stop them before this epoch (the ln(10) plateau can last ~50)" },
  { name = "plateau-patience", type = "int", default = 2, min = 0,
    help = "ReduceLROnPlateau patience in epochs (0 = constant learning rate)" },
  { name = "plateau-factor", type = "number", default = 0.5, min = 0, max = 1, help = "ReduceLROnPlateau factor" },
  { name = "probe", type = "int", default = 256, min = 1, help = "samples in the fixed batch for gradient ranks" },
  { name = "measure", type = "string", default = "relative", metavar = "NAME",
    help = "rank measure of the equivalence classes and the headline figures" },
  { name = "class-tol", type = "number", default = 0, min = 0, metavar = "X",
    help = "classes: ranks within X of the class leader, every layer (0 = exact)" },
}

local USAGE = "usage: rankhost scripts/problem1.lua [options]\n"
  .. "Problem 1: trains N random networks to saturation, records their convergent rank,\n"
  .. "analyses trends with accuracy and equivalence classes; writes results into --out."

local o = options.parse_or_exit(spec, { ... }, USAGE, PROG)

local function usage_error(msg)
  io.stderr:write(PROG, ": ", msg, "\n")
  os.exit(2)
end
-- a failure (status 1) with a message instead of a traceback; what is on disk stays
local function fail(msg)
  io.stderr:write(PROG, ": ", msg, "\n")
  os.exit(1)
end
if o.depth_min > o.depth_max then usage_error("--depth-min must be <= --depth-max") end
if o.width_min > o.width_max then usage_error("--width-min must be <= --width-max") end

-- ---- this process's place: one machine, a shard, an MPI rank (scripts/lib/shard.lua) ----
if o.merge and (o.shard ~= "" or rh.mpi.launched()) then
  usage_error("--merge: run it once, not as a shard or under mpirun")
end
local place, place_err = { file = "runs.jsonl", label = "" }, nil
if not o.merge then place, place_err = shard.placement(o.shard, rh.mpi) end
if not place then usage_error(place_err) end
local tag = place.label ~= "" and "[" .. place.label .. "] " or ""

-- ---- the output folder and its settings ----
local out = o.out
local paths = {
  runs = out .. "/runs.jsonl", mine = out .. "/" .. place.file, history = out .. "/history",
  config = out .. "/config.json",
  summary = out .. "/summary.csv", classes = out .. "/classes.csv", report = out .. "/report.md",
}
-- Settings that change what a run computes: a sweep may only be continued under the same
-- ones (n may grow or shrink; analysis options may change freely).
local RUN_KEYS = { "seed", "dataset", "data_dir", "train_split", "holdout", "train_subset", "test_subset",
  "label_noise", "teacher_n", "teacher_dim", "depth_min", "depth_max", "width_min", "width_max", "min_params",
  "lr", "momentum", "wd", "batch", "max_epochs", "sat_patience", "sat_tol", "plateau_patience",
  "plateau_factor", "probe", "random_max_epochs", "random_sat_patience", "random_min_epochs" }

local function run_settings()
  local s = {}
  for _, k in ipairs(RUN_KEYS) do s[k] = o[k] end
  return s
end

local function same(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) == "number" then return math.abs(a - b) <= 1e-12 * math.max(1, math.abs(a)) end
  return a == b
end

local okdir, direrr = pcall(function() rh.io.mkdir_p(out); rh.io.mkdir_p(paths.history) end)
if not okdir then
  fail("cannot create the output folder " .. out .. ": " .. tostring(direrr):gsub("^[^(]*%((.*)%)$", "%1"))
end
local fh = io.open(paths.config, "r")
if fh then
  local okc, old = pcall(rh.json.decode, fh:read("a") or "")
  fh:close()
  if not okc or type(old) ~= "table" or type(old.settings) ~= "table" then
    fail(paths.config .. " is not a problem 1 sweep's settings (" .. tostring(okc and "no settings" or old)
      .. "); is " .. out .. " another program's folder?")
  end
  -- --merge joins the sweep the shards recorded: their settings, the command line's analysis options
  if o.merge then merge.adopt_options(o, old.options) end
  local diff = {}
  for _, k in ipairs(RUN_KEYS) do
    if not same(old.settings[k], o[k]) then
      diff[#diff + 1] = string.format("%s (was %s, now %s)", k:gsub("_", "-"), tostring(old.settings[k]), tostring(o[k]))
    end
  end
  if #diff > 0 then
    usage_error(out .. " holds a sweep with other settings: " .. table.concat(diff, ", ")
      .. "; use the same settings to continue it, or another --out")
  end
elseif o.resume or o.merge then
  usage_error((o.merge and "--merge: no sweep to merge in " or "--resume: no sweep to continue in ") .. out
    .. " (no config.json)")
end

-- ---- the plan and what is already done ----
local plan = space.plan(o)
-- finished runs from every process that wrote into --out, so that no one trains them again
local okr, done = pcall(merge.read, out)
if not okr then fail(tostring(done) .. " (finished runs are read from it; fix or move the file)") end
local results_file, torn = nil, 0
if not o.merge then
  local oka
  oka, results_file, torn = pcall(runlog.appender, paths.mine)
  if not oka then fail("cannot append to " .. paths.mine .. ": " .. tostring(results_file)) end
end
if torn > 0 then print(string.format("%s: cut an incomplete last line of %d bytes", paths.mine, torn)) end
-- the settings are (re)written once the results files are known to be usable
rh.io.write_atomic(paths.config, rh.json.encode({ settings = run_settings(), saturation = trainer.rule_text(o),
  random_saturation = trainer.rule_text(o, "random"),
  command = options.describe(spec, o), options = merge.recordable_options(o) }) .. "\n")

print(string.format("problem 1 sweep: %d networks (%d random, %d teacher) -> %s", #plan,
  (function() local c = 0; for _, r in ipairs(plan) do if r.kind == "random" then c = c + 1 end end; return c end)(),
  #o.teacher_ranks * o.teacher_runs, out))
print("settings: " .. options.describe(spec, o))
print("saturation rule: " .. trainer.rule_text(o))
print("saturation rule of random-label runs: " .. trainer.rule_text(o, "random"))
print(string.format("training: SGD lr %g momentum %g weight decay %g batch %d, at most %d epochs", o.lr, o.momentum,
  o.wd, o.batch, o.max_epochs))

-- ---- training ----
local tasks = p1data.tasks(o)
local finished = 0
for _, run in ipairs(plan) do if done[run.id] then finished = finished + 1 end end
if finished > 0 and not o.merge then
  print(string.format("resuming: %d of %d networks already finished", finished, #plan))
end
-- this process's share of the unfinished runs (all of them on one machine; --merge: none)
local pending = o.merge and {} or shard.share(place, plan, done)
if place.label ~= "" then
  print(string.format("%s%d unfinished networks %s, results -> %s", tag, #pending,
    place.mpi and string.format("handed out one at a time to %d ranks", place.mpi[2]) or "in this share", paths.mine))
end
local t_start, trained = rh.clock(), 0
for entry, i in shard.next_runs(place, pending, rh.mpi) do
  local run, position = entry.run, entry.position
  local task = tasks.get(run)
  local sizes = space.architecture(o.seed, run.index, o, task.dim, task.classes)
  local eta = trained > 0 and (rh.clock() - t_start) / trained * (#pending - i + 1) or nil
  local head = string.format("%srun %d/%d %s [%s, %s]", tag, position, #plan, run.id, table.concat(sizes, "-"),
    run.kind == "teacher" and ("teacher rank " .. run.teacher_rank) or run.kind .. " labels")
  print(head .. (eta and string.format("  (about %.0f s left)", eta) or ""))
  local rec = trainer.train(run, sizes, task, o, paths.history .. "/" .. run.id .. ".jsonl", function(line)
    local left = trained > 0 and (rh.clock() - t_start) / trained * (#pending - i + 1) or nil
    print(string.format("  %srun %d/%d  %s%s", tag, position, #plan, line,
      left and string.format("  ~%.0f s left", left) or ""))
    io.stdout:flush()
  end)
  results_file:add(rec)
  trained = trained + 1
  print(string.format("  %s-> %s after %d epochs, %.1f s%s", tag, rec.status, rec.epochs, rec.wall_time,
    rec.final and string.format(", test acc %.4f", rec.final.test_acc) or ""))
end

if results_file then results_file:close() end

-- ---- a shard, or an MPI rank other than 0, stops here; rank 0 waits for the others ----
if place.mpi then rh.mpi.barrier() end
if place.shard or (place.mpi and place.mpi[1] ~= 0) then
  print(string.format("%strained %d networks into %s; %s", tag, trained, paths.mine, place.shard
    and "when every shard is done, join them with: rankhost scripts/problem1.lua --merge --out " .. out
    or "rank 0 writes the merged results"))
  return
end

-- ---- analysis, figures, report (from every results file in --out, in plan order) ----
local by_id, counts, dups = merge.read(out)
local results, missing = merge.ordered(plan, by_id)
if o.merge or place.mpi then
  for _, c in ipairs(counts) do print(string.format("merge: %d runs in %s", c[2], c[1])) end
  if #dups > 0 then
    print(string.format("merge: %d runs found twice (first copy kept): %s", #dups, table.concat(dups, " ")))
  end
  if #missing > 0 then
    io.stderr:write(string.format("%s: warning: %d of %d planned networks have no results yet: %s\n", PROG, #missing,
      #plan, table.concat(missing, " ")))
  end
  -- one runs.jsonl holding every run, in plan order
  rh.io.write_atomic(paths.runs, merge.joined_text(plan, by_id))
end
local measures = analysis.measures(results)
local measure_ok = false
for _, m in ipairs(measures) do if m == o.measure then measure_ok = true end end
if #measures > 0 and not measure_ok then
  usage_error("--measure " .. o.measure .. ": not a rank measure; choose one of " .. table.concat(measures, ", "))
end

local report = require "report"
local header, rows, metric_names = analysis.summary(results, measures)
report.write(paths.summary, report.csv(header, rows))
local ok = analysis.ok_runs(results)
local classes = analysis.classes(ok, o.measure, o.class_tol)
local ch, crows = analysis.class_rows(classes)
report.write(paths.classes, report.csv(ch, crows))
local figs = figures.all(out, results, ok, classes, o, measures, paths.history)
report.write(paths.report, writeup.text(o, plan, results, measures, metric_names, classes, figs))
print(string.format("wrote %s, %s, %s, %s and %d figures", paths.runs, paths.summary, paths.classes, paths.report, #figs))
