-- facts.lua - the numbers a study report states, as plain tables a reader can check in
-- facts.json: a mean with its 95% interval {mean, half, n}, a median with its quartiles
-- {median, q1, q3, n}, Spearman's rho {rho, lo, hi, n}, and a verdict beside its rule's
-- name in common/verdicts.lua (facts.json lists every rule and threshold). Nothing here
-- writes words: the prose writers (common/prose.lua, each study's report.lua) format these.
local rh = require "rankhost"
local stats = require "common.stats"
local verdicts = require "common.verdicts"

local M = {}

-- The mean of the usable values with the half-width of its 95% interval (Student's t) and n.
function M.interval(xs)
  xs = stats.values(xs)
  local mean, half = stats.ci95(xs)
  return { mean = mean, half = half, n = #xs }
end

-- The median with the quartiles (numpy's interpolation) and n.
function M.spread(xs)
  xs = stats.values(xs)
  return { median = stats.median(xs), q1 = stats.quantile(xs, 0.25), q3 = stats.quantile(xs, 0.75), n = #xs }
end

-- Spearman's rho of paired lists with its Fisher-z 95% interval, n and its sign verdict.
function M.rho(xs, ys)
  local rho, lo, hi = stats.spearman_ci(xs, ys)
  return { rho = rho, lo = lo, hi = hi, n = #xs, sign = verdicts.rho_sign { rho = rho, lo = lo, hi = hi, n = #xs },
    rule = verdicts.RHO_SIGN_RULE }
end

-- A mean with its interval and where it lies against ref (0 by default): verdicts.side.
function M.against(xs, ref)
  local iv = M.interval(xs)
  iv.side, iv.ref, iv.rule = verdicts.side(iv, ref), ref or 0, verdicts.SIDE_RULE
  return iv
end

-- A copy of options o fit for JSON: scalars and lists of scalars, no private (_) keys.
function M.options(o)
  local out = {}
  for k, v in pairs(o) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" then
      if type(v) == "number" or type(v) == "string" or type(v) == "boolean" then
        out[k] = v
      elseif type(v) == "table" and #v > 0 then
        local list = {}
        for i, x in ipairs(v) do if type(x) ~= "table" then list[i] = x end end
        if #list == #v then out[k] = list end
      end
    end
  end
  return out
end

-- Writes facts (a table of the above) to out/facts.json, atomically, with the named
-- thresholds and the rules of common/verdicts.lua beside them.
function M.write(out, facts)
  facts.thresholds, facts.rules = verdicts.constants(), verdicts.RULES
  rh.io.write_atomic(out .. "/facts.json", rh.json.encode(facts) .. "\n")
  return "facts.json"
end

return M
