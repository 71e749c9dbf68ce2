-- problem2.lua - iterative rank pruning: train a network, shrink (or widen) each hidden
-- layer to the width a policy reads off its rank, retrain, repeat; compare final accuracy
-- against training time with a dense network and structured magnitude pruning.
--
--   rankhost scripts/problem2.lua [--policy FILE] [--schedule FILE] [--init METHOD]
--                                 [--dataset NAME] [--out DIR] [--quick] [...]   (--help)
--
-- Policies (scripts/policies/*.lua) and weight-decay schedules (scripts/schedules/*.lua)
-- are Lua files loaded at run time; see docs/problem2.md for their interfaces.
local rh = require "rankhost"

local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = here .. "/lib/?.lua;" .. package.path

local options = require "options"
local run = require "prune_run"
local output = require "prune_output"

local PROG = "problem2.lua"
local USAGE = "usage: rankhost scripts/problem2.lua [options]\n" ..
  "Iterative rank pruning: train, shrink each hidden layer to the width a policy chooses from\n" ..
  "its rank, retrain; stop when widths stop changing, accuracy falls by more than --margin,\n" ..
  "or after --max-iters. An interrupted run resumes from its last finished iteration."

local SPEC = {
  { name = "help", type = "bool", default = false, help = "print this text and exit" },
  { name = "config", type = "string", default = "", metavar = "FILE", help = "Lua file returning a table of options" },
  { name = "quick", type = "preset", help = "small, fast run with every output (under a minute on 2 cores)",
    sets = { ["train-size"] = 20000, ["test-size"] = 5000, hidden = { 256, 256 }, epochs = 3, ["max-iters"] = 4,
             sample = 1000 } },
  -- energy, not the seed's numerical rule, by default: with float32 weights numpy's tolerance
  -- calls nearly every trained layer full rank, so `numerical` would not prune at all.
  { name = "policy", type = "string", default = "energy", metavar = "FILE",
    help = "prune policy: a name in scripts/policies (energy, numerical = the seed's rule, relative, effective, fraction, widen) or a path" },
  { name = "schedule", type = "string", default = "constant", metavar = "FILE",
    help = "weight-decay schedule: a name in scripts/schedules (constant, gamma, cosine) or a path" },
  { name = "init", type = "choice", choices = { "fresh", "qr", "norm", "lowrank" }, default = "fresh",
    help = "how the next network starts (a policy's own init wins unless --init is given)" },
  { name = "dataset", type = "choice", choices = { "fashion-mnist", "mnist", "teacher" }, default = "fashion-mnist",
    help = "data set" },
  { name = "data-dir", type = "string", default = "", metavar = "DIR",
    help = "folder of the IDX files (default: rh.data's search path); with only t10k files there, they are split 5:1 into train/test" },
  { name = "train-size", type = "int", default = 0, min = 0, help = "training samples used (0: all)" },
  { name = "test-size", type = "int", default = 0, min = 0, help = "test samples used (0: all)" },
  { name = "hidden", type = "ints", default = { 512, 512 }, help = "hidden widths of the first, dense network" },
  { name = "epochs", type = "int", default = 5, min = 1, help = "training epochs per iteration" },
  { name = "batch", type = "int", default = 64, min = 1, help = "mini-batch size" },
  { name = "lr", type = "number", default = 0.05, min = 0, help = "SGD learning rate (a schedule may change it)" },
  { name = "momentum", type = "number", default = 0.9, min = 0, help = "SGD momentum" },
  { name = "weight-decay", type = "number", default = 5e-4, min = 0, help = "weight decay of iteration 0 (schedules start here)" },
  { name = "gamma", type = "number", default = 2, min = 0, help = "gamma schedule: weight decay factor per iteration" },
  { name = "wd-final", type = "number", default = 5e-3, min = 0, help = "cosine schedule: weight decay at --max-iters" },
  { name = "tol", type = "number", default = 1e-3, min = 0, help = "relative policy: tolerance on s_i / ||W||_F" },
  { name = "tau", type = "number", default = 0.99, min = 0, max = 1, help = "energy policy: fraction of sum s_i^2 kept" },
  { name = "fraction", type = "number", default = 0.5, min = 0, help = "fraction policy: width kept per iteration" },
  { name = "saturation", type = "number", default = 0.9, min = 0, help = "widen policy: activation rank / width that counts as saturated" },
  { name = "widen", type = "number", default = 1.5, min = 1, help = "widen policy: growth factor of a saturated layer" },
  { name = "param", type = "strings", default = {}, metavar = "K=V,...",
    help = "extra key=value settings for a policy or schedule of your own (ctx.options.params)" },
  { name = "min-width", type = "int", default = 1, min = 1, help = "no layer is made narrower than this" },
  { name = "max-iters", type = "int", default = 6, min = 0, help = "most pruning iterations after the dense one" },
  { name = "margin", type = "number", default = 0.02, min = 0,
    help = "stop when test accuracy falls more than this below the dense network's" },
  { name = "sample", type = "int", default = 1000, min = 1, help = "training samples for activation ranks and least-squares refits" },
  { name = "baselines", type = "bool", default = true,
    help = "also train the dense network for the same total time, and magnitude pruning to the same widths" },
  { name = "out", type = "string", default = "results/problem2", metavar = "DIR", help = "output folder" },
  { name = "restart", type = "bool", default = false, help = "ignore a checkpoint in --out and start again" },
  { name = "seed", type = "int", default = 1, help = "random seed (initialisation, shuffling, teacher data)" },
}

local opts = options.parse_or_exit(SPEC, { ... }, USAGE, PROG)
local function usage_error(msg)
  io.stderr:write(PROG, ": ", msg, "\n")
  os.exit(2)
end

-- key=value settings for user policies
local params = {}
for _, kv in ipairs(opts.param) do
  local k, v = kv:match("^([%w_]+)=(.*)$")
  if not k then usage_error("bad value '" .. kv .. "' for --param: expects key=value") end
  params[k] = tonumber(v) or v
end
opts.params = params

-- A policy or schedule: a path, or a name of a file shipped beside this script.
local function load_plugin(kind, folder, name, required)
  local path = name
  if not name:find("/", 1, true) and not name:match("%.lua$") then path = here .. "/" .. folder .. "/" .. name .. ".lua" end
  local chunk, err = loadfile(path)
  if not chunk then usage_error("cannot load " .. kind .. " '" .. name .. "': " .. err) end
  local ok, t = pcall(chunk)
  if not ok then usage_error(kind .. " " .. path .. " failed: " .. tostring(t)) end
  if type(t) ~= "table" or type(t[required]) ~= "function" then
    usage_error(kind .. " " .. path .. " must return a table with a function '" .. required .. "'")
  end
  t.path = path
  return t
end
local policy = load_plugin("policy", "policies", opts.policy, "widths")
local schedule = load_plugin("schedule", "schedules", opts.schedule, "weight_decay")
if policy.init ~= nil and type(policy.init) ~= "function" then usage_error("policy " .. policy.path .. ": init must be a function") end

local data = run.load_data(opts, usage_error)
io.write(string.format("problem2: %s (%d train, %d test), policy %s, schedule %s, init %s\n",
  opts.dataset, data.train:size(), data.test:size(), opts.policy, opts.schedule,
  (policy.init and not opts._given.init) and "policy's" or opts.init))

local study = run.new(opts, data, policy, schedule, SPEC)
study:resume_or_start()
study:iterate()
if opts.baselines then study:baselines() end
output.finish(study)
io.write("problem2: done (" .. tostring(study.state.stop_reason) .. "); outputs in " .. opts.out .. "\n")
