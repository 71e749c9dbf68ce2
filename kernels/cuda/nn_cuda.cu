/* nn_cuda.cu - the CUDA twins of the layer, loss and optimizer kernels (nn_cuda.h).
 *
 * Linear runs on cuBLAS (rh_cuda_gemm, W^T as a transposed view) with bias and ReLU fused
 * into one pass over the output. Cross-entropy gives each row to a warp: max, the sum of
 * exponentials in double, the loss and the gradient in one pass, as nn.c does; the batch
 * loss is summed by one block in a fixed order, so runs repeat bit for bit. The loss can
 * stay on the device in a meter (nn.h), so a training step never waits for the GPU. The optimizer
 * updates use explicitly rounded operations (__fmul_rn, __fadd_rn: no fused multiply-add)
 * so that they perform the float32 arithmetic of optim.c and PyTorch step for step.
 * The synchronous loss and the count of correct rows are values the caller asked for: they are read back. */
#include <limits.h>
#include <math.h>
#include <stdint.h>

#include "cuda_internal.h"
#include "cuda_walk.cuh"

extern "C" {
#include "../nn_meter.h"
#include "nn_cuda.h"
#include "ops_cuda.h"
}
#include "../elementwise.h"

/* ---- Linear ---- */

__global__ void k_bias_relu(float *y, int64_t ys0, int64_t ys1, const float *b, int64_t bs, int64_t B, int64_t O,
                            int relu) {
  RH_GRID_LOOP(e, B * O) {
    int64_t i = e / O, j = e % O;
    float *p = y + i * ys0 + j * ys1;
    float v = b ? *p + b[j * bs] : *p;
    *p = relu ? rh_relu1(v) : v;
  }
}

extern "C" rh_status rh_cuda_linear_forward(rh_tensor *y, const rh_tensor *x, const rh_tensor *w, const rh_tensor *b,
                                            int relu) {
  rh_tensor wt;
  rh_status st = rh_view_transpose(&wt, w, 0, 1);
  if (st != RH_OK) return st;
  st = rh_cuda_gemm(y, x, &wt, 1.0f, 0.0f);
  rh_tensor_release(&wt);
  if (st != RH_OK || (!b && !relu)) return st;
  int64_t B = y->size[0], O = y->size[1];
  if (B * O == 0) return RH_OK;
  k_bias_relu<<<rh_blocks(B * O), RH_THREADS, 0, rh_cuda_stream()>>>(
      rh_data(y), y->stride[0], y->stride[1], b ? rh_data(b) : NULL, b ? b->stride[0] : 0, B, O, relu);
  return rh_cuda_launched("linear_forward");
}

/* gb[j] += sum_i gy[i][j]: a thread per column, rows in order (as nn.c) */
__global__ void k_colsum_add(float *gb, int64_t bs, const float *gy, int64_t s0, int64_t s1, int64_t B, int64_t O) {
  RH_GRID_LOOP(j, O) {
    float acc = gb[j * bs];
    for (int64_t i = 0; i < B; i++) acc += gy[i * s0 + j * s1];
    gb[j * bs] = acc;
  }
}

extern "C" rh_status rh_cuda_linear_backward(rh_tensor *gx, rh_tensor *gw, rh_tensor *gb, const rh_tensor *x,
                                             const rh_tensor *w, const rh_tensor *gy) {
  rh_status st = RH_OK;
  if (gx) st = rh_cuda_gemm(gx, gy, w, 1.0f, 0.0f); /* gx = gy W */
  if (st != RH_OK) return st;
  rh_tensor gyt;
  if ((st = rh_view_transpose(&gyt, gy, 0, 1)) != RH_OK) return st;
  st = rh_cuda_gemm(gw, &gyt, x, 1.0f, 1.0f); /* gw += gy^T x */
  rh_tensor_release(&gyt);
  if (st != RH_OK || !gb) return st;
  if (gb->storage && rh_dev(gb) != RH_CUDA) return rh_fail(RH_EDEVICE, "tensors on different devices");
  int64_t B = gy->size[0], O = gy->size[1];
  if (O == 0) return RH_OK;
  k_colsum_add<<<rh_blocks(O), RH_THREADS, 0, rh_cuda_stream()>>>(rh_data(gb), gb->stride[0], rh_data(gy),
                                                                   gy->stride[0], gy->stride[1], B, O);
  return rh_cuda_launched("linear_backward");
}

/* ---- ReLU ---- */

__global__ void k_relu_backward(float *gx, shape4 sgx, const float *y, shape4 sy, const float *gy, shape4 sgy,
                                shape4 sz, int64_t n) {
  RH_GRID_LOOP(i, n) {
    float yv = y[rh_offset(i, sz, sy)];
    gx[rh_offset(i, sz, sgx)] = yv > 0.0f ? gy[rh_offset(i, sz, sgy)] : 0.0f;
  }
}

