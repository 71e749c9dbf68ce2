/* data.c - rh.data's C half: the Dataset and Loader userdata, IDX loading, the
 * synthetic tasks. The search path of data.mnist / data.fashion_mnist lives in
 * bindings/lua/data.lua.
 *
 * A Dataset userdata holds an rh_dataset by value; its user value is a Lua table of
 * descriptive fields (name, task, rank, ...) that ds.<field> reads and that subsets,
 * splits and relabellings copy.
 *
 * Batches (ds:get, ds:batch, the loader) are tensors on the dataset's device: the one
 * ds:to chose, else the default device (rh.device) at the time. On the device the store
 * is uploaded once and batches are gathered and scaled there (kernels/dataset.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "idx.h"
#include "rh_lua.h"
#include "synthetic.h"

#define RH_DATASET_MT "rankhost.Dataset"
#define RH_LOADER_MT "rankhost.Loader"

/* ---- the Dataset userdata ---- */

static rh_dataset *check_ds(lua_State *L, int idx) {
  rh_dataset *ds = luaL_testudata(L, idx, RH_DATASET_MT);
  if (!ds) luaL_argerror(L, idx, lua_pushfstring(L, "dataset expected, got %s", luaL_typename(L, idx)));
  if (!ds->x) luaL_argerror(L, idx, "dataset has been released");
  return ds;
}

/* Pushes an empty Dataset userdata whose info table is a shallow copy of the one of the
 * dataset at `from` (0: a fresh table). Fill the returned header before anything fails. */
static rh_dataset *push_ds(lua_State *L, int from) {
  if (from < 0) from = lua_gettop(L) + from + 1;
  rh_dataset *ds = lua_newuserdatauv(L, sizeof *ds, 1);
  memset(ds, 0, sizeof *ds);
  luaL_setmetatable(L, RH_DATASET_MT);
  lua_newtable(L);
  if (from > 0) {
    lua_getiuservalue(L, from, 1);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_settable(L, -5);
    }
    lua_pop(L, 1);
  }
  lua_setiuservalue(L, -2, 1);
  return ds;
}

/* Sets info field k of the dataset on top of the stack to the value on top (pops it). */
static void set_info(lua_State *L, const char *k) {
  lua_getiuservalue(L, -2, 1);
  lua_insert(L, -2);
  lua_setfield(L, -2, k);
  lua_pop(L, 1);
}

static void set_info_str(lua_State *L, const char *k, const char *v) {
  lua_pushstring(L, v);
  set_info(L, k);
}

static void set_info_num(lua_State *L, const char *k, lua_Number v) {
  lua_pushnumber(L, v);
  set_info(L, k);
}

static void set_info_int(lua_State *L, const char *k, lua_Integer v) {
  lua_pushinteger(L, v);
  set_info(L, k);
}

/* Where the batches of ds go: pinned by ds:to, else the default device. */
static rh_device ds_device(const rh_dataset *ds) { return ds->pinned ? ds->device : rhL_default_device(); }

/* Tells Lua's collector about a store it cannot see. */
static void account_bytes(lua_State *L, size_t bytes) {
  if (bytes >= 1024) lua_gc(L, LUA_GCSTEP, (int)(bytes / 1024 > 1 << 30 ? 1 << 30 : bytes / 1024));
}

static int ds_gc(lua_State *L) {
  rh_dataset_release(luaL_checkudata(L, 1, RH_DATASET_MT));
  return 0;
}

static int ds_size(lua_State *L) {
  lua_pushinteger(L, check_ds(L, 1)->n);
  return 1;
}

