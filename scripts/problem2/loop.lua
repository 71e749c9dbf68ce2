-- loop.lua - one run of the iterative loop: from the dense network of its (task, seed), ask
-- the policy for the next widths from the converged ranks of the network just trained, build
-- the next network, train it to rank convergence under the variant's weight-decay schedule,
-- and repeat until
--   fixed_point  every layer's next width is within max(--fp-slack, --fp-rel-slack x width)
--                of its width: the next iteration would keep the widths;
--   margin       validation accuracy fell more than --margin below the dense network's (the
--                network before it is the run's final one); a start-narrow run (run.start),
--                which trains its own iteration 0 at those widths and begins below the dense
--                accuracy, reads the best validation accuracy of its earlier iterations instead;
--   cap          --max-iters iterations were trained;
--   diverged     a training diverged.
-- No choice reads the test set: the margin reads validation accuracy (task.val), the fixed
-- point only widths, and the policy gets the ranks and ctx (widths, history, the training
-- and validation data; the rows' test accuracies are blanked out of ctx.history).
-- Each finished iteration appends one line to iterations/<id>.jsonl (its widths, accuracy,
-- times, every rank and the singular values a policy reads) after its checkpoint is written,
-- so a run stopped at any point - killed, or refused a bad policy answer - continues after
-- its last finished iteration.
local rh = require "rankhost"
local results = require "common.results"
local Net = require "problem2.net"
local surgery = require "problem2.surgery"
local measure = require "problem2.measure"
local plugins = require "problem2.plugins"
local train = require "problem2.train"

local M = {}

-- Whether `next_widths` keeps `widths`: every layer within max(slack, rel_slack x its width).
function M.fixed_point(widths, next_widths, slack, rel_slack)
  if #widths ~= #next_widths then return false end
  for i = 1, #widths do
    if math.abs(next_widths[i] - widths[i]) > math.max(slack, rel_slack * widths[i]) then return false end
  end
  return true
end

-- The line of iteration k: the network `net` after training record `rec` (problem2/train.lua)
-- at weight decay wd and learning rate lr, started by `init`; prev is the line before (nil
-- for the dense network).
function M.row(k, net, rec, wd, lr, init, prev, o)
  local params = net:num_parameters()
  local row = { iteration = k, widths = net:widths(), neurons = net:neurons(), layers = measure.layers(net),
    parameters = params, train_acc = rec.train_acc, val_acc = rec.val_acc, test_acc = rec.test_acc,
    test_acc_before_cooldown = rec.test_acc_before_cooldown, epochs = rec.epochs, min_epochs = rec.min_epochs,
    stopped = rec.stopped, converged = rec.converged, horizon_reached = rec.horizon_reached, wd_horizon = rec.wd_horizon, seconds = rec.seconds,
    cooldown_seconds = rec.cooldown_seconds, cum_seconds = (prev and prev.cum_seconds or 0) + rec.seconds,
    cum_flops = (prev and prev.cum_flops or 0) + 6 * params * rec.samples, weight_decay = wd, lr = lr, init = init,
    loss = rec.loss, diverged = rec.diverged, rank_measure = o.rank_measure, ranks_at_stop = rec.ranks }
  if rec.svals then
    row.ranks, row.svals, row.shapes = measure.ranks(rec.svals, rec.shapes, o), measure.lists(rec.svals), rec.shapes
  end
  return row
end

-- The fields of a dense record that make iteration 0's line.
local ROW_FIELDS = { "iteration", "widths", "neurons", "layers", "parameters", "train_acc", "val_acc", "test_acc",
  "test_acc_before_cooldown", "epochs", "min_epochs", "stopped", "converged", "horizon_reached", "wd_horizon", "seconds",
  "cooldown_seconds", "cum_seconds", "cum_flops", "weight_decay", "lr", "init", "loss", "diverged", "rank_measure",
  "ranks_at_stop", "ranks", "svals", "shapes" }

function M.row_of_dense(dense)
  local row = {}
  for _, k in ipairs(ROW_FIELDS) do row[k] = dense[k] end
  return row
end

-- The rows as a policy or schedule sees them: copies without the test accuracies.
function M.without_test(rows)
  local out = {}
  for i, r in ipairs(rows) do
    local c = {}
    for k, v in pairs(r) do c[k] = v end
    c.test_acc, c.test_acc_before_cooldown = nil, nil
    out[i] = c
  end
  return out
end

local function spec_of(task, row)
  local hidden = {}
  for i, l in ipairs(row.layers) do hidden[i] = { neurons = l.neurons, rank = l.bottleneck } end
  return { input = task.dim, classes = task.classes, hidden = hidden }
end

local function joined(w) return table.concat(w, "-") end

-- The validation accuracy the margin reads for the last of `rows`: the dense network's, or
-- for a start-narrow run (which begins below it) the best of the run's earlier iterations.
function M.margin_reference(rows, dense, narrow)
  if not narrow then return dense.val_acc end
  local best = -math.huge
  for i = 1, #rows - 1 do if rows[i].val_acc and rows[i].val_acc > best then best = rows[i].val_acc end end
  return best
end

-- The words for how a run stopped.
local function stop_text(stop, rows, next_widths, o, dense_acc, narrow)
  local last = rows[#rows]
  if stop == "fixed_point" then
    return string.format("fixed point after iteration %d: the policy's next widths %s are within max(%g, %g x width) "
      .. "of %s", last.iteration, joined(next_widths), o.fp_slack, o.fp_rel_slack, joined(last.widths))
  elseif stop == "margin" then
    return string.format("margin: iteration %d's validation accuracy %.4f fell more than %g below %s %.4f",
      last.iteration, last.val_acc, o.margin, narrow and "the best earlier iteration's" or "the dense network's",
      dense_acc)
  elseif stop == "cap" then
    return string.format("cap: %d iterations, and the policy's next widths %s still differ from %s", last.iteration,
      joined(next_widths), joined(last.widths))
  end
  return "diverged at iteration " .. last.iteration .. ": " .. tostring(last.diverged)
end

-- Runs (or continues) iterate run `run`. env = {options, task, rules, policy, schedule,
-- variant_options, max_iters, dense (the dense run's record), dense_checkpoint, dir, say}.
-- Returns the run's record.
function M.run(run, env)
  local o, task, dense, policy = env.options, env.task, env.dense, env.policy
  local path = env.dir .. "/iterations/" .. run.id .. ".jsonl"
  local ckdir = env.dir .. "/checkpoints/" .. run.id
  rh.io.mkdir_p(ckdir)
  -- the iterations trained so far (a hand-edited row is refused naming the file and line)
  local rows = rh.io.exists(path) and results.read_file(path, { "iteration", "widths" }) or {}
  local log <close> = rh.log.jsonl(path, { append = true })
  local function checkpoint(k)
    return (k == 0 and not run.start) and env.dense_checkpoint or string.format("%s/iter-%d.safetensors", ckdir, k)
  end
  if #rows == 0 and run.start then
    -- a start-narrow run trains its own iteration 0 at run.start, under the study's weight decay
    rh.seed(run.run_seed + 17)
    local net = Net.build({ input = task.dim, classes = task.classes, hidden = Net.plain_hidden(run.start) })
    local rec = train.fit(net, task, env.rules, o.weight_decay, o.lr, run.run_seed + 17)
    if rec.svals then
      rh.save(checkpoint(0), net:tensors(), net:metadata { id = run.id, seed = run.run_seed, iteration = 0 })
    end
    rows[1] = M.row(0, net, rec, o.weight_decay, o.lr, "fresh", nil, o)
    rows[1].id = run.id
    log:write(rows[1])
    env.say(string.format("%s iteration 0 (narrow start): widths %s, val acc %s, %.1f s", run.id, joined(rows[1].widths),
      rows[1].val_acc and string.format("%.4f", rows[1].val_acc) or "-", rows[1].seconds))
  elseif #rows == 0 then
    rows[1] = M.row_of_dense(dense)
    rows[1].id = run.id -- every JSON line names its run (docs/results.md)
    log:write(rows[1])
  elseif rows[#rows].iteration > 0 then
    env.say(string.format("%s: continuing after iteration %d", run.id, rows[#rows].iteration))
  end
  local stop, next_widths
  while true do
    local last = rows[#rows]
    local k = last.iteration
    -- a rejected or diverged network gets no policy answer (next_widths is the answer after
    -- the run's last network; iterations.csv's fixed_point reads it)
    if last.diverged then stop, next_widths = "diverged", nil; break end
    if k > 0 and last.val_acc < M.margin_reference(rows, dense, run.start) - o.margin then
      stop, next_widths = "margin", nil
      break
    end
    local stats = measure.stats(last.layers, last.svals, last.shapes, o)
    local ctx = { iteration = k + 1, history = M.without_test(rows), widths = last.widths,
      options = env.variant_options, dataset = { name = task.name, train = task.train, val = task.val } }
    local ok, w = pcall(plugins.widths, policy, stats, ctx, o.min_width)
    if not ok then
      error(string.format("%s: %s; iterations 0..%d are kept in %s, and the same command continues after the fix",
        run.id, tostring(w), k, path), 0)
    end
    next_widths = w
    if M.fixed_point(last.widths, next_widths, o.fp_slack, o.fp_rel_slack) then stop = "fixed_point"; break end
    if k >= env.max_iters then stop = "cap"; break end
    local wd, lr = plugins.hyper(env.schedule, k + 1, ctx)
    rh.seed(run.run_seed + 1000 * (k + 1))
    local method, net = run.init or o.init, nil -- an inherit run's surgery, else --init
    local own_init = policy.init and not o._given.init and not run.init
    if method == "fresh" and not own_init then
      net = Net.build(Net.spec_with(spec_of(task, last), Net.plain_hidden(next_widths)))
    else
      local old = Net.from_tensors(spec_of(task, last), rh.load(checkpoint(k)))
      if own_init then
        method = "policy"
        local fresh = Net.build(Net.spec_with(old.spec, Net.plain_hidden(next_widths)))
        net = policy.init(fresh, old, stats, ctx) or fresh
      else
        net = surgery.next_net(old, next_widths, method, task.sample)
      end
    end
    local rec = train.fit(net, task, env.rules, wd, lr, run.run_seed + 101 * (k + 1))
    if rec.svals then
      rh.save(checkpoint(k + 1), net:tensors(), net:metadata { id = run.id, seed = run.run_seed, iteration = k + 1 })
    end
    local row = M.row(k + 1, net, rec, wd, lr, method, last, o)
    row.id = run.id
    log:write(row)
    rows[#rows + 1] = row
    env.say(string.format("%s iteration %d: widths %s, %d parameters, test acc %s, %.1f s (%s after %d epochs, H %.2f)",
      run.id, k + 1, joined(row.widths), row.parameters, row.test_acc and string.format("%.4f", row.test_acc) or "-",
      row.seconds, row.stopped, row.epochs, row.wd_horizon or 0))
  end
  local final = rows[#rows]
  if (stop == "margin" or stop == "diverged") and #rows > 1 then final = rows[#rows - 1] end
  return { id = run.id, kind = run.kind, init = run.init or o.init, task = run.task, wstar = run.wstar, variant = run.variant,
    start = run.start,
    seed_index = run.seed_index, dense = run.dense, stop = stop, stop_text = stop_text(stop, rows, next_widths, o,
      M.margin_reference(rows, dense, run.start), run.start ~= nil), iterations = rows[#rows].iteration, final_iteration = final.iteration,
    final = { widths = final.widths, neurons = final.neurons, layers = final.layers, parameters = final.parameters,
      test_acc = final.test_acc, val_acc = final.val_acc, train_acc = final.train_acc, cum_seconds = final.cum_seconds },
    next_widths = next_widths, last_widths = rows[#rows].widths, total_seconds = rows[#rows].cum_seconds, total_flops = rows[#rows].cum_flops,
    dense_test_acc = dense.test_acc, dense_val_acc = dense.val_acc, dense_parameters = dense.parameters, dense_seconds = dense.seconds,
    dense_flops = dense.cum_flops }
end

return M
