-- plan.lua - problem 1's runs: what each network is, and in what order the plan lists them.
--
-- The sweep (random architectures from problem1/space.lua):
--   real     p1-<seed>-<i>-s<s>         draw i on the real task (Fashion-MNIST by default), seed s
--   wd0      p1-<seed>-<i>-s<s>-wd0     the same draw and seed with weight decay 0 (i <= --wd0-runs)
--   random   p1-<seed>-r<j>             a draw of its own on random labels (every label replaced)
--   long     p1-<seed>-<i>-long<H>      draw i, seed 1, trained on to H (--long: the equilibrium check)
-- The complexity ladder (one architecture, --ladder-hidden, several seeds per rung):
--   teacher  p1-<seed>-teacher<k>-s<s>  labels from a rank-k teacher (rh.data.teacher)
--   parity   p1-<seed>-parity<k>-s<s>   k-sparse parity of --parity-bits bits
--   noise    p1-<seed>-noise<f>-s<s>    the real task with a fraction f of labels replaced
--   mnist    p1-<seed>-mnist-s<s>       MNIST, where its files are found (--ladder-mnist)
-- Everything about a run - architecture, data, seed - is a function of the settings and its
-- id, so every shard, rank and restart computes the same plan.
local space = require "problem1.space"
local trainer = require "problem1.train"

local M = {}

-- Input size and classes of each task family.
local function shape_of(kind, o)
  if kind == "teacher" then return o.teacher_dim, 10 end
  if kind == "parity" then return o.parity_bits, 2 end
  return 784, 10
end

-- The run's expected cost (parameters x samples x epochs), to hand out the longest first;
-- its epochs are those training allows (problem1/train.lua's min_epochs and max_epochs).
local function cost(run, o)
  local n = run.kind == "teacher" and o.teacher_n or run.kind == "parity" and o.parity_n
    or (o.train_size > 0 and o.train_size or 60000)
  local least, cap = trainer.min_epochs(o, n, run), trainer.max_epochs(o, run, n)
  -- a run past its minimum most often stops soon after it; without a minimum (no weight
  -- decay), and for controls that never settle (no decay, labels to memorise), the cap
  local epochs = least > 0 and math.min(cap, least * 1.3) or cap
  if run.kind == "wd0" or run.kind == "random" or (run.kind == "noise" and run.level > 0) then epochs = cap end
  return space.num_parameters(run.sizes) * n * epochs
end

local function add(runs, o, run)
  run.run_seed = o.seed * 100003 + run.index
  run.cost = cost(run, o)
  runs[#runs + 1] = run
end

-- A level in an id: integers as they are, fractions as written (0.25).
local function level_text(x)
  if math.type(x) == "integer" or x == math.floor(x) then return string.format("%d", math.floor(x)) end
  return string.format("%g", x)
end

local FAMILY = { teacher = 1, parity = 2, noise = 3, mnist = 4 }

-- The ladder's rungs: { kind, level } in report order.
function M.rungs(o)
  local rungs = {}
  for _, k in ipairs(o.teacher_ranks) do rungs[#rungs + 1] = { kind = "teacher", level = k } end
  for _, k in ipairs(o.parity_k) do rungs[#rungs + 1] = { kind = "parity", level = k } end
  for _, f in ipairs(o.noise_levels) do rungs[#rungs + 1] = { kind = "noise", level = f } end
  if o.ladder_mnist == "on" then rungs[#rungs + 1] = { kind = "mnist", level = 0 } end
  return rungs
end

-- The plan: a list of runs { id, index, kind, draw, level, seed_index, sizes, weight_decay,
-- run_seed, cost, twin (wd0: the id of its real twin) }.
function M.plan(o)
  local runs = {}
  if o.ladder ~= "only" then
    local dim, classes = shape_of("real", o)
    for i = 1, o.n do
      local sizes = space.architecture(o.seed, i, o, dim, classes)
      for s = 1, o.seeds do
        -- the seed index enters the run's index (and so its run seed); s = 1 keeps draw i's own
        local index = i + (s - 1) * 10000
        add(runs, o, { id = string.format("p1-%d-%d-s%d", o.seed, i, s), index = index, kind = "real", draw = i,
          seed_index = s, sizes = sizes, weight_decay = o.weight_decay })
      end
    end
    for i = 1, o.wd0_runs do
      local sizes = space.architecture(o.seed, i, o, dim, classes)
      for s = 1, o.seeds do
        add(runs, o, { id = string.format("p1-%d-%d-s%d-wd0", o.seed, i, s), index = i + (s - 1) * 10000,
          kind = "wd0", draw = i, seed_index = s, twin = string.format("p1-%d-%d-s%d", o.seed, i, s), sizes = sizes,
          weight_decay = 0 })
      end
    end
    -- the equilibrium check: draw i's first seed (the same run seed, so the same start and
    -- batches as p1-<seed>-<i>-s1) trained on to H >= --long-horizon (the horizon is in the id)
    for i = 1, (o.long and o.long_runs or 0) do
      local sizes = space.architecture(o.seed, i, o, dim, classes)
      add(runs, o, { id = string.format("p1-%d-%d-long%g", o.seed, i, o.long_horizon), index = i, kind = "long", draw = i,
        seed_index = 1, sizes = sizes, weight_decay = o.weight_decay })
    end
    for j = 1, o.random_runs do
      local index = 500000 + j
      add(runs, o, { id = string.format("p1-%d-r%d", o.seed, j), index = index, kind = "random", level = 1,
        sizes = space.architecture(o.seed, index, o, dim, classes), weight_decay = o.weight_decay })
    end
  end
  if o.ladder ~= "off" then
    for _, rung in ipairs(M.rungs(o)) do
      local dim, classes = shape_of(rung.kind, o)
      local sizes = { dim }
      for _, w in ipairs(o.ladder_hidden) do sizes[#sizes + 1] = w end
      sizes[#sizes + 1] = classes
      for s = 1, o.ladder_seeds do
        local name = rung.kind == "mnist" and "mnist" or rung.kind .. level_text(rung.level)
        -- an index (and so a seed) of the run's id alone: family, level, seed
        local index = FAMILY[rung.kind] * 100000000 + math.floor(rung.level * 1000 + 0.5) * 100 + s
        add(runs, o, { id = string.format("p1-%d-%s-s%d", o.seed, name, s), index = index, kind = rung.kind,
          level = rung.level, seed_index = s, sizes = sizes, weight_decay = o.weight_decay })
      end
    end
  end
  return runs
end

return M