extern "C" rh_status rh_cuda_relu_backward(rh_tensor *gx, const rh_tensor *y, const rh_tensor *gy) {
  int64_t n = rh_numel(y);
  if (n == 0) return RH_OK;
  int nd = y->ndim;
  k_relu_backward<<<rh_blocks(n), RH_THREADS, 0, rh_cuda_stream()>>>(rh_data(gx), rh_stride4(gx, nd), rh_data(y),
                                                                      rh_stride4(y, nd), rh_data(gy),
                                                                      rh_stride4(gy, nd), rh_shape4(y->size, nd), n);
  return rh_cuda_launched("relu_backward");
}

/* ---- cross-entropy ----
 * Three launches, no host round trip: k_ce_rows checks each label and computes the row's
 * max, sum of exponentials, loss and argmax (a warp per row); k_ce_finish (one block)
 * sums them in a fixed order, finds the first bad label and records the step into the
 * meter (nn_meter.h), setting `ok`; k_ce_grad writes the gradient only when ok, so a bad
 * label leaves the gradient untouched, as on the CPU. */

struct ce_row {
  double loss, sum;
  float mx;
  int correct, bad;
};

__global__ void k_ce_rows(const float *x, int64_t xs0, int64_t xs1, const float *lab, int64_t ls, int64_t B,
                          int64_t C, ce_row *rows) {
  int lane = threadIdx.x & 31;
  int64_t warp = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
  int64_t nwarps = ((int64_t)gridDim.x * blockDim.x) >> 5;
  for (int64_t i = warp; i < B; i += nwarps) {
    const float *row = x + i * xs0;
    float v = lab[i * ls];
    if (!(v >= 1.0f && v <= (float)C && v == floorf(v))) {
      if (lane == 0) rows[i] = ce_row{0.0, 1.0, 0.0f, 0, 1};
      continue;
    }
    int64_t c = (int64_t)v - 1;
    float mx = -INFINITY;
    for (int64_t j = lane; j < C; j += 32) mx = fmaxf(mx, row[j * xs1]);
    for (int off = 16; off > 0; off >>= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, off));
    if (mx != mx) mx = row[0]; /* NaN rows: as nn.c, whose max starts at row[0] */
    double sum = 0.0;
    for (int64_t j = lane; j < C; j += 32) sum += expf(row[j * xs1] - mx);
    for (int off = 16; off > 0; off >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, off);
    if (lane == 0) {
      int64_t best = 0; /* the first maximum, NaN as nn.c's rh_count_correct */
      for (int64_t j = 1; j < C; j++)
        if (row[j * xs1] > row[best * xs1]) best = j;
      rows[i] = ce_row{(double)mx + log(sum) - (double)row[c * xs1], sum, mx, best == c, 0};
    }
  }
}

__global__ void k_ce_finish(const ce_row *rows, int64_t B, const float *lab, int64_t ls, float *meter, int *ok) {
  __shared__ double sh_loss[RH_THREADS];
  __shared__ long long sh_correct[RH_THREADS], sh_bad[RH_THREADS];
  double acc = 0.0;
  long long correct = 0, bad = LLONG_MAX;
  for (int64_t i = threadIdx.x; i < B; i += blockDim.x) {
    acc += rows[i].loss;
    correct += rows[i].correct;
    if (rows[i].bad && i < bad) bad = i;
  }
  sh_loss[threadIdx.x] = acc;
  sh_correct[threadIdx.x] = correct;
  sh_bad[threadIdx.x] = bad;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if ((int)threadIdx.x < s) {
      sh_loss[threadIdx.x] += sh_loss[threadIdx.x + s];
      sh_correct[threadIdx.x] += sh_correct[threadIdx.x + s];
      if (sh_bad[threadIdx.x + s] < sh_bad[threadIdx.x]) sh_bad[threadIdx.x] = sh_bad[threadIdx.x + s];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    long long first_bad = sh_bad[0];
    *ok = first_bad == LLONG_MAX;
    rh_meter_record(meter, sh_loss[0], (double)B, (double)sh_correct[0], *ok ? 0.0 : (double)(first_bad + 1),
                    *ok ? 0.0f : lab[first_bad * ls]);
  }
}

__global__ void k_ce_grad(const float *x, int64_t xs0, int64_t xs1, const float *lab, int64_t ls, float *g,
                          int64_t gs0, int64_t gs1, int64_t B, int64_t C, const ce_row *rows, const int *ok) {
  if (!*ok) return;
  float invB = 1.0f / (float)B;
  RH_GRID_LOOP(e, B * C) {
    int64_t i = e / C, j = e % C;
    int64_t c = (int64_t)lab[i * ls] - 1;
    float scale = (float)(1.0 / rows[i].sum) * invB;
    float ex = expf(x[i * xs0 + j * xs1] - rows[i].mx);
    g[i * gs0 + j * gs1] = j == c ? ex * scale - invB : ex * scale;
  }
}

