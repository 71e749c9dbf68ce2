-- report.lua - notebook.lua's outputs: meta.csv's rows, the notebook's figures per network
-- (drawn from history.jsonl), and report.md: the defects and their options (DEFECTS, one
-- list), width per layer per meta-iteration per depth, and whether the widths reached a
-- fixed point (the facts first: facts(); the sentences are written from them).
local rh = require "rankhost"
local options = require "common.options"
local creport = require "common.report"
local settings = require "notebook.settings"
local core = require "notebook.core"

local M = {}

-- A network within this much of chance accuracy (1 / classes) is said not to learn.
local CHANCE_MARGIN = 0.02

M.META_COLUMNS = { "id", "meta", "n_layers", "widths", "parameters", "epochs", "evolved", "check_epoch", "accuracy",
  "test_accuracy", "last_loss", "figure", "init_ranks", "ranks", "numerical", "grad_ranks", "grad_numerical", "norms", "next_widths",
  "fixed", "lr", "seconds", "meta_seconds" }

-- A list's elements joined by sep (each with fmt, or as common/report.lua's num writes numbers).
local function join(t, sep, fmt)
  local p = {}
  for i, v in ipairs(t) do p[i] = fmt and string.format(fmt, v) or creport.num(v) end
  return table.concat(p, sep)
end
-- Prose writes widths as 784-783-783; a CSV cell joins a list with ';' (docs/results.md).
local function dash(t, fmt) return join(t, "-", fmt) end
local function cell(t, fmt) return join(t, ";", fmt) end
M.dash = dash

-- A meta.csv row from one network's result in a meta-iteration (its id: "meta<m>-n<n_layers>").
function M.meta_row(r)
  local c = r.last
  return { id = M.run_id(r.meta, r.n_layers), meta = r.meta, n_layers = r.n_layers, widths = cell(r.widths),
    parameters = r.parameters, epochs = r.epochs, evolved = r.evolved_at and "true" or "false",
    check_epoch = r.check_epoch, accuracy = c.accuracy, test_accuracy = c.test_accuracy, last_loss = r.last_loss,
    figure = c.figure, init_ranks = cell(r.init.ranks), ranks = cell(c.ranks), numerical = cell(c.numerical),
    grad_ranks = cell(c.grad_ranks), grad_numerical = cell(c.grad_numerical), norms = cell(c.norms, "%.6g"),
    next_widths = cell(r.next_widths), fixed = core.same(r.widths, r.next_widths) and "true" or "false", lr = r.lr,
    seconds = r.seconds, meta_seconds = r.meta_seconds }
end

-- The id of one network of one meta-iteration, on its meta.csv row and history.jsonl rows.
function M.run_id(meta, n_layers) return string.format("meta%d-n%d", meta, n_layers) end

function M.widths_text(res, field)
  local p = {}
  for d, r in ipairs(res) do p[d] = dash(r[field]) end
  return table.concat(p, " | ")
end

