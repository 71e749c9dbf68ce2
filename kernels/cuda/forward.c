/* forward.c - the program's side of the CUDA backend: every rh_cuda_* entry point of the
 * *_cuda.h headers as a forwarder into librankhost_cuda.so, which is dlopen()ed the first
 * time a script touches CUDA. Linking cudart, cuBLAS, cuBLASLt and cuSOLVER into the program
 * cost about 180 MB resident at start-up, GPU or not; a CPU-only run now never maps them.
 *
 * Where the module is looked for, in order: $RANKHOST_CUDA_MODULE (alone, when set); beside
 * the program (/proc/self/exe: the build folder); ../lib/rankhost/ from the program's folder
 * (an installed tree); when loaded as the Lua module rankhost.so, the module's folder,
 * ../../rankhost and rankhost/ from it; the library search path (LD_LIBRARY_PATH, ld.so.conf). It is tried
 * once per process; when it cannot be loaded, every forwarder fails with RH_EDEVICE and the
 * reason (dlerror's text), and rh_cuda_device_count() answers 0.
 *
 * In a build without CUDA (RH_CUDA_MODULE_FILE undefined) no module is looked for and the
 * forwarders answer "built without CUDA". */
#define _GNU_SOURCE /* dladdr, realpath */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#ifdef RH_CUDA_MODULE_FILE
#include <dlfcn.h>
#include <unistd.h>
#endif

static const rh_cuda_api *api; /* written once, under `once` */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char why[512];            /* why the module is not loaded (rh_fail keeps 511 bytes) */
static char path[PATH_MAX];      /* where it was loaded from */
static int tf32;                 /* kept here so that setting it does not load the module */

#ifdef RH_CUDA_MODULE_FILE
/* The folder of the running program, without a trailing slash ("" if unknown). */
static void program_dir(char *dir, size_t n) {
  ssize_t k = readlink("/proc/self/exe", dir, n - 1);
  dir[k > 0 ? k : 0] = '\0';
  char *slash = strrchr(dir, '/');
  if (slash) *slash = '\0';
  else dir[0] = '\0';
}

/* dlopen()s the module: NULL with `why` set when it cannot. A file that exists but does not
 * load (a missing libcublas, say) is reported as such rather than passed over. */
static void *open_module(void) {
  const char *env = getenv("RANKHOST_CUDA_MODULE");
  if (env && *env) {
    void *h = dlopen(env, RTLD_NOW | RTLD_LOCAL);
    if (!h) snprintf(why, sizeof why, "CUDA backend not available: %s (RANKHOST_CUDA_MODULE)", dlerror());
    return h;
  }
  char dir[PATH_MAX], file[PATH_MAX + 64];
  program_dir(dir, sizeof dir);
  /* loaded as the Lua module rankhost.so into another program (lua5.4): also the module's
   * folder (the build folder), ../../rankhost from it (cmake --install: lib/lua/5.4 and
   * lib/rankhost) and rankhost/ in it (a LuaRocks tree puts lib/ files there) */
  char mdir[PATH_MAX] = "";
  Dl_info self;
  if (dladdr((void *)open_module, &self) && self.dli_fname && realpath(self.dli_fname, mdir)) {
    char *slash = strrchr(mdir, '/');
    if (slash) *slash = '\0';
    if (strcmp(mdir, dir) == 0) mdir[0] = '\0';
  }
  const char *const bases[] = {dir, dir, mdir, mdir, mdir};
  const char *const beside[] = {"", "/../lib/rankhost", "", "/../../rankhost", "/rankhost"};
  for (size_t i = 0; i < sizeof beside / sizeof *beside; i++) {
    if (!bases[i][0]) continue;
    snprintf(file, sizeof file, "%s%s/%s", bases[i], beside[i], RH_CUDA_MODULE_FILE);
    if (access(file, F_OK) != 0) continue;
    void *h = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!h) snprintf(why, sizeof why, "CUDA backend not available: %s", dlerror());
    return h;
  }
  void *h = dlopen(RH_CUDA_MODULE_FILE, RTLD_NOW | RTLD_LOCAL);
  if (!h)
    snprintf(why, sizeof why,
             "CUDA backend not available: %s (not beside the program, in ../lib/rankhost or on the library "
             "search path; RANKHOST_CUDA_MODULE names the file)",
             dlerror());
  return h;
}
#endif

