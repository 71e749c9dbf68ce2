-- grid_study.lua - the study.run spec that problem 1's grids share (scripts/problem1_memorise.lua,
-- problem1_width_depth.lua, problem1_wd_sweep.lua): options, plan, task, training by problem 1's
-- rules (problem1/train.lua) and the report (summary.csv, facts.json, figures, report.md) from a
-- grid module and its report module; the caller gives only what differs.
--
-- A grid's plan is either grid.plan(o) (a list of runs) or, where every network of a cell is
-- one of --seeds seeds and nothing else, grid.cells(o): the cells, which M.plan expands.
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
local space = require "problem1.space"

local M = {}

-- M.plan(o, cells): --seeds networks per cell, cell by cell, seed index s = 1..o.seeds. A cell
-- holds the fields its runs share (weight_decay, width, depth, sizes, ...) and
--   id     the run id before its seed: a run is "<id>-s<s>"
--   seed   the cell's part of run_seed = o.seed * 100003 + s * 7919 + seed (default 0: the seed
--          index gives the same initialisation and batch order in every cell)
--   work   the cost's factor: cost = parameters(sizes) x work (images an epoch, or more where a
--          run is expected to train longer)
-- and every run is of kind "real" (the real task).
function M.plan(o, cells)
  local runs = {}
  for _, cell in ipairs(cells) do
    for s = 1, o.seeds do
      local run = { id = string.format("%s-s%d", cell.id, s), kind = "real", seed_index = s,
        run_seed = o.seed * 100003 + s * 7919 + (cell.seed or 0), cost = space.num_parameters(cell.sizes) * cell.work }
      for k, v in pairs(cell) do
        if k ~= "id" and k ~= "seed" and k ~= "work" then run[k] = v end
      end
      runs[#runs + 1] = run
    end
  end
  return runs
end

function M.run(def)
  local grid = def.grid
  local tasks
  return study.run {
    name = def.name, usage = grid.USAGE, options = grid.SPEC, keys = grid.RUN_KEYS, argv = def.argv,
    dirs = { "history" }, unit = "networks", fields = { "status" }, check = grid.check,
    config = function(o)
      return { rule = trainer.rule_text(grid.run_options(o, def.rule_run and def.rule_run(o) or nil)) }
    end,
    plan = grid.cells and function(o) return M.plan(o, grid.cells(o)) end or grid.plan,
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
