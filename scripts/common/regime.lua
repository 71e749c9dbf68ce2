-- regime.lua - how the studies train a network in the regime where weight decay acts and
-- rank converges (docs/problem1.md measures it): SGD, no stop before the weight-decay
-- horizon H = lr*wd*steps/(1-momentum) reaches --min-horizon, fit's rank-convergence rule
-- (one SVD per layer per check), a cap, then a short cooldown at a lower learning rate
-- before anything is measured (at lr 0.1 and batch 32 the test accuracy of any one moment
-- swings by several points). Problems 1 and 2 share the options and the steps; each adds
-- its own stop rules (problem 1 also waits for the loss to saturate).
local rh = require "rankhost"

local M = {}

-- The command-line options of the regime (common/options.lua spec entries), in the order
-- --help lists them. Weight decay is each study's own option (its meaning differs).
M.SPEC = {
  { name = "lr", type = "number", default = 0.1, min = 0, help = "SGD learning rate" },
  { name = "momentum", type = "number", default = 0, min = 0, max = 0.99, help = "SGD momentum" },
  { name = "batch", type = "int", default = 32, min = 1, help = "minibatch size" },
  { name = "min-horizon", type = "number", default = 4, min = 0, metavar = "H",
    help = "no run stops before its weight-decay horizon lr*wd*steps/(1-momentum) reaches H (or --max-epochs)" },
  { name = "max-epochs", type = "int", default = 150, min = 1,
    help = "the cap: a run still moving here has not converged" },
  { name = "rank-measure", type = "choice", choices = rh.rank.measure_names,
    default = "energy", help = "rank convergence: the measure watched" },
  { name = "rank-patience", type = "int", default = 5, min = 2, help = "rank convergence: checks in the window" },
  { name = "rank-every", type = "int", default = 2, min = 1, help = "rank convergence: epochs between checks" },
  { name = "rank-slack", type = "number", default = 1, min = 0,
    help = "rank convergence: a layer's rank may move by max(slack, rel-slack * rank) over the window" },
  { name = "rank-rel-slack", type = "number", default = 0.05, min = 0, help = "rank convergence: see --rank-slack" },
  { name = "cooldown", type = "int", default = 5, min = 0,
    help = "epochs at lr * --cooldown-factor after convergence, before accuracy and ranks are measured" },
  { name = "cooldown-factor", type = "number", default = 0.1, min = 0, max = 1, help = "cooldown learning-rate factor" },
}
-- Their keys in a parsed options table (for a study's RUN_KEYS).
M.KEYS = { "lr", "momentum", "batch", "min_horizon", "max_epochs", "rank_measure", "rank_patience", "rank_every",
  "rank_slack", "rank_rel_slack", "cooldown", "cooldown_factor" }

-- A study's RUN_KEYS (the settings it may only be continued under): its own keys, then the
-- regime's (every one of them changes what a run computes).
function M.run_keys(own)
  local keys = {}
  for _, k in ipairs(own) do keys[#keys + 1] = k end
  for _, k in ipairs(M.KEYS) do keys[#keys + 1] = k end
  return keys
end

-- A study's spec: its own entries with the regime's spliced in where `marker` (an entry
-- { regime = true }) stands; an entry of the study's with a regime name overrides it.
function M.splice(spec)
  local own = {}
  for _, e in ipairs(spec) do if e.name then own[e.name] = true end end
  local out = {}
  for _, e in ipairs(spec) do
    if e.regime then
      for _, r in ipairs(M.SPEC) do if not own[r.name] then out[#out + 1] = r end end
    else
      out[#out + 1] = e
    end
  end
  return out
end

-- Epochs of n samples until the horizon reaches h (0 without weight decay), at most cap.
function M.min_epochs(lr, wd, momentum, batch, n, h, cap)
  local per_epoch = lr * wd / (1 - momentum) * math.ceil(n / batch)
  if per_epoch <= 0 then return 0 end
  return math.min(cap or math.huge, math.ceil(h / per_epoch - 1e-9))
end

-- fit's rank_converged table from the options o (tol: the measure's tolerance, or nil).
function M.rank_rule(o, tol)
  return { measure = o.rank_measure, tol = tol, patience = o.rank_patience, every = o.rank_every, slack = o.rank_slack,
    rel_slack = o.rank_rel_slack }
end

-- The cooldown: o.cooldown epochs at lr * o.cooldown_factor with the same weight decay (and
-- the training's loss, cross-entropy unless given), one rank check at its end (the singular values of the final weights). Returns fit's history
-- (check .stopped for "diverged"), or nil when o.cooldown is 0.
function M.cooldown(model, train, o, lr, wd, seed, tol, loss)
  if o.cooldown <= 0 then return nil end
  return rh.train.fit(model, train, { lr = lr * o.cooldown_factor, momentum = o.momentum, weight_decay = wd,
    batch = o.batch, seed = seed + 7919, max_epochs = o.cooldown, progress = false, loss = loss,
    rank_converged = { measure = o.rank_measure, tol = tol, every = o.cooldown, patience = 2 } })
end

-- The regime in words: the rank rule, the cap and the cooldown.
function M.text(o)
  return string.format("no layer's %s rank moved by more than max(%g, %g x rank) over the last %d checks (one every %d "
    .. "epochs), at most %d epochs; then %d cooldown epochs at %g x lr", o.rank_measure, o.rank_slack,
    o.rank_rel_slack, o.rank_patience, o.rank_every, o.max_epochs, o.cooldown, o.cooldown_factor)
end

return M
