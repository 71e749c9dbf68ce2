/* tensor.c - the Tensor userdata: metatable, lifetime, creation, element access, views.
 * Arithmetic, reductions and math live in tensor_math.c; printing and tables in
 * tensor_io.c. */
#include <string.h>

#include "cuda/device.h"
#include "ops.h"
#include "rh_lua.h"
#include "shape.h"
#include "tensor_parts.h"

/* ---- lifetime ---- */

static int t_gc(lua_State *L) {
  rh_tensor *t = luaL_checkudata(L, 1, RH_TENSOR_MT);
  rh_tensor_release(t); /* idempotent: a released header has storage NULL */
  return 0;
}

/* ---- creation ---- */

static int filled(lua_State *L, float v) {
  int64_t size[RH_MAXDIM];
  int ndim = rhL_checkshape(L, 1, size);
  rh_tensor *t = rhL_newtensor(L, ndim, size, rhL_default_device());
  rhL_check(L, rh_fill(t, v), 0);
  return 1;
}

static int l_zeros(lua_State *L) { return filled(L, 0.0f); }
static int l_ones(lua_State *L) { return filled(L, 1.0f); }
static int l_empty(lua_State *L) {
  int64_t size[RH_MAXDIM];
  int ndim = rhL_checkshape(L, 1, size);
  rhL_newtensor(L, ndim, size, rhL_default_device());
  return 1;
}

/* rh.zeros_like(t) -> zeros of t's shape on t's device */
static int l_zeros_like(lua_State *L) {
  rh_tensor *t = rhL_newlike(L, rhL_checktensor(L, 1));
  rhL_check(L, rh_fill(t, 0.0f), 1);
  return 1;
}

/* t:new_empty(r, c) -> an uninitialised r x c tensor on t's device (as PyTorch's
 * Tensor.new_empty: rh.empty makes it on the default device) */
static int t_new_empty(lua_State *L) {
  rh_tensor *like = rhL_checktensor(L, 1);
  rhL_newtensor2(L, rhL_checksize(L, 2), rhL_checksize(L, 3), rh_dev(like));
  return 1;
}

/* rh.full({r,c}, v) */
static int l_full(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  float v = (float)luaL_checknumber(L, 2);
  lua_settop(L, 1);
  return filled(L, v);
}

static int l_rand(lua_State *L) {
  int64_t size[RH_MAXDIM];
  int ndim = rhL_checkshape(L, 1, size);
  rh_tensor *t = rhL_newtensor(L, ndim, size, rhL_default_device());
  rhL_check(L, rh_fill_rand(t, rhL_rng(), 0.0f, 1.0f), 0);
  return 1;
}

static int l_randn(lua_State *L) {
  int64_t size[RH_MAXDIM];
  int ndim = rhL_checkshape(L, 1, size);
  rh_tensor *t = rhL_newtensor(L, ndim, size, rhL_default_device());
  rhL_check(L, rh_fill_randn(t, rhL_rng(), 0.0f, 1.0f), 0);
  return 1;
}

static int l_eye(lua_State *L) {
  int64_t n = rhL_checksize(L, 1);
  int64_t m = lua_isnoneornil(L, 2) ? n : rhL_checksize(L, 2);
  rh_tensor *t = rhL_newtensor2(L, n, m, rhL_default_device());
  rhL_check(L, rh_fill_eye(t), 0);
  return 1;
}

/* rh.arange(a, b [, step]): a, a+step, ..., up to b inclusive. rh.arange(n) = 1..n. */
static int l_arange(lua_State *L) {
  double a = 1, b, step = 1;
  if (lua_isnoneornil(L, 2)) {
    b = luaL_checknumber(L, 1);
  } else {
    a = luaL_checknumber(L, 1);
    b = luaL_checknumber(L, 2);
    step = luaL_optnumber(L, 3, 1);
  }
  if (step == 0) return luaL_argerror(L, 3, "step must not be 0");
  double count = (b - a) / step;
  if (count < 0) count = -1;
  if (count > 1e9) return luaL_argerror(L, 2, "range too large");
  int64_t n = (int64_t)(count + 1e-9) + 1;
  rh_tensor *t = rhL_newtensor(L, 1, &n, rhL_default_device());
  rhL_check(L, rh_fill_arange(t, (float)a, (float)step), 0);
  return 1;
}

