-- test_doc_claims.lua - claims of the docs that the documentation audit found false and
-- fixed in code: a Lua layer prints by its name inside a Sequential (docs/training.md,
-- examples/custom_layer.lua), and rh.data.search_path names its argument when it is wrong
-- (docs/data.md).
local T = require "testlib"
local nn = rh.nn

-- A custom layer (a plain table, no metatable) is shown by its `name`, not "table: 0x...".
local layer = { name = "Scale" }
function layer:forward(x) return x end
function layer:backward(_, gy) return gy end
function layer:parameters() return {}, {} end
local s = tostring(nn.Sequential(layer, nn.Linear(4, 3)))
T.ok(s:find("(1) Scale", 1, true) ~= nil, "custom layer printed by name: " .. s)
T.ok(s:find("(2) nn.Linear(4 -> 3)", 1, true) ~= nil, "built-in layer printed as before: " .. s)
T.ok(s:find("table: 0x", 1, true) == nil, "no table address: " .. s)
-- without a name it is still a readable word
local anon = { forward = layer.forward, backward = layer.backward, parameters = layer.parameters }
T.ok(tostring(nn.Sequential(anon)):find("(1) Lua module", 1, true) ~= nil, "unnamed Lua layer")

-- search_path: the two dataset names of the docs, and a clear error otherwise.
local m = rh.data.search_path("mnist")
T.eq(m[#m], "./data/mnist", "mnist: ./data/mnist last")
local f = rh.data.search_path("fashion_mnist")
T.eq(f[#f], "/usr/share/datasets/fashion-mnist", "fashion_mnist: Debian's folder last")
T.raises("bad argument #1 to 'search_path' (\"mnist\" or \"fashion_mnist\" expected, got fashion-mnist)",
         rh.data.search_path, "fashion-mnist")
T.done()
