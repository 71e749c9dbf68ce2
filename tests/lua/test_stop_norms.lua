-- test_stop_norms.lua - rh.train.stop.norms, the weight-norm stationarity rule (issue 22 item
-- 4): fed by hand it holds only once `patience` epochs of unchanged norms are in its window,
-- a layer decayed by 10% breaks it for `patience` epochs, rel_tol is a relative spread, observe
-- never stops; bad options are refused naming the key; inside fit, with observe, it writes
-- norms_stationary into every record and the run is the same as without it.
local T = require "testlib"
local rh = require "rankhost"

local m = rh.nn.MLP { 4, 3, 2 }
local r = rh.train.stop.norms { model = m, patience = 3, rel_tol = 0.01 }
local function step() local rec = {}; local s, why = r:update(rec); return s, why, rec end
local s, why, rec = step()
T.eq(s, false, "one epoch: not yet a window"); T.eq(why, "norms_stationary", "its name")
T.eq(#rec.norms, 2, "a norm per Linear layer")
T.near(rec.norms[1], m:linear_layers()[1].weight:norm(), 1e-6, "the Frobenius norm")
step()
s, _, rec = step()
T.eq(s, true, "three unchanged epochs: stationary"); T.eq(rec.norm_moved, 0, "nothing moved")
m:linear_layers()[1].weight:mul_(0.9) -- pure decay of one layer
s, _, rec = step()
T.eq(s, false, "a 10% decay is not stationary"); T.near(rec.norm_moved, 1 / 0.9 - 1, 1e-5, "spread over the norm now")
s = step(); T.eq(s, false, "still in the window")
s = step(); T.eq(s, true, "out of the window again")
local loose = rh.train.stop.norms { model = m, patience = 2, rel_tol = 0.2 }
loose:update({}); m:linear_layers()[2].weight:mul_(0.9)
T.eq((loose:update({})), true, "within rel_tol 0.2")
local obs = rh.train.stop.norms { model = m, patience = 2, observe = true }
obs:update({}); local rec2 = {}
T.eq((obs:update(rec2)), false, "observe never stops"); T.eq(rec2.norms_stationary, true, "but records the verdict")
T.raises("rh.train.stop.norms: patience must be an integer >= 2", rh.train.stop.norms, { model = m, patience = 1 })
T.raises("unknown option 'tol'", rh.train.stop.norms, { model = m, tol = 1 })
T.raises("model must be a network", rh.train.stop.norms, { model = 3 })
T.raises("rel_tol must be a number >= 0", rh.train.stop.norms, { model = m, rel_tol = -1 })

-- inside fit: observe writes the verdict and changes nothing
local ds = rh.data.teacher and rh.data.teacher { n = 256, dim = 8, rank = 2, classes = 3, seed = 1 }
if ds then
  local function run(with)
    rh.seed(5)
    local net = rh.nn.MLP { 8, 16, 3 }
    local h = rh.train.fit(net, ds, { lr = 0.1, batch = 32, weight_decay = 5e-3, max_epochs = 6, seed = 1, progress = false,
      stop = with and { rh.train.stop.norms { model = net, patience = 2, observe = true } } or nil })
    return h, net
  end
  local h1, n1 = run(true)
  local h2, n2 = run(false)
  T.eq(h1.epochs, 6, "observe: trained to the cap")
  T.ok(h1[#h1].norms_stationary ~= nil and h1[#h1].norm_moved ~= nil, "every record has the verdict")
  T.eq(h1[#h1].loss, h2[#h2].loss, "the same run with and without the observing rule")
  T.eq(n1:linear_layers()[1].weight:norm(), n2:linear_layers()[1].weight:norm(), "the same weights")
end

T.done()
