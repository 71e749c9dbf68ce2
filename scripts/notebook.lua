-- notebook.lua - the researchers' PyTorch notebook, ported to rankhost (docs/notebook.md).
-- Four MLPs (n_layers 2..5) trained together with Adam in two parameter groups, two passes
-- per epoch (batch 64, then 128), ReduceLROnPlateau on the last batch's loss; every 3rd
-- epoch each layer's rank of its weight and of its gradient, its spectral norm and test
-- accuracy; the inner loop "evolves" (stops) once every network is >= 90% accurate and none
-- improved by more than 0.01; the next meta-iteration's hidden widths are the last ranks.
-- Its defects are each switched by an option (--optimizer sgd --weight-decay W, --measure,
-- --device, --batches, --stop-on validation); the report names them.
--
--   rankhost scripts/notebook.lua [--quick | --full] [--out DIR] [...]   (--help lists all)
--
-- Writes history.jsonl (every network's every epoch), meta.csv (a row per meta-iteration and
-- depth), report.md and PNG figures into --out. The folder is started afresh each run (no
-- resume: a run is minutes, and --full's scale is documented rather than run).
local script_dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = script_dir .. "/?.lua;" .. package.path

local rh = require "rankhost"
local options = require "common.options"
local settings = require "notebook.settings"
local core = require "notebook.core"
local nbdata = require "notebook.data"
local nbreport = require "notebook.report"

local PROG = settings.PROG
local o = options.parse_or_exit(settings.SPEC, { ... }, settings.USAGE, PROG)
local usage_error, fail = options.exits(PROG)

local known = {}
for _, m in ipairs(rh.rank.measure_names) do known[m] = true end
if not known[o.measure] then
  usage_error("bad value '" .. o.measure .. "' for --measure: must be one of " .. table.concat(rh.rank.measure_names, ", "))
end
if o.device ~= "" then
  local ok, err = pcall(rh.device, o.device)
  if not ok then fail("--device " .. o.device .. ": " .. tostring(err)) end
end
if o.stop_on == "validation" and o.validation <= 0 then usage_error("--stop-on validation needs --validation > 0") end

local data, derr = nbdata.load(o)
if not data then usage_error(derr) end

local out = o.out
local okdir, direrr = pcall(rh.io.mkdir_p, out)
if not okdir then fail("cannot create the output folder " .. out .. ": " .. tostring(direrr)) end
for _, f in ipairs { "history.jsonl", "meta.csv" } do os.remove(out .. "/" .. f) end

print(string.format("notebook: depths %s, first widths %d, %d meta-iterations of at most %d epochs -> %s",
  table.concat(o.depths, ","), o.width, o.meta_iters, o.epochs, out))
print("data: " .. data.name .. (data.note and (" (" .. data.note .. ")") or ""))
print(string.format("training: %s lr %g, weight decay %g%s, batches %s per epoch, plateau %s; rank: %s; evolve on %s",
  o.optimizer, o.lr, o.weight_decay, o.decay_last_only and " (last layer only)" or "",
  table.concat(o.batches, "+"), o.plateau and ("threshold " .. o.plateau_threshold) or "off", o.measure, o.stop_on))

local history <close> = rh.log.jsonl(out .. "/history.jsonl")
local meta_csv <close> = rh.log.csv(out .. "/meta.csv", nbreport.META_COLUMNS)

local widths = {}
for d, n in ipairs(o.depths) do widths[d] = core.initial_widths(n, o.width) end
local metas = {}
local argv = { ... }
local load_start = nbreport.load_avg()
local t_start = rh.clock()
local okrun, rerr = pcall(function()
  for meta = 1, o.meta_iters do
    local t0 = rh.clock()
    local hooks = { epoch = function(d, rec)
      rec.n_layers = o.depths[d]
      rec.id = nbreport.run_id(meta, rec.n_layers)
      history:write(rec)
      if rec.check then
        io.stdout:write(string.format("  meta %d epoch %d n_layers %d: acc %.4f, ranks %s, figure %.4f\n", meta, rec.epoch,
          o.depths[d], rec.accuracy, table.concat(rec.ranks, "-"), rec.figure))
      end
    end }
    local res, evolved_at = core.meta_iteration(meta, widths, data, o, hooks)
    local seconds = rh.clock() - t0
    for d, r in ipairs(res) do
      r.n_layers, r.meta, r.evolved_at, r.meta_seconds = o.depths[d], meta, evolved_at, seconds
      meta_csv:write(nbreport.meta_row(r))
      r.model = nil -- the trained networks are not kept (each meta-iteration builds new ones)
    end
    metas[meta] = { nets = res, evolved_at = evolved_at, seconds = seconds }
    print(string.format("meta %d: %s after %d epochs, %.1f s; next widths %s", meta,
      evolved_at and "evolved" or "num_epochs reached", res[1].epochs, seconds, nbreport.widths_text(res, "next_widths")))
    for d, r in ipairs(res) do widths[d] = r.next_widths end
  end
end)
if not okrun then fail((tostring(rerr):gsub("\nstack traceback:.*$", ""))) end

local run = { seconds = rh.clock() - t_start, argv = argv, device = o.device ~= "" and o.device or rh.device(),
  load_start = load_start, load_end = nbreport.load_avg() }
local written = nbreport.write_all(out, o, data, metas, run)
print("wrote " .. table.concat(written, ", "))