static void load_once(void) {
#ifndef RH_CUDA_MODULE_FILE
  snprintf(why, sizeof why, "rankhost was built without CUDA (nvcc was not found, or -DRANKHOST_CUDA=OFF)");
#else
  void *h = open_module();
  if (!h) return;
  void *sym = dlsym(h, RH_CUDA_API_SYMBOL);
  Dl_info info;
  if (!sym || !dladdr(sym, &info) || !info.dli_fname) {
    snprintf(why, sizeof why, "CUDA backend not available: the module has no %s", RH_CUDA_API_SYMBOL);
    dlclose(h);
    return;
  }
  /* the name as found (relative when an empty RUNPATH entry found it in the working folder) */
  if (!realpath(info.dli_fname, path)) snprintf(path, sizeof path, "%s", info.dli_fname);
  const rh_cuda_api *(*get)(void) = (const rh_cuda_api *(*)(void))sym; /* POSIX: dlsym's result may be cast */
  const rh_cuda_api *t = get();
  if (!t || t->version != RH_CUDA_API_VERSION || t->size != sizeof *t) {
    snprintf(why, sizeof why, "CUDA backend not available: %.300s is from another build of rankhost (its table "
             "does not match this program's)", path);
    dlclose(h);
    return;
  }
  t->rh_cuda_set_tf32(tf32);
  __atomic_store_n(&api, t, __ATOMIC_RELEASE);
  /* never dlclose()d: device memory and handles live until the process ends */
#endif
}

/* The module's table, loading it on first use; NULL when it cannot be loaded. */
static const rh_cuda_api *module(void) {
  pthread_once(&once, load_once);
  return api;
}

/* The table if the module is already loaded; never loads it. */
static const rh_cuda_api *loaded(void) { return __atomic_load_n(&api, __ATOMIC_ACQUIRE); }

static rh_status unavailable(void) { return rh_fail(RH_EDEVICE, "%s", why); }

int rh_cuda_compiled(void) {
#ifdef RH_CUDA_MODULE_FILE
  return 1;
#else
  return 0;
#endif
}

rh_status rh_cuda_load(void) { return module() ? RH_OK : unavailable(); }

const char *rh_cuda_module_path(void) { return loaded() ? path : NULL; }

/* ---- the generated forwarders (kind FWD): load on first use, else the reason ---- */

/* (the local's name cannot clash with a parameter's) */
#define RH_CUDA_FORWARD_FWD(ret, name, params, args)   \
  ret name params {                                    \
    const rh_cuda_api *rh_fwd_api = module();          \
    return rh_fwd_api ? rh_fwd_api->name args : unavailable(); \
  }
#define RH_CUDA_FORWARD_OWN(ret, name, params, args)
#define RH_CUDA_FORWARD(kind, ret, name, params, args) RH_CUDA_FORWARD_##kind(ret, name, params, args)
RH_CUDA_API(RH_CUDA_FORWARD)

/* ---- the hand-written ones (kind OWN) ---- */

int rh_cuda_device_count(void) {
  const rh_cuda_api *a = module();
  return a ? a->rh_cuda_device_count() : 0;
}

rh_status rh_cuda_alloc(void **p, size_t bytes) {
  *p = NULL;
  const rh_cuda_api *a = module();
  return a ? a->rh_cuda_alloc(p, bytes) : unavailable();
}

rh_status rh_cuda_bytes_upload(void **dev, const uint8_t *src, size_t n) {
  *dev = NULL;
  const rh_cuda_api *a = module();
  return a ? a->rh_cuda_bytes_upload(dev, src, n) : unavailable();
}

/* Without the module there is no device memory to release, no work to wait for. */
void rh_cuda_free(void *p) {
  const rh_cuda_api *a = loaded();
  if (a) a->rh_cuda_free(p);
}

void rh_cuda_bytes_free(void *dev) {
  const rh_cuda_api *a = loaded();
  if (a) a->rh_cuda_bytes_free(dev);
}

rh_status rh_cuda_sync(void) {
  const rh_cuda_api *a = loaded();
  return a ? a->rh_cuda_sync() : RH_OK;
}

void rh_cuda_empty_cache(void) {
  const rh_cuda_api *a = loaded();
  if (a) a->rh_cuda_empty_cache();
}

void rh_cuda_memory(size_t *in_use, size_t *cached) {
  const rh_cuda_api *a = loaded();
  if (a)
    a->rh_cuda_memory(in_use, cached);
  else
    *in_use = *cached = 0;
}

void rh_cuda_set_tf32(int on) {
  tf32 = on != 0;
  const rh_cuda_api *a = loaded();
  if (a) a->rh_cuda_set_tf32(tf32);
}

int rh_cuda_tf32(void) { return tf32; }
