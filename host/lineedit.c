/* lineedit.c - see lineedit.h. Completion is plain Lua: the word before the cursor
 * (`rh.rank.en`) is split at its last '.' or ':'; the part before names a table reached from
 * the globals by raw field reads (following a metatable's __index when it is a table, so
 * `t:` lists a tensor's methods), and its string keys that start with the rest are offered.
 * No Lua code runs during completion: nothing can raise or have side effects. */
#include "lineedit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef RH_USE_READLINE
#include <readline/history.h>
#include <readline/readline.h>
#endif

static int use_readline;

int rh_lineedit_readline(void) { return use_readline; }

#ifdef RH_USE_READLINE
static lua_State *complete_L;

/* Replaces the value on top by where its fields are looked up next: its metatable's __index
 * when that is a table, else the metatable itself when __index is a function (a userdata
 * that also indexes rows, a tensor, keeps its methods there); 0 (value left) when neither. */
static int next_index(lua_State *L) {
  if (!lua_getmetatable(L, -1)) return 0;
  lua_pushliteral(L, "__index");
  int t = lua_rawget(L, -2);
  if (t == LUA_TTABLE) {
    lua_remove(L, -2); /* the metatable */
  } else if (t == LUA_TFUNCTION && lua_type(L, -3) != LUA_TTABLE) {
    lua_pop(L, 1); /* the metatable itself */
  } else {
    lua_pop(L, 2);
    return 0;
  }
  lua_remove(L, -2); /* the value it belonged to */
  return 1;
}

/* Pushes t's field k (raw, then through __index tables, at most 8 deep); nil when absent. */
static void rawfield(lua_State *L, int t, const char *k, size_t n) {
  t = lua_absindex(L, t);
  lua_pushvalue(L, t);
  for (int depth = 0; depth < 8; depth++) {
    if (lua_type(L, -1) == LUA_TTABLE) {
      lua_pushlstring(L, k, n);
      if (lua_rawget(L, -2) != LUA_TNIL) {
        lua_remove(L, -2);
        return;
      }
      lua_pop(L, 1);
    }
    if (!next_index(L)) break;
  }
  lua_pop(L, 1);
  lua_pushnil(L);
}

/* Adds to `out` every identifier key of the value on top (and of its __index tables) that
 * starts with `part`, written as prefix + key. */
static void collect(lua_State *L, const char *prefix, size_t plen, const char *part, char ***out, size_t *n, size_t *cap) {
  size_t partlen = strlen(part);
  lua_pushvalue(L, -1);
  for (int depth = 0; depth < 8; depth++) {
    if (lua_type(L, -1) == LUA_TTABLE) {
      lua_pushnil(L);
      while (lua_next(L, -2)) {
        if (lua_type(L, -2) == LUA_TSTRING) {
          size_t kl;
          const char *k = lua_tolstring(L, -2, &kl);
          int ident = kl > 0 && strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") == kl &&
                      !(k[0] >= '0' && k[0] <= '9');
          if (ident && kl >= partlen && strncmp(k, part, partlen) == 0 && !(k[0] == '_' && part[0] != '_')) {
            if (*n + 1 >= *cap) {
              size_t nc = *cap ? 2 * *cap : 32;
              char **grown = realloc(*out, nc * sizeof *grown);
              if (!grown) { lua_pop(L, 2); goto done; }
              *out = grown;
              *cap = nc;
            }
            char *s = malloc(plen + kl + 1);
            if (s) {
              memcpy(s, prefix, plen);
              memcpy(s + plen, k, kl + 1);
              (*out)[(*n)++] = s;
            }
          }
        }
        lua_pop(L, 1);
      }
    }
    if (!next_index(L)) break;
  }
done:
  lua_pop(L, 1);
}

static char **matches;
static size_t nmatches, next_match;

static void build_matches(const char *text) {
  lua_State *L = complete_L;
  int top = lua_gettop(L);
  for (size_t i = next_match; i < nmatches; i++) free(matches[i]);
  free(matches);
  matches = NULL;
  nmatches = next_match = 0;
  size_t cap = 0;
  const char *sep = NULL;
  for (const char *p = text; *p; p++)
    if (*p == '.' || *p == ':') sep = p;
  lua_pushglobaltable(L);
  if (sep) { /* walk the path before the last separator */
    const char *p = text;
    while (p < sep) {
      size_t n = strcspn(p, ".:");
      if (p + n > sep) n = (size_t)(sep - p);
      rawfield(L, -1, p, n);
      lua_remove(L, -2);
      if (lua_isnil(L, -1)) break;
      p += n + 1;
    }
  }
  if (!lua_isnil(L, -1)) {
    size_t plen = sep ? (size_t)(sep - text) + 1 : 0;
    collect(L, text, plen, sep ? sep + 1 : text, &matches, &nmatches, &cap);
  }
  lua_settop(L, top);
}

static char *generator(const char *text, int state) {
  if (state == 0) build_matches(text);
  if (next_match < nmatches) return matches[next_match++]; /* readline frees it */
  return NULL;
}

static char **complete(const char *text, int start, int end) {
  (void)start;
  (void)end;
  rl_attempted_completion_over = 1;    /* never fall back to file names */
  rl_completion_append_character = '\0'; /* reset to ' ' before every completion: "rh.rank.energy(" follows */
  return rl_completion_matches(text, generator);
}
#endif

void rh_lineedit_init(lua_State *L, int tty) {
#ifdef RH_USE_READLINE
  if (!tty) return;
  use_readline = 1;
  complete_L = L;
  rl_readline_name = "rankhost"; /* ~/.inputrc: $if rankhost */
  rl_basic_word_break_characters = " \t\n\"\\'`@$><=;|&{(,+-*/%^~#[]";
  rl_attempted_completion_function = complete;
#else
  (void)L;
  (void)tty;
#endif
}

char *rh_lineedit_read(const char *prompt) {
#ifdef RH_USE_READLINE
  if (use_readline) return readline(prompt);
#endif
  if (prompt) {
    fputs(prompt, stdout);
    fflush(stdout);
  }
  size_t cap = 256, n = 0;
  char *buf = malloc(cap);
  if (!buf) return NULL;
  int c;
  while ((c = getchar()) != EOF && c != '\n') {
    if (n + 1 >= cap) {
      char *grown = realloc(buf, cap *= 2);
      if (!grown) { free(buf); return NULL; }
      buf = grown;
    }
    buf[n++] = (char)c;
  }
  if (c == EOF && n == 0) { free(buf); return NULL; }
  buf[n] = '\0';
  return buf;
}

void rh_lineedit_remember(const char *line) {
#ifdef RH_USE_READLINE
  if (use_readline && line[0]) add_history(line);
#else
  (void)line;
#endif
}
