-- lowrank_bias.lua - Galanti et al.'s grid: one architecture trained with SGD over batch size x
-- weight decay (x learning rate), 3 seeds each, for a fixed number of epochs, and the
-- rank each network ends at. Tests the three published trends with numbers: a smaller batch
-- gives a lower rank; a larger weight decay gives a lower rank; without weight decay there
-- is no low-rank bias. Every run records its weight-decay horizon H, since a smaller batch
-- also means more steps (and so more decay) in the same epochs.
--
--   rankhost scripts/lowrank_bias.lua [--quick] [--out DIR] [--jobs N] [...]   (--help)
--
-- Writes runs.jsonl, grid.csv, report.md and PNG figures into --out; a restart with the same
-- --out continues (docs/problem1.md, "Galanti et al.'s grid").
local script_dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = script_dir .. "/?.lua;" .. package.path

local rh = require "rankhost"
local options = require "common.options"
local results = require "common.results"
local sweep = require "common.sweep"
local data = require "common.data"
local measure = require "common.measure"
local grid_report = require "lowrank_bias.report"

local PROG = "lowrank_bias.lua"
local USAGE = "usage: rankhost scripts/lowrank_bias.lua [options]\n"
  .. "Galanti et al.'s low-rank bias grid: batch size x weight decay (x learning rate) x seeds, one\n"
  .. "architecture, a fixed number of epochs; grid.csv, report.md and figures into --out."

