/* options.c - checking the keys of an options table: a misspelt option is an error that
 * names the function, the key and the nearest valid name, never a setting silently
 * ignored (rh.train.fit{weight_decy = 5e-3} would otherwise train without weight decay).
 *
 * C bindings call rhL_checkoptions; the Lua half calls rh.check_options. */
#include <string.h>

#include "rh_lua.h"

/* Levenshtein distance of a and b, each at most 63 bytes (longer: a large number). */
static int edit_distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  if (n > 63 || m > 63) return 1000;
  int row[64];
  for (size_t j = 0; j <= m; j++) row[j] = (int)j;
  for (size_t i = 1; i <= n; i++) {
    int diag = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= m; j++) {
      int up = row[j];
      int best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[m];
}

static const char *nearest_name(const char *key, const char *const *names, size_t count) {
  const char *best = NULL;
  int best_d = 1000;
  size_t klen = strlen(key);
  for (size_t i = 0; i < count; i++) {
    int d = edit_distance(key, names[i]);
    /* a prefix or suffix of a long name ("decay" for "weight_decay") counts as near too */
    size_t nlen = strlen(names[i]);
    if (klen >= 3 && nlen > klen &&
        (strncmp(names[i], key, klen) == 0 || strcmp(names[i] + nlen - klen, key) == 0) && d > 2)
      d = 2;
    if (d < best_d) best_d = d, best = names[i];
  }
  /* only a plausible misspelling: up to a third of the key's letters, at least 2 */
  int limit = (int)(klen / 3 > 2 ? klen / 3 : 2);
  return best_d <= limit ? best : NULL;
}

/* Pushes "unknown option 'k'; did you mean 'x'?" (or "...; valid options: a, b, c"). */
static const char *push_unknown(lua_State *L, const char *key, const char *const *names, size_t count) {
  const char *near = nearest_name(key, names, count);
  if (near) return lua_pushfstring(L, "unknown option '%s'; did you mean '%s'?", key, near);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, "unknown option '");
  luaL_addstring(&b, key);
  luaL_addstring(&b, "'; valid options: ");
  for (size_t i = 0; i < count; i++) {
    if (i) luaL_addstring(&b, ", ");
    luaL_addstring(&b, names[i]);
  }
  luaL_pushresult(&b);
  return lua_tostring(L, -1);
}

/* The first problem with the keys of the options table at idx (absolute), pushed as a message
 * and returned, or NULL when every key is in names[0..count). *unknown tells an unknown key
 * (1) from a key that is not a string (0). */
static const char *bad_option(lua_State *L, int idx, const char *const *names, size_t count, int *unknown) {
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    *unknown = lua_type(L, -1) == LUA_TSTRING;
    if (!*unknown) return lua_pushfstring(L, "options must have string keys, got a %s key", luaL_typename(L, -1));
    const char *key = lua_tostring(L, -1);
    size_t i = 0;
    while (i < count && strcmp(key, names[i]) != 0) i++;
    if (i == count) return push_unknown(L, key, names, count);
  }
  return NULL;
}

void rhL_checkoptions(lua_State *L, int idx, const char *const *names) {
  if (lua_isnoneornil(L, idx)) return;
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx)) luaL_typeerror(L, idx, "options table");
  size_t count = 0;
  while (names[count]) count++;
  int unknown;
  const char *msg = bad_option(L, idx, names, count, &unknown);
  if (msg) luaL_argerror(L, idx, msg);
}

/* rh.check_options(fname, opts, names [, level]) -> opts: raises
 * "fname: unknown option 'k'; did you mean 'x'?" for a key of opts not in the list names
 * (at `level`, 2 by default: the caller of the function that checks). opts may be nil. */
static int l_check_options(lua_State *L) {
  const char *fname = luaL_checkstring(L, 1);
  luaL_checktype(L, 3, LUA_TTABLE);
  int level = (int)luaL_optinteger(L, 4, 2);
  if (lua_isnoneornil(L, 2)) {
    lua_settop(L, 2);
    return 1;
  }
  if (!lua_istable(L, 2))
    return luaL_error(L, "%s: options must be a table, got %s", fname, luaL_typename(L, 2));
  size_t count = (size_t)luaL_len(L, 3);
  const char **names = lua_newuserdatauv(L, (count + 1) * sizeof *names, 0); /* freed by the GC */
  for (size_t i = 0; i < count; i++) {
    lua_geti(L, 3, (lua_Integer)(i + 1));
    if (lua_type(L, -1) != LUA_TSTRING) return luaL_argerror(L, 3, "a list of option names expected");
    names[i] = lua_tostring(L, -1); /* kept alive by the list at 3 */
    lua_pop(L, 1);
  }
  names[count] = NULL;
  int unknown;
  const char *msg = bad_option(L, 2, names, count, &unknown);
  if (msg) {
    luaL_where(L, unknown ? level : 1); /* a key that is no string: the caller of check_options */
    lua_pushfstring(L, "%s: %s", fname, msg);
    lua_concat(L, 2);
    return lua_error(L);
  }
  lua_settop(L, 2);
  return 1;
}

void rhb_open_options(lua_State *L) {
  lua_pushcfunction(L, l_check_options);
  lua_setfield(L, -2, "check_options");
}
