/* nn.c - rh._nn: the C side of rh.nn, rh.optim and rh.train (bindings/lua/{nn,optim,train}.lua).
 * Thin wrappers over kernels/nn.h and kernels/optim.h: check arguments, call the
 * kernel, raise a Lua error naming the argument on failure. Outputs are tensors the
 * Lua layers own and reuse across steps, so a steady training loop allocates nothing. */
#include "nn.h"
#include "nn_meter.h"
#include "ops.h"
#include "optim.h"
#include "rh_lua.h"

static rh_tensor *opttensor(lua_State *L, int idx) { return lua_isnoneornil(L, idx) ? NULL : rhL_checktensor(L, idx); }

/* linear_forward(y, x, w [, b [, relu]]) -> y */
static int l_linear_forward(lua_State *L) {
  rh_tensor *y = rhL_checktensor(L, 1), *x = rhL_checktensor(L, 2), *w = rhL_checktensor(L, 3);
  rh_tensor *b = opttensor(L, 4);
  rhL_check(L, rh_linear_forward(y, x, w, b, lua_toboolean(L, 5)), 2);
  lua_settop(L, 1);
  return 1;
}

/* linear_backward(gx|nil, gw, gb|nil, x, w, gy) -> gx */
static int l_linear_backward(lua_State *L) {
  rh_tensor *gx = opttensor(L, 1), *gw = rhL_checktensor(L, 2), *gb = opttensor(L, 3);
  rh_tensor *x = rhL_checktensor(L, 4), *w = rhL_checktensor(L, 5), *gy = rhL_checktensor(L, 6);
  rhL_check(L, rh_linear_backward(gx, gw, gb, x, w, gy), 6);
  lua_settop(L, 1);
  return 1;
}

/* relu_forward(y, x) -> y */
static int l_relu_forward(lua_State *L) {
  rh_tensor *y = rhL_checktensor(L, 1), *x = rhL_checktensor(L, 2);
  if (!rh_same_shape(x, y)) {
    char b1[64], b2[64];
    return luaL_argerror(L, 2, lua_pushfstring(L, "input %s does not match output %s", rh_shape_str(x, b1, sizeof b1),
                                               rh_shape_str(y, b2, sizeof b2)));
  }
  rhL_check(L, rh_map(y, x, RH_RELU), 2);
  lua_settop(L, 1);
  return 1;
}

/* relu_backward(gx, y, gy) -> gx */
static int l_relu_backward(lua_State *L) {
  rh_tensor *gx = rhL_checktensor(L, 1), *y = rhL_checktensor(L, 2), *gy = rhL_checktensor(L, 3);
  rhL_check(L, rh_relu_backward(gx, y, gy), 3);
  lua_settop(L, 1);
  return 1;
}

/* cross_entropy(logits, labels [, grad]) -> loss */
static int l_cross_entropy(lua_State *L) {
  rh_tensor *y = rhL_checktensor(L, 1), *lab = rhL_checktensor(L, 2), *g = opttensor(L, 3);
  double loss = 0;
  rhL_check(L, rh_cross_entropy(y, lab, g, &loss), 2);
  lua_pushnumber(L, loss);
  return 1;
}

/* cross_entropy_acc(logits, labels, grad|nil, meter): the loss recorded into the meter,
 * nothing read back (kernels/nn.h) */
static int l_cross_entropy_acc(lua_State *L) {
  rh_tensor *y = rhL_checktensor(L, 1), *lab = rhL_checktensor(L, 2), *g = opttensor(L, 3);
  rh_tensor *m = rhL_checktensor(L, 4);
  rhL_check(L, rh_cross_entropy_acc(y, lab, g, m), 2);
  return 0;
}

/* meter(like) -> a zeroed loss meter on like's device */
static int l_meter(lua_State *L) {
  int64_t n = RH_METER_SIZE;
  rh_tensor *m = rhL_newtensor(L, 1, &n, rh_dev(rhL_checktensor(L, 1)));
  rhL_check(L, rh_fill(m, 0.0f), 1);
  return 1;
}

/* meter_read(meter) -> {last=, sum=, n=, correct=, steps=, nonfinite_step=, nonfinite_loss=,
 * bad_pos=, bad_value=, bad_step=} (waits for the device) */
static int l_meter_read(lua_State *L) {
  rh_meter_values v;
  rhL_check(L, rh_meter_read(rhL_checktensor(L, 1), &v), 1);
  lua_createtable(L, 0, 10);
  const struct {
    const char *k;
    double v;
    int count; /* counts and positions are pushed as integers */
  } f[] = {{"last", v.last, 0},          {"sum", v.sum, 0},
           {"n", v.n, 1},                {"correct", v.correct, 1},
           {"steps", v.steps, 1},        {"nonfinite_step", v.nonfinite_step, 1},
           {"nonfinite_loss", v.nonfinite_loss, 0}, {"bad_pos", v.bad_pos, 1},
           {"bad_value", v.bad_value, 0}, {"bad_step", v.bad_step, 1}};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
    if (f[i].count)
      lua_pushinteger(L, (lua_Integer)f[i].v);
    else
      lua_pushnumber(L, f[i].v);
    lua_setfield(L, -2, f[i].k);
  }
  return 1;
}

/* meter_record(meter, loss, B): records a loss already read (a CPU meter), so that losses
 * without a device-side kernel keep the same totals */
static int l_meter_record(lua_State *L) {
  rh_tensor *m = rhL_checktensor(L, 1);
  double loss = luaL_checknumber(L, 2), B = (double)luaL_checkinteger(L, 3);
  if (rh_dev(m) != RH_CPU || m->ndim != 1 || m->size[0] != RH_METER_SIZE || !rh_is_contiguous(m))
    return luaL_argerror(L, 1, "a CPU meter expected");
  rh_meter_record(rh_data(m), loss * B, B, 0.0, 0.0, 0.0f);
  return 0;
}

