-- p1_figures.lua - problem 1's figures. The seed notebook's: loss vs accuracy, rank vs
-- accuracy per layer, norm vs accuracy, and loss / accuracy / rank / norm over epochs; the
-- sweep's: network rank vs test accuracy coloured by label setting, equivalence classes,
-- spectra at convergence, teacher rank vs convergent rank. Each figure records the rank
-- measure it uses (report.md lists them).
local rh = require "rankhost"
local runlog = require "runlog"
local analysis = require "p1_analysis"

local M = {}

local KIND_LABEL = { real = "real labels", random = "random labels", teacher = "teacher task" }
local KINDS = { "real", "random", "teacher" }

local function by_kind(runs, xy)
  local series = {}
  for _, k in ipairs(KINDS) do
    local pts = {}
    for _, r in ipairs(runs) do
      if r.kind == k then
        local x, y = xy(r)
        if x and y then pts[#pts + 1] = { x, y } end
      end
    end
    if #pts > 0 then series[#series + 1] = { label = KIND_LABEL[k], points = pts } end
  end
  return series
end

-- rh.rank.network's normalised network rank: sum of layer ranks / sum of min(rows, cols),
-- comparable across architectures.
local function normalized(ev, m) return ev.network["normalized:" .. m] end

local function sum_spectral(layers)
  local s = 0
  for _, l in ipairs(layers) do s = s + l.spectral_norm end
  return s
end

-- One line per run over epochs of f(evaluation).
local function over_epochs(histories, f)
  local series = {}
  for _, h in ipairs(histories) do
    local pts = {}
    for _, ev in ipairs(h.evals) do pts[#pts + 1] = { ev.epoch, f(ev) } end
    series[#series + 1] = { label = h.run.id .. " (" .. h.run.kind .. ")", style = "lines", points = pts }
  end
  return series
end

function M.all(out, results, ok, classes, o, measures, history_dir)
  local m = o.measure
  local figs = {}
  -- Draws a figure with rh.plot (a line plot when every series is a line, else a scatter
  -- plot); series without a finite point are left out, and a figure with none is skipped.
  local function add(file, section, measure, fig, caption)
    local series, lines = {}, true
    for _, s in ipairs(fig.series) do
      local x, y = {}, {}
      for _, p in ipairs(s.points) do
        local ok = p[1] and p[2] and p[1] == p[1] and p[2] == p[2] and math.abs(p[1]) ~= math.huge
          and math.abs(p[2]) ~= math.huge and (not fig.logx or p[1] > 0) and (not fig.logy or p[2] > 0)
        if ok then x[#x + 1], y[#y + 1] = p[1], p[2] end
      end
      if #x > 0 then
        series[#series + 1] = { name = s.label, x = x, y = y }
        lines = lines and s.style == "lines"
      end
    end
    if #series == 0 then return end
    local draw = lines and rh.plot.line or rh.plot.scatter
    draw { path = out .. "/" .. file, title = fig.title, xlabel = fig.xlabel, ylabel = fig.ylabel, series = series,
      logx = fig.logx, logy = fig.logy, width = fig.width }
    figs[#figs + 1] = { file = file, section = section, measure = measure, title = fig.title, caption = caption }
  end
  if #measures == 0 then measures = { m } end

  -- ---- the sweep's figures ----
  add("network_rank_vs_accuracy.png", "generalisation", m .. " (normalised network rank)", {
    title = "Convergent network rank vs test accuracy (" .. m .. " rank)",
    xlabel = "sum of layer ranks / sum of min(rows, cols), " .. m, ylabel = "test accuracy",
    series = by_kind(ok, function(r) return normalized(r, m), r.final.test_acc end) },
    "Each point is one network at saturation; colour gives its label setting.")
  add("network_rank_vs_gap.png", "generalisation", m .. " (sum of layer ranks)", {
    title = "Sum of layer ranks vs generalisation gap (" .. m .. " rank)",
    xlabel = "sum of layer ranks, " .. m, ylabel = "train accuracy - test accuracy",
    series = by_kind(ok, function(r)
      local s = 0
      for _, l in ipairs(r.layers) do s = s + l.ranks[m] end
      return s, r.final.gap
    end) })

  -- ---- the seed notebook's figures at convergence ----
  add("loss_vs_accuracy.png", "dynamics", nil, {
    title = "Final training loss vs test accuracy", xlabel = "training loss at saturation", ylabel = "test accuracy",
    logx = true, series = by_kind(ok, function(r) return r.final.train_loss, r.final.test_acc end) })
  local depth = 0
  for _, r in ipairs(ok) do depth = math.max(depth, #r.layers) end
  local per_layer, norms = {}, {}
  for li = 1, depth do
    local pts, npts = {}, {}
    for _, r in ipairs(ok) do
      local l = r.layers[li]
      -- layer li counted from the input; the last layer of every network is its classifier
      if l then
        pts[#pts + 1] = { l.ranks[m], r.final.test_acc }
        npts[#npts + 1] = { l.spectral_norm, r.final.test_acc }
      end
    end
    per_layer[#per_layer + 1] = { label = "layer " .. li, points = pts }
    norms[#norms + 1] = { label = "layer " .. li, points = npts }
  end
  add("rank_vs_accuracy_per_layer.png", "generalisation", m, {
    title = "Convergent rank of each layer vs test accuracy (" .. m .. " rank)",
    xlabel = m .. " rank of the layer's weight", ylabel = "test accuracy", series = per_layer },
    "Layers are numbered from the input.")
  add("norm_vs_accuracy.png", "dynamics", nil, {
    title = "Spectral norm of each layer vs test accuracy", xlabel = "spectral norm ||W||_2",
    ylabel = "test accuracy", series = norms })

  -- ---- over epochs (from history/) ----
  local histories = {}
  for _, r in ipairs(results) do
    local evals = runlog.read(history_dir .. "/" .. r.id .. ".jsonl")
    if #evals > 0 then histories[#histories + 1] = { run = r, evals = evals } end
  end
  -- random-label runs train up to --random-max-epochs: a log scale keeps the real runs' few
  -- epochs readable beside them
  local longest = 0
  for _, h in ipairs(histories) do longest = math.max(longest, #h.evals) end
  local logx = longest > 2 * o.max_epochs
  local xlabel = logx and "epoch (log scale)" or "epoch"
  add("train_accuracy_over_epochs.png", "labels", nil, {
    title = "Training accuracy over epochs (on the labels trained on)",
    xlabel = xlabel, ylabel = "training accuracy", logx = logx, width = 1100,
    series = over_epochs(histories, function(ev) return ev.train_acc end) },
    "Random-label networks climb from chance only once they begin to memorise.")
  add("loss_over_epochs.png", "dynamics", nil, { title = "Training loss over epochs", xlabel = xlabel, logx = logx,
    ylabel = "training loss (epoch mean)", logy = true, width = 1100,
    series = over_epochs(histories, function(ev) return ev.epoch_loss end) })
  add("accuracy_over_epochs.png", "dynamics", nil, { title = "Test accuracy over epochs", xlabel = xlabel, logx = logx,
    ylabel = "test accuracy", width = 1100,
    series = over_epochs(histories, function(ev) return ev.test_acc end) })
  add("rank_over_epochs.png", "dynamics", m, { title = "Network rank over epochs (" .. m .. " rank)",
    xlabel = xlabel, logx = logx, ylabel = "sum of layer ranks / sum of min(rows, cols), " .. m, width = 1100,
    series = over_epochs(histories, function(ev) return normalized(ev, m) end) })
  add("norm_over_epochs.png", "dynamics", nil, { title = "Sum of spectral norms over epochs", xlabel = xlabel,
    logx = logx,
    ylabel = "sum over layers of ||W||_2", width = 1100,
    series = over_epochs(histories, function(ev) return sum_spectral(ev.layers) end) })
  add("gradient_rank_over_epochs.png", "dynamics", m, {
    title = "Gradient rank over epochs (" .. m .. " rank of the first layer's weight gradient)",
    xlabel = xlabel, logx = logx, ylabel = m .. " rank of dL/dW1 on the probe batch", width = 1100,
    series = over_epochs(histories, function(ev) return ev.layers[1].grad_ranks[m] end) })

  -- ---- classes, spectra, teacher ----
  local cls = {}
  for _, c in ipairs(classes) do
    for _, r in ipairs(c.members) do cls[#cls + 1] = { run = r, class = c.id } end
  end
  local cseries = {}
  for _, k in ipairs(KINDS) do
    local pts = {}
    for _, e in ipairs(cls) do if e.run.kind == k then pts[#pts + 1] = { e.class, e.run.final.test_acc } end end
    if #pts > 0 then cseries[#cseries + 1] = { label = KIND_LABEL[k], points = pts } end
  end
  add("classes.png", "classes", m, { title = "Equivalence classes of equal convergent rank (" .. m .. " rank)",
    xlabel = "class id (classes.csv)", ylabel = "test accuracy of each member", series = cseries },
    "Each column is one class; its points are its members' test accuracies.")
  local sseries = {}
  for _, r in ipairs(ok) do
    for li, l in ipairs(r.layers) do
      if l.spectrum and #sseries < 40 then
        local pts, k = {}, #l.spectrum
        for i, s in ipairs(l.spectrum) do pts[i] = { i / k, s / l.spectrum[1] } end
        sseries[#sseries + 1] = { label = r.id .. " L" .. li, style = "lines", points = pts }
      end
    end
  end
  add("spectra.png", "classes", "none (singular values)", { title = "Singular value spectra at convergence",
    xlabel = "index i / min(rows, cols)", ylabel = "s_i / s_1", logy = true, width = 1200,
    series = sseries }, "Every layer of every finished network (at most 40 curves).")
  if #o.teacher_ranks > 0 then
    local pts, diag, kmax = {}, {}, 0
    for _, r in ipairs(ok) do
      if r.kind == "teacher" then
        local s = analysis.signature(r, m)
        pts[#pts + 1] = { r.teacher_rank, s[1] }
        kmax = math.max(kmax, r.teacher_rank)
      end
    end
    for k = 1, kmax do diag[k] = { k, k } end
    add("teacher_rank.png", "teacher", m, { title = "Teacher rank vs convergent rank of the first layer (" .. m .. ")",
      xlabel = "teacher rank k", ylabel = m .. " rank of the first layer",
      series = { { label = "networks", points = pts }, { label = "rank = k", points = diag } } })
  end
  return figs
end

return M
