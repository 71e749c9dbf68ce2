-- report.lua - the low-rank-bias grid's grid.csv, figures, facts.json and report.md. The
-- numbers and verdicts come from lowrank_bias/facts.lua (the three trends of Galanti et al.,
-- each stated as holding or not from a Spearman correlation and its 95% interval over the
-- runs, or, for weight decay 0, from the rank against that of the same network at
-- initialisation, seed by seed, with its interval over seeds; the batch trend at equal
-- horizon); the prose below is written from those facts alone.
local rh = require "rankhost"
local stats = require "common.stats"
local doc = require "common.report"
local prose = require "common.prose"
local facts_io = require "common.facts"
local grid_facts = require "lowrank_bias.facts"

local M = {}

local function ok_runs(records)
  local out = {}
  for _, r in ipairs(records) do if r.status == "ok" then out[#out + 1] = r end end
  return out
end

local function fig(r, f, m) return r.network[f .. ":" .. m] end
local function first_layer(r, m) return r.layers[1].ranks[m] end

-- grid.csv: one row per network (ranks_settled true or false; empty for a run that did not train).
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
      ok and (r.ranks_settled and "true" or "false") or nil, r.status, r.id }
  end
  return header, rows
end

local num = doc.num
local ci = prose.interval

local TREND_WORDS = { holds = "**holds**", reversed = "**is reversed**",
  not_shown = "**is not shown** (the interval contains 0)", undecided = "cannot be decided (too few runs or no interval)" }

local function wd0_words(v, margin)
  local pct = string.format("%g%%", 100 * margin)
  if v == "holds" then
    return "**holds**: the whole interval lies above -" .. pct .. " of the initial rank, so without weight decay the "
      .. "networks end within " .. pct .. " of their rank at initialisation or above it"
  elseif v == "fails" then
    return "**does not hold**: the whole interval lies below -" .. pct .. " of the initial rank, so without weight "
      .. "decay the networks end more than " .. pct .. " below their rank at initialisation"
  elseif v == "undecided" then
    return "cannot be decided: the interval reaches both sides of -" .. pct .. " of the initial rank"
  elseif v == "one" then
    return "cannot be decided (one seed, no interval)"
  end
  return "cannot be decided (no seed, or no initial rank)"
end

local H_WORDS = {
  above = "at equal horizon a smaller batch still gives a lower rank",
  below = "at equal horizon the larger batch (with its larger weight decay) gives the lower rank, so at equal epochs "
    .. "the smaller batch's lower rank goes with its larger horizon, not with the batch size itself",
  contains = "at equal horizon no difference between the batch sizes is shown (the interval contains 0)",
  one = "one seed only: no interval",
  empty = "cannot be decided (no two cells of different batch size reach the same horizon)",
}

local function trends(d, f)
  local m, t = f.measure, f.trends
  local lines = {}
  lines[#lines + 1] = string.format("- **Smaller batch, lower rank.** Spearman's rho of the batch size with the normalised "
    .. "%s rank over the runs with weight decay: %s; the trend %s.", m, prose.rho(t.batch), TREND_WORDS[t.batch.verdict])
  lines[#lines + 1] = string.format("- **Larger weight decay, lower rank.** rho of the weight decay with the normalised "
    .. "rank over the runs with weight decay: %s; the trend %s.", prose.rho(t.weight_decay), TREND_WORDS[t.weight_decay.verdict])
  local w = f.wd0
  if w then
    local function pct(x) return string.format("%.1f%%", x) end
    lines[#lines + 1] = string.format("- **No weight decay, no low-rank bias.** Normalised rank with weight decay 0: %s "
      .. "(n = %d runs), at initialisation %s, with weight decay %s. Rank at weight decay 0 minus that of the same "
      .. "network at initialisation, averaged within each seed: %s (n = %d seeds), i.e. %s of the initial rank%s. The "
      .. "trend %s.", ci(w.rank), w.runs, num(w.init, 3), ci(w.rank_wd), ci(w.diff), w.diff.n,
      w.percent and pct(w.percent) or "n/a", w.percent_lo and string.format(" [%s, %s]", pct(w.percent_lo),
      pct(w.percent_hi)) or "", wd0_words(w.diff.verdict, w.margin))
  end
  local h = f.equal_horizon
  lines[#lines + 1] = string.format("- **The horizon.** A smaller batch takes more steps in the same epochs, and so more "
    .. "weight decay: rho of log H with the normalised rank: %s. At equal H (runs of the same seed whose horizons agree "
    .. "within %g%%: %d pairs of runs from %d pairs of cells), the larger batch's rank minus the smaller batch's, "
    .. "averaged within each seed (its runs share their initial network): %s (n = %d seeds); %s.",
    prose.rho(t.horizon), 100 * h.match, h.pairs, h.cells, ci(h.diff), h.diff.n, H_WORDS[h.diff.side])
  lines[#lines + 1] = string.format("- **Settled?** In %d of %d runs the %s rank of every layer moved by at most "
    .. "max(1, 5%%) over fit's last five rank checks.", f.settled.settled, f.settled.runs, m)
  d:p(table.concat(lines, "\n"))
