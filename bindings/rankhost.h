/* rankhost.h - the one entry point the host needs: the `rankhost` Lua module. */
#ifndef RH_RANKHOST_H
#define RH_RANKHOST_H
#include <lua.h>
int luaopen_rankhost(lua_State *L);
#endif
