/* linalg.c - the Lua face of kernels/linalg.h and kernels/rank.h: rh.linalg (svdvals, svd,
 * norm, qr_pivoted, lstsq) and the C half of rh.rank (the singular values every measure
 * reads, and each C measure from them). The registry of measures and the Lua half of
 * rh.rank (all, network, spectra_writer) are bindings/lua/rank.lua. */
#include <math.h>
#include <string.h>

#include "cuda/device.h"
#include "linalg.h"
#include "rank.h"
#include "rh_lua.h"

static int64_t kdim(const rh_tensor *w) { return w->size[0] < w->size[1] ? w->size[0] : w->size[1]; }

/* ---- rh.linalg ---- */

static int l_svdvals(lua_State *L) {
  rh_tensor *w = rhL_checktensor(L, 1);
  rhL_check(L, rh_check_2d(w, "svdvals input"), 1);
  int64_t k = kdim(w);
  rh_tensor *s = rhL_newtensor(L, 1, &k, rh_dev(w));
  rhL_check(L, rh_svdvals(s, w), 1);
  return 1;
}

static int l_svd(lua_State *L) {
  rh_tensor *w = rhL_checktensor(L, 1);
  rhL_check(L, rh_check_2d(w, "svd input"), 1);
  const int64_t m = w->size[0], n = w->size[1], k = kdim(w);
  rh_tensor *u = rhL_newtensor2(L, m, k, rh_dev(w));
  rh_tensor *s = rhL_newtensor(L, 1, &k, rh_dev(w));
  rh_tensor *vt = rhL_newtensor2(L, k, n, rh_dev(w));
  rhL_check(L, rh_svd(u, s, vt, w), 1);
  return 3;
}

static int l_norm(lua_State *L) {
  rh_tensor *w = rhL_checktensor(L, 1);
  rh_norm_kind kind = RH_NORM_FRO;
  if (lua_type(L, 2) == LUA_TNUMBER) {
    if (lua_tonumber(L, 2) != 2) return luaL_argerror(L, 2, "norm must be 'fro', 2 or 'nuc'");
    kind = RH_NORM_SPECTRAL;
  } else if (!lua_isnoneornil(L, 2)) {
    static const char *const names[] = {"fro", "2", "nuc", NULL};
    kind = (rh_norm_kind)luaL_checkoption(L, 2, NULL, names);
  }
  double v = 0;
  rhL_check(L, rh_norm(w, kind, &v), 1);
  lua_pushnumber(L, v);
  return 1;
}

/* rh.linalg.qr_pivoted(W) -> Q (m x k), R (k x n), perm (table of n 1-based column indices) */
static int l_qr_pivoted(lua_State *L) {
  rh_tensor *w = rhL_checktensor(L, 1);
  rhL_check(L, rh_check_2d(w, "qr_pivoted input"), 1);
  const int64_t m = w->size[0], n = w->size[1], k = kdim(w);
  int64_t *perm = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *perm, 0); /* collected with the call */
  rh_tensor *q = rhL_newtensor2(L, m, k, RH_CPU);
  rh_tensor *r = rhL_newtensor2(L, k, n, RH_CPU);
  rhL_check(L, rh_qr_pivoted(q, r, perm, w), 1);
  lua_createtable(L, (int)n, 0);
  for (int64_t j = 0; j < n; j++) {
    lua_pushinteger(L, (lua_Integer)perm[j] + 1);
    lua_rawseti(L, -2, (lua_Integer)j + 1);
  }
  return 3;
}

/* rh.linalg.lstsq(A, B [, rcond]) -> X, rank */
static int l_lstsq(lua_State *L) {
  rh_tensor *a = rhL_checktensor(L, 1), *b = rhL_checktensor(L, 2);
  rhL_samedevice(L, a, b, 2);
  double rcond = luaL_optnumber(L, 3, -1.0);
  if (!lua_isnoneornil(L, 3) && !(rcond >= 0)) return luaL_argerror(L, 3, "rcond must be >= 0");
  rhL_check(L, rh_check_2d(a, "A"), 1);
  if (b->ndim < 1 || b->ndim > 2) return luaL_argerror(L, 2, "B must be a 1-D or 2-D tensor");
  int64_t size[2] = {a->size[1], b->ndim == 2 ? b->size[1] : 1};
  rh_tensor *x = rhL_newtensor(L, b->ndim, size, RH_CPU);
  int64_t rank = 0;
  rh_status st = rh_lstsq(x, a, b, rcond, &rank);
  rhL_check(L, st, st == RH_ESHAPE && a->size[0] != b->size[0] ? 2 : 1);
  lua_pushinteger(L, (lua_Integer)rank);
  return 2;
}

