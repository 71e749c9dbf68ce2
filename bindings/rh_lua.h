/* rh_lua.h - what every binding file shares: the tensor userdata, argument checks,
 * turning a kernel status into a Lua error, and the global random stream. */
#ifndef RH_LUA_H
#define RH_LUA_H

#include <lauxlib.h>
#include <lua.h>

#include "random.h"
#include "tensor.h"

#define RH_TENSOR_MT "rankhost.Tensor"

/* ---- tensor userdata (holds an rh_tensor by value) ---- */
/* The registry key (its address) of the tensor metatable, set by rhb_open_tensor. */
extern char rhL_tensor_key;
/* The tensor at idx, or a Lua error naming the argument ("tensor expected, got nil"). */
rh_tensor *rhL_checktensor(lua_State *L, int idx);
/* The tensor at idx, or NULL when the value is not a tensor. */
rh_tensor *rhL_totensor(lua_State *L, int idx);
/* Pushes a new userdata with an empty header (storage NULL: safe to collect). Whatever
 * retains a storage (a view, a copy) is made into it after it is pushed, never into a C
 * local first: then no error or failed allocation can strand the retain. */
rh_tensor *rhL_pushempty(lua_State *L);
/* Pushes a new contiguous tensor of the given shape on `dev`. On a failed device
 * allocation it collects garbage and retries once, then raises "out of memory". */
rh_tensor *rhL_newtensor(lua_State *L, int ndim, const int64_t *size, rh_device dev);
rh_tensor *rhL_newtensor2(lua_State *L, int64_t rows, int64_t cols, rh_device dev);
rh_tensor *rhL_newlike(lua_State *L, const rh_tensor *like);
/* Pushes t's elements contiguous on `dev` (rh_contiguous_on: t's storage shared when it
 * already is, else a copy) in a userdata created before the copy is made. Collects and
 * retries once on a failed allocation; a failure is an error for argument `arg`. */
rh_tensor *rhL_pushcontiguous(lua_State *L, const rh_tensor *t, rh_device dev, int arg);
/* The retry policy for allocations: when st is RH_ENOMEM, runs a full collection (memory
 * held by unreachable tensors) and returns 1, and the caller retries once; else 0. */
int rhL_collect_for(lua_State *L, rh_status st);
/* Tells Lua's collector about tensor memory allocated since the last call. */
void rhL_account(lua_State *L);

/* ---- errors ---- */
/* If st != RH_OK: raises an error for argument `arg` (>0) of the running function
 * ("bad argument #arg to 'fn' (detail)"), or a plain error naming the function (arg 0). */
void rhL_check(lua_State *L, rh_status st, int arg);
/* What went wrong in a call that returned st: rh_error(), or st's name when it is empty. */
const char *rhL_detail(rh_status st);
/* Raises "fname: msg" naming the current function. */
int rhL_error(lua_State *L, const char *fmt, ...);
/* Checks that all tensors share one device; raises for argument `arg` otherwise. */
void rhL_samedevice(lua_State *L, const rh_tensor *a, const rh_tensor *b, int arg);

/* Registers a metatable `name` whose only field is __gc = gc: for scratch userdata that
 * must free a C buffer even when an error jumps out before the owner frees it. */
void rhL_gcmeta(lua_State *L, const char *name, lua_CFunction gc);

/* ---- arguments ---- */
/* A size argument: an integer >= 0 (negative sizes are refused with a clear error). */
int64_t rhL_checksize(lua_State *L, int arg);
/* A 1-based dim argument checked against t (negative counts from the end); 0-based result. */
int rhL_checkdim(lua_State *L, int arg, const rh_tensor *t);
/* A shape from either a table {r,c,...} at idx or integers idx..top. Returns ndim. */
int rhL_checkshape(lua_State *L, int idx, int64_t *size);
/* Device name "cpu"/"cuda" to rh_device; raises on anything else. */
rh_device rhL_checkdevice(lua_State *L, int arg);
/* Reads an optional field of a table; def when absent. Raises for a wrong type. */
lua_Number rhL_optnumfield(lua_State *L, int t, const char *k, lua_Number def);
lua_Integer rhL_optintfield(lua_State *L, int t, const char *k, lua_Integer def);
int rhL_optboolfield(lua_State *L, int t, const char *k, int def);
/* Raises "bad argument #idx to 'f' (unknown option 'k'; did you mean 'x'?)" when the table
 * at idx has a key not in names (a NULL-terminated list), and "(options table expected, got
 * boolean)" when idx holds neither a table nor nil (absent options pass). bindings/options.c */
void rhL_checkoptions(lua_State *L, int idx, const char *const *names);

/* ---- global state (bindings/state.c) ---- */
rh_rng *rhL_rng(void);          /* the global random stream, seeded by rh.seed */
rh_device rhL_default_device(void);

/* ---- module openers: each adds its functions to the table on top of the stack ---- */
#define RH_BINDING_MODULES(X) \
  X(state)                    \
  X(options)                  \
  X(generator)                \
  X(proc)                     \
  X(tensor)                   \
  X(mpi)                      \
  X(linalg)                   \
  X(data)                     \
  X(nn)                       \
  X(cuda)                     \
  X(io)                       \
  X(json)

#define RH_DECLARE_OPEN(name) void rhb_open_##name(lua_State *L);
RH_BINDING_MODULES(RH_DECLARE_OPEN)
#undef RH_DECLARE_OPEN

#endif
