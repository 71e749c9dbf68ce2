/* linalg_cuda.h - the CUDA versions of the SVD kernels of linalg.h, same contracts
 * (cuSOLVER gesvd). The caller (linalg.c) has already checked shapes, devices and that
 * every entry is finite. Defined in svd_cuda.c (the module); the list's form: device.h. */
#ifndef RH_LINALG_CUDA_H
#define RH_LINALG_CUDA_H
#include "../linalg.h"
#include "device.h"

#define RH_CUDA_LINALG_API(X)                                                                   \
  /* s (1-D, k, on the device) = singular values of the device matrix w, descending. */       \
  X(FWD, rh_status, rh_cuda_svdvals, (rh_tensor *s, const rh_tensor *w), (s, w))               \
  /* Thin SVD of the device matrix w: u m x k, s k, vt k x n, all on the device. */            \
  X(FWD, rh_status, rh_cuda_svd, (rh_tensor *u, rh_tensor *s, rh_tensor *vt, const rh_tensor *w), (u, s, vt, w))

RH_CUDA_LINALG_API(RH_CUDA_DECLARE)
#endif
