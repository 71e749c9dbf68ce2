/* json.c - rh.json.encode / rh.json.decode / rh.json.null: Lua values as JSON text.
 *
 * encode: deterministic (object keys sorted bytewise), numbers at full precision
 * (integers as integers, floats as the shortest text that reads back exactly),
 * NaN and +-Inf as null, tensors as nested arrays. decode: the strict parser of
 * kernels/json.c; null becomes rh.json.null (a light userdata, as in lua-cjson). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "rh_lua.h"

#define ENC_MAXDEPTH 128
#define JBUF_MT "rankhost.JsonBuffer"
#define JDOC_MT "rankhost.JsonDocument"

/* ---- an output buffer owned by a userdata, so that an error cannot leak it ----
 * (luaL_Buffer cannot be used: the encoder pushes values between its writes) */
typedef struct jbuf {
  char *p;
  size_t n, cap;
} jbuf;

static int jbuf_gc(lua_State *L) {
  jbuf *b = luaL_checkudata(L, 1, JBUF_MT);
  free(b->p);
  b->p = NULL;
  return 0;
}

static void put(lua_State *L, jbuf *b, const char *s, size_t n) {
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n) cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q) luaL_error(L, "out of memory encoding JSON");
    b->p = q;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
}
static void puts_(lua_State *L, jbuf *b, const char *s) { put(L, b, s, strlen(s)); }

/* ---- encoder ---- */
typedef struct enc {
  lua_State *L;
  jbuf *b;
  char path[256]; /* where in the value we are, for messages: ".runs[3].loss" */
  int depth;
} enc;

static int enc_fail(enc *e, const char *what) {
  const char *at = e->path[0] ? e->path : "the top level";
  return luaL_argerror(e->L, 1, lua_pushfstring(e->L, "cannot encode %s at %s", what, at));
}

static void put_quoted(enc *e, const char *s, size_t len) {
  if (!rh_json_valid_utf8(s, len)) enc_fail(e, "a string that is not valid UTF-8");
  size_t need = rh_json_quote(NULL, 0, s, len);
  jbuf *b = e->b;
  if (b->n + need + 1 > b->cap) { /* grow once, then quote in place */
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + need + 1) cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q) luaL_error(e->L, "out of memory encoding JSON");
    b->p = q;
    b->cap = cap;
  }
  rh_json_quote(b->p + b->n, need + 1, s, len);
  b->n += need;
}

static void put_double(enc *e, double v) {
  char num[40];
  if (!isfinite(v)) {
    puts_(e->L, e->b, "null");
    return;
  }
  int k = rh_json_fmt_double(num, sizeof num, v);
  put(e->L, e->b, num, (size_t)k);
}

static void put_float(enc *e, float v) {
  char num[40];
  if (!isfinite(v)) {
    puts_(e->L, e->b, "null");
    return;
  }
  int k = rh_json_fmt_float(num, sizeof num, v);
  put(e->L, e->b, num, (size_t)k);
}

static void encode_value(enc *e, int idx);

static void put_tensor_dim(enc *e, const rh_tensor *t, int d, int64_t off) {
  if (t->ndim == 0) {
    put_float(e, t->storage->data[off]);
    return;
  }
  puts_(e->L, e->b, "[");
  for (int64_t i = 0; i < t->size[d]; i++) {
    if (i) puts_(e->L, e->b, ",");
    int64_t o = off + i * t->stride[d];
    if (d == t->ndim - 1)
      put_float(e, t->storage->data[o]);
    else
      put_tensor_dim(e, t, d + 1, o);
  }
  puts_(e->L, e->b, "]");
}

static void encode_tensor(enc *e, const rh_tensor *t) {
  lua_State *L = e->L;
  if (rh_dev(t) != RH_CPU) { /* a contiguous host copy, kept on the stack while we write */
    const rh_tensor *h = rhL_pushcontiguous(L, t, RH_CPU, 0);
    put_tensor_dim(e, h, 0, h->offset);
    lua_pop(L, 1);
    return;
  }
  put_tensor_dim(e, t, 0, t->offset);
}

typedef struct skey {
  const char *s;
  size_t n;
} skey;

