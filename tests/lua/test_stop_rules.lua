-- test_stop_rules.lua - rh.train.stop's rules as objects, fed records by hand: loss
-- saturation (threshold, min_delta, monitor, NaN), rank convergence (patience window, slack,
-- rel_slack, the verdict held between checks, the record fields it writes), all (every rule
-- updated, the verdict of all); their option checks; and a user's rules in fit's `stop`
-- option (asked every epoch, obeyed from min_epochs on, after fit's own rules, refused
-- when not a rule).
local T = require "testlib"
local stop = rh.train.stop

-- Feeds records {loss = v} (or the given records) to a rule: the list of verdicts.
local function feed(rule, records)
  local out = {}
  for i, rec in ipairs(records) do
    if type(rec) == "number" then rec = { epoch = i, loss = rec } end
    local holds, why = rule:update(rec)
    out[i] = holds and why or "-"
  end
  return table.concat(out, " ")
end

-- ---- saturation ----
do
  -- threshold 0.1: an epoch improves when the loss falls below 0.9 x the best
  local s = stop.saturation { patience = 2, threshold = 0.1 }
  T.eq(feed(s, { 1.0, 0.95, 0.92, 0.85, 0.84, 0.5 }), "- - saturated - - -",
       "two epochs without a 10% improvement saturate; an improvement resets the count")
  local rec = { loss = 0.49 }
  T.eq(s:update(rec), false, "one more without improvement")
  T.eq(rec.saturated, false, "the rule writes record.saturated")
  T.eq(s:update({ loss = 0.49 }), true, "and the second holds")
  -- min_delta: a loss near 0 that falls by 10 to 50% an epoch improves by the fraction, but
  -- by less than min_delta in absolute terms
  local fractional = stop.saturation { patience = 1, threshold = 0.1 }
  local absolute = stop.saturation { patience = 1, threshold = 0.1, min_delta = 0.01 }
  local halving = { 0.04, 0.02, 0.015, 0.012 }
  T.eq(feed(fractional, halving), "- - - -", "losses falling by over 10% never saturate by the fraction")
  T.eq(feed(absolute, halving), "- - saturated saturated", "min_delta 0.01: an improvement under 0.01 is none")
  -- the monitored loss: eval
  local ev = stop.saturation { patience = 1, monitor = "eval" }
  T.eq(feed(ev, { { loss = 3, eval_loss = 1 }, { loss = 2, eval_loss = 1 } }), "- saturated",
       "monitor eval reads record.eval_loss")
  -- a NaN loss is no improvement
  local nan = stop.saturation { patience = 2 }
  T.eq(feed(nan, { 1, 0 / 0, 0 / 0 }), "- - saturated", "NaN never improves")
  -- the default threshold is 1e-3 (relative)
  local d = stop.saturation { patience = 1 }
  T.eq(feed(d, { 1, 0.9995, 0.998 }), "- saturated -", "threshold 1e-3 by default")
  T.raises("rh.train.stop.saturation: unknown option 'patiense'; did you mean 'patience'?", stop.saturation,
           { patiense = 2 })
  T.raises("rh.train.stop.saturation: patience must be an integer >= 1, got 0", stop.saturation, { patience = 0 })
  T.raises("rh.train.stop.saturation: patience is required", stop.saturation, {})
  T.raises("rh.train.stop.saturation: threshold must be a number >= 0, got -1", stop.saturation,
           { patience = 1, threshold = -1 })
  T.raises("rh.train.stop.saturation: monitor must be", stop.saturation, { patience = 1, monitor = "test" })
  T.raises("rh.train.stop.saturation: an options table expected, got nil", stop.saturation)
end

-- ---- rank convergence ----
do
  local function check(ranks, epoch) return { epoch = epoch, ranks = ranks } end
  -- patience 3, no slack: three checks with the same ranks
  local r = stop.ranks { patience = 3 }
  local recs = { check({ 5, 3 }), check({ 4, 3 }), check({ 4, 3 }), check({ 4, 3 }), { epoch = 5 }, check({ 4, 2 }) }
  T.eq(feed(r, recs), "- - - rank_converged rank_converged -",
       "converged over the last 3 checks; a record without ranks keeps the verdict; a move ends it")
  T.eq(recs[1].rank_converged, false, "a window not yet full is not converged")
  T.eq(recs[3].rank_moved, 1, "rank_moved: the largest spread over layers in the window")
  T.eq(recs[4].rank_moved, 0, "no spread")
  T.eq(recs[5].rank_moved, nil, "nothing written on a record without ranks")
  T.eq(recs[6].rank_moved, 1, "the window's spread again")
  -- slack 1: a spread of 1 is allowed, 2 is not
  local sl = stop.ranks { patience = 2, slack = 1 }
  T.eq(feed(sl, { check({ 10 }), check({ 11 }), check({ 13 }) }), "- rank_converged -", "slack 1")
  -- rel_slack 0.05: a layer of rank 200 may move by 10, one of rank 9 by the slack (0)
  local rel = stop.ranks { patience = 2, rel_slack = 0.05 }
  T.eq(feed(rel, { check({ 200, 9 }), check({ 195, 9 }), check({ 195, 8 }) }), "- rank_converged -",
       "rel_slack: max(slack, rel_slack * rank now)")
  -- real-valued ranks (effective, stable) need a slack > 0
  local eff = stop.ranks { patience = 2, slack = 0.5 }
  T.eq(feed(eff, { check({ 3.2 }), check({ 3.6 }), check({ 4.2 }) }), "- rank_converged -", "real ranks")
  T.raises("rh.train.stop.ranks: patience must be an integer >= 2, got 1", stop.ranks, { patience = 1 })
  T.raises("rh.train.stop.ranks: rel_slack must be a number >= 0", stop.ranks, { rel_slack = -0.1 })
  T.raises("rh.train.stop.ranks: unknown option 'measure'", stop.ranks, { measure = "energy" })
  T.ok(pcall(stop.ranks), "defaults: patience 3")
