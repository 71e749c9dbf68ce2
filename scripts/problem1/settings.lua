-- settings.lua - problem 1's command-line options (common/options.lua spec), its presets,
-- the settings a sweep may only be continued under, and the checks of their ranges.
--
-- The defaults put every network in the regime where weight decay acts: SGD at lr 0.1,
-- momentum 0, batch 32, weight decay 5e-3 on 10,000 images, at least --min-horizon 4 of
-- weight-decay horizon (26 epochs) before a run may stop, then until the training
-- loss has saturated and every layer's rank has settled. docs/problem1.md shows the
-- measurements these defaults were chosen from.
local rh = require "rankhost"
local regime = require "common.regime"
local classes = require "problem1.classes"
local headline = require "problem1.headline"

local M = {}

M.PROG = "problem1.lua"

M.USAGE = "usage: rankhost scripts/problem1.lua [options]\n"
  .. "Problem 1: trains random networks (and controls: weight decay 0, random labels) and a\n"
  .. "ladder of tasks of known complexity until their loss saturates and their ranks converge,\n"
  .. "then relates the convergent rank to accuracy, architecture and task; writes into --out."

-- "auto" then every registered measure, read when asked (a live view, like rh.rank.measure_names
-- itself): a measure a --require module registers after this file loads is a choice too.
local AUTO_OR_MEASURE = setmetatable({}, {
  __index = function(_, i) if i == 1 then return "auto" end return rh.rank.measure_names[i - 1] end,
  __len = function() return #rh.rank.measure_names + 1 end })

M.SPEC = regime.splice {
  { name = "quick", type = "preset", help = "a small study that produces every output in about a minute",
    sets = { n = 3, seeds = 2, wd0_runs = 1, random_runs = 1, train_size = 1500, test_size = 500, width_min = 16,
      width_max = 128, depth_max = 2, min_params = 5000, min_horizon = 3, max_epochs = 180, sat_patience = 3,
      rank_patience = 3, rank_every = 2, cooldown = 2, ladder_seeds = 2, teacher_ranks = { 1, 8 },
      teacher_n = 1500, teacher_dim = 32, parity_k = { 1, 2 }, parity_n = 1500, noise_levels = { 0, 1 },
      ladder_hidden = { 64, 64 }, probe = 256 } },
  { name = "full", type = "preset", help = "a larger study: all 60,000 images, wider nets; 32 architectures x 3 seeds (96 real, 24 wd0), 6 random, "
    .. "5 seeds a ladder rung",
    sets = { n = 32, seeds = 3, wd0_runs = 8, random_runs = 6, train_size = 0, test_size = 0, width_min = 64,
      width_max = 1024, min_params = 100000, max_epochs = 300, ladder_seeds = 5, probe = 512, save_weights = false } },
  -- --out, --resume, --jobs, --progress-every, --shard, --merge: the driver's (common/study.lua)
  { name = "save-weights", type = "bool", default = true,
    help = "keep each network's final weights in --out/weights/<id>.safetensors (rh.checkpoint)" },
  -- ---- the sweep of random networks ----
  { name = "n", type = "int", default = 16, min = 0, help = "random architectures drawn for the real task (kind real)" },
  { name = "seeds", type = "int", default = 3, min = 1, help = "networks per architecture (initialisation and order seeds)" },
  { name = "wd0-runs", type = "int", default = 6, min = 0,
    help = "of those architectures, how many are trained again with weight decay 0, every seed (kind wd0: twins)" },
  { name = "wd0-epochs", type = "int", default = 0, min = 0,
    help = "cap of the wd0 twins (0: twice the epochs a wd>0 run must train, the horizon 2 x --min-horizon)" },
  { name = "random-runs", type = "int", default = 3, min = 0,
    help = "random networks trained on random labels (kind random: the memorisation control)" },
  { name = "seed", type = "int", default = 1, min = 0, help = "study seed: run ids are p1-<seed>-..." },
  { name = "dataset", type = "choice", choices = { "fashion-mnist", "mnist" }, default = "fashion-mnist",
    value_aliases = { fashion_mnist = "fashion-mnist" },
    help = "the real task" },
  { name = "data-dir", type = "string", default = "", metavar = "DIR",
    help = "folder with the IDX files (empty: rh.data's search path)" },
  { name = "train-split", type = "choice", choices = { "train", "test" }, default = "train",
    help = "which file split training draws from" },
  { name = "holdout", type = "number", default = 0, min = 0, max = 0.9, metavar = "F",
    help = "if > 0, the test set is this fraction of the training split (for folders with one split)" },
  { name = "train-size", type = "int", default = 10000, min = 0, aliases = { "train-subset" }, help = "first N training images (0 = all)" },
  { name = "test-size", type = "int", default = 2000, min = 0, aliases = { "test-subset" }, help = "first N test images (0 = all)" },
  { name = "depth-min", type = "int", default = 1, min = 1, help = "fewest hidden layers" },
  { name = "depth-max", type = "int", default = 3, min = 1, help = "most hidden layers" },
  { name = "width-min", type = "int", default = 32, min = 1, help = "narrowest hidden width (log-uniform draw)" },
  { name = "width-max", type = "int", default = 512, min = 1, help = "widest hidden width" },
  { name = "min-params", type = "int", default = 20000, min = 0, help = "capacity floor: fewest parameters" },
  -- ---- training: the regime where weight decay acts ----
  { regime = true }, -- lr, momentum, batch, min-horizon, max-epochs, rank-*, cooldown (common/regime.lua)
  -- the rank rule watches the headline measure (issue 22 item 4): regime's entry, with "auto"
  { name = "rank-measure", type = "choice", choices = AUTO_OR_MEASURE, default = "auto",
    help = "rank convergence: the measure watched (auto: the headline measure --measure resolves to at the "
      .. "study's first start, kept in config.json when it is continued)" },
  { name = "weight-decay", type = "number", default = 5e-3, min = 0, aliases = { "wd" }, help = "weight decay (L2, in the gradient)" },
  { name = "sat-patience", type = "int", default = 5, min = 1,
    help = "loss saturation: epochs without relative improvement > --sat-tol" },
  { name = "sat-tol", type = "number", default = 0.01, min = 0, help = "loss saturation: relative improvement threshold" },
  { name = "sat-min-delta", type = "number", default = 1e-3, min = 0,
    help = "loss saturation: an improvement must also exceed this (absolute; a loss near 0 saturates too)" },
  { name = "probe", type = "int", default = 512, min = 1,
    help = "training samples in the fixed batch for activation and gradient ranks" },
  -- ---- the complexity ladder ----
  { name = "ladder", type = "choice", choices = { "on", "off", "only" }, default = "on",
    help = "the task-complexity ladder: teacher rank, sparse parity, label noise (only: nothing else)" },
  { name = "ladder-seeds", type = "int", default = 3, min = 1, help = "networks per ladder rung (seeds)" },
  { name = "ladder-hidden", type = "ints", default = { 128, 128 }, min = 1, metavar = "W,W,...",
    help = "hidden widths of every ladder network" },
  { name = "teacher-ranks", type = "ints", default = { 1, 2, 4, 8, 16, 32 }, min = 1, metavar = "K,K,...",
    help = "teacher ranks of the ladder (none: no teacher rung)" },
  { name = "teacher-n", type = "int", default = 8000, min = 10, help = "teacher task: training samples (test: n/4)" },
  { name = "teacher-dim", type = "int", default = 64, min = 2, help = "teacher task: input dimension" },
  { name = "parity-k", type = "ints", default = { 1, 2, 3 }, min = 1, metavar = "K,K,...",
    help = "sparse-parity orders of the ladder (none: no parity rung)" },
  { name = "parity-bits", type = "int", default = 20, min = 2, help = "sparse parity: input bits" },
  { name = "parity-n", type = "int", default = 4000, min = 10, help = "sparse parity: training samples (test: n/4)" },
  { name = "noise-levels", type = "numbers", default = { 0, 0.25, 0.5, 1 }, min = 0, max = 1, metavar = "F,F,...",
    help = "label-noise rungs: fraction of the real task's training labels replaced at random" },
  { name = "ladder-mnist", type = "choice", choices = { "auto", "on", "off" }, default = "auto",
    help = "an MNIST rung (auto: when rh.data's search path finds MNIST's files)" },
  -- ---- the equilibrium check (issue 22 item 4) ----
  { name = "long", type = "bool", default = false,
    help = "also train --long-runs of the sweep's draws (seed 1's run seed: the real run trained on) to a horizon "
      .. "H >= --long-horizon, and compare their ranks at H ~ --long-at with those at the end (kind long)" },
  { name = "long-runs", type = "int", default = 8, min = 1, help = "networks of the equilibrium check (--long)" },
  { name = "long-horizon", type = "number", default = 16, min = 0, help = "the horizon the --long networks reach" },
  { name = "long-at", type = "number", default = 5, min = 0, help = "the early horizon --long compares against" },
  -- ---- analysis ----
  { name = "measure", type = "choice", choices = AUTO_OR_MEASURE,
    default = "auto", help = "rank measure of the classes and the headline figures (auto: the one the calibration "
      .. "table recovers k with on the most families: problem1/headline.lua)" },
  { name = "calibration", type = "string", default = "", metavar = "PATH",
    help = "a calibration study's folder (or its calibration.csv) to choose the headline measure from (empty: "
      .. "scripts/problem1/default_calibration.csv, the default study's)" },
  { name = "class-figure", type = "choice", choices = classes.FIGURES,
    default = "last_hidden", help = "what equivalence classes are taken on (see docs/problem1.md)" },
  { name = "class-tol", type = "number", default = 0, min = 0, metavar = "X",
    help = "classes: figures within X of the class leader (0 = equal)" },
}

-- Settings that change what a run computes: a study may only be continued under the same
-- ones (the counts may grow or shrink; analysis and process options may change freely).
M.RUN_KEYS = regime.run_keys { "seed", "dataset", "data_dir", "train_split", "holdout", "train_size", "test_size",
  "depth_min", "depth_max", "width_min", "width_max", "min_params", "weight_decay", "wd0_epochs", "sat_patience", "sat_tol",
  "sat_min_delta", "probe", "ladder_hidden", "teacher_n", "teacher_dim", "parity_bits", "parity_n" }

-- The measure the rank rule watches (issue 22 item 4: convergence under the chosen measure):
-- --rank-measure auto takes the one a continued study recorded (config.json's settings), else
-- the headline measure M.check resolved into o.measure; any other name is the user's.
function M.settle_rank_measure(o, recorded)
  if o.rank_measure ~= "auto" then return end
  local was = recorded and recorded.settings and recorded.settings.rank_measure
  o.rank_measure = was ~= nil and was ~= "auto" and was or o.measure
end

-- Range checks the option parser cannot make (they relate options to each other or to the
-- data). Returns nil, or a usage message naming the option.
function M.check(o)
  if o.depth_min > o.depth_max then return "--depth-min must be <= --depth-max" end
  if o.width_min > o.width_max then return "--width-min must be <= --width-max" end
  if o.long and o.long_runs > o.n then
    return string.format("--long-runs %d: only %d architectures (--n) to train on", o.long_runs, o.n)
  end
  if o.long and o.long_at >= o.long_horizon then return "--long-at must be below --long-horizon" end
  if o.wd0_runs > o.n then return string.format("--wd0-runs %d: only %d architectures (--n) to twin", o.wd0_runs, o.n) end
  for _, k in ipairs(o.teacher_ranks) do
    if k > o.teacher_dim then
      return string.format("--teacher-ranks: rank %d is larger than the input dimension --teacher-dim %d", k,
        o.teacher_dim)
    end
    if k > 64 then return string.format("--teacher-ranks: rank %d is larger than the teacher's 64 hidden units", k) end
  end
  for _, k in ipairs(o.parity_k) do
    if k > o.parity_bits then
      return string.format("--parity-k: order %d is larger than --parity-bits %d", k, o.parity_bits)
    end
  end
  if o.train_size > 0 and o.batch > o.train_size then
    return string.format("--batch %d is larger than the data (--train-size %d)", o.batch, o.train_size)
  end
  if o.batch > o.teacher_n and #o.teacher_ranks > 0 then
    return string.format("--batch %d is larger than the teacher data (--teacher-n %d)", o.batch, o.teacher_n)
  end
  if o.batch > o.parity_n and #o.parity_k > 0 then
    return string.format("--batch %d is larger than the parity data (--parity-n %d)", o.batch, o.parity_n)
  end
  -- the headline measure: the calibration table's choice (--measure auto) or the user's
  local ok, h = pcall(headline.settle, o, rh.rank.measure_names)
  if not ok then return tostring(h) end
  o._headline, o.measure = h, h.measure
end

return M
