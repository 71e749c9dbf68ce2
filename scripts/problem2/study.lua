-- study.lua - what one run of problem 2's plan (problem2/plan.lua) does: train the dense
-- network of a (task, seed), run the loop from it (problem2/loop.lua), or train a baseline
-- (problem2/baselines.lua). The record it returns is one line of runs.jsonl.
local rh = require "rankhost"
local Net = require "problem2.net"
local loop = require "problem2.loop"
local baselines = require "problem2.baselines"
local train = require "problem2.train"

local M = {}

-- The dense network: iteration 0 of every variant of its (task, seed). Its stable ranks at
-- initialisation (one SVD per layer, before training) serve the Cuttlefish baseline.
local function dense(run, env)
  local o, task = env.options, env.task
  rh.seed(run.run_seed)
  local net = Net.build({ input = task.dim, classes = task.classes, hidden = Net.plain_hidden(task.hidden) })
  local stable_init = {}
  for i, l in ipairs(net:linear_layers()) do stable_init[i] = rh.rank.stable(rh.linalg.svdvals(l.weight):to("cpu")) end
  local rec = train.fit(net, task, env.rules, o.weight_decay, o.lr, run.run_seed)
  if rec.svals then
    rh.save(env.checkpoint(run.id), net:tensors(), net:metadata { id = run.id, seed = run.run_seed, iteration = 0 })
  end
  local r = loop.row(0, net, rec, o.weight_decay, o.lr, "fresh", nil, o)
  r.id, r.kind, r.task, r.wstar, r.seed_index, r.task_name = run.id, run.kind, run.task, run.wstar, run.seed_index,
    task.name
  r.stable_init = stable_init
  return r
end

-- study.trainer(env) -> function(run) -> record. env = {options, tasks, rules, policy,
-- variants (by id: {schedule, options}), halve ({policy, schedule, options}: the rank-blind
-- loop), narrow ({schedule, options}: the start-narrow arm, constant decay), done (records by id), dir, say}.
function M.trainer(env)
  local function checkpoint(id) return env.dir .. "/checkpoints/" .. id .. ".safetensors" end
  return function(run)
    local task = env.tasks.get(run)
    local renv = { options = env.options, task = task, rules = env.rules, done = env.done, checkpoint = checkpoint,
      dir = env.dir, say = env.say }
    if run.kind == "dense" then return dense(run, renv) end
    local d, of = env.done[run.dense], run.of and env.done[run.of]
    local why = (d.diverged and ("the dense network " .. d.id .. " diverged: " .. tostring(d.diverged)))
      or (of and of.skipped)
    if why then
      return { id = run.id, kind = run.kind, task = run.task, seed_index = run.seed_index, variant = run.variant,
        skipped = why }
    end
    if run.kind == "iterate" or run.kind == "inherit" or run.kind == "halve" or run.kind == "narrow" then
      local v = (run.kind == "halve" and env.halve) or (run.kind == "narrow" and env.narrow) or env.variants[run.variant]
      renv.policy, renv.schedule, renv.variant_options = v.policy or env.policy, v.schedule, v.options
      renv.max_iters = run.task == "img" and env.options.max_iters or env.options.teacher_max_iters
      renv.dense, renv.dense_checkpoint = d, checkpoint(d.id)
      return loop.run(run, renv)
    end
    return baselines.run(run, renv)
  end
end

return M
