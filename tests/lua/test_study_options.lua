-- test_study_options.lua - the command-line convention every study shares (common/options.lua,
-- common/study.lua): old option names and values accepted with a warning, "did you mean" for
-- an unknown option, booleans as --x / --no-x in --help, what a preset changes listed; and
-- results.read_file's refusal of hand-edited records, naming the file and line; and
-- results.missing_message's refusal of a config.json an older version wrote.
local T = require "testlib"
local src = os.getenv("RH_SOURCE") or ".."
package.path = src .. "/scripts/?.lua;" .. package.path
local options = require "common.options"
local results = require "common.results"
local study = require "common.study"

local warnings = {}
options.warn = function(msg) warnings[#warnings + 1] = msg end
local spec = study.spec { name = "toy", options = {
  { name = "quick", type = "preset", help = "small", sets = { train_size = 10, baselines = false } },
  { name = "train-size", type = "int", default = 100, aliases = { "train-subset" }, help = "N" },
  { name = "weight-decay", type = "number", default = 0.1, aliases = { "wd" }, help = "wd" },
  { name = "dataset", type = "choice", choices = { "fashion-mnist", "mnist" }, default = "fashion-mnist",
    value_aliases = { fashion_mnist = "fashion-mnist" }, help = "data" },
  { name = "baselines", type = "bool", default = true, help = "baselines" },
} }

-- the driver's options are there, with --out defaulting to results/NAME
local o = assert(options.parse(spec, {}))
T.eq(o.out, "results/toy", "--out's default")
T.eq(o.jobs, 0, "--jobs from the driver")
T.eq(o.resume, false, "--resume from the driver")
T.eq(o.shard, "", "--shard from the driver")

-- old names and values: accepted, each with a warning
o = assert(options.parse(spec, { "--train-subset", "7", "--wd=0.5", "--dataset", "fashion_mnist" }))
T.eq(o.train_size, 7, "--train-subset is --train-size")
T.eq(o.weight_decay, 0.5, "--wd is --weight-decay")
T.eq(o.dataset, "fashion-mnist", "fashion_mnist is fashion-mnist")
T.eq(#warnings, 3, "one warning each")
T.ok(warnings[1]:find("--train-subset is now --train-size", 1, true), "the warning names both: " .. warnings[1])
T.ok(warnings[3]:find("--dataset fashion_mnist is now --dataset fashion-mnist", 1, true), "value warning")

-- did you mean
local _, err = options.parse(spec, { "--quik" })
T.ok(err:find("unknown option --quik (did you mean --quick?)", 1, true), "did you mean: " .. tostring(err))
_, err = options.parse(spec, { "--weight-dcay", "1" })
T.ok(err:find("did you mean --weight-decay", 1, true), "did you mean --weight-decay: " .. tostring(err))
_, err = options.parse(spec, { "--zzzzzz" })
T.ok(err:find("unknown option --zzzzzz (see --help)", 1, true), "nothing near: no suggestion: " .. tostring(err))

-- a number option refuses infinity however it is spelled
_, err = options.parse(spec, { "--weight-decay", "1e400" })
T.ok(err and err:find("bad value '1e400' for --weight-decay: expects a finite number", 1, true), tostring(err))
_, err = options.parse(spec, { "--weight-decay", "inf" })
T.ok(err and err:find("for --weight-decay: expects a number", 1, true), tostring(err))

-- booleans: --x / --no-x; a value after one is refused saying so
o = assert(options.parse(spec, { "--no-baselines" }))
T.eq(o.baselines, false, "--no-baselines")
_, err = options.parse(spec, { "--baselines", "false" })
T.ok(err:find("--baselines takes no value: say --baselines or --no-baselines", 1, true), tostring(err))
_, err = options.parse(spec, { "--baselines=false" })
T.ok(err:find("--baselines takes no value: say --baselines or --no-baselines", 1, true), tostring(err))

-- --help: booleans both ways, what --quick sets, the old names
local help = options.help(spec, "usage: toy")
T.ok(help:find("--baselines / --no-baselines", 1, true), "--help shows --x / --no-x")
T.ok(help:find("[--baselines]", 1, true), "--help shows a boolean's default as a flag")
T.ok(help:find("sets --no-baselines, --train-size 10", 1, true), "--help lists what --quick sets")
T.ok(help:find("--train-subset", 1, true) and help:find("--wd", 1, true), "--help names the old names")

-- hand-edited records: refused naming the file and the line
local dir = rh.io.mkdtemp("rh-test-study")
local function spit(name, text)
  local f = assert(io.open(dir .. "/" .. name, "wb"))
  f:write(text)
  f:close()
  return dir .. "/" .. name
end
local p = spit("a.jsonl", '{"id":"r1","status":"ok"}\n42\n')
T.raises("a.jsonl:2: a record must be a JSON object, got 42", results.read_file, p, { "id", "status" })
p = spit("b.jsonl", '{"id":"r1","status":"ok"}\n\n{"id":"r2"}\n')
T.raises("b.jsonl:3: the record r2 has no status", results.read_file, p, { "id", "status" })
p = spit("c.jsonl", '{"id":"r1","status":"ok"}\n{"id":"r2","sta')
T.eq(#results.read_file(p, { "id", "status" }), 1, "a torn last line is skipped")
p = spit("d.jsonl", '[1,2]\n')
T.raises("d.jsonl:1: a record must be a JSON object", results.read_file, p, {})
p = spit("e.jsonl", '{"status":"ok"}\n')
T.raises("e.jsonl:1: the record has no id (a string)", results.read_file, p, { "id" })
-- config.json without a setting this version records (written by an older rankhost): refused
-- naming it; an option without a default is left out while unset, so its absence is no sign
do
  local mspec = { { name = "width", type = "int", default = 4, help = "w" }, { name = "tag", type = "string", help = "t" } }
  local keys, mo = { "width", "tag" }, { width = 4 }
  local msg = results.missing_message({ settings = {} }, mo, keys, "/old", mspec)
  T.ok(msg and msg:find("/old/config.json was written by an older rankhost: it has no --width (settings added since", 1, true),
    "a missing setting named: " .. tostring(msg))
  T.eq(results.missing_message({ settings = { width = 4 } }, mo, keys, "/old", mspec), nil, "nothing missing")
  mo.tag = "x" -- given now, unset at the first start: a changed setting, named as such
  T.eq(results.missing_message({ settings = { width = 4 } }, mo, keys, "/old", mspec), nil, "unset option: not missing")
  T.ok(results.changed_message({ settings = { width = 4 } }, mo, keys, "/old", "study"):find('--tag (was null, now "x")', 1, true),
    "unset then given: a changed setting")
end
-- a config file runs sandboxed (rh.sandbox, as policies do): the pure parts of Lua, no io
local cspec = { { name = "n", type = "int", default = 1, help = "n" }, { name = "config", type = "string", default = "",
  help = "config" } }
p = spit("cfg_ok.lua", "return { n = math.floor(7.5) }\n")
T.eq(assert(options.parse(cspec, { "--config", p })).n, 7, "a config file may use math")
p = spit("cfg_io.lua", "return { n = #io.lines('/etc/passwd') }\n")
local ok_cfg, cfg_err = options.parse(cspec, { "--config", p })
T.ok(not ok_cfg and tostring(cfg_err):find("cfg_io.lua", 1, true) and tostring(cfg_err):find("'io' is not available", 1, true),
  "a config file reading io is refused, naming the file: " .. tostring(cfg_err))
os.execute("rm -rf '" .. dir .. "'")
T.done()
