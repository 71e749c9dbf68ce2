-- classes.lua - equivalence classes of networks of equal convergent rank, and how much of
-- the class assignment the architecture alone explains.
--
-- A class is taken on a figure of the network under a rank measure (problem1/train.lua):
--   bottleneck   the lowest hidden-layer rank: one number, whatever the depth and widths
--   last_hidden  the rank of the last hidden representation on the probe batch
--   profile      every layer's rank (the old signature): only networks of one depth compare
-- Runs are taken in order of their value; each class is led by its first member and a run
-- joins the first class whose leader is within `tol` of it (every layer, for a profile) - a
-- leader rule, so that classes do not chain.
local stats = require "common.stats"

local M = {}

M.FIGURES = { "bottleneck", "last_hidden", "profile" }
-- The real-valued measures: their values are taken to the nearest integer before classes.
M.ROUNDED = { effective = true, stable = true }

-- The value of run r that classes are taken on: a number, or a list for a profile.
function M.value(r, figure, measure)
  if figure == "profile" then
    local s = {}
    for i, layer in ipairs(r.layers or {}) do s[i] = layer.ranks[measure] end
    return #s > 0 and s or nil
  end
  return r.network and r.network[figure .. ":" .. measure]
end

local function as_list(v) return type(v) == "table" and v or { v } end

-- A class's value in words: its numbers joined by sep ("-" by default; ";" in a CSV).
function M.text(v, sep)
  local parts = {}
  for i, x in ipairs(as_list(v)) do parts[i] = string.format("%.4g", x) end
  return table.concat(parts, sep or "-")
end

function M.architecture(r) return table.concat(r.architecture, "-") end

