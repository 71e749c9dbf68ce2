-- progress.lua - rh.train.fit's progress line on stderr, and the durations it shows.
-- On a terminal a line rewritten in place (\r) while an epoch runs, at most every 0.25 s;
-- everywhere one line per epoch.
local rh = require "rankhost"

local progress = {}

-- A duration in seconds as progress lines show it: "1h02m", "3m05s", "12.3s"; "?" for a
-- duration not known (NaN or infinite, as an estimate from no progress is).
function progress.format_time(s)
  if s ~= s or s == math.huge or s == -math.huge then return "?" end
  if s >= 3600 then return string.format("%dh%02dm", s // 3600, (s % 3600) // 60) end
  if s >= 60 then return string.format("%dm%02ds", s // 60, math.floor(s % 60)) end
  return string.format("%.1fs", s)
end
local format_time = progress.format_time

local Reporter = {}
Reporter.__index = Reporter

-- progress.reporter{t0=, max_epochs=, nbatches= (nil: not known), max_seconds=,
--   measure= (the rank measure named beside ranks), tty= (default: whether stderr is one),
--   out= (default io.stderr)}
function progress.reporter(o)
  local tty = o.tty
  if tty == nil then tty = rh.io.stderr_isatty() end
  return setmetatable({ t0 = o.t0 or rh.clock(), max_epochs = o.max_epochs, nbatches = o.nbatches,
                        max_seconds = o.max_seconds, measure = o.measure, tty = tty, out = o.out or io.stderr,
                        last_draw = 0, drawn_epoch = nil }, Reporter)
end

-- Whether a batch line of epoch `epoch` is due now: on a terminal, at an epoch's first batch
-- and 0.25 s after the last line.
function Reporter:due(epoch)
  if not self.tty then return false end
  local now = rh.clock()
  if epoch ~= self.drawn_epoch or now - self.last_draw > 0.25 then
    self.drawn_epoch, self.last_draw = epoch, now
    return true
  end
  return false
end

-- The line of batch b of an epoch begun at time te, with the running sums.
function Reporter:batch(epoch, b, te, sum, count, correct)
  local now, nb = rh.clock(), self.nbatches
  local per = (now - te) / b
  local left = nb and per * ((nb - b) + nb * (self.max_epochs - epoch)) or 0 / 0
  self.out:write(string.format("\repoch %d/%d batch %d/%s loss %.4f acc %.2f%% elapsed %s left <%s   ",
                               epoch, self.max_epochs, b, nb or "?", sum / count, 100 * correct / count,
                               format_time(now - self.t0), format_time(left)))
end

-- The line of an epoch's record; train_time: the training time so far (for max_seconds).
function Reporter:epoch(rec, train_time)
  local epoch, max_epochs = rec.epoch, self.max_epochs
  local elapsed = rh.clock() - self.t0
  local left = elapsed / epoch * (max_epochs - epoch)
  if self.max_seconds then left = math.min(left, math.max(0, self.max_seconds - train_time)) end
  local parts = { string.format("epoch %d/%d loss %.4f", epoch, max_epochs, rec.loss) }
  if rec.accuracy then parts[#parts + 1] = string.format("acc %.2f%%", 100 * rec.accuracy) end
  if rec.eval_loss then
    parts[#parts + 1] = string.format("eval loss %.4f%s", rec.eval_loss,
      rec.eval_accuracy and string.format(" acc %.2f%%", 100 * rec.eval_accuracy) or "")
  end
  if rec.wd_horizon then parts[#parts + 1] = string.format("H %.2f", rec.wd_horizon) end
  if rec.ranks then parts[#parts + 1] = tostring(self.measure) .. " ranks " .. table.concat(rec.ranks, "-") end
  parts[#parts + 1] = string.format("elapsed %s left <%s", format_time(elapsed), format_time(left))
  local line = table.concat(parts, " ")
  self.out:write(self.tty and ("\r" .. line .. "\27[K\n") or (line .. "\n"))
end

return progress
