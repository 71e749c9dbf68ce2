-- settings.lua - problem 2's command-line options (common/options.lua spec), its presets,
-- the settings a study may only be continued under, and the checks the parser cannot make.
--
-- The defaults put every iteration in the regime where weight decay acts and rank converges
-- (docs/problem2.md shows the measurements): SGD at lr 0.1, momentum 0, batch 32, weight
-- decay 5e-3, on 5,000 Fashion-MNIST images; no iteration may stop before its weight-decay
-- horizon reaches 4, then it stops when every layer's energy rank (tau 0.99) has settled;
-- then 5 cooldown epochs at lr 0.01 before accuracy and ranks are read. The width policy
-- (calibrated) reads each layer's gap_full rank from the same singular values, and every
-- (task, seed) also runs a loop started narrow (below w*).
local rh = require "rankhost"
local regime = require "common.regime"

local M = {}

M.PROG = "problem2.lua"

M.USAGE = "usage: rankhost scripts/problem2.lua [options]\n"
  .. "Problem 2: iterative rank pruning to a fixed point. Each iteration trains a network until its\n"
  .. "ranks converge, a policy reads the converged ranks and chooses the next widths; the loop ends at a\n"
  .. "fixed point (widths kept within a slack), when accuracy falls by more than --margin, or at\n"
  .. "--max-iters. Weight-decay variants, baselines at the final widths, teacher tasks of known width,\n"
  .. "a loop started narrow (below w*) that the policy must grow;\n"
  .. "--jobs runs independent runs in parallel, and a restart with the same --out continues."

