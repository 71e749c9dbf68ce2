-- train.lua - one problem 1 run: an MLP trained by rh.train.fit until its training loss has
-- saturated, every layer's rank under the headline measure has converged and every weight's
-- norm is stationary (all three at once, from the epoch its
-- weight-decay horizon reaches --min-horizon), under the --max-epochs cap; then a short
-- cooldown at a lower learning rate (SGD at lr 0.1 and batch 32 leaves the test accuracy of
-- any one moment noisy), and the measurement of its convergent rank.
--
-- Every rank comes from the singular values fit computed at its last check: one SVD per
-- layer and no other (rh.rank.all and rh.rank.network take singular values). The record
-- keeps every measure of every layer, whole-network figures that compare across
-- architectures (docs/problem1.md), and how the run ended: converged, or not (the cap).
local rh = require "rankhost"
local regime = require "common.regime"
local measure = require "common.measure"
local space = require "problem1.space"
local verdicts = require "common.verdicts"

local M = {}

-- The whole-network figures of a run (per measure m, "figure:m" keys of its network): those
-- of common/measure.lua's registry (measure.FIGURES; docs/problem1.md), here in summary.csv's order.
M.FIGURES = measure.figures("record")

local pick, evaluate = measure.pick, measure.evaluate

-- The epochs a run must train before it may stop: enough steps for the weight-decay horizon
-- to reach --min-horizon at the study's weight decay (a wd0 twin trains as many epochs as
-- its twin must, so the two differ in weight decay alone).
function M.min_epochs(o, n, run)
  if run and run.kind == "long" then
    -- the equilibrium check trains on to --long-horizon, whatever the cap
    return regime.min_epochs(o.lr, o.weight_decay, o.momentum, o.batch, n, o.long_horizon, math.huge)
  end
  return regime.min_epochs(o.lr, o.weight_decay, o.momentum, o.batch, n, o.min_horizon, o.max_epochs)
end

-- The cap of a run: --max-epochs, and for a wd0 twin --wd0-epochs (0: twice the minimum of
-- a wd>0 run on the same data, never above --max-epochs). Without weight decay the training
-- loss can keep falling for hundreds of epochs; the twin is compared at a step count at
-- least that of its wd>0 twin, which most often stops soon after its minimum.
function M.max_epochs(o, run, n)
  if run.kind == "long" then return math.max(o.max_epochs, math.ceil(1.5 * M.min_epochs(o, n, run))) end
  if run.kind ~= "wd0" then return o.max_epochs end
  local least = M.min_epochs(o, n)
  local cap = o.wd0_epochs > 0 and o.wd0_epochs or least > 0 and 2 * least or o.max_epochs
  return math.max(1, math.min(o.max_epochs, cap))
end