end

local function grid_tables(d, f)
  for _, g in ipairs(f.grid) do
    d:h(2, string.format("Normalised %s rank, learning rate %g (mean ± 95%% interval over seeds; H = mean horizon)",
      f.measure, g.lr))
    local header = { "batch \\ weight decay" }
    for _, wd in ipairs(g.weight_decays) do header[#header + 1] = string.format("%g", wd) end
    local rows, i = {}, 0
    for _, b in ipairs(g.batches) do
      local row = { b }
      for _ = 1, #g.weight_decays do
        i = i + 1
        local c = g.cells[i]
        row[#row + 1] = c.n > 0 and string.format("%s (H %.2g)", ci(c), c.horizon) or "n/a"
      end
      rows[#rows + 1] = row
    end
    d:add(doc.md_table(header, rows))
  end
end

-- report.md's text from lowrank_bias/facts.lua's table f and the figures drawn.
function M.text(f, figs)
  local d = doc.document()
  d:h(1, "Galanti et al.'s grid: batch size, weight decay and the rank SGD converges to")
  d:p(string.format("Rank measure: **%s** (%s). %d networks (%d trained, %d planned), architecture %s, %d epochs "
    .. "each (fixed, as in Galanti et al.), momentum %g; %s. Intervals are 95%%. Every number and verdict below is in "
    .. "facts.json.", f.measure, f.measure_text, f.networks, f.trained, f.planned, table.concat(f.architecture, "-"),
    f.epochs, f.momentum, f.dataset))
  d:h(2, "The three trends")
  trends(d, f)
  grid_tables(d, f)
  d:h(2, "Figures")
  for _, fig in ipairs(figs) do d:image(fig.title, fig.file, fig.caption) end
  return d:text()
end

-- The figures: rank against batch size, against weight decay, against the horizon.
local function draw_figures(out, o, records)
  local m = o.measure
  local runs = ok_runs(records)
  local rank = function(r) return fig(r, "normalized", m) end
  local wdpos = {}
  for _, r in ipairs(runs) do if r.weight_decay > 0 then wdpos[#wdpos + 1] = r end end
  local figs = {}
  local function add(file, draw, f, caption)
    local series = {}
    for _, s in ipairs(f.series) do if #s.x > 0 then series[#series + 1] = s end end
    if #series == 0 then return end
    draw { path = out .. "/" .. file, title = f.title, xlabel = f.xlabel, ylabel = f.ylabel, series = series, logx = f.logx,
      points = true }
    figs[#figs + 1] = { file = file, title = f.title, caption = caption }
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
  add("rank_vs_batch.png", rh.plot.line, { title = "Normalised " .. m .. " rank against batch size (lr " .. lr .. ")",
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
  add("rank_vs_weight_decay.png", rh.plot.line, { title = "Normalised " .. m .. " rank against weight decay (lr " .. lr .. ")",
    xlabel = "weight decay (log scale; wd 0 is in the table)", ylabel = "normalised rank (mean, 95% interval)",
    series = by_b, logx = true }, "One line per batch size; mean over seeds with the 95% interval.")
  local by_bh = {}
  for _, b in ipairs(o.batches) do
    local s = { name = "batch " .. b, x = {}, y = {} }
    for _, r in ipairs(wdpos) do if r.batch == b then s.x[#s.x + 1], s.y[#s.y + 1] = r.wd_horizon, rank(r) end end
    by_bh[#by_bh + 1] = s
  end
  add("rank_vs_horizon.png", rh.plot.scatter, { title = "Normalised " .. m .. " rank against the weight-decay horizon",
    xlabel = "H = sum over steps of lr*wd/(1-momentum) (log scale)", ylabel = "normalised rank", series = by_bh,
    logx = true }, "Every run with weight decay; colours are batch sizes.")
  return figs
end

-- Writes grid.csv, the figures, facts.json and report.md into out; returns the names written.
function M.write_all(out, o, plan, records)
  local written = {}
  local function put(name, text) doc.write(out .. "/" .. name, text); written[#written + 1] = name end
  put("grid.csv", doc.csv(M.rows(records, o.measure)))
  local figs = draw_figures(out, o, records)
  for _, f in ipairs(figs) do written[#written + 1] = f.file end
  local f = grid_facts.build(o, plan, records)
  f.figures = figs
  written[#written + 1] = facts_io.write(out, f)
  put("report.md", M.text(f, figs))
  return written
end

return M