/* ds.dim, ds.classes, ds.n are the store's; other fields come from the info table. */
static int ds_index(lua_State *L) {
  rh_dataset *ds = check_ds(L, 1);
  const char *k = lua_tostring(L, 2);
  if (k && lua_type(L, 2) == LUA_TSTRING) {
    if (strcmp(k, "dim") == 0) return lua_pushinteger(L, ds->dim), 1;
    if (strcmp(k, "classes") == 0) return lua_pushinteger(L, ds->classes), 1;
    if (strcmp(k, "n") == 0) return lua_pushinteger(L, ds->n), 1;
    if (strcmp(k, "bytes") == 0) /* memory held by the features, for reports */
      return lua_pushinteger(L, (lua_Integer)ds->x->bytes), 1;
    if (strcmp(k, "device") == 0) return lua_pushstring(L, ds_device(ds) == RH_CUDA ? "cuda" : "cpu"), 1;
    if (strcmp(k, "features") == 0) return lua_pushstring(L, ds->kind == RH_FEAT_U8 ? "uint8" : "float32"), 1;
    luaL_getmetafield(L, 1, "methods");
    if (lua_getfield(L, -1, k) != LUA_TNIL) return 1;
    lua_pop(L, 2);
  }
  lua_getiuservalue(L, 1, 1);
  lua_pushvalue(L, 2);
  lua_gettable(L, -2);
  return 1;
}

static int ds_newindex(lua_State *L) {
  check_ds(L, 1);
  const char *k = lua_tostring(L, 2);
  if (k && (!strcmp(k, "dim") || !strcmp(k, "classes") || !strcmp(k, "n") || !strcmp(k, "device")))
    return luaL_error(L, "dataset field '%s' is read-only", k);
  lua_getiuservalue(L, 1, 1);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 3);
  lua_settable(L, -3);
  return 0;
}

static int ds_tostring(lua_State *L) {
  rh_dataset *ds = luaL_checkudata(L, 1, RH_DATASET_MT);
  lua_getiuservalue(L, 1, 1);
  lua_getfield(L, -1, "name");
  const char *name = lua_isstring(L, -1) ? lua_tostring(L, -1) : "dataset";
  lua_pushfstring(L, "%s: %I examples of dim %I, %d classes (%s)", name, (lua_Integer)ds->n, (lua_Integer)ds->dim,
                  ds->classes, ds->kind == RH_FEAT_U8 ? "uint8" : "float32");
  return 1;
}

/* A 1-based position argument checked against ds; 0-based result. */
static int64_t check_pos(lua_State *L, int arg, const rh_dataset *ds) {
  lua_Integer i = luaL_checkinteger(L, arg);
  if (i < 1 || i > ds->n)
    luaL_argerror(L, arg, lua_pushfstring(L, "index %I is outside 1..%I", i, (lua_Integer)ds->n));
  return (int64_t)i - 1;
}

/* ds:get(i) -> x (1-D tensor of dim), y (class id) */
static int ds_get(lua_State *L) {
  rh_dataset *ds = check_ds(L, 1);
  int64_t i = check_pos(L, 2, ds);
  rh_tensor *x = rhL_newtensor(L, 1, &ds->dim, ds_device(ds));
  rh_tensor row; /* x seen as the 1 x dim batch the gather fills */
  int64_t shape[2] = {1, ds->dim};
  rh_status st = rh_view_reshape(&row, x, 2, shape);
  if (st == RH_OK) {
    st = rh_dataset_gather_to(ds, &i, 1, &row, NULL);
    rh_tensor_release(&row);
  }
  rhL_check(L, st, 0);
  lua_pushinteger(L, rh_dataset_label(ds, i));
  return 2;
}

/* Reads 1-based indices from a table or a 1-D tensor at arg into a 0-based array kept
 * alive as a userdata on the stack. */
static int64_t *check_indices(lua_State *L, int arg, int64_t *count) {
  rh_tensor *t = rhL_totensor(L, arg);
  int64_t n;
  if (t) {
    if (!t->storage) luaL_argerror(L, arg, "tensor has been released");
    if (t->ndim != 1 || rh_dev(t) != RH_CPU) luaL_argerror(L, arg, "indices must be a 1-D CPU tensor or a table");
    n = t->size[0];
  } else {
    luaL_checktype(L, arg, LUA_TTABLE);
    n = (int64_t)luaL_len(L, arg);
  }
  int64_t *idx = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *idx, 0);
  for (int64_t i = 0; i < n; i++) {
    double v;
    if (t) {
      v = rh_data(t)[i * t->stride[0]];
    } else {
      lua_geti(L, arg, i + 1);
      int ok;
      v = (double)lua_tointegerx(L, -1, &ok);
      if (!ok) luaL_argerror(L, arg, lua_pushfstring(L, "index %I is not an integer", (lua_Integer)i + 1));
      lua_pop(L, 1);
    }
    if (v != floor(v) || !(fabs(v) < 9e15))
      luaL_argerror(L, arg, lua_pushfstring(L, "entry %I is not an integer", (lua_Integer)i + 1));
    idx[i] = (int64_t)v - 1;
  }
  *count = n;
  return idx;
}

