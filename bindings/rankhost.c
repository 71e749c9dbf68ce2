/* rankhost.c - luaopen_rankhost: builds the `rh` table from the C binding modules and
 * runs the embedded Lua half of the library (bindings/lua/init.lua) over it. */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <string.h>

#include "embedded.h"
#include "rh_lua.h"

/* package.searchers entry: finds "rankhost.*" modules among the embedded sources. */
static int embedded_searcher(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  for (const rh_embedded_module *m = rh_embedded_modules; m->name; m++) {
    if (strcmp(m->name, name) == 0) {
      lua_pushfstring(L, "@%s", m->file);
      const char *chunkname = lua_tostring(L, -1);
      if (luaL_loadbufferx(L, m->src, m->len, chunkname, "t") != LUA_OK) return lua_error(L);
      lua_pushstring(L, m->file);
      return 2;
    }
  }
  lua_pushfstring(L, "no embedded module '%s'", name);
  return 1;
}

static void add_searcher(lua_State *L) {
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "searchers");
  /* insert at position 2: after preload, before the file searchers */
  lua_Integer n = luaL_len(L, -1);
  for (lua_Integer i = n; i >= 2; i--) {
    lua_geti(L, -1, i);
    lua_seti(L, -2, i + 1);
  }
  lua_pushcfunction(L, embedded_searcher);
  lua_seti(L, -2, 2);
  lua_pop(L, 2);
}

/* Loaded as a Lua module (rankhost.so), this library is opened RTLD_LOCAL by Lua's
 * package.loadlib; the CUDA module (librankhost_cuda.so) takes its kernels' symbols from
 * whoever loaded it, so the library makes its own symbols global once. In the program the
 * code lives in the executable, whose symbols are already there: nothing changes. */
static void share_symbols(void) {
  Dl_info info;
  if (dladdr((void *)share_symbols, &info) && info.dli_fname && info.dli_fname[0])
    (void)dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
}

int luaopen_rankhost(lua_State *L) {
  share_symbols();
  add_searcher(L);
  lua_newtable(L); /* rh */
#define RH_CALL_OPEN(name) rhb_open_##name(L);
  RH_BINDING_MODULES(RH_CALL_OPEN)
#undef RH_CALL_OPEN
  lua_pushliteral(L, RH_VERSION);
  lua_setfield(L, -2, "version");
  /* package.loaded.rankhost = rh before init.lua runs, so submodules can require it */
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "loaded");
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "rankhost");
  lua_pop(L, 2);
  for (const rh_embedded_module *m = rh_embedded_modules; m->name; m++) {
    if (strcmp(m->name, "rankhost") == 0) {
      if (luaL_loadbufferx(L, m->src, m->len, "@init.lua", "t") != LUA_OK) return lua_error(L);
      lua_pushvalue(L, -2);
      lua_call(L, 1, 0);
    }
  }
  return 1;
}
