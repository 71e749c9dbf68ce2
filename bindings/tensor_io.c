/* tensor_io.c - tostring(t) and t:totable(): tensors as text and as Lua tables. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rh_lua.h"
#include "tensor_parts.h" /* declares the functions below that tensor.c calls */

/* t itself on the CPU (read through its strides); for a device tensor, a contiguous host
 * copy pushed on the stack. */
static const rh_tensor *host_view(lua_State *L, const rh_tensor *t) {
  if (rh_dev(t) == RH_CPU) return t;
  return rhL_pushcontiguous(L, t, RH_CPU, 1);
}

static float at(const rh_tensor *t, const int64_t *i) {
  int64_t off = t->offset;
  for (int d = 0; d < t->ndim; d++) off += i[d] * t->stride[d];
  return t->storage->data[off];
}

static void fmt_num(char *buf, size_t n, float v) {
  if (v == (float)(long long)v && fabsf(v) < 1e7f)
    snprintf(buf, n, "%g", (double)v);
  else
    snprintf(buf, n, "%.6g", (double)v);
}

/* Prints the last two dims as a matrix, outer dims as "(i,j,.,.)" blocks; long dims
 * are elided in the middle. */
#define EDGE 6
static int t_tostring(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  const rh_tensor *h = host_view(L, t);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  char num[64], shape[64];
  int64_t idx[RH_MAXDIM] = {0};
  if (t->ndim == 0) {
    fmt_num(num, sizeof num, h->storage->data[h->offset]);
    luaL_addstring(&b, num);
  } else {
    int nd = t->ndim;
    int64_t rows = nd >= 2 ? t->size[nd - 2] : 1, cols = t->size[nd - 1];
    int64_t outer = 1;
    for (int d = 0; d < nd - 2; d++) outer *= t->size[d];
    for (int64_t o = 0; o < outer; o++) {
      int64_t rem = o;
      for (int d = nd - 3; d >= 0; d--) {
        idx[d] = rem % t->size[d];
        rem /= t->size[d];
      }
      if (nd > 2) {
        luaL_addstring(&b, "(");
        for (int d = 0; d < nd - 2; d++) {
          snprintf(num, sizeof num, "%lld,", (long long)idx[d] + 1);
          luaL_addstring(&b, num);
        }
        luaL_addstring(&b, ".,.)\n");
      }
      for (int64_t r = 0; r < rows; r++) {
        if (rows > 2 * EDGE && r == EDGE) {
          luaL_addstring(&b, " ...\n");
          r = rows - EDGE;
        }
        if (nd >= 2) idx[nd - 2] = r;
        for (int64_t c = 0; c < cols; c++) {
          if (cols > 2 * EDGE && c == EDGE) {
            luaL_addstring(&b, "  ...");
            c = cols - EDGE;
          }
          idx[nd - 1] = c;
          fmt_num(num, sizeof num, at(h, idx));
          char cell[80];
          snprintf(cell, sizeof cell, " %10s", num);
          luaL_addstring(&b, cell);
        }
        luaL_addstring(&b, "\n");
      }
    }
  }
  snprintf(num, sizeof num, "[rh.Tensor %s%s]", rh_shape_str(t, shape, sizeof shape),
           rh_dev(t) == RH_CPU ? "" : " cuda");
  if (t->ndim == 0) luaL_addstring(&b, " ");
  luaL_addstring(&b, num);
  luaL_pushresult(&b);
  return 1;
}

static void push_table(lua_State *L, const rh_tensor *t, int64_t *idx, int d) {
  if (d >= RH_MAXDIM) return;
  lua_createtable(L, (int)t->size[d], 0);
  for (int64_t i = 0; i < t->size[d]; i++) {
    idx[d] = i;
    if (d == t->ndim - 1)
      lua_pushnumber(L, at(t, idx));
    else
      push_table(L, t, idx, d + 1);
    lua_rawseti(L, -2, i + 1);
  }
}

/* t:totable() -> nested Lua tables (a number for a 0-D tensor) */
static int t_totable(lua_State *L) {
  rh_tensor *t = rhL_checktensor(L, 1);
  const rh_tensor *h = host_view(L, t);
  if (t->ndim == 0) {
    lua_pushnumber(L, h->storage->data[h->offset]);
    return 1;
  }
  int64_t idx[RH_MAXDIM] = {0};
  luaL_checkstack(L, 2 * RH_MAXDIM + 4, "totable");
  push_table(L, h, idx, 0);
  return 1;
}

static const luaL_Reg io_methods[] = {{"__tostring", t_tostring}, {"totable", t_totable}, {NULL, NULL}};

void tensor_io_register(lua_State *L) { luaL_setfuncs(L, io_methods, 0); }
