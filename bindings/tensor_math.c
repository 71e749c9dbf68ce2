/* tensor_math.c - tensor arithmetic, reductions, math functions and matrix products. */
#include <math.h>
#include <string.h>

#include "ops.h"
#include "rh_lua.h"
#include "shape.h"
#include "tensor_parts.h" /* declares the functions below that tensor.c calls */

/* ---- elementwise arithmetic ---- */

/* Pushes a new tensor with the broadcast shape of a and b. */
static rh_tensor *new_broadcast(lua_State *L, const rh_tensor *a, const rh_tensor *b, int arg) {
  int ndim;
  int64_t size[RH_MAXDIM];
  rhL_check(L, rh_broadcast_shape(a, b, &ndim, size), arg);
  return rhL_newtensor(L, ndim, size, rh_dev(a));
}

/* a op b where either may be a number; the result is a new tensor. */
static int arith(lua_State *L, rh_binary op) {
  rh_tensor *a = rhL_totensor(L, 1), *b = rhL_totensor(L, 2);
  if (a && b) {
    if (!a->storage || !b->storage) return luaL_error(L, "tensor has been released");
    rhL_samedevice(L, a, b, 2);
    rh_tensor *o = new_broadcast(L, a, b, 2);
    rhL_check(L, rh_binop(o, a, b, op), 2);
    return 1;
  }
  if (a) {
    float s = (float)luaL_checknumber(L, 2);
    a = rhL_checktensor(L, 1);
    rh_tensor *o = rhL_newlike(L, a);
    rhL_check(L, rh_binop_scalar(o, a, s, op, 0), 2);
    return 1;
  }
  b = rhL_checktensor(L, 2);
  float s = (float)luaL_checknumber(L, 1);
  rh_tensor *o = rhL_newlike(L, b);
  rhL_check(L, rh_binop_scalar(o, b, s, op, 1), 1);
  return 1;
}

static int m_add(lua_State *L) { return arith(L, RH_ADD); }
static int m_sub(lua_State *L) { return arith(L, RH_SUB); }
static int m_mul(lua_State *L) { return arith(L, RH_MUL); }
static int m_div(lua_State *L) { return arith(L, RH_DIV); }

static int m_unm(lua_State *L) {
  rh_tensor *a = rhL_checktensor(L, 1);
  rh_tensor *o = rhL_newlike(L, a);
  rhL_check(L, rh_map(o, a, RH_NEG), 1);
  return 1;
}

/* t:add(u [, alpha]) -> t + alpha*u (new); u may be a number */
static int t_add(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  if (lua_type(L, 2) == LUA_TNUMBER) {
    rh_tensor *o = rhL_newlike(L, t);
    rhL_check(L, rh_affine(o, t, 1.0f, (float)lua_tonumber(L, 2)), 2);
    return 1;
  }
  rh_tensor *u = rhL_checktensor(L, 2);
  float alpha = (float)luaL_optnumber(L, 3, 1.0);
  rhL_samedevice(L, t, u, 2);
  rh_tensor *o = new_broadcast(L, t, u, 2);
  if (alpha == 1.0f) {
    rhL_check(L, rh_binop(o, t, u, RH_ADD), 2);
  } else {
    /* o = t (broadcast) then o += alpha*u */
    rh_tensor *z = rhL_newlike(L, o);
    rhL_check(L, rh_fill(z, 0.0f), 0);
    rhL_check(L, rh_binop(o, z, t, RH_ADD), 1);
    rhL_check(L, rh_axpy(o, u, alpha), 2);
    lua_pop(L, 1);
  }
  return 1;
}

/* t:add_(u [, alpha]) in place; u a tensor (broadcast to t) or a number */
static int t_add_(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  if (lua_type(L, 2) == LUA_TNUMBER) {
    rhL_check(L, rh_affine(t, t, 1.0f, (float)lua_tonumber(L, 2)), 2);
  } else {
    rh_tensor *u = rhL_checktensor(L, 2);
    rhL_samedevice(L, t, u, 2);
    rhL_check(L, rh_axpy(t, u, (float)luaL_optnumber(L, 3, 1.0)), 2);
  }
  lua_settop(L, 1);
  return 1;
}

