/* nocuda_bytes.c - the device byte store of a build without CUDA: each entry says so. */
#include "bytes_cuda.h"

static rh_status no_cuda(void) {
  return rh_fail(RH_EDEVICE, "rankhost was built without CUDA (nvcc was not found, or -DRANKHOST_CUDA=OFF)");
}

rh_status rh_cuda_bytes_upload(void **dev, const uint8_t *src, size_t n) {
  (void)src; (void)n;
  *dev = NULL;
  return no_cuda();
}
void rh_cuda_bytes_free(void *dev) { (void)dev; }
rh_status rh_cuda_gather_u8(rh_tensor *x, rh_tensor *y, const void *images, const void *labels, int64_t n_rows,
                            int64_t dim, const int64_t *idx, int64_t b, float scale, float label_offset) {
  (void)x; (void)y; (void)images; (void)labels; (void)n_rows; (void)dim; (void)idx; (void)b; (void)scale;
  (void)label_offset;
  return no_cuda();
}
rh_status rh_cuda_gather_rows(rh_tensor *x, rh_tensor *y, const void *feats, int u8, const void *ids, int64_t n_rows,
                              int64_t dim, const int64_t *rows, int64_t b, float scale) {
  (void)x; (void)y; (void)feats; (void)u8; (void)ids; (void)n_rows; (void)dim; (void)rows; (void)b; (void)scale;
  return no_cuda();
}