static void check_range(lua_State *L, int arg, const rh_dataset *ds, const int64_t *idx, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (idx[i] < 0 || idx[i] >= ds->n)
      luaL_argerror(L, arg, lua_pushfstring(L, "index %I is outside 1..%I", (lua_Integer)idx[i] + 1,
                                            (lua_Integer)ds->n));
}

/* ds:batch(idx) -> X (B x dim), Y (B class ids) */
static int ds_batch(lua_State *L) {
  rh_dataset *ds = check_ds(L, 1);
  int64_t b;
  int64_t *idx = check_indices(L, 2, &b);
  check_range(L, 2, ds, idx, b);
  rh_tensor *x = rhL_newtensor2(L, b, ds->dim, ds_device(ds));
  rh_tensor *y = rhL_newtensor(L, 1, &b, ds_device(ds));
  rhL_check(L, rh_dataset_gather_to(ds, idx, b, x, y), 0);
  return 2;
}

/* ds:labels() -> 1-D tensor of class ids (on the dataset's device) */
static int ds_labels(lua_State *L) {
  rh_dataset *ds = check_ds(L, 1);
  rh_tensor *y = rhL_newtensor(L, 1, &ds->n, RH_CPU);
  float *p = rh_data(y);
  for (int64_t i = 0; i < ds->n; i++) p[i] = (float)rh_dataset_label(ds, i);
  if (ds_device(ds) == RH_CPU) return 1;
  rh_tensor *d = rhL_newtensor(L, 1, &ds->n, ds_device(ds));
  rhL_check(L, rh_copy(d, y), 0);
  return 1;
}

/* ds:to("cuda"|"cpu") -> a view of ds whose batches go to that device; "cuda" uploads
 * the store now (once: views share it). */
static int ds_to(lua_State *L) {
  rh_dataset *ds = check_ds(L, 1);
  rh_device d = rhL_checkdevice(L, 2);
  rh_dataset *out = push_ds(L, 1);
  rh_dataset_share(out, ds);
  rh_status st = rh_dataset_to(out, d);
  if (rhL_collect_for(L, st)) st = rh_dataset_to(out, d); /* dead tensors may hold the device memory */
  rhL_check(L, st, 2);
  return 1;
}

/* ds:subset(first, last) -> a view of positions first..last (inclusive) */
static int ds_subset(lua_State *L) {
  rh_dataset *ds = check_ds(L, 1);
  lua_Integer first = luaL_checkinteger(L, 2);
  lua_Integer last = luaL_optinteger(L, 3, ds->n);
  if (first < 1 || first > ds->n + 1)
    luaL_argerror(L, 2, lua_pushfstring(L, "first %I is outside 1..%I", first, (lua_Integer)ds->n));
  if (last < first - 1 || last > ds->n)
    luaL_argerror(L, 3, lua_pushfstring(L, "last %I is outside %I..%I", last, first - 1, (lua_Integer)ds->n));
  rh_dataset *out = push_ds(L, 1);
  rhL_check(L, rh_dataset_subset(out, ds, first - 1, last - first + 1), 0);
  return 1;
}

/* A seed from opts/argument, or drawn from rh's global stream (reproducible under rh.seed). */
static uint64_t seed_or_global(lua_State *L, int arg) {
  if (lua_isnoneornil(L, arg)) return rh_rng_u32(rhL_rng());
  return (uint64_t)luaL_checkinteger(L, arg);
}

static uint64_t seed_field(lua_State *L, int t) {
  lua_getfield(L, t, "seed");
  int absent = lua_isnil(L, -1);
  lua_pop(L, 1);
  if (absent) return rh_rng_u32(rhL_rng());
  return (uint64_t)rhL_optintfield(L, t, "seed", 0);
}