static int cmp_skey(const void *a, const void *b) {
  const skey *x = a, *y = b;
  size_t n = x->n < y->n ? x->n : y->n;
  int c = memcmp(x->s, y->s, n);
  return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Appends ".key" or "[i]" to the path; returns the old length to restore. */
static size_t path_push(enc *e, const char *key, lua_Integer i) {
  size_t old = strlen(e->path);
  char part[80];
  if (key)
    snprintf(part, sizeof part, ".%.60s", key);
  else
    snprintf(part, sizeof part, "[%lld]", (long long)i);
  if (old + strlen(part) < sizeof e->path) strcat(e->path, part);
  return old;
}

static void encode_table(enc *e, int idx) {
  lua_State *L = e->L;
  size_t nkeys = 0, nstr = 0;
  lua_Integer maxint = 0;
  int other = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    nkeys++;
    if (lua_type(L, -2) == LUA_TSTRING)
      nstr++;
    else if (lua_isinteger(L, -2) && lua_tointeger(L, -2) > 0) {
      lua_Integer k = lua_tointeger(L, -2);
      if (k > maxint) maxint = k;
    } else
      other = 1;
    lua_pop(L, 1);
  }
  if (other) enc_fail(e, "a table with a key that is neither a string nor a positive integer");
  if (nkeys == 0) {
    puts_(L, e->b, "[]");
    return;
  }
  if (nstr == 0) { /* an array: keys must be exactly 1..n */
    if ((size_t)maxint != nkeys) enc_fail(e, "an array with holes (nil entries)");
    puts_(L, e->b, "[");
    for (lua_Integer i = 1; i <= maxint; i++) {
      if (i > 1) puts_(L, e->b, ",");
      size_t old = path_push(e, NULL, i);
      lua_rawgeti(L, idx, i);
      encode_value(e, lua_gettop(L));
      lua_pop(L, 1);
      e->path[old] = '\0';
    }
    puts_(L, e->b, "]");
    return;
  }
  if (nstr != nkeys) enc_fail(e, "a table that mixes array entries and string keys");
  /* an object: keys sorted bytewise; the key strings stay alive in the table */
  skey *keys = lua_newuserdatauv(L, nkeys * sizeof *keys, 0);
  int keys_idx = lua_gettop(L);
  size_t k = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    keys[k].s = lua_tolstring(L, -2, &keys[k].n);
    k++;
    lua_pop(L, 1);
  }
  qsort(keys, nkeys, sizeof *keys, cmp_skey);
  puts_(L, e->b, "{");
  for (size_t i = 0; i < nkeys; i++) {
    if (i) puts_(L, e->b, ",");
    size_t old = path_push(e, keys[i].s, 0);
    put_quoted(e, keys[i].s, keys[i].n);
    puts_(L, e->b, ":");
    lua_pushlstring(L, keys[i].s, keys[i].n);
    lua_rawget(L, idx);
    encode_value(e, lua_gettop(L));
    lua_pop(L, 1);
    e->path[old] = '\0';
  }
  puts_(L, e->b, "}");
  lua_remove(L, keys_idx);
}

static void encode_value(enc *e, int idx) {
  lua_State *L = e->L;
  switch (lua_type(L, idx)) {
    case LUA_TNIL: puts_(L, e->b, "null"); return;
    case LUA_TBOOLEAN: puts_(L, e->b, lua_toboolean(L, idx) ? "true" : "false"); return;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) {
        char num[32];
        snprintf(num, sizeof num, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, idx));
        puts_(L, e->b, num);
      } else {
        put_double(e, (double)lua_tonumber(L, idx));
      }
      return;
    case LUA_TSTRING: {
      size_t n;
      const char *s = lua_tolstring(L, idx, &n);
      put_quoted(e, s, n);
      return;
    }
    case LUA_TLIGHTUSERDATA:
      if (lua_touserdata(L, idx) == NULL) {
        puts_(L, e->b, "null"); /* rh.json.null */
        return;
      }
      break;
    case LUA_TUSERDATA: {
      rh_tensor *t = rhL_totensor(L, idx);
      if (t) {
        if (!t->storage) enc_fail(e, "a released tensor");
        encode_tensor(e, t);
        return;
      }
      break;
    }
    case LUA_TTABLE:
      if (++e->depth > ENC_MAXDEPTH) enc_fail(e, "a value nested more than 128 deep (a cycle?)");
      luaL_checkstack(L, 6, "JSON nesting");
      encode_table(e, idx);
      e->depth--;
      return;
    default: break;
  }
  enc_fail(e, lua_pushfstring(L, "a %s", luaL_typename(L, idx)));
}

