-- cosine.lua - weight decay rising from --weight-decay to --wd-final along half a cosine
-- over --max-iters iterations: wd_k = wd_f + (wd_0 - wd_f) (1 + cos(pi k / K)) / 2.
-- The learning rate follows the mirror cosine from --lr down to lr/10, so late, small
-- networks are fine-tuned gently.
local function half_cosine(from, to, k, K)
  local t = math.min(k / math.max(K, 1), 1)
  return to + (from - to) * (1 + math.cos(math.pi * t)) / 2
end
return {
  weight_decay = function(iteration, ctx)
    local o = ctx.options
    return half_cosine(o.weight_decay, o.wd_final, iteration, o.max_iters)
  end,
  lr = function(iteration, ctx)
    local o = ctx.options
    return half_cosine(o.lr, o.lr / 10, iteration, o.max_iters)
  end,
}
