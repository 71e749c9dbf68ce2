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
local options = require "common.options"
local results = require "common.results"
local sweep = require "common.sweep"
local settings = require "problem2.settings"
local plugins = require "problem2.plugins"
local plan_of = require "problem2.plan"
local tasks_of = require "problem2.tasks"
local study = require "problem2.study"
local train = require "problem2.train"
local report = require "problem2.report"

local PROG = settings.PROG
local o = options.parse_or_exit(settings.SPEC, { ... }, settings.USAGE, PROG)

local usage_error, fail = options.exits(PROG)
local bad = settings.check(o)
if bad then usage_error(bad) end

-- ---- policy, schedules, variants ----
o.params = {}
for _, kv in ipairs(o.param) do
  local k, v = kv:match("^([%w_]+)=(.*)$")
  if not k then usage_error("bad value '" .. kv .. "' for --param: expects key=value") end
  o.params[k] = tonumber(v) or v
end
local plugin_dir = script_dir .. "/problem2"
local policy, perr = plugins.load("policy", plugin_dir, "policies", o.policy, "widths")
if not policy then usage_error(perr) end

local variants, variant_order = {}, {}
local function add_variant(spec)
  local v, err = plugins.variant(spec, o.gamma)
  if not v then usage_error(err) end
  if variants[v.id] then return v.id end
  local sched, serr = plugins.load("schedule", plugin_dir, "schedules", v.schedule, "weight_decay")
  if not sched then usage_error(serr) end
  v.options = plugins.variant_options(o, v)
  local ok, wd, lr = pcall(plugins.hyper, sched, 0, { iteration = 0, options = v.options, history = {} })
  if not ok then usage_error(wd) end
  if math.abs(wd - o.weight_decay) > 1e-12 * math.max(1, wd) or math.abs(lr - o.lr) > 1e-12 then
    usage_error(string.format("schedule %s gives weight decay %g and lr %g at iteration 0, but iteration 0 is the "
      .. "dense network every variant shares, trained at --weight-decay %g and --lr %g", sched.path, wd, lr,
      o.weight_decay, o.lr))
  end
  local ok1, wd1 = pcall(plugins.hyper, sched, 1, { iteration = 1, options = v.options, history = {} })
  v.schedule, v.wd1 = sched, ok1 and wd1 or nil
  variants[v.id] = v
  variant_order[#variant_order + 1] = v.id
  return v.id
end
local image_variants = {}
for _, spec in ipairs(o.schedule) do
  local id = add_variant(spec)
  for _, seen in ipairs(image_variants) do
    if seen.id == id then usage_error("--schedule: the variant " .. spec .. " is given twice") end
  end
  image_variants[#image_variants + 1] = variants[id]
end
local teacher_variant = #o.teacher_widths > 0 and variants[add_variant(o.teacher_schedule)] or nil

-- ---- the output folder and its settings ----
local out = o.out
local config_path = out .. "/config.json"
local okdir, direrr = pcall(function()
  for _, d in ipairs { out, out .. "/checkpoints", out .. "/iterations" } do rh.io.mkdir_p(d) end
end)
if not okdir then fail("cannot create the output folder " .. out .. ": " .. tostring(direrr)) end
local run_settings = {}
for _, k in ipairs(settings.RUN_KEYS) do run_settings[k] = o[k] end
local recorded, not_ours = results.recorded_config(config_path, function(t) return t.problem == 2 end)
if not_ours then
  fail(config_path .. " is not a problem 2 study's settings; is " .. out .. " another program's folder?")
end
if recorded then
  local changed = results.changed_message(recorded, run_settings, settings.RUN_KEYS, out, "study")
  if changed then usage_error(changed) end
end
local rules = train.rules(o)
rh.io.write_atomic(config_path, rh.json.encode({ problem = 2, settings = run_settings,
  command = options.describe(settings.SPEC, o), rule = train.rule_text(rules) }) .. "\n")

-- ---- data, plan, what is done ----
local tasks, terr = tasks_of.new(o)
if not tasks then usage_error(terr) end
local plan = plan_of.plan(o, image_variants, teacher_variant)
-- the finished runs, by id, from the results file (common/results.lua)
local function read_done() return (results.read(out)) end
local okr, done = pcall(read_done)
if not okr then fail(tostring(done) .. " (finished runs are read from it; fix or move the file)") end
-- the runs trained at once: --jobs (0: one per core), 1 on a GPU (common/sweep.lua)
local jobs = sweep.jobs(o.jobs)

local counts, finished = {}, 0
for _, r in ipairs(plan) do
  counts[r.kind] = (counts[r.kind] or 0) + 1
  if done[r.id] then finished = finished + 1 end
end
local kinds = {}
for _, k in ipairs { "dense", "iterate", "same_time", "magnitude", "scratch", "cuttlefish" } do
  if counts[k] then kinds[#kinds + 1] = counts[k] .. " " .. k end
end
print(string.format("problem 2: %d runs (%s), %d jobs -> %s", #plan, table.concat(kinds, ", "), jobs, out))
print("data: " .. tasks.image.name .. (#o.teacher_widths > 0 and string.format("; teacher MLPs w* = %s",
  table.concat(o.teacher_widths, ",")) or ""))
print("policy: " .. policy.path .. "; variants: " .. table.concat(variant_order, ", "))
print("training: " .. train.rule_text(rules))
if finished > 0 then print(string.format("continuing: %d of %d runs already finished", finished, #plan)) end

-- ---- training, phase by phase (a run starts when the runs it reads are done) ----
local env = { options = o, tasks = tasks, rules = rules, policy = policy, variants = variants, done = done, dir = out,
  say = function(line) print("  " .. line) end }
local train_run = study.trainer(env)
-- every record says how many runs trained at once beside it (the report's times depend on it)
local function trainer(run)
  local rec = train_run(run)
  rec.jobs = jobs
  return rec
end
local function summary(rec)
  if rec.skipped then return "skipped: " .. rec.skipped end
  if rec.kind == "iterate" then
    return string.format("%s after %d iterations: widths %s, test acc %.4f (dense %.4f), %.1f s", rec.stop,
      rec.iterations, table.concat(rec.final.widths, "-"), rec.final.test_acc, rec.dense_test_acc, rec.total_seconds)
  end
  return string.format("widths %s, %d parameters, test acc %s, %.1f s", table.concat(rec.widths, "-"), rec.parameters,
    rec.test_acc and string.format("%.4f", rec.test_acc) or "-", rec.total_seconds or rec.seconds)
end
local okt, terr2 = pcall(function()
  for phase = 1, 3 do
    local runs = {}
    for _, r in ipairs(plan) do if r.phase == phase then runs[#runs + 1] = r end end
    local _, lost = sweep.run { place = { file = "runs.jsonl", label = "" }, plan = runs, done = done, out = out,
      jobs = jobs, train = trainer, summary = summary,
      describe = function(run) return string.format("[%s%s]", run.kind, run.variant and (" " .. run.variant) or "") end }
    done = read_done()
    env.done = done
    if #lost > 0 then
      error(string.format("%d runs were lost (their workers crashed); start again to train them", #lost), 0)
    end
  end
end)
if not okt then
  -- a worker's error arrives with its traceback: the message is the first part
  fail((tostring(terr2):gsub("\nstack traceback:.*$", "")))
end

-- ---- tables, figures, report (from runs.jsonl and iterations/) ----
local written = report.write_all(out, o, plan, done, { variants = variants, order = variant_order,
  image_variants = image_variants, teacher_variant = teacher_variant, rules = rules, tasks = tasks, policy = policy })
print("wrote " .. table.concat(written, ", "))
