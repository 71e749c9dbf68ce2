-- study.lua - the one driver of every study: a study describes itself as data (its options,
-- the settings it is continued under, its plan, how one run trains, its report) and
-- study.run does the rest, the same way for every study:
--   - the command line (common/options.lua), with the driver's own options added: --out,
--     --resume, --jobs, --progress-every and, unless the study says shards = false, --shard
--     and --merge (docs/cluster.md);
--   - the output folder: one lock (DIR/.lock) that every process writing the folder takes:
--     a one-machine start and --merge exclusively, shards and MPI ranks shared (each then
--     appends to its own results file, common/shard.lua), so that a merge never replaces
--     runs.jsonl under a running study and a shard never runs beside a one-machine start;
--   - config.json, written only while the lock is held and only once the data has loaded:
--     { study = NAME, settings = {KEYS...}, command, options, ... }; a folder of another study
--     is refused naming both, one of the same study with other settings is refused naming
--     each setting (was, now), results without a config.json are refused (their settings
--     are unknown), --resume / --merge of a folder without a study are refused and create
--     nothing;
--   - resume (the runs already in the folder's results files are skipped), local worker
--     processes / shards / MPI ranks (common/sweep.lua), phases (runs of phase p start when
--     every run of the phases before it is done), progress lines and the time left;
--   - timing files (timing*.jsonl: each start's wall time, which reports sum), the merge of
--     every process's results file into runs.jsonl, in plan order (common/results.lua).
--
-- study.run(s), s = {
--   name     = "lowrank_bias",   the study's name: config.json's `study`, the default --out
--                                (results/NAME) and the messages' program (NAME.lua)
--   usage    = "usage: ...",     --help's first lines
--   options  = { ... },          the study's own options (a common/options.lua spec); the
--                                driver's (study.OPTIONS) are added after --help / --config
--   keys     = { "seed", ... },  the settings (option keys) a study is continued only under
--   argv     = { ... },          the command line
--   dirs     = { "history" },    [optional] subfolders the runs write into
--   unit     = "networks",       [optional] what a run is called in messages ("runs")
--   shards   = false,            [optional] no --shard / --merge / MPI (phases that read
--                                each other's records: problem 2)
--   fields   = { "status" },     [optional] fields every record must have (a hand-edited
--                                record without them is refused, naming file and line)
--   check    = function(o) -> nil | message,         [optional] usage errors
--   settle   = function(o, recorded) end,            [optional] settings decided at the first
--                                start and kept (recorded: config.json's table, or nil)
--   config   = function(o) -> table,                 [optional] more fields of config.json
--   plan     = function(o) -> runs,                  each run { id =, cost =, phase = }
--   announce = function(ctx) end,                   [optional] the header lines, once the plan is made
--   prepare  = function(ctx, share) end,             [optional] before training (data: loaded
--                                once, shared by the workers); a raised error is a failure
--   train    = function(run, ctx) -> record,         one run (in a worker process); the
--                                driver adds record.id when it lacks one
--   describe = function(run, ctx) -> text,           [optional] the "run i/n" line
--   summary  = function(record, ctx) -> text,        [optional] the "id -> ..." line
--   report   = function(ctx, records) -> names,      tables, figures, report.md (records in
--                                plan order); returns the names written
-- }
-- ctx = { o = options, out = DIR, plan =, done = records by id (updated after each phase),
--         place = common/shard.lua's placement, say = print with the placement's tag,
--         prog = "NAME.lua", spec = the whole option spec, missing = ids without records,
--         fail = function(msg) (status 1), usage_error = function(msg) (status 2) }
-- Exits 2 on a usage error, 1 on a failure or when runs were lost (crashed workers).
local rh = require "rankhost"
local options = require "common.options"
local results = require "common.results"
local shard = require "common.shard"
local sweep = require "common.sweep"

local M = {}

-- The driver's options, which every study has (by these names, in this order after --help
-- and --config). --out's default is results/NAME.
M.OPTIONS = {
  { name = "out", type = "string", default = "", metavar = "DIR", help = "output folder" },
  { name = "resume", type = "bool", default = false,
    help = "require an existing study in --out and continue it (a restart with the same --out continues anyway)" },
  { name = "jobs", type = "int", default = 0, min = 0,
    help = "runs trained at once in local worker processes, one BLAS thread each (0: one per core)" },
  { name = "progress-every", type = "number", default = 5, min = 0, metavar = "SECONDS",
    help = "a progress line of a run at most this often (0: every epoch)" },
  { name = "require", type = "strings", default = {}, metavar = "MODULE,...",
    help = "Lua modules or .lua files loaded before the options are read (e.g. one registering a rank measure with "
      .. "rh.rank.register: a choice of --measure, columns of the tables; examples/my_measure.lua)" },
}
M.SHARD_OPTIONS = {
  { name = "shard", type = "string", default = "", metavar = "I/K",
    help = "train only shard I of K (plan positions j with (j-1) % K == I-1) into runs.shard-I-of-K.jsonl; "
      .. "default: a Slurm array task's shard, else all (docs/cluster.md)" },
  { name = "merge", type = "bool", default = false,
    help = "train nothing: join the results files of shards and MPI ranks in --out and write the report" },
}

-- The whole option spec of study s: --help, --config, the driver's options, the study's own
-- (a study's own entry of the same name replaces the driver's: a default of its own).
function M.spec(s)
  local own = {}
  for _, opt in ipairs(s.options) do own[opt.name] = opt end
  local spec = {
    own.help or { name = "help", type = "bool", default = false, help = "print this help and exit" },
    own.config or { name = "config", type = "string", default = "", metavar = "FILE.lua",
      help = "Lua file returning a table of these options" },
  }
  local function add(list)
    for _, opt in ipairs(list) do
      local o = own[opt.name] or opt
      if o == opt and opt.name == "out" then
        o = setmetatable({ default = "results/" .. s.name }, { __index = opt })
      end
      spec[#spec + 1] = o
    end
  end
  -- presets first, as --help has always listed them
  for _, opt in ipairs(s.options) do if opt.type == "preset" then spec[#spec + 1] = opt end end
  add(M.OPTIONS)
  if s.shards ~= false then add(M.SHARD_OPTIONS) end
  local taken = {}
  for _, opt in ipairs(spec) do taken[opt.name] = true end
  for _, opt in ipairs(s.options) do if not taken[opt.name] then spec[#spec + 1] = opt end end
  return spec
end

-- The study a config.json table belongs to: its `study`, problem 2's older tag, or nil (a
-- folder written before studies were tagged).
local function owner(t) return t.study or (t.problem == 2 and "problem2") or nil end

-- The lock of folder `out` (see the top of this file). Returns the lock, or nil and a
-- message.
function M.lock(out, shared, prog)
  local path = out .. "/.lock"
  local ok, lock, why = pcall(rh.io.lock, path, { shared = shared })
  if not ok then return nil, tostring(lock) end
  if lock then return lock end
  if shared then
    return nil, string.format("%s is being written by a one-machine start or a --merge of this study (it holds %s): "
      .. "a shard cannot run beside it; wait for it to finish, or use another --out", out, path)
  end
  return nil, string.format("another process is writing %s (a start, a shard or a --merge holds %s): wait for it "
    .. "to finish before %s, or use another --out", out, path, prog)
end

-- Removes what local workers of an earlier start left in `dir` (their result files: a
-- start killed while its workers ran), and in its subfolders when `deep`. Only a process
-- that owns `dir` (its own workers' folder; all of .workers under the exclusive lock) calls
-- this.
local function clean_workers(dir, deep)
  if rh.io.exists(dir) ~= "directory" then return end
  for _, name in ipairs(rh.io.listdir(dir)) do
    local path = dir .. "/" .. name
    if name:match("^result%-%d+%.json") then
      os.remove(path)
    elseif deep and rh.io.exists(path) == "directory" then
      clean_workers(path, false)
    end
  end
end

-- Settings recorded under an option's old name or an old value (common/options.lua's
-- aliases, value_aliases) under today's, so that a study started before a rename continues.
local function modernise(spec, t)
  if type(t) ~= "table" then return end
  for _, opt in ipairs(spec) do
    local k = opt.name:gsub("-", "_")
    for _, a in ipairs(opt.aliases or {}) do
      local ak = a:gsub("-", "_")
      if t[k] == nil and t[ak] ~= nil then t[k], t[ak] = t[ak], nil end
    end
    if opt.value_aliases and type(t[k]) == "string" and opt.value_aliases[t[k]] then t[k] = opt.value_aliases[t[k]] end
  end
end

-- Appends this process's wall time to its timing file (timing*.jsonl, beside its results
-- file), with the number of runs it trained at once (0: none, as in a merge).
local function write_timing(ctx, t_start, workers_used, merge)
  local okt, err = pcall(function()
    local w = rh.log.jsonl(ctx.out .. "/" .. ctx.place.file:gsub("^runs", "timing"), { append = true })
    w:write { started = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() - math.floor(rh.clock() - t_start)),
      wall_s = rh.clock() - t_start, jobs = workers_used, cores = sweep.cores(), merge = merge or nil,
      label = ctx.place.label ~= "" and ctx.place.label or nil }
    w:close()
  end)
  if not okt then io.stderr:write(ctx.prog, ": warning: the timing file was not written: ", tostring(err), "\n") end
end

-- The first line of an error (a worker's error comes with its traceback).
local function first_part(err) return (tostring(err):gsub("\nstack traceback:.*$", "")) end

-- Loads --require's modules (a name for require, or a path ending in .lua), each once. The
-- command line's are loaded before its options are parsed, so that what they register (a
-- rank measure) is a valid choice there; a config file's, after.
local required = {}
local function load_required(list, usage_error)
  for _, name in ipairs(list) do
    if name ~= "" and not required[name] then
      required[name] = true
      local ok, err = pcall(function()
        if name:match("%.lua$") then dofile(name) else require(name) end
      end)
      if not ok then usage_error(string.format("--require %s: %s", name, tostring(err))) end
    end
  end
end
local function argv_required(argv)
  local list = {}
  for i, a in ipairs(argv) do
    local v = a:match("^%-%-require=(.*)$") or (a == "--require" and argv[i + 1]) or nil
    if v then for part in (v .. ","):gmatch("([^,]*),") do list[#list + 1] = part end end
  end
  return list
end

-- "48 real, 18 wd0, ..." : how many runs of the plan are of each kind, in the order of
-- `kinds` (a kind with no run left out), for a study's announce line.
function M.kind_counts(plan, kinds)
  local counts, parts = {}, {}
  for _, r in ipairs(plan) do counts[r.kind] = (counts[r.kind] or 0) + 1 end
  for _, k in ipairs(kinds) do if counts[k] then parts[#parts + 1] = counts[k] .. " " .. k end end
  return table.concat(parts, ", ")
end

function M.run(s)
  local t_start = rh.clock()
  local prog = s.name .. ".lua"
  local spec = M.spec(s)
  local usage_error, fail = options.exits(prog)
  load_required(argv_required(s.argv or {}), usage_error)
  local o = options.parse_or_exit(spec, s.argv or {}, s.usage or ("usage: rankhost " .. prog .. " [options]"), prog)
  load_required(o.require or {}, usage_error)
  o.shard, o.merge = o.shard or "", o.merge or false
  if s.check then
    local bad = s.check(o)
    if bad then usage_error(bad) end
  end

  -- ---- this process's place: one machine, a shard, an MPI rank (common/shard.lua) ----
  if o.merge and (o.shard ~= "" or rh.mpi.launched()) then
    usage_error("--merge: run it once, not as a shard or under mpirun")
  end
  local place, place_err = { file = "runs.jsonl", label = "" }, nil
  if s.shards ~= false and not o.merge then place, place_err = shard.placement(o.shard, rh.mpi) end
  if not place then usage_error(place_err) end
  local tag = place.label ~= "" and "[" .. place.label .. "] " or ""
  local out = o.out
  local ctx = { o = o, out = out, place = place, prog = prog, spec = spec, fail = fail, usage_error = usage_error,
    say = function(line) print(tag .. line) end }

  -- ---- the folder and its lock ----
  local config_path = out .. "/config.json"
  if (o.resume or o.merge) and rh.io.exists(config_path) ~= "file" then
    usage_error(string.format("%s: no study to %s in %s (%s)", o.merge and "--merge" or "--resume",
      o.merge and "merge" or "continue", out, rh.io.exists(out) and "no config.json" or "no such folder"))
  end
  local okdir, direrr = pcall(rh.io.mkdir_p, out)
  if not okdir then
    fail("cannot create the output folder " .. out .. ": " .. tostring(direrr):gsub("^[^(]*%((.*)%)$", "%1"))
  end
  local shared = (place.shard or place.mpi) and true or false
  local lock, lock_err = M.lock(out, shared, o.merge and "--merge" or "starting again")
  if not lock then fail(lock_err) end
  -- shards share the folder lock; they check and write config.json one at a time
  local config_lock = shared and rh.io.lock(out .. "/.config.lock", { wait = true }) or nil

  -- ---- config.json: whose folder, which settings ----
  local recorded, not_ours = results.recorded_config(config_path)
  if not_ours then
    fail(config_path .. " is not a " .. s.name .. " study's settings (" .. not_ours .. "); is " .. out .. " another program's folder?")
  end
  if recorded and owner(recorded) and owner(recorded) ~= s.name then
    fail(string.format("%s belongs to the study %s (its config.json says so), not to %s; use another --out", out,
      owner(recorded), s.name))
  end
  if recorded then
    modernise(spec, recorded.settings)
    modernise(spec, recorded.options)
    -- --merge joins the study the shards recorded: their settings, the command line's analysis options
    if o.merge then results.adopt_options(o, recorded.options) end
  else
    -- results without their settings: never adopted under whatever settings this start has
    local okr, by_id = pcall(results.read, out)
    if not okr or next(by_id) ~= nil then
      fail(string.format("%s holds results (%s) but no config.json: the settings they were trained under are "
        .. "unknown; restore its config.json, or use another --out", out, results.files(out)[1]))
    end
  end
  if s.settle then s.settle(o, recorded) end
  if recorded then
    local missing = results.missing_message(recorded, o, s.keys, out, spec)
    if missing then usage_error(missing) end
    local changed = results.changed_message(recorded, o, s.keys, out, "study")
    if changed then usage_error(changed) end
  end
  o.jobs = sweep.jobs(o.jobs, place)

  -- ---- the plan and what is done ----
  local okp, plan = pcall(s.plan, o)
  if not okp then usage_error(first_part(plan)) end
  ctx.plan = plan
  if s.announce then s.announce(ctx) end
  local function read_done()
    local by_id, counts, dups = results.read(out, s.fields)
    return by_id, counts, dups
  end
  local okr, done = pcall(read_done)
  if not okr then fail(first_part(done) .. " (finished runs are read from it; fix or move the file)") end
  ctx.done = done

  local finished = 0
  for _, r in ipairs(plan) do if done[r.id] then finished = finished + 1 end end
  local lost_runs, workers_used = 0, 0
  if not o.merge then
    -- the data, before anything is written: a bad --data-dir leaves no config.json behind
    if s.prepare then
      local okt, terr = pcall(s.prepare, ctx, shard.share(place, plan, done))
      if not okt then fail(first_part(terr)) end
    end
    for _, d in ipairs(s.dirs or {}) do
      local ok, err = pcall(rh.io.mkdir_p, out .. "/" .. d)
      if not ok then fail("cannot create " .. out .. "/" .. d .. ": " .. tostring(err)) end
    end
    -- this process's results file, opened (and a torn last line cut) before config.json is written
    local okw, writer = pcall(sweep.open, place, out)
    if not okw then fail(tostring(writer)) end
    writer:close()
    local settings = {}
    for _, k in ipairs(s.keys) do settings[k] = o[k] end
    local config = s.config and s.config(o) or {}
    config.study, config.settings = s.name, settings
    config.command, config.options = options.describe(spec, o), results.recordable_options(o)
    rh.io.write_atomic(config_path, rh.json.encode(config) .. "\n")
    if config_lock then config_lock:release() end
    if finished > 0 then print(string.format("%scontinuing: %d of %d %s already finished", tag, finished, #plan, s.unit or "runs")) end

    -- ---- training, phase by phase ----
    local workers_dir = out .. "/.workers/" .. place.file:gsub("%.jsonl$", "")
    if shared then clean_workers(workers_dir) else clean_workers(out .. "/.workers", true) end
    local phases, seen = {}, {}
    for _, r in ipairs(plan) do
      local p = r.phase or 1
      if not seen[p] then seen[p] = true; phases[#phases + 1] = p end
    end
    table.sort(phases)
    local okt, terr = pcall(function()
      for _, p in ipairs(phases) do
        local runs = {}
        for _, r in ipairs(plan) do if (r.phase or 1) == p then runs[#runs + 1] = r end end
        local _, lost, used = sweep.run { place = place, plan = runs, done = ctx.done, out = out, jobs = o.jobs,
          workers_dir = workers_dir,
          describe = s.describe and function(run) return s.describe(run, ctx) end,
          summary = s.summary and function(rec) return s.summary(rec, ctx) end,
          train = function(run)
            local rec = s.train(run, ctx)
            if type(rec) == "table" and rec.id == nil then rec.id = run.id end
            return rec
          end }
        workers_used = math.max(workers_used, used)
        for _, e in ipairs(lost) do
          lost_runs = lost_runs + 1
          ctx.say(string.format("  %s was lost; the next start trains it again", e[1].run.id))
        end
        ctx.done = read_done()
        if lost_runs > 0 and p ~= phases[#phases] then
          error(string.format("%d runs were lost (their workers crashed); start again to train them", lost_runs), 0)
        end
      end
    end)
    if not okt then fail(first_part(terr)) end
    if lost_runs > 0 then
      io.stderr:write(string.format("%s: %d runs were lost (their workers crashed); start again to train them\n",
        prog, lost_runs))
    end
  elseif config_lock then
    config_lock:release()
  end

  -- ---- a shard, or an MPI rank other than 0, stops here; rank 0 waits for the others ----
  if place.mpi then rh.mpi.barrier() end
  if place.shard or (place.mpi and place.mpi[1] ~= 0) then
    write_timing(ctx, t_start, workers_used)
    print(string.format("%sdone; results in %s; %s", tag, out .. "/" .. place.file, place.shard
      and "when every shard is done, join them with: rankhost " .. (arg and arg[0] or prog) .. " --merge --out " .. out
      or "rank 0 writes the merged results"))
    lock:release()
    if lost_runs > 0 then os.exit(1) end
    return
  end

  -- ---- the report (from every results file in --out, in plan order) ----
  local okr2, by_id, file_counts, dups = pcall(read_done)
  if not okr2 then fail(first_part(by_id)) end
  local records, missing = results.ordered(plan, by_id)
  ctx.done, ctx.missing = by_id, missing
  if #file_counts > 1 or o.merge then
    for _, c in ipairs(file_counts) do print(string.format("merge: %d runs in %s", c[2], c[1])) end
    if #dups > 0 then
      print(string.format("merge: %d runs found twice (first copy kept): %s", #dups, table.concat(dups, " ")))
    end
    rh.io.write_atomic(out .. "/runs.jsonl", results.joined_text(plan, by_id))
  end
  if #missing > 0 then
    io.stderr:write(string.format("%s: warning: %d of %d planned %s have no results yet: %s\n", prog, #missing,
      #plan, s.unit or "runs", table.concat(missing, " ")))
  end
  -- this start's wall time, written just before the report (so that the report counts it)
  write_timing(ctx, t_start, workers_used, o.merge)
  local okw, written = pcall(s.report, ctx, records)
  if not okw then fail("writing the report: " .. first_part(written)) end
  print("wrote " .. table.concat(written or {}, ", "))
  lock:release()
  if lost_runs > 0 then os.exit(1) end
  return ctx
end

return M
