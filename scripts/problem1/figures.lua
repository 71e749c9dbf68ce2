-- figures.lua - problem 1's figures (PNG, through rh.plot). Each names the rank measure it
-- uses; report.md shows them with a caption. A figure with nothing to draw is skipped.
--   rank_over_horizon      bottleneck rank against the weight-decay horizon, per run
--   normalized_by_kind     the normalised network rank of every run, by kind (controls)
--   twins                  each draw's normalised rank with weight decay against without
--   bottleneck_vs_accuracy convergent bottleneck rank against test accuracy (real labels)
--   ladder_<family>        convergent rank against task complexity, mean and 95% interval
--   spectra                singular values of the last hidden layer: a draw and its wd0 twin
local rh = require "rankhost"
local stats = require "common.stats"
local analysis = require "problem1.analysis"
local ladder = require "problem1.ladder"

local M = {}

local KIND_X = { real = 1, wd0 = 2, random = 3, teacher = 4, parity = 5, noise = 6, mnist = 7, long = 8 }

local function finite(x) return type(x) == "number" and x == x and math.abs(x) ~= math.huge end

-- The bottleneck rank under m from a history line (every measure of every layer, at checks).
local function history_bottleneck(line, m)
  if not line.layers or #line.layers < 2 then return nil end
  local b = math.huge
  for i = 1, #line.layers - 1 do b = math.min(b, line.layers[i].ranks[m]) end
  return b
end

