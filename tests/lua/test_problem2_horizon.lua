-- test_problem2_horizon.lua - problem 2's horizon-matched training (problem2/train.lua): an
-- iteration whose own weight decay needs more epochs than --max-epochs to reach the horizon
-- trains for them (up to --horizon-epochs, then a window of rank checks), and one that
-- --horizon-epochs cuts short is marked horizon_reached = false and not converged.
local T = require "testlib"
local rh = require "rankhost"
local src = os.getenv("RH_SOURCE") or ".."
package.path = src .. "/scripts/?.lua;" .. package.path
local options = require "common.options"
local settings = require "problem2.settings"
local tasks = require "problem2.tasks"
local train = require "problem2.train"
local Net = require "problem2.net"
local regime = require "common.regime"

local function rules(horizon_epochs)
  local o = assert(options.parse(settings.SPEC, { "--teacher-dim", "8", "--teacher-n", "320", "--teacher-val", "100",
    "--teacher-test", "100", "--batch", "32", "--min-horizon", "0.5", "--max-epochs", "3", "--rank-every", "1",
    "--rank-patience", "2", "--cooldown", "0", "--horizon-epochs", tostring(horizon_epochs) }))
  return o, train.rules(o)
end

local o, r = rules(20)
local task = tasks.teacher(o, 4, 77)
-- lr 0.1, wd 0.05: 10 steps an epoch add 0.05 to H, so H = 0.5 takes 10 epochs (> --max-epochs 3)
T.eq(regime.min_epochs(0.1, 0.05, 0, 32, 320, 0.5), 10, "the epochs the horizon needs")
local function fit(rr)
  rh.seed(5)
  local net = Net.build({ input = task.dim, classes = task.classes, hidden = Net.plain_hidden { 12 } })
  return train.fit(net, task, rr, 0.05, 0.1, 5)
end
local rec = fit(r)
T.ok(rec.epochs >= 10, "trained past --max-epochs 3 to the horizon: " .. rec.epochs .. " epochs")
T.ok(rec.epochs <= 12, "and at most one window of rank checks after it: " .. rec.epochs)
T.ok(rec.wd_horizon >= 0.5 - 1e-9, string.format("H reached: %.3f", rec.wd_horizon))
T.eq(rec.horizon_reached, true, "horizon_reached")

local _, short = rules(6)
rec = fit(short)
T.eq(rec.epochs, 6, "cut at --horizon-epochs 6")
T.ok(rec.wd_horizon < 0.5, string.format("H short: %.3f", rec.wd_horizon))
T.eq(rec.horizon_reached, false, "marked horizon_reached = false")
T.eq(rec.converged, false, "and not converged")
T.ok(train.rule_text(short):find("up to 6 epochs", 1, true), "the rule's words name the cap")
T.done()
