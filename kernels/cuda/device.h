/* device.h - the CUDA device entry points the rest of the kernels call.
 *
 * The CUDA backend is a separate module, librankhost_cuda.so, loaded with dlopen the first
 * time a script touches CUDA (forward.c): a CPU-only run never maps cudart, cuBLAS or
 * cuSOLVER (about 180 MB resident). Every rh_cuda_* function of the *_cuda.h headers is
 * declared from an X-macro list, X(kind, return type, name, (parameters), (arguments)),
 * so that its signature is written once: the list declares the function here, builds the
 * module's table of function pointers (api.h) and generates the program's forwarder.
 *   kind FWD: the forwarder loads the module on first use; when it cannot be loaded (or in
 *             a build without CUDA) it returns RH_EDEVICE with the reason.
 *   kind OWN: the forwarder is written by hand in forward.c (a query answered without
 *             loading the module, a release that has nothing to do when it is not loaded).
 * Pure C interface: no Lua, no CUDA types. */
#ifndef RH_CUDA_DEVICE_H
#define RH_CUDA_DEVICE_H

#include <stddef.h>

#include "../status.h"

/* Declares one entry of an RH_CUDA_*_API list. */
#define RH_CUDA_DECLARE(kind, ret, name, params, args) ret name params;

#define RH_CUDA_DEVICE_API(X)                                                                  \
  /* Number of usable CUDA devices (0 without the module, a driver or a device). Loads the  \
   * module. Never fails. */                                                                 \
  X(OWN, int, rh_cuda_device_count, (void), ())                                              \
  /* Device memory through the caching allocator. RH_ENOMEM when the device is full: the    \
   * caller may free memory (collect garbage) and try once more. */                          \
  X(OWN, rh_status, rh_cuda_alloc, (void **p, size_t bytes), (p, bytes))                     \
  X(OWN, void, rh_cuda_free, (void *p), (p))                                                 \
  /* Copies between host and device memory, in any direction (dst_dev/src_dev: 0 CPU,       \
   * 1 CUDA). */                                                                             \
  X(FWD, rh_status, rh_cuda_memcpy, (void *dst, int dst_dev, const void *src, int src_dev, size_t bytes), \
    (dst, dst_dev, src, src_dev, bytes))                                                     \
  /* Waits for all queued device work; reports any asynchronous error. */                   \
  X(OWN, rh_status, rh_cuda_sync, (void), ())                                                \
  /* Returns the allocator's cached (free) blocks to the driver. */                         \
  X(OWN, void, rh_cuda_empty_cache, (void), ())                                              \
  /* Bytes handed out to live storages, and bytes kept in the allocator's free lists. */    \
  X(OWN, void, rh_cuda_memory, (size_t *in_use, size_t *cached), (in_use, cached))          \
  /* Matrix products in TF32 on tensor cores (1) or exact FP32 (0, the default). The flag   \
   * is kept by the program and handed to the module when it loads. */                     \
  X(OWN, void, rh_cuda_set_tf32, (int on), (on))                                             \
  X(OWN, int, rh_cuda_tf32, (void), ())

RH_CUDA_DEVICE_API(RH_CUDA_DECLARE)

/* Answered by the program, never by the module (forward.c): */

/* 1 when this build contains the CUDA backend (the module was built beside the program). */
int rh_cuda_compiled(void);
/* Loads the module if it is not loaded yet: RH_OK, or RH_EDEVICE with the reason ("CUDA
 * backend not available: <dlerror>", or "built without CUDA"). Tried once per process. */
rh_status rh_cuda_load(void);
/* The file the module was loaded from, or NULL while it is not loaded. */
const char *rh_cuda_module_path(void);

#endif