/* in-place binary op with a tensor (broadcast into t) or a number */
static int inplace(lua_State *L, rh_binary op) {
  rh_tensor *t = rhL_checktensor(L, 1);
  if (lua_type(L, 2) == LUA_TNUMBER) {
    rhL_check(L, rh_binop_scalar(t, t, (float)lua_tonumber(L, 2), op, 0), 2);
  } else {
    rh_tensor *u = rhL_checktensor(L, 2);
    rhL_samedevice(L, t, u, 2);
    int ndim;
    int64_t size[RH_MAXDIM];
    rhL_check(L, rh_broadcast_shape(t, u, &ndim, size), 2);
    if (ndim != t->ndim || memcmp(size, t->size, (size_t)ndim * sizeof(int64_t)) != 0) {
      char s1[64], s2[64];
      return luaL_argerror(L, 2, lua_pushfstring(L, "cannot apply %s to %s in place", rh_shape_str(u, s1, sizeof s1),
                                                 rh_shape_str(t, s2, sizeof s2)));
    }
    rhL_check(L, rh_binop(t, t, u, op), 2);
  }
  lua_settop(L, 1);
  return 1;
}

static int t_sub_(lua_State *L) { return inplace(L, RH_SUB); }
static int t_mul_(lua_State *L) { return inplace(L, RH_MUL); }
static int t_div_(lua_State *L) { return inplace(L, RH_DIV); }

static int t_cmax(lua_State *L) { return arith(L, RH_MAX2); }
static int t_cmin(lua_State *L) { return arith(L, RH_MIN2); }

/* ---- unary maps: t:f() new, t:f_() in place ---- */

static int unary(lua_State *L, rh_unary op, int in_place) {
  rh_tensor *t = rhL_checktensor(L, 1);
  if (in_place) {
    rhL_check(L, rh_map(t, t, op), 1);
    lua_settop(L, 1);
    return 1;
  }
  rh_tensor *o = rhL_newlike(L, t);
  rhL_check(L, rh_map(o, t, op), 1);
  return 1;
}

#define UNARY(name, op)                                                \
  static int t_##name(lua_State *L) { return unary(L, op, 0); }        \
  static int t_##name##_(lua_State *L) { return unary(L, op, 1); }
UNARY(abs, RH_ABS)
UNARY(exp, RH_EXP)
UNARY(log, RH_LOG)
UNARY(sqrt, RH_SQRT)
UNARY(relu, RH_RELU)
UNARY(neg, RH_NEG)
UNARY(sign, RH_SIGN)
UNARY(tanh, RH_TANH)
UNARY(sigmoid, RH_SIGMOID)
UNARY(square, RH_SQUARE)
#undef UNARY

static int t_pow(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  if (lua_type(L, 2) != LUA_TNUMBER) return arith(L, RH_POW2);
  rh_tensor *o = rhL_newlike(L, t);
  rhL_check(L, rh_pow_scalar(o, t, (float)lua_tonumber(L, 2)), 2);
  return 1;
}

static int t_clamp(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  float lo = lua_isnil(L, 2) ? -INFINITY : (float)luaL_checknumber(L, 2);
  float hi = lua_isnoneornil(L, 3) ? INFINITY : (float)luaL_checknumber(L, 3);
  if (lo > hi) return luaL_argerror(L, 3, "upper bound is below the lower bound");
  rh_tensor *o = rhL_newlike(L, t);
  rhL_check(L, rh_clamp(o, t, lo, hi), 1);
  return 1;
}

/* t:mul(s) -> new; s a number or a tensor (elementwise, broadcast) */
static int t_mul(lua_State *L) { return arith(L, RH_MUL); }
static int t_div(lua_State *L) { return arith(L, RH_DIV); }
static int t_sub(lua_State *L) { return arith(L, RH_SUB); }

/* ---- reductions ---- */

static int reduce(lua_State *L, rh_reduce op) {
  rh_tensor *t = rhL_checktensor(L, 1);
  if (lua_isnoneornil(L, 2)) {
    double r;
    rhL_check(L, rh_reduce_all(t, op, &r), 1);
    lua_pushnumber(L, r);
    return 1;
  }
  int d = rhL_checkdim(L, 2, t);
  int64_t size[RH_MAXDIM];
  memcpy(size, t->size, sizeof size);
  size[d] = 1;
  rh_tensor *o = rhL_newtensor(L, t->ndim, size, rh_dev(t));
  rhL_check(L, rh_reduce_dim(o, NULL, t, d, op), 1);
  return 1;
}

static int t_sum(lua_State *L) { return reduce(L, RH_SUM); }
static int t_mean(lua_State *L) { return reduce(L, RH_MEAN); }

