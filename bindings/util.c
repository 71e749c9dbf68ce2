/* util.c - the tensor userdata, argument checks and error reporting shared by bindings. */
#include <stdarg.h>
#include <string.h>

#include "rh_lua.h"

/* The tensor metatable, kept in the registry under this address as well as under its name:
 * a lookup by address skips hashing and comparing the name (a tensor is checked a few
 * dozen times per training step). */
char rhL_tensor_key;

rh_tensor *rhL_totensor(lua_State *L, int idx) {
  void *p = lua_touserdata(L, idx);
  if (!p || !lua_getmetatable(L, idx)) return NULL;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &rhL_tensor_key);
  int same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same ? p : NULL;
}

rh_tensor *rhL_checktensor(lua_State *L, int idx) {
  rh_tensor *t = rhL_totensor(L, idx);
  if (!t) {
    const char *msg = lua_pushfstring(L, "tensor expected, got %s", luaL_typename(L, idx));
    luaL_argerror(L, idx, msg);
  }
  if (!t->storage) luaL_argerror(L, idx, "tensor has been released");
  return t;
}

rh_tensor *rhL_pushempty(lua_State *L) {
  rh_tensor *t = lua_newuserdatauv(L, sizeof(rh_tensor), 0);
  memset(t, 0, sizeof *t);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &rhL_tensor_key);
  lua_setmetatable(L, -2);
  return t;
}

void rhL_account(lua_State *L) {
  static uint64_t seen[2];
  for (int d = 0; d < 2; d++) {
    uint64_t now = rh_storage_total_bytes((rh_device)d);
    if (now - seen[d] >= 64 * 1024) {
      int kb = (int)((now - seen[d]) / 1024);
      seen[d] = now;
      lua_gc(L, LUA_GCSTEP, kb);
    }
  }
}

int rhL_collect_for(lua_State *L, rh_status st) {
  if (st != RH_ENOMEM) return 0;
  lua_gc(L, LUA_GCCOLLECT, 0); /* memory held by unreachable tensors */
  return 1;
}

rh_tensor *rhL_newtensor(lua_State *L, int ndim, const int64_t *size, rh_device dev) {
  rh_tensor *t = rhL_pushempty(L);
  rh_status st = rh_tensor_new(t, ndim, size, dev);
  if (rhL_collect_for(L, st)) st = rh_tensor_new(t, ndim, size, dev);
  rhL_check(L, st, 0);
  rhL_account(L);
  return t;
}

rh_tensor *rhL_newtensor2(lua_State *L, int64_t rows, int64_t cols, rh_device dev) {
  int64_t sz[2] = {rows, cols};
  return rhL_newtensor(L, 2, sz, dev);
}

rh_tensor *rhL_newlike(lua_State *L, const rh_tensor *like) {
  return rhL_newtensor(L, like->ndim, like->size, rh_dev(like));
}

rh_tensor *rhL_pushcontiguous(lua_State *L, const rh_tensor *t, rh_device dev, int arg) {
  rh_tensor *c = rhL_pushempty(L); /* first: it owns the copy (or the share) from the start */
  rh_status st = rh_contiguous_on(c, t, dev);
  if (rhL_collect_for(L, st)) st = rh_contiguous_on(c, t, dev);
  rhL_check(L, st, arg);
  rhL_account(L);
  return c;
}

static const char *current_fname(lua_State *L) {
  lua_Debug ar;
  if (lua_getstack(L, 0, &ar)) {
    lua_getinfo(L, "n", &ar);
    if (ar.name) return ar.name;
  }
  return "?";
}

int rhL_error(lua_State *L, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  luaL_where(L, 1);
  lua_pushfstring(L, "%s: ", current_fname(L));
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  lua_concat(L, 3);
  return lua_error(L);
}

const char *rhL_detail(rh_status st) {
  const char *detail = rh_error();
  return detail[0] ? detail : rh_status_name(st);
}

void rhL_check(lua_State *L, rh_status st, int arg) {
  if (st == RH_OK) return;
  const char *detail = rhL_detail(st);
  if (arg > 0)
    luaL_argerror(L, arg, detail);
  else
    rhL_error(L, "%s", detail);
}

