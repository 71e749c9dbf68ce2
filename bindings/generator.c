/* generator.c - rh.generator(seed [, stream]): a PCG32 stream of its own (kernels/random.h),
 * for draws that must depend only on their seed - an architecture drawn for run (seed,
 * index), a permutation for epoch e - and not on rh.seed's global stream or on the order
 * in which other things were drawn. */
#include "rh_lua.h"

#define RH_GENERATOR_MT "rankhost.Generator"

static rh_rng *check_gen(lua_State *L) { return luaL_checkudata(L, 1, RH_GENERATOR_MT); }

/* rh.generator(seed [, stream=0]) -> g */
static int l_generator(lua_State *L) {
  lua_Integer seed = luaL_checkinteger(L, 1), stream = luaL_optinteger(L, 2, 0);
  rh_rng *r = lua_newuserdatauv(L, sizeof *r, 0);
  rh_rng_seed(r, (uint64_t)seed, (uint64_t)stream);
  luaL_setmetatable(L, RH_GENERATOR_MT);
  return 1;
}

/* g:uniform() -> a double in [0, 1) from two draws (53 random bits) */
static int g_uniform(lua_State *L) {
  rh_rng *r = check_gen(L);
  uint64_t hi = rh_rng_u32(r) >> 5, lo = rh_rng_u32(r) >> 6; /* 27 + 26 bits */
  lua_pushnumber(L, (double)(hi * 67108864u + lo) * (1.0 / 9007199254740992.0));
  return 1;
}

/* g:int(lo, hi) -> a uniform integer in [lo, hi] (unbiased) */
static int g_int(lua_State *L) {
  rh_rng *r = check_gen(L);
  lua_Integer lo = luaL_checkinteger(L, 2), hi = luaL_checkinteger(L, 3);
  if (hi < lo) return luaL_argerror(L, 3, "hi must be >= lo");
  lua_Unsigned span = (lua_Unsigned)hi - (lua_Unsigned)lo; /* hi - lo, which may not fit a lua_Integer */
  if (span >= UINT32_MAX) return luaL_argerror(L, 3, "range wider than 2^32");
  lua_pushinteger(L, lo + (lua_Integer)rh_rng_below(r, (uint32_t)span + 1));
  return 1;
}

/* g:normal() -> a standard normal */
static int g_normal(lua_State *L) {
  lua_pushnumber(L, (double)rh_rng_normal(check_gen(L)));
  return 1;
}

/* g:permutation(n) -> a table holding a uniform random permutation of 1..n */
static int g_permutation(lua_State *L) {
  rh_rng *r = check_gen(L);
  lua_Integer n = luaL_checkinteger(L, 2);
  if (n < 0 || n > ((lua_Integer)1 << 30)) return luaL_argerror(L, 2, "n must be in 0..2^30");
  int64_t *idx = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *idx, 0); /* collected with the call */
  for (int64_t i = 0; i < n; i++) idx[i] = i;
  rh_rng_shuffle(r, idx, (int64_t)n);
  lua_createtable(L, (int)n, 0);
  for (int64_t i = 0; i < n; i++) {
    lua_pushinteger(L, idx[i] + 1);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

void rhb_open_generator(lua_State *L) {
  static const luaL_Reg methods[] = {{"uniform", g_uniform}, {"int", g_int}, {"normal", g_normal},
                                     {"permutation", g_permutation}, {NULL, NULL}};
  luaL_newmetatable(L, RH_GENERATOR_MT);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_generator);
  lua_setfield(L, -2, "generator");
}
