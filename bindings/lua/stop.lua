-- stop.lua - rh.train.stop: the stop rules of rh.train.fit as objects. A rule has one method,
-- rule:update(record) -> stop, why: fit calls it once after every epoch with that epoch's
-- record (docs/training.md, "History"); stop is whether the rule holds now, why the name
-- the run's history.stopped takes if it ends the run. A rule may write its own fields into the
-- record (saturated; rank_moved, rank_converged). fit asks every rule every epoch, so each
-- keeps its state, and stops on a rule only from min_epochs on.
--
--   stop.saturation{patience=, threshold=1e-3, min_delta=0, monitor="train"|"eval"}
--   stop.ranks{patience=3, slack=0, rel_slack=0}     -- reads record.ranks (fit's rank check)
--   stop.all({rule, ...}, why)                        -- holds when every rule holds at once
--   stop.norms{model=, patience=5, rel_tol=0.01, observe=false}
--                                                     -- every Linear weight's norm stationary
local B = require "rankhost.boundary"

local stop = {}

local function check_number(fname, key, v)
  if v ~= nil and (type(v) ~= "number" or not (v >= 0)) then
    B.fail("%s: %s must be a number >= 0, got %s", fname, key, tostring(v))
  end
  return v
end

-- ---- loss saturation ----

local Saturation = {}
Saturation.__index = Saturation

-- The monitored loss `L` improved when L < best - max(threshold * |best|, min_delta) (or no
-- best yet); the rule holds after `patience` epochs in a row without improvement.
function Saturation:update(rec)
  local L = self.monitor == "eval" and rec.eval_loss or rec.loss
  if L < self.best - math.max(self.threshold * math.abs(self.best), self.min_delta) or self.best == math.huge then
    self.best, self.bad = L, 0
  else
    self.bad = self.bad + 1
  end
  local saturated = self.bad >= self.patience
  rec.saturated = saturated
  return saturated, "saturated"
end

-- fname and prefix name the caller and the keys in errors ("rh.train.fit", "" for fit's own
-- keys); o's keys are checked by the caller.
function stop.new_saturation(fname, o, prefix)
  prefix = prefix or ""
  B.check_count(fname, prefix .. "patience", o.patience, 1)
  if o.patience == nil then B.fail("%s: %spatience is required", fname, prefix) end
  check_number(fname, prefix .. "threshold", o.threshold)
  check_number(fname, prefix .. "min_delta", o.min_delta)
  local monitor = o.monitor or "train"
  if monitor ~= "train" and monitor ~= "eval" then B.fail("%s: monitor must be \"train\" or \"eval\"", fname) end
  return setmetatable({ patience = o.patience, threshold = o.threshold or 1e-3, min_delta = o.min_delta or 0,
                        monitor = monitor, best = math.huge, bad = 0 }, Saturation)
end

stop.saturation = B.wrap(function(o)
  local fname = "rh.train.stop.saturation"
  if type(o) ~= "table" then B.fail("%s: an options table expected, got %s", fname, type(o)) end
  B.check_options(fname, o, { "patience", "threshold", "min_delta", "monitor" })
  return stop.new_saturation(fname, o)
end)

-- ---- rank convergence ----

local Ranks = {}
Ranks.__index = Ranks

-- On a record with ranks (one per layer: a rank check), the rule holds when for every layer
-- the largest minus the smallest of its rank over the last `patience` checks (this one
-- included) is at most max(slack, rel_slack * its rank now); record.rank_moved is the largest
-- such spread, record.rank_converged the verdict. Between checks the last verdict stands.
function Ranks:update(rec)
  local ranks = rec.ranks
  if ranks == nil then return self.holds, "rank_converged" end
  local checks = self.checks
  checks[#checks + 1] = ranks
  if #checks > self.patience then table.remove(checks, 1) end
  local moved, settled = 0, #checks >= self.patience
  for i = 1, #ranks do
    local lo, hi = math.huge, -math.huge
    for _, c in ipairs(checks) do lo, hi = math.min(lo, c[i]), math.max(hi, c[i]) end
    moved = math.max(moved, hi - lo)
    if hi - lo > math.max(self.slack, self.rel_slack * ranks[i]) then settled = false end
  end
  rec.rank_moved, rec.rank_converged = moved, settled
  self.holds = settled
  return settled, "rank_converged"
end

function stop.new_ranks(fname, o, prefix)
  prefix = prefix or ""
  B.check_count(fname, prefix .. "patience", o.patience, 2)
  check_number(fname, prefix .. "slack", o.slack)
  check_number(fname, prefix .. "rel_slack", o.rel_slack)
  return setmetatable({ patience = o.patience or 3, slack = o.slack or 0, rel_slack = o.rel_slack or 0,
                        checks = {}, holds = false }, Ranks)
end

stop.ranks = B.wrap(function(o)
  local fname = "rh.train.stop.ranks"
  if o ~= nil and type(o) ~= "table" then B.fail("%s: an options table expected, got %s", fname, type(o)) end
  o = B.check_options(fname, o, { "patience", "slack", "rel_slack" }) or {}
  return stop.new_ranks(fname, o)
end)

-- ---- weight-norm stationarity ----

local Norms = {}
Norms.__index = Norms

-- Every epoch, the Frobenius norm of each Linear layer's weight; the rule holds when over the
-- last `patience` epochs (this one included) every layer's norm spread (largest minus
-- smallest) is at most rel_tol times its norm now: the weights neither grow nor decay, so a
-- scale-invariant rank that stops moving under pure decay is not mistaken for equilibrium.
-- Writes record.norms (this epoch's), record.norm_moved (the largest relative spread) and
-- record.norms_stationary. With observe = true it writes them but never stops a run.
function Norms:update(rec)
  local norms = {}
  for i, l in ipairs(self.layers) do norms[i] = l.weight:norm() end
  local win = self.window
  win[#win + 1] = norms
  if #win > self.patience then table.remove(win, 1) end
  local moved, still = 0, #win >= self.patience
  for i = 1, #norms do
    local lo, hi = math.huge, -math.huge
    for _, w in ipairs(win) do lo, hi = math.min(lo, w[i]), math.max(hi, w[i]) end
    local rel = norms[i] > 0 and (hi - lo) / norms[i] or 0
    moved = math.max(moved, rel)
    if rel > self.rel_tol then still = false end
  end
  rec.norms, rec.norm_moved, rec.norms_stationary = norms, moved, still
  return still and not self.observe, "norms_stationary"
end

stop.norms = B.wrap(function(o)
  local fname = "rh.train.stop.norms"
  if type(o) ~= "table" then B.fail("%s: an options table expected, got %s", fname, type(o)) end
  B.check_options(fname, o, { "model", "patience", "rel_tol", "observe" })
  local model = o.model
  if (type(model) ~= "table" and type(model) ~= "userdata") or type(model.linear_layers) ~= "function" then
    B.fail("%s: model must be a network with linear_layers(), got %s", fname, type(model))
  end
  B.check_count(fname, "patience", o.patience, 2)
  check_number(fname, "rel_tol", o.rel_tol)
  local layers = model:linear_layers()
  if #layers == 0 then B.fail("%s: model has no Linear layer", fname) end
  return setmetatable({ layers = layers, patience = o.patience or 5, rel_tol = o.rel_tol or 0.01,
                        observe = o.observe == true, window = {} }, Norms)
end)

-- ---- all of several rules at once ----

local All = {}
All.__index = All

-- Every rule is updated (each keeps its state), then the verdict: all hold.
function All:update(rec)
  local all = true
  for _, r in ipairs(self.rules) do
    if not r:update(rec) then all = false end
  end
  return all, self.why
end

-- fname: the caller named in errors.
function stop.check_rule(fname, r, what)
  if (type(r) ~= "table" and type(r) ~= "userdata") or type(r.update) ~= "function" then
    B.fail("%s: %s must be a stop rule (an object with an update method), got %s", fname, what, type(r))
  end
  return r
end

function stop.new_all(rules, why) return setmetatable({ rules = { table.unpack(rules) }, why = why }, All) end

stop.all = B.wrap(function(rules, why)
  local fname = "rh.train.stop.all"
  if type(rules) ~= "table" or #rules == 0 then B.fail("%s: a list of stop rules expected", fname) end
  for i, r in ipairs(rules) do stop.check_rule(fname, r, "rule " .. i) end
  if type(why) ~= "string" then B.fail("%s: why (the name of the stop) must be a string, got %s", fname, type(why)) end
  return stop.new_all(rules, why)
end)

return stop
