/* fuzz_options.c - libFuzzer target for what a study script reads from its user: the
 * command line and a --config file (scripts/common/options.lua), JSON text (rh.json.decode)
 * and results files (rh.log.read_jsonl, rh.log.read_csv).
 *
 * Input layout: the bytes before the first NUL are the argv words, one a line; when a NUL
 * is present, the bytes after it are a config file and "--config=FILE" is added to argv.
 * The whole input is also decoded as JSON and read as a JSON-lines and a CSV file.
 *
 * Expected: options.parse returns opts or nil and a message (raising is a bug: the scripts
 * turn the message into "exit 2"); the readers return or raise a Lua error; nothing crashes
 * (ASan/UBSan watch the C side). A decoded JSON value that encodes must encode to text that
 * decodes and encodes to the same text again.
 *
 * libFuzzer sees only C coverage, and the code under test is mostly Lua, so a line hook
 * feeds Lua coverage (previous line -> this line, hashed) into an extra-counters section
 * that libFuzzer reads as if it were compiled-in edges. A count hook and a capped allocator
 * stop config files that loop forever or allocate without bound ("not enough memory" and
 * "instruction budget" become ordinary Lua errors the parser must report). */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rankhost.h"

#ifndef RH_SOURCE_DIR
#define RH_SOURCE_DIR "."
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- Lua coverage for libFuzzer ---- */
#define COV_SIZE 8192
__attribute__((used, section("__libfuzzer_extra_counters"))) static uint8_t lua_cov[COV_SIZE];
static uintptr_t prev_loc;

/* ---- limits: memory above the library's own, and instructions per input ---- */
static size_t mem_used, mem_cap = (size_t)-1;
static long budget;
#define MEM_HEADROOM ((size_t)64 << 20)
#define INSTRUCTIONS (20L * 1000 * 1000)
#define COUNT_STEP 1000

static void *capped_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  if (ptr == NULL) osize = 0;
  if (nsize == 0) {
    free(ptr);
    mem_used -= osize;
    return NULL;
  }
  if (nsize > osize && mem_used + (nsize - osize) > mem_cap) return NULL;
  void *p = realloc(ptr, nsize);
  if (p) mem_used = mem_used - osize + nsize;
  return p;
}

static void hook(lua_State *L, lua_Debug *ar) {
  if (ar->event == LUA_HOOKCOUNT) {
    budget -= COUNT_STEP;
    if (budget < 0) {
      budget = INSTRUCTIONS; /* one error per exhaustion; the parser's pcall catches it */
      luaL_error(L, "instruction budget exhausted");
    }
    return;
  }
  if (ar->event == LUA_HOOKLINE && lua_getinfo(L, "S", ar)) {
    /* source strings are interned for the chunk's life: their address names the file */
    uintptr_t loc = ((uintptr_t)ar->source * 31u) ^ (uintptr_t)ar->currentline * 2654435761u;
    size_t i = (size_t)((loc ^ (prev_loc >> 1)) % COV_SIZE);
    if (lua_cov[i] < 255) lua_cov[i]++;
    prev_loc = loc;
  }
}

static lua_State *L;
static char config_path[64] = "/tmp/rh-fuzz-config-XXXXXX";
static char data_path[64] = "/tmp/rh-fuzz-data-XXXXXX";

static void cleanup(void) {
  unlink(config_path);
  unlink(data_path);
}