/* Queues the three kernels with `meter` a device array of RH_METER_SIZE floats. */
static rh_status ce_queue(const rh_tensor *logits, const rh_tensor *labels, rh_tensor *grad, float *meter) {
  int64_t B = logits->size[0], C = logits->size[1];
  void *scratch;
  rh_status st = rh_cuda_alloc(&scratch, (size_t)B * sizeof(ce_row) + sizeof(int));
  if (st != RH_OK) return st;
  ce_row *rows = (ce_row *)scratch;
  int *ok = (int *)(rows + B);
  cudaStream_t s = rh_cuda_stream();
  const float *x = rh_data(logits), *lab = rh_data(labels);
  int64_t ls = labels->stride[0];
  if (B > 0)
    k_ce_rows<<<rh_blocks(B * 32), RH_THREADS, 0, s>>>(x, logits->stride[0], logits->stride[1], lab, ls, B, C, rows);
  k_ce_finish<<<1, RH_THREADS, 0, s>>>(rows, B, lab, ls, meter, ok);
  if (grad && B > 0)
    k_ce_grad<<<rh_blocks(B * C), RH_THREADS, 0, s>>>(x, logits->stride[0], logits->stride[1], lab, ls,
                                                       rh_data(grad), grad->stride[0], grad->stride[1], B, C, rows,
                                                       ok);
  st = rh_cuda_launched("cross_entropy");
  rh_cuda_free(scratch); /* stream-ordered: a later user of the block queues after these kernels */
  return st;
}

extern "C" rh_status rh_cuda_cross_entropy_acc(const rh_tensor *logits, const rh_tensor *labels, rh_tensor *grad,
                                               rh_tensor *meter) {
  return ce_queue(logits, labels, grad, rh_data(meter));
}

/* The synchronous form: a scratch meter, read back once. */
extern "C" rh_status rh_cuda_cross_entropy(const rh_tensor *logits, const rh_tensor *labels, rh_tensor *grad,
                                           double *loss) {
  int64_t B = logits->size[0];
  void *dm;
  float m[RH_METER_SIZE];
  rh_status st = rh_cuda_alloc(&dm, sizeof m);
  if (st != RH_OK) return st;
  st = rh_cuda_check(cudaMemsetAsync(dm, 0, sizeof m, rh_cuda_stream()), "cross_entropy");
  if (st == RH_OK) st = ce_queue(logits, labels, grad, (float *)dm);
  if (st == RH_OK) st = rh_cuda_memcpy(m, 0, dm, 1, sizeof m);
  rh_cuda_free(dm);
  if (st != RH_OK) return st;
  if (m[RH_M_BAD_POS] != 0.0f)
    return rh_fail(RH_EARG, "label %g at position %lld is not a class id (an integer in 1..%lld)",
                   (double)m[RH_M_BAD_VALUE], (long long)m[RH_M_BAD_POS], (long long)logits->size[1]);
  *loss = B > 0 ? rh_meter_get(m, RH_M_SUM) / (double)B : 0.0;
  return RH_OK;
}

/* ---- mean squared error: through the elementwise and reduction kernels ---- */

extern "C" rh_status rh_cuda_mse(const rh_tensor *y, const rh_tensor *t, rh_tensor *grad, double *loss) {
  int64_t n = rh_numel(y);
  if (n == 0) {
    *loss = 0.0;
    return RH_OK;
  }
  rh_tensor d;
  rh_status st = rh_tensor_new_like(&d, y);
  if (st != RH_OK) return st;
  double ss = 0.0;
  st = rh_cuda_binop(&d, y, t, RH_SUB);
  if (st == RH_OK) st = rh_cuda_reduce_all(&d, RH_SUMSQ, &ss);
  if (st == RH_OK && grad) st = rh_cuda_affine(grad, &d, 2.0f / (float)n, 0.0f);
  rh_tensor_release(&d);
  if (st == RH_OK) *loss = ss / (double)n;
  return st;
}

/* ---- accuracy ---- */

__global__ void k_count_correct(const float *x, int64_t xs0, int64_t xs1, const float *lab, int64_t ls, int64_t B,
                                int64_t C, unsigned long long *count) {
  RH_GRID_LOOP(i, B) {
    const float *row = x + i * xs0;
    int64_t best = 0;
    for (int64_t j = 1; j < C; j++)
      if (row[j * xs1] > row[best * xs1]) best = j;
    if ((float)(best + 1) == lab[i * ls]) atomicAdd(count, 1ull);
  }
}

