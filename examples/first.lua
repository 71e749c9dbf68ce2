-- first.lua - a first look at rankhost's tensors.
rh.seed(1)
local W = rh.randn(4, 3)
local x = rh.tensor{1, 2, 3}
print(W:mm(x))                 -- matrix-vector product
print((W * W):sum(2))          -- squared row norms, 4x1
print(W:t():shape()[1])        -- 3: a transposed view, no copy
