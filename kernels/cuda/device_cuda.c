/* device_cuda.c - the device entry points of device.h over the CUDA runtime: device
 * discovery that never aborts without a driver, one stream, the cuBLAS/cuSOLVER handles,
 * a caching allocator, copies and synchronisation.
 *
 * The allocator keeps freed blocks in free lists by size class (four classes per power of
 * two, so a block wastes at most a quarter of its size) and hands them out again without
 * cudaMalloc/cudaFree, which synchronise the device. Reuse is safe without events because
 * all work runs on one stream: a kernel queued after the reuse runs after every kernel that
 * used the block before. When cudaMalloc fails the cache is returned to the driver and the
 * allocation tried again; only then RH_ENOMEM (the binding collects garbage and retries). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_internal.h"

/* ---- errors ---- */

rh_status rh_cuda_check(cudaError_t e, const char *what) {
  if (e == cudaSuccess) return RH_OK;
  cudaGetLastError(); /* clear a non-sticky error so later calls do not report it again */
  return rh_fail(e == cudaErrorMemoryAllocation ? RH_ENOMEM : RH_EDEVICE, "CUDA error in %s: %s", what,
                 cudaGetErrorString(e));
}

rh_status rh_cublas_check(cublasStatus_t s, const char *what) {
  if (s == CUBLAS_STATUS_SUCCESS) return RH_OK;
  return rh_fail(s == CUBLAS_STATUS_ALLOC_FAILED ? RH_ENOMEM : RH_EDEVICE, "cuBLAS error in %s: %s", what,
                 cublasGetStatusString(s));
}

rh_status rh_cusolver_check(cusolverStatus_t s, const char *what) {
  if (s == CUSOLVER_STATUS_SUCCESS) return RH_OK;
  return rh_fail(s == CUSOLVER_STATUS_ALLOC_FAILED ? RH_ENOMEM : RH_EDEVICE, "cuSOLVER error in %s: status %d", what,
                 (int)s);
}

rh_status rh_cuda_launched(const char *kernel) { return rh_cuda_check(cudaGetLastError(), kernel); }

/* ---- device, stream, handles ---- */

static int device_count = -1;
static int initialised;
static cudaStream_t stream;
static cublasHandle_t cublas;
static cusolverDnHandle_t cusolver;
static int tf32_enabled;

int rh_cuda_device_count(void) {
  if (device_count < 0) {
    int n = 0;
    /* Without a driver this returns cudaErrorInsufficientDriver/NoDevice; the process goes on CPU-only. */
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();
      n = 0;
    }
    device_count = n;
  }
  return device_count;
}

rh_status rh_cuda_init(void) {
  if (initialised) return RH_OK;
  if (rh_cuda_device_count() == 0) return rh_fail(RH_EDEVICE, "no CUDA device is present on this machine");
  rh_status st = rh_cuda_check(cudaSetDevice(0), "cudaSetDevice");
  if (st == RH_OK) st = rh_cuda_check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
  if (st != RH_OK) return st;
  initialised = 1;
  return RH_OK;
}

cudaStream_t rh_cuda_stream(void) { return stream; }

static cublasMath_t math_mode(void) { return tf32_enabled ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH; }

rh_status rh_cuda_cublas(cublasHandle_t *h) {
  rh_status st = rh_cuda_init();
  if (st != RH_OK) return st;
  if (!cublas) {
    cublasHandle_t c;
    st = rh_cublas_check(cublasCreate(&c), "cublasCreate");
    if (st != RH_OK) return st;
    cublasSetStream(c, stream);
    cublasSetMathMode(c, math_mode());
    cublas = c;
  }
  *h = cublas;
  return RH_OK;
}

rh_status rh_cuda_cusolver(cusolverDnHandle_t *h) {
  rh_status st = rh_cuda_init();
  if (st != RH_OK) return st;
  if (!cusolver) {
    cusolverDnHandle_t c;
    st = rh_cusolver_check(cusolverDnCreate(&c), "cusolverDnCreate");
    if (st != RH_OK) return st;
    cusolverDnSetStream(c, stream);
    cusolver = c;
  }
  *h = cusolver;
  return RH_OK;
}

void rh_cuda_set_tf32(int on) {
  tf32_enabled = on != 0;
  if (cublas) cublasSetMathMode(cublas, math_mode());
}

int rh_cuda_tf32(void) { return tf32_enabled; }

/* ---- caching allocator ---- */

typedef struct block {
  void *ptr;
  size_t bytes; /* rounded size: the size class */
  struct block *next;
} block;