M.SPEC = regime.splice {
  { name = "help", type = "bool", default = false, help = "print this help and exit" },
  { name = "config", type = "string", default = "", metavar = "FILE.lua", help = "Lua file returning a table of these options" },
  { name = "quick", type = "preset", help = "a small study that writes every output in about a minute",
    sets = { ["train-size"] = 2000, ["test-size"] = 2000, ["val-size"] = 1000, hidden = { 128, 128 }, seeds = 3, ["weight-decay"] = 1e-2,
      ["min-horizon"] = 2, ["max-epochs"] = 60, ["horizon-epochs"] = 100, ["rank-patience"] = 3, ["rank-every"] = 2, cooldown = 2,
      ["max-iters"] = 3, ["teacher-widths"] = { 8, 32 }, ["teacher-n"] = 4000, ["teacher-test"] = 2000, ["teacher-val"] = 1000, ["teacher-dim"] = 64,
      ["teacher-hidden"] = { 96 }, ["teacher-max-iters"] = 4 } },
  { name = "out", type = "string", default = "results/problem2", metavar = "DIR", help = "output folder" },
  { name = "jobs", type = "int", default = 0, min = 0,
    help = "runs trained at once in local worker processes, one BLAS thread each (0: one per core)" },
  -- ---- the task ----
  { name = "dataset", type = "choice", choices = { "fashion-mnist", "mnist" }, default = "fashion-mnist",
    help = "the image task" },
  { name = "data-dir", type = "string", default = "", metavar = "DIR",
    help = "folder of the IDX files (default: rh.data's search path); with only t10k files there, they are split 5:1 into train/test" },
  { name = "train-size", type = "int", default = 5000, min = 0, help = "first N training images (0: all)" },
  { name = "test-size", type = "int", default = 0, min = 0, help = "first N test images (0: all)" },
  { name = "val-size", type = "int", default = 1000, min = 1,
    help = "validation images, the training images after the first --train-size (the end of the training set "
      .. "when that is all of it): every choice of the loop (margin stop, best variant) reads these, never the test set" },
  { name = "hidden", type = "ints", default = { 256, 256 }, min = 1, help = "hidden widths of the dense network" },
  { name = "seeds", type = "int", default = 3, min = 1, help = "seeds per configuration (initialisation and order)" },
  { name = "seed", type = "int", default = 1, min = 0, help = "study seed: run ids and every run's seed derive from it" },
  -- ---- how every network is trained: the regime where rank converges ----
  { regime = true }, -- lr, momentum, batch, min-horizon, max-epochs, rank-*, cooldown (common/regime.lua)
  { name = "horizon-epochs", type = "int", default = 300, min = 1,
    help = "an iteration whose own weight decay needs more than --max-epochs to reach --min-horizon trains up to this "
      .. "many epochs; one that still falls short is marked not converged" },
  { name = "weight-decay", type = "number", default = 5e-3, min = 0,
    help = "weight decay of the dense network (iteration 0; schedules start here)" },
  -- ---- the loop ----
  { name = "policy", type = "string", default = "calibrated", metavar = "FILE",
    help = "width policy: a name in scripts/problem2/policies (calibrated, energy, relative, numerical, effective, "
      .. "fraction, widen) or a path" },
  { name = "width-measure", type = "choice", choices = rh.rank.measure_names, default = "gap_full",
    help = "calibrated policy: the rank measure that sets each width (gap_full: the gap rank with the tail step, "
      .. "which can reach a layer's width; docs/calibration.md)" },
  { name = "narrow", type = "bool", default = true,
    help = "the start-narrow arm: a loop under constant decay from a network below w* (--narrow-fraction x w* on the "
      .. "teacher tasks, --narrow-hidden on the image task), which the policy must grow" },
  { name = "narrow-hidden", type = "ints", default = { 16, 16 }, min = 1, metavar = "W,...",
    help = "start-narrow arm: the image task's starting hidden widths" },
  { name = "narrow-fraction", type = "number", default = 0.25, min = 0, max = 1,
    help = "start-narrow arm: the teacher tasks start at max(1, floor(fraction x w*)) in every hidden layer" },
  { name = "schedule", type = "strings", default = { "gamma:0.5", "constant", "gamma:2" }, metavar = "S[:G],...",
    help = "the weight-decay variants, one run each: a name in scripts/problem2/schedules (constant, gamma, cosine) "
      .. "or a path, optionally :G to set --gamma for that variant" },
  { name = "init", type = "choice", choices = { "fresh", "qr", "norm", "lowrank" }, default = "fresh",
    help = "how the next network starts (a policy's own init wins unless --init is given)" },
  { name = "inherit", type = "choice", choices = { "qr", "norm", "lowrank", "none" }, default = "qr",
    help = "the inherited twin of every image loop run: each iteration starts from the previous network cut to the "
      .. "new widths by this surgery (none: no twin)" },
  { name = "max-iters", type = "int", default = 6, min = 0, help = "the cap: most pruning iterations after the dense one" },
  { name = "margin", type = "number", default = 0.02, min = 0,
    help = "stop when validation accuracy falls more than this below the dense network's" },
  { name = "fp-slack", type = "number", default = 1, min = 0,
    help = "fixed point: every layer's next width within max(fp-slack, fp-rel-slack * width) of its width" },
  { name = "fp-rel-slack", type = "number", default = 0.1, min = 0, help = "fixed point: see --fp-slack" },
  { name = "min-width", type = "int", default = 1, min = 1, help = "no layer is made narrower than this" },
  { name = "tau", type = "number", default = 0.99, min = 0, max = 1, help = "energy rank: fraction of sum s_i^2 kept" },
  { name = "tol", type = "number", default = 1e-3, min = 0, help = "relative rank: tolerance on s_i / ||W||_F" },
  { name = "gamma", type = "number", default = 0.5, min = 0, help = "gamma schedule: weight decay factor per iteration" },
  { name = "wd-final", type = "number", default = 5e-2, min = 0, help = "cosine schedule: weight decay at --max-iters" },
  { name = "fraction", type = "number", default = 0.5, min = 0, help = "fraction policy: width kept per iteration" },
  { name = "saturation", type = "number", default = 0.9, min = 0,
    help = "widen policy: energy rank / width that counts as saturated" },
  { name = "widen", type = "number", default = 1.5, min = 1, help = "widen and calibrated policies: growth factor of a saturated layer" },
  { name = "param", type = "strings", default = {}, metavar = "K=V,...",
    help = "extra key=value settings for a policy or schedule of your own (ctx.options.params)" },
  { name = "sample", type = "int", default = 1000, min = 1, help = "training samples for the least-squares refit of --init qr|norm" },
  -- ---- controls ----
  { name = "baselines", type = "bool", default = true,
    help = "baselines at the final widths: dense for the same time, magnitude pruning, from scratch, Cuttlefish" },
  { name = "teacher-widths", type = "ints", default = { 8, 32, 128 }, min = 1, metavar = "W,W,...",
    help = "teacher tasks: hidden widths w* of the teacher MLPs (none: no teacher task)" },
  { name = "teacher-kind", type = "strings", default = { "regress", "classify" }, metavar = "K,...",
    help = "teacher tasks, each w* of each kind: regress (y = V relu(W x), 10 outputs, MSE, scored by R^2: the "
      .. "calibration's kind of task, where gap recovers k; task ids t<w*>) and classify (rh.data.teacher's 10 "
      .. "classes, accuracy: where no measure does; task ids c<w*>)" },
  { name = "teacher-dim", type = "int", default = 128, min = 2, help = "teacher tasks: input dimension" },
  { name = "teacher-n", type = "int", default = 60000, min = 10,
    help = "teacher tasks: training samples (the students learn the teachers better than at 20,000, the default "
      .. "until 2026-12-01: docs/problem2.md)" },
  { name = "teacher-test", type = "int", default = 10000, min = 1, help = "teacher tasks: test samples" },
  { name = "teacher-val", type = "int", default = 2000, min = 1, help = "teacher tasks: validation samples" },
  { name = "teacher-hidden", type = "ints", default = { 256 }, min = 1, metavar = "W,...",
    help = "teacher tasks: hidden widths of the student's dense network" },
  { name = "teacher-schedule", type = "string", default = "constant", metavar = "S[:G]",
    help = "teacher tasks: the one weight-decay variant they run" },
  { name = "teacher-max-iters", type = "int", default = 8, min = 0, help = "teacher tasks: the cap on iterations" },
}

