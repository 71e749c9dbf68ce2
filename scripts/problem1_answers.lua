-- problem1_answers.lua - the users' four questions of problem 1, each answered yes / no /
-- cannot tell with its number, interval and n, from the facts.json files the studies wrote
-- (nothing is recomputed; a study whose facts are missing is named and its question left
-- at "cannot tell"):
--   does the convergent rank match the task's complexity?   scripts/calibrate.lua's calibration.csv
--   do overfitting networks have a higher rank?              scripts/problem1_memorise.lua's
--   is the rank a property of the task rather than the width? scripts/problem1_width_depth.lua's
--   does it plateau where accuracy holds (weight decay)?     scripts/problem1_wd_sweep.lua's
--   which networks are equivalent?                           scripts/problem1.lua's classes
--
--   rankhost scripts/problem1_answers.lua [--results DIR] [--calibration DIR] [--out DIR]
--
-- DIR defaults: --results results (problem1, problem1_memorise, ... under it), --calibration
-- results/calibrate (without one, the default calibration table), --out results/problem1_answers (answers.md, facts.json).
local script_dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = script_dir .. "/?.lua;" .. package.path

local rh = require "rankhost"
local options = require "common.options"
local prose = require "common.prose"
local facts_io = require "common.facts"
local headline = require "problem1.headline"

local SPEC = {
  { name = "help", type = "bool", default = false, help = "this text" },
  { name = "results", type = "string", default = "results", metavar = "DIR", help = "folder of the studies' folders" },
  { name = "calibration", type = "string", default = "results/calibrate", metavar = "DIR",
    help = "scripts/calibrate.lua's folder (its calibration.csv)" },
  { name = "out", type = "string", default = "results/problem1_answers", metavar = "DIR", help = "where to write" },
}
local USAGE = "usage: rankhost scripts/problem1_answers.lua [--results DIR] [--calibration DIR] [--out DIR]\n"
  .. "Problem 1's questions answered from the studies' facts.json files."
local o = options.parse_or_exit(SPEC, { ... }, USAGE, "problem1_answers.lua")
if o.help then
  print(USAGE)
  os.exit(0)
end

local function read(dir)
  local path = dir .. "/facts.json"
  if not rh.io.exists(path) then return nil, path end
  local ok, f = pcall(function()
    local h = assert(io.open(path, "rb"))
    local text = h:read("a")
    h:close()
    return rh.json.decode(text)
  end)
  if not ok then error("problem1_answers: " .. path .. " is not JSON: " .. tostring(f), 0) end
  return f, path
end

local A = { sources = {} }
local L = { "# Problem 1: the users' questions answered", "",
  "Each answer is the verdict its study's facts.json holds (the rule is named beside it); the numbers are those "
    .. "facts. Rank measure: **gap** (docs/calibration.md: the best-supported measure) unless a line says otherwise.",
  "" }
