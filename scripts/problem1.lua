-- problem1.lua - Problem 1: does the rank a network converges to under SGD with weight decay
-- follow the complexity of its task? Random networks, their controls (weight decay 0, random
-- labels) and a ladder of tasks of known complexity, each trained until its loss saturates
-- and its ranks converge; then the convergent rank against accuracy, architecture and task.
--
--   rankhost scripts/problem1.lua [--quick|--full] [--out DIR] [--jobs N] [...]
--   rankhost scripts/problem1.lua --help        -- every option with its default
--
-- Writes runs.jsonl, history/, summary.csv, classes.csv, complexity.csv, report.md and PNG
-- figures into --out (docs/problem1.md says how to read them). A restart with the same --out
-- continues where it stopped; --shard, Slurm arrays and mpirun split the runs (docs/cluster.md).
local script_dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = script_dir .. "/?.lua;" .. package.path

local rh = require "rankhost"
local options = require "common.options"
local results = require "common.results"
local study = require "common.study"
local settings = require "problem1.settings"
local plan_of = require "problem1.plan"
local tasks_of = require "problem1.tasks"
local trainer = require "problem1.train"
local analysis = require "problem1.analysis"

local KINDS = { "real", "wd0", "random", "teacher", "parity", "noise", "mnist", "long" }

-- the header: the plan by kind, the settings, the stop rule
local function announce(ctx)
  local o, plan = ctx.o, ctx.plan
  print(string.format("problem 1: %d networks (%s) -> %s", #plan, study.kind_counts(plan, KINDS), ctx.out))
  print("settings: " .. options.describe(ctx.spec, o))
  print("stop rule: " .. trainer.rule_text(o))
end

-- every task this process trains on, built before any worker starts: workers share the data
local tasks
local function prepare(ctx, share)
  tasks = tasks_of.new(ctx.o)
  for _, e in ipairs(share) do tasks.get(e.run) end
end

study.run {
  name = "problem1", usage = settings.USAGE, options = settings.SPEC, keys = settings.RUN_KEYS, argv = { ... },
  dirs = { "history" }, unit = "networks", fields = { "status" },
  check = settings.check,
  -- the MNIST rung and the measure the rank rule watches (settings.settle_rank_measure):
  -- decided once, at the study's first start, and kept
  settle = function(o, recorded)
    settings.settle_rank_measure(o, recorded)
    if o.ladder_mnist == "auto" then
      o.ladder_mnist = recorded and recorded.options and recorded.options.ladder_mnist
        or (tasks_of.mnist_found(o) and "on" or "off")
    end
  end,
  config = function(o) return { rule = trainer.rule_text(o) } end,
  plan = plan_of.plan, announce = announce, prepare = prepare,
  train = function(run, ctx)
    local tag = ctx.place.label ~= "" and "[" .. ctx.place.label .. "] " or ""
    return trainer.train(run, tasks.get(run), ctx.o, ctx.out .. "/history/" .. run.id .. ".jsonl", function(line)
      print("  " .. tag .. line)
    end)
  end,
  describe = function(run)
    return string.format("[%s, %s%s]", table.concat(run.sizes, "-"), run.kind,
      run.level and run.kind ~= "random" and (" " .. run.level) or "")
  end,
  summary = function(rec)
    if rec.status ~= "ok" then return string.format("%s (epoch %d), %.1f s", rec.status, rec.epochs, rec.wall_time) end
    return string.format("%s after %d epochs (H %.1f), test acc %.3f, %.1f s", rec.converged and "converged"
      or rec.stopped, rec.epochs, rec.wd_horizon or 0, rec.final.test_acc, rec.wall_time)
  end,
  -- analysis, figures, report; the settings as the report shows them: what the study is,
  -- not where or how it ran
  report = function(ctx, records)
    local shown = {}
    for _, opt in ipairs(ctx.spec) do
      if not results.PROCESS[opt.name:gsub("-", "_")] then shown[#shown + 1] = opt end
    end
    ctx.o._command = options.describe(shown, ctx.o)
    return analysis.write_all(ctx.out, ctx.o, ctx.plan, records)
  end,
}
