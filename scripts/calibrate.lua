-- calibrate.lua - the calibration study (issue 22 item 2): networks trained in problem 1's
-- regime (common/regime.lua) on tasks whose rank is known, 3 seeds each, and every rank
-- measure of rh.rank on every layer family, fitted against the known rank: which measure
-- recovers k, and which layers follow the number of classes C instead (the loss-set rank
-- C - 1). Tasks (calibrate/tasks.lua): a linear rank-k regression teacher (a linear
-- network), a multi-index regression teacher y = V g(Bx), the classification teacher at
-- C = 10 (k ladder) and at fixed k over C, k-sparse parity of 24 bits, Fashion-MNIST with
-- its classes merged to C.
--
--   rankhost scripts/calibrate.lua [--quick] [--out DIR] [--jobs N] [...]   (--help)
--
-- Writes runs.jsonl, calibration.csv (one row per task, family and measure) and report.md
-- into --out (results/calibrate); a restart with the same --out continues (docs/calibration.md).
local script_dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = script_dir .. "/?.lua;" .. package.path

local rh = require "rankhost"
local study = require "common.study"
local regime = require "common.regime"
local tasks = require "calibrate.tasks"
local creport = require "calibrate.report"

local USAGE = "usage: rankhost scripts/calibrate.lua [options]\n"
  .. "The calibration of the rank measures on tasks of known rank k (and class count C): every measure,\n"
  .. "every layer family; calibration.csv and report.md into --out."

local SPEC = regime.splice {
  { name = "quick", type = "preset", help = "a shorter ladder on less data, a horizon of 1 (under a minute)",
    sets = { ks = { 1, 4, 16 }, parity_ks = { 1, 2, 3 }, cs = { 2, 10 }, teacher_cs = { 2, 10 }, n = 512, n_test = 512,
      width = 32, min_horizon = 1, max_epochs = 150, cooldown = 2 } },
  { name = "ks", type = "ints", default = { 1, 2, 4, 8, 16, 32 }, min = 1, metavar = "K,K,...",
    help = "the k ladder of the linear, multi-index and teacher tasks" },
  { name = "parity-ks", type = "ints", default = { 1, 2, 3, 4, 5 }, min = 1, metavar = "K,K,...",
    help = "the parity ladder (of 24 bits)" },
  { name = "cs", type = "ints", default = { 2, 5, 10 }, min = 2, max = 10, metavar = "C,C,...",
    help = "Fashion-MNIST's classes merged to C" },
  { name = "teacher-cs", type = "ints", default = { 2, 5, 10, 20 }, min = 2, metavar = "C,C,...",
    help = "the classification teacher's class counts at --teacher-k" },
  { name = "teacher-k", type = "int", default = 4, min = 1, help = "the teacher's rank in the C ladder" },
  { name = "teacher-c", type = "int", default = 10, min = 2, help = "the teacher's classes in the k ladder" },
  { name = "fmnist", type = "bool", default = true, help = "include the Fashion-MNIST C ladder" },
  { name = "data-dir", type = "string", default = "", metavar = "DIR", help = "Fashion-MNIST's folder (empty: search path)" },
  { name = "seeds", type = "int", default = 3, min = 1, help = "networks per rung (3: the least an interval wants)" },
  { name = "seed", type = "int", default = 1, min = 0, help = "study seed" },
  { name = "n", type = "int", default = 2048, min = 64, help = "training samples per task" },
  { name = "n-test", type = "int", default = 1024, min = 64, help = "test samples per task" },
  { name = "width", type = "int", default = 64, min = 4, help = "width of the 3 hidden layers" },
  { name = "weight-decay", type = "number", default = 5e-3, min = 0, aliases = { "wd" }, help = "weight decay (problem 1's default)" },
  { regime = true },
}
local RUN_KEYS = regime.run_keys { "seed", "n", "n_test", "width", "weight_decay", "data_dir", "teacher_k", "teacher_c" }

local function check(o)
  if o.weight_decay <= 0 then return "--weight-decay must be > 0: the study's regime is one where weight decay acts" end
  if o.batch > o.n then return string.format("--batch %d is larger than the data (--n %d)", o.batch, o.n) end
end

-- ---- the plan: each task's ladder, seeds ----
local function plan_of(o)
  local plan = {}
  local function add(kind, k, C, cost)
    for s = 1, o.seeds do
      local id = string.format("c-%d-%s-k%d-C%s-s%d", o.seed, kind, k or 0, C or 0, s)
      plan[#plan + 1] = { id = id, kind = kind, k = k, C = C, seed_index = s, cost = cost,
        run_seed = o.seed * 100003 + s * 1009 + (k or 0) * 31 + (C or 0) }
    end
  end
  for _, k in ipairs(o.ks) do add("linear", k, nil, 1) end
  for _, k in ipairs(o.ks) do add("multi_index", k, nil, 1) end
  for _, k in ipairs(o.ks) do add("teacher", k, o.teacher_c, 1) end
  for _, k in ipairs(o.parity_ks) do add("parity", k, 2, 1) end
  for _, C in ipairs(o.teacher_cs) do add("teacher_C", o.teacher_k, C, 1) end
  if o.fmnist then for _, C in ipairs(o.cs) do add("fmnist", nil, C, 4) end end
  return plan