end

-- ---- all: every rule updated every epoch, the verdict of all ----
do
  local s, r = stop.saturation { patience = 1 }, stop.ranks { patience = 2 }
  local both = stop.all({ s, r }, "converged")
  local recs = {
    { loss = 1, ranks = { 3 } },   -- neither
    { loss = 1, ranks = { 3 } },   -- both: saturated, ranks held over 2 checks
    { loss = 0.5, ranks = { 3 } }, -- ranks only
    { loss = 0.5 },                -- saturated, ranks held from the last check
  }
  T.eq(feed(both, recs), "- converged - converged", "all hold at once")
  T.ok(recs[3].saturated == false and recs[3].rank_converged == true,
       "both rules updated even when the first does not hold")
  T.raises("rh.train.stop.all: rule 2 must be a stop rule", stop.all, { s, {} }, "x")
  T.raises("rh.train.stop.all: a list of stop rules expected", stop.all, {}, "x")
  T.raises("rh.train.stop.all: why (the name of the stop) must be a string", stop.all, { s })
end

-- ---- a user's rules in fit ----
rh.seed(5)
local X = rh.randn(40, 3)
local labels = {}
for i = 1, 40 do labels[i] = X:get(i, 1) > 0 and 2 or 1 end
local data = { x = X, y = rh.tensor(labels) }
do
  -- a rule that holds from the epoch whose loss is under a bound: asked every epoch, in order
  local asked = {}
  local rule = { update = function(_, rec)
    asked[#asked + 1] = rec.epoch
    return rec.epoch >= 2, "mine"
  end }
  local h = rh.train.fit(rh.nn.MLP{ 3, 4, 2 }, data, { lr = 0.1, max_epochs = 9, min_epochs = 4, progress = false,
                                                    stop = { rule } })
  T.eq(h.stopped, "mine", "the rule's why is history.stopped")
  T.eq(#h, 4, "from min_epochs on")
  T.eq(table.concat(asked, ","), "1,2,3,4", "asked every epoch, with the epoch's record")
  -- fit's own rules come first: lr 0 saturates at once, the user's rule holds too
  local h2 = rh.train.fit(rh.nn.MLP{ 3, 4, 2 }, data, { lr = 0, max_epochs = 9, patience = 1, progress = false,
    stop = { { update = function(_, rec) return rec.epoch >= 2, "mine" end } } })
  T.eq(h2.stopped, "saturated", "fit's rule first when both hold")
  T.eq(#h2, 2, "both hold at epoch 2 (epoch 1 sets the best)")
  -- the record the rule sees is the one history keeps, with what fit's rules wrote
  local seen
  rh.train.fit(rh.nn.MLP{ 3, 4, 2 }, data, { lr = 0.1, max_epochs = 2, patience = 5, progress = false,
    stop = { { update = function(_, rec) seen = rec; return false, "never" end } } })
  T.ok(seen and seen.epoch == 2 and seen.saturated == false and seen.loss ~= nil, "the epoch's full record")
  -- built-in rule objects given to fit work as its options do
  local h3 = rh.train.fit(rh.nn.MLP{ 3, 4, 2 }, data, { lr = 0, max_epochs = 9, progress = false,
    stop = { stop.saturation { patience = 2 } } })
  T.eq(h3.stopped, "saturated", "stop.saturation as a user rule")
  T.eq(#h3, 3, "patience 2")
  T.raises("rh.train.fit: stop[1] must be a stop rule (an object with an update method), got table", rh.train.fit,
           rh.nn.MLP{ 3, 4, 2 }, data, { stop = { {} } })
  T.raises("rh.train.fit: stop must be a list of stop rules ({rule, ...}), got table", rh.train.fit,
           rh.nn.MLP{ 3, 4, 2 }, data, { stop = stop.saturation { patience = 2 } })
end

T.done()
