-- test_proc.lua - rh.proc, what local workers are built on: fork, wait (blocking and
-- {nohang=true}), exit codes, kill with the default and a given signal, pid; and
-- rh.generator's g:normal (a stream of its own: the same seed repeats, mean 0, variance 1).
local T = require "testlib"

-- a child that exits with a code: wait gives its pid, "exited" and the code
local pid = rh.proc.fork()
if pid == 0 then rh.proc.exit(3) end
T.ok(pid > 0 and pid ~= rh.proc.pid(), "fork returns the child's pid in the parent")
local got, how, code = rh.proc.wait(pid)
T.eq(got, pid, "wait returns the child's pid")
T.eq(how, "exited", "an exit is 'exited'")
T.eq(code, 3, "with its exit code")

-- a child still running: nohang answers 0 at once; kill (SIGTERM by default) ends it
pid = rh.proc.fork()
if pid == 0 then
  while true do os.execute("sleep 1") end
end
T.eq(rh.proc.wait(pid, { nohang = true }), 0, "wait with nohang: 0 while the child runs")
T.eq(rh.proc.kill(pid), true, "kill returns true")
got, how, code = rh.proc.wait(pid)
T.eq(got, pid, "the killed child is waited for")
T.eq(how, "signaled", "a killed child is 'signaled'")
T.eq(code, 15, "by SIGTERM, kill's default")

-- a given signal
pid = rh.proc.fork()
if pid == 0 then
  while true do os.execute("sleep 1") end
end
rh.proc.kill(pid, 9)
got, how, code = rh.proc.wait(pid)
T.eq(how .. " " .. code, "signaled 9", "kill(pid, 9) sends SIGKILL")

-- nothing left to wait for, or to kill: nil and a message, not an error
local none, msg = rh.proc.wait()
T.ok(none == nil and type(msg) == "string", "wait with no child: nil, message (" .. tostring(msg) .. ")")
local dead, kmsg = rh.proc.kill(pid)
T.ok(dead == nil and type(kmsg) == "string", "kill of a process gone: nil, message (" .. tostring(kmsg) .. ")")
T.raises("process id > 0", rh.proc.kill, 0)

-- g:normal: a seeded stream of its own, standard normal
local g1, g2 = rh.generator(11), rh.generator(11)
local same = true
for _ = 1, 100 do if g1:normal() ~= g2:normal() then same = false end end
T.ok(same, "the same seed gives the same normals")
local g = rh.generator(5)
local n, s, s2 = 20000, 0, 0
for _ = 1, n do
  local x = g:normal()
  s, s2 = s + x, s2 + x * x
end
local mean = s / n
local var = s2 / n - mean * mean
-- 20,000 draws: the mean's standard error is 0.007, the variance's about 0.01
T.ok(math.abs(mean) < 0.035, "mean near 0: " .. mean)
T.ok(math.abs(var - 1) < 0.05, "variance near 1: " .. var)

T.done()
