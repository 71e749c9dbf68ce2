-- custom_layer.lua - a layer written in Lua: any table with forward, backward and
-- parameters works inside nn.Sequential. Here: a learnable per-feature scale, y = x * s.
local rh = require "rankhost"
local nn, optim = rh.nn, rh.optim

local function Scale(n)
  local self = { name = "Scale", s = rh.ones(1, n), grad_s = rh.zeros(1, n) }
  function self:forward(x) self.output = x * self.s; return self.output end     -- row broadcast
  function self:backward(x, gy)
    self.grad_s:add_((gy * x):sum(1))                                            -- accumulate, like Linear
    return gy * self.s
  end
  function self:parameters() return { self.s }, { self.grad_s } end
  function self:linear_layers() return {} end  -- for the rank tools: s is not a Linear layer's
  return self
end

rh.seed(1)
local model = nn.Sequential(Scale(4), nn.Linear(4, 3))
print(model)
local X = rh.randn(32, 4)
local labels = {}
for i = 1, 32 do labels[i] = X:get(i, 1) > 0.5 and 1 or (X:get(i, 2) > 0 and 2 or 3) end
local Y = rh.tensor(labels)
local h = rh.train.fit(model, { x = X, y = Y }, { optimizer = optim.Adam(model, { lr = 0.05 }),
                                                batch = 8, max_epochs = 60, progress = false })
local loss, acc = rh.train.evaluate(model, { x = X, y = Y })
print(string.format("after %d epochs: loss %.4f, accuracy %.1f%%; learned scale:", #h, loss, 100 * acc))
print(model.modules[1].s)
