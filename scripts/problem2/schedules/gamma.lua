-- gamma.lua - the seed's variant: weight decay multiplied by gamma (--gamma, default 2)
-- each iteration: wd_k = wd_0 * gamma^k, so the pressure towards low rank grows as the
-- network shrinks.
return {
  weight_decay = function(iteration, ctx)
    return ctx.options.weight_decay * ctx.options.gamma ^ iteration
  end,
}
