-- shard.lua - which runs of a sweep this process trains, and into which file it writes them:
-- all of them (one machine), a static share (--shard I/K, or a Slurm job array's task), or
-- runs handed out one at a time by a shared MPI counter (mpirun -np K), or both (srun under
-- an array task: the ranks share the task's share).
--
-- Share of shard I of K (1-based): the runs at plan positions j with (j - 1) % K == I - 1.
-- Plan positions, not run ids' numbers, so that teacher runs are spread too; the plan is a
-- function of the settings only (p1_space.plan), so every shard computes the same one.
--
-- Every process appends to its own results file, so that no two processes ever append to
-- one file (a shared folder on NFS/Lustre gives no atomic appends across machines):
--   runs.jsonl                                 one machine, unsharded
--   runs.shard-I-of-K.jsonl                    shard I of K
--   runs.rank-R-of-N.jsonl                     MPI rank R (0-based, as MPI counts) of N
--   runs.shard-I-of-K.rank-R-of-N.jsonl        both
-- merge.lua reads all of them back (the union, by run id).
local M = {}

-- Parses "I/K" (1 <= I <= K). Returns I, K, or nil and a message.
function M.parse(text)
  local i, k = tostring(text):match("^%s*(%d+)%s*/%s*(%d+)%s*$")
  i, k = tonumber(i), tonumber(k)
  if not i then return nil, string.format("--shard %s: expected I/K, e.g. 2/8", text) end
  if k < 1 or i < 1 or i > k then
    return nil, string.format("--shard %s: need 1 <= I <= K", text)
  end
  return i, k
end

local function env_int(env, name)
  local v = env(name)
  if v == nil or v == "" then return nil end
  local n = tonumber(v)
  if not n or n ~= math.floor(n) then return nil, string.format("%s=%s is not an integer", name, v) end
  return math.tointeger(n)
end

-- Shard I/K of a Slurm job array task, from the environment (env: a getenv function,
-- os.getenv by default). Slurm numbers array tasks by the ids given to --array, which may
-- start at 0 (--array=0-7) or 1 (--array=1-8) or step (--array=0-14:2): I is the task's
-- place in that range, (ID - MIN) / STEP + 1, and K is SLURM_ARRAY_TASK_COUNT. The range
-- must be regular (MIN-MAX[:STEP]); a list like --array=1,4,9 is refused, since its tasks
-- could not tell their places apart. Returns nil when not in an array job; I, K; or nil
-- and a message.
function M.from_slurm(env)
  env = env or os.getenv
  local id, e1 = env_int(env, "SLURM_ARRAY_TASK_ID")
  if e1 then return nil, e1 end
  if not id then return nil end
  local count, e2 = env_int(env, "SLURM_ARRAY_TASK_COUNT")
  local min, e3 = env_int(env, "SLURM_ARRAY_TASK_MIN")
  local max, e4 = env_int(env, "SLURM_ARRAY_TASK_MAX")
  local step, e5 = env_int(env, "SLURM_ARRAY_TASK_STEP")
  local err = e2 or e3 or e4 or e5
  if err then return nil, err end
  if not count then return nil, "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not" end
  if not min then
    -- Slurm always sets MIN for array jobs; by hand, ids 1..COUNT are taken as 1-based
    if id == 0 then
      return nil, "SLURM_ARRAY_TASK_ID=0 without SLURM_ARRAY_TASK_MIN: set SLURM_ARRAY_TASK_MIN=0"
    end
    min = 1
  end
  step = step or 1
  if step < 1 then return nil, string.format("SLURM_ARRAY_TASK_STEP=%d: must be >= 1", step) end
  if max and (max - min) // step + 1 ~= count then
    return nil, string.format("the job array is not a regular range (ids %d..%d step %d, but %d tasks): "
      .. "use --array=MIN-MAX[:STEP]", min, max, step, count)
  end
  if (id - min) % step ~= 0 or id < min then
    return nil, string.format("SLURM_ARRAY_TASK_ID=%d is not in the array %d..:%d", id, min, step)
  end
  local i = (id - min) // step + 1
  if i > count then
    return nil, string.format("SLURM_ARRAY_TASK_ID=%d is task %d of only %d (SLURM_ARRAY_TASK_MIN=%d)", id, i,
      count, min)
  end
  return i, count
end

-- Whether plan position j (1-based) belongs to shard i of k.
function M.owns(i, k, j) return (j - 1) % k == i - 1 end

-- The results file name (in the output folder) of a process: see the top of this file.
function M.file_name(shard_i, shard_k, rank, size)
  local parts = { "runs" }
  if shard_i then parts[#parts + 1] = string.format("shard-%d-of-%d", shard_i, shard_k) end
  if rank then parts[#parts + 1] = string.format("rank-%d-of-%d", rank, size) end
  return table.concat(parts, ".") .. ".jsonl"
end

-- Whether a file name in the output folder is a results file of some process.
function M.is_results_file(name)
  return name == "runs.jsonl" or (name:match("^runs%.[%w%.%-]+%.jsonl$") ~= nil)
end

-- Whether a launcher started several copies of this process (mpirun, srun -n N): returns
-- the count and the variable that says so, or nil.
local function copies(env)
  for _, v in ipairs { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS" } do
    local n = tonumber(env(v) or "")
    if n and n > 1 then return n, v end
  end
end

-- This process's place in a sweep:
--   { shard = {i, k} or nil, mpi = {rank, size} or nil, file = results file name,
--     label = "shard 2/4, rank 0/2" or "" }
-- shard_text: the --shard value ("" = none: then a Slurm array task's shard, if any).
-- mpi: rh.mpi (or nil); MPI is used when the process was started by mpirun/srun.
-- Returns the placement, or nil and a message for a usage error.
function M.placement(shard_text, mpi, env)
  local p = {}
  local i, k
  if shard_text ~= nil and shard_text ~= "" then
    i, k = M.parse(shard_text)
    if not i then return nil, k end
  else
    i, k = M.from_slurm(env)
    if not i and k then return nil, "Slurm job array: " .. k end
  end
  if i then p.shard = { i, k } end
  if mpi and mpi.available() and mpi.launched() then p.mpi = { mpi.rank(), mpi.size() } end
  -- copies that are not MPI ranks would all train the same runs into the same file
  local n, var = copies(env or os.getenv)
  if n and not p.mpi then
    return nil, string.format("%d copies of this process were started (%s=%d) but not as MPI ranks (%s); "
      .. "use mpirun or srun --mpi=pmix with an MPI build, or a job array / --shard", n, var, n,
      (mpi and mpi.available()) and "MPI was not initialised by the launcher" or "rankhost was built without MPI")
  end
  p.file = M.file_name(i, k, p.mpi and p.mpi[1], p.mpi and p.mpi[2])
  local label = {}
  if p.shard then label[#label + 1] = string.format("shard %d/%d", i, k) end
  if p.mpi then label[#label + 1] = string.format("rank %d/%d", p.mpi[1], p.mpi[2]) end
  p.label = table.concat(label, ", ")
  return p
end

-- The runs this process may train: the plan positions in its shard whose ids are not done.
-- Returns the list of { run = plan entry, position = j }.
function M.share(p, plan, done)
  local out = {}
  for j, run in ipairs(plan) do
    if (not p.shard or M.owns(p.shard[1], p.shard[2], j)) and not done[run.id] then
      out[#out + 1] = { run = run, position = j }
    end
  end
  return out
end

-- An iterator over the entries of `share` this process trains: all of them in order, or
-- under MPI the ones the shared counter hands it (counter_reset is collective: every rank
-- must call next_runs once, with the same share). Yields (entry, k) where k counts this
-- process's runs. Under MPI every rank must have computed the same share: ranks read the
-- finished runs before this call, and counter_reset's barrier keeps them from writing any
-- new ones until every rank has.
function M.next_runs(p, share, mpi)
  local k = 0
  if not p.mpi then
    return function()
      k = k + 1
      if share[k] then return share[k], k end
    end
  end
  mpi.counter_reset()
  return function()
    local j = mpi.counter_next()
    if j > #share then return nil end
    k = k + 1
    return share[j], k
  end
end

return M