-- classes(runs, figure, measure, tol [, round]) -> list of { id, figure, measure, value,
-- members }; round takes each value to the nearest integer first (by default for the
-- real-valued effective and stable ranks, so that every measure's classes have one resolution).
function M.classes(runs, figure, measure, tol, round)
  if round == nil then round = M.ROUNDED[measure] == true end
  local items = {}
  for _, r in ipairs(runs) do
    local v = M.value(r, figure, measure)
    if v and round then
      local t = {}
      for i, x in ipairs(as_list(v)) do t[i] = math.floor(x + 0.5) end
      v = type(v) == "table" and t or t[1]
    end
    if v then items[#items + 1] = { run = r, v = as_list(v), raw = v } end
  end
  table.sort(items, function(a, b)
    if #a.v ~= #b.v then return #a.v < #b.v end
    for i = 1, #a.v do if a.v[i] ~= b.v[i] then return a.v[i] < b.v[i] end end
    return a.run.id < b.run.id
  end)
  local classes = {}
  for _, it in ipairs(items) do
    local home
    for _, c in ipairs(classes) do
      if #c.lead == #it.v then
        local close = true
        for i = 1, #it.v do
          if math.abs(c.lead[i] - it.v[i]) > tol then close = false; break end
        end
        if close then home = c; break end
      end
    end
    if not home then
      home = { id = #classes + 1, figure = figure, measure = measure, lead = it.v, value = it.raw, members = {} }
      classes[#classes + 1] = home
    end
    home.members[#home.members + 1] = it.run
  end
  return classes
end

-- The class id of each run (by run id).
function M.label_of(classes)
  local of = {}
  for _, c in ipairs(classes) do
    for _, r in ipairs(c.members) do of[r.id] = c.id end
  end
  return of
end

-- The distinct architectures of a class's members, in order of first appearance.
function M.architectures(c)
  local seen, list = {}, {}
  for _, r in ipairs(c.members) do
    local a = M.architecture(r)
    if not seen[a] then seen[a] = true; list[#list + 1] = a end
  end
  return list
end

-- classes.csv: header and rows (group names the runs the classes were taken over).
function M.rows(classes, group)
  local header = { "class", "group", "measure", "figure", "signature", "size", "architectures", "architecture_list",
    "members", "kinds", "mean_test_acc", "min_test_acc", "max_test_acc" }
  local rows = {}
  for _, c in ipairs(classes) do
    local ids, kinds, acc, seen = {}, {}, {}, {}
    for _, r in ipairs(c.members) do
      ids[#ids + 1] = r.id
      if r.final then acc[#acc + 1] = r.final.test_acc end
      if not seen[r.kind] then kinds[#kinds + 1] = r.kind; seen[r.kind] = true end
    end
    -- in the CSV a list's elements are joined by ";", several lists by a space (docs/results.md)
    local archs = {}
    for i, a in ipairs(M.architectures(c)) do archs[i] = a:gsub("%-", ";") end
    local lo, hi = stats.minmax(acc)
    rows[#rows + 1] = { c.id, group, c.measure, c.figure, M.text(c.value, ";"), #c.members, #archs,
      table.concat(archs, " "), table.concat(ids, " "), table.concat(kinds, " "), stats.mean(acc), lo, hi }
  end
  return header, rows
end

-- How the classes of `runs` relate to their architectures, both ways. Architecture -> class:
-- of the architectures with two or more converged seeds, how many have every seed in one
-- class (consistent of replicated), and eta squared, the share of the figure's variance that
-- lies between architectures. Class -> architecture: the number of classes, of
-- architectures, and of classes holding two or more architectures. And the adjusted Rand
-- index of the two partitions (1: the classes are the architectures; it is low both when
-- seeds scatter and when classes merge architectures, so it is read with the two above).
function M.against_architecture(runs, classes)
  local of = M.label_of(classes)
  local a, b = {}, {}
  for _, r in ipairs(runs) do
    if of[r.id] then a[#a + 1] = of[r.id]; b[#b + 1] = M.architecture(r) end
  end
  local archs, multi = {}, 0
  for _, x in ipairs(b) do archs[x] = true end
  local narch = 0
  for _ in pairs(archs) do narch = narch + 1 end
  for _, c in ipairs(classes) do if #M.architectures(c) >= 2 then multi = multi + 1 end end
  -- and the share of the variance of the figure itself that the architecture explains
  local vals, groups = {}, {}
  for _, c in ipairs(classes) do
    for _, r in ipairs(c.members) do
      local v = M.value(r, c.figure, c.measure)
      if type(v) == "number" then vals[#vals + 1], groups[#groups + 1] = v, M.architecture(r) end
    end
  end
  -- architectures whose replicates (two or more converged seeds) all fall into one class
  local class_of_arch, seeds_of, mixed = {}, {}, {}
  for i = 1, #a do
    seeds_of[b[i]] = (seeds_of[b[i]] or 0) + 1
    if class_of_arch[b[i]] and class_of_arch[b[i]] ~= a[i] then mixed[b[i]] = true end
    class_of_arch[b[i]] = class_of_arch[b[i]] or a[i]
  end
  local replicated, consistent = 0, 0
  for arch, count in pairs(seeds_of) do
    if count >= 2 then
      replicated = replicated + 1
      if not mixed[arch] then consistent = consistent + 1 end
    end
  end
  -- how far seeds of one architecture spread: the median over replicated architectures of
  -- the range (max - min) of the figure
  local lo, hi = {}, {}
  for i, v in ipairs(vals) do
    local g = groups[i]
    lo[g], hi[g] = math.min(lo[g] or v, v), math.max(hi[g] or v, v)
  end
  local ranges = {}
  for g, c in pairs(seeds_of) do if c >= 2 and lo[g] then ranges[#ranges + 1] = hi[g] - lo[g] end end
  return { ari = stats.ari(a, b), n = #a, classes = #classes, architectures = narch, multi = multi,
    eta2 = stats.eta_squared(vals, groups), replicated = replicated, consistent = consistent,
    spread = stats.median(ranges) }
end

-- Classes with and without weight decay over twin pairs: the adjusted Rand index between the
-- classes of the wd>0 networks and the classes of their wd0 twins (each taken among its own
-- kind). Returns { ari, n } over the pairs where both have a value.
function M.against_twins(real_runs, wd0_runs, figure, measure, tol, round)
  local by_twin = {}
  for _, w in ipairs(wd0_runs) do if w.twin then by_twin[w.twin] = w end end
  local pr, pw = {}, {}
  for _, r in ipairs(real_runs) do
    if by_twin[r.id] then pr[#pr + 1] = r; pw[#pw + 1] = by_twin[r.id] end
  end
  local lr = M.label_of(M.classes(pr, figure, measure, tol, round))
  local lw = M.label_of(M.classes(pw, figure, measure, tol, round))
  local a, b = {}, {}
  for i = 1, #pr do
    if lr[pr[i].id] and lw[pw[i].id] then a[#a + 1] = lr[pr[i].id]; b[#b + 1] = lw[pw[i].id] end
  end
  return { ari = stats.ari(a, b), n = #a }
end

return M
