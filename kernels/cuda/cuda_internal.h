/* cuda_internal.h - what the CUDA sources of kernels/cuda share: the one stream, the
 * library handles, and turning CUDA/cuBLAS/cuSOLVER errors into an rh_status.
 * Included from C (*_cuda.c) and CUDA C++ (*.cu); never from outside kernels/cuda. */
#ifndef RH_CUDA_INTERNAL_H
#define RH_CUDA_INTERNAL_H

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cusolverDn.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "../status.h"
#include "../tensor.h"
#include "device.h"

/* Lazily selects device 0 and creates the stream and handles; RH_EDEVICE when no
 * device can be used. Every entry point calls it before touching the device. */
rh_status rh_cuda_init(void);
/* The single stream every kernel, copy and library call of rankhost is queued on. */
cudaStream_t rh_cuda_stream(void);
/* cuBLAS / cuSOLVER handles bound to that stream (created on first use). */
rh_status rh_cuda_cublas(cublasHandle_t *h);
rh_status rh_cuda_cusolver(cusolverDnHandle_t *h);

/* RH_OK, or RH_EDEVICE (RH_ENOMEM for an allocation error) with "what: <CUDA's error string>". */
rh_status rh_cuda_check(cudaError_t e, const char *what);
rh_status rh_cublas_check(cublasStatus_t s, const char *what);
rh_status rh_cusolver_check(cusolverStatus_t s, const char *what);
/* The error (if any) of the last kernel launch on this thread. */
rh_status rh_cuda_launched(const char *kernel);

#ifdef __cplusplus
}
#endif

#endif
