-- train.lua - how every network of problem 2 is trained, through rh.train.fit: SGD until the
-- weight-decay horizon has reached --min-horizon and every layer's rank has settled (fit's
-- rank-convergence rule), under the --max-epochs cap; or, for the dense baseline, for a
-- budget of seconds. Then a short cooldown at a lower learning rate (at lr 0.1 and batch 32
-- the test accuracy of any one moment swings by several points), after which accuracy is
-- evaluated and the singular values of fit's last rank check - one SVD per layer, the only
-- one - are what policies and reports read.
local rh = require "rankhost"

local M = {}

-- The rules of a study's options o: SGD hyper-parameters, the horizon, the rank rule.
function M.rules(o)
  local tol = (o.rank_measure == "energy" and o.tau) or (o.rank_measure == "relative" and o.tol) or nil
  return { lr = o.lr, momentum = o.momentum, weight_decay = o.weight_decay, batch = o.batch,
    min_horizon = o.min_horizon, max_epochs = o.max_epochs, cooldown = o.cooldown, cooldown_factor = o.cooldown_factor,
    rank = { measure = o.rank_measure, tol = tol, patience = o.rank_patience, every = o.rank_every,
      slack = o.rank_slack, rel_slack = o.rank_rel_slack } }
end

-- Epochs of n samples until the horizon lr*wd*steps/(1-momentum) reaches h (0 without decay).
local function horizon_epochs(lr, wd, momentum, batch, n, h)
  local per_epoch = lr * wd / (1 - momentum) * math.ceil(n / batch)
  if per_epoch <= 0 then return 0 end
  return math.ceil(h / per_epoch - 1e-9)
end

-- The rules in words (for the report).
function M.rule_text(r)
  return string.format("SGD (lr %g, momentum %g, batch %d) until the weight-decay horizon lr*wd*steps/(1-momentum) "
    .. "reaches %g and no layer's %s rank has moved by more than max(%g, %g x rank) over the last %d checks (one every "
    .. "%d epochs), at most %d epochs; then %d cooldown epochs at %g x lr", r.lr, r.momentum, r.batch, r.min_horizon,
    r.rank.measure, r.rank.slack, r.rank.rel_slack, r.rank.patience, r.rank.every, r.max_epochs, r.cooldown,
    r.cooldown_factor)
end

local function accuracy(net, ds)
  local _, acc = rh.train.evaluate(net, ds, { batch = 1000 })
  return acc
end

-- Trains net on task ({train, test}) under rules r with weight decay wd and learning rate lr
-- (the schedule's), seed for the batch order. With budget (seconds) the network trains for
-- that long instead, with no stop rule. Returns the record of the training:
--   seconds (training steps only, cooldown included), cooldown_seconds, samples (seen,
--   about: steps x batch), epochs, stopped, wd_horizon, ranks (at
--   the stop, before the cooldown), svals and shapes (after the cooldown: 1-D CPU tensors),
--   loss, train_acc, test_acc, test_acc_before_cooldown, min_epochs. A diverged training
--   (stopped = "diverged", diverged = what) has no singular values and no accuracies.
function M.fit(net, task, r, wd, lr, seed, budget)
  local n = task.train:size()
  local min_epochs = math.min(r.max_epochs, horizon_epochs(lr, wd, r.momentum, r.batch, n, r.min_horizon))
  local o = { lr = lr, momentum = r.momentum, weight_decay = wd, batch = r.batch, seed = seed, progress = false }
  if budget then
    o.max_epochs, o.max_seconds = 1000000, math.max(budget, 1e-3)
  else
    o.max_epochs, o.min_epochs = r.max_epochs, min_epochs
    o.rank_converged = { measure = r.rank.measure, tol = r.rank.tol, patience = r.rank.patience, every = r.rank.every,
      slack = r.rank.slack, rel_slack = r.rank.rel_slack }
  end
  local h = rh.train.fit(net, task.train, o)
  local rec = { epochs = h.epochs, stopped = h.stopped, wd_horizon = h.wd_horizon, ranks = h.ranks,
    seconds = h.train_time, loss = h[#h].loss, min_epochs = not budget and min_epochs or nil,
    diverged = h.diverged, samples = h.steps * r.batch, cooldown_seconds = 0 }
  rec.converged = h.stopped == "rank_converged"
  if h.stopped == "diverged" then return rec end
  local svals, shapes = h.svals, h.shapes
  if r.cooldown > 0 then
    rec.test_acc_before_cooldown = accuracy(net, task.test)
    -- one rank check, at the cooldown's last epoch: the singular values of the final weights
    local c = rh.train.fit(net, task.train, { lr = lr * r.cooldown_factor, momentum = r.momentum, weight_decay = wd,
      batch = r.batch, seed = seed + 7919, max_epochs = r.cooldown, progress = false,
      rank_converged = { measure = r.rank.measure, tol = r.rank.tol, every = r.cooldown, patience = 2 } })
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
    svals, shapes = {}, {}
    for i, l in ipairs(net:linear_layers()) do
      svals[i], shapes[i] = rh.linalg.svdvals(l.weight):to("cpu"), l.weight:shape()
    end
  end
  rec.svals, rec.shapes = svals, shapes
  rec.train_acc, rec.test_acc = accuracy(net, task.train_eval), accuracy(net, task.test)
  return rec
end

return M
