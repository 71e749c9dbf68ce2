/* linalg.c - the Lua face of kernels/linalg.h and kernels/rank.h: rh.linalg (svdvals, svd,
 * norm, qr_pivoted, lstsq) and the C half of rh.rank (numerical, relative, effective,
 * stable, energy, all). The Lua half of rh.rank (network, spectra_writer) is
 * bindings/lua/rank.lua. */
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

/* ---- rh.rank: options ---- */

/* A number field of the options table at idx: *v set and 1 returned when present. */
static int numfield(lua_State *L, int idx, const char *k, double *v) {
  if (!lua_istable(L, idx)) return 0;
  lua_getfield(L, idx, k);
  int present = !lua_isnil(L, -1);
  if (present) {
    if (lua_type(L, -1) != LUA_TNUMBER)
      luaL_argerror(L, idx, lua_pushfstring(L, "field '%s' must be a number, got %s", k, luaL_typename(L, -1)));
    *v = lua_tonumber(L, -1);
    if (!(*v >= 0)) luaL_argerror(L, idx, lua_pushfstring(L, "field '%s' must be >= 0, got %f", k, *v));
  }
  lua_pop(L, 1);
  return present;
}

/* Options at idx: a table {tol=, rtol=, relative_tol=, energy_tau=, tau=} or, for the
 * one-tolerance functions, a bare number naming `bare` ("tol", "relative_tol", "energy_tau"). */
static rh_rank_opts checkopts(lua_State *L, int idx, const char *bare) {
  rh_rank_opts o = rh_rank_defaults();
  if (lua_isnoneornil(L, idx)) return o;
  if (lua_type(L, idx) == LUA_TNUMBER && bare) {
    double v = lua_tonumber(L, idx);
    if (strcmp(bare, "energy_tau") == 0) o.energy_tau = v;
    else if (!(v >= 0)) luaL_argerror(L, idx, lua_pushfstring(L, "tolerance must be >= 0, got %f", v));
    else if (strcmp(bare, "tol") == 0) o.tol = v;
    else o.relative_tol = v;
  } else {
    luaL_checktype(L, idx, LUA_TTABLE);
    static const char *const keys[] = {"tol", "rtol", "relative_tol", "energy_tau", "tau", "shape", NULL};
    rhL_checkoptions(L, idx, keys);
    numfield(L, idx, "tol", &o.tol);
    numfield(L, idx, "rtol", &o.rtol);
    /* relative() and energy() take their own tolerance as `tol` / `tau` too */
    if (bare && strcmp(bare, "relative_tol") == 0) numfield(L, idx, "tol", &o.relative_tol), o.tol = -1;
    numfield(L, idx, "relative_tol", &o.relative_tol);
    lua_getfield(L, idx, "energy_tau");
    if (lua_isnil(L, -1)) { lua_pop(L, 1); lua_getfield(L, idx, "tau"); }
    if (!lua_isnil(L, -1)) {
      if (lua_type(L, -1) != LUA_TNUMBER) luaL_argerror(L, idx, "field 'energy_tau' must be a number");
      o.energy_tau = lua_tonumber(L, -1);
    }
    lua_pop(L, 1);
  }
  rhL_check(L, rh_rank_check_opts(&o), idx);
  return o;
}

/* The matrix shape for numpy's tolerance when only singular values are given: opts.shape. */
static void optshape(lua_State *L, int idx, int64_t k, int64_t *m, int64_t *n) {
  *m = *n = k;
  if (!lua_istable(L, idx)) return;
  lua_getfield(L, idx, "shape");
  if (lua_istable(L, -1)) {
    lua_geti(L, -1, 1);
    lua_geti(L, -2, 2);
    *m = (int64_t)luaL_optinteger(L, -2, k);
    *n = (int64_t)luaL_optinteger(L, -1, k);
    lua_pop(L, 2);
  } else if (!lua_isnil(L, -1)) {
    luaL_argerror(L, idx, "field 'shape' must be a table {rows, cols}");
  }
  lua_pop(L, 1);
}

/* ---- rh.rank: singular values of argument 1 ---- */

/* Pushes a contiguous CPU tensor of argument 1's singular values (argument 1 itself when
 * it is already a contiguous CPU 1-D tensor) and returns it; sets the matrix shape. */
