-- test_verdicts.lua - every verdict rule of the study reports (scripts/common/verdicts.lua),
-- each branch: rho's sign (interval on either side, containing 0, rho = +-1 over enough and
-- too few runs, undefined and NaN rho), "follows the width", an interval's side against a
-- reference (empty, one value, NaN), memorised, the classes against architectures, whether a
-- figure crosses architectures, problem 2's bar, low-rank-bias's weight-decay-0 rule and
-- equal horizons; the one NaN rule (stats.values, stats.paired_values); the facts
-- builders (common/facts.lua) and their words (common/prose.lua); facts.json written.
local T = require "testlib"
local src = os.getenv("RH_SOURCE") or ".."
package.path = src .. "/scripts/?.lua;" .. package.path

local rh = require "rankhost"
local V = require "common.verdicts"
local stats = require "common.stats"
local facts = require "common.facts"
local prose = require "common.prose"

local NaN = 0 / 0

-- ---- the named thresholds ----
T.eq(V.FOLLOWS_WIDTH, 0.9, "follows-the-width threshold")
T.eq(V.MEMORISED_TRAIN_ACC, 0.9, "memorised threshold")
T.eq(V.RHO_PERFECT_MIN_N, 5, "rho = +-1 counts from 5 runs")
T.eq(V.BAR.acc, 0.98, "bar: accuracy"); T.eq(V.BAR.params, 0.20, "bar: parameters"); T.eq(V.BAR.time, 3, "bar: time")
for _, name in ipairs { V.RHO_SIGN_RULE, V.FOLLOWS_WIDTH_RULE, V.SIDE_RULE, V.MEMORISED_RULE, V.CLASSES_RULE,
  V.CROSSES_RULE, V.CRITERION_RULE, V.WD0_RULE } do
  T.ok(type(V.RULES[name]) == "string" and #V.RULES[name] > 10, "rule " .. name .. " is described")
end

-- ---- rho_sign ----
T.eq(V.rho_sign { rho = 0.6, lo = 0.2, hi = 0.85, n = 20 }, "positive", "interval above 0")
T.eq(V.rho_sign { rho = -0.6, lo = -0.85, hi = -0.2, n = 20 }, "negative", "interval below 0")
T.eq(V.rho_sign { rho = 0.1, lo = -0.3, hi = 0.5, n = 20 }, "none", "interval contains 0")
T.eq(V.rho_sign { rho = 1, n = 5 }, "positive", "rho = +1 over 5 runs: perfectly monotone")
T.eq(V.rho_sign { rho = -1, n = 7 }, "negative", "rho = -1 over 7 runs")
T.eq(V.rho_sign { rho = 1, n = 4 }, "no_interval", "rho = +1 over 4 runs: too few")
T.eq(V.rho_sign { rho = -1, n = 3 }, "no_interval", "rho = -1 over 3 runs: too few")
T.eq(V.rho_sign { rho = 0.8, n = 4 }, "no_interval", "a rho without an interval")
T.eq(V.rho_sign { n = 9 }, "undefined", "no rho (a constant figure)")
T.eq(V.rho_sign { rho = NaN, n = 9 }, "undefined", "NaN rho")
T.eq(V.rho_sign(nil), "undefined", "no correlation at all")
T.eq(V.rho_sign { rho = 0, n = 0 }, "no_interval", "empty group with a rho of 0: no interval")
-- from data: the same rule for a perfectly monotone list and for the intervals stats makes
local r = facts.rho({ 1, 2, 3, 4, 5 }, { 2, 4, 6, 8, 10 })
T.eq(r.rho, 1, "monotone data: rho 1"); T.eq(r.lo, nil, "rho 1: no interval"); T.eq(r.sign, "positive", "rho 1, n 5")
r = facts.rho({ 1, 2, 3, 4, 5 }, { 10, 8, 6, 4, 2 })
T.eq(r.sign, "negative", "rho -1, n 5"); T.eq(r.rule, "rho_sign", "the rule is named")
T.eq(facts.rho({ 1, 2, 3, 4 }, { 1, 2, 3, 4 }).sign, "no_interval", "rho 1, n 4")
T.eq(facts.rho({ 1, 2, 3, 4, 5 }, { 3, 3, 3, 3, 3 }).sign, "undefined", "constant figure")
T.eq(facts.rho({}, {}).sign, "undefined", "empty group"); T.eq(facts.rho({}, {}).n, 0, "empty group: n 0")

-- ---- follows_width ----
T.eq(V.follows_width { rho = 0.93, lo = 0.87, hi = 0.96, n = 48 }, "cannot tell", "interval contains 0.9")
T.eq(V.follows_width { rho = 0.95, lo = 0.91, hi = 0.97, n = 48 }, "yes", "interval above 0.9")
T.eq(V.follows_width { rho = 0.95, lo = 0.9, hi = 0.97, n = 48 }, "yes", "interval from exactly 0.9")
T.eq(V.follows_width { rho = 0.88, lo = 0.80, hi = 0.89, n = 48 }, "no", "interval below 0.9")
T.eq(V.follows_width { rho = 1, n = 48 }, "yes", "rho = 1: perfectly monotone")
T.eq(V.follows_width { rho = -1, n = 48 }, "no", "rho = -1 over many runs")
T.eq(V.follows_width { rho = 1, n = 4 }, "cannot tell", "rho = 1 over 4 runs")
T.eq(V.follows_width { rho = 0.95, n = 4 }, "cannot tell", "too few runs for an interval")
T.eq(V.follows_width { n = 48 }, "no", "a constant figure")
T.eq(V.follows_width { rho = NaN, n = 48 }, "no", "NaN rho")
T.eq(V.follows_width(nil), "no", "no correlation")

-- ---- side (a mean's interval against a reference) ----
T.eq(V.side(facts.interval { -0.5, -0.4, -0.6 }), "below", "below 0")
T.eq(V.side(facts.interval { 0.5, 0.4, 0.6 }), "above", "above 0")
T.eq(V.side(facts.interval { -0.5, 0.4, 0.1 }), "contains", "contains 0")
T.eq(V.side(facts.interval { -0.5 }), "one", "one value")
T.eq(V.side(facts.interval {}), "empty", "empty group")
T.eq(V.side(nil), "empty", "no interval at all")
T.eq(V.side(facts.interval { 1.2, 1.3, 1.25 }, 1), "above", "a ratio above 1")
T.eq(V.side(facts.interval { 0.7, 0.8, 0.75 }, 1), "below", "a ratio below 1")
T.eq(V.side(facts.interval { 0.9, 1.1, 1.0 }, 1), "contains", "a ratio around 1")
T.eq(V.side({ mean = -1, half = 1, n = 3 }), "contains", "an interval touching 0 contains it")
T.eq(V.side({ mean = -1, half = 0, n = 3 }), "below", "equal values below 0")
T.eq(V.side({ mean = NaN, half = 1, n = 3 }), "empty", "NaN mean")
T.eq(V.side({ mean = 1, half = NaN, n = 3 }), "one", "NaN half-width: no interval")
T.eq(V.side(facts.interval { NaN, NaN }), "empty", "only NaN values: empty")
local a = facts.against({ 0.5, 0.4, 0.6 })
T.eq(a.side, "above", "against: side"); T.eq(a.rule, "side", "against: rule"); T.eq(a.n, 3, "against: n")

-- ---- memorised ----
T.eq(V.memorised(0.95), true, "0.95 memorised"); T.eq(V.memorised(0.9), true, "exactly 0.9 memorised")
T.eq(V.memorised(0.89), false, "0.89 not"); T.eq(V.memorised(nil), false, "no accuracy")
T.eq(V.memorised(NaN), false, "NaN accuracy")

-- ---- classes against architectures ----
local function A(multi, replicated, consistent) return { multi = multi, replicated = replicated, consistent = consistent } end
T.eq(V.classes_vs_architecture(A(0, 3, 3)), "no_join", "no class joins architectures")
T.eq(V.classes_vs_architecture(A(0, 0, 0)), "no_join", "empty: no class at all")
T.eq(V.classes_vs_architecture(A(2, 3, 3)), "fixed", "every replicated architecture in one class")
T.eq(V.classes_vs_architecture(A(2, 4, 1)), "scatter", "1 of 4 keep their seeds: scatter")
T.eq(V.classes_vs_architecture(A(2, 4, 2)), "join", "2 of 4 (half) keep their seeds: join")
T.eq(V.classes_vs_architecture(A(2, 0, 0)), "join", "no replicates: join")
T.eq(V.seeds_scatter(A(1, 5, 2)), true, "2 of 5 scatter"); T.eq(V.seeds_scatter(A(1, 0, 0)), false, "no replicates")

-- ---- crosses_architectures ----
local v, why = V.crosses_architectures(A(2, 4, 4), "no")
T.eq(v, "crosses", "joins, keeps, does not follow: crosses"); T.eq(#why, 0, "no reasons")
v, why = V.crosses_architectures(A(2, 4, 4), "cannot tell")
T.eq(v, "undecided", "cannot tell the width alone: undecided"); T.eq(#why, 0, "undecided: no reasons")
v, why = V.crosses_architectures(A(2, 4, 4), "yes")
T.eq(v, "fails", "follows the width: fails"); T.eq(why[1], "follows_width", "reason: follows the width")
v, why = V.crosses_architectures(A(0, 4, 1), "cannot tell")
T.eq(v, "fails", "no join, scatter"); T.eq(table.concat(why, ","), "no_join,scatter,cannot_tell_width", "every reason")
v, why = V.crosses_architectures(A(0, 0, 0), "no")
T.eq(v, "fails", "empty group fails"); T.eq(table.concat(why, ","), "no_join", "empty group: no class joins")

-- ---- problem 2's bar ----
local c = V.criterion({ mean = 0.99, half = 0.005, n = 3 }, 0.98, true)
T.eq(c.met, true, "at least: met"); T.eq(c.whole, true, "at least: whole interval")
c = V.criterion({ mean = 0.985, half = 0.01, n = 3 }, 0.98, true)
T.eq(c.met, true, "met on the mean"); T.eq(c.whole, false, "but the interval crosses the bar")
c = V.criterion({ mean = 0.97, half = 0.02, n = 3 }, 0.98, true)
T.eq(c.met, false, "not met"); T.eq(c.whole, false, "not met, interval reaches the bar")
c = V.criterion({ mean = 0.1, half = 0.05, n = 3 }, 0.2, false)
T.eq(c.met, true, "at most: met"); T.eq(c.whole, true, "at most: whole interval below")
c = V.criterion({ mean = 0.25, n = 1 }, 0.2, false)
T.eq(c.met, false, "at most: not met, one seed"); T.eq(c.whole, nil, "one seed: no interval")
T.eq(V.criterion({ n = 0 }, 0.2, false).met, false, "empty group never meets the bar")
T.eq(V.criterion({ mean = NaN, n = 3 }, 0.98, true).met, false, "NaN mean does not meet the bar")
local m = V.meets_bar({ mean = 0.99, half = 0.01, n = 3 }, { mean = 0.1, half = 0.01, n = 3 }, { mean = 2, n = 3 })
T.eq(m.count, 3, "all three"); T.ok(m.acc and m.params and m.time, "each criterion")
m = V.meets_bar({ n = 0 }, { n = 0 }, { n = 0 })
T.eq(m.count, 0, "empty groups meet none")
m = V.meets_bar({ mean = 0.97, n = 3 }, { mean = 0.1, n = 3 }, { mean = 4, n = 3 })
T.eq(m.count, 1, "one of three"); T.eq(m.params, true, "parameters met")

-- ---- low-rank bias without weight decay ----
T.eq(V.wd0_no_bias({ mean = 0.01, half = 0.02, n = 3 }, 0.8), "holds", "within 5% of the initial rank")
T.eq(V.wd0_no_bias({ mean = -0.2, half = 0.02, n = 3 }, 0.8), "fails", "wholly more than 5% below")
T.eq(V.wd0_no_bias({ mean = -0.04, half = 0.02, n = 3 }, 0.8), "undecided", "reaches both sides of -5%")
T.eq(V.wd0_no_bias({ mean = -0.01, n = 1 }, 0.8), "one", "one seed")
T.eq(V.wd0_no_bias({ n = 0 }, 0.8), "empty", "no seed")
T.eq(V.wd0_no_bias({ mean = 0.01, half = 0.02, n = 3 }, nil), "empty", "no initial rank")
T.eq(V.same_horizon(1.0, 1.05), true, "horizons 5% apart are equal")
T.eq(V.same_horizon(1.0, 1.2), false, "20% apart are not"); T.eq(V.same_horizon(2, 1.9), true, "either order")
T.eq(V.wd_change(0.005, 0.005), "constant", "the same weight decay")
T.eq(V.wd_change(0.001, 0.005), "lowered", "lowered"); T.eq(V.wd_change(0.01, 0.005), "raised", "raised")
T.eq(V.wd_change(nil, 0.005), "", "no first weight decay")

-- ---- the one NaN rule ----
local xs = stats.values({ 1, NaN, 3 })
T.eq(#xs, 2, "NaN dropped"); T.eq(xs[2], 3, "order kept")
xs = stats.values({ { v = 1 }, { v = NaN }, {}, { v = 4 } }, function(t) return t.v end)
T.eq(#xs, 2, "nil and NaN dropped through f"); T.eq(xs[1] + xs[2], 5, "the usable ones")
local px, py = stats.paired_values({ { 1, 2 }, { NaN, 3 }, { 4, NaN }, { 5, 6 } }, function(p) return p[1] end,
  function(p) return p[2] end)
T.eq(#px, 2, "pairs with a NaN dropped"); T.eq(px[2] + py[2], 11, "the pair kept")
T.eq(V.usable(NaN), false, "NaN is not usable"); T.eq(V.usable(nil), false, "nil"); T.eq(V.usable(0), true, "0 is")
T.eq(facts.interval({ 2, NaN, 4 }).n, 2, "interval: NaN dropped"); T.eq(facts.interval({ 2, NaN, 4 }).mean, 3, "its mean")

-- ---- the words ----
T.eq(prose.interval(facts.interval { 1, 2, 3 }), "2 ± 2.48", "interval text: mean ± t half-width")
T.eq(prose.interval(facts.interval { 0.123456, 0.2 }, 4), "0.1617 ± 0.4863", "digits")
T.eq(prose.interval(facts.interval { 0.5 }), "0.5 (n=1)", "one value"); T.eq(prose.interval(facts.interval {}), "n/a", "none")
T.eq(prose.spread(facts.spread { 1, 2, 3, 4 }), "2.5 (IQR 1.75-3.25, n = 4)", "spread text")
T.eq(prose.spread(facts.spread {}), "n/a", "empty spread"); T.eq(prose.spread_cell(facts.spread { 1, 2, 3 }), "2 [1.5, 2.5]", "cell")
T.eq(prose.rho(facts.rho({ 1, 2, 3, 4, 5 }, { 1, 2, 3, 4, 5 })), "1.00 (n = 5, perfectly monotone)", "rho 1 text")
T.eq(prose.rho(facts.rho({ 1, 2, 3, 4 }, { 1, 2, 3, 4 })), "1.00 (n = 4, too few for an interval)", "rho 1, n 4 text")
T.eq(prose.rho(facts.rho({}, {})), "undefined (n = 0)", "undefined rho text"); T.eq(prose.rho(nil), "undefined (n = 0)", "nil")
T.eq(prose.rho({ rho = 0.5, lo = 0.1, hi = 0.8, n = 20 }), "0.50 [0.10, 0.80] (n = 20)", "rho with interval")
T.eq(prose.rho_cell({ rho = 0.5, lo = 0.1, hi = 0.8, n = 20 }), "0.50 [0.10, 0.80]", "rho cell")
T.eq(prose.rho_cell({ n = 2 }), "n/a", "undefined rho cell")
T.eq(prose.clock(75), "1 min 15 s", "clock"); T.eq(prose.clock(7.25), "7.2 s", "clock below a minute")

-- ---- facts.json ----
local dir = os.tmpname(); os.remove(dir); rh.io.mkdir_p(dir)
local name = facts.write(dir, { study = "t", x = facts.interval { 1, 2, 3 }, r = facts.rho({}, {}),
  settings = facts.options { lr = 0.1, hidden = { 8, 4 }, _private = function() end, out = "x" } })
T.eq(name, "facts.json", "file name")
local fh = assert(io.open(dir .. "/facts.json")); local back = rh.json.decode(fh:read("a")); fh:close()
T.eq(back.study, "t", "read back"); T.eq(back.x.n, 3, "an interval's n"); T.eq(back.r.sign, "undefined", "a verdict")
T.eq(back.thresholds.FOLLOWS_WIDTH, 0.9, "thresholds beside the facts"); T.eq(back.rules.side, V.RULES.side, "rules")
T.eq(back.settings.hidden[2], 4, "options: lists kept"); T.eq(back.settings._private, nil, "private options left out")
os.remove(dir .. "/facts.json"); os.remove(dir)

T.done()