/* ds:split(fraction, seed) -> a (round(fraction * n) examples), b (the rest), shuffled */
static int ds_split(lua_State *L) {
  rh_dataset *ds = check_ds(L, 1);
  lua_Number f = luaL_checknumber(L, 2);
  if (!(f >= 0 && f <= 1)) luaL_argerror(L, 2, "fraction must be in [0, 1]");
  uint64_t seed = seed_or_global(L, 3);
  rh_dataset *a = push_ds(L, 1);
  rh_dataset *b = push_ds(L, 1);
  rhL_check(L, rh_dataset_split(a, b, ds, (int64_t)floor(f * (double)ds->n + 0.5), seed), 0);
  return 2;
}

/* ---- rh.data functions ---- */

/* data.idx(images_path, labels_path [, {classes=10, name=}]) */
static int l_idx(lua_State *L) {
  const char *ip = luaL_checkstring(L, 1), *lp = luaL_checkstring(L, 2);
  static const char *const keys[] = {"classes", "name", NULL};
  rhL_checkoptions(L, 3, keys);
  lua_Integer classes = rhL_optintfield(L, 3, "classes", 10);
  if (classes < 1 || classes > 256) luaL_argerror(L, 3, "classes must be in 1..256");
  rh_dataset *ds = push_ds(L, 0);
  rh_idx im, lb;
  rh_status st = rh_idx_read(ip, &im);
  if (st != RH_OK) return rhL_error(L, "%s", rh_error());
  if ((st = rh_idx_read(lp, &lb)) != RH_OK) {
    rh_idx_free(&im);
    return rhL_error(L, "%s", rh_error());
  }
  st = rh_dataset_from_idx(ds, &im, &lb, (int)classes, ip, lp);
  rh_idx_free(&im);
  rh_idx_free(&lb);
  if (st != RH_OK) return rhL_error(L, "%s", rh_error());
  account_bytes(L, ds->x->bytes);
  const char *name = ip;
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "name"); /* the opts table keeps the string alive */
    if (lua_isstring(L, -1)) name = lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  set_info_str(L, "name", name);
  set_info_str(L, "images_path", ip);
  set_info_str(L, "labels_path", lp);
  return 1;
}

static lua_Integer need_int(lua_State *L, int t, const char *k, lua_Integer lo, lua_Integer hi) {
  lua_getfield(L, t, k);
  int ok;
  lua_Integer v = lua_tointegerx(L, -1, &ok);
  lua_pop(L, 1);
  if (!ok) luaL_argerror(L, t, lua_pushfstring(L, "field '%s' (an integer) is required", k));
  if (v < lo || v > hi) luaL_argerror(L, t, lua_pushfstring(L, "field '%s' must be in %I..%I, got %I", k, lo, hi, v));
  return v;
}

#define MAXN ((lua_Integer)1 << 30)

/* data.teacher{n=, dim=, rank=, classes=, hidden=64, noise=0, seed=} */
static int l_teacher(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const keys[] = {"n", "dim", "rank", "classes", "hidden", "noise", "seed", NULL};
  rhL_checkoptions(L, 1, keys);
  lua_Integer n = need_int(L, 1, "n", 1, MAXN), dim = need_int(L, 1, "dim", 1, 1 << 20);
  lua_Integer rank = need_int(L, 1, "rank", 1, 1 << 16), classes = need_int(L, 1, "classes", 2, 1 << 16);
  lua_Integer hidden = rhL_optintfield(L, 1, "hidden", rank > 64 ? rank : 64);
  lua_Number noise = rhL_optnumfield(L, 1, "noise", 0);
  uint64_t seed = seed_field(L, 1);
  int64_t usz[2] = {hidden, dim}, vsz[2] = {classes, hidden};
  if (hidden < 1 || hidden > 1 << 16) luaL_argerror(L, 1, "field 'hidden' must be in 1..65536");
  rh_tensor *U = rhL_newtensor(L, 2, usz, RH_CPU);
  rh_tensor *V = rhL_newtensor(L, 2, vsz, RH_CPU);
  rh_dataset *ds = push_ds(L, 0);
  rhL_check(L, rh_synth_teacher(ds, rh_data(U), rh_data(V), n, dim, rank, hidden, (int)classes, noise, seed), 1);
  account_bytes(L, ds->x->bytes);
  set_info_str(L, "name", "teacher");
  set_info_str(L, "task", "teacher");
  set_info_int(L, "rank", rank);
  set_info_int(L, "hidden", hidden);
  set_info_num(L, "noise", noise);
  set_info_int(L, "seed", (lua_Integer)seed);
  lua_pushvalue(L, -3);
  set_info(L, "U");
  lua_pushvalue(L, -2);
  set_info(L, "V");
  return 1;
}

