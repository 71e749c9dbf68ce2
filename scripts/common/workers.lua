-- workers.lua - running independent pieces of work in local worker processes, at most
-- `jobs` at a time, one OpenBLAS thread each: the way a sweep of small networks uses every
-- core of one machine (a small network at a small batch runs best on one thread).
--
-- Each piece runs in a child made by rh.proc.fork() just before it starts, so it shares
-- everything the parent loaded (datasets above all) copy-on-write: N workers hold one copy
-- of the data. The child's result (a table) travels back as a JSON file in `dir`, written
-- atomically; the parent is the only process that writes the study's results files. A child
-- that crashes (killed, out of memory) loses only its own piece: the parent says so and goes
-- on, and the piece is simply not done (a sweep redoes it at its next start). A child whose
-- work raised a Lua error reports it, and the parent stops handing out work, waits for the
-- others and raises that error, as a run in the parent's own process would have.
local rh = require "rankhost"

local M = {}

-- The number of cores this process may use (1 when it cannot be read).
function M.cores()
  local f = io.popen("nproc 2>/dev/null")
  local n = f and tonumber(f:read("l") or "")
  if f then f:close() end
  return math.tointeger(n) or 1
end

-- The text of a worker's file, which is then removed (nil when it cannot be read).
local function take(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  os.remove(path)
  return text
end

-- workers.map{items=, jobs=, dir=, work=function(item) -> table,
--             done=function(item, result) [, started=function(item, slot)]
--             [, lost=function(item, why)]}
-- Runs work(item) for each item in order, `jobs` at a time, each in its own child process.
-- done() and lost() run in the parent as children end (in the order they end). Returns the
-- number of items done and the list of lost {item, why}.
function M.map(o)
  local items, jobs, dir = o.items, o.jobs, o.dir
  rh.io.mkdir_p(dir)
  local running, nrunning, next_item = {}, 0, 1
  local ndone, lost, failure = 0, {}, nil
  local function lose(item, why)
    lost[#lost + 1] = { item, why }
    if o.lost then o.lost(item, why) end
  end
  local free = {}
  for s = jobs, 1, -1 do free[#free + 1] = s end

  local function launch(item)
    local slot = table.remove(free)
    if o.started then o.started(item, slot) end
    local pid = rh.proc.fork()
    -- the result file is named by the child's pid: no other worker, of this start or of an
    -- earlier one, writes it
    local path = string.format("%s/result-%d.json", dir, pid == 0 and rh.proc.pid() or pid)
    if pid == 0 then
      -- the child: one BLAS thread, its own line-buffered output, then _exit
      rh.threads(1)
      io.stdout:setvbuf("line")
      local ok, res = xpcall(o.work, debug.traceback, item)
      if ok then
        local wok, werr = pcall(rh.io.write_atomic, path, rh.json.encode(res))
        if wok then rh.proc.exit(0) end
        res = "writing the result: " .. tostring(werr)
      end
      io.stderr:write(tostring(res), "\n")
      rh.io.write_atomic(path .. ".error", tostring(res))
      rh.proc.exit(1)
    end
    running[pid] = { item = item, slot = slot, path = path }
    nrunning = nrunning + 1
  end

  while true do
    while failure == nil and nrunning < jobs and next_item <= #items do
      launch(items[next_item])
      next_item = next_item + 1
    end
    if nrunning == 0 then break end
    local pid, how, code = rh.proc.wait()
    if not pid then error("workers: waiting for a worker: " .. tostring(how), 0) end
    local r = running[pid]
    if r then
      running[pid], nrunning = nil, nrunning - 1
      free[#free + 1] = r.slot
      if how == "exited" and code == 0 then
        local ok, res = pcall(rh.json.decode, take(r.path) or "")
        if ok then
          ndone = ndone + 1
          o.done(r.item, res)
        else
          lose(r.item, "its result file could not be read")
        end
      elseif how == "exited" and code == 1 and rh.io.exists(r.path .. ".error") then
        local msg = take(r.path .. ".error")
        failure = failure or msg or "a worker failed"
      else
        lose(r.item, how == "signaled" and string.format("its worker was killed by signal %d", code)
          or string.format("its worker exited with status %d", code))
      end
    end
  end
  if failure then error(failure, 0) end
  return ndone, lost
end

return M