/* The Lua side: a spec with every option type, and one function per input. */
static const char *driver =
    "local options, rh, config_path, data_path = ...\n"
    "local spec = {\n"
    "  { name = 'help', type = 'bool', default = false, help = 'help' },\n"
    "  { name = 'config', type = 'string', default = '', help = 'config file' },\n"
    "  { name = 'quick', type = 'preset', help = 'small', sets = { n = 3, lr = 0.5, ranks = { 1, 2 } } },\n"
    "  { name = 'out', type = 'string', default = 'out', help = 'folder' },\n"
    "  { name = 'resume', type = 'bool', default = false, help = 'resume' },\n"
    "  { name = 'n', type = 'int', default = 24, min = 0, help = 'count' },\n"
    "  { name = 'lr', type = 'number', default = 0.05, min = 0, max = 10, help = 'rate' },\n"
    "  { name = 'ranks', type = 'ints', default = { 2, 4 }, min = 1, help = 'ranks' },\n"
    "  { name = 'wds', type = 'numbers', default = { 0.1 }, help = 'decays' },\n"
    "  { name = 'names', type = 'strings', default = {}, help = 'names' },\n"
    "  { name = 'dataset', type = 'choice', choices = { 'mnist', 'fashion_mnist' }, default = 'mnist', help = 'd' },\n"
    "}\n"
    "local function words(s)\n"
    "  local argv = {}\n"
    "  for w in (s .. '\\n'):gmatch('([^\\n]*)\\n') do argv[#argv + 1] = w end\n"
    "  return argv\n"
    "end\n"
    "return function(argtext, with_config, whole)\n"
    "  local argv = words(argtext)\n"
    "  if with_config then argv[#argv + 1] = '--config=' .. config_path end\n"
    "  local ok, opts, err = pcall(options.parse, spec, argv)\n"
    "  local function oom(e) return tostring(e):find('not enough memory', 1, true) end\n"
    "  if not ok then return (not oom(opts)) and 'options.parse raised: ' .. tostring(opts) or nil end\n"
    "  if opts == nil and type(err) ~= 'string' then return 'options.parse: nil without a message' end\n"
    "  if opts then\n"
    "    if type(opts) ~= 'table' then return 'options.parse returned a ' .. type(opts) end\n"
    "    local okd, d = pcall(options.describe, spec, opts)\n"
    "    if not okd and not oom(d) then return 'options.describe failed: ' .. tostring(d) end\n"
    "  end\n"
    "  local okj, v = pcall(rh.json.decode, whole)\n"
    "  if okj then\n"
    "    local oke, e1 = pcall(rh.json.encode, v)\n"
    "    if oke then\n"
    "      local ok2, v2 = pcall(rh.json.decode, e1)\n"
    "      if not ok2 then return 'json: encode gave text decode refuses: ' .. tostring(v2) end\n"
    "      local e2 = rh.json.encode(v2)\n"
    "      if e2 ~= e1 then return 'json: encode(decode(encode(v))) differs: ' .. e1 .. ' vs ' .. e2 end\n"
    "    end\n"
    "  end\n"
    "  pcall(rh.log.read_jsonl, data_path)\n"
    "  pcall(rh.log.read_csv, data_path)\n"
    "  return nil\n"
    "end\n";

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  int fd = mkstemp(config_path);
  if (fd < 0) abort();
  close(fd);
  fd = mkstemp(data_path);
  if (fd < 0) abort();
  close(fd);
  atexit(cleanup);

  L = lua_newstate(capped_alloc, NULL);
  if (!L) abort();
  luaL_openlibs(L);
  luaL_requiref(L, "rankhost", luaopen_rankhost, 1);
  lua_setglobal(L, "rh");
  const char *src = getenv("RH_SOURCE");
  if (!src || !*src) src = RH_SOURCE_DIR;
  lua_getglobal(L, "package");
  lua_pushfstring(L, "%s/scripts/?.lua", src);
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  if (luaL_dostring(L, "return (require 'common.options')") != LUA_OK) {
    fprintf(stderr, "fuzz_options: %s\n", lua_tostring(L, -1));
    abort();
  }
  if (luaL_loadstring(L, driver) != LUA_OK) {
    fprintf(stderr, "fuzz_options: driver: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_insert(L, -2);
  lua_getglobal(L, "rh");
  lua_pushstring(L, config_path);
  lua_pushstring(L, data_path);
  if (lua_pcall(L, 4, 1, 0) != LUA_OK) {
    fprintf(stderr, "fuzz_options: driver: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_setglobal(L, "fuzz_one");
  lua_gc(L, LUA_GCCOLLECT);
  mem_cap = mem_used + MEM_HEADROOM;
  lua_sethook(L, hook, LUA_MASKLINE | LUA_MASKCOUNT, COUNT_STEP);
  return 0;
}

static int write_file(const char *path, const uint8_t *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = n ? fwrite(p, 1, n, f) : 0;
  return (fclose(f) == 0 && w == n) ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nul = memchr(data, 0, size);
  size_t argn = nul ? (size_t)(nul - data) : size;
  if (nul && write_file(config_path, nul + 1, size - argn - 1) != 0) abort();
  if (write_file(data_path, data, size) != 0) abort();

  budget = INSTRUCTIONS;
  prev_loc = 0;
  lua_getglobal(L, "fuzz_one");
  lua_pushlstring(L, (const char *)data, argn);
  lua_pushboolean(L, nul != NULL);
  lua_pushlstring(L, (const char *)data, size);
  if (lua_pcall(L, 3, 1, 0) != LUA_OK) {
    /* only a memory error may escape (from the driver's own string building) */
    const char *msg = lua_tostring(L, -1);
    if (!msg || !strstr(msg, "not enough memory")) {
      fprintf(stderr, "fuzz_options: the driver raised: %s\n", msg ? msg : "(not a string)");
      abort();
    }
  } else if (!lua_isnil(L, -1)) {
    fprintf(stderr, "fuzz_options: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_pop(L, 1);
  lua_gc(L, LUA_GCCOLLECT);
  return 0;
}
