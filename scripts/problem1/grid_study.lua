-- grid_study.lua - the study.run spec that problem 1's grids share (scripts/problem1_memorise.lua,
-- problem1_width_depth.lua, problem1_wd_sweep.lua): options, plan, task, training by problem 1's
-- rules (problem1/train.lua) and the report (summary.csv, facts.json, figures, report.md) from a
-- grid module and its report module; the caller gives only what differs.
--
--   grid_study.run {
--     name = "problem1_...", grid = <grid module>, report = <report module>, argv = { ... },
--     announce = function(ctx) return "problem 1, ...: ..." end,  -- the first line printed
--     detail = function(rec) return "test acc ..., ... rank ..." end,  -- the middle of a network's line
--     rule_run = function(o) ... end,   -- optional: the run whose options config's rule text shows
--     tables = function(F, put) ... end,  -- optional: more tables written after the facts
--     figures = function(out, o, records, F) ... end,  -- optional: default grid.figures(out, o, F)
--   }
local options = require "common.options"
local study = require "common.study"
local doc = require "common.report"
local facts_io = require "common.facts"
local trainer = require "problem1.train"

local M = {}

function M.run(def)
  local grid = def.grid
  local tasks
  return study.run {
    name = def.name, usage = grid.USAGE, options = grid.SPEC, keys = grid.RUN_KEYS, argv = def.argv,
    dirs = { "history" }, unit = "networks", fields = { "status" }, check = grid.check,
    config = function(o)
      return { rule = trainer.rule_text(grid.run_options(o, def.rule_run and def.rule_run(o) or nil)) }
    end,
    plan = grid.plan,
    announce = function(ctx)
      print(def.announce(ctx))
      print("settings: " .. options.describe(ctx.spec, ctx.o))
    end,
    prepare = function(ctx, share)
      tasks = grid.tasks(ctx.o)
      for _, e in ipairs(share) do tasks.get(e.run) end
    end,
    train = function(run, ctx)
      local tag = ctx.place.label ~= "" and "[" .. ctx.place.label .. "] " or ""
      return trainer.train(run, tasks.get(run), grid.run_options(ctx.o, run),
        ctx.out .. "/history/" .. run.id .. ".jsonl", function(line) print("  " .. tag .. line) end)
    end,
    summary = function(rec)
      if rec.status ~= "ok" then return string.format("%s (epoch %d), %.1f s", rec.status, rec.epochs, rec.wall_time) end
      return string.format("%s after %d epochs (H %.2f), %s, %.1f s",
        rec.converged and "converged" or rec.stopped, rec.epochs, rec.wd_horizon or 0, def.detail(rec), rec.wall_time)
    end,
    report = function(ctx, records)
      local analysis = require "problem1.analysis"
      local out, written = ctx.out, {}
      local function put(name, text)
        doc.write(out .. "/" .. name, text)
        written[#written + 1] = name
      end
      put("summary.csv", doc.csv(grid.summary(records)))
      local F = grid.facts(ctx.o, records)
      if def.tables then def.tables(F, put) end
      if def.figures then F.figures = def.figures(out, ctx.o, records, F)
      else F.figures = grid.figures(out, ctx.o, F) end
      for _, f in ipairs(F.figures) do written[#written + 1] = f.file end
      local t = analysis.timing(out)
      F.time = { wall_s = t.wall_s, starts = t.starts, cores = t.cores }
      F.options = facts_io.options(ctx.o)
      written[#written + 1] = facts_io.write(out, F)
      put("report.md", def.report.text(F))
      return written
    end,
  }
end

return M
