/* mpi.c - rh.mpi: just enough MPI for sweeps spread over ranks.
 *
 * A run is handed out by a shared counter on rank 0 that every rank advances with an
 * atomic MPI_Fetch_and_op (passive-target one-sided communication): a rank that finishes
 * early simply takes the next index, and rank 0 trains like the others. Built only when
 * CMake finds MPI (RH_HAVE_MPI); otherwise rh.mpi.available() is false. */
#include <stdlib.h>
#include <string.h>

#include "rh_lua.h"

#ifdef RH_HAVE_MPI
#include <mpi.h>

static int started;  /* we called MPI_Init */
static MPI_Win counter_win = MPI_WIN_NULL;
static long *counter_mem;

/* True when this process was started by mpirun/srun (so MPI_Init is wanted). */
static int launched(void) {
  static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "MPI_LOCALNRANKS", NULL};
  for (int i = 0; vars[i]; i++)
    if (getenv(vars[i])) return 1;
  return 0;
}

static void finish(void) {
  int fin = 0;
  MPI_Finalized(&fin);
  if (fin) return;
  if (counter_win != MPI_WIN_NULL) MPI_Win_free(&counter_win);
  if (counter_mem) MPI_Free_mem(counter_mem);
  counter_mem = NULL;
  MPI_Finalize();
}

static void ensure_init(lua_State *L) {
  int init = 0;
  MPI_Initialized(&init);
  if (init) return;
  if (!launched()) luaL_error(L, "rh.mpi: this process was not started by mpirun or srun");
  int provided;
  if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) luaL_error(L, "rh.mpi: MPI_Init failed");
  started = 1;
  atexit(finish);
}

static int l_available(lua_State *L) {
  lua_pushboolean(L, 1);
  return 1;
}

static int l_launched(lua_State *L) {
  lua_pushboolean(L, launched());
  return 1;
}

static int l_rank(lua_State *L) {
  ensure_init(L);
  int r;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  lua_pushinteger(L, r);
  return 1;
}

static int l_size(lua_State *L) {
  ensure_init(L);
  int n;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  lua_pushinteger(L, n);
  return 1;
}

static int l_barrier(lua_State *L) {
  ensure_init(L);
  MPI_Barrier(MPI_COMM_WORLD);
  return 0;
}

/* rh.mpi.counter_reset(): collective; creates the shared counter at 0. */
static int l_counter_reset(lua_State *L) {
  ensure_init(L);
  if (counter_win != MPI_WIN_NULL) MPI_Win_free(&counter_win);
  if (counter_mem) MPI_Free_mem(counter_mem);
  counter_mem = NULL;
  int r;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  MPI_Aint bytes = r == 0 ? (MPI_Aint)sizeof(long) : 0;
  if (MPI_Alloc_mem(bytes ? bytes : 1, MPI_INFO_NULL, &counter_mem) != MPI_SUCCESS)
    return luaL_error(L, "rh.mpi.counter_reset: MPI_Alloc_mem failed");
  if (r == 0) *counter_mem = 0;
  if (MPI_Win_create(counter_mem, bytes, sizeof(long), MPI_INFO_NULL, MPI_COMM_WORLD, &counter_win) != MPI_SUCCESS)
    return luaL_error(L, "rh.mpi.counter_reset: MPI_Win_create failed");
  MPI_Barrier(MPI_COMM_WORLD);
  return 0;
}

/* rh.mpi.counter_next() -> the next 1-based index, atomically, from any rank. */
static int l_counter_next(lua_State *L) {
  ensure_init(L);
  if (counter_win == MPI_WIN_NULL) return luaL_error(L, "rh.mpi.counter_next: call rh.mpi.counter_reset() first");
  long one = 1, old = 0;
  MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, counter_win);
  MPI_Fetch_and_op(&one, &old, MPI_LONG, 0, 0, MPI_SUM, counter_win);
  MPI_Win_unlock(0, counter_win);
  lua_pushinteger(L, old + 1);
  return 1;
}

/* rh.mpi.gather_strings(s) -> on rank 0 a list of every rank's string (rank order); nil elsewhere. */
static int l_gather_strings(lua_State *L) {
  ensure_init(L);
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  if (len > 0x7fffffff) return luaL_argerror(L, 1, "string too long");
  int r, n;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  int mylen = (int)len;
  int *lens = r == 0 ? lua_newuserdatauv(L, sizeof(int) * (size_t)n, 0) : NULL;
  MPI_Gather(&mylen, 1, MPI_INT, lens, 1, MPI_INT, 0, MPI_COMM_WORLD);
  int *displs = NULL;
  char *buf = NULL;
  long total = 0;
  if (r == 0) {
    displs = lua_newuserdatauv(L, sizeof(int) * (size_t)n, 0);
    for (int i = 0; i < n; i++) {
      displs[i] = (int)total;
      total += lens[i];
    }
    if (total > 0x7fffffff) return luaL_error(L, "rh.mpi.gather_strings: too much data");
    buf = lua_newuserdatauv(L, (size_t)(total ? total : 1), 0);
  }
  MPI_Gatherv(s, mylen, MPI_CHAR, buf, lens, displs, MPI_CHAR, 0, MPI_COMM_WORLD);
  if (r != 0) return 0;
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushlstring(L, buf + displs[i], (size_t)lens[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int l_finalize(lua_State *L) {
  (void)L;
  int init = 0;
  MPI_Initialized(&init);
  if (init && started) finish();
  return 0;
}

static const luaL_Reg mpi_fns[] = {{"available", l_available}, {"launched", l_launched}, {"rank", l_rank},
                                   {"size", l_size}, {"barrier", l_barrier}, {"counter_reset", l_counter_reset},
                                   {"counter_next", l_counter_next}, {"gather_strings", l_gather_strings},
                                   {"finalize", l_finalize}, {NULL, NULL}};
#else
static int l_available(lua_State *L) {
  lua_pushboolean(L, 0);
  return 1;
}
static int l_launched(lua_State *L) {
  lua_pushboolean(L, 0);
  return 1;
}
static int l_unavailable(lua_State *L) {
  return luaL_error(L, "rh.mpi: rankhost was built without MPI (install libopenmpi-dev and rebuild)");
}
static const luaL_Reg mpi_fns[] = {{"available", l_available}, {"launched", l_launched}, {"rank", l_unavailable},
                                   {"size", l_unavailable}, {"barrier", l_unavailable},
                                   {"counter_reset", l_unavailable}, {"counter_next", l_unavailable},
                                   {"gather_strings", l_unavailable}, {"finalize", l_unavailable}, {NULL, NULL}};
#endif

void rhb_open_mpi(lua_State *L) {
  luaL_newlib(L, mpi_fns);
  lua_setfield(L, -2, "mpi");
}
