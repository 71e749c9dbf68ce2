-- p1_analysis.lua - problem 1's analysis of finished runs: the per-network summary table,
-- whole-network rank metrics, correlations with test accuracy / generalisation gap /
-- parameter count, equivalence classes of equal convergent rank, and the teacher table.
local stats = require "stats"

local M = {}

-- The rank measures present in a record's layers (sorted names), e.g. effective, numerical.
function M.measures(records)
  local set = {}
  for _, r in ipairs(records) do
    for _, layer in ipairs(r.layers or {}) do
      for k, v in pairs(layer.ranks or {}) do if type(v) == "number" then set[k] = true end end
    end
  end
  local list = {}
  for k in pairs(set) do list[#list + 1] = k end
  table.sort(list)
  return list
end

function M.ok_runs(records)
  local out = {}
  for _, r in ipairs(records) do if r.status == "ok" then out[#out + 1] = r end end
  return out
end

-- Convergent rank of every layer under `measure` (a list, input side first).
function M.signature(r, measure)
  local s = {}
  for i, layer in ipairs(r.layers) do s[i] = layer.ranks[measure] end
  return s
end

-- Whole-network figures of a run as an ordered list of {name, value}, from rh.rank.network:
-- per measure m, "sum:m" (sum of layer ranks), "normalized:m" (that sum over the sum of
-- min(rows, cols)), "min:m" (the lowest layer rank, a bound on the rank of the network's
-- map) and "activation_normalized:m" (the same normalised sum for the layers' activations
-- on the probe batch).
M.NETWORK_FIGURES = { "sum", "normalized", "min", "activation_normalized" }
function M.network_metrics(r, measures)
  local out = {}
  for _, m in ipairs(measures) do
    for _, f in ipairs(M.NETWORK_FIGURES) do
      local v = r.network and r.network[f .. ":" .. m]
      if v then out[#out + 1] = { f .. ":" .. m, v } end
    end
  end
  return out
end

-- Summary rows (one per run, finished or diverged) and the header.
function M.summary(records, measures)
  local header = { "id", "kind", "dataset", "teacher_rank", "architecture", "depth", "parameters", "status",
    "rule", "stopped", "epochs", "train_loss", "train_acc", "test_loss", "test_acc", "gap", "wall_s" }
  for _, m in ipairs(measures) do header[#header + 1] = "ranks:" .. m end
  local metric_names = {}
  for _, r in ipairs(records) do
    if r.status == "ok" then
      for _, kv in ipairs(M.network_metrics(r, measures)) do
        if not metric_names[kv[1]] then metric_names[#metric_names + 1] = kv[1]; metric_names[kv[1]] = true end
      end
    end
  end
  for _, k in ipairs(metric_names) do header[#header + 1] = k end
  local rows = {}
  for _, r in ipairs(records) do
    local f = r.final or {}
    local row = { r.id, r.kind, r.dataset, r.teacher_rank or "", table.concat(r.architecture, "-"),
      #r.architecture - 2, r.num_parameters, r.status, r.rule or "standard", r.stopped or "", r.epochs, f.train_loss,
      f.train_acc, f.test_loss, f.test_acc, f.gap, r.wall_time }
    for _, m in ipairs(measures) do
      local s = r.layers and M.signature(r, m) or {}
      local parts = {}
      for i, v in ipairs(s) do parts[i] = string.format("%.4g", v) end
      row[#row + 1] = table.concat(parts, " ")
    end
    local metrics = {}
    if r.status == "ok" then for _, kv in ipairs(M.network_metrics(r, measures)) do metrics[kv[1]] = kv[2] end end
    for _, k in ipairs(metric_names) do row[#row + 1] = metrics[k] end
    rows[#rows + 1] = row
  end
  return header, rows, metric_names
end

-- Correlations of every whole-network metric with test accuracy, generalisation gap and
-- parameter count, over `runs`. Returns rows { metric, n, r_acc, rho_acc, r_gap, rho_gap,
-- r_params, rho_params } (nil where undefined: too few runs or a constant metric).
function M.correlations(runs, metric_names, measures)
  local rows = {}
  for _, name in ipairs(metric_names) do
    local xs, acc, gap, par = {}, {}, {}, {}
    for _, r in ipairs(runs) do
      for _, kv in ipairs(M.network_metrics(r, measures)) do
        if kv[1] == name then
          xs[#xs + 1] = kv[2]; acc[#acc + 1] = r.final.test_acc
          gap[#gap + 1] = r.final.gap; par[#par + 1] = r.num_parameters
        end
      end
    end
    rows[#rows + 1] = { name, #xs, stats.pearson(xs, acc), stats.spearman(xs, acc), stats.pearson(xs, gap),
      stats.spearman(xs, gap), stats.pearson(xs, par), stats.spearman(xs, par) }
  end
  return rows
end

-- Equivalence classes of runs whose convergent ranks under `measure` are equal layer by
-- layer (tol = 0) or within `tol` (absolute, in rank units, every layer). Only networks of
-- the same depth can be equivalent. Runs are taken in order of their signature; each class
-- is led by its first member, and a run joins the first class whose leader it is within
-- tol of (a leader rule, so that classes do not chain). Returns a list of classes
-- { id, measure, signature (the leader's), members = {runs} } ordered by signature.
function M.classes(runs, measure, tol)
  local items = {}
  for _, r in ipairs(runs) do
    local s = M.signature(r, measure)
    if #s > 0 then items[#items + 1] = { run = r, sig = s } end
  end
  table.sort(items, function(a, b)
    if #a.sig ~= #b.sig then return #a.sig < #b.sig end
    for i = 1, #a.sig do if a.sig[i] ~= b.sig[i] then return a.sig[i] < b.sig[i] end end
    return a.run.id < b.run.id
  end)
  local classes = {}
  for _, it in ipairs(items) do
    local home
    for _, c in ipairs(classes) do
      if #c.signature == #it.sig then
        local close = true
        for i = 1, #it.sig do
          if math.abs(c.signature[i] - it.sig[i]) > tol then close = false; break end
        end
        if close then home = c; break end
      end
    end
    if not home then
      home = { id = #classes + 1, measure = measure, signature = it.sig, members = {} }
      classes[#classes + 1] = home
    end
    home.members[#home.members + 1] = it.run
  end
  return classes
end

function M.signature_text(sig)
  local parts = {}
  for i, v in ipairs(sig) do parts[i] = string.format("%.4g", v) end
  return table.concat(parts, "-")
end

-- classes.csv rows.
function M.class_rows(classes)
  local header = { "class", "measure", "signature", "size", "members", "kinds", "mean_test_acc", "min_test_acc",
    "max_test_acc" }
  local rows = {}
  for _, c in ipairs(classes) do
    local ids, kinds, acc, seen = {}, {}, {}, {}
    for _, r in ipairs(c.members) do
      ids[#ids + 1] = r.id
      acc[#acc + 1] = r.final.test_acc
      if not seen[r.kind] then kinds[#kinds + 1] = r.kind; seen[r.kind] = true end
    end
    local lo, hi = stats.minmax(acc)
    rows[#rows + 1] = { c.id, c.measure, M.signature_text(c.signature), #c.members, table.concat(ids, " "),
      table.concat(kinds, " "), stats.mean(acc), lo, hi }
  end
  return header, rows
end

-- Teacher task: for each teacher run, its known rank against the convergent rank of the
-- first layer and of the narrowest-rank layer (the bottleneck), under each measure.
function M.teacher_rows(runs, measures)
  local header = { "id", "teacher rank", "architecture", "test acc" }
  for _, m in ipairs(measures) do
    header[#header + 1] = m .. " (layer 1)"
    header[#header + 1] = m .. " (min)"
  end
  local rows = {}
  for _, r in ipairs(runs) do
    if r.kind == "teacher" then
      local row = { r.id, r.teacher_rank, table.concat(r.architecture, "-"), r.final.test_acc }
      for _, m in ipairs(measures) do
        local s = M.signature(r, m)
        row[#row + 1] = s[1]
        row[#row + 1] = math.min(table.unpack(s))
      end
      rows[#rows + 1] = row
    end
  end
  table.sort(rows, function(a, b) return a[2] < b[2] or (a[2] == b[2] and a[1] < b[1]) end)
  return header, rows
end

-- A random-label network has memorised its training set when its training accuracy (on the
-- random labels) is at least this; chance is 1/classes (0.1 on the image tasks).
M.MEMORISED = 0.9

-- Real vs random labels: per kind, the saturation rule, how runs stopped, the mean (and for
-- training accuracy the lowest) accuracies, the number of networks that memorised, and the
-- mean of each whole-network figure. Returns the header, the rows and the runs by kind.
function M.kind_rows(runs, metric_names, measures)
  local kinds = { "real", "random", "teacher" }
  local header = { "quantity" }
  local by = {}
  for _, k in ipairs(kinds) do by[k] = {} end
  for _, r in ipairs(runs) do if by[r.kind] then table.insert(by[r.kind], r) end end
  local present = {}
  for _, k in ipairs(kinds) do
    if #by[k] > 0 then present[#present + 1] = k; header[#header + 1] = k .. " (n=" .. #by[k] .. ")" end
  end
  -- a row of f over each kind's runs, summarised by agg (default: the mean)
  local function row(label, f, agg)
    local out = { label }
    for _, k in ipairs(present) do
      local xs = {}
      for _, r in ipairs(by[k]) do local v = f(r); if v then xs[#xs + 1] = v end end
      out[#out + 1] = (agg or stats.mean)(xs)
    end
    return out
  end
  local function distinct(xs)
    local seen, list = {}, {}
    for _, x in ipairs(xs) do if not seen[x] then seen[x] = true; list[#list + 1] = x end end
    return table.concat(list, ", ")
  end
  local function count(xs) return #xs end
  local rows = {
    row("saturation rule", function(r) return r.rule or "standard" end, distinct),
    row("stopped: saturated", function(r) return r.stopped == "saturated" or nil end, count),
    row("stopped: max epochs", function(r) return r.stopped == "max_epochs" or nil end, count),
    row("epochs", function(r) return r.epochs end),
    row("train accuracy", function(r) return r.final.train_acc end),
    row("train accuracy (lowest)", function(r) return r.final.train_acc end,
      function(xs) return (stats.minmax(xs)) end),
    row(string.format("train accuracy >= %g", M.MEMORISED), function(r)
      return r.final.train_acc >= M.MEMORISED or nil end, count),
    row("test accuracy", function(r) return r.final.test_acc end),
    row("generalisation gap", function(r) return r.final.gap end),
  }
  for _, name in ipairs(metric_names) do
    rows[#rows + 1] = row(name, function(r)
      for _, kv in ipairs(M.network_metrics(r, measures)) do if kv[1] == name then return kv[2] end end
    end)
  end
  return header, rows, by
end

-- One row per random-label network: id, architecture, epochs, how it stopped, train and test
-- accuracy, and its normalised network rank under `measure`.
function M.random_rows(runs, measure)
  local header = { "id", "architecture", "epochs", "stopped", "train acc", "test acc", "normalized:" .. measure }
  local rows = {}
  for _, r in ipairs(runs) do
    if r.kind == "random" then
      rows[#rows + 1] = { r.id, table.concat(r.architecture, "-"), r.epochs, r.stopped or "", r.final.train_acc,
        r.final.test_acc, r.network and r.network["normalized:" .. measure] }
    end
  end
  return header, rows
end

return M