/* Reads a nested Lua table's shape at idx into size; returns ndim. */
static int table_shape(lua_State *L, int idx, int64_t *size, int depth) {
  if (depth >= RH_MAXDIM) luaL_argerror(L, 1, "nested tables deeper than 4 dims");
  int64_t n = (int64_t)lua_rawlen(L, idx);
  size[depth] = n;
  if (n == 0) return depth + 1;
  lua_rawgeti(L, idx, 1);
  int ndim = depth + 1;
  if (lua_istable(L, -1)) ndim = table_shape(L, lua_gettop(L), size, depth + 1);
  lua_pop(L, 1);
  return ndim;
}

static void table_fill(lua_State *L, int idx, const int64_t *size, int ndim, int depth, float **p) {
  if ((int64_t)lua_rawlen(L, idx) != size[depth])
    luaL_argerror(L, 1, lua_pushfstring(L, "ragged nested table: expected %d entries at depth %d, got %d",
                                        (int)size[depth], depth + 1, (int)lua_rawlen(L, idx)));
  for (int64_t i = 1; i <= size[depth]; i++) {
    lua_rawgeti(L, idx, i);
    if (depth + 1 < ndim) {
      if (!lua_istable(L, -1)) luaL_argerror(L, 1, "ragged nested table: expected a table");
      table_fill(L, lua_gettop(L), size, ndim, depth + 1, p);
    } else {
      int ok;
      lua_Number v = lua_tonumberx(L, -1, &ok);
      if (!ok)
        luaL_argerror(L, 1, lua_pushfstring(L, "entry %d is %s, not a number", (int)i, luaL_typename(L, -1)));
      *(*p)++ = (float)v;
    }
    lua_pop(L, 1);
  }
}

