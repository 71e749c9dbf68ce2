-- test_results_files.lua - rh.io and rh.log: atomic writes, durable appends, JSON
-- lines and CSV round trips, torn last lines skipped and counted, argument errors.
local T = require "testlib"

local dir = rh.io.mkdtemp("rh-test-log")
local function path(name) return dir .. "/" .. name end
local function slurp(p)
  local f = assert(io.open(p, "rb"))
  local s = f:read("a")
  f:close()
  return s
end
local function spit(p, s, mode)
  local f = assert(io.open(p, mode or "wb"))
  f:write(s)
  f:close()
end

-- ---- rh.io ----
T.eq(rh.io.exists(dir), "directory", "exists: directory")
T.eq(rh.io.exists(path("nope")), false, "exists: missing")
rh.io.write_atomic(path("a.txt"), "hello\n")
T.eq(slurp(path("a.txt")), "hello\n", "write_atomic content")
T.eq(rh.io.exists(path("a.txt")), "file", "exists: file")
rh.io.write_atomic(path("a.txt"), "second")
T.eq(slurp(path("a.txt")), "second", "write_atomic replaces")
rh.io.mkdir_p(path("x/y/z"))
rh.io.mkdir_p(path("x/y/z")) -- twice is fine
T.eq(rh.io.exists(path("x/y/z")), "directory", "mkdir_p nested")
T.raises("not a directory", rh.io.mkdir_p, path("a.txt"))
T.raises("cannot create a temporary file", rh.io.write_atomic, path("missing/dir/f"), "x")
local names = rh.io.listdir(dir)
T.eq(table.concat(names, ","), "a.txt,x", "listdir sorted, no temporaries left")
T.raises("cannot list", rh.io.listdir, path("missing"))

