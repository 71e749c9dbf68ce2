-- headline.lua - problem 1's headline rank measure, chosen from a calibration study's table
-- (issue 22 item 3): calibration.csv of scripts/calibrate.lua (one row per task, layer
-- family and measure, with its slope, intercept, worst_ratio, their 95% bounds over seeds
-- and whether the measure recovers k: docs/calibration.md). The rule (verdicts.HEADLINE_RULE):
-- the measure that recovers k on the most (task, family) rows; ties go to the smaller mean
-- |log worst_ratio| over all its rows, then to the name. `floor` is left out: problem 1's
-- layer ranks are taken without the initial spectrum and horizon that floor needs
-- (NOT_MEASURED), so its value there is not the calibrated one. Without --calibration the
-- table is the default study's (DEFAULT_FILE, written by `rankhost scripts/calibrate.lua`,
-- docs/problem1.md); when no measure recovers k anywhere the choice falls back to
-- FALLBACK, and the report says so.
local rh = require "rankhost"

local M = {}

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
-- The default calibration table: the default study's calibration.csv, kept with the script.
M.DEFAULT_FILE = here .. "/default_calibration.csv"
M.FALLBACK = "energy"
M.NOT_MEASURED = { floor = true }
-- The columns the rule reads (calibrate/verdict.lua's COLUMNS names them).
M.REQUIRED = { "task", "family", "measure", "slope", "slope_lo", "slope_hi", "intercept", "intercept_lo",
  "intercept_hi", "worst_ratio", "worst_ratio_lo", "worst_ratio_hi", "recovers" }

-- The calibration.csv a --calibration PATH names: PATH itself if it is a file, else
-- PATH/calibration.csv.
function M.file_of(path)
  if path == nil or path == "" then return M.DEFAULT_FILE end
  if rh.io.exists(path .. "/calibration.csv") then return path .. "/calibration.csv" end
  return path
end

local function yes(v) return v == "yes" or v == "true" or v == true end

-- Reads a calibration.csv: its rows (numbers as numbers, `recovers` as true/false/nil).
-- Raises an error naming the file and the missing column.
function M.read(file)
  if not rh.io.exists(file) then error(string.format("--calibration: %s: no such file (a calibration study's folder "
    .. "holds calibration.csv)", file), 0) end
  local rows, columns = rh.log.read_csv(file)
  local have = {}
  for _, c in ipairs(columns) do have[c] = true end
  for _, c in ipairs(M.REQUIRED) do
    if not have[c] then error(string.format("--calibration: %s: no column '%s'", file, c), 0) end
  end
  local out = {}
  for i, r in ipairs(rows) do
    local t = {}
    for k, v in pairs(r) do t[k] = v end
    for _, c in ipairs { "slope", "slope_lo", "slope_hi", "intercept", "intercept_lo", "intercept_hi", "worst_ratio",
      "worst_ratio_lo", "worst_ratio_hi" } do
      t[c] = tonumber(r[c])
    end
    t.recovers = nil -- "cannot tell"
    if yes(r.recovers) then
      t.recovers = true
    elseif r.recovers == "no" or r.recovers == "false" then
      t.recovers = false
    end
    out[i] = t
  end
  return out
end

-- The rule over rows (M.read's) and candidates (measure names problem 1 measures): per
-- measure the (task, family) rows where it recovers k, and the mean |log worst_ratio|.
-- Returns { measure = the chosen one or nil, ranking = { { measure, recovers, where,
-- log_worst } ... } best first }.
function M.choose(rows, candidates)
  local ok = {}
  for _, m in ipairs(candidates) do if not M.NOT_MEASURED[m] then ok[m] = { measure = m, recovers = 0, where = {}, sum = 0,
    n = 0 } end end
  for _, r in ipairs(rows) do
    local e = ok[r.measure]
    if e then
      if r.recovers == true then
        e.recovers = e.recovers + 1
        e.where[#e.where + 1] = r.task .. "/" .. r.family
      end
      if r.worst_ratio and r.worst_ratio > 0 and r.worst_ratio < math.huge then
        e.sum, e.n = e.sum + math.abs(math.log(r.worst_ratio)), e.n + 1
      end
    end
  end
  local ranking = {}
  for _, e in pairs(ok) do
    e.log_worst = e.n > 0 and e.sum / e.n or math.huge
    e.sum, e.n = nil, nil
    ranking[#ranking + 1] = e
  end
  table.sort(ranking, function(a, b)
    if a.recovers ~= b.recovers then return a.recovers > b.recovers end
    if a.log_worst ~= b.log_worst then return a.log_worst < b.log_worst end
    return a.measure < b.measure
  end)
  local best = ranking[1]
  return { measure = best and best.recovers > 0 and best.measure or nil, ranking = ranking }
end

-- The first-layer rows of the table (what report.md opens with), by task then measure.
function M.first_layer(rows)
  local out = {}
  for _, r in ipairs(rows) do if r.family == "first" then out[#out + 1] = r end end
  return out
end

-- Settles o.measure: "auto" takes the rule's choice on --calibration's table (or the
-- default's), another name is the user's. Returns the facts of the choice: { measure, how
-- ("calibration" | "fallback" | "option"), file, default (no --calibration given), rule,
-- ranking, table (first-layer rows) }.
function M.settle(o, candidates)
  local file = M.file_of(o.calibration)
  local rows = M.read(file)
  local c = M.choose(rows, candidates)
  local f = { file = file, default = (o.calibration or "") == "", ranking = c.ranking, table = M.first_layer(rows),
    chosen_by_rule = c.measure }
  if o.measure ~= "auto" then
    f.measure, f.how = o.measure, "option"
  elseif c.measure then
    f.measure, f.how = c.measure, "calibration"
  else
    f.measure, f.how = M.FALLBACK, "fallback"
  end
  return f
end

return M
