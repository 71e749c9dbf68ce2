-- test_memory_flat.lua - a long run's memory stays flat: 36 epochs of what a problem-1 sweep
-- does at a rank check (SGD steps, fit's SVD of every layer, the full measurement of
-- scripts/common/measure.lua with rh.rank.network on a probe batch, a JSON history line, a
-- safetensors checkpoint),
-- and the resident memory after the last epoch is within 10% of that after epoch 12 (below);
-- after a full collection, no more live tensor bytes than early on and a Lua heap within 10%.
-- Under AddressSanitizer, freed blocks sit in a quarantine that grows RSS by design, and
-- leaks are what LeakSanitizer checks there: the bound is checked in normal builds only.
local T = require "testlib"
package.path = assert(os.getenv("RH_SOURCE"), "RH_SOURCE") .. "/scripts/?.lua;" .. package.path
local measure = require "common.measure"

T.ok(math.type(rh.rss()) == "integer" and rh.rss() > 1e6, "rh.rss() is the resident size in bytes")

rh.seed(5)
local all = rh.data.teacher { n = 750, dim = 32, rank = 4, classes = 10, seed = 9 }
local task = { train = all:subset(1, 600), test = all:subset(601, 750), dataset = "teacher" }
task.train_eval = task.train
local idx = {}
for i = 1, 64 do idx[i] = i end
task.probe_x, task.probe_y = task.train:batch(idx)

local model = rh.nn.MLP { 32, 96, 64, 10 }
local crit = rh.nn.CrossEntropyLoss()
local opt = rh.optim.SGD(model, { lr = 0.05, momentum = 0.9, weight_decay = 5e-4 })
local dir = rh.io.mkdtemp("rh-memflat-")
local history = rh.log.jsonl(dir .. "/history.jsonl")
local EPOCHS = 36
local rss, live, heap = {}, {}, {}
local function epoch_end(epoch, rec)
  local final, layers, network = measure.model(model, task, rec.svals)
  history:write { epoch = epoch, final = final, layers = layers, network = network }
  local params = model:parameters()
  local named = {}
  for i, p in ipairs(params) do named["p" .. i] = p end
  rh.save(dir .. "/checkpoint.safetensors", named, { epoch = tostring(epoch) })
  rss[epoch] = rh.rss()
  if epoch <= 8 then
    -- after a full collection only what the run holds is left; later epochs are left
    -- to the collector as in a real sweep, so that the RSS bound sees its pace
    collectgarbage("collect")
    live[epoch], heap[epoch] = rh.memory().cpu, collectgarbage("count")
  end
end
local h = rh.train.fit(model, function(epoch)
  return rh.data.loader(task.train, { batch = 32, shuffle = true, seed = epoch })
end, { optimizer = opt, loss = crit, max_epochs = EPOCHS, progress = false, callback = epoch_end,
  rank_converged = { patience = EPOCHS + 1 } })
history:close()

T.eq(#h, EPOCHS, "trained every epoch (no saturation stop)")
T.eq(#rh.log.read_jsonl(dir .. "/history.jsonl"), EPOCHS, "one history line per epoch")
local ck = rh.load(dir .. "/checkpoint.safetensors")
T.ok(ck.p1 ~= nil, "the last checkpoint loads")
for _, name in ipairs(rh.io.listdir(dir)) do os.remove(dir .. "/" .. name) end
os.remove(dir)

-- after the last epoch, a full collection leaves no more tensor bytes than the first 8
-- epochs ever held, and a Lua heap within 10% plus fit's history
collectgarbage("collect")
local live_end, heap_end = rh.memory().cpu, collectgarbage("count")
local live_max = math.max(table.unpack(live))
-- (layers cache work buffers for up to 4 batch sizes each, and this run has 5: which ones
-- are held varies, hence the 10%)
T.ok(live_end <= 1.10 * live_max, string.format("live tensor bytes at the end: %d, at most %d in epochs 1-8",
  live_end, live_max))
-- fit's history keeps one record an epoch (with its ranks) and the rank rule its window of
-- checks: under 1 KiB an epoch together; a measurement's tables kept by mistake would be tens
T.ok(heap_end <= 1.10 * heap[2] + 1.0 * (EPOCHS - 2), string.format(
  "Lua heap after a full collection: %.0f KiB after epoch 2, %.0f KiB at the end", heap[2], heap_end))
-- The resident size is compared from epoch WARM on. Before it, glibc's allocator is still
-- growing its pools for the measurement's short-lived buffers (LAPACK workspaces of every
-- SVD shape, the trace's activation copies), freed but kept: measured 2026-12-01, in 8 runs
-- of this test, RSS rose 0.9 MiB from epoch 2 to 12 and 0.45 MiB more to 24, then stayed, while
-- the live tensor bytes (about 1.0 MiB) and the Lua heap (about 500 KiB) stayed flat from epoch 2;
-- against epoch 2 the growth was 6-14%, bimodal from run to run (the allocator's state), which
-- made the old comparison a coin toss. A leak keeps growing after the pools are warm.
local WARM = 12
local growth = (rss[EPOCHS] - rss[WARM]) / rss[WARM]
print(string.format("rss after epoch 2: %.1f MiB, after epoch %d: %.1f MiB, after epoch %d: %.1f MiB (%+.1f%% from %d)",
  rss[2] / 2 ^ 20, WARM, rss[WARM] / 2 ^ 20, EPOCHS, rss[EPOCHS] / 2 ^ 20, 100 * growth, WARM))
if os.getenv("RH_SANITIZED") then
  print("sanitized build: the 10% bound is not checked (ASan's quarantine grows RSS)")
else
  T.ok(growth <= 0.10, string.format("resident memory grew %.1f%% from epoch %d to epoch %d (bound 10%%)",
    100 * growth, WARM, EPOCHS))
end
T.done()