/* rh.json.encode(value) -> string */
static int l_encode(lua_State *L) {
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  jbuf *b = lua_newuserdatauv(L, sizeof *b, 0);
  memset(b, 0, sizeof *b);
  luaL_setmetatable(L, JBUF_MT);
  enc e = {.L = L, .b = b};
  encode_value(&e, 1);
  lua_pushlstring(L, b->p ? b->p : "", b->n);
  free(b->p);
  b->p = NULL;
  return 1;
}

/* ---- decoder ---- */
typedef struct jdoc {
  rh_json j;
  int live;
} jdoc;

static int jdoc_gc(lua_State *L) {
  jdoc *d = luaL_checkudata(L, 1, JDOC_MT);
  if (d->live) rh_json_free(&d->j);
  d->live = 0;
  return 0;
}

static int dec_fail(lua_State *L, const char *src, size_t len, size_t pos, const char *what) {
  int line, col;
  rh_json_linecol(src, len, pos, &line, &col);
  return luaL_argerror(L, 1, lua_pushfstring(L, "line %d, column %d: %s", line, col, what));
}

static void push_node(lua_State *L, const rh_json *j, const rh_jnode *n, const char *src, size_t len) {
  luaL_checkstack(L, 4, "JSON nesting");
  switch (n->type) {
    case RH_JNULL: lua_pushlightuserdata(L, NULL); return;
    case RH_JFALSE: lua_pushboolean(L, 0); return;
    case RH_JTRUE: lua_pushboolean(L, 1); return;
    case RH_JNUMBER:
      if (n->is_int)
        lua_pushinteger(L, (lua_Integer)n->i);
      else
        lua_pushnumber(L, (lua_Number)n->num);
      return;
    case RH_JSTRING: lua_pushlstring(L, n->str, n->len); return;
    case RH_JARRAY: {
      lua_createtable(L, n->len > 1000000 ? 1000000 : (int)n->len, 0);
      lua_Integer i = 1;
      for (const rh_jnode *c = rh_json_child(j, n); c; c = rh_json_next(j, c)) {
        push_node(L, j, c, src, len);
        lua_rawseti(L, -2, i++);
      }
      return;
    }
    case RH_JOBJECT:
      lua_createtable(L, 0, n->len > 1000000 ? 1000000 : (int)n->len);
      for (const rh_jnode *c = rh_json_child(j, n); c; c = rh_json_next(j, c)) {
        lua_pushlstring(L, c->key, c->keylen);
        lua_pushvalue(L, -1);
        if (lua_rawget(L, -3) != LUA_TNIL)
          dec_fail(L, src, len, c->pos, lua_pushfstring(L, "key '%s' appears twice in an object", c->key));
        lua_pop(L, 1);
        push_node(L, j, c, src, len);
        lua_rawset(L, -3);
      }
      return;
  }
}

/* rh.json.decode(string) -> value */
static int l_decode(lua_State *L) {
  size_t len;
  const char *src = luaL_checklstring(L, 1, &len);
  jdoc *d = lua_newuserdatauv(L, sizeof *d, 0);
  memset(d, 0, sizeof *d);
  luaL_setmetatable(L, JDOC_MT);
  size_t errpos;
  rh_status st = rh_json_parse(src, len, &d->j, &errpos);
  rhL_check(L, st, 1);
  d->live = 1;
  push_node(L, &d->j, rh_json_root(&d->j), src, len);
  rh_json_free(&d->j);
  d->live = 0;
  return 1;
}

void rhb_open_json(lua_State *L) {
  rhL_gcmeta(L, JBUF_MT, jbuf_gc);
  rhL_gcmeta(L, JDOC_MT, jdoc_gc);
  static const luaL_Reg fns[] = {{"encode", l_encode}, {"decode", l_decode}, {NULL, NULL}};
  luaL_newlib(L, fns);
  lua_pushlightuserdata(L, NULL);
  lua_setfield(L, -2, "null");
  lua_setfield(L, -2, "json");
}