/* mse(y, target [, grad]) -> loss */
static int l_mse(lua_State *L) {
  rh_tensor *y = rhL_checktensor(L, 1), *t = rhL_checktensor(L, 2), *g = opttensor(L, 3);
  double loss = 0;
  rhL_check(L, rh_mse(y, t, g, &loss), 2);
  lua_pushnumber(L, loss);
  return 1;
}

/* correct(logits, labels) -> number of rows whose argmax is the label */
static int l_correct(lua_State *L) {
  rh_tensor *y = rhL_checktensor(L, 1), *lab = rhL_checktensor(L, 2);
  int64_t n = 0;
  rhL_check(L, rh_count_correct(y, lab, &n), 2);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

static float checkfloat(lua_State *L, int arg) { return (float)luaL_checknumber(L, arg); }

/* sgd_step(p, g, buf|nil, lr, momentum, dampening, weight_decay, nesterov, first) */
static int l_sgd_step(lua_State *L) {
  rh_tensor *p = rhL_checktensor(L, 1), *g = rhL_checktensor(L, 2), *buf = opttensor(L, 3);
  rh_sgd_opts o = {checkfloat(L, 4), checkfloat(L, 5), checkfloat(L, 6), checkfloat(L, 7), lua_toboolean(L, 8)};
  rhL_check(L, rh_sgd_step(p, g, buf, &o, lua_toboolean(L, 9)), 1);
  return 0;
}

/* The tensor at t[j] (t the table at idx), or an error naming the function, the list and
 * the position. */
static rh_tensor *listtensor(lua_State *L, int idx, lua_Integer j, const char *what) {
  lua_rawgeti(L, idx, j);
  rh_tensor *t = rhL_totensor(L, -1);
  if (!t || !t->storage) rhL_error(L, "%s %d is not a live tensor", what, (int)j);
  lua_pop(L, 1); /* the list keeps it alive */
  return t;
}

/* sgd_steps(params, grads, bufs|nil, lr, momentum, dampening, weight_decay, nesterov) -> done:
 * rh_sgd_step on every parameter of a group in one call, past the first step (each buffer
 * holds state). false, with nothing updated, when momentum is on and a buffer is missing
 * (the caller makes the buffers, one parameter at a time). */
static int l_sgd_steps(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TTABLE);
  int bufs = !lua_isnoneornil(L, 3);
  if (bufs) luaL_checktype(L, 3, LUA_TTABLE);
  rh_sgd_opts o = {checkfloat(L, 4), checkfloat(L, 5), checkfloat(L, 6), checkfloat(L, 7), lua_toboolean(L, 8)};
  lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
  if (o.momentum != 0.0f) {
    if (!bufs) return luaL_argerror(L, 3, "momentum buffers expected");
    for (lua_Integer j = 1; j <= n; j++) {
      int missing = lua_rawgeti(L, 3, j) == LUA_TNIL;
      lua_pop(L, 1);
      if (missing) {
        lua_pushboolean(L, 0);
        return 1;
      }
    }
  }
  for (lua_Integer j = 1; j <= n; j++) {
    rh_tensor *p = listtensor(L, 1, j, "parameter"), *g = listtensor(L, 2, j, "gradient");
    rh_tensor *buf = o.momentum != 0.0f ? listtensor(L, 3, j, "momentum buffer") : NULL;
    rh_status st = rh_sgd_step(p, g, buf, &o, 0);
    if (st != RH_OK) return rhL_error(L, "parameter %d: %s", (int)j, rhL_detail(st));
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* zero(t|nil, ...): fills each tensor with zeros (zero_grad of a list in one call; nil and
 * false, a layer without a bias, are skipped) */
static int l_zero(lua_State *L) {
  int n = lua_gettop(L);
  for (int i = 1; i <= n; i++)
    if (lua_toboolean(L, i)) rhL_check(L, rh_fill(rhL_checktensor(L, i), 0.0f), i);
  return 0;
}

/* adam_step(p, g, m, v, lr, beta1, beta2, eps, weight_decay, decoupled, t) */
static int l_adam_step(lua_State *L) {
  rh_tensor *p = rhL_checktensor(L, 1), *g = rhL_checktensor(L, 2);
  rh_tensor *m = rhL_checktensor(L, 3), *v = rhL_checktensor(L, 4);
  rh_adam_opts o = {checkfloat(L, 5), checkfloat(L, 6), checkfloat(L, 7), checkfloat(L, 8), checkfloat(L, 9),
                    lua_toboolean(L, 10)};
  rhL_check(L, rh_adam_step(p, g, m, v, &o, (int64_t)luaL_checkinteger(L, 11)), 1);
  return 0;
}

void rhb_open_nn(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"linear_forward", l_linear_forward},       {"linear_backward", l_linear_backward},
      {"relu_forward", l_relu_forward},           {"relu_backward", l_relu_backward},
      {"cross_entropy", l_cross_entropy},         {"cross_entropy_acc", l_cross_entropy_acc},
      {"meter", l_meter},                         {"meter_read", l_meter_read},
      {"meter_record", l_meter_record},           {"mse", l_mse},
      {"correct", l_correct},                     {"sgd_step", l_sgd_step},
      {"adam_step", l_adam_step},                 {"sgd_steps", l_sgd_steps},
      {"zero", l_zero},                           {NULL, NULL}};
  luaL_newlib(L, fns);
  lua_setfield(L, -2, "_nn");
}