/* ---- rh.rank: the C half of the measure registry (bindings/lua/rank.lua) ----
 * The registry in Lua declares each measure once (name, definition, parameters, their
 * checks, scale invariance) and calls these two functions: rank._svals gives the one
 * vector of singular values every measure reads, rank._measure computes one measure of
 * kernels/rank.c from it. */

/* An error about argument 1 of the user's call `fname`, in luaL_argerror's format, at the
 * position of that call (level 2: the registry's function is level 1). */
static int argfail(lua_State *L, const char *fname, const char *msg) {
  luaL_where(L, 2);
  lua_pushfstring(L, "bad argument #1 to '%s' (%s)", fname, msg);
  lua_concat(L, 2);
  return lua_error(L);
}

/* rank._svals(fname, M [, shape]) -> s, m, n: the singular values of M (a 2-D matrix: one
 * SVD) or M itself (a 1-D tensor of singular values, of a matrix of `shape` {m, n}, default
 * k x k) as a contiguous CPU tensor, descending (a sorted copy when M is not), every value
 * checked finite and >= 0. Errors name argument 1 of fname. */
static int l_svals(lua_State *L) {
  const char *fname = luaL_checkstring(L, 1);
  rh_tensor *w = rhL_totensor(L, 2);
  char b[64];
  if (!w) return argfail(L, fname, lua_pushfstring(L, "tensor expected, got %s", luaL_typename(L, 2)));
  if (!w->storage) return argfail(L, fname, "tensor has been released");
  int64_t m, n, k;
  rh_tensor *s;
  if (w->ndim == 2) {
    rh_status st = rh_check_2d(w, "input");
    if (st != RH_OK) return argfail(L, fname, rhL_detail(st));
    if (w->size[0] == 0 || w->size[1] == 0)
      return argfail(L, fname, lua_pushfstring(L, "matrix is empty (%s)", rh_shape_str(w, b, sizeof b)));
    k = kdim(w);
    m = w->size[0], n = w->size[1];
    s = rhL_newtensor(L, 1, &k, RH_CPU);
    st = rh_svdvals_host(rh_data(s), w);
    if (st != RH_OK) return argfail(L, fname, rhL_detail(st));
  } else if (w->ndim == 1) {
    k = w->size[0];
    if (k == 0) return argfail(L, fname, "no singular values (empty tensor)");
    m = n = k;
    if (lua_istable(L, 3)) {
      lua_geti(L, 3, 1);
      lua_geti(L, 3, 2);
      if (!lua_isinteger(L, -2) || !lua_isinteger(L, -1))
        return luaL_error(L, "bad argument #2 to '%s' (field 'shape' must be a table {rows, cols} of integers)", fname);
      /* (luaL_error's position is the registry's line; these name the option, which suffices) */
      m = (int64_t)lua_tointeger(L, -2), n = (int64_t)lua_tointeger(L, -1);
      lua_pop(L, 2);
    } else if (!lua_isnoneornil(L, 3)) {
      return luaL_error(L, "bad argument #2 to '%s' (field 'shape' must be a table {rows, cols})", fname);
    }
    if (m < k || n < k)
      return argfail(L, fname, lua_pushfstring(L, "a %dx%d matrix cannot have %d singular values", (int)m, (int)n, (int)k));
    if (rh_dev(w) == RH_CPU && rh_is_contiguous(w)) {
      lua_pushvalue(L, 2);
      s = w;
    } else {
      s = rhL_newtensor(L, 1, &k, RH_CPU);
      rhL_check(L, rh_copy(s, w), 2);
    }
  } else {
    return argfail(L, fname, lua_pushfstring(L, "expected a 2-D matrix or a 1-D tensor of singular values, got %s",
                                             rh_shape_str(w, b, sizeof b)));
  }
  float *v = rh_data(s);
  int sorted = 1;
  for (int64_t i = 0; i < k; i++) {
    if (!isfinite(v[i]) || v[i] < 0)
      return argfail(L, fname, lua_pushfstring(L, "singular value %d is %f; they must be finite and >= 0", (int)(i + 1),
                                               (double)v[i]));
    if (i > 0 && v[i] > v[i - 1]) sorted = 0;
  }
  if (!sorted) { /* a sorted copy: the caller's tensor is never modified */
    rh_tensor *c = rhL_newtensor(L, 1, &k, RH_CPU);
    float *cv = rh_data(c);
    memcpy(cv, v, (size_t)k * sizeof *cv);
    for (int64_t i = 1; i < k; i++) { /* insertion sort, descending: k is a layer's width */
      float x = cv[i];
      int64_t j = i;
      for (; j > 0 && cv[j - 1] < x; j--) cv[j] = cv[j - 1];
      cv[j] = x;
    }
    s = c;
  }
  lua_pushinteger(L, (lua_Integer)m);
  lua_pushinteger(L, (lua_Integer)n);
  return 3;
}

