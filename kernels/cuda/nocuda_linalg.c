/* nocuda_linalg.c - the SVD entry points of a build without CUDA: each says so. */
#include "linalg_cuda.h"

static rh_status no_cuda(void) {
  return rh_fail(RH_EDEVICE, "rankhost was built without CUDA (nvcc was not found, or -DRANKHOST_CUDA=OFF)");
}

rh_status rh_cuda_svdvals(rh_tensor *s, const rh_tensor *w) {
  (void)s; (void)w;
  return no_cuda();
}
rh_status rh_cuda_svd(rh_tensor *u, rh_tensor *s, rh_tensor *vt, const rh_tensor *w) {
  (void)u; (void)s; (void)vt; (void)w;
  return no_cuda();
}
