/* io.c - files: rh.save / rh.load (safetensors checkpoints) and rh.io, the OS glue
 * that results writers need: atomic whole-file writes, durable line appends,
 * mkdir -p, exists, listdir, a temporary directory, whether stderr is a terminal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "rh_lua.h"
#include "safetensors.h"

#define READER_MT "rankhost.SafetensorsReader"
#define APPENDER_MT "rankhost.Appender"
#define DIR_MT "rankhost.Dir"

/* ---- rh.save(path, {name = tensor, ...} [, {key = string, ...}]) ---- */

/* A contiguous CPU tensor with t's content: t itself, or a copy stored in copies[slot]. */
static const rh_tensor *host_contiguous(lua_State *L, const rh_tensor *t, int copies, int slot) {
  if (rh_dev(t) == RH_CPU && rh_is_contiguous(t)) return t;
  const rh_tensor *h = rhL_pushcontiguous(L, t, RH_CPU, 2);
  lua_rawseti(L, copies, slot);
  return h; /* alive: anchored in the copies table */
}

static int l_save(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  int has_meta = !lua_isnoneornil(L, 3);
  if (has_meta) luaL_checktype(L, 3, LUA_TTABLE);
  lua_settop(L, 3);
  lua_newtable(L); /* 4: host copies */
  size_t n = 0, nmeta = 0;
  lua_pushnil(L);
  while (lua_next(L, 2)) {
    n++;
    lua_pop(L, 1);
  }
  if (has_meta) {
    lua_pushnil(L);
    while (lua_next(L, 3)) {
      nmeta++;
      lua_pop(L, 1);
    }
  }
  rh_st_item *items = lua_newuserdatauv(L, (n + 1) * sizeof *items, 0);
  const char **keys = lua_newuserdatauv(L, (nmeta + 1) * sizeof *keys, 0);
  const char **vals = lua_newuserdatauv(L, (nmeta + 1) * sizeof *vals, 0);
  size_t i = 0;
  lua_pushnil(L);
  while (lua_next(L, 2)) {
    if (lua_type(L, -2) != LUA_TSTRING)
      return luaL_argerror(L, 2, lua_pushfstring(L, "tensor names must be strings, got a %s key", luaL_typename(L, -2)));
    const char *name = lua_tostring(L, -2);
    rh_tensor *t = rhL_totensor(L, -1);
    if (!t || !t->storage)
      return luaL_argerror(L, 2, lua_pushfstring(L, "'%s' is a %s, not a tensor", name, luaL_typename(L, -1)));
    items[i].name = name; /* the key stays alive in the table */
    items[i].t = host_contiguous(L, t, 4, (int)i + 1);
    i++;
    lua_pop(L, 1);
  }
  i = 0;
  if (has_meta) {
    lua_pushnil(L);
    while (lua_next(L, 3)) {
      if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
        return luaL_argerror(L, 3, "metadata must map strings to strings");
      keys[i] = lua_tostring(L, -2);
      vals[i++] = lua_tostring(L, -1);
      lua_pop(L, 1);
    }
  }
  rhL_check(L, rh_st_write(path, items, n, keys, vals, nmeta), 1);
  return 0;
}

/* ---- rh.load(path [, {device=}]) -> {name = tensor}, {metadata} ---- */

static int reader_gc(lua_State *L) {
  rh_st_close(luaL_checkudata(L, 1, READER_MT));
  return 0;
}

static int l_load(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  rh_device dev = rhL_default_device();
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_getfield(L, 2, "device");
    if (!lua_isnil(L, -1)) dev = rhL_checkdevice(L, lua_gettop(L));
    lua_pop(L, 1);
  }
  lua_settop(L, 2);
  rh_st_reader *r = lua_newuserdatauv(L, sizeof *r, 0); /* 3: closed by __gc on any error */
  memset(r, 0, sizeof *r);
  r->fd = -1;
  luaL_setmetatable(L, READER_MT);
  rhL_check(L, rh_st_open(r, path), 1);
  lua_createtable(L, 0, (int)(r->index.n < 100000 ? r->index.n : 100000)); /* 4: tensors */
  for (size_t i = 0; i < r->index.n; i++) {
    const rh_st_entry *e = &r->index.entries[i];
    rh_tensor *h = rhL_newtensor(L, e->ndim, e->shape, RH_CPU);
    rhL_check(L, rh_st_read(r, i, h), 1);
    if (dev != RH_CPU) {
      rh_tensor *d = rhL_newtensor(L, e->ndim, e->shape, dev);
      rhL_check(L, rh_copy(d, h), 1);
      lua_remove(L, -2);
    }
    lua_setfield(L, 4, e->name);
  }
  lua_createtable(L, 0, 0); /* 5: metadata */
  for (size_t i = 0; i < r->index.nmeta; i++) {
    lua_pushstring(L, r->index.meta_vals[i]);
    lua_setfield(L, 5, r->index.meta_keys[i]);
  }
  rh_st_close(r);
  return 2;
}

