/* main.c - the rankhost program, modelled on Lua's own lua.c.
 *
 *   rankhost [options] [script.lua [args...]]
 *
 * Creates a Lua state, opens the standard libraries and `rankhost` (global `rh`),
 * applies --device/--threads/--seed, builds `arg`, and runs the script (or -e chunks,
 * or an interactive prompt) under a traceback handler. Exits 0 on success, 1 on a
 * script error, 2 on a usage error. Knows nothing about tensors. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blas_control.h"
#include "lineedit.h"
#include "rankhost.h"

#define PROGNAME "rankhost"

static const char *usage_text =
    "usage: " PROGNAME " [options] [script.lua [args...]]\n"
    "Runs a Lua 5.4 script with the rankhost library (global `rh`).\n"
    "With no script and no -e, starts an interactive prompt.\n"
    "options:\n"
    "  -e CHUNK          run the Lua chunk CHUNK (may be repeated)\n"
    "  -i                enter the interactive prompt after the script\n"
    "  --device NAME     default device: cpu (default) or cuda\n"
    "  --threads N       OpenBLAS threads (rankhost's own loops use one)\n"
    "  --seed N          seed of every random stream (default 0)\n"
    "  --version         print the version and exit\n"
    "  --help            print this help and exit\n"
    "  --                stop handling options\n"
    "  -                 run the script from standard input\n";

static lua_State *globalL;

/* On Ctrl-C: stop the running Lua code at the next instruction with an error. */
static void lstop(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted!");
}