end

local function prepare(ctx)
  local o = ctx.o
  print(string.format("calibration: %d networks (%d seeds per rung), width %d, wd %g, H >= %g -> %s", #ctx.plan,
    o.seeds, o.width, o.weight_decay, o.min_horizon, ctx.out))
end

-- One network: the regime's training (fit's rank rule, no stop before the horizon reaches
-- --min-horizon, the cap), the cooldown, then every measure of every layer from one SVD
-- each, with the floor given the layer's initial largest singular value and the run's H.
local function train(run, ctx)
  local o = ctx.o
  local t0 = rh.clock()
  local kind = run.kind == "teacher_C" and "teacher" or run.kind
  local task = tasks.build { kind = kind, k = run.k, C = run.C, seed = run.run_seed, n = o.n, n_test = o.n_test,
    data_dir = o.data_dir }
  rh.seed(run.run_seed + 1)
  local model = tasks.network(task, o.width)
  local s0 = {}
  for i, s in ipairs((rh.rank.svals(model))) do s0[i] = s:get(1) end
  local crit = task.loss == "mse" and rh.nn.MSELoss() or rh.nn.CrossEntropyLoss()
  local n = o.n
  local min_epochs = regime.min_epochs(o.lr, o.weight_decay, o.momentum, o.batch, n, o.min_horizon, o.max_epochs)
  local h = rh.train.fit(model, task.train, { lr = o.lr, momentum = o.momentum, weight_decay = o.weight_decay, loss = crit,
    batch = o.batch, seed = run.run_seed, min_epochs = min_epochs, max_epochs = o.max_epochs, progress = false,
    rank_converged = regime.rank_rule(o) })
  local rec = { id = run.id, kind = run.kind, k = run.k, C = run.C, seed = run.seed_index, run_seed = run.run_seed,
    known = run.kind == "teacher_C" and run.C - 1 or task.known, loss = task.loss }
  if h.stopped == "diverged" then
    rec.status = "diverged"
    rec.wall_time = rh.clock() - t0
    return rec
  end
  local H = h.wd_horizon or 0
  if o.cooldown > 0 then
    local c = rh.train.fit(model, task.train, { lr = o.lr * o.cooldown_factor, momentum = o.momentum, weight_decay = o.weight_decay,
      loss = crit, batch = o.batch, seed = run.run_seed + 7919, max_epochs = o.cooldown, progress = false })
    H = H + (c.wd_horizon or 0)
  end
  local tr_loss, tr_acc = rh.train.evaluate(model, task.train, { loss = crit })
  local te_loss, te_acc = rh.train.evaluate(model, task.test, { loss = crit })
  local svals, shapes = rh.rank.svals(model)
  rec.layers = {}
  for i, s in ipairs(svals) do
    local r = rh.rank.all(s, { shape = shapes[i], s0_max = s0[i], horizon = H })
    local ranks = {}
    for _, m in ipairs(rh.rank.measure_names) do ranks[m] = r[m] end
    rec.layers[i] = { shape = shapes[i], ranks = ranks, s0_max = s0[i], smax = r.smax }
  end
  rec.status, rec.epochs, rec.stopped, rec.wd_horizon = "ok", h.epochs, h.stopped, H
  rec.train_loss, rec.train_acc, rec.test_loss, rec.test_acc = tr_loss, tr_acc, te_loss, te_acc
  rec.wall_time = rh.clock() - t0
  return rec
end

study.run {
  name = "calibrate", usage = USAGE, options = SPEC, keys = RUN_KEYS, argv = { ... }, unit = "networks",
  fields = { "status" },
  check = check, plan = plan_of, prepare = prepare, train = train,
  describe = function(run) return string.format("[%s k %s C %s]", run.kind, tostring(run.k), tostring(run.C)) end,
  summary = function(rec)
    if rec.status ~= "ok" then return rec.status end
    return string.format("H %.2f, first-layer spikes %d, %s %.3f, %.1f s", rec.wd_horizon, rec.layers[1].ranks.spikes,
      rec.loss == "mse" and "test mse" or "test acc", rec.loss == "mse" and rec.test_loss or rec.test_acc, rec.wall_time)
  end,
  report = function(ctx, records) return creport.write_all(ctx.out, ctx.o, records) end,
}
