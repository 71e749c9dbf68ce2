/* device.h - the CUDA device entry points the rest of the kernels call.
 *
 * Built from the .cu and _cuda.c files of kernels/cuda when nvcc is found, else from
 * kernels/cuda/nocuda.c, whose every entry point reports RH_EDEVICE ("built without
 * CUDA"). Pure C interface: no Lua, no CUDA types. */
#ifndef RH_CUDA_DEVICE_H
#define RH_CUDA_DEVICE_H

#include <stddef.h>

#include "../status.h"

/* 1 when this build contains the CUDA backend. */
int rh_cuda_compiled(void);
/* Number of usable CUDA devices (0 without CUDA, driver or device). Never fails. */
int rh_cuda_device_count(void);
/* Device memory through the caching allocator. RH_ENOMEM when the device is full:
 * the caller may free memory (collect garbage) and try once more. */
rh_status rh_cuda_alloc(void **p, size_t bytes);
void rh_cuda_free(void *p);
/* Copies between host and device memory, in any direction (dst_dev/src_dev: 0 CPU, 1 CUDA). */
rh_status rh_cuda_memcpy(void *dst, int dst_dev, const void *src, int src_dev, size_t bytes);
/* Waits for all queued device work; reports any asynchronous error. */
rh_status rh_cuda_sync(void);
/* Returns the allocator's cached (free) blocks to the driver. */
void rh_cuda_empty_cache(void);
/* Bytes handed out to live storages, and bytes kept in the allocator's free lists. */
void rh_cuda_memory(size_t *in_use, size_t *cached);
/* Matrix products in TF32 on tensor cores (1) or exact FP32 (0, the default). */
void rh_cuda_set_tf32(int on);
int rh_cuda_tf32(void);

#endif