/* data.parity{n=, bits=, k=, seed=} */
static int l_parity(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const keys[] = {"n", "bits", "k", "seed", NULL};
  rhL_checkoptions(L, 1, keys);
  lua_Integer n = need_int(L, 1, "n", 1, MAXN), bits = need_int(L, 1, "bits", 1, 1 << 20);
  lua_Integer k = need_int(L, 1, "k", 1, bits);
  uint64_t seed = seed_field(L, 1);
  int64_t *coords = lua_newuserdatauv(L, (size_t)k * sizeof *coords, 0);
  rh_dataset *ds = push_ds(L, 0);
  rhL_check(L, rh_synth_parity(ds, coords, n, bits, k, seed), 1);
  account_bytes(L, ds->x->bytes);
  set_info_str(L, "name", "parity");
  set_info_str(L, "task", "parity");
  set_info_int(L, "k", k);
  set_info_int(L, "bits", bits);
  set_info_int(L, "seed", (lua_Integer)seed);
  lua_createtable(L, (int)k, 0);
  for (lua_Integer j = 0; j < k; j++) {
    lua_pushinteger(L, coords[j] + 1);
    lua_rawseti(L, -2, j + 1);
  }
  set_info(L, "coords");
  return 1;
}

/* data.mixture{n=, dim=, classes=, spread=1, seed=} */
static int l_mixture(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const keys[] = {"n", "dim", "classes", "spread", "seed", NULL};
  rhL_checkoptions(L, 1, keys);
  lua_Integer n = need_int(L, 1, "n", 1, MAXN), dim = need_int(L, 1, "dim", 1, 1 << 20);
  lua_Integer classes = need_int(L, 1, "classes", 2, 1 << 16);
  lua_Number spread = rhL_optnumfield(L, 1, "spread", 1);
  uint64_t seed = seed_field(L, 1);
  int64_t msz[2] = {classes, dim};
  rh_tensor *M = rhL_newtensor(L, 2, msz, RH_CPU);
  rh_dataset *ds = push_ds(L, 0);
  rhL_check(L, rh_synth_mixture(ds, rh_data(M), n, dim, (int)classes, spread, seed), 1);
  account_bytes(L, ds->x->bytes);
  set_info_str(L, "name", "mixture");
  set_info_str(L, "task", "mixture");
  set_info_num(L, "spread", spread);
  set_info_int(L, "seed", (lua_Integer)seed);
  lua_pushvalue(L, -2);
  set_info(L, "means");
  return 1;
}

/* data.random_labels(ds, fraction, seed) -> a dataset whose labels are uniform random on
 * a seeded fraction of examples; .replaced is a 0/1 tensor marking them. */
static int l_random_labels(lua_State *L) {
  rh_dataset *ds = check_ds(L, 1);
  lua_Number f = luaL_checknumber(L, 2);
  if (!(f >= 0 && f <= 1)) luaL_argerror(L, 2, "fraction must be in [0, 1]");
  uint64_t seed = seed_or_global(L, 3);
  uint8_t *mark = lua_newuserdatauv(L, (size_t)(ds->n ? ds->n : 1), 0);
  rh_tensor *rep = rhL_newtensor(L, 1, &ds->n, RH_CPU);
  rh_dataset *out = push_ds(L, 1);
  rhL_check(L, rh_dataset_random_labels(out, mark, ds, f, seed), 0);
  float *p = rh_data(rep);
  for (int64_t i = 0; i < ds->n; i++) p[i] = mark[i];
  set_info_num(L, "random_fraction", f);
  lua_pushvalue(L, -2);
  set_info(L, "replaced");
  return 1;
}

/* ---- the Loader ---- */

typedef struct loader {
  int64_t *order; /* this epoch's order of positions (malloc'd) */
  int64_t n, batch, pos, epoch, ordered_epoch;
  uint64_t seed;
  int shuffle, drop_last, reseed;
} loader;

