/* nocuda_nn.c - the CUDA twins of nn.h/optim.h in a build without CUDA: each says so.
 * Unreachable without device tensors, but defined so that every build links. */
#include "nn_cuda.h"

static rh_status no_cuda(void) {
  return rh_fail(RH_EDEVICE, "rankhost was built without CUDA (nvcc was not found, or -DRANKHOST_CUDA=OFF)");
}

rh_status rh_cuda_linear_forward(rh_tensor *y, const rh_tensor *x, const rh_tensor *w, const rh_tensor *b, int relu) {
  (void)y; (void)x; (void)w; (void)b; (void)relu;
  return no_cuda();
}
rh_status rh_cuda_linear_backward(rh_tensor *gx, rh_tensor *gw, rh_tensor *gb, const rh_tensor *x, const rh_tensor *w,
                                  const rh_tensor *gy) {
  (void)gx; (void)gw; (void)gb; (void)x; (void)w; (void)gy;
  return no_cuda();
}
rh_status rh_cuda_relu_backward(rh_tensor *gx, const rh_tensor *y, const rh_tensor *gy) {
  (void)gx; (void)y; (void)gy;
  return no_cuda();
}
rh_status rh_cuda_cross_entropy(const rh_tensor *logits, const rh_tensor *labels, rh_tensor *grad, double *loss) {
  (void)logits; (void)labels; (void)grad; (void)loss;
  return no_cuda();
}
rh_status rh_cuda_cross_entropy_acc(const rh_tensor *logits, const rh_tensor *labels, rh_tensor *grad,
                                    rh_tensor *meter) {
  (void)logits; (void)labels; (void)grad; (void)meter;
  return no_cuda();
}
rh_status rh_cuda_mse(const rh_tensor *y, const rh_tensor *t, rh_tensor *grad, double *loss) {
  (void)y; (void)t; (void)grad; (void)loss;
  return no_cuda();
}
rh_status rh_cuda_count_correct(const rh_tensor *logits, const rh_tensor *labels, int64_t *correct) {
  (void)logits; (void)labels; (void)correct;
  return no_cuda();
}
rh_status rh_cuda_sgd_step(rh_tensor *p, const rh_tensor *g, rh_tensor *buf, const rh_sgd_opts *o, int first) {
  (void)p; (void)g; (void)buf; (void)o; (void)first;
  return no_cuda();
}
rh_status rh_cuda_adam_step(rh_tensor *p, const rh_tensor *g, rh_tensor *m, rh_tensor *v, const rh_adam_opts *o,
                            int64_t t) {
  (void)p; (void)g; (void)m; (void)v; (void)o; (void)t;
  return no_cuda();
}