-- The notebook's defects: what it did, what the option does, and whether this run keeps it.
M.DEFECTS = {
  { name = "no weight decay", notebook = "Adam with weight_decay 0 in both parameter groups, although the question "
      .. "is about SGD with weight decay", option = "--optimizer sgd --weight-decay W",
    kept = function(o) return o.weight_decay == 0 end },
  { name = "float-precision rank tolerance", notebook = "numpy.linalg.matrix_rank's default tol = s_1 max(m,n) eps(float32), "
      .. "under which trained layers stay full rank", option = "--measure NAME [--tol T]",
    kept = function(o) return o.measure == "numerical" and o.tol < 0 end },
  { name = "batches on CUDA, model on the CPU", notebook = "moved each batch to CUDA but not the model: the run crashed",
    option = "--device cpu|cuda (places both; rankhost refuses a call mixing devices)",
    kept = function() return false end },
  { name = "two batch sizes per epoch", notebook = "each epoch is a pass at batch 64 and another at batch 128",
    option = "--batches 64 (one pass)", kept = function(o) return #o.batches > 1 end },
  { name = "stops on test accuracy", notebook = "the evolve rule reads test accuracy: a selection on the test set",
    option = "--stop-on validation [--validation F]", kept = function(o) return o.stop_on == "test" end },
}

local function load_avg()
  local f = io.open("/proc/loadavg")
  if not f then return nil end
  local s = f:read("l")
  f:close()
  return s and tonumber(s:match("^(%S+)"))
end
M.load_avg = load_avg

-- Facts of the run: per depth the widths of every meta-iteration, the first meta-iteration
-- whose next widths equal its own (the fixed point), and the accuracies.
function M.facts(o, metas)
  local f = { depths = {} }
  for d, n in ipairs(o.depths) do
    local rows, fixed_at = {}, nil
    for m, meta in ipairs(metas) do
      local r = meta.nets[d]
      rows[m] = r
      if not fixed_at and core.same(r.widths, r.next_widths) then fixed_at = m end
    end
    f.depths[d] = { n_layers = n, rows = rows, fixed_at = fixed_at }
  end
  -- per meta-iteration: layers below full rank min(m, n), as initialised and at the last check
  f.deficits = {}
  for m, meta in ipairs(metas) do
    local e = { layers = 0, init_below = 0, last_below = 0, init_sum = 0, last_sum = 0 }
    for _, r in ipairs(meta.nets) do
      for i, full in ipairs(r.init.full) do
        local di, dl = full - r.init.ranks[i], full - r.last.ranks[i]
        e.layers = e.layers + 1
        if di > 0 then e.init_below = e.init_below + 1 end
        if dl > 0 then e.last_below = e.last_below + 1 end
        e.init_sum, e.last_sum = e.init_sum + di, e.last_sum + dl
      end
    end
    f.deficits[m] = e
  end
  return f
end

local function fixed_sentence(dd, measure, set, chance)
  local last = dd.rows[#dd.rows]
  if dd.fixed_at then
    local r = dd.rows[dd.fixed_at]
    return string.format("n_layers %d: fixed point at meta-iteration %d (widths %s kept; %s rank), %s accuracy %.4f%s",
      dd.n_layers, dd.fixed_at, dash(r.widths), measure, set, r.last.accuracy,
      r.last.accuracy <= chance + CHANCE_MARGIN and string.format(" (chance is %.2f: a network that does not learn)", chance) or "")
  end
  return string.format("n_layers %d: no fixed point in %d meta-iterations (the last went from %s to %s; %s rank), "
    .. "%s accuracy %.4f at the last", dd.n_layers, #dd.rows, dash(last.widths), dash(last.next_widths), measure, set,
    last.last.accuracy)
end

-- The figures of one network (depth index d), from history.jsonl's records; returns file names.
local function figures(out, o, d, recs, measure_name)
  local n = o.depths[d]
  local checks = {}
  for _, r in ipairs(recs) do if r.depth == d and r.check then checks[#checks + 1] = r end end
  local all = {}
  for _, r in ipairs(recs) do if r.depth == d then all[#all + 1] = r end end
  if #checks == 0 then return {} end
  local pre = string.format("n%d_", n)
  local files = {}
  local function draw(kind, name, spec)
    spec.path = out .. "/" .. pre .. name .. ".png"
    local ok, err = pcall(rh.plot[kind], spec)
    if ok then files[#files + 1] = pre .. name .. ".png" else io.stderr:write("figure ", name, ": ", tostring(err), "\n") end
  end
  -- a running epoch count across meta-iterations
  local offset, last_meta, xs = 0, nil, {}
  local max_epoch = {}
  for _, r in ipairs(all) do max_epoch[r.meta] = math.max(max_epoch[r.meta] or 0, r.epoch) end
  local base, acc = {}, 0
  for m = 1, #max_epoch do base[m] = acc; acc = acc + (max_epoch[m] or 0) end
  local function gx(r) return base[r.meta] + r.epoch end
  -- loss vs accuracy, one series per meta-iteration
  local by_meta = {}
  for _, r in ipairs(checks) do
    by_meta[r.meta] = by_meta[r.meta] or { name = "meta " .. r.meta, x = {}, y = {} }
    local s = by_meta[r.meta]
    s.x[#s.x + 1], s.y[#s.y + 1] = r.accuracy, r.last_loss
  end
  local series = {}
  for m = 1, #max_epoch do if by_meta[m] then series[#series + 1] = by_meta[m] end end
  draw("scatter", "loss_vs_acc", { title = string.format("n_layers %d: last-batch loss vs accuracy", n),
    xlabel = "accuracy (" .. o.stop_on .. " set)", ylabel = "last batch's training loss", series = series })
  local L = #checks[1].ranks
  local function per_layer(field, xof)
    local ss = {}
    for i = 1, L do
      local s = { name = "layer " .. i, x = {}, y = {} }
      for _, r in ipairs(checks) do
        if r[field] and r[field][i] then s.x[#s.x + 1], s.y[#s.y + 1] = xof(r), r[field][i] end
      end
      ss[#ss + 1] = s
    end
    return ss
  end
  local function accx(r) return r.accuracy end
  draw("scatter", "rank_vs_acc", { title = string.format("n_layers %d: rank vs accuracy", n),
    xlabel = "accuracy", ylabel = measure_name, series = per_layer("ranks", accx) })
  draw("scatter", "norm_vs_acc", { title = string.format("n_layers %d: spectral norm vs accuracy", n),
    xlabel = "accuracy", ylabel = "spectral norm s_1", series = per_layer("norms", accx) })
  local loss = { name = "last-batch loss", x = {}, y = {} }
  for _, r in ipairs(all) do loss.x[#loss.x + 1], loss.y[#loss.y + 1] = gx(r), r.last_loss end
  local accs = { name = "accuracy (" .. o.stop_on .. ")", x = {}, y = {} }
  for _, r in ipairs(checks) do accs.x[#accs.x + 1], accs.y[#accs.y + 1] = gx(r), r.accuracy end
  draw("line", "loss_acc_vs_epoch", { title = string.format("n_layers %d: loss and accuracy (meta-iterations in a row)", n),
    xlabel = "epoch, counted across meta-iterations", ylabel = "loss / accuracy", series = { loss, accs }, points = true })
  draw("line", "rank_vs_epoch", { title = string.format("n_layers %d: rank of each layer", n),
    xlabel = "epoch, counted across meta-iterations", ylabel = measure_name, series = per_layer("ranks", gx), points = true })
  draw("line", "grad_rank_vs_epoch", { title = string.format("n_layers %d: rank of each layer's gradient", n),
    xlabel = "epoch, counted across meta-iterations", ylabel = measure_name .. " of the last batch's gradient",
    series = per_layer("grad_ranks", gx), points = true })
  draw("line", "norm_vs_epoch", { title = string.format("n_layers %d: spectral norm of each layer", n),
    xlabel = "epoch, counted across meta-iterations", ylabel = "spectral norm s_1", series = per_layer("norms", gx),
    points = true })
  return files
end

local function measure_name(o)
  local n = o.measure .. " rank"
  if o.tol >= 0 then return n .. " (tol " .. o.tol .. ")" end
  if o.measure == "numerical" then return n .. " (numpy's default tol)" end
  return n
end

-- Writes report.md and the figures; returns the files written.
function M.write_all(out, o, data, metas, run)
  local written = { "history.jsonl", "meta.csv" }
  local f = M.facts(o, metas)
  local mname = measure_name(o)
  local doc = creport.document()
  doc:h(1, "The researchers' notebook, run in rankhost")
  doc:p("Command: `rankhost scripts/notebook.lua " .. table.concat(run.argv, " ") .. "`  \nSettings: "
    .. options.describe(run.spec or settings.SPEC, o))
  doc:p("Data: " .. data.name .. (data.note and (". **" .. data.note .. ".**") or "") .. " Rank: " .. mname
    .. "; the evolve rule reads the " .. o.stop_on .. " set.")
  local per = {}
  for m, meta in ipairs(metas) do per[m] = string.format("%.0f s", meta.seconds) end
  doc:p(string.format("Time: %.1f s of training and checks in all (meta-iterations: %s), on %s with load average %s at the start and %s at "
    .. "the end (the machine is shared)%s.", run.seconds, table.concat(per, ", "), run.device,
    creport.num(run.load_start, 3), creport.num(run.load_end, 3),
    (run.starts or 1) > 1 and string.format("; trained over %d starts of the folder", run.starts) or ""))
  doc:h(2, "The notebook's defects and their options")
  local rows = {}
  for _, df in ipairs(M.DEFECTS) do
    rows[#rows + 1] = { df.name, df.notebook, df.option, df.kept(o) and "kept (as the notebook)" or "switched off" }
  end
  doc:add(creport.md_table({ "defect", "what the notebook did", "option", "this run" }, rows))
  doc:h(2, "Widths per layer, per meta-iteration and depth")
  doc:p("Hidden widths h_0-...-h_n of each network (the classifier's 10 outputs not shown) and, after the slash, its "
    .. o.stop_on .. " accuracy at the last check. The next meta-iteration's widths are the ranks of every layer but the classifier at the last check, "
    .. "under the " .. mname .. ".")
  local header = { "meta-iteration", "epochs", "evolved" }
  for _, dd in ipairs(f.depths) do header[#header + 1] = "n_layers " .. dd.n_layers end
  rows = {}
  for m, meta in ipairs(metas) do
    local row = { m, meta.nets[1].epochs, meta.evolved_at and ("at epoch " .. meta.evolved_at) or "no" }
    for d in ipairs(f.depths) do
      local r = meta.nets[d]
      row[#row + 1] = dash(r.widths) .. " / " .. string.format("%.4f", r.last.accuracy)
    end
    rows[#rows + 1] = row
  end
  local next_row = { "next", "", "" }
  for d in ipairs(f.depths) do next_row[#next_row + 1] = dash(metas[#metas].nets[d].next_widths) end
  rows[#rows + 1] = next_row
  doc:add(creport.md_table(header, rows))
  doc:h(2, "Fixed point")
  local lines = {}
  for _, dd in ipairs(f.depths) do
    lines[#lines + 1] = "- " .. fixed_sentence(dd, o.measure, o.stop_on, 1 / data.classes)
  end
  doc:p(table.concat(lines, "\n"))
  doc:h(2, "Rank below full, against initialisation")
  doc:p("The control: every network's layers as initialised (before any step) measured the same way. A layer's "
    .. "deficit is min(m, n) minus its rank (" .. mname .. ")."
    .. (o.measure == "numerical" and " An initialised square layer can already be a rank short under numpy's float32 "
      .. "tolerance, its smallest singular value lying near it: the columns at init count how often." or ""))
  rows = {}
  for m, e in ipairs(f.deficits) do
    rows[#rows + 1] = { m, e.layers, e.init_below, e.last_below, string.format("%.2f", e.init_sum / e.layers),
      string.format("%.2f", e.last_sum / e.layers) }
  end
  doc:add(creport.md_table({ "meta-iteration", "layers", "below full rank at init", "below full rank at the last check",
    "mean deficit at init", "mean deficit at the last check" }, rows))
  doc:h(2, "Each network's last check, per meta-iteration")
  doc:p("Ranks of each layer's weight and of its last batch's gradient under the " .. mname .. " (and the numerical "
    .. "rank at numpy's default beside), spectral norms, and the notebook's printed figure sum(ranks) / (sum(widths) + 10).")
  rows = {}
  for m, meta in ipairs(metas) do
    for d, r in ipairs(meta.nets) do
      local c = r.last
      rows[#rows + 1] = { m, o.depths[d], r.check_epoch, string.format("%.4f", c.accuracy),
        string.format("%.4f", c.test_accuracy), dash(r.init.ranks), dash(c.ranks), dash(c.numerical), dash(c.grad_ranks),
        dash(c.grad_numerical), dash(c.norms, "%.3g"), string.format("%.4f", c.figure), string.format("%.0f", r.seconds) }
    end
  end
  doc:add(creport.md_table({ "meta", "n_layers", "check epoch", "acc (" .. o.stop_on .. ", the rule's)", "test acc", "rank W at init", "rank W",
    "numerical W", "rank grad", "numerical grad", "spectral norms", "figure", "s" }, rows))
  if o.figures then
    local okp, why = rh.plot.available()
    if not okp then
      doc:p("No figures: " .. why .. ".")
    else
      local recs = rh.log.read_jsonl(out .. "/history.jsonl")
      doc:h(2, "Figures")
      for d in ipairs(o.depths) do
        local files = figures(out, o, d, recs, mname)
        for _, file in ipairs(files) do
          doc:image(file, file)
          written[#written + 1] = file
        end
      end
    end
  end
  creport.write(out .. "/report.md", doc:text())
  written[#written + 1] = "report.md"
  return written, f
end

return M
