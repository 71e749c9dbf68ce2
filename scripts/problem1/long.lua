-- long.lua - problem 1's equilibrium check (issue 22 item 4, --long): networks trained on to
-- H >= --long-horizon; per measure, each network's figures at the rank check nearest H =
-- --long-at (its history) against the end (after the cooldown), the paired difference with
-- its 95% interval over the networks, and whether each network's figure stayed within the stop
-- rule's slack (verdicts.within_slack): a measure that does not is one that drifts, i.e. one
-- whose "convergent" rank at H ~ 5 is not the rank of equilibrium.
local rh = require "rankhost"
local stats = require "common.stats"
local facts = require "common.facts"
local verdicts = require "common.verdicts"

local M = {}

M.FIGURES = { "bottleneck", "first_layer", "classifier" }

-- A figure of a list of layer rank tables ({ ranks = { m = r } }).
local function figure(layers, f, m)
  local nl = #layers
  if nl == 0 then return nil end
  if f == "first_layer" then return layers[1].ranks[m] end
  if f == "classifier" then return layers[nl].ranks[m] end
  if nl < 2 then return nil end
  local b = math.huge
  for i = 1, nl - 1 do b = math.min(b, layers[i].ranks[m]) end
  return b
end

-- The history line (a rank check, with layers) whose horizon is nearest h.
function M.check_near(history, h)
  local best, dist
  for _, line in ipairs(history) do
    if line.layers and line.wd_horizon then
      local d = math.abs(line.wd_horizon - h)
      if not dist or d < dist then best, dist = line, d end
    end
  end
  return best
end

-- facts of the check: { runs = { {id, architecture, early_h, late_h} }, rows = { per measure and
-- figure: early, late (intervals over networks), diff (paired), within (count), n, verdict } }.
-- history_of(id) -> the run's history lines (nil when unreadable).
function M.build(records, o, measures, history_of)
  local runs = {}
  for _, r in ipairs(records) do
    if r.kind == "long" and r.status == "ok" and r.layers then
      local hist = history_of(r.id)
      local early = hist and M.check_near(hist, o.long_at)
      if early then
        runs[#runs + 1] = { record = r, early = early.layers, early_h = early.wd_horizon, late = r.layers,
          late_h = r.wd_horizon }
      end
    end
  end
  if #runs == 0 then return nil end
  local rows = {}
  local headline = require "problem1.headline"
  for _, m in ipairs(measures) do
    -- floor is measured here without the initial spectrum and horizon it needs (headline.lua)
    for _, f in ipairs(headline.NOT_MEASURED[m] and {} or M.FIGURES) do
      local e, l, d, within, n = {}, {}, {}, 0, 0
      for _, x in ipairs(runs) do
        local a, b = figure(x.early, f, m), figure(x.late, f, m)
        if stats.usable(a) and stats.usable(b) then
          e[#e + 1], l[#l + 1], d[#d + 1] = a, b, b - a
          n = n + 1
          if verdicts.within_slack(a, b, o.rank_slack, o.rank_rel_slack) then within = within + 1 end
        end
      end
      if n > 0 then
        rows[#rows + 1] = { measure = m, figure = f, scale_invariant = rh.rank.measure_info[m]
          and rh.rank.measure_info[m].scale_invariant, early = facts.interval(e), late = facts.interval(l),
          diff = facts.against(d), within = within, n = n, verdict = within == n and "stationary" or "drifts",
          rule = verdicts.EQUILIBRIUM_RULE }
      end
    end
  end
  local list = {}
  for _, x in ipairs(runs) do
    list[#list + 1] = { id = x.record.id, architecture = table.concat(x.record.architecture, "-"), early_h = x.early_h,
      late_h = x.late_h, epochs = x.record.epochs, stopped = x.record.stopped, converged = x.record.converged == true,
      norms_stationary = x.record.norms_stationary }
  end
  local h_early, h_late = {}, {}
  for _, x in ipairs(runs) do h_early[#h_early + 1], h_late[#h_late + 1] = x.early_h, x.late_h end
  return { runs = list, rows = rows, at = o.long_at, horizon = o.long_horizon, slack = o.rank_slack,
    rel_slack = o.rank_rel_slack, early_h = facts.interval(h_early), late_h = facts.interval(h_late) }
end

return M
