-- stats.lua - small statistics for study reports: mean, median, standard deviation, a 95%
-- confidence interval of a mean (Student's t), min/max, Pearson and Spearman correlation
-- (Spearman = Pearson of the ranks, ties given their average rank), and the adjusted Rand
-- index of two labelings (Hubert & Arabie 1985), and the one rule for a missing value
-- (values, paired_values: nil and NaN are dropped). Their words are common/prose.lua's.
local M = {}

-- The usable values f(item) of a list: nil and NaN are dropped (one rule for every study:
-- a value that is not a number is not averaged, correlated or counted; common/verdicts.lua's
-- usable). f defaults to the identity.
local function usable(x) return type(x) == "number" and x == x end
M.usable = usable
function M.values(list, f)
  local out = {}
  for _, item in ipairs(list) do
    local v = f and f(item) or (not f and item or nil)
    if usable(v) then out[#out + 1] = v end
  end
  return out
end

-- Paired lists fx(item), fy(item) over a list, keeping the pairs where both are usable.
function M.paired_values(list, fx, fy)
  local xs, ys = {}, {}
  for _, item in ipairs(list) do
    local x, y = fx(item), fy(item)
    if usable(x) and usable(y) then xs[#xs + 1], ys[#ys + 1] = x, y end
  end
  return xs, ys
end

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

-- The median (mean of the two middle values for an even count); nil for an empty list.
function M.median(xs)
  if #xs == 0 then return nil end
  local s = { table.unpack(xs) }
  table.sort(s)
  local n = #s
  if n % 2 == 1 then return s[(n + 1) // 2] end
  return (s[n // 2] + s[n // 2 + 1]) / 2
end

-- The sample standard deviation (n - 1); nil for fewer than 2 values.
function M.sd(xs)
  local n = #xs
  if n < 2 then return nil end
  local m, ss = M.mean(xs), 0
  for _, x in ipairs(xs) do ss = ss + (x - m) ^ 2 end
  return math.sqrt(ss / (n - 1))
end

-- Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom (then 1.96 is
-- within 4% of the exact value, which falls from 2.042 at 30 to 1.96).
local T95 = { 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
  2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
  2.045, 2.042 }
function M.t95(df) return T95[df] or (df > 30 and 1.96 or nil) end

-- The mean and the half-width of its 95% confidence interval (mean +- t * sd / sqrt(n));
-- the half-width is nil for fewer than 2 values.
function M.ci95(xs)
  local n = #xs
  if n == 0 then return nil, nil end
  local m, sd = M.mean(xs), M.sd(xs)
  if not sd then return m, nil end
  return m, M.t95(n - 1) * sd / math.sqrt(n)
end

-- "mean ± half" of a list (its 95% interval, prose.interval's words); "n/a" for none. For
-- study reports written by hand (examples/my_study.lua, the calibration report).
function M.fmt_ci(xs, digits)
  local m, h = M.ci95(xs)
  return require("common.prose").interval(m and { mean = m, half = h } or nil, digits)
end

-- The q-quantile (0 <= q <= 1) by linear interpolation between order statistics (numpy's
-- default); nil for an empty list.
function M.quantile(xs, q)
  if #xs == 0 then return nil end
  local s = { table.unpack(xs) }
  table.sort(s)
  local h = (#s - 1) * q + 1
  local lo = math.floor(h)
  if lo >= #s then return s[#s] end
  return s[lo] + (h - lo) * (s[lo + 1] - s[lo])
end

-- Spearman's rho with an approximate 95% interval from Fisher's z with the standard error
-- 1.06 / sqrt(n - 3) (Fieller, Hartley & Pearson 1957): rho, lo, hi (lo, hi nil below n = 5
-- or when rho is undefined or +-1).
function M.spearman_ci(xs, ys)
  local rho = M.spearman(xs, ys)
  local n = #xs
  if rho == nil or n < 5 or math.abs(rho) >= 1 then return rho, nil, nil end
  local z = 0.5 * math.log((1 + rho) / (1 - rho))
  local se = 1.06 / math.sqrt(n - 3)
  local function back(x) return (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1) end
  return rho, back(z - 1.96 * se), back(z + 1.96 * se)
end

-- The share of the variance of values explained by their groups (eta squared of a one-way
-- analysis of variance): between-group sum of squares over the total. values and groups are
-- parallel lists; nil when there are fewer than 2 values or no variance.
function M.eta_squared(values, groups)
  local n = #values
  if n < 2 then return nil end
  local m = M.mean(values)
  local sum, count = {}, {}
  local total = 0
  for i = 1, n do
    local g = tostring(groups[i])
    sum[g], count[g] = (sum[g] or 0) + values[i], (count[g] or 0) + 1
    total = total + (values[i] - m) ^ 2
  end
  if total == 0 then return nil end
  -- the groups in sorted order: pairs' order of string keys differs from process to process
  -- (Lua seeds its string hashes), and so would the sum's last bits
  local keys = {}
  for g in pairs(sum) do keys[#keys + 1] = g end
  table.sort(keys)
  local between = 0
  for _, g in ipairs(keys) do between = between + count[g] * (sum[g] / count[g] - m) ^ 2 end
  return between / total
end

-- Adjusted Rand index of two labelings of the same items (lists of equal length whose
-- values are any comparable labels): 1 for identical partitions, about 0 for independent
-- ones (its expectation under random labelings with the same sizes is 0). Two identical
-- trivial partitions (all items in one group, or each alone) give 1, as in scikit-learn;
-- fewer than 2 items give nil.
function M.ari(a, b)
  local n = #a
  if n ~= #b then error("ari: labelings of different lengths (" .. n .. " and " .. #b .. ")", 2) end
  if n < 2 then return nil end
  local function c2(x) return x * (x - 1) / 2 end
  local cells, rows, cols = {}, {}, {}
  for i = 1, n do
    local ka, kb = tostring(a[i]), tostring(b[i])
    local key = ka .. "\0" .. kb
    cells[key] = (cells[key] or 0) + 1
    rows[ka] = (rows[ka] or 0) + 1
    cols[kb] = (cols[kb] or 0) + 1
  end
  local index, sa, sb = 0, 0, 0
  for _, c in pairs(cells) do index = index + c2(c) end
  for _, c in pairs(rows) do sa = sa + c2(c) end
  for _, c in pairs(cols) do sb = sb + c2(c) end
  local expected = sa * sb / c2(n)
  local max = (sa + sb) / 2
  if max == expected then return 1 end -- only when both are the same trivial partition
  return (index - expected) / (max - expected)
end

-- The least-squares slope of ys on xs with the half-width of its 95% interval (Student's t,
-- n - 2 degrees of freedom) and n: slope, half, n (half nil below 3 points; slope nil with
-- fewer than 2 distinct xs).
function M.slope_ci(xs, ys)
  local n = #xs
  if n < 2 then return nil, nil, n end
  local mx, my = M.mean(xs), M.mean(ys)
  local sxx, sxy = 0, 0
  for i = 1, n do sxx, sxy = sxx + (xs[i] - mx) ^ 2, sxy + (xs[i] - mx) * (ys[i] - my) end
  if sxx <= 0 then return nil, nil, n end
  local b = sxy / sxx
  if n < 3 then return b, nil, n end
  local sse = 0
  for i = 1, n do sse = sse + (ys[i] - my - b * (xs[i] - mx)) ^ 2 end
  local se = math.sqrt(sse / (n - 2) / sxx)
  return b, M.t95(n - 2) * se, n
end

-- The plateau of ys against log2(widths) (one value per run, several runs a width): for
-- each distinct width w from the narrowest up, the slope of y on log2(width) over the runs at
-- widths >= w with its 95% interval; the plateau width is the narrowest w with at least 2
-- distinct widths and 3 runs from it whose interval contains 0 (the slope is
-- indistinguishable from 0 from there on). Returns { width (nil: no plateau), slope, half,
-- n, value = { mean, half, n } (of the runs from the plateau width), fits = { { width,
-- slope, half, n }, ... } }.
function M.plateau(widths, ys)
  local set, list = {}, {}
  for _, w in ipairs(widths) do if not set[w] then set[w], list[#list + 1] = true, w end end
  table.sort(list)
  local res = { fits = {} }
  for _, w0 in ipairs(list) do
    local xs, vs, distinct = {}, {}, {}
    for i, w in ipairs(widths) do
      if w >= w0 then xs[#xs + 1], vs[#vs + 1], distinct[w] = math.log(w, 2), ys[i], true end
    end
    local nd = 0
    for _ in pairs(distinct) do nd = nd + 1 end
    if nd >= 2 and #xs >= 3 then
      local b, half, n = M.slope_ci(xs, vs)
      res.fits[#res.fits + 1] = { width = w0, slope = b, half = half, n = n }
      if not res.width and b and half and b - half <= 0 and b + half >= 0 then
        local mean, vh = M.ci95(vs)
        res.width, res.slope, res.half, res.n = w0, b, half, n
        res.value = { mean = mean, half = vh, n = #vs }
      end
    end
  end
  return res
end

return M
