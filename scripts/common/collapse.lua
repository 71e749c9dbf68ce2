-- collapse.lua - neural collapse on a batch (issue 22 item 3): NC1 = Tr(Sigma_W Sigma_B^+) / C
-- (Papyan, Han & Donoho 2020) of a representation H (N x d, one row per example) with class
-- ids y (1..C), and the last hidden representation of an MLP.
--
--   Sigma_W = (1/N) sum_i (h_i - mu_(y_i)) (h_i - mu_(y_i))^T     within-class covariance
--   Sigma_B = (1/C) sum_c (mu_c - mu_G) (mu_c - mu_G)^T            between-class covariance
--
-- Sigma_B = M^T M / C with M the C x d matrix of centred class means; its pseudo-inverse
-- comes from rh.linalg.svd(M) = U S V^T: Sigma_B^+ = V diag(C / s_j^2) V^T over the s_j above
-- PINV_RTOL * s_1, so Tr(Sigma_W Sigma_B^+) = sum_j (C / s_j^2) ||R v_j||^2 / N, R the
-- within-class residuals. Only the C x d SVD and one N x d by d x C product are needed. NC1
-- is about 0 when every example sits at its class mean (collapse) and large when the classes'
-- spread is large against the distance between their means.
local rh = require "rankhost"

local M = {}

-- Singular values of M below this fraction of the largest are left out of the pseudo-inverse
-- (the centred means span at most C - 1 directions).
M.PINV_RTOL = 1e-5

local function labels_of(y)
  if type(y) == "table" then return y end
  return y:totable()
end

-- nc1(H, y [, C]) -> NC1, { classes = number of classes present, rank = rank of Sigma_B kept }
-- H: N x d tensor; y: class ids (tensor or list, 1..C); C: the number of classes (default:
-- the largest id). Classes with no example are left out (C counts those present). nil and a
-- reason when fewer than 2 classes are present or Sigma_B is 0.
function M.nc1(H, y, C)
  local ys = labels_of(y)
  local n, d = H:size(1), H:size(2)
  if #ys ~= n then error(string.format("collapse.nc1: %d labels for %d rows", #ys, n), 2) end
  local count, ids = {}, {}
  for i = 1, n do
    local c = math.tointeger(ys[i]) or math.floor(ys[i] + 0.5)
    ys[i] = c
    if not count[c] then count[c] = 0; ids[#ids + 1] = c end
    count[c] = count[c] + 1
  end
  table.sort(ids)
  local present = #ids
  if present < 2 then return nil, "fewer than 2 classes in the batch" end
  local col = {}
  for j, c in ipairs(ids) do col[c] = j end
  -- one-hot Y (N x present) and 1 / n_c
  local Y = rh.zeros(n, present)
  for i = 1, n do Y:set(i, col[ys[i]], 1) end
  local inv = rh.zeros(present, 1)
  for j, c in ipairs(ids) do inv:set(j, 1, 1 / count[c]) end
  local H2 = H:contiguous()
  local mu = rh.matmul(Y:t(), H2) * inv            -- class means, present x d
  local mg = H2:mean(1)                             -- global mean, 1 x d
  local Mc = mu - mg                                -- centred class means
  local R = H2 - rh.matmul(Y, mu)                  -- within-class residuals, N x d
  local _, S, Vt = rh.linalg.svd(Mc)
  local s = S:totable()
  local smax = s[1] or 0
  if smax <= 0 then return nil, "the class means coincide (Sigma_B = 0)" end
  local proj = rh.matmul(R, Vt:t()):square():sum(1):totable()[1] -- ||R v_j||^2, one per j
  local tr, kept = 0, 0
  for j = 1, #s do
    if s[j] > M.PINV_RTOL * smax then
      tr = tr + (present / (s[j] * s[j])) * proj[j] / n
      kept = kept + 1
    end
  end
  return tr / present, { classes = present, rank = kept, features = d }
end

-- The last hidden representation of an MLP (rh.nn.MLP: Linear, ReLU, ..., Linear) on x: the
-- output of every module but the last (the classifier's input). nil for a model without
-- hidden layers.
function M.last_hidden(model, x)
  local mods = model.modules
  if not mods or #mods < 2 then return nil end
  local h = x
  for i = 1, #mods - 1 do h = mods[i]:forward(h) end
  return h
end

-- How far a rank sits above the loss-set rank C - 1 (C classes): rank - (C - 1).
function M.above(rank, C)
  if rank == nil or C == nil then return nil end
  return rank - (C - 1)
end

return M