-- ---- JSON lines ----
local w = rh.log.jsonl(path("runs.jsonl"))
w:write { id = 1, loss = 0.5, name = "a,b" }
w:write { id = 2, loss = 0 / 0, ranks = { 3, 2, 1 } }
w:close()
w:close() -- idempotent
T.raises("has been closed", function() w:write { id = 3 } end)
local text = slurp(path("runs.jsonl"))
T.eq(text, '{"id":1,"loss":0.5,"name":"a,b"}\n{"id":2,"loss":null,"ranks":[3,2,1]}\n', "jsonl text")
local rows, torn = rh.log.read_jsonl(path("runs.jsonl"))
T.eq(#rows, 2, "two rows")
T.eq(torn, 0, "nothing torn")
T.eq(rows[2].ranks[1], 3, "nested value read back")

-- a crash in the middle of a write leaves a torn last line: skipped and counted
spit(path("runs.jsonl"), '{"id":3,"lo', "ab")
rows, torn = rh.log.read_jsonl(path("runs.jsonl"))
T.eq(#rows, 2, "torn line skipped")
T.eq(torn, 1, "torn line counted")
-- reopening for append cuts the torn tail, so the next line stands on its own
w = rh.log.jsonl(path("runs.jsonl"), { append = true })
T.eq(w.cut, #'{"id":3,"lo', "bytes cut from the torn tail")
w:write { id = 3 }
w:close()
rows, torn = rh.log.read_jsonl(path("runs.jsonl"))
T.eq(#rows, 3, "append continues the file")
T.eq(rows[3].id, 3, "appended row")
T.eq(torn, 0, "no torn line after append")
-- a complete last record without its newline (an editor, a copy, a write cut just before the
-- newline) is kept and given its newline, not cut; the readers had accepted it all along
spit(path("nonl.jsonl"), '{"id":1}\n{"id":2,"done":true}')
T.eq(#rh.log.read_jsonl(path("nonl.jsonl")), 2, "the reader accepts the last record")
w = rh.log.jsonl(path("nonl.jsonl"), { append = true })
T.eq(w.cut, 0, "a complete last record: nothing cut")
T.eq(w.completed, true, "a complete last record: its newline added")
w:write { id = 3 }
w:close()
T.eq(slurp(path("nonl.jsonl")), '{"id":1}\n{"id":2,"done":true}\n{"id":3}\n', "the last record kept, the next after it")
w = rh.log.jsonl(path("nonl.jsonl"), { append = true })
T.eq(w.completed, false, "a file ending in a newline: nothing to complete")
w:close()
-- a failed write (a full disk: /dev/full) is an error that names the file
if rh.io.exists("/dev/full") then
  local wf = rh.log.jsonl("/dev/full", { append = true })
  T.raises("write: /dev/full: ", wf.write, wf, { id = 1 })
  wf:close()
end
-- rh.io.lock: exclusive by default, shared on request; refused (nil, "held") while another
-- holder's kind conflicts; released by release()
local lk = rh.io.lock(path("lockfile"))
T.ok(lk ~= nil, "lock: granted")
local l2, why = rh.io.lock(path("lockfile"), { shared = true })
T.eq(l2, nil, "lock: a shared lock beside an exclusive one is refused")
T.eq(why, "held", "lock: why")
lk:release()
local s1 = rh.io.lock(path("lockfile"), { shared = true })
local s2 = rh.io.lock(path("lockfile"), { shared = true })
T.ok(s1 and s2, "lock: two shared locks at once")
T.eq(rh.io.lock(path("lockfile")), nil, "lock: an exclusive lock beside shared ones is refused")
s1:release(); s2:release()
T.ok(rh.io.lock(path("lockfile")) ~= nil, "lock: exclusive again once they are released")
-- a bad line in the middle is an error naming the file and line
spit(path("bad.jsonl"), '{"a":1}\n{"a":\n{"a":3}\n')
T.raises("bad.jsonl:2:", rh.log.read_jsonl, path("bad.jsonl"))
-- append=false starts over
w = rh.log.jsonl(path("runs.jsonl"))
w:close()
T.eq(slurp(path("runs.jsonl")), "", "append=false empties the file")
T.raises("is a directory", rh.log.jsonl, dir)
T.raises("cannot open for writing", rh.log.jsonl, path("missing/dir/x.jsonl"))
T.raises("table expected", function() local x = rh.log.jsonl(path("t.jsonl")); x:write(3) end)
T.raises("cannot open", rh.log.read_jsonl, path("missing.jsonl"))
do -- a to-be-closed writer closes at the end of its scope
  local tw <close> = rh.log.jsonl(path("tbc.jsonl"))
  tw:write { ok = true }
end
T.eq(slurp(path("tbc.jsonl")), '{"ok":true}\n', "to-be-closed writer")

-- ---- CSV ----
local c = rh.log.csv(path("s.csv"), { "id", "name", "loss", "ok" })
c:write { id = 1, name = 'he said "hi", twice', loss = 0.25, ok = true }
c:write { id = 2, name = "two\nlines", loss = 0 / 0 }
c:write { id = 3, loss = 1 / 3 }
c:close()
T.eq(slurp(path("s.csv")),
  'id,name,loss,ok\n1,"he said ""hi"", twice",0.25,true\n2,"two\nlines",nan,\n3,,0.3333333333333333,\n',
  "RFC 4180 quoting")
local crows, cols, ctorn = rh.log.read_csv(path("s.csv"))
T.eq(#crows, 3, "csv rows")
T.eq(table.concat(cols, ","), "id,name,loss,ok", "csv columns")
T.eq(ctorn, 0, "csv nothing torn")
T.eq(crows[1].name, 'he said "hi", twice', "quoted field read back")
T.eq(crows[2].name, "two\nlines", "newline inside quotes")
T.ok(crows[2].loss ~= crows[2].loss, "nan read back")
T.eq(crows[3].loss, 1 / 3, "full precision")
T.eq(math.type(crows[1].id), "integer", "integers read back as integers")
T.eq(crows[1].ok, true, "boolean")
T.eq(crows[3].name, nil, "empty field is nil")
T.raises("unknown column 'acc'", function() local x = rh.log.csv(path("u.csv"), { "id" }); x:write { acc = 1 } end)
T.raises("only numbers, strings and booleans", function() local x = rh.log.csv(path("u.csv"), { "id" }); x:write { id = {} } end)
T.raises("non-empty list of column names", rh.log.csv, path("u.csv"), {})
-- one writer per file: a second writer of a file still open elsewhere is refused (two sweeps
-- on one --out would interleave lines); a dropped, unclosed writer does not block
do
  local held = rh.log.jsonl(path("held.jsonl"))
  T.raises("another process is writing this file", function() return rh.log.jsonl(path("held.jsonl"), { append = true }) end)
  held:close()
  local again = rh.log.jsonl(path("held.jsonl"), { append = true })
  again = nil -- dropped without close
  T.ok(pcall(rh.log.jsonl, path("held.jsonl"), { append = true }), "a dropped writer's lock is collected")
end
T.raises("appears twice", rh.log.csv, path("u.csv"), { "a", "a" })
-- append: same header required; a torn row is cut
spit(path("s.csv"), '4,"unfinished', "ab")
local _, _, t2 = rh.log.read_csv(path("s.csv"))
T.eq(t2, 1, "torn csv row counted")
c = rh.log.csv(path("s.csv"), { "id", "name", "loss", "ok" }, { append = true })
c:write { id = 4 }
c:close()
crows = rh.log.read_csv(path("s.csv"))
T.eq(#crows, 4, "csv append after a torn row")
T.eq(crows[4].id, 4, "appended csv row")
T.raises("has columns id,name,loss,ok, not id,name", rh.log.csv, path("s.csv"), { "id", "name" }, { append = true })

for _, p in ipairs { "a.txt", "runs.jsonl", "bad.jsonl", "t.jsonl", "tbc.jsonl", "s.csv", "u.csv", "x/y/z", "x/y", "x" } do
  os.remove(path(p))
end
os.remove(dir)
T.done()
