-- problem2.lua - Problem 2: iterative rank pruning to a fixed point. Each iteration trains a
-- network until its ranks converge (rh.train.fit's rank rule, after a weight-decay horizon),
-- a policy reads the converged ranks and chooses the next widths, and the loop repeats until
-- the widths are kept (a fixed point), accuracy falls by more than --margin, or --max-iters.
-- Weight-decay variants (lowered, constant, raised), baselines at the final widths (dense for
-- the same time, magnitude pruning, from scratch, Cuttlefish) and teacher tasks of known
-- hidden width w*, over --seeds seeds each.
--
--   rankhost scripts/problem2.lua [--quick] [--policy FILE] [--schedule S[:G],...] [--jobs N] [...]
--   rankhost scripts/problem2.lua --help        -- every option with its default
--
-- Policies (scripts/problem2/policies/*.lua) and weight-decay schedules
-- (scripts/problem2/schedules/*.lua) are Lua files loaded at run time; docs/problem2.md gives
-- their interfaces. Writes runs.jsonl, iterations/, checkpoints/, iterations.csv,
-- baselines.csv, teacher.csv, report.md and PNG figures into --out; a restart with the same
-- --out continues where it stopped.
local script_dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = script_dir .. "/?.lua;" .. package.path

local rh = require "rankhost"
local study = require "common.study"
local settings = require "problem2.settings"
local plugins = require "problem2.plugins"
local plan_of = require "problem2.plan"
local tasks_of = require "problem2.tasks"
local p2_study = require "problem2.study"
local train = require "problem2.train"
local report = require "problem2.report"

-- ---- policy, schedules, variants: loaded by check (a usage error when one is bad) ----
local plugin_dir = script_dir .. "/problem2"
local policy, variants, variant_order, image_variants, teacher_variant, halve, narrow
local function check(o)
  local msg = settings.check(o)
  if msg then return msg end
  local function bad(m) error({ usage = m }, 0) end
  local ok, err = pcall(function()
    o.params = {}
    for _, kv in ipairs(o.param) do
      local k, v = kv:match("^([%w_]+)=(.*)$")
      if not k then bad("bad value '" .. kv .. "' for --param: expects key=value") end
      o.params[k] = tonumber(v) or v
    end
    local perr
    policy, perr = plugins.load("policy", plugin_dir, "policies", o.policy, "widths")
    if not policy then bad(perr) end

    variants, variant_order = {}, {}
    local function add_variant(spec)
      local v, verr = plugins.variant(spec, o.gamma)
      if not v then bad(verr) end
      if variants[v.id] then return v.id end
      local sched, serr = plugins.load("schedule", plugin_dir, "schedules", v.schedule, "weight_decay")
      if not sched then bad(serr) end
      v.options = plugins.variant_options(o, v)
      local okh, wd, lr = pcall(plugins.hyper, sched, 0, { iteration = 0, options = v.options, history = {} })
      if not okh then bad(wd) end
      if math.abs(wd - o.weight_decay) > 1e-12 * math.max(1, wd) or math.abs(lr - o.lr) > 1e-12 then
        bad(string.format("schedule %s gives weight decay %g and lr %g at iteration 0, but iteration 0 is the "
          .. "dense network every variant shares, trained at --weight-decay %g and --lr %g", sched.path, wd, lr,
          o.weight_decay, o.lr))
      end
      local ok1, wd1 = pcall(plugins.hyper, sched, 1, { iteration = 1, options = v.options, history = {} })
      v.schedule, v.wd1 = sched, ok1 and wd1 or nil
      variants[v.id] = v
      variant_order[#variant_order + 1] = v.id
      return v.id
    end
    image_variants = {}
    for _, spec in ipairs(o.schedule) do
      local id = add_variant(spec)
      for _, seen in ipairs(image_variants) do
        if seen.id == id then bad("--schedule: the variant " .. spec .. " is given twice") end
      end
      image_variants[#image_variants + 1] = variants[id]
    end
    teacher_variant = #o.teacher_widths > 0 and variants[add_variant(o.teacher_schedule)] or nil
    -- the rank-blind loop (plan kind halve): the fraction policy at 0.5 under constant decay
    local hp = assert(plugins.load("policy", plugin_dir, "policies", "fraction", "widths"))
    local hs = assert(plugins.load("schedule", plugin_dir, "schedules", "constant", "weight_decay"))
    local ho = plugins.variant_options(o, { gamma = o.gamma })
    ho.fraction = 0.5
    halve = { policy = hp, schedule = hs, options = ho }
    -- the start-narrow arm (plan kind narrow): the study's policy under constant decay
    narrow = { schedule = hs, options = plugins.variant_options(o, { gamma = o.gamma }) }
  end)
  if not ok then
    if type(err) == "table" then return err.usage end
    error(err, 0)
  end
end

local KINDS = { "dense", "iterate", "inherit", "narrow", "halve", "lottery", "cuttlefish_early", "oneshot", "same_time", "magnitude", "scratch", "cuttlefish" }

local function announce(ctx)
  local o, plan = ctx.o, ctx.plan
  print(string.format("problem 2: %d runs (%s), %d jobs -> %s", #plan, study.kind_counts(plan, KINDS), o.jobs, ctx.out))
end

-- ---- data: the image task loaded once (workers share it); the trainer of a run ----
local tasks, rules, train_run
local function prepare(ctx)
  local o = ctx.o
  local terr
  tasks, terr = tasks_of.new(o)
  if not tasks then error(terr, 0) end
  rules = train.rules(o)
  print("data: " .. tasks.image.name .. (#o.teacher_widths > 0 and string.format("; teacher MLPs w* = %s",
    table.concat(o.teacher_widths, ",")) or ""))
  print("policy: " .. policy.path .. "; variants: " .. table.concat(variant_order, ", "))
  print("training: " .. train.rule_text(rules))
  local env = { options = o, tasks = tasks, rules = rules, policy = policy, variants = variants, halve = halve, narrow = narrow,
    dir = ctx.out,
    say = function(line) print("  " .. line) end }
  local trainer = p2_study.trainer(env)
  -- a run starts when the runs it reads are done (its phase); every record says how many
  -- runs trained at once beside it (the report's times depend on it)
  train_run = function(run, c)
    env.done = c.done
    local rec = trainer(run)
    rec.jobs = o.jobs
    return rec
  end
end

local function summary(rec)
  if rec.skipped then return "skipped: " .. rec.skipped end
  if rec.kind == "iterate" or rec.kind == "inherit" or rec.kind == "halve" or rec.kind == "narrow" then
    return string.format("%s after %d iterations: widths %s, test acc %.4f (dense %.4f), %.1f s", rec.stop,
      rec.iterations, table.concat(rec.final.widths, "-"), rec.final.test_acc, rec.dense_test_acc, rec.total_seconds)
  end
  return string.format("widths %s, %d parameters, test acc %s, %.1f s", table.concat(rec.widths, "-"), rec.parameters,
    rec.test_acc and string.format("%.4f", rec.test_acc) or "-", rec.total_seconds or rec.seconds)
end

study.run {
  name = "problem2", usage = settings.USAGE, options = settings.SPEC, keys = settings.RUN_KEYS, argv = { ... },
  dirs = { "checkpoints", "iterations" }, shards = false, fields = { "kind" },
  check = check,
  config = function(o) return { problem = 2, rule = train.rule_text(train.rules(o)) } end,
  plan = function(o) return plan_of.plan(o, image_variants, teacher_variant) end,
  announce = announce, prepare = prepare,
  train = function(run, ctx) return train_run(run, ctx) end,
  describe = function(run) return string.format("[%s%s]", run.kind, run.variant and (" " .. run.variant) or "") end,
  summary = summary,
  -- tables, figures, report (from runs.jsonl and iterations/)
  report = function(ctx, _)
    return report.write_all(ctx.out, ctx.o, ctx.plan, ctx.done, { variants = variants, order = variant_order,
      image_variants = image_variants, teacher_variant = teacher_variant, rules = rules or train.rules(ctx.o),
      tasks = tasks, policy = policy })
  end,
}
