/* state.c - rh.seed, rh.device, rh.threads, rh.clock, rh.memory, rh.allocated, rh.rss,
 * rh.blas, rh.gemm_clock: the process-wide settings and figures. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "blas_control.h"
#include "cuda/device.h"
#include "ops.h"
#include "rh_lua.h"

static rh_rng global_rng;
static rh_device default_device = RH_CPU;
static int rng_seeded;

rh_rng *rhL_rng(void) {
  if (!rng_seeded) {
    rh_rng_seed(&global_rng, 0, 0);
    rng_seeded = 1;
  }
  return &global_rng;
}

rh_device rhL_default_device(void) { return default_device; }

static lua_Integer current_seed = 0;

/* rh.seed([n]) -> seed: seeds every random stream; with no argument, returns the seed. */
static int l_seed(lua_State *L) {
  if (!lua_isnoneornil(L, 1)) {
    current_seed = luaL_checkinteger(L, 1);
    rh_rng_seed(&global_rng, (uint64_t)current_seed, 0);
    rng_seeded = 1;
  }
  lua_pushinteger(L, current_seed);
  return 1;
}

/* rh.device([name]) -> name */
static int l_device(lua_State *L) {
  if (!lua_isnoneornil(L, 1)) {
    rh_device d = rhL_checkdevice(L, 1);
    if (d == RH_CUDA) {
      /* loads the CUDA module on first use: "built without CUDA", or why it did not load */
      if (rh_cuda_load() != RH_OK) return luaL_argerror(L, 1, rh_error());
      if (rh_cuda_device_count() == 0) return luaL_argerror(L, 1, "no CUDA device is present on this machine");
    }
    default_device = d;
  }
  lua_pushstring(L, default_device == RH_CPU ? "cpu" : "cuda");
  return 1;
}

/* rh.threads([n]) -> n: OpenBLAS's thread count (rankhost's own loops are single-threaded). */
static int l_threads(lua_State *L) {
  if (!lua_isnoneornil(L, 1)) {
    rhL_check(L, rh_blas_set_threads((int64_t)luaL_checkinteger(L, 1)), 1);
  }
  lua_pushinteger(L, rh_blas_threads());
  return 1;
}

/* rh.clock() -> monotonic seconds */
static int l_clock(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec * 1e-9);
  return 1;
}

/* rh.cuda_available() -> boolean */
static int l_cuda_available(lua_State *L) {
  lua_pushboolean(L, rh_cuda_compiled() && rh_cuda_device_count() > 0);
  return 1;
}

/* rh.allocated() -> bytes of tensor memory ever allocated, all devices (monotonic): a
 * steady training loop must leave it unchanged. */
static int l_allocated(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)(rh_storage_total_bytes(RH_CPU) + rh_storage_total_bytes(RH_CUDA)));
  return 1;
}

/* rh.memory() -> table of bytes held by live tensors per device */
static int l_memory(lua_State *L) {
  lua_createtable(L, 0, 2);
  lua_pushinteger(L, (lua_Integer)rh_storage_live_bytes(RH_CPU));
  lua_setfield(L, -2, "cpu");
  lua_pushinteger(L, (lua_Integer)rh_storage_live_bytes(RH_CUDA));
  lua_setfield(L, -2, "cuda");
  return 1;
}

/* The value in bytes of a "Key:   N kB" line of /proc/self/status (Linux), or -1. */
static long long proc_status_kb(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  size_t n = strlen(key);
  long long kb = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, key, n) == 0 && line[n] == ':') {
      if (sscanf(line + n + 1, "%lld", &kb) != 1) kb = -1;
      break;
    }
  fclose(f);
  return kb < 0 ? -1 : kb * 1024;
}

static int push_status(lua_State *L, const char *key) {
  long long b = proc_status_kb(key);
  if (b < 0) {
    lua_pushnil(L);
    lua_pushfstring(L, "%s is not available (no /proc/self/status)", key);
    return 2;
  }
  lua_pushinteger(L, (lua_Integer)b);
  return 1;
}

/* rh.rss() -> bytes resident now (VmRSS); rh.peak_rss() -> the peak so far (VmHWM).
 * Where /proc is absent: nil, message. */
static int l_rss(lua_State *L) { return push_status(L, "VmRSS"); }
static int l_peak_rss(lua_State *L) { return push_status(L, "VmHWM"); }

/* rh.blas() -> {core=, config=, threads=}: which OpenBLAS kernels run (kernels/blas_control.h). */
static int l_blas(lua_State *L) {
  lua_createtable(L, 0, 3);
  lua_pushstring(L, rh_blas_core());
  lua_setfield(L, -2, "core");
  lua_pushstring(L, rh_blas_config());
  lua_setfield(L, -2, "config");
  lua_pushinteger(L, rh_blas_threads());
  lua_setfield(L, -2, "threads");
  return 1;
}

/* rh.gemm_clock() -> seconds, calls: time spent inside cblas_sgemm so far (rh_gemm_clock) */
static int l_gemm_clock(lua_State *L) {
  double sec = 0;
  int64_t calls = 0;
  rh_gemm_clock(&sec, &calls);
  lua_pushnumber(L, sec);
  lua_pushinteger(L, (lua_Integer)calls);
  return 2;
}

void rhb_open_state(lua_State *L) {
  static const luaL_Reg fns[] = {{"seed", l_seed},   {"device", l_device},
                                 {"threads", l_threads}, {"clock", l_clock},
                                 {"cuda_available", l_cuda_available}, {"memory", l_memory},
                                 {"rss", l_rss},   {"peak_rss", l_peak_rss},   {"blas", l_blas},
                                 {"allocated", l_allocated}, {"gemm_clock", l_gemm_clock},
                                 {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
