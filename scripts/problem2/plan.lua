-- plan.lua - problem 2's runs, and the phase each belongs to (a run starts only when the runs
-- it reads are done):
--   1  dense       p2-<seed>-<task>-s<s>-dense           the dense network, iteration 0 of every
--                                                        variant of (task, seed)
--   2  iterate     p2-<seed>-<task>-<variant>-s<s>       the loop from that dense network
--   2  inherit     p2-<seed>-img-<variant>-s<s>-inherit  the same loop, each iteration started from
--                                                        the previous network cut to the new
--                                                        widths (--inherit surgery), not fresh
--   2  halve       p2-<seed>-img-s<s>-halve              the rank-blind loop: every layer halved each
--                                                        iteration (the fraction policy at 0.5,
--                                                        constant weight decay, fresh), to the margin
--   2  narrow      p2-<seed>-<task>-s<s>-narrow      the loop from a network below w* (--narrow-hidden
--                                                        on the image task, --narrow-fraction x w* on
--                                                        teacher tasks) under constant decay: does
--                                                        the policy grow it back?
--   2  lottery     p2-<seed>-img-s<s>-lottery            lottery tickets: unstructured magnitude
--                                                        pruning with rewinding, 3 rounds
--   2  cuttlefish_early  ...-s<s>-cuttlefish_early       Cuttlefish with its early switch
--   2  cuttlefish  p2-<seed>-<task>-s<s>-cuttlefish      a one-shot rank choice from the dense one
--   2  oneshot     p2-<seed>-img-s<s>-oneshot<tau>      one-shot rank pruning: the trained dense
--                                                        network cut once to its energy rank at tau
--                                                        (ONESHOT_TAUS) by --inherit's surgery, trained
--   3  same_time   <iterate id>-same_time                baselines at the loop's final widths
--   3  magnitude   <iterate id>-magnitude
--   3  scratch     <iterate id>-scratch
-- Tasks: img (the image task: every variant, and the baselines when --baselines), t<w*>
-- (regression teacher MLPs) and c<w*> (classification teachers), the --teacher-schedule
-- variant only. Everything about a run is a function of
-- the settings and its id, so a restart computes the same plan.
local settings = require "problem2.settings"

local M = {}

M.PHASE = { dense = 1, iterate = 2, inherit = 2, narrow = 2, oneshot = 2, halve = 2, lottery = 2, cuttlefish_early = 2, cuttlefish = 2, same_time = 3, magnitude = 3, scratch = 3 }
M.BASELINES = { "same_time", "magnitude", "scratch", "cuttlefish" }
-- One-shot rank pruning's thresholds: the energy fractions whose ranks set the widths.
M.ONESHOT_TAUS = { 0.9, 0.95, 0.99 }

-- Parameters of an MLP dim-hidden...-classes (weights and biases), for a run's cost; the same
-- count as problem1/space.lua's num_parameters, kept here so problem 2 does not load problem 1.
local function num_parameters(dim, hidden, classes)
  local n, prev = 0, dim
  for _, w in ipairs(hidden) do n, prev = n + (prev + 1) * w, w end
  return n + (prev + 1) * classes
end

-- plan(o, variants, teacher_variant) -> list of runs {id, kind, phase, task, wstar,
-- seed_index, run_seed, data_seed, variant, dense (the dense run's id), of (the iterate run's
-- id, baselines), start (a narrow run's starting hidden widths), cost}
function M.plan(o, variants, teacher_variant)
  local runs = {}
  local tasks = { { id = "img", dim = 784, hidden = o.hidden, variants = variants, n = o.train_size > 0 and o.train_size
    or 60000, baselines = o.baselines, inherit = o.inherit ~= "none" and o.inherit or nil } }
  for _, kind in ipairs(o.teacher_kind) do
    for _, w in ipairs(o.teacher_widths) do
      tasks[#tasks + 1] = { id = settings.teacher_task(kind, w), wstar = w, teacher_kind = kind, dim = o.teacher_dim,
        hidden = o.teacher_hidden, variants = { teacher_variant }, n = o.teacher_n }
    end
  end
  for ti, task in ipairs(tasks) do
    local cost = num_parameters(task.dim, task.hidden, 10) * task.n
    for s = 1, o.seeds do
      local base = { task = task.id, wstar = task.wstar, teacher_kind = task.teacher_kind, seed_index = s, run_seed = o.seed * 100003 + ti * 1000 + s,
        data_seed = task.wstar and (o.seed * 7919 + task.wstar * 31 + s) or nil }
      local function add(kind, id, extra)
        local run = { id = id, kind = kind, phase = M.PHASE[kind], cost = cost }
        for k, v in pairs(base) do run[k] = v end
        for k, v in pairs(extra or {}) do run[k] = v end
        runs[#runs + 1] = run
        return run
      end
      local prefix = string.format("p2-%d-%s", o.seed, task.id)
      local dense = add("dense", string.format("%s-s%d-dense", prefix, s))
      for _, v in ipairs(task.variants) do
        local it = add("iterate", string.format("%s-%s-s%d", prefix, v.id, s), { variant = v.id, dense = dense.id,
          cost = cost * 2 })
        if task.inherit then
          add("inherit", it.id .. "-inherit", { variant = v.id, dense = dense.id, init = task.inherit, cost = cost * 2 })
        end
        if task.baselines then
          for _, b in ipairs { "same_time", "magnitude", "scratch" } do
            add(b, it.id .. "-" .. b, { variant = v.id, dense = dense.id, of = it.id })
          end
        end
      end
      if o.narrow then
        local start = {}
        for i, w in ipairs(task.hidden) do
          start[i] = task.wstar and math.max(1, math.floor(o.narrow_fraction * task.wstar)) or o.narrow_hidden[i]
        end
        add("narrow", string.format("%s-s%d-narrow", prefix, s), { dense = dense.id, variant = "constant", start = start,
          cost = cost * 2 })
      end
      if task.baselines then
        add("cuttlefish", string.format("%s-s%d-cuttlefish", prefix, s), { dense = dense.id })
        add("halve", string.format("%s-s%d-halve", prefix, s), { dense = dense.id, variant = "halve", cost = cost * 2 })
        add("lottery", string.format("%s-s%d-lottery", prefix, s), { dense = dense.id })
        add("cuttlefish_early", string.format("%s-s%d-cuttlefish_early", prefix, s), { dense = dense.id })
        for _, tau in ipairs(M.ONESHOT_TAUS) do
          add("oneshot", string.format("%s-s%d-oneshot%g", prefix, s, tau), { dense = dense.id, tau = tau })
        end
      end
    end
  end
  return runs
end

return M