/* 1-based float indices from 0-based: idx + 1 */
static void one_based(lua_State *L, rh_tensor *idx) { rhL_check(L, rh_affine(idx, idx, 1.0f, 1.0f), 0); }

/* t:max([dim]) -> values, indices (1-based). Without dim: value, flat 1-based index. */
static int extreme(lua_State *L, int want_max) {
  rh_tensor *t = rhL_checktensor(L, 1);
  if (lua_isnoneornil(L, 2)) {
    int64_t pos;
    float v;
    rhL_check(L, rh_arg_all(t, want_max, &pos, &v), 1);
    lua_pushnumber(L, v);
    lua_pushinteger(L, pos + 1);
    return 2;
  }
  int d = rhL_checkdim(L, 2, t);
  int64_t size[RH_MAXDIM];
  memcpy(size, t->size, sizeof size);
  size[d] = 1;
  rh_tensor *o = rhL_newtensor(L, t->ndim, size, rh_dev(t));
  rh_tensor *i = rhL_newtensor(L, t->ndim, size, rh_dev(t));
  rhL_check(L, rh_reduce_dim(o, i, t, d, want_max ? RH_RMAX : RH_RMIN), 1);
  one_based(L, i);
  return 2;
}

static int t_max(lua_State *L) { return extreme(L, 1); }
static int t_min(lua_State *L) { return extreme(L, 0); }

static int t_argmax(lua_State *L) {
  int n = extreme(L, 1);
  lua_remove(L, -n); /* drop the values */
  return 1;
}

static int t_argmin(lua_State *L) {
  int n = extreme(L, 0);
  lua_remove(L, -n);
  return 1;
}

/* t:norm() -> Frobenius norm */
static int t_norm(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  double s;
  rhL_check(L, rh_reduce_all(t, RH_SUMSQ, &s), 1);
  lua_pushnumber(L, sqrt(s));
  return 1;
}

/* t:all_finite() -> boolean */
static int t_all_finite(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  int f;
  rhL_check(L, rh_all_finite(t, &f), 1);
  lua_pushboolean(L, f);
  return 1;
}

/* ---- matrix products ---- */

/* rh.matmul(a, b) / a:mm(b): 2-D x 2-D, 2-D x 1-D (matrix-vector), 1-D x 2-D. */
static int l_matmul(lua_State *L) {
  rh_tensor *a = rhL_checktensor(L, 1), *b = rhL_checktensor(L, 2);
  rhL_samedevice(L, a, b, 2);
  if (a->ndim < 1 || a->ndim > 2) return luaL_argerror(L, 1, "matmul needs 1-D or 2-D tensors");
  if (b->ndim < 1 || b->ndim > 2) return luaL_argerror(L, 2, "matmul needs 1-D or 2-D tensors");
  rh_tensor A = *a, B = *b;
  if (A.ndim == 1) { /* a row vector 1 x n */
    A.ndim = 2;
    A.size[1] = a->size[0];
    A.stride[1] = a->stride[0];
    A.size[0] = 1;
    A.stride[0] = a->size[0];
  }
  if (B.ndim == 1) { /* a column vector n x 1 */
    B.ndim = 2;
    B.size[0] = b->size[0];
    B.stride[0] = b->stride[0];
    B.size[1] = 1;
    B.stride[1] = 1;
  }
  if (A.size[1] != B.size[0]) {
    char s1[64], s2[64];
    return luaL_argerror(L, 2, lua_pushfstring(L, "shapes %s and %s do not match", rh_shape_str(a, s1, sizeof s1),
                                               rh_shape_str(b, s2, sizeof s2)));
  }
  rh_tensor *c = rhL_newtensor2(L, A.size[0], B.size[1], rh_dev(a));
  rhL_check(L, rh_gemm(c, &A, &B, 1.0f, 0.0f), 2);
  if (a->ndim == 1 || b->ndim == 1) { /* drop the unit dim */
    int64_t n = a->ndim == 1 ? c->size[1] : c->size[0];
    if (a->ndim == 1 && b->ndim == 1) n = 1;
    c->ndim = 1;
    c->size[0] = n;
    c->stride[0] = 1;
  }
  return 1;
}

/* rh.addmm(c, a, b [, alpha, beta]): c = alpha*a*b + beta*c in place (a, b may be .t() views) */
static int l_addmm(lua_State *L) {
  rh_tensor *c = rhL_checktensor(L, 1), *a = rhL_checktensor(L, 2), *b = rhL_checktensor(L, 3);
  float alpha = (float)luaL_optnumber(L, 4, 1.0), beta = (float)luaL_optnumber(L, 5, 1.0);
  rhL_samedevice(L, c, a, 2);
  rhL_samedevice(L, c, b, 3);
  rhL_check(L, rh_gemm(c, a, b, alpha, beta), 3);
  lua_settop(L, 1);
  return 1;
}