static void laction(int sig) {
  signal(sig, SIG_DFL);
  lua_sethook(globalL, lstop, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

static int msghandler(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

static int docall(lua_State *L, int narg, int nres) {
  int base = lua_gettop(L) - narg;
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  globalL = L;
  signal(SIGINT, laction);
  int status = lua_pcall(L, narg, nres, base);
  signal(SIGINT, SIG_DFL);
  lua_remove(L, base);
  return status;
}

static int report(lua_State *L, int status) {
  if (status != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "%s: %s\n", PROGNAME, msg ? msg : "(no message)");
    fflush(stderr);
    lua_pop(L, 1);
  }
  return status;
}

/* arg[0] = script, arg[1..] = its arguments, negative indices = the options before. */
static void createargtable(lua_State *L, char **argv, int argc, int script) {
  if (script == argc) script = 0;
  int narg = argc - (script + 1);
  lua_createtable(L, narg, script + 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

static int pushargs(lua_State *L) {
  if (lua_getglobal(L, "arg") != LUA_TTABLE) luaL_error(L, "'arg' is not a table");
  int n = (int)luaL_len(L, -1);
  luaL_checkstack(L, n + 3, "too many arguments to script");
  int i;
  for (i = 1; i <= n; i++) lua_rawgeti(L, -i, i);
  lua_remove(L, -i);
  return n;
}

static int handle_script(lua_State *L, char **argv) {
  const char *fname = argv[0];
  if (strcmp(fname, "-") == 0 && strcmp(argv[-1], "--") != 0) fname = NULL; /* stdin */
  int status = luaL_loadfile(L, fname);
  if (status == LUA_OK) {
    int n = pushargs(L);
    status = docall(L, n, LUA_MULTRET);
  }
  return report(L, status);
}

static int dochunk(lua_State *L, const char *chunk) {
  int status = luaL_loadbuffer(L, chunk, strlen(chunk), "=(command line)");
  if (status == LUA_OK) status = docall(L, 0, 0);
  return report(L, status);
}

/* Calls rh.<fname>(value) to apply a command-line setting. */
static int apply_setting(lua_State *L, const char *fname, const char *value, int as_int) {
  lua_getglobal(L, "rh");
  lua_getfield(L, -1, fname);
  lua_remove(L, -2);
  if (as_int) {
    char *end;
    long long v = strtoll(value, &end, 10);
    if (*value == 0 || *end != 0) {
      fprintf(stderr, "%s: --%s expects an integer, got '%s'\n", PROGNAME, fname, value);
      lua_pop(L, 1);
      return 2;
    }
    lua_pushinteger(L, (lua_Integer)v);
  } else {
    lua_pushstring(L, value);
  }
  return report(L, docall(L, 1, 0)) == LUA_OK ? 0 : 1;
}

/* Interactive prompt: a line is tried as `return line` first, then as a statement;
 * an incomplete statement continues on the next line. Lines come through readline when
 * built with it and stdin is a terminal (lineedit.c: editing, history, Tab completion of
 * names); otherwise plain lines, with no prompt printed when stdin is not a terminal.
 * Chunks are loaded as text only: a stray escape sequence is not taken for bytecode. */
static void doREPL(lua_State *L) {
  int tty = isatty(0);
  rh_lineedit_init(L, tty);
  if (tty)
    printf("rankhost %s (Lua 5.4) -- rh is loaded; help(rh.rank.energy) documents a function; Ctrl-D to quit\n",
           RH_VERSION);
  lua_pushliteral(L, "");
  for (;;) {
    char *line = rh_lineedit_read(tty ? (lua_rawlen(L, -1) ? ">> " : "> ") : NULL);
    if (!line) break;
    if (line[0] == '\x1b' && !rh_lineedit_readline()) {
      fprintf(stderr, "%s: a line starting with an escape sequence (an arrow key?) was ignored: line editing "
              "needs a terminal and a build with readline\n", PROGNAME);
      free(line);
      continue;
    }
    lua_pushvalue(L, -1);
    lua_pushstring(L, line);
    free(line);
    lua_concat(L, 2); /* accumulated source */
    const char *src = lua_tostring(L, -1);
    const char *ret = lua_pushfstring(L, "return %s", src);
    int status = luaL_loadbufferx(L, ret, strlen(ret), "=stdin", "t");
    lua_remove(L, -2);
    if (status != LUA_OK) {
      lua_pop(L, 1);
      status = luaL_loadbufferx(L, src, strlen(src), "=stdin", "t");
      if (status == LUA_ERRSYNTAX) {
        const char *msg = lua_tostring(L, -1);
        size_t ml = strlen(msg);
        if (ml >= 5 && strcmp(msg + ml - 5, "<eof>") == 0) { /* incomplete: keep reading */
          lua_pop(L, 1);
          lua_pushliteral(L, "\n");
          lua_concat(L, 2);
          lua_remove(L, -2);
          continue;
        }
      }
    }
    rh_lineedit_remember(lua_tostring(L, -2)); /* the whole statement, as lua.c keeps it */
    lua_remove(L, -2); /* the accumulated source */
    if (status == LUA_OK) {
      int base = lua_gettop(L);
      status = docall(L, 0, LUA_MULTRET);
      if (status == LUA_OK) {
        int n = lua_gettop(L) - base + 1;
        if (n > 0) {
          lua_getglobal(L, "print");
          lua_insert(L, -(n + 1));
          if (lua_pcall(L, n, 0, 0) != LUA_OK) report(L, LUA_ERRRUN);
        }
      } else {
        report(L, status);
      }
    } else {
      report(L, status);
    }
    lua_settop(L, 0);
    lua_pushliteral(L, "");
  }
  lua_settop(L, 0);
  if (tty) fputc('\n', stdout);
}

typedef struct opts {
  int script;        /* index of the script in argv, or argc when none */
  int has_e, has_i;
  const char *device, *threads, *seed;
} opts;

/* Returns 0 to go on, 1 to exit 0 (help/version printed), 2 on a usage error. */
static int parse_args(int argc, char **argv, opts *o) {
  memset(o, 0, sizeof *o);
  int i;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-') break;
    if (strcmp(a, "-") == 0) break;
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(usage_text, stdout);
      return 1;
    }
    if (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0) {
      printf("rankhost %s (%s)\n", RH_VERSION, LUA_RELEASE);
      return 1;
    }
    if (strcmp(a, "-i") == 0) {
      o->has_i = 1;
      continue;
    }
    const char **slot = NULL;
    if (strcmp(a, "-e") == 0) {
      o->has_e = 1;
      if (i + 1 >= argc) {
        fprintf(stderr, "%s: -e needs an argument\n%s", PROGNAME, usage_text);
        return 2;
      }
      i++;
      continue;
    }
    if (strcmp(a, "--device") == 0) slot = &o->device;
    else if (strcmp(a, "--threads") == 0) slot = &o->threads;
    else if (strcmp(a, "--seed") == 0) slot = &o->seed;
    else if (strncmp(a, "--device=", 9) == 0) { o->device = a + 9; continue; }
    else if (strncmp(a, "--threads=", 10) == 0) { o->threads = a + 10; continue; }
    else if (strncmp(a, "--seed=", 7) == 0) { o->seed = a + 7; continue; }
    if (!slot) {
      fprintf(stderr, "%s: unrecognized option '%s'\n%s", PROGNAME, a, usage_text);
      return 2;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "%s: %s needs an argument\n", PROGNAME, a);
      return 2;
    }
    *slot = argv[++i];
  }
  o->script = i;
  return 0;
}

static int pmain(lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = (char **)lua_touserdata(L, 2);
  opts *o = (opts *)lua_touserdata(L, 3);
  luaL_checkversion(L);
  luaL_openlibs(L);
  luaL_requiref(L, "rankhost", luaopen_rankhost, 0);
  lua_getfield(L, -1, "help"); /* help(f): the library's doc line of f, a global for the prompt */
  if (lua_isfunction(L, -1)) lua_setglobal(L, "help");
  else lua_pop(L, 1);
  lua_setglobal(L, "rh");
  createargtable(L, argv, argc, o->script);
  lua_gc(L, LUA_GCRESTART);
  int rc = 0;
  if (o->seed && (rc = apply_setting(L, "seed", o->seed, 1)) != 0) goto done;
  if (o->threads && (rc = apply_setting(L, "threads", o->threads, 1)) != 0) goto done;
  if (o->device && (rc = apply_setting(L, "device", o->device, 0)) != 0) goto done;
  for (int i = 1; i < o->script; i++) {
    if (strcmp(argv[i], "-e") == 0) {
      if (dochunk(L, argv[++i]) != LUA_OK) {
        rc = 1;
        goto done;
      }
    } else if (strcmp(argv[i], "--device") == 0 || strcmp(argv[i], "--threads") == 0 || strcmp(argv[i], "--seed") == 0) {
      i++;
    }
  }
  if (o->script < argc) {
    if (handle_script(L, argv + o->script) != LUA_OK) {
      rc = 1;
      goto done;
    }
  }
  if (o->has_i || (o->script == argc && !o->has_e)) doREPL(L);
done:
  lua_pushinteger(L, rc);
  return 1;
}

/* When OpenBLAS fell back to generic kernels on a CPU that has better ones
 * (rh_blas_better_core), runs this program again, once, with OPENBLAS_CORETYPE set: the
 * only way to change OpenBLAS's choice. Returns (changing nothing) when there is none,
 * or when running again fails. */
static void rerun_with_better_blas(char **argv) {
  const char *core = rh_blas_better_core();
  if (!core) return;
  if (setenv("OPENBLAS_CORETYPE", core, 1) != 0) return;
  execv("/proc/self/exe", argv); /* returns only on failure: go on with the generic kernels */
  unsetenv("OPENBLAS_CORETYPE");
}

int main(int argc, char **argv) {
  rerun_with_better_blas(argv); /* may run rankhost again with OpenBLAS's AVX kernels */
  /* Line-buffered stdout even into a file or pipe: a study's progress lines reach its log
   * as they are printed (tail -f works, a killed run's log ends where the run did). */
  setvbuf(stdout, NULL, _IOLBF, 0);
  opts o;
  int pr = parse_args(argc, argv, &o);
  if (pr == 1) return 0;
  if (pr == 2) return 2;
  lua_State *L = luaL_newstate();
  if (!L) {
    fprintf(stderr, "%s: cannot create Lua state: not enough memory\n", PROGNAME);
    return 1;
  }
  lua_gc(L, LUA_GCSTOP);
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  lua_pushlightuserdata(L, &o);
  int status = lua_pcall(L, 3, 1, 0);
  int rc = 1;
  if (status == LUA_OK)
    rc = (int)lua_tointeger(L, -1);
  else
    report(L, status);
  lua_close(L);
  return rc;
}