#define NCLASS 256
#define NBUCKET 4096
static block *free_list[NCLASS]; /* cached blocks, by class */
static block *live[NBUCKET];     /* blocks handed out, hashed by pointer */
static size_t bytes_in_use, bytes_cached;

static int floor_log2(size_t n) {
  int k = 0;
  while (n >>= 1) k++;
  return k;
}

/* Rounds n up to its class: 512 bytes at least, then steps of a quarter power of two. */
static size_t class_of(size_t n, int *cls) {
  if (n <= 512) {
    *cls = 0;
    return 512;
  }
  int k = floor_log2(n - 1); /* 2^k < n <= 2^(k+1) */
  size_t step = ((size_t)1 << k) / 4;
  size_t rounded = (n + step - 1) / step * step;
  *cls = 1 + 4 * (k - 9) + (int)((rounded - ((size_t)1 << k)) / step) - 1;
  return rounded;
}

static size_t hash_ptr(const void *p) { return ((uintptr_t)p >> 9) * 2654435761u % NBUCKET; }

void rh_cuda_empty_cache(void) {
  for (int c = 0; c < NCLASS; c++) {
    block *b = free_list[c];
    while (b) {
      block *n = b->next;
      cudaFree(b->ptr);
      free(b);
      b = n;
    }
    free_list[c] = NULL;
  }
  bytes_cached = 0;
}

void rh_cuda_memory(size_t *in_use, size_t *cached) {
  *in_use = bytes_in_use;
  *cached = bytes_cached;
}

rh_status rh_cuda_alloc(void **p, size_t bytes) {
  *p = NULL;
  rh_status st = rh_cuda_init();
  if (st != RH_OK) return st;
  int cls;
  size_t rounded = class_of(bytes, &cls);
  if (cls >= NCLASS) return rh_fail(RH_ENOMEM, "cannot allocate %zu bytes on the device", bytes);
  block *b = free_list[cls];
  if (b) {
    free_list[cls] = b->next;
    bytes_cached -= b->bytes;
  } else {
    b = malloc(sizeof *b);
    if (!b) return rh_fail(RH_ENOMEM, "out of host memory");
    b->bytes = rounded;
    cudaError_t e = cudaMalloc(&b->ptr, rounded);
    if (e == cudaErrorMemoryAllocation) { /* give the cache back to the driver and try again */
      cudaGetLastError();
      rh_cuda_empty_cache();
      e = cudaMalloc(&b->ptr, rounded);
    }
    if (e != cudaSuccess) {
      free(b);
      if (e == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        return rh_fail(RH_ENOMEM, "CUDA out of memory allocating %zu bytes (%zu bytes held by live tensors)", bytes,
                       bytes_in_use);
      }
      return rh_cuda_check(e, "cudaMalloc");
    }
  }
  size_t h = hash_ptr(b->ptr);
  b->next = live[h];
  live[h] = b;
  bytes_in_use += b->bytes;
  *p = b->ptr;
  return RH_OK;
}

void rh_cuda_free(void *p) {
  if (!p) return;
  block **link = &live[hash_ptr(p)];
  while (*link && (*link)->ptr != p) link = &(*link)->next;
  block *b = *link;
  if (!b) return; /* not ours: nothing sensible to do, and kernels must not abort */
  *link = b->next;
  bytes_in_use -= b->bytes;
  int cls;
  class_of(b->bytes, &cls);
  b->next = free_list[cls];
  free_list[cls] = b;
  bytes_cached += b->bytes;
}

/* ---- copies and synchronisation ---- */

rh_status rh_cuda_memcpy(void *dst, int dst_dev, const void *src, int src_dev, size_t bytes) {
  if (bytes == 0) return RH_OK;
  if (!dst_dev && !src_dev) {
    memcpy(dst, src, bytes);
    return RH_OK;
  }
  rh_status st = rh_cuda_init();
  if (st != RH_OK) return st;
  enum cudaMemcpyKind kind = dst_dev ? (src_dev ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
                                     : cudaMemcpyDeviceToHost;
  /* Host->device from pageable memory returns once the source has been staged, so the
   * caller may reuse it; device->host must wait for the data. */
  st = rh_cuda_check(cudaMemcpyAsync(dst, src, bytes, kind, stream), "cudaMemcpy");
  if (st == RH_OK && kind == cudaMemcpyDeviceToHost) st = rh_cuda_check(cudaStreamSynchronize(stream), "cudaMemcpy");
  return st;
}

rh_status rh_cuda_sync(void) {
  if (!initialised) return RH_OK;
  return rh_cuda_check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
}