static rh_tensor *push_svals(lua_State *L, int optidx, int64_t *m, int64_t *n) {
  rh_tensor *w = rhL_checktensor(L, 1);
  char b[64];
  if (w->ndim == 2) {
    rhL_check(L, rh_check_2d(w, "input"), 1);
    if (w->size[0] == 0 || w->size[1] == 0)
      return luaL_argerror(L, 1, lua_pushfstring(L, "matrix is empty (%s)", rh_shape_str(w, b, sizeof b))), NULL;
    int64_t k = kdim(w);
    *m = w->size[0], *n = w->size[1];
    rh_tensor *s = rhL_newtensor(L, 1, &k, RH_CPU);
    rhL_check(L, rh_svdvals_host(rh_data(s), w), 1);
    return s;
  }
  if (w->ndim != 1)
    return luaL_argerror(L, 1, lua_pushfstring(L, "expected a 2-D matrix or a 1-D tensor of singular values, got %s",
                                               rh_shape_str(w, b, sizeof b))), NULL;
  if (w->size[0] == 0) return luaL_argerror(L, 1, "no singular values (empty tensor)"), NULL;
  optshape(L, optidx, w->size[0], m, n);
  if (rh_dev(w) == RH_CPU && rh_is_contiguous(w)) {
    lua_pushvalue(L, 1);
    return w;
  }
  rh_tensor *s = rhL_newtensor(L, 1, &w->size[0], RH_CPU);
  rhL_check(L, rh_copy(s, w), 1);
  return s;
}

static rh_rank_result measure(lua_State *L, const char *bare, rh_tensor **svals) {
  rh_rank_opts o = checkopts(L, 2, bare);
  int64_t m = 0, n = 0;
  rh_tensor *s = push_svals(L, 2, &m, &n);
  rh_rank_result r;
  rhL_check(L, rh_rank_measures(rh_data(s), s->size[0], m, n, &o, &r), 1);
  if (svals) *svals = s;
  return r;
}

static int l_numerical(lua_State *L) { lua_pushinteger(L, (lua_Integer)measure(L, "tol", NULL).numerical); return 1; }
static int l_relative(lua_State *L) { lua_pushinteger(L, (lua_Integer)measure(L, "relative_tol", NULL).relative); return 1; }
static int l_effective(lua_State *L) { lua_pushnumber(L, measure(L, NULL, NULL).effective); return 1; }
static int l_stable(lua_State *L) { lua_pushnumber(L, measure(L, NULL, NULL).stable); return 1; }
static int l_energy(lua_State *L) { lua_pushinteger(L, (lua_Integer)measure(L, "energy_tau", NULL).energy); return 1; }

static void setnum(lua_State *L, const char *k, double v) { lua_pushnumber(L, v); lua_setfield(L, -2, k); }
static void setint(lua_State *L, const char *k, int64_t v) { lua_pushinteger(L, (lua_Integer)v); lua_setfield(L, -2, k); }

/* rh.rank.all(W [, opts]) -> table: every measure from one SVD, and what they used */
static int l_all(lua_State *L) {
  rh_rank_opts o = checkopts(L, 2, NULL);
  rh_tensor *s = NULL;
  rh_rank_result r = measure(L, NULL, &s);
  int svals = lua_gettop(L);
  lua_createtable(L, 0, 16);
  setint(L, "numerical", r.numerical);
  setint(L, "relative", r.relative);
  setnum(L, "effective", r.effective);
  setnum(L, "stable", r.stable);
  setint(L, "energy", r.energy);
  lua_pushvalue(L, svals);
  lua_setfield(L, -2, "svals");
  lua_createtable(L, 2, 0);
  lua_pushinteger(L, (lua_Integer)r.m);
  lua_rawseti(L, -2, 1);
  lua_pushinteger(L, (lua_Integer)r.n);
  lua_rawseti(L, -2, 2);
  lua_setfield(L, -2, "shape");
  setnum(L, "tol", r.tol_used);
  setnum(L, "rtol", r.rtol_used);
  setnum(L, "relative_tol", o.relative_tol);
  setnum(L, "energy_tau", o.energy_tau);
  setnum(L, "smax", r.smax);
  setnum(L, "fro", r.fro);
  setnum(L, "nuclear", r.nuclear);
  setint(L, "k", r.k);
  return 1;
}

void rhb_open_linalg(lua_State *L) {
  static const luaL_Reg linalg[] = {{"svdvals", l_svdvals}, {"svd", l_svd}, {"norm", l_norm},
                                    {"qr_pivoted", l_qr_pivoted}, {"lstsq", l_lstsq}, {NULL, NULL}};
  static const luaL_Reg rank[] = {{"numerical", l_numerical}, {"relative", l_relative}, {"effective", l_effective},
                                  {"stable", l_stable}, {"energy", l_energy}, {"all", l_all}, {NULL, NULL}};
  luaL_newlib(L, linalg);
  lua_setfield(L, -2, "linalg");
  luaL_newlib(L, rank);
  lua_setfield(L, -2, "rank");
}
