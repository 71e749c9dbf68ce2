-- prune_output.lua - problem 2's output folder: checkpoints and the resume state, the
-- per-iteration history files, iterations.csv, baselines.csv, report.md and the figures.
--
--   DIR/state.json                    what a resumed run needs (rows, counters, specs)
--   DIR/checkpoints/iter-K.safetensors the weights after iteration K
--   DIR/history/iter-K.json           per-epoch losses and per-layer spectra and ranks
--   DIR/iterations.csv, baselines.csv, report.md, *.png
local rh = require "rankhost"
local report = require "report"
local figures = require "prune_figures"
local Net = require "prune_net"

local M = {}

function M.prepare(out)
  for _, d in ipairs({ out, out .. "/checkpoints", out .. "/history" }) do
    local ok, err = pcall(rh.io.mkdir_p, d)
    if not ok then error("cannot create folder " .. d .. ": " .. tostring(err), 0) end
  end
end

local read = require("runlog").slurp

function M.save_state(out, st) report.write(out .. "/state.json", rh.json.encode(st) .. "\n") end

-- JSON numbers come back as floats; widths must be integers again.
local function int_spec(spec)
  local hidden = {}
  for i, h in ipairs(spec.hidden) do
    hidden[i] = { neurons = math.tointeger(h.neurons), rank = h.rank and math.tointeger(h.rank) or nil }
  end
  return { input = math.tointeger(spec.input), classes = math.tointeger(spec.classes), hidden = hidden }
end

function M.load_state(out)
  local s = read(out .. "/state.json")
  if not s then return nil end
  local st = rh.json.decode(s)
  st.iteration = math.tointeger(st.iteration)
  for i, spec in ipairs(st.specs) do st.specs[i] = int_spec(spec) end
  st.spec = st.specs[st.iteration + 1]
  return st
end

-- Weights first, then the state that points at them: a kill between the two leaves the
-- previous state, which names only finished checkpoints.
function M.checkpoint(out, k, net, st)
  rh.save(string.format("%s/checkpoints/iter-%d.safetensors", out, k), net:tensors())
  st.specs = st.specs or {}
  st.specs[k + 1] = net.spec
  st.spec = net.spec
  M.save_state(out, st)
end

function M.load_net(out, k, spec)
  return Net.from_tensors(spec, rh.load(string.format("%s/checkpoints/iter-%d.safetensors", out, k)))
end

function M.history(out, row, epochs, layers)
  local rec = { iteration = row.iteration, row = row, epochs = epochs, layers = layers }
  report.write(string.format("%s/history/iter-%d.json", out, row.iteration), rh.json.encode(rec) .. "\n")
end

local function joined(list) return table.concat(list, ";") end

local ITER_HEADER = { "iteration", "widths", "neurons", "parameters", "train_acc", "test_acc", "epochs", "seconds",
                      "cum_seconds", "cum_flops", "weight_decay", "lr", "init", "loss" }

local function iteration_cells(r)
  return { r.iteration, joined(r.widths), joined(r.neurons), r.parameters, r.train_acc, r.test_acc, r.epochs,
           r.seconds, r.cum_seconds, r.cum_flops, r.weight_decay, r.lr, r.init, r.loss }
end

local function baseline_rows(st)
  local rows = {}
  local b = st.baselines
  if not b then return rows end
  for _, p in ipairs(b.dense) do
    rows[#rows + 1] = { "dense", "", joined(st.rows[1].widths), st.rows[1].parameters, "", p.test_acc, "", p.seconds }
  end
  for _, m in ipairs(b.magnitude) do
    rows[#rows + 1] = { "magnitude", m.iteration, joined(m.widths), m.parameters, m.train_acc, m.test_acc, m.seconds, m.cum_seconds }
  end
  return rows
end

local function write_report(study, figs)
  local st, o = study.state, study.opts
  local d = report.document()
  d:h(1, "Problem 2: iterative rank pruning")
  d:p(string.format("Policy `%s`, schedule `%s`, init `%s`, data set %s (%d train, %d test samples). " ..
    "Stopped: %s.", o.policy, o.schedule, st.rows[#st.rows].init == "policy" and "policy's own" or o.init,
    o.dataset, study.data.train:size(), study.data.test:size(), tostring(st.stop_reason)))
  local rows = {}
  for _, r in ipairs(st.rows) do
    rows[#rows + 1] = { r.iteration, joined(r.widths), r.parameters, r.train_acc, r.test_acc, r.epochs, r.seconds,
                        r.cum_seconds, r.cum_flops, r.weight_decay }
  end
  d:h(2, "Iterations")
  d:add(report.md_table({ "iteration", "widths", "parameters", "train acc", "test acc", "epochs", "seconds",
                          "cum. seconds", "cum. FLOPs", "weight decay" }, rows))
  if st.baselines then
    d:h(2, "Baselines (same budget)")
    local b = st.baselines
    local last = b.dense[#b.dense]
    d:p(string.format("Dense network %s trained for the run's total time: test accuracy %.4f after %.1f s " ..
      "(the pruned network: %.4f after %.1f s).", joined(st.rows[1].widths), last.test_acc, last.seconds,
      st.rows[#st.rows].test_acc, st.cum_seconds))
    local mrows = {}
    for _, m in ipairs(b.magnitude) do
      mrows[#mrows + 1] = { m.iteration, joined(m.widths), m.parameters, m.train_acc, m.test_acc, m.cum_seconds }
    end
    if #mrows > 0 then
      d:p("Structured magnitude pruning (smallest incoming-weight norms removed) to the same widths:")
      d:add(report.md_table({ "iteration", "widths", "parameters", "train acc", "test acc", "cum. seconds" }, mrows))
    end
  end
  d:h(2, "Figures")
  for _, f in ipairs(figs) do d:image(f.title, f.file, f.caption) end
  d:h(2, "Files")
  d:p("`iterations.csv` one row per iteration; `baselines.csv` the baselines; `history/iter-K.json` per-epoch " ..
    "losses and each layer's singular values and rank measures after iteration K; `checkpoints/iter-K.safetensors` " ..
    "the weights (a rerun with the same options resumes from the last one).")
  d:h(2, "Options")
  d:p("`" .. require("options").describe(study.spec, o) .. "`")
  report.write(study.out .. "/report.md", d:text())
end

-- Everything derived from the state: tables, figures, report.
function M.finish(study)
  local st, out = study.state, study.out
  local rows = {}
  for i, r in ipairs(st.rows) do rows[i] = iteration_cells(r) end
  report.write(out .. "/iterations.csv", report.csv(ITER_HEADER, rows))
  report.write(out .. "/baselines.csv", report.csv(
    { "method", "iteration", "widths", "parameters", "train_acc", "test_acc", "seconds", "cum_seconds" }, baseline_rows(st)))
  local layers = {}
  for _, r in ipairs(st.rows) do
    local f = read(string.format("%s/history/iter-%d.json", out, r.iteration))
    layers[#layers + 1] = { iteration = r.iteration, layers = f and rh.json.decode(f).layers or {} }
  end
  write_report(study, figures.all(out, st, layers))
end

return M