extern "C" rh_status rh_cuda_count_correct(const rh_tensor *logits, const rh_tensor *labels, int64_t *correct) {
  int64_t B = logits->size[0], C = logits->size[1];
  *correct = 0;
  if (B == 0 || C == 0) return RH_OK;
  void *dcount;
  rh_status st = rh_cuda_alloc(&dcount, sizeof(unsigned long long));
  if (st != RH_OK) return st;
  st = rh_cuda_check(cudaMemsetAsync(dcount, 0, sizeof(unsigned long long), rh_cuda_stream()), "count_correct");
  if (st == RH_OK) {
    k_count_correct<<<rh_blocks(B), RH_THREADS, 0, rh_cuda_stream()>>>(
        rh_data(logits), logits->stride[0], logits->stride[1], rh_data(labels), labels->stride[0], B, C,
        (unsigned long long *)dcount);
    st = rh_cuda_launched("count_correct");
  }
  unsigned long long n = 0;
  if (st == RH_OK) st = rh_cuda_memcpy(&n, 0, dcount, 1, sizeof n);
  rh_cuda_free(dcount);
  if (st == RH_OK) *correct = (int64_t)n;
  return st;
}

/* ---- optimizers: optim.c's loops, one thread per element ---- */

__global__ void k_sgd(float *p, const float *g, float *buf, int64_t n, float lr, float wd, float mom, float keep,
                      int nesterov, int first) {
  RH_GRID_LOOP(i, n) {
    float d = g[i];
    if (wd != 0.0f) d = __fadd_rn(d, __fmul_rn(wd, p[i]));
    if (buf) {
      float b = first ? d : __fadd_rn(__fmul_rn(buf[i], mom), __fmul_rn(keep, d));
      buf[i] = b;
      d = nesterov ? __fadd_rn(d, __fmul_rn(mom, b)) : b;
    }
    p[i] = __fadd_rn(p[i], __fmul_rn(-lr, d));
  }
}

extern "C" rh_status rh_cuda_sgd_step(rh_tensor *p, const rh_tensor *g, rh_tensor *buf, const rh_sgd_opts *o,
                                      int first) {
  int64_t n = rh_numel(p);
  if (n == 0) return RH_OK;
  float *bp = o->momentum != 0.0f ? rh_data(buf) : NULL;
  k_sgd<<<rh_blocks(n), RH_THREADS, 0, rh_cuda_stream()>>>(rh_data(p), rh_data(g), bp, n, o->lr, o->weight_decay,
                                                            o->momentum, 1.0f - o->dampening, o->nesterov, first);
  return rh_cuda_launched("sgd_step");
}

__global__ void k_adam(float *p, const float *g, float *m, float *v, int64_t n, float step_size, float bc2_sqrt,
                       float decay, float w1, float w2, float b2, float eps, float wd, int decoupled) {
  RH_GRID_LOOP(i, n) {
    float gi = g[i], pi = p[i];
    if (wd != 0.0f) {
      if (decoupled)
        pi = __fmul_rn(pi, decay);
      else
        gi = __fadd_rn(gi, __fmul_rn(wd, pi));
    }
    float mi = __fadd_rn(m[i], __fmul_rn(w1, __fadd_rn(gi, -m[i])));
    float vi = __fadd_rn(__fmul_rn(v[i], b2), __fmul_rn(w2, __fmul_rn(gi, gi)));
    m[i] = mi;
    v[i] = vi;
    float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), bc2_sqrt), eps);
    p[i] = __fadd_rn(pi, __fmul_rn(-step_size, __fdiv_rn(mi, denom)));
  }
}

extern "C" rh_status rh_cuda_adam_step(rh_tensor *p, const rh_tensor *g, rh_tensor *m, rh_tensor *v,
                                       const rh_adam_opts *o, int64_t t) {
  int64_t n = rh_numel(p);
  if (n == 0) return RH_OK;
  /* the scalars exactly as optim.c computes them (double, then float) */
  double bc1 = 1.0 - pow((double)o->beta1, (double)t);
  double bc2 = 1.0 - pow((double)o->beta2, (double)t);
  float step_size = (float)((double)o->lr / bc1);
  float bc2_sqrt = (float)sqrt(bc2);
  float decay = (float)(1.0 - (double)o->lr * (double)o->weight_decay);
  float w1 = (float)(1.0 - (double)o->beta1), w2 = (float)(1.0 - (double)o->beta2);
  k_adam<<<rh_blocks(n), RH_THREADS, 0, rh_cuda_stream()>>>(rh_data(p), rh_data(g), rh_data(m), rh_data(v), n,
                                                             step_size, bc2_sqrt, decay, w1, w2, o->beta2, o->eps,
                                                             o->weight_decay, o->decoupled);
  return rh_cuda_launched("adam_step");
}
