/* label: bindings */
/* test_bindings_oom.c - a Lua allocation that fails anywhere inside a binding leaks
 * nothing: whatever a binding retains (a view of a storage, a copy) or opens (a DIR) is
 * owned by a userdata made before it (lua/lua liolib.c's newprefile order).
 *
 * Each chunk below runs again and again under an allocator that fails every Lua
 * allocation from the k-th on, for k = 1, 2, ... until a run ends before its k-th
 * allocation. After each run and a full collection the bytes held by live tensors
 * (rh_storage_live_bytes) must be what they were before it. Under the sanitizer build,
 * LeakSanitizer also sees C buffers a failure could strand. Only Lua's allocations fail:
 * the kernels' own malloc never does here. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "rankhost.h"
#include "tensor.h"

static long nalloc;          /* allocations seen since the fault was armed */
static long fail_from = -1;  /* fail the fail_from-th allocation and all later; -1: none */

/* lua_Alloc: frees and shrinks always succeed (Lua counts on them); growth fails once armed. */
static void *test_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  int grows = ptr == NULL || nsize > osize; /* for ptr == NULL, osize is a type tag */
  if (grows && fail_from > 0 && ++nalloc >= fail_from) return NULL;
  return realloc(ptr, nsize);
}

/* Leaves room so that a finalizer run by a GC step inside an armed run needs no new
 * stack slots or CallInfos: a __gc that cannot be called would strand its storage and
 * look like the leak this test looks for. */
static void preallocate(lua_State *L) {
  luaL_checkstack(L, 2000, "preallocate");
  CHECK(luaL_dostring(L, "local function deep(n) if n > 0 then return 1 + deep(n - 1) end return 0 end deep(300)") ==
        LUA_OK);
  lua_settop(L, 0);
}

static void collect(lua_State *L) {
  lua_gc(L, LUA_GCCOLLECT);
  lua_gc(L, LUA_GCCOLLECT);
}

/* Runs chunk with the k-th allocation failing, for every k its run reaches. */
static void run_failing(lua_State *L, const char *name, const char *chunk) {
  int runs = 0, leaks = 0;
  for (long k = 1; k < 100000; k++) {
    collect(L);
    size_t before = rh_storage_live_bytes(RH_CPU);
    lua_gc(L, LUA_GCSTOP); /* no collection from here to the end of the run but the steps
                              the bindings ask for (rhL_account) */
    preallocate(L);
    if (luaL_loadstring(L, chunk) != LUA_OK) {
      fprintf(stderr, "%s: %s\n", name, lua_tostring(L, -1));
      CHECK(!"chunk compiles");
      lua_settop(L, 0);
      lua_gc(L, LUA_GCRESTART);
      return;
    }
    nalloc = 0;
    fail_from = k;
    int st = lua_pcall(L, 0, 0, 0);
    fail_from = -1;
    lua_gc(L, LUA_GCRESTART);
    int reached = nalloc >= k;
    if (!reached && st != LUA_OK) fprintf(stderr, "%s: %s\n", name, lua_tostring(L, -1));
    lua_settop(L, 0);
    collect(L);
    runs++;
    size_t after = rh_storage_live_bytes(RH_CPU);
    if (after != before && leaks++ < 3)
      fprintf(stderr, "%s: failing allocation %ld left %zu tensor bytes behind\n", name, k, after - before);
    if (!reached) { /* the whole chunk ran without meeting a failure: it must have succeeded */
      CHECK(st == LUA_OK);
      break;
    }
  }
  CHECK(leaks == 0);
  CHECK(runs > 1);
  printf("%-24s %4d runs, %d leaking\n", name, runs, leaks);
}

static const struct {
  const char *name, *chunk;
} chunks[] = {
    {"t[i] (a row view)", "local t = rh.zeros(4, 5); local v = t[2]"},
    {"t:select", "local t = rh.zeros(4, 5); local v = t:select(2, 3)"},
    {"t:narrow", "local t = rh.zeros(4, 5); local v = t:narrow(1, 2, 2)"},
    {"t:t / t:transpose", "local t = rh.zeros(4, 5); local v, w = t:t(), t:transpose(1, 2)"},
    {"t:view / t:reshape", "local t = rh.zeros(4, 5); local v, w = t:view(20), t:t():reshape(20)"},
    {"t[i] = v", "local t = rh.zeros(4, 5); t[2] = rh.ones(5); t[3] = 7"},
    {"t:contiguous / t:clone", "local t = rh.zeros(4, 5):t(); local c, d = t:contiguous(), t:clone()"},
    {"t:to", "local t = rh.zeros(4, 5):t(); local c = t:to('cpu'); pcall(t.to, t, 'cuda')"},
    {"tostring / totable", "local t = rh.zeros(4, 5):t(); local s, v = tostring(t), t:totable()"},
    {"rh.json.encode", "local t = rh.zeros(4, 5):t(); local s = rh.json.encode({a = t, b = {1, 2}})"},
    {"rh.save", "local t = rh.zeros(4, 5):t(); rh.save(DIR .. '/oom.safetensors', {a = t, b = rh.ones(3)})"},
    {"rh.load", "local r, m = rh.load(DIR .. '/oom.safetensors')"},
    {"rh.io.listdir", "local l = rh.io.listdir(DIR)"},
    {"t:index", "local t = rh.arange(20):view(4, 5); local a, b = t:index(1, rh.tensor{2, 1}), t:index(2, {1, 3})"},
    {"rh.tensor", "local t = rh.tensor{{1, 2}, {3, 4}}"},
    {"arithmetic", "local a, b = rh.zeros(3, 1), rh.ones(1, 4); local c, d = a + b, a:add(b, 2)"},
    {"t:max", "local t = rh.arange(20):view(4, 5):t(); local m, i = t:max(); local v, j = t:max(1)"},
    {"dataset", "local ds = rh.data.mixture{n = 20, dim = 4, classes = 2, seed = 1}; local x, y = ds:get(3); "
                "local X, Y = ds:batch({1, 2}); for X, Y in rh.data.loader(ds, {batch = 6}) do end"},
    {"linalg and rank", "local w = rh.arange(20):view(5, 4); local s = rh.linalg.svdvals(w); local r = rh.rank.all(w:t())"},
    {"nn.Linear", "local m = rh.nn.Linear(4, 3); local y = m:forward(rh.zeros(2, 4)); m:backward(rh.zeros(2, 4), y)"},
};

int main(void) {
  lua_State *L = lua_newstate(test_alloc, NULL);
  CHECK(L != NULL);
  luaL_openlibs(L);
  luaL_requiref(L, "rankhost", luaopen_rankhost, 0);
  lua_setglobal(L, "rh");
  char dir[] = "/tmp/rh-oom-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  lua_pushstring(L, dir);
  lua_setglobal(L, "DIR");
  for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) run_failing(L, chunks[i].name, chunks[i].chunk);
  lua_close(L);
  CHECK(rh_storage_live_bytes(RH_CPU) == 0);
  char path[64];
  snprintf(path, sizeof path, "%s/oom.safetensors", dir);
  unlink(path);
  rmdir(dir);
  return check_report();
}