local function say(s) L[#L + 1] = s end
local function missing(q, path, cmd)
  say(string.format("- **%s** **cannot tell**: no facts at %s (run `%s`).", q, path, cmd))
end

-- 1. the task's complexity: the calibration's verdicts for the gap measure (the folder's
-- calibration.csv, else the default study's table, problem1/headline.lua's DEFAULT_FILE)
do
  local q = "Does the convergent rank match the task's complexity?"
  local file = headline.file_of(o.calibration)
  local source = "the calibration study at " .. file
  if not rh.io.exists(file) then file, source = headline.DEFAULT_FILE, "no calibration at " .. o.calibration
    .. "; the default calibration table used (scripts/problem1/default_calibration.csv: docs/calibration.md's run)" end
  local parts, yes, no = {}, 0, 0
  for _, x in ipairs(headline.read(file)) do
    if x.measure == "gap" and x.family == "first" then
      local v = x.recovers == true and "yes" or x.recovers == false and "no" or "cannot tell"
      parts[#parts + 1] = string.format("%s: %s (slope %s [%s, %s], worst r/k %s, n = %s)", x.task, v,
        x.slope and string.format("%.2f", x.slope) or "n/a", x.slope_lo and string.format("%.2f", x.slope_lo) or "n/a",
        x.slope_hi and string.format("%.2f", x.slope_hi) or "n/a",
        x.worst_ratio and string.format("%.2f", x.worst_ratio) or "n/a", tostring(x.n))
      if v == "yes" then yes = yes + 1 elseif v == "no" then no = no + 1 end
    end
  end
  local answer = (yes > 0 and no == 0) and "yes" or (no > 0 and yes == 0) and "no" or (yes > 0 and "on some tasks")
    or "cannot tell"
  say(string.format("- **%s** **%s**: the gap rank of the first layer recovers k (calibrate's rule 'recovers') on "
    .. "%d of %d tasks (%s): %s.", q, answer, yes, yes + no, source, #parts > 0 and table.concat(parts, "; ") or "no gap rows"))
  A.complexity = { answer = answer, source = file, yes = yes, no = no }
end

-- 2. overfitting and memorisation
do
  local q = "Do overfitting networks have higher rank?"
  local f, path = read(o.results .. "/problem1_memorise")
  if not f then
    missing(q, path, "build/rankhost scripts/problem1_memorise.lua")
    A.memorise = { answer = "cannot tell", source = path }
  else
    local function list(rows)
      local p = {}
      for _, s in ipairs(rows) do p[#p + 1] = string.format("wd %g: %s", s.wd, prose.rho(s)) end
      return table.concat(p, "; ")
    end
    say(string.format("- **%s** Memorised labels: **%s** (rho of the gap rank with the memorised fraction at fixed "
      .. "weight decay; rule %s): %s. A larger generalisation gap from a smaller training set, no noise: **%s** (%s).",
      q, f.answer_memorised.answer, f.answer_memorised.rule, list(f.vs_memorised), f.answer_gap.answer, list(f.vs_gap)))
    A.memorise = { answer = f.answer_memorised.answer, gap_answer = f.answer_gap.answer, source = path }
  end
end

-- 3. width
do
  local q = "Is the rank a property of the task rather than the width?"
  local f, path = read(o.results .. "/problem1_width_depth")
  if not f then
    missing(q, path, "build/rankhost scripts/problem1_width_depth.lua")
    A.width = { answer = "cannot tell", source = path }
  else
    local parts = {}
    for _, b in ipairs(f.families[1] and f.families[1].by_depth or {}) do
      parts[#parts + 1] = b.plateau_width and string.format("depth %d: flat from width %d at %s (n = %d)", b.depth,
        b.plateau_width, prose.interval(b.value), b.value.n) or string.format("depth %d: no plateau (n = %d)", b.depth, b.n)
    end
    say(string.format("- **%s** **%s** for the first layer (rule %s; plateau value against depth: %s; widths %s, "
      .. "depths %s): %s.", q, f.answer.answer, f.answer.rule, f.families[1] and f.families[1].depends or "n/a",
      table.concat(f.widths, ", "), table.concat(f.depths, ", "), table.concat(parts, "; ")))
    A.width = { answer = f.answer.answer, source = path }
  end
  local w, wpath = read(o.results .. "/problem1_wd_sweep")
  if not w then
    missing("Does the rank plateau over the weight decays where accuracy holds?", wpath,
      "build/rankhost scripts/problem1_wd_sweep.lua")
    A.weight_decay = { answer = "cannot tell", source = wpath }
  else
    local holds = {}
    for i, x in ipairs(w.holds_matched or {}) do holds[i] = string.format("%g", x) end
    say(string.format("- **Does the rank plateau over the weight decays where accuracy holds?** **%s** for the first "
      .. "layer at matched horizon (rule %s, weight decays %s; weight decay chosen on validation: %g, test accuracy "
      .. "%s); rho of the rank with log weight decay over all decays %s.", w.answer.answer, w.answer.rule,
      #holds > 0 and table.concat(holds, ", ") or "none", w.chosen and w.chosen.wd or 0,
      w.chosen and prose.interval(w.chosen.test_acc) or "n/a", prose.rho(w.families[1] and w.families[1].vs_wd)))
    A.weight_decay = { answer = w.answer.answer, source = wpath }
  end
end

-- 4. classes: problem 1's own facts (their nulls: common/nulls.lua)
do
  local q = "Which networks are equivalent?"
  local f, path = read(o.results .. "/problem1")
  local c = f and f.findings and f.findings.classes
  if not c then
    missing(q, path, "build/rankhost scripts/problem1.lua")
    A.classes = { answer = "cannot tell", source = path }
  else
    local null = c.null
    say(string.format("- **%s** %d classes over %d networks of %d architectures (%s rank, figure %s; rule %s: %s)%s.",
      q, c.classes or 0, c.n or 0, c.architectures or 0, f.measure or "?", f.settings and f.settings.class_figure or "?",
      c.rule or "?", c.verdict or "?", null and string.format("; against its permutation null: %s (p = %s, rule %s)",
        null.verdict or "?", null.consistency and null.consistency.p and string.format("%.3g", null.consistency.p)
        or "n/a", null.rule or "?") or ""))
    A.classes = { answer = c.verdict, null = null and null.verdict, source = path }
  end
end

rh.io.mkdir_p(o.out)
rh.io.write_atomic(o.out .. "/answers.md", table.concat(L, "\n") .. "\n")
facts_io.write(o.out, A)
print(table.concat(L, "\n"))
print("wrote " .. o.out .. "/answers.md, facts.json")
