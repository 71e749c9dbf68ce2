/* nocuda.c - the device entry points of a build without CUDA: each says so. */
#include "device.h"

static rh_status no_cuda(void) {
  return rh_fail(RH_EDEVICE, "rankhost was built without CUDA (nvcc was not found, or -DRANKHOST_CUDA=OFF)");
}

int rh_cuda_compiled(void) { return 0; }
int rh_cuda_device_count(void) { return 0; }
rh_status rh_cuda_alloc(void **p, size_t bytes) {
  (void)bytes;
  *p = NULL;
  return no_cuda();
}
void rh_cuda_free(void *p) { (void)p; }
rh_status rh_cuda_memcpy(void *dst, int dst_dev, const void *src, int src_dev, size_t bytes) {
  (void)dst; (void)dst_dev; (void)src; (void)src_dev; (void)bytes;
  return no_cuda();
}
rh_status rh_cuda_sync(void) { return RH_OK; }
void rh_cuda_empty_cache(void) {}
void rh_cuda_memory(size_t *in_use, size_t *cached) { *in_use = *cached = 0; }
/* The flag is kept so that a script may set it in any build; nothing reads it here. */
static int tf32;
void rh_cuda_set_tf32(int on) { tf32 = on != 0; }
int rh_cuda_tf32(void) { return tf32; }

/* ---- tensor kernels (ops_cuda.h): unreachable without device tensors, but defined ---- */
#include "ops_cuda.h"
rh_status rh_cuda_fill(rh_tensor *t, float v) { (void)t; (void)v; return no_cuda(); }
rh_status rh_cuda_map(rh_tensor *o, const rh_tensor *a, rh_unary op) { (void)o; (void)a; (void)op; return no_cuda(); }
rh_status rh_cuda_pow_scalar(rh_tensor *o, const rh_tensor *a, float p) { (void)o; (void)a; (void)p; return no_cuda(); }
rh_status rh_cuda_clamp(rh_tensor *o, const rh_tensor *a, float lo, float hi) {
  (void)o; (void)a; (void)lo; (void)hi;
  return no_cuda();
}
rh_status rh_cuda_affine(rh_tensor *o, const rh_tensor *a, float al, float be) {
  (void)o; (void)a; (void)al; (void)be;
  return no_cuda();
}
rh_status rh_cuda_binop(rh_tensor *o, const rh_tensor *a, const rh_tensor *b, rh_binary op) {
  (void)o; (void)a; (void)b; (void)op;
  return no_cuda();
}
rh_status rh_cuda_binop_scalar(rh_tensor *o, const rh_tensor *a, float s, rh_binary op, int f) {
  (void)o; (void)a; (void)s; (void)op; (void)f;
  return no_cuda();
}
rh_status rh_cuda_axpy(rh_tensor *t, const rh_tensor *u, float al) { (void)t; (void)u; (void)al; return no_cuda(); }
rh_status rh_cuda_reduce_all(const rh_tensor *a, rh_reduce op, double *r) { (void)a; (void)op; (void)r; return no_cuda(); }
rh_status rh_cuda_reduce_dim(rh_tensor *o, rh_tensor *i, const rh_tensor *a, int d, rh_reduce op) {
  (void)o; (void)i; (void)a; (void)d; (void)op;
  return no_cuda();
}
rh_status rh_cuda_gemm(rh_tensor *c, const rh_tensor *a, const rh_tensor *b, float al, float be) {
  (void)c; (void)a; (void)b; (void)al; (void)be;
  return no_cuda();
}
rh_status rh_cuda_index_select(rh_tensor *o, const rh_tensor *a, int d, const int64_t *i, int64_t n) {
  (void)o; (void)a; (void)d; (void)i; (void)n;
  return no_cuda();
}
rh_status rh_cuda_copy(rh_tensor *d, const rh_tensor *s) { (void)d; (void)s; return no_cuda(); }
