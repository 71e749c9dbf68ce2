-- sweep.lua - running a plan of independent runs into a results folder: what is already
-- done is skipped (a restart continues), the rest is trained longest first, in this process,
-- in local worker processes (--jobs), in a shard of a job array, or handed out one at a time
-- to MPI ranks; each finished run is one JSON line appended whole to this process's results
-- file (common/shard.lua names it), so a kill at any moment loses at most the runs in
-- flight.
--
-- A run is a table with at least `id`; `cost` (any positive number, default 1) orders the
-- work: the costliest first, so that the last runs to finish are short ones and the cores
-- do not sit idle at the end waiting for a long run started last.
local rh = require "rankhost"
local shard = require "common.shard"
local workers = require "common.workers"

local M = {}

-- The share of `plan` this process trains (common/shard.lua), costliest first; ties keep
-- plan order. Entries are { run =, position = }.
function M.pending(place, plan, done)
  local share = shard.share(place, plan, done)
  table.sort(share, function(a, b)
    local ca, cb = a.run.cost or 1, b.run.cost or 1
    if ca ~= cb then return ca > cb end
    return a.position < b.position
  end)
  return share
end

-- Opens this process's results file for appending (cutting a torn last line, and saying
-- so). Raises "cannot append to PATH: why" when it cannot (a folder, another writer).
function M.open(place, out, say)
  local path = out .. "/" .. place.file
  local ok, writer = pcall(rh.log.jsonl, path, { append = true })
  if not ok then
    error("cannot append to " .. path .. ": " .. (tostring(writer):match("%((.*)%)$") or tostring(writer)), 0)
  end
  if writer.cut and writer.cut > 0 then
    local tag = place.label ~= "" and "[" .. place.label .. "] " or ""
    ;(say or print)(string.format("%s%s: cut an incomplete last line of %d bytes", tag, place.file, writer.cut))
  end
  if writer.completed then
    local tag = place.label ~= "" and "[" .. place.label .. "] " or ""
    ;(say or print)(string.format("%s%s: its last record lacked its newline; kept, newline added", tag, place.file))
  end
  return writer
end

-- The number of runs a process trains at once, from --jobs (0: one per core): 1 under MPI
-- (a rank is one worker; the ranks share the runs out) and on a device other than the CPU
-- (the runs share one device in one process).
function M.jobs(jobs, place)
  if (place and place.mpi) or rh.device() ~= "cpu" then return 1 end
  if jobs == 0 then return M.cores() end
  return jobs
end

-- sweep.run{place=, plan=, done=, out=, jobs= (--jobs), writer= (from sweep.open),
--           workers_dir= (the local workers' folder, out/.workers by default),
--           train=function(run) -> record, describe=function(run) -> text, say=function(line),
--           summary=function(record) -> text}
-- Trains the pending runs and appends each record to out/place.file. Returns the number
-- trained, the list of lost runs ({entry, why}: a worker that crashed) and the number of
-- runs it trained at once (sweep.jobs, at most the runs pending; 0 when none was).
function M.run(o)
  local place, out = o.place, o.out
  local pending = M.pending(place, o.plan, o.done)
  local say = o.say or print
  local tag = place.label ~= "" and "[" .. place.label .. "] " or ""
  local writer = o.writer or M.open(place, out, say)
  local total_cost, done_cost = 0, 0
  for _, e in ipairs(pending) do total_cost = total_cost + (e.run.cost or 1) end
  local t0, trained, nplan = rh.clock(), 0, #o.plan
  local function eta()
    if done_cost <= 0 then return "" end
    local left = (rh.clock() - t0) / done_cost * (total_cost - done_cost)
    return string.format("  (about %s left)", rh.train.format_time(left))
  end
  local function finished(entry, record)
    writer:write(record)
    trained = trained + 1
    done_cost = done_cost + (entry.run.cost or 1)
    say(string.format("%s  %s -> %s%s", tag, entry.run.id, o.summary and o.summary(record) or "done", eta()))
  end
  local function started(entry, slot)
    say(string.format("%srun %d/%d %s %s%s", tag, entry.position, nplan, entry.run.id,
      o.describe and o.describe(entry.run) or "", slot and string.format(" (worker %d)", slot) or ""))
  end

  local lost = {}
  local jobs = M.jobs(o.jobs or 1, place)
  if place.mpi or jobs <= 1 or #pending <= 1 then
    for entry in shard.next_runs(place, pending, rh.mpi) do
      started(entry)
      finished(entry, o.train(entry.run))
    end
  else
    local _
    _, lost = workers.map {
      items = pending, jobs = math.min(jobs, #pending), dir = o.workers_dir or (out .. "/.workers"),
      work = function(entry) return o.train(entry.run) end,
      started = started, done = finished,
      lost = function(entry, why)
        say(string.format("%s  %s was lost: %s; the next start of this sweep trains it again", tag, entry.run.id,
          why))
      end,
    }
  end
  writer:close()
  return trained, lost, math.min(jobs, #pending)
end

-- The default number of local workers: the cores this process may use.
M.cores = workers.cores

return M
