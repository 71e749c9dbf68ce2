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
local study = require "common.study"
local data = require "common.data"
local measure = require "common.measure"
local grid_report = require "lowrank_bias.report"

local USAGE = "usage: rankhost scripts/lowrank_bias.lua [options]\n"
  .. "Galanti et al.'s low-rank bias grid: batch size x weight decay (x learning rate) x seeds, one\n"
  .. "architecture, a fixed number of epochs; grid.csv, report.md and figures into --out."

local SPEC = {
  { name = "quick", type = "preset", help = "the same grid on small data and a small network (under a minute)",
    sets = { train_subset = 2000, test_subset = 1000, hidden = { 64, 64 }, epochs = 60, seeds = 3, probe = 256 } },
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

local function check(o)
  for _, b in ipairs(o.batches) do
    if b > o.train_subset then
      return string.format("--batches: batch %d is larger than the data (--train-subset %d)", b, o.train_subset)
    end
  end
  if #o.batches == 0 or #o.wds == 0 or #o.lrs == 0 then return "--batches, --wds and --lrs need a value each" end
  for _, lr in ipairs(o.lrs) do if lr <= 0 then return "--lrs: a learning rate must be > 0, got " .. lr end end
end

local function sizes_of(o)
  local sizes = { 784 }
  for _, w in ipairs(o.hidden) do sizes[#sizes + 1] = w end
  sizes[#sizes + 1] = 10
  return sizes
end

-- ---- the plan: every cell of the grid, seeds ----
local function plan_of(o)
  local plan = {}
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
  return plan
end

-- ---- data (common/data.lua; training accuracy on the whole training set) ----
local task
local function prepare(ctx) task = data.finish(data.real(ctx.o, ctx.o.dataset), ctx.o, 0) end

local function announce(ctx)
  local o, sizes = ctx.o, sizes_of(ctx.o)
  print(string.format("low-rank bias grid: %d networks (%d batch sizes x %d weight decays x %d learning rates x %d seeds), "
    .. "%s, %d epochs each -> %s", #ctx.plan, #o.batches, #o.wds, #o.lrs, o.seeds, table.concat(sizes, "-"), o.epochs,
    ctx.out))
end

-- The number of rank checks of a run of `epochs` epochs, one every `every` and one at the end.
local function checks_of(epochs, every) return epochs // every + (epochs % every == 0 and 0 or 1) end

-- one network of the grid: a fixed number of epochs (min_epochs = max_epochs: fit never stops
-- it early); fit's rank rule says whether the ranks had settled by the end: every layer's
-- rank within max(1, 5% of it) over the last 5 checks (all of them when a run has fewer)
local function train(run, ctx)
  local o, out = ctx.o, ctx.out
  local t0 = rh.clock()
  local sizes = sizes_of(o)
  rh.seed(run.run_seed)
  local model = rh.nn.MLP(sizes)
  local init = measure.initial(model) -- the ranks at initialisation (common/measure.lua), before any step
  local opt = rh.optim.SGD(model, { lr = run.lr, momentum = o.momentum, weight_decay = run.weight_decay })
  local history = rh.log.jsonl(out .. "/history/" .. run.id .. ".jsonl", { sync = false })
  local last = -math.huge
  local every = math.max(1, o.epochs // 10)
  local h = rh.train.fit(model, task.train, { optimizer = opt, batch = run.batch, seed = run.run_seed,
    min_epochs = o.epochs, max_epochs = o.epochs, progress = false,
    rank_converged = { measure = o.measure, every = every, slack = 1, rel_slack = 0.05,
      patience = math.max(2, math.min(5, checks_of(o.epochs, every))) },
    callback = function(epoch, rec)
      history:write { id = run.id, epoch = epoch, loss = rec.loss, acc = rec.accuracy, wd_horizon = rec.wd_horizon,
        ranks = rec.ranks }
      if rh.clock() - last >= o.progress_every or epoch == 1 then
        last = rh.clock()
        print(string.format("  %s epoch %d/%d loss %.4f acc %.3f H %.2f", run.id, epoch, o.epochs, rec.loss,
          rec.accuracy or 0, rec.wd_horizon or 0))
      end
    end })
  history:close()
  -- the grid always trains its epochs: it stops at the cap, whether or not the ranks settled
  local rec = { id = run.id, lr = run.lr, batch = run.batch, weight_decay = run.weight_decay, seed = run.seed_index,
    run_seed = run.run_seed, architecture = sizes, epochs = h.epochs, steps = h.steps, wd_horizon = h.wd_horizon,
    stopped = h.stopped == "rank_converged" and "max_epochs" or h.stopped, dataset = task.dataset, init = init }
  if h.stopped == "diverged" then
    rec.status, rec.diverged = "diverged at step " .. h.diverged_step, h.diverged
  else
    rec.status = "ok"
    rec.ranks_settled = h[#h].rank_converged == true
    rec.final, rec.layers, rec.network = measure.model(model, task, h.svals)
  end
  rec.wall_time = rh.clock() - t0
  return rec
end

study.run {
  name = "lowrank_bias", usage = USAGE, options = SPEC, keys = RUN_KEYS, argv = { ... }, dirs = { "history" }, unit = "networks",
  fields = { "status" },
  check = check, plan = plan_of, announce = announce, prepare = prepare, train = train,
  describe = function(run) return string.format("[batch %d, wd %g, lr %g]", run.batch, run.weight_decay, run.lr) end,
  summary = function(rec, ctx)
    if rec.status ~= "ok" then return rec.status end
    local m = ctx.o.measure
    return string.format("H %.2f, %s normalised rank %.3f, test acc %.3f, %.1f s", rec.wd_horizon or 0, m,
      rec.network["normalized:" .. m], rec.final.test_acc, rec.wall_time)
  end,
  report = function(ctx, records) return grid_report.write_all(ctx.out, ctx.o, ctx.plan, records) end,
}
