-- train.lua - how every network of problem 2 is trained, through rh.train.fit: SGD until the
-- weight-decay horizon has reached --min-horizon under the network's own weight decay and
-- every layer's rank has settled (fit's rank-convergence rule), under the --max-epochs cap,
-- raised to what the horizon needs up to --horizon-epochs (a network that stops short of the
-- horizon there is marked horizon_reached = false, not converged); or, for the dense baseline, for a
-- budget of seconds. Then a short cooldown at a lower learning rate (at lr 0.1 and batch 32
-- the test accuracy of any one moment swings by several points), after which accuracy is
-- evaluated and the singular values of fit's last rank check - one SVD per layer, the only
-- one - are what policies and reports read.
local rh = require "rankhost"
local regime = require "common.regime"

local M = {}

-- The rules of a study's options o: SGD hyper-parameters, the horizon, the rank rule (the
-- regime's options, common/regime.lua, flat as they come, and the rank rule as fit takes it).
function M.rules(o)
  local tol = (o.rank_measure == "energy" and o.tau) or (o.rank_measure == "relative" and o.tol) or nil
  local r = { weight_decay = o.weight_decay, rank = regime.rank_rule(o, tol), horizon_epochs = o.horizon_epochs }
  for _, k in ipairs(regime.KEYS) do r[k] = o[k] end
  return r
end

-- The rules in words (for the report).
function M.rule_text(r)
  return string.format("SGD (lr %g, momentum %g, batch %d) until the weight-decay horizon lr*wd*steps/(1-momentum) "
    .. "reaches %g under the network's own weight decay and %s (the cap raised to up to %d epochs where the horizon "
    .. "needs them; a network short of the horizon there is not converged)", r.lr, r.momentum, r.batch, r.min_horizon,
    regime.text(r), r.horizon_epochs or r.max_epochs)
end

-- The score every choice reads: accuracy, or for a regression task (ds.var) R^2 = 1 - MSE /
-- the targets' variance.
local function accuracy(net, ds)
  if ds.var then
    local mse = rh.train.evaluate(net, ds, { batch = 1000, loss = rh.nn.MSELoss() })
    return 1 - mse / ds.var
  end
  local _, acc = rh.train.evaluate(net, ds, { batch = 1000 })
  return acc
end

-- Trains net on task ({train, test}) under rules r with weight decay wd and learning rate lr
-- (the schedule's), seed for the batch order. With budget (seconds) the network trains for
-- that long instead, with no stop rule. Returns the record of the training:
--   seconds (training steps only, cooldown included), cooldown_seconds, samples (seen,
--   about: steps x batch), epochs, stopped, wd_horizon, ranks (at
--   the stop, before the cooldown), svals and shapes (after the cooldown: 1-D CPU tensors),
--   loss, train_acc, val_acc (task.val: what the loop's choices read), test_acc (task.test:
--   the report's alone), test_acc_before_cooldown, min_epochs. A diverged training
--   (stopped = "diverged", diverged = what) has no singular values and no accuracies.
function M.fit(net, task, r, wd, lr, seed, budget)
  local n = task.train:size()
  -- the epochs the horizon needs under this weight decay; the cap rises to let it (and one
  -- window of rank checks after it) happen, up to --horizon-epochs
  local needed = regime.min_epochs(lr, wd, r.momentum, r.batch, n, r.min_horizon)
  local cap = math.max(r.max_epochs, math.min(needed + r.rank.patience * r.rank.every, r.horizon_epochs or 0))
  local min_epochs = math.min(needed, cap)
  local crit = task.loss == "mse" and rh.nn.MSELoss() or nil
  local o = { lr = lr, momentum = r.momentum, weight_decay = wd, batch = r.batch, seed = seed, progress = false,
    loss = crit }
  if budget then
    o.max_epochs, o.max_seconds = 1000000, math.max(budget, 1e-3)
  else
    o.max_epochs, o.min_epochs = cap, min_epochs
    o.rank_converged = r.rank
  end
  local h = rh.train.fit(net, task.train, o)
  local rec = { epochs = h.epochs, stopped = h.stopped, wd_horizon = h.wd_horizon, ranks = h.ranks,
    seconds = h.train_time, loss = h[#h].loss, min_epochs = not budget and min_epochs or nil,
    diverged = h.diverged, samples = h.steps * r.batch, cooldown_seconds = 0 }
  -- converged: the horizon reached under its own weight decay, and every rank settled
  if not budget then rec.horizon_reached = (h.wd_horizon or 0) >= r.min_horizon * (1 - 1e-9) end
  rec.converged = h.stopped == "rank_converged" and rec.horizon_reached ~= false
  if h.stopped == "diverged" then return rec end
  local svals, shapes = h.svals, h.shapes
  if r.cooldown > 0 then
    rec.test_acc_before_cooldown = accuracy(net, task.test)
    -- one rank check, at the cooldown's last epoch: the singular values of the final weights
    local c = regime.cooldown(net, task.train, r, lr, wd, seed, r.rank.tol, crit)
    rec.seconds, rec.cooldown_seconds = rec.seconds + c.train_time, c.train_time
    rec.samples = rec.samples + c.steps * r.batch
    rec.wd_horizon = (rec.wd_horizon or 0) + (c.wd_horizon or 0)
    rec.loss = c[#c].loss
    if c.stopped == "diverged" then
      rec.stopped, rec.diverged = "diverged", "in the cooldown: " .. c.diverged
      return rec
    end
    svals, shapes = c.svals, c.shapes
  elseif not svals then
    -- a budget run without a cooldown: measure the final weights once
    svals, shapes = rh.rank.svals(net)
  end
  rec.svals, rec.shapes = svals, shapes
  -- validation accuracy is what the loop's choices read; test accuracy only the report
  rec.train_acc, rec.val_acc = accuracy(net, task.train_eval), accuracy(net, task.val)
  rec.test_acc = accuracy(net, task.test)
  return rec
end

return M
