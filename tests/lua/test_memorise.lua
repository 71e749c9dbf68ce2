-- test_memorise.lua - the memorised fraction (rh.train.memorised) on constructed cases: a
-- model that predicts every noisy label (1), one that predicts the clean labels (0), an
-- argmax model against a per-sample count by hand, no flipped label (nil), bad arguments;
-- and problem 1's memorisation rules (common/verdicts.lua: rises, memorisation_onset).
local T = require "testlib"
local src = os.getenv("RH_SOURCE") or ".."
package.path = src .. "/scripts/?.lua;" .. package.path

local rh = require "rankhost"
local V = require "common.verdicts"

-- 10 inputs, 10 classes: an "identity model" predicts argmax(x)
local clean = rh.data.teacher { n = 300, dim = 10, rank = 3, classes = 10, seed = 5 }
local noisy = rh.data.random_labels(clean, 0.5, 11)
local n = clean:size()

local function argmax(row)
  local best, at = -math.huge, 0
  for j, v in ipairs(row) do if v > best then best, at = v, j end end
  return at
end

-- a model that outputs one-hot logits of the label of each sample, looked up by its inputs
local function lookup_model(ds)
  local label = {}
  for i = 1, n do
    local x, y = ds:get(i)
    label[table.concat(x:totable(), ",")] = y
  end
  return {
    forward = function(_, X)
      local rows = X:totable()
      local out = {}
      for i, r in ipairs(rows) do
        out[i] = {}
        for c = 1, 10 do out[i][c] = 0 end
        out[i][label[table.concat(r, ",")]] = 1
      end
      return rh.tensor(out)
    end,
  }
end

-- by hand: flipped examples and those predicted as their noisy label by predict(x)
local flipped_by_hand, memorised_by_hand = 0, 0
for i = 1, n do
  local x, y = noisy:get(i)
  local _, yc = clean:get(i)
  if y ~= yc then
    flipped_by_hand = flipped_by_hand + 1
    if argmax(x:totable()) == y then memorised_by_hand = memorised_by_hand + 1 end
  end
end
T.ok(flipped_by_hand > 100 and flipped_by_hand < 150, "about 0.5 x 0.9 of 300 labels flipped: " .. flipped_by_hand)

local f, flipped, mem = rh.train.memorised(lookup_model(noisy), noisy, clean)
T.eq(f, 1, "a model that predicts every noisy label: fraction 1")
T.eq(flipped, flipped_by_hand, "flipped count")
T.eq(mem, flipped_by_hand, "every flipped example memorised")

f, flipped, mem = rh.train.memorised(lookup_model(clean), noisy, clean, { batch = 7 })
T.eq(f, 0, "a model that predicts the clean labels: fraction 0")
T.eq(flipped, flipped_by_hand, "flipped count (batch 7)")

local identity = { forward = function(_, X) return X end }
f, flipped, mem = rh.train.memorised(identity, noisy, clean, { batch = 64 })
T.eq(flipped, flipped_by_hand, "argmax model: flipped")
T.eq(mem, memorised_by_hand, "argmax model: memorised, counted by hand")
T.near(f, memorised_by_hand / flipped_by_hand, 1e-12, "argmax model: fraction")

-- a real model: evaluation mode and back
local mlp = rh.nn.MLP { 10, 16, 10 }
f = rh.train.memorised(mlp, noisy, clean)
T.ok(f >= 0 and f <= 1, "an MLP's fraction is in [0, 1]")
T.ok(mlp.training ~= false, "the model is back in training mode")

f, flipped, mem = rh.train.memorised(identity, clean, clean)
T.eq(f, nil, "no flipped label: no fraction")
T.eq(flipped, 0, "no flipped label: 0 flipped")
T.eq(mem, 0, "no flipped label: 0 memorised")

T.raises("rh.train.memorised: noisy has 300 samples and clean 100", function()
  rh.train.memorised(identity, noisy, clean:subset(1, 100))
end)
T.raises("rh.train.memorised: clean must be a dataset", function() rh.train.memorised(identity, noisy, 3) end)
T.raises("batch", function() rh.train.memorised(identity, noisy, clean, { batch = 0 }) end)
T.raises("bacth", function() rh.train.memorised(identity, noisy, clean, { bacth = 10 }) end)

-- ---- verdict rules ----
T.eq(V.MEMORISATION_ONSET, 0.5, "onset threshold")
T.eq(V.RHO_NEGLIGIBLE, 0.3, "negligible rho")
T.ok(type(V.RULES[V.RISES_RULE]) == "string" and type(V.RULES[V.ONSET_RULE]) == "string", "rules described")
T.eq(V.rises { rho = 0.6, lo = 0.2, hi = 0.85, n = 20 }, "yes", "rises: interval above 0")
T.eq(V.rises { rho = -0.6, lo = -0.85, hi = -0.2, n = 20 }, "no", "rises: interval below 0 (falls)")
T.eq(V.rises { rho = 0.05, lo = -0.2, hi = 0.28, n = 60 }, "no", "rises: interval within +-0.3")
T.eq(V.rises { rho = 0.3, lo = -0.2, hi = 0.7, n = 12 }, "cannot tell", "rises: wide interval across 0")
T.eq(V.rises { rho = 1, n = 6 }, "yes", "rises: rho 1 over 6 runs")
T.eq(V.rises { rho = 0.5, n = 4 }, "cannot tell", "rises: too few runs")
T.eq(V.rises { rho = nil, n = 9 }, "cannot tell", "rises: undefined rho")
T.eq(V.rises(nil), "cannot tell", "rises: no fact")
local function cells(...)
  local out = {}
  for i, m in ipairs { ... } do out[i] = { wd = ({ 1e-4, 1e-3, 5e-3 })[i], fraction = { mean = m, n = 3 } } end
  return out
end
local v, at = V.memorisation_onset(cells(0.9, 0.6, 0.1))
T.eq(v, "below", "onset: two of three cells"); T.eq(at, 1e-3, "onset: at 1e-3")
v, at = V.memorisation_onset(cells(0.9, 0.7, 0.5))
T.eq(v, "all", "onset: every cell (0.5 counts)"); T.eq(at, 5e-3, "onset: the largest decay")
v, at = V.memorisation_onset(cells(0.4, 0.2, 0.1))
T.eq(v, "none", "onset: no cell"); T.eq(at, nil, "onset: no weight decay")
v = V.memorisation_onset(cells(0 / 0, 0.2))
T.eq(v, "none", "onset: NaN is not a fraction")
v = V.memorisation_onset {}
T.eq(v, "none", "onset: no cells")

T.eq(V.all_agree { "yes", "yes", "cannot tell" }, "yes", "all agree: yes")
T.eq(V.all_agree { "no", "cannot tell" }, "no", "all agree: no")
T.eq(V.all_agree { "yes", "no" }, "mixed", "all agree: mixed")
T.eq(V.all_agree { "cannot tell" }, "cannot tell", "all agree: none answers")
T.eq(V.all_agree {}, "cannot tell", "all agree: empty")

T.done()
