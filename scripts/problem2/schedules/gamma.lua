-- gamma.lua - weight decay multiplied by gamma each iteration: wd_k = wd_0 * gamma^k
-- (--gamma, default 0.5; a variant "gamma:G" sets its own). gamma < 1 lowers the pressure
-- towards low rank as the network shrinks, gamma > 1 raises it (the seed's variant, gamma 2).
return {
  weight_decay = function(iteration, ctx)
    return ctx.options.weight_decay * ctx.options.gamma ^ iteration
  end,
}