/* rh.tensor{{1,2},{3,4}} or rh.tensor{1,2,3} or rh.tensor(5) (a scalar tensor) */
static int l_tensor(lua_State *L) {
  if (lua_type(L, 1) == LUA_TNUMBER) {
    rh_tensor *t = rhL_newtensor(L, 0, NULL, RH_CPU);
    rh_data(t)[0] = (float)lua_tonumber(L, 1);
    return 1;
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  int64_t size[RH_MAXDIM];
  int ndim = table_shape(L, 1, size, 0);
  rh_tensor *t = rhL_newtensor(L, ndim, size, RH_CPU);
  float *p = rh_data(t);
  table_fill(L, 1, size, ndim, 0, &p);
  rh_device dev = rhL_default_device();
  if (dev != RH_CPU) {
    rh_tensor *d = rhL_newtensor(L, ndim, size, dev);
    rhL_check(L, rh_copy(d, t), 0);
  }
  return 1;
}

/* ---- shape queries ---- */

static int t_shape(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  lua_createtable(L, t->ndim, 0);
  for (int d = 0; d < t->ndim; d++) {
    lua_pushinteger(L, t->size[d]);
    lua_rawseti(L, -2, d + 1);
  }
  return 1;
}

static int t_size(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  if (lua_isnoneornil(L, 2)) return t_shape(L);
  int d = rhL_checkdim(L, 2, t);
  lua_pushinteger(L, t->size[d]);
  return 1;
}

static int t_dim(lua_State *L) {
  lua_pushinteger(L, rhL_checktensor(L, 1)->ndim);
  return 1;
}

static int t_numel(lua_State *L) {
  lua_pushinteger(L, rh_numel(rhL_checktensor(L, 1)));
  return 1;
}

static int t_len(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  lua_pushinteger(L, t->ndim ? t->size[0] : 1);
  return 1;
}

static int t_device(lua_State *L) {
  lua_pushstring(L, rh_dev(rhL_checktensor(L, 1)) == RH_CPU ? "cpu" : "cuda");
  return 1;
}

static int t_is_contiguous(lua_State *L) {
  lua_pushboolean(L, rh_is_contiguous(rhL_checktensor(L, 1)));
  return 1;
}

/* ---- element access ---- */

/* Offset of the element at 1-based indices in args 2..ndim+1. */
static int64_t element_offset(lua_State *L, const rh_tensor *t, int first) {
  int nidx = lua_gettop(L) - first + 1;
  if (nidx < t->ndim)
    luaL_error(L, "bad argument #%d: %d indices given for a %d-D tensor", first - 1, nidx, t->ndim);
  int64_t off = t->offset;
  for (int d = 0; d < t->ndim; d++) {
    lua_Integer i = luaL_checkinteger(L, first + d);
    if (i < 1 || i > t->size[d])
      luaL_argerror(L, first + d,
                    lua_pushfstring(L, "index %I out of range 1..%I in dim %d", (LUAI_UACINT)i, (LUAI_UACINT)t->size[d], d + 1));
    off += (i - 1) * t->stride[d];
  }
  return off;
}

static float read_elem(lua_State *L, const rh_tensor *t, int64_t off) {
  if (rh_dev(t) == RH_CPU) return t->storage->data[off];
  float v;
  rhL_check(L, rh_cuda_memcpy(&v, RH_CPU, t->storage->data + off, RH_CUDA, sizeof v), 0);
  return v;
}

/* t:get(i, j, ...) -> number */
static int t_get(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  int64_t off = element_offset(L, t, 2);
  lua_pushnumber(L, read_elem(L, t, off));
  return 1;
}

/* t:set(i, j, ..., v) */
static int t_set(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  int top = lua_gettop(L);
  if (top != t->ndim + 2)
    return luaL_error(L, "bad argument to 'set' (%d indices and a value expected for a %d-D tensor)", t->ndim, t->ndim);
  float v = (float)luaL_checknumber(L, top);
  lua_settop(L, top - 1);
  int64_t off = element_offset(L, t, 2);
  if (rh_dev(t) == RH_CPU)
    t->storage->data[off] = v;
  else
    rhL_check(L, rh_cuda_memcpy(t->storage->data + off, RH_CUDA, &v, RH_CPU, sizeof v), 0);
  lua_settop(L, 1);
  return 1;
}

/* t:item() -> the value of a one-element tensor */
static int t_item(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  if (rh_numel(t) != 1) {
    char b[64];
    return luaL_argerror(L, 1, lua_pushfstring(L, "item needs a one-element tensor, got %s", rh_shape_str(t, b, sizeof b)));
  }
  int64_t off = t->offset;
  lua_pushnumber(L, read_elem(L, t, off));
  return 1;
}

/* ---- views ----
 * A view retains its storage, so it is made into a userdata pushed first (lua's liolib.c
 * newprefile order): from the retain on, a collectable object owns it, and a failure
 * anywhere after (or the userdata's own allocation before) strands nothing. A refused
 * view leaves the header empty. */

static int view_made(lua_State *L, rh_status st, int arg) {
  rhL_check(L, st, arg);
  rhL_account(L);
  return 1;
}

/* t:select(dim, i) and t[i] (dim 1) */
static int t_select(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  int d = rhL_checkdim(L, 2, t);
  lua_Integer i = luaL_checkinteger(L, 3);
  if (i < 1 || i > t->size[d])
    return luaL_argerror(L, 3, lua_pushfstring(L, "index %I out of range 1..%I", (LUAI_UACINT)i, (LUAI_UACINT)t->size[d]));
  rh_tensor *v = rhL_pushempty(L);
  return view_made(L, rh_view_select(v, t, d, (int64_t)i - 1), 3);
}

static int t_narrow(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  int d = rhL_checkdim(L, 2, t);
  lua_Integer start = luaL_checkinteger(L, 3);
  lua_Integer len = luaL_checkinteger(L, 4);
  if (start < 1) /* before the 0-based start - 1, which would wrap for math.mininteger */
    return luaL_argerror(L, 3, lua_pushfstring(L, "start %I out of range 1..%I", (LUAI_UACINT)start, (LUAI_UACINT)t->size[d]));
  rh_tensor *v = rhL_pushempty(L);
  return view_made(L, rh_view_narrow(v, t, d, (int64_t)start - 1, (int64_t)len), 3);
}

static int t_transpose(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  int d0 = 0, d1 = 1;
  if (!lua_isnoneornil(L, 2)) {
    d0 = rhL_checkdim(L, 2, t);
    d1 = rhL_checkdim(L, 3, t);
  } else if (t->ndim == 1) {
    lua_settop(L, 1); /* transpose of a vector is itself */
    return 1;
  } else if (t->ndim != 2) {
    return luaL_argerror(L, 1, "t() needs a 2-D tensor (give two dims for others)");
  }
  rh_tensor *v = rhL_pushempty(L);
  return view_made(L, rh_view_transpose(v, t, d0, d1), 1);
}

/* t:view(r, c, ...) or t:view{r, c}; one size may be -1 (inferred). */
static int t_view(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  int64_t size[RH_MAXDIM];
  int ndim = 0;
  if (lua_istable(L, 2)) {
    lua_Integer len = luaL_len(L, 2);
    if (len > RH_MAXDIM) return luaL_argerror(L, 2, "at most 4 dims");
    ndim = (int)len;
    for (int d = 0; d < ndim; d++) {
      lua_geti(L, 2, d + 1);
      int ok;
      size[d] = (int64_t)lua_tointegerx(L, -1, &ok);
      if (!ok) return luaL_argerror(L, 2, lua_pushfstring(L, "size %d is not an integer", d + 1));
      lua_pop(L, 1);
    }
  } else {
    int top = lua_gettop(L);
    if (top - 1 > RH_MAXDIM) return luaL_argerror(L, 2, "at most 4 dims");
    for (int i = 2; i <= top; i++) size[ndim++] = (int64_t)luaL_checkinteger(L, i);
  }
  rhL_check(L, rh_shape_infer(ndim, size, rh_numel(t)), 2);
  rh_tensor *v = rhL_pushempty(L);
  return view_made(L, rh_view_reshape(v, t, ndim, size), 2);
}

/* t:reshape(...) - a view when contiguous, else a contiguous copy reshaped. */
static int t_reshape(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  if (!rh_is_contiguous(t)) {
    rh_tensor *c = rhL_newlike(L, t);
    rhL_check(L, rh_copy(c, t), 1);
    lua_replace(L, 1);
  }
  return t_view(L);
}

static int t_index_get(lua_State *L) {
  if (lua_type(L, 2) == LUA_TNUMBER) {
    rh_tensor *t = rhL_checktensor(L, 1);
    int isint;
    lua_Integer i = lua_tointegerx(L, 2, &isint);
    if (!isint) return luaL_argerror(L, 2, lua_pushfstring(L, "index %f is not an integer", lua_tonumber(L, 2)));
    if (t->ndim == 0) return luaL_argerror(L, 2, "cannot index a scalar tensor");
    if (i < 1 || i > t->size[0])
      return luaL_argerror(L, 2, lua_pushfstring(L, "index %I out of range 1..%I", (LUAI_UACINT)i, (LUAI_UACINT)t->size[0]));
    if (t->ndim == 1) {
      lua_pushnumber(L, read_elem(L, t, t->offset + (i - 1) * t->stride[0]));
      return 1;
    }
    rh_tensor *v = rhL_pushempty(L);
    return view_made(L, rh_view_select(v, t, 0, (int64_t)i - 1), 2);
  }
  /* methods: the metatable is this closure's upvalue */
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  return 1;
}

/* t[i] = v (1-D: element; n-D: fill the row with a number or copy a tensor into it).
 * The value is checked before the row view is made, and the view is made into a userdata
 * pushed first (see the views above): a refused value used to leave the view's retain
 * behind, and with it the whole of t's storage. */
static int t_index_set(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  lua_Integer i = luaL_checkinteger(L, 2);
  if (t->ndim == 0) return luaL_argerror(L, 2, "cannot index a scalar tensor");
  if (i < 1 || i > t->size[0])
    return luaL_argerror(L, 2, lua_pushfstring(L, "index %I out of range 1..%I", (LUAI_UACINT)i, (LUAI_UACINT)t->size[0]));
  const rh_tensor *src = lua_type(L, 3) == LUA_TNUMBER ? NULL : rhL_checktensor(L, 3);
  rh_tensor *row = rhL_pushempty(L);
  rhL_check(L, rh_view_select(row, t, 0, (int64_t)i - 1), 2);
  rh_status st = src ? rh_copy(row, src) : rh_fill(row, (float)lua_tonumber(L, 3));
  rh_tensor_release(row); /* now, rather than when the collector finds the userdata */
  rhL_check(L, st, 3);
  return 0;
}

static int t_clone(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  rh_tensor *c = rhL_newlike(L, t);
  rhL_check(L, rh_copy(c, t), 1);
  return 1;
}

static int t_contiguous(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  if (rh_is_contiguous(t)) {
    lua_settop(L, 1);
    return 1;
  }
  return t_clone(L);
}

/* t:copy(src): element count must match */
static int t_copy(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  rh_tensor *s = rhL_checktensor(L, 2);
  rhL_check(L, rh_copy(t, s), 2);
  lua_settop(L, 1);
  return 1;
}

static int t_fill(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  float v = (float)luaL_checknumber(L, 2);
  rhL_check(L, rh_fill(t, v), 0);
  lua_settop(L, 1);
  return 1;
}

static int t_zero(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  rhL_check(L, rh_fill(t, 0.0f), 0);
  lua_settop(L, 1);
  return 1;
}

/* t:fill_uniform(lo, hi) / t:fill_normal(mean, std): in place, from rh.seed's stream */
static int t_fill_uniform(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  float lo = (float)luaL_checknumber(L, 2), hi = (float)luaL_checknumber(L, 3);
  rhL_check(L, rh_fill_rand(t, rhL_rng(), lo, hi), 1);
  lua_settop(L, 1);
  return 1;
}

static int t_fill_normal(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  float sd = (float)luaL_checknumber(L, 3);
  if (sd < 0) return luaL_argerror(L, 3, "standard deviation must be >= 0");
  rhL_check(L, rh_fill_randn(t, rhL_rng(), (float)luaL_checknumber(L, 2), sd), 1);
  lua_settop(L, 1);
  return 1;
}

/* t:same_storage(u) -> true when t and u view one storage (parameter identity checks) */
static int t_same_storage(lua_State *L) {
  lua_pushboolean(L, rhL_checktensor(L, 1)->storage == rhL_checktensor(L, 2)->storage);
  return 1;
}

/* t:to("cuda"|"cpu") -> the same tensor when already there, else a copy on that device */
static int t_to(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  rh_device d = rhL_checkdevice(L, 2);
  if (d == rh_dev(t)) {
    lua_settop(L, 1);
    return 1;
  }
  rhL_pushcontiguous(L, t, d, 2);
  return 1;
}

/* t:release(): frees the storage now (the tensor is unusable afterwards). Also __close. */
static int t_release(lua_State *L) { return t_gc(L); }

static const luaL_Reg tensor_methods[] = {
    {"shape", t_shape},   {"size", t_size},         {"dim", t_dim},       {"numel", t_numel},
    {"device", t_device}, {"is_contiguous", t_is_contiguous},
    {"get", t_get},       {"set", t_set},           {"item", t_item},     {"select", t_select},
    {"narrow", t_narrow}, {"t", t_transpose},       {"transpose", t_transpose},
    {"view", t_view},     {"reshape", t_reshape},   {"clone", t_clone},   {"contiguous", t_contiguous},
    {"copy", t_copy},     {"fill", t_fill},         {"zero", t_zero},     {"to", t_to},
    {"release", t_release},
    {"fill_uniform", t_fill_uniform}, {"fill_normal", t_fill_normal},
    {"new_empty", t_new_empty},       {"same_storage", t_same_storage},
    {NULL, NULL}};

static const luaL_Reg tensor_meta[] = {{"__gc", t_gc}, {"__close", t_gc}, {"__len", t_len},
                                       {"__newindex", t_index_set}, {NULL, NULL}};

static const luaL_Reg tensor_fns[] = {{"zeros", l_zeros}, {"ones", l_ones},   {"empty", l_empty},
                                      {"full", l_full},   {"rand", l_rand},   {"randn", l_randn},
                                      {"eye", l_eye},     {"arange", l_arange}, {"tensor", l_tensor},
                                      {"zeros_like", l_zeros_like}, {NULL, NULL}};

void rhb_open_tensor(lua_State *L) {
  luaL_newmetatable(L, RH_TENSOR_MT);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &rhL_tensor_key); /* rhL_checktensor's fast lookup */
  luaL_setfuncs(L, tensor_meta, 0);
  lua_pushvalue(L, -1);
  lua_pushcclosure(L, t_index_get, 1); /* __index finds methods in its upvalue, the metatable */
  lua_setfield(L, -2, "__index");
  luaL_setfuncs(L, tensor_methods, 0);
  lua_pushliteral(L, "Tensor");
  lua_setfield(L, -2, "__name");
  tensor_math_register(L); /* arithmetic, reductions, math (tensor_math.c) */
  tensor_io_register(L);   /* tostring, totable (tensor_io.c) */
  lua_pop(L, 1);
  luaL_setfuncs(L, tensor_fns, 0);
  tensor_math_open(L); /* rh.matmul etc. */
  luaL_getmetatable(L, RH_TENSOR_MT);
  lua_setfield(L, -2, "Tensor");
}
