-- p1_report.lua - report.md for a problem 1 sweep: a small paper section (setup, the
-- saturation rule, correlations, real vs random labels, teacher rank vs convergent rank,
-- equivalence classes) with the figures inlined and the rank measure each one uses.
local rh = require "rankhost"
local report = require "report"
local analysis = require "p1_analysis"
local stats = require "stats"
local trainer = require "p1_train"

local M = {}

local function count(list, pred)
  local c = 0
  for _, x in ipairs(list) do if pred(x) then c = c + 1 end end
  return c
end

local function strongest(rows, col)
  local best
  for _, r in ipairs(rows) do
    if r[col] and (not best or math.abs(r[col]) > math.abs(best[col])) then best = r end
  end
  return best
end

local function fmt(x) return report.num(x, 3) end

-- The real-versus-random section: the table by kind, then in plain words whether the
-- random-label networks memorised (training accuracy on their random labels) and how their
-- convergent rank compares with the real-label networks', then one row per random network.
function M.labels_section(d, o, ok, metric_names, measures, figs)
  local kh, krows, by = analysis.kind_rows(ok, metric_names, measures)
  local random, real = by.random, by.real
  d:p("Means over finished networks of each kind (counts where the quantity is a count). Training accuracy is "
    .. "measured on the labels a network trained on, so for random-label networks it says how much of their "
    .. "random training labels they fit; test accuracy is on the true test labels.")
  d:add(report.md_table(kh, krows))
  if #random == 0 then
    d:p("No random-label network finished in this sweep (--random-labels " .. o.random_labels .. ").")
  else
    local tr, te, real_tr, real_te, mem = {}, {}, {}, {}, 0
    for _, r in ipairs(random) do
      tr[#tr + 1], te[#te + 1] = r.final.train_acc, r.final.test_acc
      if r.final.train_acc >= analysis.MEMORISED then mem = mem + 1 end
    end
    for _, r in ipairs(real) do real_tr[#real_tr + 1], real_te[#real_te + 1] = r.final.train_acc, r.final.test_acc end
    local lo = stats.minmax(tr)
    local classes = random[1].architecture[#random[1].architecture]
    local verdict
    if mem == #random then
      verdict = #random == 1 and "**The random-label network memorised its training labels**"
        or string.format("**%s random-label networks memorised their training labels**",
          #random == 2 and "Both" or "All " .. #random)
    elseif mem > 0 then
      local rest = {}
      for _, x in ipairs(tr) do if x < analysis.MEMORISED then rest[#rest + 1] = x end end
      local rlo, rhi = stats.minmax(rest)
      verdict = string.format("**%d of %d random-label networks memorised their training labels**; the %s "
        .. "reached training accuracy %s before %s (%s)", mem, #random, #rest == 1 and "other" or #rest .. " others",
        #rest == 1 and fmt(rlo) or fmt(rlo) .. " to " .. fmt(rhi), #rest == 1 and "it stopped" or "they stopped",
        rlo > 2 / classes and "well above chance: partly memorised" or "near chance for at least one")
    elseif lo > 2 / classes then
      verdict = string.format("**None of the %d random-label networks memorised its training labels**, though all "
        .. "fit them above chance", #random)
    else
      verdict = string.format("**The random-label networks did not memorise**: at least one stayed near chance "
        .. "on its own training labels, so this comparison does not contrast memorising with generalising networks "
        .. "(raise --random-max-epochs or lower --lr)")
    end
    d:p(string.format("A network has memorised its random labels when its training accuracy on them is at least "
      .. "%g (chance is 1/%d = %s). %s. On average their training accuracy is %s (lowest %s) and their test "
      .. "accuracy %s, against %s and %s for the real-label networks.", analysis.MEMORISED, classes,
      fmt(1 / classes), verdict, fmt(stats.mean(tr)), fmt(lo), fmt(stats.mean(te)), fmt(stats.mean(real_tr)),
      fmt(stats.mean(real_te))))
    if #real > 0 then
      local parts = {}
      for _, m in ipairs(measures) do
        local name = "normalized:" .. m
        local a, b = {}, {}
        for _, r in ipairs(random) do if r.network and r.network[name] then a[#a + 1] = r.network[name] end end
        for _, r in ipairs(real) do if r.network and r.network[name] then b[#b + 1] = r.network[name] end end
        local ma, mb = stats.mean(a), stats.mean(b)
        if ma and mb then
          local rel = math.abs(ma - mb) <= 0.005 and "the same as" or ma > mb and "higher than" or "lower than"
          parts[#parts + 1] = string.format("%s: %s, %s the real-label networks' %s", m, fmt(ma), rel, fmt(mb))
        end
      end
      d:p("Convergent rank (mean normalised network rank `normalized:<m>`, the sum of layer ranks over the sum of "
        .. "min(rows, cols)) of the random-label networks, measure by measure: " .. table.concat(parts, "; ")
        .. ". Architectures differ between the two groups (each network's is drawn at random), so compare the "
        .. "normalised figures, not the sums.")
    end
    local rh_, rrows = analysis.random_rows(ok, o.measure)
    d:p("The random-label networks one by one:")
    d:add(report.md_table(rh_, rrows))
  end
  for _, f in ipairs(figs) do if f.section == "labels" then d:image(f.title, f.file, f.caption) end end
end

function M.text(o, plan, results, measures, metric_names, classes, figs)
  local d = report.document()
  local ok = analysis.ok_runs(results)
  local real = {}
  for _, r in ipairs(ok) do if r.kind == "real" then real[#real + 1] = r end end
  local sat = trainer.rule_text(o, "real")

  d:h(1, "Problem 1: convergent rank of randomly drawn networks")
  d:h(2, "Setup")
  d:p(string.format("We drew %d multilayer perceptrons (ReLU, %d to %d hidden layers, hidden widths log-uniform "
    .. "in [%d, %d] rounded to multiples of 8, at least %d parameters and every hidden width at least twice the "
    .. "number of classes) with sweep seed %d. %d of them were trained on %s; a fraction %g of the sweep "
    .. "(%d networks) on the same images with %s of the training labels replaced by random ones; "
    .. "and %d on the synthetic teacher task at ranks %s. %d of %d planned networks have finished (%d diverged).",
    o.n, o.depth_min, o.depth_max, o.width_min, o.width_max, o.min_params, o.seed,
    count(plan, function(r) return r.kind == "real" end), o.dataset, o.random_labels,
    count(plan, function(r) return r.kind == "random" end),
    o.label_noise >= 1 and "all" or string.format("%g%%", 100 * o.label_noise),
    count(plan, function(r) return r.kind == "teacher" end),
    #o.teacher_ranks > 0 and table.concat(o.teacher_ranks, ", ") or "(none)",
    #results, #plan, count(results, function(r) return r.status ~= "ok" end)))
  local failed = {}
  for _, r in ipairs(results) do
    if r.status ~= "ok" then
      failed[#failed + 1] = { r.id, r.kind, table.concat(r.architecture or {}, "-"), r.status, r.epochs or 0 }
    end
  end
  if #failed > 0 then
    d:p("Networks that did not finish normally (a NaN or infinite loss, weight or activation stopped them; "
      .. "they are left out of every analysis below):")
    d:add(report.md_table({ "id", "kind", "architecture", "status", "epochs" }, failed))
  end
  d:p(string.format("Each network was trained with minibatch SGD (learning rate %g, momentum %g, weight decay %g "
    .. "as L2 in the gradient, batch %d; ReduceLROnPlateau with patience %d and factor %g) until the training "
    .. "loss saturated or %d epochs passed. **Saturation rule:** %s. At every epoch we measured the training and "
    .. "test loss and accuracy, every rank measure of every layer's weight matrix, its spectral norm, and the "
    .. "ranks of each layer's weight gradient on a fixed batch of %d training samples (history/<id>.jsonl). "
    .. "The *convergent rank* of a network is the list of its layers' ranks at the last epoch.",
    o.lr, o.momentum, o.wd, o.batch, o.plateau_patience, o.plateau_factor, o.max_epochs, sat, o.probe))
  d:p(string.format("Random-label networks train with the same hyper-parameters under their own saturation rule "
    .. "(the `rule` field of runs.jsonl and summary.csv says which rule applied to each network): **%s**. Under "
    .. "the sweep's rule they would stop after a few epochs on the initial plateau of the loss at ln(10), at "
    .. "chance-level training accuracy, before they begin to memorise.", trainer.rule_text(o, "random")))
  d:p("Rank measures (rh.rank.all, one SVD per layer): " .. table.concat(measures, ", ")
    .. ". Whole-network figures (rh.rank.network): `sum:<m>` is the sum of the layers' ranks under measure m, "
    .. "`normalized:<m>` that sum divided by the sum of min(rows, cols), `min:<m>` the lowest layer rank (a bound "
    .. "on the rank of the map the network computes), and `activation_normalized:<m>` the normalised sum for the "
    .. "layers' activations on the probe batch.")
  local defs = {}
  for _, m in ipairs(measures) do
    if rh.rank.measures and rh.rank.measures[m] then defs[#defs + 1] = "- " .. rh.rank.measures[m] end
  end
  if #defs > 0 then d:p(table.concat(defs, "\n")) end

  local corr = analysis.correlations(real, metric_names, measures)
  d:h(2, "Convergent rank and generalisation")
  d:p(string.format("Correlations over the %d real-label networks that finished (Pearson r and Spearman rho; "
    .. "n/a where undefined: fewer than 3 networks or a constant figure). The gap is train minus test accuracy.",
    #real))
  local rows = {}
  for _, r in ipairs(corr) do
    rows[#rows + 1] = { "`" .. r[1] .. "`", r[2], r[3], r[4], r[5], r[6], r[7], r[8] }
  end
  d:add(report.md_table({ "network figure", "n", "r (test acc)", "rho (test acc)", "r (gap)", "rho (gap)",
    "r (params)", "rho (params)" }, rows))
  local best = strongest(corr, 4)
  if best then
    d:p(string.format("The figure most strongly rank-correlated with test accuracy is `%s` (rho = %.3f, "
      .. "r = %s). With %d networks, |rho| below about %.2f is within what chance gives at the 5%% level.",
      best[1], best[4], report.num(best[3], 3), best[2], 1.96 / math.sqrt(math.max(best[2] - 1, 1))))
  end
  for _, f in ipairs(figs) do if f.section == "generalisation" then d:image(f.title, f.file, f.caption) end end

  d:h(2, "Real versus random labels")
  M.labels_section(d, o, ok, metric_names, measures, figs)

  d:h(2, "Teacher rank versus convergent rank")
  local th, trows = analysis.teacher_rows(ok, measures)
  if #trows == 0 then
    d:p("No teacher runs in this sweep (--teacher-ranks none).")
  else
    d:p("The teacher task's labels come from a rank-k linear map of the inputs, so k bounds the task's "
      .. "complexity. For each teacher network: the convergent rank of its first layer and of its "
      .. "lowest-rank layer under each measure.")
    d:add(report.md_table(th, trows))
    local ks, firsts = {}, {}
    for _, r in ipairs(trows) do ks[#ks + 1] = r[2]; firsts[#firsts + 1] = r[5] end
    local rho = stats.spearman(ks, firsts)
    d:p(string.format("Spearman correlation of teacher rank with the first layer's %s rank: %s.", measures[1] or "",
      report.num(rho, 3)))
  end
  for _, f in ipairs(figs) do if f.section == "teacher" then d:image(f.title, f.file, f.caption) end end

  d:h(2, "Equivalence classes")
  d:p(string.format("Networks are equivalent when their convergent ranks under the **%s** measure are %s, layer "
    .. "by layer (networks of different depth never are). %d finished networks fall into %d classes "
    .. "(classes.csv lists every class with its members).", o.measure,
    o.class_tol > 0 and string.format("within %g of the class's first member", o.class_tol) or "equal",
    #ok, #classes))
  local ch, crows = analysis.class_rows(classes)
  local shown = {}
  for i = 1, math.min(#crows, 20) do shown[i] = crows[i] end
  d:add(report.md_table(ch, shown))
  if #crows > 20 then d:p(string.format("(%d more classes in classes.csv)", #crows - 20)) end
  for _, f in ipairs(figs) do if f.section == "classes" then d:image(f.title, f.file, f.caption) end end

  d:h(2, "Training dynamics")
  d:p("The seed notebook's figures: the relation of loss and norm to accuracy at convergence, and the course of "
    .. "loss, accuracy, rank and norm over epochs for every network.")
  for _, f in ipairs(figs) do if f.section == "dynamics" then d:image(f.title, f.file, f.caption) end end

  d:h(2, "Figures and their rank measures")
  local frows = {}
  for _, f in ipairs(figs) do frows[#frows + 1] = { "`" .. f.file .. "`", f.title, f.measure or "none" } end
  d:add(report.md_table({ "file", "figure", "rank measure" }, frows))
  return d:text()
end

return M
