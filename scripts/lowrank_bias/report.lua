-- report.lua - the low-rank-bias grid's grid.csv, figures and report.md. The three trends of
-- Galanti et al. are each stated as holding or not from a Spearman correlation and its 95%
-- interval over the runs (or, for weight decay 0, from the rank against that of the same
-- network at initialisation, seed by seed, with its interval over seeds); the horizon H each
-- run reached is reported beside, with the batch trend at equal H (runs whose horizons agree,
-- compared pair by pair and averaged within each seed).
local rh = require "rankhost"
local stats = require "common.stats"
local doc = require "common.report"
local measure = require "common.measure"

local M = {}
local num = doc.num

local function ok_runs(records)
  local out = {}
  for _, r in ipairs(records) do if r.status == "ok" then out[#out + 1] = r end end
  return out
end

local function fig(r, f, m) return r.network[f .. ":" .. m] end
local function first_layer(r, m) return r.layers[1].ranks[m] end

-- grid.csv: one row per network.
function M.rows(records, m)
  local header = { "batch", "lr", "weight_decay", "seed", "epochs", "steps", "wd_horizon", "measure", "normalized_rank",
    "bottleneck_rank", "last_hidden_rank", "first_layer_rank", "train_accuracy", "test_accuracy", "ranks_settled",
    "status", "id" }
  local rows = {}
  for _, r in ipairs(records) do
    local ok = r.status == "ok"
    rows[#rows + 1] = { r.batch, r.lr, r.weight_decay, r.seed, r.epochs, r.steps, r.wd_horizon, m,
      ok and fig(r, "normalized", m) or nil, ok and fig(r, "bottleneck", m) or nil, ok and fig(r, "last_hidden", m) or nil,
      ok and first_layer(r, m) or nil, ok and r.final.train_acc or nil, ok and r.final.test_acc or nil,
      ok and r.ranks_settled or nil, r.status, r.id }
  end
  return header, rows
end

-- The batch trend at equal horizon: pairs of runs with the same seed and learning rate
-- whose horizons agree within 10% but whose batch sizes differ (the larger batch then has
-- the larger weight decay); the difference rank(larger batch) - rank(smaller batch) of each
-- pair. The runs of one seed share their initial network and data order (and a run can sit
-- in more than one pair), so the pairs of a seed are not independent: the differences are
-- averaged within each seed first. Returns the per-seed mean differences (one per seed, the
-- unit of the interval), the number of pairs of runs and the number of cell pairs matched.
local function matched_h(runs, rank)
  local by_seed, seeds, cells = {}, {}, {}
  local pairs_n = 0
  for _, a in ipairs(runs) do
    for _, b in ipairs(runs) do
      if a.batch < b.batch and a.seed == b.seed and a.lr == b.lr and a.weight_decay > 0 and b.weight_decay > 0
          and math.abs(math.log(a.wd_horizon / b.wd_horizon)) < math.log(1.1) then
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

local function corr(xs, ys)
  local rho, lo, hi = stats.spearman_ci(xs, ys)
  return { rho = rho, lo = lo, hi = hi, n = #xs }
end

local function rho_text(s)
  if not s or s.rho == nil then return "undefined" end
  if s.lo then return string.format("%.2f [%.2f, %.2f] (n = %d)", s.rho, s.lo, s.hi, s.n) end
  return string.format("%.2f (n = %d, no interval)", s.rho, s.n)
end

-- "holds" when the interval lies on the side `sign` (+1: rho > 0), "reversed" when on the
-- other side, else "not shown".
local function verdict(s, sign)
  if not s or s.rho == nil or not s.lo then return "cannot be decided (too few runs or no interval)" end
  if (sign > 0 and s.lo > 0) or (sign < 0 and s.hi < 0) then return "**holds**" end
  if (sign > 0 and s.hi < 0) or (sign < 0 and s.lo > 0) then return "**is reversed**" end
  return "**is not shown** (the interval contains 0)"
end

-- The normalised rank of the same architecture at initialisation, over the seeds (mean; runs
-- of one seed start from the same network): recorded at training (record.init), or for a
-- record written before that field existed rebuilt from its seed (common/measure.lua).
local function at_init(o, records, m)
  local xs = {}
  local seen = {}
  for _, r in ipairs(records) do
    if not seen[r.run_seed] then
      seen[r.run_seed] = true
      xs[#xs + 1] = measure.at_init(r, "normalized", m)
    end
  end
  return stats.mean(xs)
end

-- Rank at weight decay 0 minus that of the same network at initialisation, averaged within
-- each seed (its runs differ only in batch size and share their initial network), one value
-- per seed: the unit of the interval.
local function wd0_diffs(o, wd0, rank, m)
  local by_seed, seeds = {}, {}
  for _, r in ipairs(wd0) do
    if not by_seed[r.run_seed] then by_seed[r.run_seed] = {}; seeds[#seeds + 1] = r.run_seed end
    table.insert(by_seed[r.run_seed], rank(r) - measure.at_init(r, "normalized", m))
  end
  local diffs = {}
  for i, seed in ipairs(seeds) do diffs[i] = stats.mean(by_seed[seed]) end
  return diffs
end

function M.write_all(out, o, plan, records)
  local m = o.measure
  local written = {}
  local function put(name, text) doc.write(out .. "/" .. name, text); written[#written + 1] = name end
  put("grid.csv", doc.csv(M.rows(records, m)))
  local runs = ok_runs(records)
  local d = doc.document()
  d:h(1, "Galanti et al.'s grid: batch size, weight decay and the rank SGD converges to")
  d:p(string.format("Rank measure: **%s** (%s). %d networks (%d trained, %d planned), architecture %s, %d epochs "
    .. "each (fixed, as in Galanti et al.), momentum %g; %s. Intervals are 95%%.", m, rh.rank.measures[m] or "", #records,
    #runs, #plan, table.concat(runs[1] and runs[1].architecture or {}, "-"), o.epochs, o.momentum,
    runs[1] and runs[1].dataset or ""))
  -- ---- the three trends ----
  local wdpos, wd0 = {}, {}
  for _, r in ipairs(runs) do
    if r.weight_decay > 0 then wdpos[#wdpos + 1] = r else wd0[#wd0 + 1] = r end
  end
  local function col(list, f)
    local xs = {}
    for i, r in ipairs(list) do xs[i] = f(r) end
    return xs
  end
  local rank = function(r) return fig(r, "normalized", m) end
  local batch_trend = corr(col(wdpos, function(r) return r.batch end), col(wdpos, rank))
  local wd_trend = corr(col(wdpos, function(r) return r.weight_decay end), col(wdpos, rank))
  local h_trend = corr(col(wdpos, function(r) return math.log(r.wd_horizon) end), col(wdpos, rank))
  local h_diffs, h_pairs, h_cells = matched_h(wdpos, rank)
  local init = at_init(o, runs, m)
  local r0 = col(wd0, rank)
  local rp = col(wdpos, rank)
  d:h(2, "The three trends")
  local lines = {}
  lines[#lines + 1] = string.format("- **Smaller batch, lower rank.** Spearman's rho of the batch size with the normalised "
    .. "%s rank over the runs with weight decay: %s; the trend %s.", m, rho_text(batch_trend), verdict(batch_trend, 1))
  lines[#lines + 1] = string.format("- **Larger weight decay, lower rank.** rho of the weight decay with the normalised "
    .. "rank over the runs with weight decay: %s; the trend %s.", rho_text(wd_trend), verdict(wd_trend, -1))
  if #r0 > 0 then
    -- holds when the whole interval of the per-seed differences lies above -5% of the initial
    -- rank (the networks end within 5% of it, or above); fails when it lies wholly below
    local d0 = wd0_diffs(o, wd0, rank, m)
    local dm, dh = stats.ci95(d0)
    local margin = 0.05 * init
    local words
    if not dh then
      words = "cannot be decided (one seed, no interval)"
    elseif dm - dh > -margin then
      words = "**holds**: the whole interval lies above -5% of the initial rank, so without weight decay the networks "
        .. "end within 5% of their rank at initialisation or above it"
    elseif dm + dh < -margin then
      words = "**does not hold**: the whole interval lies below -5% of the initial rank, so without weight decay the "
        .. "networks end more than 5% below their rank at initialisation"
    else
      words = "cannot be decided: the interval reaches both sides of -5% of the initial rank"
    end
    local pct = function(x) return string.format("%.1f%%", 100 * (1 + x / init)) end
    lines[#lines + 1] = string.format("- **No weight decay, no low-rank bias.** Normalised rank with weight decay 0: %s "
      .. "(n = %d runs), at initialisation %s, with weight decay %s. Rank at weight decay 0 minus that of the same "
      .. "network at initialisation, averaged within each seed: %s (n = %d seeds), i.e. %s of the initial rank%s. The "
      .. "trend %s.", stats.fmt_ci(r0), #r0, num(init, 3), stats.fmt_ci(rp), stats.fmt_ci(d0), #d0, pct(dm),
      dh and string.format(" [%s, %s]", pct(dm - dh), pct(dm + dh)) or "", words)
  end
  local hm, hh = stats.ci95(h_diffs)
  local h_words = "cannot be decided (no two cells of different batch size reach the same horizon)"
  if hm and hh then
    h_words = hm - hh > 0 and "at equal horizon a smaller batch still gives a lower rank"
      or hm + hh < 0 and "at equal horizon the larger batch (with its larger weight decay) gives the lower rank, so at "
        .. "equal epochs the smaller batch's lower rank goes with its larger horizon, not with the batch size itself"
      or "at equal horizon no difference between the batch sizes is shown (the interval contains 0)"
  elseif hm then
    h_words = "one seed only: no interval"
  end
  lines[#lines + 1] = string.format("- **The horizon.** A smaller batch takes more steps in the same epochs, and so more "
    .. "weight decay: rho of log H with the normalised rank: %s. At equal H (runs of the same seed whose horizons agree "
    .. "within 10%%: %d pairs of runs from %d pairs of cells), the larger batch's rank minus the smaller batch's, "
    .. "averaged within each seed (its runs share their initial network): %s (n = %d seeds); %s.",
    rho_text(h_trend), h_pairs, h_cells, stats.fmt_ci(h_diffs), #h_diffs, h_words)
  local settled = #col(runs, function(r) return r.ranks_settled and 1 or nil end)
  lines[#lines + 1] = string.format("- **Settled?** In %d of %d runs the %s rank of every layer moved by at most "
    .. "max(1, 5%%) over fit's last five rank checks.", settled, #runs, m)
  d:p(table.concat(lines, "\n"))
  -- ---- the grid ----
  for _, lr in ipairs(o.lrs) do
    d:h(2, string.format("Normalised %s rank, learning rate %g (mean ± 95%% interval over seeds; H = mean horizon)", m, lr))
    local header = { "batch \\ weight decay" }
    for _, wd in ipairs(o.wds) do header[#header + 1] = string.format("%g", wd) end
    local trows = {}
    for _, b in ipairs(o.batches) do
      local row = { b }
      for _, wd in ipairs(o.wds) do
        local xs, hs = {}, {}
        for _, r in ipairs(runs) do
          if r.batch == b and r.weight_decay == wd and r.lr == lr then xs[#xs + 1] = rank(r); hs[#hs + 1] = r.wd_horizon end
        end
        row[#row + 1] = #xs > 0 and string.format("%s (H %.2g)", stats.fmt_ci(xs), stats.mean(hs)) or "n/a"
      end
      trows[#trows + 1] = row
    end
    d:add(doc.md_table(header, trows))
  end
  -- ---- figures ----
  local figs = {}
  local can_draw, no_draw = rh.plot.available()   -- without gnuplot: the tables and report alone
  if not can_draw then io.stderr:write("lowrank_bias: figures not drawn: ", tostring(no_draw), "\n") end
  local function add(file, draw, f, caption)
    if not can_draw then return end
    local series = {}
    for _, s in ipairs(f.series) do if #s.x > 0 then series[#series + 1] = s end end
    if #series == 0 then return end
    draw { path = out .. "/" .. file, svg = true, title = f.title, xlabel = f.xlabel, ylabel = f.ylabel, series = series,
      logx = f.logx, points = true, ybounds = { 0, 1 } }   -- a normalised rank lies in [0, 1]
    figs[#figs + 1] = { file = file, title = f.title, caption = caption }
    written[#written + 1] = file
  end
  local lr = o.lrs[1]
  local by_wd = {}
  for _, wd in ipairs(o.wds) do
    local x, y, e = {}, {}, {}
    for _, b in ipairs(o.batches) do
      local xs = {}
      for _, r in ipairs(runs) do if r.batch == b and r.weight_decay == wd and r.lr == lr then xs[#xs + 1] = rank(r) end end
      local mean, half = stats.ci95(xs)
      if mean then x[#x + 1], y[#y + 1], e[#e + 1] = b, mean, half or 0 end
    end
    by_wd[#by_wd + 1] = { name = string.format("wd %g", wd), x = x, y = y, err = e }
  end
  add("rank_vs_batch.png", rh.plot.line, {
    title = "Normalised " .. measure.describe(m) .. " against batch size (lr " .. lr .. ")",
    xlabel = "batch size", ylabel = "normalised rank (mean, 95% interval)", series = by_wd, logx = true },
    "One line per weight decay; mean over seeds with the 95% interval.")
  local by_b = {}
  for _, b in ipairs(o.batches) do
    local x, y, e = {}, {}, {}
    for _, wd in ipairs(o.wds) do
      if wd > 0 then
        local xs = {}
        for _, r in ipairs(runs) do if r.batch == b and r.weight_decay == wd and r.lr == lr then xs[#xs + 1] = rank(r) end end
        local mean, half = stats.ci95(xs)
        if mean then x[#x + 1], y[#y + 1], e[#e + 1] = wd, mean, half or 0 end
      end
    end
    by_b[#by_b + 1] = { name = "batch " .. b, x = x, y = y, err = e }
  end
  add("rank_vs_weight_decay.png", rh.plot.line, {
    title = "Normalised " .. measure.describe(m) .. " against weight decay (lr " .. lr .. ")",
    xlabel = "weight decay (log scale; wd 0 is in the table)", ylabel = "normalised rank (mean, 95% interval)",
    series = by_b, logx = true }, "One line per batch size; mean over seeds with the 95% interval.")
  local by_bh = {}
  for _, b in ipairs(o.batches) do
    local s = { name = "batch " .. b, x = {}, y = {} }
    for _, r in ipairs(wdpos) do if r.batch == b then s.x[#s.x + 1], s.y[#s.y + 1] = r.wd_horizon, rank(r) end end
    by_bh[#by_bh + 1] = s
  end
  add("rank_vs_horizon.png", rh.plot.scatter, {
    title = "Normalised " .. measure.describe(m) .. " against the weight-decay horizon",
    xlabel = "H = sum over steps of lr*wd/(1-momentum) (log scale)", ylabel = "normalised rank", series = by_bh,
    logx = true }, "Every run with weight decay; colours are batch sizes.")
  d:h(2, "Figures")
  for _, f in ipairs(figs) do d:image(f.title, f.file, f.caption) end
  put("report.md", d:text())
  return written
end

return M