/* t:index(dim, idx): rows (dim 1) or columns (dim 2) by 1-based indices (a table or tensor). */
static int t_index(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  int d = rhL_checkdim(L, 2, t);
  int64_t n;
  rh_tensor *it = rhL_totensor(L, 3);
  if (it)
    n = rh_numel(it);
  else {
    luaL_checktype(L, 3, LUA_TTABLE);
    n = (int64_t)luaL_len(L, 3);
  }
  int64_t *idx = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof(int64_t), 0);
  const rh_tensor *host = it ? rhL_pushcontiguous(L, it, RH_CPU, 3) : NULL;
  for (int64_t i = 0; i < n; i++) {
    double v;
    if (host) {
      v = rh_data(host)[i];
    } else {
      lua_geti(L, 3, i + 1);
      int ok;
      v = lua_tonumberx(L, -1, &ok);
      if (!ok)
        return luaL_argerror(L, 3, lua_pushfstring(L, "entry %I (a %s) is not an integer", (LUAI_UACINT)(i + 1),
                                                   luaL_typename(L, -1)));
      lua_pop(L, 1);
    }
    /* checked as a double before any cast: NaN, 1e30 and 2.5 are refused, not truncated */
    int r = rh_shape_index_from_double(v, t->size[d], &idx[i]);
    if (r == -1) return luaL_argerror(L, 3, lua_pushfstring(L, "entry %I (%f) is not an integer", (LUAI_UACINT)(i + 1), v));
    if (r == -2)
      return luaL_argerror(L, 3, lua_pushfstring(L, "entry %I (%f) is out of range 1..%I in dim %d", (LUAI_UACINT)(i + 1),
                                                 v, (LUAI_UACINT)t->size[d], d + 1));
  }
  if (host) lua_pop(L, 1);
  int64_t size[RH_MAXDIM];
  memcpy(size, t->size, sizeof size);
  size[d] = n;
  rh_tensor *o = rhL_newtensor(L, t->ndim, size, rh_dev(t));
  rhL_check(L, rh_index_select(o, t, d, idx, n), 3);
  return 1;
}

static int t_eq(lua_State *L) { /* identity: tensors compare by reference */
  lua_pushboolean(L, lua_rawequal(L, 1, 2));
  return 1;
}

static const luaL_Reg math_methods[] = {
    {"__add", m_add}, {"__sub", m_sub}, {"__mul", m_mul}, {"__div", m_div}, {"__unm", m_unm}, {"__eq", t_eq},
    {"add", t_add},   {"add_", t_add_}, {"sub", t_sub},   {"sub_", t_sub_}, {"mul", t_mul},   {"mul_", t_mul_},
    {"div", t_div},   {"div_", t_div_}, {"cmax", t_cmax}, {"cmin", t_cmin},
    {"abs", t_abs},   {"abs_", t_abs_}, {"exp", t_exp},   {"exp_", t_exp_}, {"log", t_log},   {"log_", t_log_},
    {"sqrt", t_sqrt}, {"sqrt_", t_sqrt_}, {"relu", t_relu}, {"relu_", t_relu_}, {"neg", t_neg}, {"neg_", t_neg_},
    {"sign", t_sign}, {"sign_", t_sign_}, {"tanh", t_tanh}, {"tanh_", t_tanh_}, {"sigmoid", t_sigmoid},
    {"sigmoid_", t_sigmoid_}, {"square", t_square}, {"square_", t_square_},
    {"pow", t_pow},   {"clamp", t_clamp},
    {"sum", t_sum},   {"mean", t_mean}, {"max", t_max},   {"min", t_min},   {"argmax", t_argmax},
    {"argmin", t_argmin}, {"norm", t_norm}, {"all_finite", t_all_finite},
    {"mm", l_matmul}, {"index", t_index},
    {NULL, NULL}};

void tensor_math_register(lua_State *L) { luaL_setfuncs(L, math_methods, 0); }

static const luaL_Reg math_fns[] = {{"matmul", l_matmul}, {"addmm", l_addmm}, {NULL, NULL}};

void tensor_math_open(lua_State *L) { luaL_setfuncs(L, math_fns, 0); }
