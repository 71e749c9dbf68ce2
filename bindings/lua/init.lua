-- init.lua - the Lua half of `rankhost`: runs once over the table the C bindings built
-- (passed as ...), and attaches the Lua-written modules.
local rh = ...
rh.rank = require "rankhost.rank"

rh.data = require "rankhost.data"

rh.nn = require "rankhost.nn"
rh.optim = require "rankhost.optim"
rh.train = require "rankhost.train"
rh.checkpoint = require "rankhost.checkpoint"

rh.log = require "rankhost.log"
rh.plot = require "rankhost.plot"
rh.sandbox = require "rankhost.sandbox"
rh.help = require("rankhost.help").help

return rh
