-- prune_figures.lua - problem 2's PNG figures: test accuracy against cumulative training
-- time (with the baselines), widths per layer by iteration, and singular-value spectra per
-- iteration. Each figure is a list of named (x, y) series; `draw` renders it.
local rh = require "rankhost"

local M = {}

-- Renders a figure {title, xlabel, ylabel, logy, series = {{name, x = {}, y = {}}}} to
-- path (PNG) with rh.plot.line. Returns true, or false and why (e.g. no gnuplot).
function M.draw(path, fig)
  local ok, why = rh.plot.available()
  if not ok then return false, why end
  return pcall(rh.plot.line, { path = path, title = fig.title, xlabel = fig.xlabel, ylabel = fig.ylabel,
                               logy = fig.logy or false, points = not fig.logy, series = fig.series })
end

local function accuracy_vs_time(st)
  local rank = { name = "rank pruning", x = {}, y = {} }
  for i, r in ipairs(st.rows) do rank.x[i], rank.y[i] = r.cum_seconds, r.test_acc end
  local series = { rank }
  local b = st.baselines
  if b then
    local dense = { name = "dense, same total time", x = {}, y = {} }
    for i, p in ipairs(b.dense) do dense.x[i], dense.y[i] = p.seconds, p.test_acc end
    local mag = { name = "magnitude pruning", x = { st.rows[1].cum_seconds }, y = { st.rows[1].test_acc } }
    for _, m in ipairs(b.magnitude) do mag.x[#mag.x + 1], mag.y[#mag.y + 1] = m.cum_seconds, m.test_acc end
    series[#series + 1] = dense
    series[#series + 1] = mag
  end
  return { title = "Test accuracy against cumulative training time", xlabel = "training seconds (cumulative)",
           ylabel = "test accuracy", series = series }
end

local function widths_by_iteration(st)
  local series = {}
  for l = 1, #st.rows[1].widths do
    local s = { name = "layer " .. l, x = {}, y = {} }
    for i, r in ipairs(st.rows) do s.x[i], s.y[i] = r.iteration, r.widths[l] end
    series[l] = s
  end
  return { title = "Hidden widths by iteration", xlabel = "iteration", ylabel = "width", series = series }
end

-- One figure per iteration: each layer's singular values (descending), log scale.
local function spectrum(entry)
  local series = {}
  for l, layer in ipairs(entry.layers) do
    local s = { name = "layer " .. l, x = {}, y = {} }
    for i, v in ipairs(layer.svals or {}) do
      s.x[i], s.y[i] = i, v   -- rh.plot leaves exact zeros off the log axis
    end
    series[l] = s
  end
  return { title = "Singular values of the hidden weights after iteration " .. entry.iteration,
           xlabel = "index", ylabel = "singular value", logy = true, series = series }
end

-- Draws every figure into out; returns a list {file, title, caption} for the report.
function M.all(out, st, layers)
  local figs = {
    { file = "accuracy_vs_time.png", fig = accuracy_vs_time(st) },
    { file = "widths.png", fig = widths_by_iteration(st) },
  }
  for _, entry in ipairs(layers) do
    figs[#figs + 1] = { file = string.format("spectra-iter-%d.png", entry.iteration), fig = spectrum(entry) }
  end
  local done = {}
  for _, f in ipairs(figs) do
    local ok, err = M.draw(out .. "/" .. f.file, f.fig)
    if ok then
      done[#done + 1] = { file = f.file, title = f.fig.title }
    else
      io.stderr:write("problem2: figure ", f.file, " not drawn: ", tostring(err), "\n")
    end
  end
  return done
end

return M