enum { UV_DS = 1, UV_X, UV_Y, UV_XS, UV_YS, UV_COUNT = UV_YS };

static loader *check_loader(lua_State *L, int idx) { return luaL_checkudata(L, idx, RH_LOADER_MT); }

static int loader_gc(lua_State *L) {
  loader *ld = check_loader(L, 1);
  free(ld->order);
  ld->order = NULL;
  return 0;
}

/* data.loader(ds, {batch=64, shuffle=true, seed=, drop_last=false, reseed=false}): the
 * batches are reused buffers on the device the dataset had when the loader was made.
 * reseed: epoch e is ordered by the seed seed + e (the first epoch of a loader seeded
 * seed + e), the order rh.train.fit has always used, from one loader. */
static int l_loader(lua_State *L) {
  rh_dataset *ds = check_ds(L, 1);
  static const char *const keys[] = {"batch", "shuffle", "seed", "drop_last", "reseed", NULL};
  rhL_checkoptions(L, 2, keys);
  lua_Integer batch = rhL_optintfield(L, 2, "batch", 64);
  if (batch < 1 || batch > MAXN) luaL_argerror(L, 2, "field 'batch' must be >= 1");
  int shuffle = rhL_optboolfield(L, 2, "shuffle", 1);
  int drop_last = rhL_optboolfield(L, 2, "drop_last", 0);
  int reseed = rhL_optboolfield(L, 2, "reseed", 0);
  uint64_t seed = lua_istable(L, 2) ? seed_field(L, 2) : rh_rng_u32(rhL_rng());
  loader *ld = lua_newuserdatauv(L, sizeof *ld, UV_COUNT);
  memset(ld, 0, sizeof *ld);
  luaL_setmetatable(L, RH_LOADER_MT);
  ld->n = ds->n;
  ld->batch = batch > ds->n && ds->n > 0 ? ds->n : batch;
  ld->seed = seed;
  ld->shuffle = shuffle;
  ld->drop_last = drop_last;
  ld->reseed = reseed;
  ld->epoch = 1;
  ld->order = malloc((size_t)(ds->n ? ds->n : 1) * sizeof *ld->order);
  if (!ld->order) return luaL_error(L, "loader: out of memory");
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, UV_DS);
  rh_tensor *X = rhL_newtensor2(L, ld->batch, ds->dim, ds_device(ds));
  lua_setiuservalue(L, -2, UV_X);
  rhL_newtensor(L, 1, &ld->batch, ds_device(ds));
  lua_setiuservalue(L, -2, UV_Y);
  int64_t rem = ds->n % ld->batch;
  if (rem && !drop_last) { /* the short last batch: views of the buffers' first rows */
    lua_getiuservalue(L, -1, UV_Y);
    rh_tensor *Y = rhL_checktensor(L, -1);
    rh_tensor *xs = rhL_pushempty(L);
    rhL_check(L, rh_view_narrow(xs, X, 0, 0, rem), 0);
    lua_setiuservalue(L, -3, UV_XS);
    rh_tensor *ys = rhL_pushempty(L);
    rhL_check(L, rh_view_narrow(ys, Y, 0, 0, rem), 0);
    lua_setiuservalue(L, -3, UV_YS);
    lua_pop(L, 1);
  }
  return 1;
}

static int64_t loader_batches(const loader *ld) {
  return ld->drop_last ? ld->n / ld->batch : (ld->n + ld->batch - 1) / ld->batch;
}

/* Fills the next batch into the reused buffers and pushes X, Y; pushes nil at the end
 * of an epoch (the next call begins the next epoch). */