-- The rules that must hold with loss saturation and rank convergence for a run to have
-- converged (fit's `also`): every Linear weight's norm stationary (verdicts.NORM_PATIENCE
-- epochs within verdicts.NORM_REL_TOL), so that a scale-invariant rank that stops moving while
-- pure decay shrinks the weights is not taken for equilibrium.
function M.equilibrium(model)
  return { rh.train.stop.norms { model = model, patience = verdicts.NORM_PATIENCE, rel_tol = verdicts.NORM_REL_TOL } }
end

-- The stop rules, in words (recorded with every run and in config.json).
function M.rule_text(o)
  return string.format("from the epoch where the weight-decay horizon reaches %g (the same epoch for a wd0 twin), "
    .. "training stops when all hold at once: the training loss (epoch mean) improved by less than %g relative to "
    .. "the best (or by less than %g) for %d epochs, every Linear weight's norm moved by at most %g of itself over "
    .. "the last %d epochs, and %s (a run stopped by the cap has not converged; wd0 twins stop after %s).",
    o.min_horizon, o.sat_tol, o.sat_min_delta, o.sat_patience, verdicts.NORM_REL_TOL, verdicts.NORM_PATIENCE, regime.text(o),
    o.wd0_epochs > 0 and (o.wd0_epochs .. " epochs") or "twice the minimum epochs of a wd>0 run")
end

local function fmt_ranks(r)
  local parts = {}
  for i, v in ipairs(r or {}) do parts[i] = string.format(math.type(v) == "integer" and "%d" or "%.1f", v) end
  return table.concat(parts, "-")
end

-- Trains run `run` (problem1/plan.lua) on `task` (problem1/tasks.lua) under settings o.
-- Each epoch is appended to history_path; say(text) prints a progress line. Returns the
-- run's record (runs.jsonl).
function M.train(run, task, o, history_path, say)
  local t0 = rh.clock()
  rh.seed(run.run_seed)
  local model = rh.nn.MLP(run.sizes)
  local n = task.train:size()
  local min_epochs, max_epochs = M.min_epochs(o, n, run), M.max_epochs(o, run, n)
  local opt = rh.optim.SGD(model, { lr = o.lr, momentum = o.momentum, weight_decay = run.weight_decay })
  local record = {
    id = run.id, index = run.index, kind = run.kind, draw = run.draw, level = run.level, seed_index = run.seed_index,
    twin = run.twin, teacher_rank = run.kind == "teacher" and run.level or nil, run_seed = run.run_seed,
    sweep_seed = o.seed, dataset = task.dataset, architecture = run.sizes, depth = #run.sizes - 2,
    num_parameters = space.num_parameters(run.sizes),
    label_noise = run.kind == "random" and 1 or run.kind == "noise" and run.level or 0,
    -- the regime's options (common/regime.lua), then this run's own
    hyper = {},
    rule = "converged", saturation = M.rule_text(o),
  }
  for _, k in ipairs(regime.KEYS) do record.hyper[k] = o[k] end
  local hyper = record.hyper
  hyper.weight_decay, hyper.max_epochs, hyper.min_epochs = run.weight_decay, max_epochs, min_epochs
  hyper.sat_patience, hyper.sat_tol, hyper.sat_min_delta = o.sat_patience, o.sat_tol, o.sat_min_delta
  hyper.train_size, hyper.test_size = n, task.test:size()
  -- the ranks at initialisation: every kind of run keeps its own baseline
  record.init = measure.initial(model)
  -- a fresh history: a run that was interrupted is trained again from its start
  local history = rh.log.jsonl(history_path, { sync = false })
  local last_say = -math.huge
  local h = rh.train.fit(model, task.train, {
    optimizer = opt, batch = o.batch, seed = run.run_seed, min_epochs = math.min(min_epochs, max_epochs),
    max_epochs = max_epochs,
    patience = o.sat_patience, threshold = o.sat_tol, min_delta = o.sat_min_delta, progress = false,
    rank_converged = regime.rank_rule(o),
    -- convergence as equilibrium (issue 22 item 4): the weight norms stationary too, at the
    -- same epoch as the loss and rank rules (M.equilibrium)
    also = M.equilibrium(model),
    callback = function(epoch, rec)
      local line = { epoch = epoch, loss = rec.loss, acc = rec.accuracy, wd_horizon = rec.wd_horizon, lr = rec.lr,
        time = rh.clock() - t0, saturated = rec.saturated, rank_converged = rec.rank_converged }
      if rec.svals then
        -- every measure of every layer from the check's singular values (no SVD more)
        line.layers = {}
        for i, s in ipairs(rec.svals) do
          local r = rh.rank.all(s, { shape = rec.shapes[i] })
          line.layers[i] = { ranks = pick(r) }
        end
        line.ranks = rec.ranks
        local _, acc = evaluate(model, task.test)
        line.test_acc = acc
      end
      line.id = run.id -- every JSON line names its run (docs/results.md)
      history:write(line)
      if rh.clock() - last_say >= o.progress_every or epoch == 1 then
        last_say = rh.clock()
        say(string.format("%s epoch %d/%d loss %.4f acc %.3f H %.2f%s", run.id, epoch, max_epochs, rec.loss,
          rec.accuracy or 0, rec.wd_horizon or 0, rec.ranks and (" " .. o.rank_measure .. " ranks " .. fmt_ranks(rec.ranks)) or ""))
      end
    end,
  })
  -- every way out closes the history and times the run
  local function ended()
    history:close()
    record.wall_time = rh.clock() - t0
    return record
  end
  record.stopped, record.epochs, record.steps = h.stopped, h.epochs, h.steps
  record.wd_horizon = h.wd_horizon
  record.saturated = h[#h].saturated == true
  record.norms_stationary, record.norm_moved = h[#h].norms_stationary == true, h[#h].norm_moved
  record.ranks_at_stop = h.ranks
  if h.stopped == "diverged" then
    record.status, record.converged = "diverged at step " .. h.diverged_step, false
    record.diverged, record.diverged_step = h.diverged, h.diverged_step
    return ended()
  end
  record.status = "ok"
  record.converged = h.stopped == "converged"
  -- the cooldown: the same weight decay at a lower learning rate, for a measurement that does
  -- not depend on where in SGD's noise the run happened to stop
  local svals = h.svals
  local before = o.cooldown > 0 and select(2, evaluate(model, task.test)) or nil
  local hc = regime.cooldown(model, task.train, o, o.lr, run.weight_decay, run.run_seed)
  if hc then
    if hc.stopped == "diverged" then
      record.status, record.converged = "diverged at step " .. (h.steps + hc.diverged_step), false
      record.diverged = "in the cooldown: " .. hc.diverged
      return ended()
    end
    svals = hc.svals
    record.wd_horizon = h.wd_horizon + (hc.wd_horizon or 0)
    record.test_acc_before_cooldown = before
    record.ranks_after_cooldown = hc.ranks
  end
  record.final, record.layers, record.network = measure.model(model, task, svals)
  if o.save_weights ~= false then -- the final weights: <out>/weights/<id>.safetensors (docs/problem1.md)
    local dir = (history_path:match("^(.*)/history/[^/]*$") or ".") .. "/weights"
    rh.io.mkdir_p(dir)
    rh.checkpoint.save(dir .. "/" .. run.id .. ".safetensors", { model = model, meta = { study = "problem1", id = run.id,
      seed = run.run_seed, iteration = h.steps + (hc and hc.steps or 0), epochs = h.epochs, sweep_seed = o.seed } })
  end
  -- a task may measure more of the trained model (the memorisation grid's memorised fraction)
  if task.after then task.after(model, record) end
  return ended()
end

return M