/* ---- rh.io ---- */

/* rh.io.write_atomic(path, string): temporary file, fsync, rename. */
static int l_write_atomic(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  size_t n;
  const char *s = luaL_checklstring(L, 2, &n);
  rhL_check(L, rh_write_file_atomic(path, s, n), 1);
  return 0;
}

/* rh.io.mkdir_p(path): creates the directory and its missing parents. */
static int l_mkdir_p(lua_State *L) {
  size_t n;
  const char *path = luaL_checklstring(L, 1, &n);
  if (n == 0) return luaL_argerror(L, 1, "empty path");
  char *p = lua_newuserdatauv(L, n + 1, 0);
  memcpy(p, path, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (p[i] != '/' && p[i] != '\0') continue;
    char c = p[i];
    p[i] = '\0';
    if (mkdir(p, 0777) != 0 && errno != EEXIST)
      return luaL_argerror(L, 1, lua_pushfstring(L, "%s: cannot create directory: %s", p, strerror(errno)));
    p[i] = c;
  }
  struct stat sb;
  if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
    return luaL_argerror(L, 1, lua_pushfstring(L, "%s: exists and is not a directory", path));
  return 0;
}

/* rh.io.exists(path) -> false | "file" | "directory" | "other" */
static int l_exists(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  struct stat sb;
  if (stat(path, &sb) != 0)
    lua_pushboolean(L, 0);
  else
    lua_pushstring(L, S_ISREG(sb.st_mode) ? "file" : S_ISDIR(sb.st_mode) ? "directory" : "other");
  return 1;
}

static int cmp_name(lua_State *L) {
  lua_pushboolean(L, strcmp(lua_tostring(L, 1), lua_tostring(L, 2)) < 0);
  return 1;
}

static int dir_gc(lua_State *L) {
  DIR **d = luaL_checkudata(L, 1, DIR_MT);
  if (*d) closedir(*d);
  *d = NULL;
  return 0;
}

