-- constant.lua - the same weight decay (--weight-decay) every iteration.
return {
  weight_decay = function(iteration, ctx) return ctx.options.weight_decay end,
}
