-- test_problem1_equilibrium.lua - problem 1's convergence as equilibrium (issue 22 item 4):
-- on constructed records fed to rh.train.stop objects, a run whose loss has saturated and
-- whose ranks have settled while its weights still shrink (pure decay) is not "converged"
-- under problem 1's rule (loss, ranks and problem1/train.lua's equilibrium rules: the weight
-- norms), though it is under loss and ranks alone; it converges once the norms stand still.
-- fit's `also` joins such rules to its own (every one must hold at the same epoch) and refuses
-- what is not a rule. The rank rule watches the headline measure (--rank-measure auto), a
-- continued study keeps its recorded one, and an explicit --rank-measure overrides.
local T = require "testlib"
local src = os.getenv("RH_SOURCE") or ".."
package.path = src .. "/scripts/?.lua;" .. package.path
local rh = require "rankhost"
local trainer = require "problem1.train"
local settings = require "problem1.settings"
local options = require "common.options"
local verdicts = require "common.verdicts"
local stop = rh.train.stop

-- problem 1's rule as fit composes it (saturation, ranks, then `also`), and the rule without
-- the norms, over the same records
local model = rh.nn.MLP { 6, 5, 3 }
local function rules(with_norms)
  local list = { stop.saturation { patience = 3, threshold = 0.01, min_delta = 1e-3 },
    stop.ranks { patience = 3, slack = 1, rel_slack = 0.05 } }
  if with_norms then for _, r in ipairs(trainer.equilibrium(model)) do list[#list + 1] = r end end
  return stop.all(list, "converged")
end
local full, loss_and_ranks = rules(true), rules(false)
local function epoch(e)
  -- the same loss and ranks every epoch: saturated and settled as far as those rules see
  local a, b = { epoch = e, loss = 0.5, ranks = { 4, 3 } }, { epoch = e, loss = 0.5, ranks = { 4, 3 } }
  local f, why = full:update(a)
  local g = loss_and_ranks:update(b)
  return f and why or "-", g and "converged" or "-", a
end
local seen_full, seen_lr = {}, {}
local last
for e = 1, 12 do -- pure decay: every weight shrinks by 2% an epoch (above NORM_REL_TOL 1%)
  for _, l in ipairs(model:linear_layers()) do l.weight:mul_(0.98) end
  seen_full[e], seen_lr[e], last = epoch(e)
end
T.ok(verdicts.NORM_REL_TOL < 0.02, "a 2% shrink an epoch is more than the norm rule's tolerance")
T.eq(seen_lr[12], "converged", "loss and ranks alone call the shrinking run converged")
T.eq(table.concat(seen_full, " "), ("- "):rep(11) .. "-", "with the norms required it is never converged")
T.eq(last.saturated, true, "the loss has saturated"); T.eq(last.rank_converged, true, "the ranks have settled")
T.eq(last.norms_stationary, false, "the norms have not")
T.ok(last.norm_moved > verdicts.NORM_REL_TOL, "norm_moved: the spread of the shrinking norms")
-- the decay stops: converged once NORM_PATIENCE epochs of unchanged norms are in the window
local after = {}
for e = 13, 13 + verdicts.NORM_PATIENCE - 1 do after[#after + 1] = (epoch(e)) end
-- (the last shrunk epoch's norms are the first of the window's NORM_PATIENCE equal ones)
T.eq(table.concat(after, " "), ("- "):rep(verdicts.NORM_PATIENCE - 2) .. "converged converged",
  "converged once NORM_PATIENCE epochs of equal norms are in the window")

-- ---- fit's `also`: its rules must hold too ----
rh.seed(3)
local X = rh.randn(48, 6)
local labels = {}
for i = 1, 48 do labels[i] = X:get(i, 1) > 0 and 2 or 1 end
local data = { x = X, y = rh.tensor(labels) }
local function fit(also)
  rh.seed(4)
  local net = rh.nn.MLP { 6, 5, 2 }
  -- lr 0: nothing moves, so the loss saturates and the ranks settle at once
  return rh.train.fit(net, data, { lr = 0, max_epochs = 12, patience = 2, progress = false,
    rank_converged = { measure = "numerical", patience = 2 }, also = also and also(net) or nil })
end
local h0 = fit(nil)
T.eq(h0.stopped, "converged", "loss and ranks: converged"); T.eq(h0.epochs, 3, "at epoch 3")
local never = { update = function() return false, "never" end }
local h1 = fit(function() return { never } end)
T.eq(h1.stopped, "max_epochs", "a rule in `also` that never holds: the run goes to the cap")
local h2 = fit(function(net) return trainer.equilibrium(net) end)
T.eq(h2.stopped, "converged", "stationary norms (lr 0): converged")
T.eq(h2.epochs, verdicts.NORM_PATIENCE, "once the norm window is full")
T.eq(h2[#h2].norms_stationary, true, "the record says so")
T.raises("rh.train.fit: also[1] must be a stop rule", rh.train.fit, rh.nn.MLP { 6, 5, 2 }, data, { also = { {} } })
T.raises("rh.train.fit: also must be a non-empty list of stop rules", rh.train.fit, rh.nn.MLP { 6, 5, 2 }, data,
  { also = stop.saturation { patience = 2 } })

-- ---- the measure the rank rule watches ----
local function settled(argv, recorded)
  local o = assert(options.parse(settings.SPEC, argv))
  T.eq(settings.check(o), nil, "valid settings")
  settings.settle_rank_measure(o, recorded)
  return o
end
local o = settled({})
T.eq(o.rank_measure, o.measure, "--rank-measure auto: the headline measure")
T.ok(o.rank_measure ~= "auto", "resolved")
T.eq(settled({ "--measure", "stable" }).rank_measure, "stable", "the headline measure the user chose")
T.eq(settled({ "--rank-measure", "energy" }).rank_measure, "energy", "an explicit --rank-measure overrides")
T.eq(settled({}, { settings = { rank_measure = "energy" } }).rank_measure, "energy",
  "a continued study keeps the recorded one")

T.done()
