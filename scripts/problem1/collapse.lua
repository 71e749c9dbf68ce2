-- collapse.lua - problem 1's neural-collapse facts (issue 22 item 3): per network, the rank
-- above C - 1 of the last hidden layer (its representation on the probe batch) and of the
-- classifier, under the headline measure, and NC1 = Tr(Sigma_W Sigma_B^+)/C of the last hidden
-- representation on the probe batch (common/collapse.lua, recorded as final.nc1), with the
-- verdict of verdicts.neural_collapse; and per kind of run the medians and counts.
local stats = require "common.stats"
local facts = require "common.facts"
local verdicts = require "common.verdicts"
local collapse = require "common.collapse"

local M = {}

local function classes_of(r) return r.architecture[#r.architecture] end

-- One row per trained network with a measurement (status ok), in record order.
function M.rows(records, m)
  local out = {}
  for _, r in ipairs(records) do
    if r.status == "ok" and r.network then
      local C = classes_of(r)
      local lh, cl = r.network["last_hidden:" .. m], r.network["classifier:" .. m]
      local above = collapse.above(lh, C)
      local nc1 = r.final and r.final.nc1
      out[#out + 1] = { id = r.id, kind = r.kind, architecture = table.concat(r.architecture, "-"), classes = C,
        converged = r.converged == true, last_hidden = lh, last_hidden_above = above, classifier = cl,
        classifier_above = collapse.above(cl, C), nc1 = nc1, verdict = verdicts.neural_collapse(above, nc1) }
    end
  end
  return out
end

-- Per kind: networks, collapsed (verdict "collapsed"), at C - 1 (rank within the slack),
-- median NC1 with quartiles, median ranks above C - 1.
function M.by_kind(rows, kinds)
  local out = {}
  for _, k in ipairs(kinds) do
    local of = {}
    for _, r in ipairs(rows) do if r.kind == k then of[#of + 1] = r end end
    if #of > 0 then
      local n_c, n_at = 0, 0
      for _, r in ipairs(of) do
        if r.verdict == "collapsed" then n_c = n_c + 1 end
        if r.verdict == "collapsed" or r.verdict == "rank_only" then n_at = n_at + 1 end
      end
      out[#out + 1] = { kind = k, networks = #of, collapsed = n_c, at_c_minus_1 = n_at,
        nc1 = facts.spread(stats.values(of, function(r) return r.nc1 end)),
        last_hidden_above = facts.spread(stats.values(of, function(r) return r.last_hidden_above end)),
        classifier_above = facts.spread(stats.values(of, function(r) return r.classifier_above end)) }
    end
  end
  return out
end

-- The facts: { rows, kinds, rule, slack, threshold }.
function M.build(records, m, kinds)
  local rows = M.rows(records, m)
  return { rows = rows, kinds = M.by_kind(rows, kinds), rule = verdicts.COLLAPSE_RULE,
    slack = verdicts.COLLAPSE_RANK_SLACK, nc1_threshold = verdicts.NC1_COLLAPSED }
end

return M
