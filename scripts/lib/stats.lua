-- stats.lua - small statistics for sweep analyses: mean, min/max, Pearson and Spearman
-- correlation (Spearman = Pearson of the ranks, ties given their average rank).
local M = {}

function M.mean(xs)
  if #xs == 0 then return nil end
  local s = 0
  for _, x in ipairs(xs) do s = s + x end
  return s / #xs
end

function M.minmax(xs)
  local lo, hi = math.huge, -math.huge
  for _, x in ipairs(xs) do
    if x < lo then lo = x end
    if x > hi then hi = x end
  end
  if #xs == 0 then return nil, nil end
  return lo, hi
end

-- Pearson's r of paired lists; nil when fewer than 3 pairs or a list is constant
-- (the correlation is undefined there, and a report should say so rather than print 0).
function M.pearson(xs, ys)
  local n = #xs
  if n ~= #ys then error("pearson: lists of different lengths (" .. n .. " and " .. #ys .. ")", 2) end
  if n < 3 then return nil end
  local mx, my = M.mean(xs), M.mean(ys)
  local sxy, sxx, syy = 0, 0, 0
  for i = 1, n do
    local dx, dy = xs[i] - mx, ys[i] - my
    sxy, sxx, syy = sxy + dx * dy, sxx + dx * dx, syy + dy * dy
  end
  if sxx == 0 or syy == 0 then return nil end
  return sxy / math.sqrt(sxx * syy)
end

-- Ranks 1..n of the values, ties sharing the mean of the ranks they span.
function M.ranks(xs)
  local order = {}
  for i = 1, #xs do order[i] = i end
  table.sort(order, function(a, b) return xs[a] < xs[b] end)
  local r = {}
  local i = 1
  while i <= #order do
    local j = i
    while j < #order and xs[order[j + 1]] == xs[order[i]] do j = j + 1 end
    local avg = (i + j) / 2
    for k = i, j do r[order[k]] = avg end
    i = j + 1
  end
  return r
end

function M.spearman(xs, ys)
  if #xs ~= #ys then error("spearman: lists of different lengths (" .. #xs .. " and " .. #ys .. ")", 2) end
  return M.pearson(M.ranks(xs), M.ranks(ys))
end

return M