-- Settings that change what a run computes: a study may only be continued under the same
-- ones. The counts (seeds, variants, teacher widths) may grow; --baselines may be turned on.
M.RUN_KEYS = regime.run_keys { "dataset", "data_dir", "train_size", "test_size", "val_size", "teacher_val", "hidden", "seed",
  "weight_decay", "horizon_epochs", "policy", "width_measure", "narrow_hidden", "narrow_fraction", "init", "inherit", "max_iters", "margin", "fp_slack",
  "fp_rel_slack", "min_width", "tau", "tol", "gamma", "wd_final", "fraction", "saturation", "widen", "param", "sample",
  "teacher_kind", "teacher_dim", "teacher_n", "teacher_test", "teacher_hidden", "teacher_max_iters" }

-- The rank measure each shipped policy sets widths by (the calibrated one reads
-- --width-measure; fraction and a policy of your own: none known), and the measure the report
-- reads ranks by: the policy's, else --width-measure.
M.POLICY_MEASURE = { calibrated = "width_measure", energy = "energy", widen = "energy", relative = "relative",
  numerical = "numerical", effective = "effective" }
function M.policy_measure(o)
  local m = M.POLICY_MEASURE[o.policy]
  if m == "width_measure" then return o.width_measure end
  return m
end
function M.read_measure(o) return M.policy_measure(o) or o.width_measure end

-- The teacher kinds and their task ids' prefixes (t<w*>, c<w*>).
M.TEACHER_PREFIX = { regress = "t", classify = "c" }
function M.teacher_task(kind, w) return M.TEACHER_PREFIX[kind] .. w end

-- Range checks the option parser cannot make. Returns nil, or a usage message.
function M.check(o)
  if #o.hidden == 0 then return "--hidden: give at least one hidden width" end
  if #o.schedule == 0 then return "--schedule: give at least one weight-decay variant" end
  if o.train_size > 0 and o.batch > o.train_size then
    return string.format("--batch %d is larger than the data (--train-size %d)", o.batch, o.train_size)
  end
  for _, w in ipairs(o.teacher_widths) do
    if w > o.teacher_dim then
      return string.format("--teacher-widths: w* = %d is larger than --teacher-dim %d (the teacher's first map has "
        .. "rank w*, at most the input dimension)", w, o.teacher_dim)
    end
  end
  if #o.teacher_widths > 0 and #o.teacher_hidden == 0 then return "--teacher-hidden: give the student's hidden widths" end
  for _, k in ipairs(o.teacher_kind) do
    if not M.TEACHER_PREFIX[k] then
      return string.format("--teacher-kind: unknown kind '%s' (regress, classify)", tostring(k))
    end
  end
  if o.narrow and #o.narrow_hidden ~= #o.hidden then
    return string.format("--narrow-hidden: give %d widths, one per --hidden layer (got %d)", #o.hidden, #o.narrow_hidden)
  end
end

return M