void rhL_samedevice(lua_State *L, const rh_tensor *a, const rh_tensor *b, int arg) {
  if (rh_dev(a) != rh_dev(b))
    luaL_argerror(L, arg, lua_pushfstring(L, "tensors on different devices (%s and %s)",
                                          rh_dev(a) == RH_CPU ? "cpu" : "cuda", rh_dev(b) == RH_CPU ? "cpu" : "cuda"));
}

int64_t rhL_checksize(lua_State *L, int arg) {
  lua_Integer n = luaL_checkinteger(L, arg);
  if (n < 0) luaL_argerror(L, arg, lua_pushfstring(L, "size must be >= 0, got %I", (LUAI_UACINT)n));
  return (int64_t)n;
}

int rhL_checkdim(lua_State *L, int arg, const rh_tensor *t) {
  lua_Integer d = luaL_checkinteger(L, arg);
  if (d < 0) d += t->ndim + 1;
  if (d < 1 || d > t->ndim)
    luaL_argerror(L, arg, lua_pushfstring(L, "dim %I out of range for a %d-D tensor", (LUAI_UACINT)d, t->ndim));
  return (int)d - 1;
}

int rhL_checkshape(lua_State *L, int idx, int64_t *size) {
  int ndim = 0;
  if (lua_istable(L, idx)) {
    lua_Integer len = luaL_len(L, idx);
    if (len > RH_MAXDIM) luaL_argerror(L, idx, lua_pushfstring(L, "at most %d dims, got %I", RH_MAXDIM, (LUAI_UACINT)len));
    ndim = (int)len;
    for (int d = 0; d < ndim; d++) {
      lua_geti(L, idx, d + 1);
      int ok;
      lua_Integer n = lua_tointegerx(L, -1, &ok);
      lua_pop(L, 1);
      if (!ok) luaL_argerror(L, idx, lua_pushfstring(L, "size %d is not an integer", d + 1));
      if (n < 0) luaL_argerror(L, idx, lua_pushfstring(L, "size must be >= 0, got %I", (LUAI_UACINT)n));
      size[d] = n;
    }
    return ndim;
  }
  int top = lua_gettop(L);
  for (int i = idx; i <= top && lua_type(L, i) == LUA_TNUMBER; i++) {
    if (ndim == RH_MAXDIM) luaL_argerror(L, i, lua_pushfstring(L, "at most %d dims", RH_MAXDIM));
    size[ndim++] = rhL_checksize(L, i);
  }
  if (ndim == 0) luaL_argerror(L, idx, "shape expected (sizes or a table of sizes)");
  return ndim;
}

rh_device rhL_checkdevice(lua_State *L, int arg) {
  static const char *const names[] = {"cpu", "cuda", NULL};
  return (rh_device)luaL_checkoption(L, arg, NULL, names);
}

lua_Number rhL_optnumfield(lua_State *L, int t, const char *k, lua_Number def) {
  if (lua_isnoneornil(L, t)) return def;
  lua_getfield(L, t, k);
  lua_Number v = def;
  if (!lua_isnil(L, -1)) {
    int ok;
    v = lua_tonumberx(L, -1, &ok);
    if (!ok) luaL_argerror(L, t, lua_pushfstring(L, "field '%s' must be a number, got %s", k, luaL_typename(L, -1)));
  }
  lua_pop(L, 1);
  return v;
}

lua_Integer rhL_optintfield(lua_State *L, int t, const char *k, lua_Integer def) {
  if (lua_isnoneornil(L, t)) return def;
  lua_getfield(L, t, k);
  lua_Integer v = def;
  if (!lua_isnil(L, -1)) {
    int ok;
    v = lua_tointegerx(L, -1, &ok);
    if (!ok) luaL_argerror(L, t, lua_pushfstring(L, "field '%s' must be an integer, got %s", k, luaL_typename(L, -1)));
  }
  lua_pop(L, 1);
  return v;
}

int rhL_optboolfield(lua_State *L, int t, const char *k, int def) {
  if (lua_isnoneornil(L, t)) return def;
  lua_getfield(L, t, k);
  int v = lua_isnil(L, -1) ? def : lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

void rhL_gcmeta(lua_State *L, const char *name, lua_CFunction gc) {
  luaL_newmetatable(L, name);
  lua_pushcfunction(L, gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
}