local SPEC = {
  { name = "help", type = "bool", default = false, help = "print this help and exit" },
  { name = "config", type = "string", default = "", metavar = "FILE.lua", help = "Lua file returning a table of these options" },
  { name = "quick", type = "preset", help = "the same grid on small data and a small network (under a minute)",
    sets = { train_subset = 2000, test_subset = 1000, hidden = { 64, 64 }, epochs = 60, seeds = 3, probe = 256 } },
  { name = "out", type = "string", default = "results/lowrank_bias", metavar = "DIR", help = "output folder" },
  { name = "jobs", type = "int", default = 0, min = 0, help = "networks trained at once (0: one per core)" },
  { name = "progress-every", type = "number", default = 10, min = 0, metavar = "SECONDS",
    help = "a progress line of a network at most this often (0: every epoch)" },
  { name = "batches", type = "ints", default = { 8, 16, 32, 64, 128 }, min = 1, metavar = "B,B,...", help = "batch sizes" },
  { name = "wds", type = "numbers", default = { 0, 1e-4, 1e-3, 5e-3, 1e-2 }, min = 0, metavar = "WD,WD,...",
    help = "weight decays" },
  { name = "lrs", type = "numbers", default = { 0.1 }, min = 0, metavar = "LR,LR,...", help = "learning rates" },
  { name = "seeds", type = "int", default = 3, min = 1, help = "networks per cell (3: the least an interval over seeds wants)" },
  { name = "seed", type = "int", default = 1, min = 0, help = "study seed" },
  { name = "momentum", type = "number", default = 0, min = 0, max = 0.99, help = "SGD momentum" },
  { name = "epochs", type = "int", default = 40, min = 1, help = "epochs every network trains (Galanti et al.: fixed)" },
  { name = "hidden", type = "ints", default = { 256, 256 }, min = 1, metavar = "W,W,...", help = "hidden widths" },
  { name = "dataset", type = "choice", choices = { "fashion_mnist", "mnist" }, default = "fashion_mnist", help = "data" },
  { name = "data-dir", type = "string", default = "", metavar = "DIR", help = "folder of the IDX files (empty: search path)" },
  { name = "train-split", type = "choice", choices = { "train", "test" }, default = "train", help = "training split" },
  { name = "holdout", type = "number", default = 0, min = 0, max = 0.9, metavar = "F",
    help = "if > 0, the test set is this fraction of the training split" },
  { name = "train-subset", type = "int", default = 5000, min = 1, help = "first N training images" },
  { name = "test-subset", type = "int", default = 2000, min = 1, help = "first N test images" },
  { name = "probe", type = "int", default = 512, min = 1, help = "samples for activation and gradient ranks" },
  { name = "measure", type = "choice", choices = { "energy", "relative", "numerical", "effective", "stable" },
    default = "relative", help = "the rank measure of grid.csv and the report (Galanti et al.: relative, 1e-3)" },
}
-- Settings that change what a run records: a grid is only continued under the same ones
-- (--measure among them: its rank rule says whether a run's ranks settled).
local RUN_KEYS = { "seed", "momentum", "epochs", "hidden", "dataset", "data_dir", "train_split", "holdout",
  "train_subset", "test_subset", "probe", "measure" }

local o = options.parse_or_exit(SPEC, { ... }, USAGE, PROG)
local usage_error, fail = options.exits(PROG)
for _, b in ipairs(o.batches) do
  if b > o.train_subset then
    usage_error(string.format("--batches: batch %d is larger than the data (--train-subset %d)", b, o.train_subset))
  end
end
if #o.batches == 0 or #o.wds == 0 or #o.lrs == 0 then usage_error("--batches, --wds and --lrs need a value each") end
for _, lr in ipairs(o.lrs) do if lr <= 0 then usage_error("--lrs: a learning rate must be > 0, got " .. lr) end end

-- ---- the output folder ----
local out = o.out
local okdir, direrr = pcall(function() rh.io.mkdir_p(out); rh.io.mkdir_p(out .. "/history") end)
if not okdir then fail("cannot create the output folder " .. out .. ": " .. tostring(direrr)) end
local settings = {}
for _, k in ipairs(RUN_KEYS) do settings[k] = o[k] end
local recorded, not_ours = results.recorded_config(out .. "/config.json")
if not_ours then
  fail(out .. "/config.json is not a low-rank-bias grid's settings; is " .. out .. " another program's folder?")
end
if recorded then
  local changed = results.changed_message(recorded, o, RUN_KEYS, out, "grid")
  if changed then usage_error(changed) end
end

-- ---- the plan: every cell of the grid, seeds ----
local plan = {}
local sizes = { 784 }
for _, w in ipairs(o.hidden) do sizes[#sizes + 1] = w end
sizes[#sizes + 1] = 10
for li, lr in ipairs(o.lrs) do
  for _, b in ipairs(o.batches) do
    for _, wd in ipairs(o.wds) do
      for s = 1, o.seeds do
        local id = string.format("g-%d-lr%g-b%d-wd%g-s%d", o.seed, lr, b, wd, s)
        -- cost: samples per epoch at this batch (small batches run fewer samples a second)
        plan[#plan + 1] = { id = id, lr = lr, batch = b, weight_decay = wd, seed_index = s, lr_index = li,
          run_seed = o.seed * 100003 + s, cost = 1 + 64 / b }
      end
    end
  end
end

local okr, done = pcall(results.read, out)
if not okr then fail(tostring(done) .. " (finished runs are read from it; fix or move the file)") end
local place = { file = "runs.jsonl", label = "" }
-- the runs trained at once: --jobs (0: one per core), 1 on a GPU (common/sweep.lua)
o.jobs = sweep.jobs(o.jobs, place)
local okw, writer = pcall(sweep.open, place, out)
if not okw then fail(tostring(writer)) end
rh.io.write_atomic(out .. "/config.json", rh.json.encode({ settings = settings,
  command = options.describe(SPEC, o) }) .. "\n")

-- ---- data (common/data.lua; training accuracy on the whole training set) ----
local okd, task = pcall(function() return data.finish(data.real(o, o.dataset), o, 0) end)
if not okd then fail(tostring(task)) end

local finished = 0
for _, r in ipairs(plan) do if done[r.id] then finished = finished + 1 end end
print(string.format("low-rank bias grid: %d networks (%d batch sizes x %d weight decays x %d learning rates x %d seeds), "
  .. "%s, %d epochs each -> %s", #plan, #o.batches, #o.wds, #o.lrs, o.seeds, table.concat(sizes, "-"), o.epochs, out))
if finished > 0 then print(string.format("continuing: %d of %d networks already finished", finished, #plan)) end

-- one network of the grid: a fixed number of epochs; the rank rule only reports whether the
-- ranks had settled by the end (it never stops a run: its patience is the whole run)
local function train(run)
  local t0 = rh.clock()
  rh.seed(run.run_seed)
  local model = rh.nn.MLP(sizes)
  local init = measure.initial(model) -- the ranks at initialisation (common/measure.lua), before any step
  local opt = rh.optim.SGD(model, { lr = run.lr, momentum = o.momentum, weight_decay = run.weight_decay })
  local history = rh.log.jsonl(out .. "/history/" .. run.id .. ".jsonl", { sync = false })
  local last = -math.huge
  local h = rh.train.fit(model, task.train, { optimizer = opt, batch = run.batch, seed = run.run_seed,
    max_epochs = o.epochs, progress = false,
    rank_converged = { measure = o.measure, patience = o.epochs + 1, every = math.max(1, o.epochs // 10) },
    callback = function(epoch, rec)
      history:write { epoch = epoch, loss = rec.loss, acc = rec.accuracy, wd_horizon = rec.wd_horizon, ranks = rec.ranks }
      if rh.clock() - last >= o.progress_every or epoch == 1 then
        last = rh.clock()
        print(string.format("  %s epoch %d/%d loss %.4f acc %.3f H %.2f", run.id, epoch, o.epochs, rec.loss,
          rec.accuracy or 0, rec.wd_horizon or 0))
      end
    end })
  history:close()
  local rec = { id = run.id, lr = run.lr, batch = run.batch, weight_decay = run.weight_decay, seed = run.seed_index,
    run_seed = run.run_seed, architecture = sizes, epochs = h.epochs, steps = h.steps, wd_horizon = h.wd_horizon,
    stopped = h.stopped, dataset = task.dataset, init = init }
  if h.stopped == "diverged" then
    rec.status, rec.diverged = "diverged at step " .. h.diverged_step, h.diverged
  else
    rec.status = "ok"
    -- settled: the ranks of the last 5 checks within 1 (or 5%)
    local moved, checks = 0, {}
    for e = #h, 1, -1 do
      if h[e].ranks then checks[#checks + 1] = h[e].ranks end
      if #checks == 5 then break end
    end
    for i = 1, #(checks[1] or {}) do
      local lo, hi = math.huge, -math.huge
      for _, c in ipairs(checks) do lo, hi = math.min(lo, c[i]), math.max(hi, c[i]) end
      moved = math.max(moved, (hi - lo) / math.max(1, 0.05 * checks[1][i]))
    end
    rec.ranks_settled = #checks >= 2 and moved <= 1
    rec.final, rec.layers, rec.network = measure.model(model, task, h.svals)
  end
  rec.wall_time = rh.clock() - t0
  return rec
end

local _, lost = sweep.run { place = place, plan = plan, done = done, out = out, jobs = o.jobs, writer = writer,
  train = train,
  describe = function(run) return string.format("[batch %d, wd %g, lr %g]", run.batch, run.weight_decay, run.lr) end,
  summary = function(rec)
    if rec.status ~= "ok" then return rec.status end
    return string.format("H %.2f, %s normalised rank %.3f, test acc %.3f, %.1f s", rec.wd_horizon or 0, o.measure,
      rec.network["normalized:" .. o.measure], rec.final.test_acc, rec.wall_time)
  end }

local by_id = results.read(out)
local records = results.ordered(plan, by_id)
local written = grid_report.write_all(out, o, plan, records)
print("wrote " .. table.concat(written, ", "))
if #lost > 0 then
  io.stderr:write(string.format("%s: %d runs were lost (their workers crashed); start again to train them\n", PROG, #lost))
  os.exit(1)
end
