-- runlog.lua - run-id bookkeeping for sweeps that can be interrupted and resumed.
--
-- A results file is JSON lines, one finished run a line, appended whole (rh.io.appender):
-- a kill leaves either the whole line or none of it; a crash of the machine may still leave
-- a partial last line, which read() skips and appender() cuts off before the next append.
local rh = require "rankhost"

local M = {}

-- The whole content of a file, or nil when it cannot be opened.
function M.slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end
local slurp = M.slurp

-- Reads a JSON-lines file. Returns the decoded records (in file order), the text of the
-- complete lines, and the number of bytes of an incomplete trailing line (0 when none).
-- A missing file reads as empty. A complete line that does not parse is an error: it means
-- the file was edited or is not ours, and guessing would retrain or drop runs silently.
function M.read(path)
  local s = slurp(path)
  if not s then return {}, "", 0 end
  local records, good = {}, 0
  local pos, lineno = 1, 0
  while true do
    local nl = s:find("\n", pos, true)
    if not nl then break end
    lineno = lineno + 1
    local line = s:sub(pos, nl - 1)
    if line:match("%S") then
      local ok, rec = pcall(rh.json.decode, line)
      if not ok or type(rec) ~= "table" then
        error(string.format("%s:%d: not a JSON object (%s)", path, lineno, tostring(rec)), 0)
      end
      records[#records + 1] = rec
    end
    good = nl
    pos = nl + 1
  end
  return records, s:sub(1, good), #s - good
end

-- Opens a JSON-lines file for appending whole records durably: rh.io.appender writes each
-- line with one write(2) and fsyncs it, and first cuts an incomplete trailing line left by a
-- crash. Returns the writer (w:add(record), w:close()) and the number of bytes cut.
function M.appender(path)
  local a, cut = rh.io.appender(path, { append = true })
  local w = {}
  function w:add(record) a:write(rh.json.encode(record) .. "\n") end
  function w:close() a:close() end
  return w, cut
end

-- The set of ids found in records (for "is this run already done?").
function M.ids(records)
  local done = {}
  for _, r in ipairs(records) do if r.id then done[r.id] = r end end
  return done
end

-- A small deterministic generator (splitmix64) so that a run's draws depend only on its
-- seed and index - not on the order runs are trained in, nor on other random streams.
function M.rng(seed, index)
  local state = (seed * 0x9E3779B97F4A7C15 + index * 0xBF58476D1CE4E5B9 + 0x94D049BB133111EB)
  local g = {}
  function g.next()
    state = state + 0x9E3779B97F4A7C15
    local z = state
    z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ~ (z >> 27)) * 0x94D049BB133111EB
    return z ~ (z >> 31)
  end
  -- uniform in [0, 1) from the top 53 bits
  function g.uniform() return (g.next() >> 11) * (1.0 / 9007199254740992.0) end
  -- uniform integer in [lo, hi]
  function g.int(lo, hi) return lo + math.floor(g.uniform() * (hi - lo + 1)) end
  return g
end

return M
