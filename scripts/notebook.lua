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
-- A study on the driver (common/study.lua): one run per meta-iteration, meta-iteration m in
-- phase m, its widths read from meta-iteration m-1's record; so config.json records the
-- settings, a killed start continues at the meta-iteration it was in (the ones finished are
-- kept in runs.jsonl), a start with other settings on the same --out is refused. The four
-- networks of a meta-iteration are one run: the evolve rule stops them together, so none of
-- them is independent of the others (--jobs has nothing to train beside it). The report
-- writes history.jsonl (every network's every epoch), meta.csv (a row per meta-iteration and
-- depth), report.md and PNG figures into --out from runs.jsonl's records.
local script_dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = script_dir .. "/?.lua;" .. package.path

local rh = require "rankhost"
local study = require "common.study"
local settings = require "notebook.settings"
local core = require "notebook.core"
local nbdata = require "notebook.data"
local nbreport = require "notebook.report"

local argv = { ... }
-- one tag per start of the folder, in each record it trains (the report counts the starts)
local START = os.date("!%Y-%m-%dT%H:%M:%SZ") .. "/" .. tostring(rh.clock())

local function check(o)
  local known = {}
  for _, m in ipairs(rh.rank.measure_names) do known[m] = true end
  if not known[o.measure] then
    return "bad value '" .. o.measure .. "' for --measure: must be one of " .. table.concat(rh.rank.measure_names, ", ")
  end
  if o.stop_on == "validation" and o.validation <= 0 then return "--stop-on validation needs --validation > 0" end
  if o.device ~= "" then
    local ok, err = pcall(rh.device, o.device)
    if not ok then return "--device " .. o.device .. ": " .. tostring(err) end
  end
end

-- The run id of meta-iteration m (its record in runs.jsonl; its networks' rows are
-- nbreport.run_id(m, n_layers)).
local function meta_id(m) return "meta" .. m end

local function plan(o)
  local runs = {}
  for m = 1, o.meta_iters do runs[m] = { id = meta_id(m), phase = m, cost = 1, meta = m } end
  return runs
end

local data
local function prepare(ctx)
  local o = ctx.o
  local derr
  data, derr = nbdata.load(o)
  if not data then ctx.usage_error(derr) end
  print(string.format("notebook: depths %s, first widths %d, %d meta-iterations of at most %d epochs -> %s",
    table.concat(o.depths, ","), o.width, o.meta_iters, o.epochs, ctx.out))
  print("data: " .. data.name .. (data.note and (" (" .. data.note .. ")") or ""))
  print(string.format("training: %s lr %g, weight decay %g%s, batches %s per epoch, plateau %s; rank: %s; evolve on %s",
    o.optimizer, o.lr, o.weight_decay, o.decay_last_only and " (last layer only)" or "",
    table.concat(o.batches, "+"), o.plateau and ("threshold " .. o.plateau_threshold) or "off", o.measure, o.stop_on))
end

-- Meta-iteration run.meta: the widths are the first (--width) or the last meta-iteration's
-- next widths, read from its record. The record holds every network's result (meta.csv's
-- row) and its history rows.
local function train(run, ctx)
  local o, meta = ctx.o, run.meta
  local widths = {}
  if meta == 1 then
    for d, n in ipairs(o.depths) do widths[d] = core.initial_widths(n, o.width) end
  else
    local prev = ctx.done[meta_id(meta - 1)]
    if not prev then error(meta_id(meta) .. ": the record of " .. meta_id(meta - 1) .. " is missing", 0) end
    for d, n in ipairs(o.depths) do
      local r = type(prev.nets) == "table" and prev.nets[d]
      if type(r) ~= "table" or type(r.next_widths) ~= "table" or #r.next_widths ~= n + 1 then
        error(string.format("%s: the record of %s in %s/runs.jsonl has no next widths of n_layers %d (a hand-edited "
          .. "record?); remove its line to train it again", meta_id(meta), meta_id(meta - 1), ctx.out, n), 0)
      end
      widths[d] = r.next_widths
    end
  end
  local load_start = nbreport.load_avg()
  local t0 = rh.clock()
  local history = {}
  local hooks = { epoch = function(d, rec)
    rec.n_layers = o.depths[d]
    rec.id = nbreport.run_id(meta, rec.n_layers)
    history[#history + 1] = rec
    if rec.check then
      io.stdout:write(string.format("  meta %d epoch %d n_layers %d: acc %.4f, ranks %s, figure %.4f\n", meta, rec.epoch,
        o.depths[d], rec.accuracy, table.concat(rec.ranks, "-"), rec.figure))
    end
  end }
  local res, evolved_at = core.meta_iteration(meta, widths, data, o, hooks)
  local seconds = rh.clock() - t0
  for d, r in ipairs(res) do
    r.n_layers, r.meta, r.evolved_at, r.meta_seconds = o.depths[d], meta, evolved_at, seconds
    r.model = nil -- the trained networks are not kept (each meta-iteration builds new ones)
  end
  return { id = run.id, meta = meta, nets = res, evolved_at = evolved_at, seconds = seconds, history = history,
    device = o.device ~= "" and o.device or rh.device(), load_start = load_start, load_end = nbreport.load_avg(),
    start = START }
end

local function summary(rec)
  return string.format("%s after %d epochs, %.1f s; next widths %s",
    rec.evolved_at and "evolved" or "num_epochs reached", rec.nets[1].epochs, rec.seconds,
    nbreport.widths_text(rec.nets, "next_widths"))
end

-- meta.csv and history.jsonl from the records (meta-iterations in order, the first missing
-- one ends them), then report.md and the figures.
local function report(ctx, records)
  local o, out = ctx.o, ctx.out
  local metas, seconds, starts, seen = {}, 0, 0, {}
  for m, rec in ipairs(records) do
    if rec.meta ~= m then break end
    metas[m] = { nets = rec.nets, evolved_at = rec.evolved_at, seconds = rec.seconds, rec = rec }
    seconds = seconds + rec.seconds
    if not seen[rec.start or ""] then seen[rec.start or ""], starts = true, starts + 1 end
  end
  if #metas == 0 then error("no meta-iteration has finished: nothing to report", 0) end
  local history = rh.log.jsonl(out .. "/history.jsonl")
  local meta_csv = rh.log.csv(out .. "/meta.csv", nbreport.META_COLUMNS)
  for _, meta in ipairs(metas) do
    for _, row in ipairs(meta.rec.history) do history:write(row) end
    for _, r in ipairs(meta.nets) do meta_csv:write(nbreport.meta_row(r)) end
  end
  history:close()
  meta_csv:close()
  local first, last = metas[1].rec, metas[#metas].rec
  local run = { seconds = seconds, argv = argv, device = last.device, load_start = first.load_start,
    load_end = last.load_end, spec = ctx.spec, starts = starts }
  return nbreport.write_all(out, o, data, metas, run)
end

study.run {
  name = "notebook", usage = settings.USAGE, options = settings.SPEC, keys = settings.KEYS, argv = argv,
  unit = "meta-iterations", shards = false, fields = { "meta", "nets", "history" },
  check = check, plan = plan, prepare = prepare, train = train, summary = summary,
  describe = function(run, ctx) return string.format("[meta-iteration %d of %d]", run.meta, ctx.o.meta_iters) end,
  report = report,
}
