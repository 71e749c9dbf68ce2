-- test_help.lua - help(): the doc line of an rh function comes from docs/API.md, embedded at
-- build time (one place: the embedded text equals the file in the source tree), and every
-- function of rh and its modules has a line there, so help() answers for each.
local T = require "testlib"
local H = require "rankhost.help"

-- the embedded document is the source tree's docs/API.md
local f = assert(io.open(assert(os.getenv("RH_SOURCE"), "RH_SOURCE") .. "/docs/API.md", "rb"))
local api = f:read("a")
f:close()
T.ok(require("rankhost.doc_API") == api, "the embedded API.md is the source's (rebuild after editing it)")

local energy_line = api:match("\n    (rh%.rank%.energy%(W[^\n]*)")
T.ok(energy_line ~= nil, "API.md documents rh.rank.energy")
T.eq(H.text(rh.rank.energy), energy_line, "help(rh.rank.energy) is its API.md line")
T.eq(H.text("rh.rank.energy"), energy_line, "by name")
T.ok(help == rh.help, "the host's global help is rh.help")
T.ok(H.text(rh.nn.Linear):find("^nn%.Linear%(in, out%)"), "rh.nn.Linear: API.md writes nn.Linear")
T.ok(H.text(rh.mpi.rank):find("rh.mpi.available() launched() rank()", 1, true), "a compact listing of a table's functions")
T.ok(H.text(rh.rank):find("^rh%.rank: %d+ functions"), "a table lists its functions")
T.ok(H.text(rh.rank):find("rh.rank.energy\n", 1, true), "... each documented one plain")
T.ok(H.text(42):find("^help: not a function or table of rh %(number%)"), "a value that is not rh's")
T.ok(H.text("rh.nope"):find("has no entry in docs/API.md"), "an unknown name")
T.ok(H.text():find("^help%(f%)"), "help() says how to use it")
T.ok(select("#", rh.help(rh.rank.energy)) == 0, "help prints and returns nothing (the prompt would print it twice)")

-- every function of rh and of its modules has a line in docs/API.md
local missing, n = {}, 0
local function scan(t, name)
  for k, v in pairs(t) do
    if type(k) == "string" and not k:match("^_") and type(v) == "function" then
      n = n + 1
      if not H.entry(name .. "." .. k) then missing[#missing + 1] = name .. "." .. k end
    end
  end
end
scan(rh, "rh")
for k, v in pairs(rh) do
  if type(k) == "string" and type(v) == "table" and not k:match("^_") and k ~= "Tensor" then scan(v, "rh." .. k) end
end
table.sort(missing)
T.ok(n > 100, "functions found: " .. n)
T.eq(#missing, 0, "functions without a line in docs/API.md (add one there): " .. table.concat(missing, ", "))

T.done()