-- ctx: what analysis.write_all computed once (ctx.pairs: the twin pairs under o.measure).
function M.all(out, o, records, ctx)
  local m = o.measure
  local figs = {}
  local function add(file, draw, fig, caption)
    local series = {}
    for _, s in ipairs(fig.series) do
      local x, y, e = {}, {}, s.err and {} or nil
      for k = 1, #s.x do
        if finite(s.x[k]) and finite(s.y[k]) and (not fig.logx or s.x[k] > 0) then
          x[#x + 1], y[#y + 1] = s.x[k], s.y[k]
          if e then e[#e + 1] = finite(s.err[k]) and s.err[k] or 0 end
        end
      end
      if #x > 0 then series[#series + 1] = { name = s.name, x = x, y = y, err = e } end
    end
    if #series == 0 then return end
    draw { path = out .. "/" .. file, title = fig.title, xlabel = fig.xlabel, ylabel = fig.ylabel, series = series,
      logx = fig.logx, points = fig.points, width = fig.width }
    figs[#figs + 1] = { file = file, title = fig.title, caption = caption, measure = m }
  end

  -- ---- the bottleneck rank over the horizon, per run (real and wd0) ----
  do
    local series = {}
    for _, r in ipairs(records) do
      -- one seed per architecture (seed 1), labelled by its architecture
      if r.kind == "real" and r.status == "ok" and (r.seed_index or 1) == 1 then
        local ok, lines = pcall(rh.log.read_jsonl, out .. "/history/" .. r.id .. ".jsonl")
        if ok then
          local x, y = {}, {}
          for _, l in ipairs(lines) do
            local b = history_bottleneck(l, m)
            if b then x[#x + 1], y[#y + 1] = l.wd_horizon, b end
          end
          if #x > 0 then series[#series + 1] = { name = table.concat(r.architecture, "-"), x = x, y = y } end
        end
      end
    end
    add("rank_over_horizon.png", rh.plot.line, { title = "Bottleneck " .. m .. " rank during training (real labels, wd > 0)",
      xlabel = "weight-decay horizon H = sum of lr*wd/(1-momentum) over steps", ylabel = "lowest hidden-layer " .. m .. " rank",
      series = series, width = 1100 },
      "Each line is one network (seed 1 of each architecture), plotted against its weight-decay horizon; the right "
      .. "end of a line is the rank it stopped at. No run may stop before H reaches --min-horizon " .. o.min_horizon .. ".")
  end

  -- ---- the normalised rank of every run, by kind ----
  do
    local series = {}
    for _, k in ipairs(analysis.KINDS) do
      local x, y = {}, {}
      for _, r in ipairs(analysis.of_kind(records, k)) do
        x[#x + 1] = KIND_X[k] + (((#x * 37) % 11) - 5) * 0.03
        y[#y + 1] = r.network["normalized:" .. m]
      end
      if #x > 0 then series[#series + 1] = { name = analysis.KIND_TEXT[k], x = x, y = y } end
    end
    add("normalized_by_kind.png", rh.plot.scatter, { title = "Normalised network " .. m .. " rank at the end, by kind",
      xlabel = "kind: 1 real, 2 wd0, 3 random labels, 4 teacher, 5 parity, 6 label noise, 7 MNIST, 8 long",
      ylabel = "sum of layer ranks / sum of min(rows, cols)", series = series, width = 1100 },
      "Every trained network, one point each (jittered sideways within its kind); 1.0 is full rank.")
  end

  -- ---- twins ----
  do
    local x, y = {}, {}
    for _, p in ipairs(ctx.pairs) do
      x[#x + 1], y[#y + 1] = p[2].network["normalized:" .. m], p[1].network["normalized:" .. m]
    end
    add("twins.png", rh.plot.scatter, { title = "The same draw with and without weight decay (" .. m .. " rank)",
      xlabel = "normalised rank, weight decay 0", ylabel = "normalised rank, weight decay " .. o.weight_decay,
      series = { { name = "a draw and its twin", x = x, y = y }, { name = "y = x", x = { 0, 1 }, y = { 0, 1 } } } },
      "One point per twin pair (the same architecture and seed); a point below the diagonal is a pair whose rank "
      .. "weight decay lowered.")
  end

  -- ---- convergent bottleneck rank against test accuracy, by depth ----
  do
    local by_depth = {}
    for _, r in ipairs(analysis.of_kind(records, "real", true)) do
      local d = #r.architecture - 2
      by_depth[d] = by_depth[d] or { name = d .. " hidden layer" .. (d > 1 and "s" or ""), x = {}, y = {} }
      local s = by_depth[d]
      s.x[#s.x + 1], s.y[#s.y + 1] = r.network["bottleneck:" .. m], r.final.test_acc
    end
    local series = {}
    for d = 1, 16 do if by_depth[d] then series[#series + 1] = by_depth[d] end end
    add("bottleneck_vs_accuracy.png", rh.plot.scatter, { title = "Convergent bottleneck rank vs test accuracy (" .. m .. ")",
      xlabel = "lowest hidden-layer " .. m .. " rank", ylabel = "test accuracy", series = series },
      "Converged real-label networks with weight decay; colours are depths.")
  end

  -- ---- the ladder: one figure per family with two or more levels ----
  for _, fam in ipairs(ladder.present(records)) do
    if #fam.levels >= 2 then
      local series = {}
      for _, f in ipairs { "bottleneck", "last_hidden", "first_layer" } do
        local x, y, e = {}, {}, {}
        for _, l in ipairs(fam.levels) do
          local xs = {}
          for _, r in ipairs(fam.groups[l]) do
            if r.status == "ok" and r.converged then xs[#xs + 1] = ladder.figure(r, f, m) end
          end
          local mean, half = stats.ci95(xs)
          if mean then x[#x + 1], y[#y + 1], e[#e + 1] = l, mean, half or 0 end
        end
        series[#series + 1] = { name = f:gsub("_", " ") .. " rank", x = x, y = y, err = e }
      end
      add("ladder_" .. fam.kind .. ".png", rh.plot.line, { title = "Convergent " .. m .. " rank against " .. fam.what,
        xlabel = fam.what, ylabel = m .. " rank (mean, 95% interval over seeds)", series = series, points = true,
        logx = fam.kind ~= "noise" },
        "Mean over the converged seeds of each rung, with the 95% interval of the mean (Student's t).")
    end
  end

  -- ---- spectra of the last hidden layer: the first twin pair ----
  do
    local p = ctx.pairs[1]
    if p and p[1].layers and p[2].layers then
      local series = {}
      for k, r in ipairs(p) do
        local layer = r.layers[#r.layers - 1] or r.layers[1]
        local s = layer.spectrum or {}
        local x, y = {}, {}
        for i, v in ipairs(s) do
          if v > 0 then x[#x + 1], y[#y + 1] = i, v / s[1] end
        end
        series[#series + 1] = { name = r.id .. (k == 1 and " (wd " .. o.weight_decay .. ")" or " (wd 0)"), x = x, y = y }
      end
      rh.plot.line { path = out .. "/spectra.png", title = "Singular values of the last hidden layer, " .. p[1].id
        .. " and its twin", xlabel = "index i", ylabel = "s_i / s_1 (log scale)", logy = true, series = series }
      figs[#figs + 1] = { file = "spectra.png", title = "Singular values, a draw and its wd0 twin", measure = "none",
        caption = "The spectrum of the last hidden layer of one twin pair, each normalised by its largest value." }
    end
  end
  return figs
end

return M
