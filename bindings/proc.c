/* proc.c - rh.proc: the process calls a study needs to train runs in local worker
 * processes (scripts/common/workers.lua): fork, wait, _exit, getpid.
 *
 * A child made by rh.proc.fork() is a copy of the Lua state: it shares the parent's
 * datasets copy-on-write (they are never written after loading), so N workers hold one
 * copy of the data. stdio is flushed before forking, so that text the parent printed is
 * not printed again by the child, and rh.proc.exit flushes before _exit, which skips the
 * atexit handlers and Lua's close that belong to the parent. A child must not use CUDA or
 * MPI state made by the parent. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "rh_lua.h"

/* rh.proc.fork() -> pid in the parent, 0 in the child. On Linux the child is killed when
 * the parent dies (a sweep killed with SIGKILL leaves no orphan worker training on). */
static int l_fork(lua_State *L) {
  fflush(NULL);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return luaL_error(L, "fork: %s", strerror(errno));
#ifdef __linux__
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1); /* the parent died before prctl took effect */
  }
#else
  (void)parent;
#endif
  lua_pushinteger(L, (lua_Integer)pid);
  return 1;
}

/* rh.proc.wait([pid [, {nohang=false}]]) -> pid, "exited"|"signaled", code or signal
 * Waits for the child pid (any child when absent or -1). With nohang and no child done:
 * 0. No child left to wait for: nil, message. */
static int l_wait(lua_State *L) {
  pid_t want = (pid_t)luaL_optinteger(L, 1, -1);
  static const char *const keys[] = {"nohang", NULL};
  rhL_checkoptions(L, 2, keys);
  int nohang = rhL_optboolfield(L, 2, "nohang", 0);
  int status = 0;
  pid_t pid;
  do pid = waitpid(want, &status, nohang ? WNOHANG : 0);
  while (pid < 0 && errno == EINTR);
  if (pid < 0) {
    lua_pushnil(L);
    lua_pushstring(L, strerror(errno));
    return 2;
  }
  lua_pushinteger(L, (lua_Integer)pid);
  if (pid == 0) return 1;
  if (WIFSIGNALED(status)) {
    lua_pushliteral(L, "signaled");
    lua_pushinteger(L, WTERMSIG(status));
  } else {
    lua_pushliteral(L, "exited");
    lua_pushinteger(L, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
  return 3;
}

/* rh.proc.exit(code): flushes stdio and ends this process at once (_exit) */
static int l_exit(lua_State *L) {
  int code = (int)luaL_optinteger(L, 1, 0);
  fflush(NULL);
  _exit(code);
  return 0;
}

/* rh.proc.pid() -> this process's id */
static int l_pid(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)getpid());
  return 1;
}

/* rh.proc.kill(pid [, signal=15]) -> true, or nil, message */
static int l_kill(lua_State *L) {
  pid_t pid = (pid_t)luaL_checkinteger(L, 1);
  int sig = (int)luaL_optinteger(L, 2, SIGTERM);
  if (pid <= 0) return luaL_argerror(L, 1, "a process id > 0 expected");
  if (kill(pid, sig) != 0) {
    lua_pushnil(L);
    lua_pushstring(L, strerror(errno));
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

void rhb_open_proc(lua_State *L) {
  static const luaL_Reg fns[] = {{"fork", l_fork}, {"wait", l_wait}, {"exit", l_exit},
                                 {"pid", l_pid},   {"kill", l_kill}, {NULL, NULL}};
  luaL_newlib(L, fns);
  lua_setfield(L, -2, "proc");
}
