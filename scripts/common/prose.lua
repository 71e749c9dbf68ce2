-- prose.lua - the words for the facts of common/facts.lua, shared by every study's report:
-- an interval, a spread, a rho, a time. Each is a function of a fact table alone.
local M = {}

-- "mean ± half" with `digits` significant digits (3), "mean (n=1)" for one value, "n/a"
-- for none.
function M.interval(iv, digits)
  if not iv or iv.mean == nil then return "n/a" end
  local f = "%." .. (digits or 3) .. "g"
  if iv.half == nil then return string.format(f .. " (n=1)", iv.mean) end
  return string.format(f .. " ± " .. f, iv.mean, iv.half)
end

-- "median (IQR q1-q3, n = n)"; "n/a" for none.
function M.spread(s)
  if not s or s.n == 0 then return "n/a" end
  return string.format("%.3g (IQR %.3g-%.3g, n = %d)", s.median, s.q1, s.q3, s.n)
end

-- "median [q1, q3]" (a table cell); "n/a" for none.
function M.spread_cell(s)
  if not s or s.n == 0 then return "n/a" end
  return string.format("%.3g [%.3g, %.3g]", s.median, s.q1, s.q3)
end

-- Spearman's rho with its interval and n, or why it has none.
function M.rho(s)
  if not s or s.rho == nil then return "undefined (n = " .. (s and s.n or 0) .. ")" end
  if s.lo then return string.format("%.2f [%.2f, %.2f] (n = %d)", s.rho, s.lo, s.hi, s.n) end
  if s.sign == "positive" or s.sign == "negative" then
    return string.format("%.2f (n = %d, perfectly monotone)", s.rho, s.n)
  end
  return string.format("%.2f (n = %d, too few for an interval)", s.rho, s.n)
end

-- A table cell for rho: "rho [lo, hi]", "rho" or "n/a".
function M.rho_cell(s)
  if not s or s.rho == nil then return "n/a" end
  if s.lo then return string.format("%.2f [%.2f, %.2f]", s.rho, s.lo, s.hi) end
  return string.format("%.2f", s.rho)
end

-- Seconds as "m min ss s" from a minute, else "x.y s".
function M.clock(s)
  if s >= 60 then return string.format("%d min %02d s", s // 60, math.floor(s % 60 + 0.5)) end
  return string.format("%.1f s", s)
end

return M