/* rank._measure(name, s, m, n [, p1, p2, p3]) -> value [, aux...]: one measure of the
 * descending singular values s (from rank._svals) with its parameters, checked by the
 * registry (a failed kernel check is still an error). */
static int l_measure(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  rh_tensor *t = rhL_checktensor(L, 2);
  int64_t m = (int64_t)luaL_checkinteger(L, 3), n = (int64_t)luaL_checkinteger(L, 4), k = t->size[0];
  if (t->ndim != 1 || rh_dev(t) != RH_CPU || !rh_is_contiguous(t)) return luaL_argerror(L, 2, "1-D CPU tensor expected");
  const float *s = rh_data(t);
  double p1 = luaL_optnumber(L, 5, -1), p2 = luaL_optnumber(L, 6, -1), p3 = luaL_optnumber(L, 7, -1);
  double aux = 0, aux2 = 0;
  int64_t r = 0;
  if (strcmp(name, "summary") == 0 || strcmp(name, "numerical") == 0 || strcmp(name, "relative") == 0 ||
      strcmp(name, "effective") == 0 || strcmp(name, "stable") == 0 || strcmp(name, "energy") == 0) {
    rh_rank_opts o = rh_rank_defaults();
    if (strcmp(name, "numerical") == 0) o.tol = p1, o.rtol = p2;
    if (strcmp(name, "relative") == 0) o.relative_tol = p1;
    if (strcmp(name, "energy") == 0) o.energy_tau = p1;
    rh_rank_result res;
    rhL_check(L, rh_rank_measures(s, k, m, n, &o, &res), 0);
    switch (name[0]) {
    case 'n': lua_pushinteger(L, (lua_Integer)res.numerical), lua_pushnumber(L, res.tol_used), lua_pushnumber(L, res.rtol_used); return 3;
    case 'r': lua_pushinteger(L, (lua_Integer)res.relative); return 1;
    case 'e': if (name[1] == 'f') lua_pushnumber(L, res.effective); else lua_pushinteger(L, (lua_Integer)res.energy); return 1;
    case 's':
      if (name[1] == 't') { lua_pushnumber(L, res.stable); return 1; }
      lua_pushnumber(L, res.smax), lua_pushnumber(L, res.fro), lua_pushnumber(L, res.nuclear);
      return 3;
    }
  }
  if (strcmp(name, "gavish_donoho") == 0) {
    rhL_check(L, rh_rank_gavish_donoho(s, k, m, n, &aux, &r), 0);
  } else if (strcmp(name, "spikes") == 0) {
    rhL_check(L, rh_rank_spikes(s, k, m, n, p1, &aux2, &aux, &r), 0);
    lua_pushinteger(L, (lua_Integer)r), lua_pushnumber(L, aux), lua_pushnumber(L, aux2);
    return 3;
  } else if (strcmp(name, "gap") == 0) {
    rhL_check(L, rh_rank_gap(s, k, p1, &aux, &r), 0);
  } else if (strcmp(name, "gap_full") == 0) {
    rhL_check(L, rh_rank_gap_full(s, k, p1, &aux, &r), 0);
  } else if (strcmp(name, "floor") == 0) {
    rhL_check(L, rh_rank_floor(s, k, p1, p2, p3, &aux, &r), 0);
  } else {
    return luaL_argerror(L, 1, lua_pushfstring(L, "no C measure '%s'", name));
  }
  lua_pushinteger(L, (lua_Integer)r), lua_pushnumber(L, aux);
  return 2;
}

/* rank._mp_quantile(beta, q): the Marchenko-Pastur quantile (for tests and the docs). */
static int l_mp_quantile(lua_State *L) {
  lua_pushnumber(L, rh_mp_quantile(luaL_checknumber(L, 1), luaL_checknumber(L, 2)));
  return 1;
}

void rhb_open_linalg(lua_State *L) {
  static const luaL_Reg linalg[] = {{"svdvals", l_svdvals}, {"svd", l_svd}, {"norm", l_norm},
                                    {"qr_pivoted", l_qr_pivoted}, {"lstsq", l_lstsq}, {NULL, NULL}};
  static const luaL_Reg rank[] = {{"_svals", l_svals}, {"_measure", l_measure}, {"_mp_quantile", l_mp_quantile},
                                  {NULL, NULL}};
  luaL_newlib(L, linalg);
  lua_setfield(L, -2, "linalg");
  luaL_newlib(L, rank);
  lua_setfield(L, -2, "rank");
}