/* rh.io.listdir(path) -> sorted list of entry names (without "." and "..") */
static int l_listdir(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  /* the DIR is owned by a userdata made before it is opened: a failed allocation while
   * the names are copied into Lua (the table, a string) cannot leave it open */
  DIR **d = lua_newuserdatauv(L, sizeof *d, 0);
  *d = NULL;
  luaL_setmetatable(L, DIR_MT);
  *d = opendir(path);
  if (!*d) return luaL_argerror(L, 1, lua_pushfstring(L, "%s: cannot list: %s", path, strerror(errno)));
  lua_newtable(L);
  lua_Integer i = 1;
  struct dirent *de;
  while ((de = readdir(*d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    lua_pushstring(L, de->d_name);
    lua_rawseti(L, -2, i++);
  }
  closedir(*d);
  *d = NULL;
  /* sort with table.sort and a bytewise comparison (deterministic, locale-free) */
  lua_getglobal(L, "table");
  lua_getfield(L, -1, "sort");
  lua_pushvalue(L, -3);
  lua_pushcfunction(L, cmp_name);
  lua_call(L, 2, 0);
  lua_pop(L, 1);
  return 1;
}

/* rh.io.stderr_isatty() -> whether stderr is a terminal (progress lines may then be
 * rewritten in place) */
static int l_stderr_isatty(lua_State *L) {
  lua_pushboolean(L, isatty(fileno(stderr)));
  return 1;
}

/* rh.io.mkdtemp([prefix]) -> path of a new private directory under $TMPDIR or /tmp */
static int l_mkdtemp(lua_State *L) {
  const char *prefix = luaL_optstring(L, 1, "rankhost");
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp) tmp = "/tmp";
  lua_pushfstring(L, "%s/%s.XXXXXX", tmp, prefix);
  size_t n;
  const char *tpl = lua_tolstring(L, -1, &n);
  char *p = lua_newuserdatauv(L, n + 1, 0);
  memcpy(p, tpl, n + 1);
  if (!mkdtemp(p)) return luaL_argerror(L, 1, lua_pushfstring(L, "%s: cannot create: %s", tpl, strerror(errno)));
  lua_pushstring(L, p);
  return 1;
}

/* ---- appender: whole lines with one write(2) each, then fsync ---- */
typedef struct appender {
  int fd; /* -1 once closed */
  int sync;
} appender;

static appender *check_appender(lua_State *L) {
  appender *a = luaL_checkudata(L, 1, APPENDER_MT);
  if (a->fd < 0) luaL_argerror(L, 1, "the file has been closed");
  return a;
}

/* The offset just after the last newline of the file (0 when it has none), and its end in
 * *end; -1 when it cannot be read. */
static off_t last_line_end(int fd, off_t *end) {
  off_t pos = lseek(fd, 0, SEEK_END);
  *end = pos;
  char buf[4096];
  while (pos > 0) {
    off_t from = pos > (off_t)sizeof buf ? pos - (off_t)sizeof buf : 0;
    ssize_t k = pread(fd, buf, (size_t)(pos - from), from);
    if (k <= 0) return -1;
    for (ssize_t i = k - 1; i >= 0; i--)
      if (buf[i] == '\n') return from + i + 1;
    pos = from;
  }
  return 0;
}

/* The bytes after the last newline (a last line without its newline): kept, with the newline
 * added, when complete(tail) (the Lua function at stack index fn, 0: none) says the line is
 * whole; else cut, so that the next line starts on a line of its own (a crash in the middle
 * of a write). Returns the bytes cut; *completed says whether a newline was added. */
static off_t settle_tail(lua_State *L, int fd, int fn, int *completed) {
  off_t end, keep = last_line_end(fd, &end);
  *completed = 0;
  if (keep < 0 || keep >= end) return 0;
  if (fn) {
    size_t n = (size_t)(end - keep);
    char *tail = malloc(n);
    if (tail && pread(fd, tail, n, keep) == (ssize_t)n) {
      lua_pushvalue(L, fn);
      lua_pushlstring(L, tail, n);
      free(tail);
      lua_call(L, 1, 1);
      int whole = lua_toboolean(L, -1);
      lua_pop(L, 1);
      if (whole && rh_write_all(fd, "\n", 1, "appender") == RH_OK) {
        *completed = 1;
        return 0;
      }
    } else {
      free(tail);
    }
  }
  if (ftruncate(fd, keep) != 0) return 0;
  return end - keep;
}

/* rh.io.appender(path [, {append=false, sync=true, complete=function(line) -> bool}]) -> a, cut, completed
 * append=false empties the file first; append=true keeps it, minus a torn last line
 * (cut: the number of bytes removed); a last line without its newline that complete(line)
 * calls whole is kept and given its newline instead (completed: true). */
static int l_appender(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int append = rhL_optboolfield(L, 2, "append", 0);
  int sync = rhL_optboolfield(L, 2, "sync", 1);
  int complete = 0;
  if (lua_type(L, 2) == LUA_TTABLE) {
    lua_getfield(L, 2, "complete");
    if (lua_isfunction(L, -1)) complete = lua_gettop(L);
    else lua_pop(L, 1);
  }
  appender *a = lua_newuserdatauv(L, sizeof *a, 0);
  a->fd = -1;
  a->sync = sync;
  luaL_setmetatable(L, APPENDER_MT);
  struct stat sb;
  int existed = stat(path, &sb) == 0;
  if (existed && S_ISDIR(sb.st_mode)) return luaL_argerror(L, 1, lua_pushfstring(L, "%s: is a directory", path));
  a->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (a->fd < 0) return luaL_argerror(L, 1, lua_pushfstring(L, "%s: cannot open for writing: %s", path, strerror(errno)));
  /* One writer per results file: a second process appending to the same file (two sweeps
   * started on one --out) would interleave and duplicate lines. The lock goes with the fd. */
  int locked = flock(a->fd, LOCK_EX | LOCK_NB) == 0;
  if (!locked && errno == EWOULDBLOCK) { /* maybe our own dropped, not yet collected writer */
    lua_gc(L, LUA_GCCOLLECT, 0);
    locked = flock(a->fd, LOCK_EX | LOCK_NB) == 0;
  }
  if (!locked) {
    int e = errno;
    close(a->fd);
    a->fd = -1;
    if (e == EWOULDBLOCK)
      return luaL_argerror(L, 1, lua_pushfstring(L, "%s: another process is writing this file", path));
    return luaL_argerror(L, 1, lua_pushfstring(L, "%s: cannot lock: %s", path, strerror(e)));
  }
  if (!append && ftruncate(a->fd, 0) != 0)
    return luaL_argerror(L, 1, lua_pushfstring(L, "%s: cannot empty: %s", path, strerror(errno)));
  int completed = 0;
  off_t cut = append ? settle_tail(L, a->fd, complete, &completed) : 0;
  if (!existed) rhL_check(L, rh_fsync_dir_of(path), 1); /* the new name survives a crash */
  lua_pushvalue(L, complete ? complete + 1 : lua_gettop(L)); /* the appender */
  lua_pushinteger(L, (lua_Integer)cut);
  lua_pushboolean(L, completed);
  return 3;
}

/* a:write(string): one write(2) of the whole string (O_APPEND), then fsync. */
static int app_write(lua_State *L) {
  appender *a = check_appender(L);
  size_t n;
  const char *s = luaL_checklstring(L, 2, &n);
  rhL_check(L, rh_write_all(a->fd, s, n, "appender"), 2);
  if (a->sync && fsync(a->fd) != 0) return rhL_error(L, "fsync failed: %s", strerror(errno));
  return 0;
}

static int app_close(lua_State *L) {
  appender *a = luaL_checkudata(L, 1, APPENDER_MT);
  if (a->fd >= 0) {
    if (a->sync) fsync(a->fd);
    close(a->fd);
  }
  a->fd = -1;
  return 0;
}

static int app_closed(lua_State *L) {
  appender *a = luaL_checkudata(L, 1, APPENDER_MT);
  lua_pushboolean(L, a->fd < 0);
  return 1;
}

/* ---- lock: one advisory lock on a file, held until released or collected ---- */
#define LOCK_MT "rankhost.Lock"

/* rh.io.lock(path [, {shared=false, wait=false}]) -> lock, or nil and "held" when another
 * process holds it (exclusive, or shared where exclusive is asked) and wait is false.
 * flock(2) on path (created if missing): exclusive by default, shared with shared=true;
 * wait=true blocks until it is granted. The lock goes with the open file (children made by
 * fork share it; exec does not inherit it) and is released by lock:release(), by the
 * collector, or when the process ends. */
static int l_lock(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int shared = rhL_optboolfield(L, 2, "shared", 0);
  int wait = rhL_optboolfield(L, 2, "wait", 0);
  int *fd = lua_newuserdatauv(L, sizeof *fd, 0);
  *fd = -1;
  luaL_setmetatable(L, LOCK_MT);
  *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (*fd < 0) return luaL_argerror(L, 1, lua_pushfstring(L, "%s: cannot open: %s", path, strerror(errno)));
  int r;
  do r = flock(*fd, (shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB));
  while (r != 0 && errno == EINTR);
  if (r != 0) {
    int e = errno;
    close(*fd);
    *fd = -1;
    if (e == EWOULDBLOCK) {
      lua_pushnil(L);
      lua_pushliteral(L, "held");
      return 2;
    }
    return luaL_argerror(L, 1, lua_pushfstring(L, "%s: cannot lock: %s", path, strerror(e)));
  }
  return 1;
}

static int lock_release(lua_State *L) {
  int *fd = luaL_checkudata(L, 1, LOCK_MT);
  if (*fd >= 0) close(*fd);
  *fd = -1;
  return 0;
}

void rhb_open_io(lua_State *L) {
  rhL_gcmeta(L, READER_MT, reader_gc);
  rhL_gcmeta(L, DIR_MT, dir_gc);
  static const luaL_Reg app_methods[] = {{"write", app_write}, {"close", app_close}, {"closed", app_closed},
                                         {"__gc", app_close},  {"__close", app_close}, {NULL, NULL}};
  luaL_newmetatable(L, APPENDER_MT);
  luaL_setfuncs(L, app_methods, 0);
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  static const luaL_Reg lock_methods[] = {{"release", lock_release}, {"__gc", lock_release},
                                          {"__close", lock_release}, {NULL, NULL}};
  luaL_newmetatable(L, LOCK_MT);
  luaL_setfuncs(L, lock_methods, 0);
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);

  static const luaL_Reg top[] = {{"save", l_save}, {"load", l_load}, {NULL, NULL}};
  luaL_setfuncs(L, top, 0);
  static const luaL_Reg fns[] = {{"write_atomic", l_write_atomic}, {"mkdir_p", l_mkdir_p}, {"exists", l_exists},
                                 {"listdir", l_listdir},           {"mkdtemp", l_mkdtemp}, {"appender", l_appender},
                                 {"lock", l_lock},
                                 {"stderr_isatty", l_stderr_isatty}, {NULL, NULL}};
  luaL_newlib(L, fns);
  lua_setfield(L, -2, "io");
}
