-- facts.lua - the low-rank-bias grid's report as facts: the three trends of Galanti et al.
-- as Spearman's rho with its 95% interval and its sign verdict, the weight-decay-0 rank
-- against the same network at initialisation (per-seed differences, their interval and
-- verdict), the batch trend at equal horizon, how many runs settled, and the grid's cells.
-- report.lua writes the prose from these alone and facts.json holds them.
local rh = require "rankhost"
local stats = require "common.stats"
local facts = require "common.facts"
local verdicts = require "common.verdicts"
local measure = require "common.measure"

local M = {}

local function ok_runs(records)
  local out = {}
  for _, r in ipairs(records) do if r.status == "ok" then out[#out + 1] = r end end
  return out
end

-- The batch trend at equal horizon: pairs of runs with the same seed and learning rate
-- whose horizons agree (verdicts.same_horizon) but whose batch sizes differ (the larger
-- batch then has the larger weight decay); the difference rank(larger batch) - rank(smaller
-- batch) of each pair. The runs of one seed share their initial network and data order (and
-- a run can sit in more than one pair), so the pairs of a seed are not independent: the
-- differences are averaged within each seed first. Returns the per-seed mean differences
-- (one per seed, the unit of the interval), the number of pairs of runs and the number of
-- cell pairs matched.
local function matched_h(runs, rank)
  local by_seed, seeds, cells = {}, {}, {}
  local pairs_n = 0
  for _, a in ipairs(runs) do
    for _, b in ipairs(runs) do
      if a.batch < b.batch and a.seed == b.seed and a.lr == b.lr and a.weight_decay > 0 and b.weight_decay > 0
          and verdicts.same_horizon(a.wd_horizon, b.wd_horizon) then
        if not by_seed[a.seed] then by_seed[a.seed] = {}; seeds[#seeds + 1] = a.seed end
        table.insert(by_seed[a.seed], rank(b) - rank(a))
        pairs_n = pairs_n + 1
        cells[string.format("%d/%g-%d/%g", a.batch, a.weight_decay, b.batch, b.weight_decay)] = true
      end
    end
  end
  local n = 0
  for _ in pairs(cells) do n = n + 1 end
  local diffs = {}
  for i, seed in ipairs(seeds) do diffs[i] = stats.mean(by_seed[seed]) end
  return diffs, pairs_n, n
end

-- The normalised rank of the same architecture at initialisation, over the seeds (mean; runs
-- of one seed start from the same network): recorded at training (record.init), or for a
-- record written before that field existed rebuilt from its seed (common/measure.lua).
local function at_init(records, m)
  local xs, seen = {}, {}
  for _, r in ipairs(records) do
    if not seen[r.run_seed] then
      seen[r.run_seed] = true
      xs[#xs + 1] = measure.at_init(r, "normalized", m)
    end
  end
  return stats.mean(stats.values(xs))
end

-- Rank at weight decay 0 minus that of the same network at initialisation, averaged within
-- each seed (its runs differ only in batch size and share their initial network), one value
-- per seed: the unit of the interval.
local function wd0_diffs(wd0, rank, m)
  local by_seed, seeds = {}, {}
  for _, r in ipairs(wd0) do
    if not by_seed[r.run_seed] then by_seed[r.run_seed] = {}; seeds[#seeds + 1] = r.run_seed end
    table.insert(by_seed[r.run_seed], rank(r) - measure.at_init(r, "normalized", m))
  end
  local diffs = {}
  for i, seed in ipairs(seeds) do diffs[i] = stats.mean(by_seed[seed]) end
  return diffs
end

-- A trend: rho with its interval and sign, and whether the expected sign (+1: rho > 0) is
-- the one found: "holds", "reversed", "not_shown" (the interval contains 0), "undecided".
local function trend(list, fx, rank, expected)
  local xs, ys = stats.paired_values(list, fx, rank)
  local t = facts.rho(xs, ys)
  local want = expected > 0 and "positive" or "negative"
  t.expected = want
  if t.sign == want then
    t.verdict = "holds"
  elseif t.sign == "positive" or t.sign == "negative" then
    t.verdict = "reversed"
  elseif t.sign == "none" then
    t.verdict = "not_shown"
  else
    t.verdict = "undecided"
  end
  return t
end

-- The grid's cells for each learning rate: the rank's mean and interval over seeds and the
-- mean horizon.
local function grid(o, runs, rank)
  local out = {}
  for _, lr in ipairs(o.lrs) do
    local cells = {}
    for _, b in ipairs(o.batches) do
      for _, wd in ipairs(o.wds) do
        local xs, hs = {}, {}
        for _, r in ipairs(runs) do
          if r.batch == b and r.weight_decay == wd and r.lr == lr then xs[#xs + 1] = rank(r); hs[#hs + 1] = r.wd_horizon end
        end
        local cell = facts.interval(xs)
        cell.batch, cell.weight_decay, cell.horizon = b, wd, stats.mean(hs)
        cells[#cells + 1] = cell
      end
    end
    out[#out + 1] = { lr = lr, batches = o.batches, weight_decays = o.wds, cells = cells }
  end
  return out
end

function M.build(o, plan, records)
  local m = o.measure
  local runs = ok_runs(records)
  local rank = function(r) return r.network["normalized:" .. m] end
  local wdpos, wd0 = {}, {}
  for _, r in ipairs(runs) do
    if r.weight_decay > 0 then wdpos[#wdpos + 1] = r else wd0[#wd0 + 1] = r end
  end
  local f = { study = "lowrank_bias", measure = m, measure_text = rh.rank.measures[m] or "", networks = #records,
    trained = #runs, planned = #plan, architecture = runs[1] and runs[1].architecture or {}, epochs = o.epochs,
    momentum = o.momentum, dataset = runs[1] and runs[1].dataset or "", settings = facts.options(o) }
  f.trends = {
    batch = trend(wdpos, function(r) return r.batch end, rank, 1),
    weight_decay = trend(wdpos, function(r) return r.weight_decay end, rank, -1),
    -- log H: stated as a number beside the equal-horizon comparison, no verdict of its own
    horizon = facts.rho(stats.paired_values(wdpos, function(r) return math.log(r.wd_horizon) end, rank)),
  }
  if #wd0 > 0 then
    local init = at_init(runs, m)
    local d = facts.interval(wd0_diffs(wd0, rank, m))
    d.verdict, d.rule = verdicts.wd0_no_bias(d, init), verdicts.WD0_RULE
    local function pct(x) return x and init and 100 * (1 + x / init) or nil end
    f.wd0 = { rank = facts.interval(stats.values(wd0, rank)), runs = #wd0, init = init,
      rank_wd = facts.interval(stats.values(wdpos, rank)), diff = d, percent = pct(d.mean),
      percent_lo = d.half and pct(d.mean - d.half), percent_hi = d.half and pct(d.mean + d.half),
      margin = verdicts.WD0_INIT_MARGIN }
  end
  local diffs, pairs_n, cells = matched_h(wdpos, rank)
  f.equal_horizon = { diff = facts.against(diffs), pairs = pairs_n, cells = cells, match = verdicts.HORIZON_MATCH }
  f.settled = { settled = #stats.values(runs, function(r) return r.ranks_settled and 1 or nil end), runs = #runs }
  f.grid = grid(o, runs, rank)
  return f
end

return M
