-- my_study.lua - a study in one file on the study driver (docs/studies.md): does a larger
-- weight decay end a small MLP on Fashion-MNIST at a lower energy rank? One network per
-- weight decay and seed, a fixed number of epochs; summary.csv and report.md (the mean rank
-- per weight decay with its 95% interval over the seeds) into --out. The driver gives it
-- --out, --resume, --jobs, --shard, --merge, config.json, the lock, resume and timing.
--
--   rankhost examples/my_study.lua --quick --out /tmp/my_study        (about 5 s on 2 cores)
local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = here .. "/../scripts/?.lua;" .. package.path

local rh = require "rankhost"
local study = require "common.study"
local data = require "common.data"
local stats = require "common.stats"
local facts = require "common.facts"
local prose = require "common.prose"

local OPTIONS = {
  { name = "quick", type = "preset", help = "a smaller study (about 5 s)",
    sets = { train_size = 1000, epochs = 8, weight_decays = { 0, 5e-2 } } },
  { name = "weight-decays", type = "numbers", default = { 0, 1e-3, 1e-2 }, min = 0, help = "weight decays" },
  { name = "seeds", type = "int", default = 3, min = 1, help = "networks per weight decay" },
  { name = "seed", type = "int", default = 1, min = 0, help = "study seed" },
  { name = "epochs", type = "int", default = 10, min = 1, help = "epochs every network trains" },
  { name = "hidden", type = "ints", default = { 64 }, min = 1, help = "hidden widths" },
  { name = "dataset", type = "choice", choices = { "fashion-mnist", "mnist" }, default = "fashion-mnist", help = "data" },
  { name = "data-dir", type = "string", default = "", help = "folder of the IDX files (empty: the search path)" },
  { name = "train-size", type = "int", default = 5000, min = 1, help = "first N training images" },
  { name = "test-size", type = "int", default = 1000, min = 1, help = "first N test images" },
}
-- the settings a study in a folder may only be continued under
local KEYS = { "seed", "epochs", "hidden", "dataset", "data_dir", "train_size", "test_size" }

local task -- loaded once by prepare, before the workers start (they share it)

study.run {
  name = "my_study", usage = "usage: rankhost examples/my_study.lua [options]", options = OPTIONS, keys = KEYS,
  argv = { ... }, fields = { "rank" },
  -- one run per weight decay and seed; the id names it (a restart skips ids already done)
  plan = function(o)
    local runs = {}
    for _, wd in ipairs(o.weight_decays) do
      for s = 1, o.seeds do
        runs[#runs + 1] = { id = string.format("wd%g-s%d", wd, s), weight_decay = wd, seed = o.seed * 1000 + s }
      end
    end
    return runs
  end,
  prepare = function(ctx) task = data.real(ctx.o, ctx.o.dataset) end,
  -- one network: returns its record (a line of runs.jsonl)
  train = function(run, ctx)
    local o = ctx.o
    rh.seed(run.seed)
    local sizes = { 784 }
    for _, w in ipairs(o.hidden) do sizes[#sizes + 1] = w end
    sizes[#sizes + 1] = 10
    local model = rh.nn.MLP(sizes)
    local h = rh.train.fit(model, task.train, { lr = 0.1, weight_decay = run.weight_decay, batch = 32,
      seed = run.seed, max_epochs = o.epochs, progress = false })
    local net = rh.rank.network(model) -- every measure of every layer (docs/rank.md)
    local _, acc = rh.train.evaluate(model, task.test, { batch = 1000 })
    return { weight_decay = run.weight_decay, seed = run.seed, epochs = h.epochs, loss = h[#h].loss,
      rank = net.layers[1].energy, test_acc = acc }
  end,
  summary = function(rec) return string.format("energy rank %d, test acc %.3f", rec.rank, rec.test_acc) end,
  -- the report: every record in plan order
  report = function(ctx, records)
    local csv = rh.log.csv(ctx.out .. "/summary.csv", { "id", "weight_decay", "seed", "epochs", "rank", "test_acc" })
    local by_wd = {}
    for _, r in ipairs(records) do
      csv:write { id = r.id, weight_decay = r.weight_decay, seed = r.seed, epochs = r.epochs, rank = r.rank,
        test_acc = r.test_acc }
      by_wd[r.weight_decay] = by_wd[r.weight_decay] or { rank = {}, acc = {} }
      table.insert(by_wd[r.weight_decay].rank, r.rank)
      table.insert(by_wd[r.weight_decay].acc, r.test_acc)
    end
    csv:close()
    local lines = { "# Weight decay and the first layer's energy rank", "",
      string.format("%d networks (%s, hidden %s, %d epochs, SGD lr 0.1 batch 32), %d seeds per weight decay; "
        .. "energy rank (tau 0.99) of the first layer; mean ± 95%% interval over the seeds.", #records,
        task.dataset or ctx.o.dataset, table.concat(ctx.o.hidden, "-"), ctx.o.epochs, ctx.o.seeds), "",
      "| weight decay | n | energy rank | test accuracy |", "|---|---|---|---|" }
    for _, wd in ipairs(ctx.o.weight_decays) do
      local g = by_wd[wd]
      if g then
        lines[#lines + 1] = string.format("| %g | %d | %s | %s |", wd, #g.rank, prose.interval(facts.interval(g.rank), 3),
          prose.interval(facts.interval(g.acc), 3))
      end
    end
    rh.io.write_atomic(ctx.out .. "/report.md", table.concat(lines, "\n") .. "\n")
    return { "summary.csv", "report.md" }
  end,
}
