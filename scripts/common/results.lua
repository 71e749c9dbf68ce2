-- results.lua - reading a sweep's results back from every process that wrote into its output
-- folder (runs.jsonl, runs.shard-I-of-K.jsonl, runs.rank-R-of-N.jsonl: see common/shard.lua),
-- and joining them into one list in the plan's order.
--
-- Order is the plan's (run id order), never the order in which runs finished, so a sweep
-- split over machines and joined gives the same tables as the same sweep on one machine.
-- A run found in more than one file (a shard re-trained a run that another process had
-- finished, e.g. after a resume with another split) is taken from the first file in the
-- order runs.jsonl, then the others by name; training is deterministic, so the copies differ
-- only in their timing fields.
local rh = require "rankhost"
local shard = require "common.shard"

local M = {}

-- Paths of the results files in folder `out`: runs.jsonl first, then the others by name.
function M.files(out)
  local list = {}
  if not rh.io.exists(out) then return list end
  if rh.io.exists(out .. "/runs.jsonl") == "file" then list[1] = out .. "/runs.jsonl" end
  for _, name in ipairs(rh.io.listdir(out)) do
    if name ~= "runs.jsonl" and shard.is_results_file(name) then list[#list + 1] = out .. "/" .. name end
  end
  return list
end

-- The records of one JSON-lines file, each checked: a JSON object with every field of
-- `fields` (a string when the field is `id`). A torn last line (a crash mid-write) is skipped; any other bad
-- line is an error "PATH:LINE: why" (a hand-edited or foreign file).
function M.read_file(path, fields)
  local f, err = io.open(path, "rb")
  if not f then error("cannot read " .. tostring(err), 0) end
  local text = f:read("a")
  f:close()
  local records, lineno, start = {}, 0, 1
  while start <= #text do
    local nl = text:find("\n", start, true)
    local line = text:sub(start, (nl or #text + 1) - 1)
    lineno, start = lineno + 1, (nl or #text) + 1
    if not line:match("^%s*$") then
      local ok, r = pcall(rh.json.decode, line)
      if not ok then
        if not nl then break end -- torn
        error(string.format("%s:%d: not a JSON line (%s)", path, lineno, tostring(r):match("%((.*)%)$") or tostring(r)), 0)
      end
      if type(r) ~= "table" or #r > 0 then
        error(string.format("%s:%d: a record must be a JSON object, got %s", path, lineno,
          #line > 40 and line:sub(1, 40) .. "..." or line), 0)
      end
      for _, k in ipairs(fields or {}) do
        if r[k] == nil or (k == "id" and type(r.id) ~= "string") then
          error(string.format("%s:%d: the record%s has no %s%s (hand-edited? a finished run's record has it)", path,
            lineno, type(r.id) == "string" and " " .. r.id or "", k, k == "id" and " (a string)" or ""), 0)
        end
      end
      records[#records + 1] = r
    end
  end
  return records
end

-- Every finished run in `out`: by_id (id -> record), the number of records per file
-- ({path, count} in file order) and the ids trained by more than one process (a copy in
-- runs.jsonl of a run in a process's file is a merge's doing, not a second training).
-- fields: what every record must hold (M.read_file).
function M.read(out, fields)
  local by_id, counts, dups, from = {}, {}, {}, {}
  for _, path in ipairs(M.files(out)) do
    local need = { "id" }
    for _, k in ipairs(fields or {}) do need[#need + 1] = k end
    local records = M.read_file(path, need)
    counts[#counts + 1] = { path, #records }
    local joined = path:match("/runs%.jsonl$") ~= nil
    for _, r in ipairs(records) do
      if not by_id[r.id] then
        by_id[r.id], from[r.id] = r, joined and "joined" or path
      elseif from[r.id] == "joined" then
        from[r.id] = path
      else
        dups[#dups + 1] = r.id
      end
    end
  end
  return by_id, counts, dups
end

-- The plan's runs that have a record, in plan order, and the ids of those that have none.
function M.ordered(plan, by_id)
  local results, missing = {}, {}
  for _, run in ipairs(plan) do
    if by_id[run.id] then results[#results + 1] = by_id[run.id] else missing[#missing + 1] = run.id end
  end
  return results, missing
end

-- Text of the joined results file: the plan's runs in plan order, then any other runs found
-- (from a larger --n, say) by id, one JSON line each.
function M.joined_text(plan, by_id)
  local lines, seen = {}, {}
  for _, run in ipairs(plan) do
    local r = by_id[run.id]
    if r then lines[#lines + 1] = rh.json.encode(r); seen[run.id] = true end
  end
  local extra = {}
  for id in pairs(by_id) do if not seen[id] then extra[#extra + 1] = id end end
  table.sort(extra)
  for _, id in ipairs(extra) do lines[#lines + 1] = rh.json.encode(by_id[id]) end
  return #lines > 0 and table.concat(lines, "\n") .. "\n" or ""
end

-- Options that say where and how this process runs, not what the sweep is: never recorded
-- nor adopted. ANALYSIS: options a merge takes from its own command line.
M.PROCESS = { out = true, resume = true, shard = true, merge = true, help = true, config = true, jobs = true,
  progress_every = true }
local ANALYSIS = { measure = true, class_tol = true, class_figure = true }

-- The sweep's options as config.json records them (so that --merge needs only --out).
function M.recordable_options(o)
  local rec = {}
  for k, v in pairs(o) do if not M.PROCESS[k] and type(k) == "string" and k:sub(1, 1) ~= "_" then rec[k] = v end end
  return rec
end

-- Replaces o's sweep options by the recorded ones (from config.json; nil: a sweep written
-- before options were recorded, whose merge must repeat its options on the command line),
-- except analysis options given on the merge's command line (o._given, from options.parse).
function M.adopt_options(o, recorded)
  if type(recorded) ~= "table" then return end
  local given = o._given or {}
  for k, v in pairs(recorded) do
    if not M.PROCESS[k] and not (ANALYSIS[k] and given[k]) then o[k] = v end
  end
end

-- The settings an earlier start of a study recorded in `path` (its config.json): the decoded
-- table; nil when there is no such file; nil and why when the file is not a study's (not
-- JSON, no `settings` table, or refused by ours(t), a test of the study's own mark).
function M.recorded_config(path, ours)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a") or ""
  f:close()
  local ok, t = pcall(rh.json.decode, text)
  if not ok then return nil, tostring(t) end
  if type(t) ~= "table" or type(t.settings) ~= "table" or (ours and not ours(t)) then return nil, "no settings" end
  return t
end

-- The settings `keys` of the options o that differ from those recorded (compared as JSON
-- text, which is how they were recorded): a list of { key =, was =, now = } (the values).
function M.changed_settings(recorded, o, keys)
  local out = {}
  for _, k in ipairs(keys) do
    local was, now = recorded.settings[k], o[k]
    if rh.json.encode({ was }) ~= rh.json.encode({ now }) then out[#out + 1] = { key = k, was = was, now = now } end
  end
  return out
end

-- The refusal of a start in a folder whose config.json lacks settings `keys` that this version
-- records (a folder written before those options existed: its runs were trained without them,
-- so no command line of today's matches them): "OUT/config.json was written by an older
-- rankhost: it has no --key, ...", or nil when none is missing. Only keys whose option in
-- `spec` has a default count: one without a default is left out of config.json while unset.
function M.missing_message(recorded, o, keys, out, spec)
  local has_default = {}
  for _, e in ipairs(spec) do if e.default ~= nil then has_default[(e.name:gsub("-", "_"))] = true end end
  local missing = {}
  for _, k in ipairs(keys) do
    if recorded.settings[k] == nil and has_default[k] then missing[#missing + 1] = "--" .. k:gsub("_", "-") end
  end
  if #missing == 0 then return nil end
  return string.format("%s/config.json was written by an older rankhost: it has no %s (settings added since; its "
    .. "runs were trained without them), so this version cannot continue it; use another --out", out,
    table.concat(missing, ", "))
end

-- The refusal of a start whose settings `keys` differ from those recorded in `out` (a
-- study's config.json, as recorded_config read it): "OUT holds a WHAT with other settings:
-- --key (was X, now Y), ...; use the same settings ..." (values as JSON), or nil when
-- every one is the same.
function M.changed_message(recorded, o, keys, out, what)
  local diff = {}
  for _, c in ipairs(M.changed_settings(recorded, o, keys)) do
    diff[#diff + 1] = string.format("--%s (was %s, now %s)", c.key:gsub("_", "-"), rh.json.encode(c.was),
      rh.json.encode(c.now))
  end
  if #diff == 0 then return nil end
  return string.format("%s holds a %s with other settings: %s; use the same settings to continue it, or another --out",
    out, what or "study", table.concat(diff, ", "))
end

-- Fields of a run record, of a history line and of summary.csv that measure time and so
-- differ between two runs of the same computation; everything else is determined by the
-- settings (bit for bit with the same thread count).
M.TIMING = { record = { "wall_time" }, history = { "time" }, summary = { "wall_s" } }

return M
