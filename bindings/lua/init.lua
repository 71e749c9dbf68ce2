-- init.lua - the Lua half of `rankhost`: runs once over the table the C bindings built
-- (passed as ...), and attaches the Lua-written modules.
local rh = ...

rh.log = require "rankhost.log"
rh.plot = require "rankhost.plot"

return rh
