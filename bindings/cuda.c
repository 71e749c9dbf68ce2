/* cuda.c - rh.cuda: settings and figures of the CUDA backend (all callable in a build
 * without CUDA, where they report no device and hold nothing). Only device_count and
 * module load the CUDA module (kernels/cuda/forward.c); the others answer without it. */
#include "cuda/device.h"
#include "rh_lua.h"

/* rh.cuda.tf32([on]) -> on: matrix products in TF32 on tensor cores (default false: FP32) */
static int l_tf32(lua_State *L) {
  if (!lua_isnoneornil(L, 1)) {
    luaL_checktype(L, 1, LUA_TBOOLEAN);
    rh_cuda_set_tf32(lua_toboolean(L, 1));
  }
  lua_pushboolean(L, rh_cuda_tf32());
  return 1;
}

/* rh.cuda.device_count() -> n (0 without CUDA, driver or device) */
static int l_device_count(lua_State *L) {
  lua_pushinteger(L, rh_cuda_device_count());
  return 1;
}

/* rh.cuda.module() -> path | nil, reason: loads the CUDA backend (librankhost_cuda.so) if it
 * is not loaded yet and says which file it came from, or why it could not be loaded. */
static int l_module(lua_State *L) {
  if (rh_cuda_load() != RH_OK) {
    lua_pushnil(L);
    lua_pushstring(L, rh_error());
    return 2;
  }
  lua_pushstring(L, rh_cuda_module_path());
  return 1;
}

/* rh.cuda.synchronize(): waits for queued device work (for timing); raises a pending CUDA error */
static int l_synchronize(lua_State *L) {
  rhL_check(L, rh_cuda_sync(), 0);
  return 0;
}

/* rh.cuda.memory() -> {in_use=bytes, cached=bytes}: the caching allocator's figures */
static int l_memory(lua_State *L) {
  size_t in_use, cached;
  rh_cuda_memory(&in_use, &cached);
  lua_createtable(L, 0, 2);
  lua_pushinteger(L, (lua_Integer)in_use);
  lua_setfield(L, -2, "in_use");
  lua_pushinteger(L, (lua_Integer)cached);
  lua_setfield(L, -2, "cached");
  return 1;
}

/* rh.cuda.empty_cache(): returns cached free blocks to the driver (after a collection) */
static int l_empty_cache(lua_State *L) {
  lua_gc(L, LUA_GCCOLLECT, 0);
  rh_cuda_empty_cache();
  return 0;
}

void rhb_open_cuda(lua_State *L) {
  static const luaL_Reg fns[] = {{"tf32", l_tf32},
                                 {"device_count", l_device_count},
                                 {"synchronize", l_synchronize},
                                 {"memory", l_memory},
                                 {"empty_cache", l_empty_cache},
                                 {"module", l_module},
                                 {NULL, NULL}};
  luaL_newlib(L, fns);
  lua_setfield(L, -2, "cuda");
}