static int loader_step(lua_State *L, loader *ld) {
  int64_t left = ld->n - ld->pos;
  int64_t b = left < ld->batch ? left : ld->batch;
  if (b == 0 || (b < ld->batch && ld->drop_last)) {
    ld->epoch++;
    ld->pos = 0;
    lua_pushnil(L);
    return 1;
  }
  if (ld->ordered_epoch != ld->epoch) {
    if (ld->reseed)
      rh_epoch_order(ld->order, ld->n, ld->seed + (uint64_t)ld->epoch, 1, ld->shuffle);
    else
      rh_epoch_order(ld->order, ld->n, ld->seed, (uint64_t)ld->epoch, ld->shuffle);
    ld->ordered_epoch = ld->epoch;
  }
  lua_getiuservalue(L, 1, UV_DS);
  rh_dataset *ds = check_ds(L, -1);
  if (ds->n != ld->n) return luaL_error(L, "loader: the dataset changed size");
  int full = b == ld->batch;
  lua_getiuservalue(L, 1, full ? UV_X : UV_XS);
  lua_getiuservalue(L, 1, full ? UV_Y : UV_YS);
  rh_tensor *X = rhL_checktensor(L, -2), *Y = rhL_checktensor(L, -1);
  if (!rh_is_contiguous(X) || X->size[0] != b || !rh_is_contiguous(Y))
    return luaL_error(L, "loader: batch buffers were changed");
  rhL_check(L, rh_dataset_gather_to(ds, ld->order + ld->pos, b, X, Y), 0);
  ld->pos += b;
  return 2;
}

/* for X, Y in loader do ... end: a call with a nil control value starts a loop; if the
 * last loop left its epoch unfinished (a break), that epoch is closed and the next begins. */
static int loader_call(lua_State *L) {
  loader *ld = check_loader(L, 1);
  if (lua_isnoneornil(L, 3) && ld->pos > 0) {
    ld->epoch++;
    ld->pos = 0;
  }
  return loader_step(L, ld);
}

/* loader:next() -> X, Y, or nil at the end of an epoch */
static int loader_next(lua_State *L) { return loader_step(L, check_loader(L, 1)); }

/* loader:epoch() -> the epoch under way or next to begin (1-based) */
static int loader_epoch(lua_State *L) {
  lua_pushinteger(L, check_loader(L, 1)->epoch);
  return 1;
}

/* loader:set_epoch(e): the next batch is the first of epoch e (to resume a run) */
static int loader_set_epoch(lua_State *L) {
  loader *ld = check_loader(L, 1);
  lua_Integer e = luaL_checkinteger(L, 2);
  if (e < 1) luaL_argerror(L, 2, "epoch must be >= 1");
  ld->epoch = e;
  ld->pos = 0;
  return 0;
}

/* loader:batches() or #loader -> batches per epoch */
static int loader_len(lua_State *L) {
  lua_pushinteger(L, loader_batches(check_loader(L, 1)));
  return 1;
}

/* ---- registration ---- */

void rhb_open_data(lua_State *L) {
  static const luaL_Reg ds_methods[] = {{"size", ds_size},     {"get", ds_get},     {"batch", ds_batch},
                                        {"labels", ds_labels}, {"subset", ds_subset}, {"split", ds_split},
                                        {"to", ds_to},
                                        {NULL, NULL}};
  static const luaL_Reg ds_meta[] = {{"__index", ds_index}, {"__newindex", ds_newindex}, {"__len", ds_size},
                                     {"__gc", ds_gc},       {"__close", ds_gc},          {"__tostring", ds_tostring},
                                     {NULL, NULL}};
  luaL_newmetatable(L, RH_DATASET_MT);
  luaL_setfuncs(L, ds_meta, 0);
  luaL_newlib(L, ds_methods);
  lua_setfield(L, -2, "methods");
  lua_pop(L, 1);

  static const luaL_Reg ld_methods[] = {{"next", loader_next},           {"epoch", loader_epoch},
                                        {"set_epoch", loader_set_epoch}, {"batches", loader_len},
                                        {NULL, NULL}};
  static const luaL_Reg ld_meta[] = {{"__call", loader_call}, {"__len", loader_len}, {"__gc", loader_gc},
                                     {NULL, NULL}};
  luaL_newmetatable(L, RH_LOADER_MT);
  luaL_setfuncs(L, ld_meta, 0);
  luaL_newlib(L, ld_methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);

  static const luaL_Reg fns[] = {{"idx", l_idx},         {"teacher", l_teacher},
                                 {"parity", l_parity},   {"mixture", l_mixture},
                                 {"random_labels", l_random_labels}, {"loader", l_loader},
                                 {NULL, NULL}};
  luaL_newlib(L, fns);
  lua_setfield(L, -2, "data");
}
