/* nn.c - CPU kernels of the layers and losses (see nn.h): Linear on cblas_sgemm with
 * W^T passed as a BLAS transpose and the bias (and ReLU) applied in one pass over the
 * output; cross-entropy with its gradient written in the same pass as the loss. */
#include "nn.h"

#include <math.h>
#include <string.h>

#include "cuda/device.h"
#include "cuda/nn_cuda.h"
#include "elementwise.h"
#include "nn_meter.h"
#include "ops.h"
#include "ops_dispatch.h"
#include "simd.h"

#define AT(t, i, j) (rh_data(t)[(i) * (t)->stride[0] + (j) * (t)->stride[1]])

static rh_status check_matrix(const rh_tensor *t, const char *what) {
  if (!t || !t->storage) return rh_fail(RH_EARG, "%s is missing", what);
  return rh_check_2d(t, what);
}

static rh_status check_dims(const rh_tensor *t, int64_t rows, int64_t cols, const char *what) {
  rh_status st = check_matrix(t, what);
  if (st != RH_OK) return st;
  if (t->size[0] != rows || t->size[1] != cols) {
    char b[64];
    return rh_fail(RH_ESHAPE, "%s is %s, expected %lldx%lld", what, rh_shape_str(t, b, sizeof b), (long long)rows,
                   (long long)cols);
  }
  return RH_OK;
}

static rh_status check_vector(const rh_tensor *t, int64_t n, const char *what) {
  if (t->ndim != 1 || t->size[0] != n) {
    char b[64];
    return rh_fail(RH_ESHAPE, "%s is %s, expected a vector of %lld", what, rh_shape_str(t, b, sizeof b), (long long)n);
  }
  return RH_OK;
}

static rh_status same_device(const rh_tensor *a, const rh_tensor *b) {
  if (b && b->storage && rh_dev(a) != rh_dev(b)) return rh_fail(RH_EDEVICE, "tensors on different devices");
  return RH_OK;
}

#define TRY(expr)                        \
  do {                                   \
    rh_status st_ = (expr);              \
    if (st_ != RH_OK) return st_;        \
  } while (0)

/* ---- Linear ---- */

static rh_status check_linear(const rh_tensor *x, const rh_tensor *w, const rh_tensor *b) {
  TRY(check_matrix(x, "input"));
  TRY(check_matrix(w, "weight"));
  if (x->size[1] != w->size[1])
    return rh_fail(RH_ESHAPE, "bad input width %lld, expected %lld", (long long)x->size[1], (long long)w->size[1]);
  if (b) TRY(check_vector(b, w->size[0], "bias"));
  TRY(same_device(x, w));
  return same_device(x, b);
}

/* y[i][j] = relu?(y[i][j] + b[j]) over rows of unit stride (the usual layout); the
 * callers check that the bias and y are different storages (restrict). */
RH_HOT static void bias_relu_row(float *restrict row, const float *restrict bp, int64_t O, int relu) {
  if (bp && relu)
    for (int64_t j = 0; j < O; j++) {
      float v = row[j] + bp[j];
      row[j] = rh_relu1(v);
    }
  else if (bp)
    for (int64_t j = 0; j < O; j++) row[j] += bp[j];
  else
    for (int64_t j = 0; j < O; j++) row[j] = rh_relu1(row[j]);
}

static void bias_relu_rows(float *y, int64_t ld, int64_t B, int64_t O, const float *bp, int relu) {
  for (int64_t i = 0; i < B; i++) bias_relu_row(y + i * ld, bp, O, relu);
}

/* gb[j] += sum_i gy[i][j], row by row (unit-stride reads of gy). */
RH_HOT static void add_row(float *restrict acc, const float *restrict row, int64_t O) {
  for (int64_t j = 0; j < O; j++) acc[j] += row[j];
}

RH_HOT static void relu_mask(float *restrict op, const float *restrict yp, const float *restrict gp, int64_t n) {
  for (int64_t i = 0; i < n; i++) op[i] = yp[i] > 0.0f ? gp[i] : 0.0f;
}

rh_status rh_linear_forward(rh_tensor *y, const rh_tensor *x, const rh_tensor *w, const rh_tensor *b, int relu) {
  TRY(check_linear(x, w, b));
  TRY(check_dims(y, x->size[0], w->size[0], "output"));
  TRY(same_device(x, y));
  RH_DISPATCH(x, rh_cuda_linear_forward(y, x, w, b, relu));
  rh_tensor wt;
  TRY(rh_view_transpose(&wt, w, 0, 1)); /* a header only: BLAS reads W as transposed */
  rh_status st = rh_gemm(y, x, &wt, 1.0f, 0.0f);
  rh_tensor_release(&wt);
  if (st != RH_OK) return st;
  if (!b && !relu) return RH_OK;
  int64_t B = y->size[0], O = y->size[1];
  const float *bp = b ? rh_data(b) : NULL;
  int64_t bs = b ? b->stride[0] : 0;
  if (y->stride[1] == 1 && (!b || (bs == 1 && b->storage != y->storage))) {
    bias_relu_rows(rh_data(y), y->stride[0], B, O, bp, relu);
    return RH_OK;
  }
  for (int64_t i = 0; i < B; i++) {
    float *row = rh_data(y) + i * y->stride[0];
    int64_t s = y->stride[1];
    if (bp && relu)
      for (int64_t j = 0; j < O; j++) {
        float v = row[j * s] + bp[j * bs];
        row[j * s] = rh_relu1(v);
      }
    else if (bp)
      for (int64_t j = 0; j < O; j++) row[j * s] += bp[j * bs];
    else
      for (int64_t j = 0; j < O; j++) row[j * s] = rh_relu1(row[j * s]);
  }
  return RH_OK;
}

rh_status rh_linear_backward(rh_tensor *gx, rh_tensor *gw, rh_tensor *gb, const rh_tensor *x, const rh_tensor *w,
                             const rh_tensor *gy) {
  TRY(check_linear(x, w, gb));
  TRY(check_dims(gy, x->size[0], w->size[0], "output gradient"));
  TRY(check_dims(gw, w->size[0], w->size[1], "weight gradient"));
  if (gx) TRY(check_dims(gx, x->size[0], x->size[1], "input gradient"));
  TRY(same_device(x, gy));
  TRY(same_device(x, gw));
  TRY(same_device(x, gx));
  RH_DISPATCH(x, rh_cuda_linear_backward(gx, gw, gb, x, w, gy));
  if (gx) TRY(rh_gemm(gx, gy, w, 1.0f, 0.0f)); /* gx = gy W */
  rh_tensor gyt;
  TRY(rh_view_transpose(&gyt, gy, 0, 1));
  rh_status st = rh_gemm(gw, &gyt, x, 1.0f, 1.0f); /* gw += gy^T x */
  rh_tensor_release(&gyt);
  if (st != RH_OK || !gb) return st;
  float *bp = rh_data(gb);
  int64_t bs = gb->stride[0], O = gy->size[1];
  if (bs == 1 && gy->stride[1] == 1 && gb->storage != gy->storage) {
    for (int64_t i = 0; i < gy->size[0]; i++) add_row(bp, rh_data(gy) + i * gy->stride[0], O);
    return RH_OK;
  }
  for (int64_t i = 0; i < gy->size[0]; i++) /* row by row: unit-stride reads of gy */
    for (int64_t j = 0; j < O; j++) bp[j * bs] += AT(gy, i, j);
  return RH_OK;
}

/* ---- ReLU ---- */

rh_status rh_relu_backward(rh_tensor *gx, const rh_tensor *y, const rh_tensor *gy) {
  if (!rh_same_shape(y, gy) || !rh_same_shape(y, gx)) {
    char b1[64], b2[64];
    return rh_fail(RH_ESHAPE, "output %s and gradient %s do not match", rh_shape_str(y, b1, sizeof b1),
                   rh_shape_str(gy, b2, sizeof b2));
  }
  TRY(same_device(y, gy));
  TRY(same_device(y, gx));
  RH_DISPATCH(y, rh_cuda_relu_backward(gx, y, gy));
  if (rh_is_contiguous(y) && rh_is_contiguous(gy) && rh_is_contiguous(gx)) {
    const float *yp = rh_data(y), *gp = rh_data(gy);
    float *op = rh_data(gx);
    int64_t n = rh_numel(y);
    if (gx->storage != y->storage && gx->storage != gy->storage)
      relu_mask(op, yp, gp, n);
    else /* in place, or views of one storage */
      for (int64_t i = 0; i < n; i++) op[i] = yp[i] > 0.0f ? gp[i] : 0.0f;
    return RH_OK;
  }
  /* strided operands: mask = (y > 0), then gx = gy * mask through the broadcasting kernels */
  rh_tensor mask;
  TRY(rh_tensor_new_like(&mask, y));
  rh_status st = rh_map(&mask, y, RH_SIGN); /* relu outputs are >= 0: sign is the 0/1 mask */
  if (st == RH_OK) st = rh_binop(gx, gy, &mask, RH_MUL);
  rh_tensor_release(&mask);
  return st;
}

/* ---- losses ---- */

/* The label of row i as a 0-based class, checked to be an integer in 1..C. */
static rh_status label_at(const rh_tensor *labels, int64_t i, int64_t C, int64_t *cls) {
  float v = rh_data(labels)[i * labels->stride[0]];
  if (!(v >= 1.0f && v <= (float)C))
    return rh_fail(RH_EARG, "label %g at position %lld is outside 1..%lld", (double)v, (long long)(i + 1),
                   (long long)C);
  if (v != floorf(v))
    return rh_fail(RH_EARG, "label %g at position %lld is not a class id (an integer in 1..%lld)", (double)v,
                   (long long)(i + 1), (long long)C);
  *cls = (int64_t)v - 1;
  return RH_OK;
}

static rh_status check_labels(const rh_tensor *logits, const rh_tensor *labels) {
  TRY(check_matrix(logits, "logits"));
  int64_t B = logits->size[0];
  int ok = (labels->ndim == 1 && labels->size[0] == B) || (labels->ndim == 2 && labels->size[0] == B && labels->size[1] == 1);
  if (!ok) {
    char b1[64], b2[64];
    return rh_fail(RH_ESHAPE, "labels %s do not match logits %s (one class id per row expected)",
                   rh_shape_str(labels, b1, sizeof b1), rh_shape_str(logits, b2, sizeof b2));
  }
  return same_device(logits, labels);
}

static rh_status check_ce(const rh_tensor *logits, const rh_tensor *labels, const rh_tensor *grad) {
  TRY(check_labels(logits, labels));
  if (logits->size[1] < 1) return rh_fail(RH_ESHAPE, "logits have no classes");
  if (grad) TRY(check_dims(grad, logits->size[0], logits->size[1], "gradient"));
  return same_device(logits, grad);
}

/* The CPU loss: *total = sum of the row losses; refuses bad labels before writing anything. */
static rh_status ce_cpu(const rh_tensor *logits, const rh_tensor *labels, rh_tensor *grad, double *total_out) {
  int64_t B = logits->size[0], C = logits->size[1];
  for (int64_t i = 0; i < B; i++) {
    int64_t c;
    TRY(label_at(labels, i, C, &c));
  }
  double total = 0.0;
  float invB = B > 0 ? 1.0f / (float)B : 0.0f;
  for (int64_t i = 0; i < B; i++) {
    int64_t c;
    label_at(labels, i, C, &c);
    const float *row = rh_data(logits) + i * logits->stride[0];
    int64_t s = logits->stride[1];
    float mx = row[0];
    for (int64_t j = 1; j < C; j++) mx = row[j * s] > mx ? row[j * s] : mx;
    double sum = 0.0;
    float *g = grad ? rh_data(grad) + i * grad->stride[0] : NULL;
    int64_t gs = grad ? grad->stride[1] : 0;
    for (int64_t j = 0; j < C; j++) {
      float e = expf(row[j * s] - mx);
      sum += e;
      if (g) g[j * gs] = e;
    }
    double lse = (double)mx + log(sum);
    total += lse - (double)row[c * s];
    if (g) {
      float scale = (float)(1.0 / sum) * invB;
      for (int64_t j = 0; j < C; j++) g[j * gs] *= scale;
      g[c * gs] -= invB;
    }
  }
  *total_out = total;
  return RH_OK;
}

rh_status rh_cross_entropy(const rh_tensor *logits, const rh_tensor *labels, rh_tensor *grad, double *loss) {
  TRY(check_ce(logits, labels, grad));
  RH_DISPATCH(logits, rh_cuda_cross_entropy(logits, labels, grad, loss));
  double total;
  TRY(ce_cpu(logits, labels, grad, &total));
  int64_t B = logits->size[0];
  *loss = B > 0 ? total / (double)B : 0.0;
  return RH_OK;
}

static rh_status check_meter(const rh_tensor *meter, const rh_tensor *like) {
  if (!meter || !meter->storage) return rh_fail(RH_EARG, "meter is missing");
  if (meter->ndim != 1 || meter->size[0] != RH_METER_SIZE || !rh_is_contiguous(meter))
    return rh_fail(RH_ESHAPE, "a meter is a contiguous vector of %d", RH_METER_SIZE);
  return like ? same_device(like, meter) : RH_OK;
}

rh_status rh_cross_entropy_acc(const rh_tensor *logits, const rh_tensor *labels, rh_tensor *grad, rh_tensor *meter) {
  TRY(check_ce(logits, labels, grad));
  TRY(check_meter(meter, logits));
  RH_DISPATCH(logits, rh_cuda_cross_entropy_acc(logits, labels, grad, meter));
  double total;
  int64_t correct;
  TRY(ce_cpu(logits, labels, grad, &total));
  TRY(rh_count_correct(logits, labels, &correct));
  rh_meter_record(rh_data(meter), total, (double)logits->size[0], (double)correct, 0, 0.0f);
  return RH_OK;
}

rh_status rh_meter_read(const rh_tensor *meter, rh_meter_values *out) {
  TRY(check_meter(meter, NULL));
  float m[RH_METER_SIZE];
  if (rh_dev(meter) == RH_CPU)
    memcpy(m, rh_data(meter), sizeof m);
  else
    TRY(rh_cuda_memcpy(m, 0, rh_data(meter), 1, sizeof m));
  out->last = m[RH_M_LAST];
  out->sum = rh_meter_get(m, RH_M_SUM);
  out->n = rh_meter_get(m, RH_M_N);
  out->correct = rh_meter_get(m, RH_M_CORRECT);
  out->steps = rh_meter_get(m, RH_M_STEPS);
  out->nonfinite_step = rh_meter_get(m, RH_M_NONFINITE);
  out->nonfinite_loss = m[RH_M_NONFINITE_LOSS];
  out->bad_pos = m[RH_M_BAD_POS];
  out->bad_value = m[RH_M_BAD_VALUE];
  out->bad_step = rh_meter_get(m, RH_M_BAD_STEP);
  return RH_OK;
}

rh_status rh_mse(const rh_tensor *y, const rh_tensor *t, rh_tensor *grad, double *loss) {
  if (!rh_same_shape(y, t)) {
    char b1[64], b2[64];
    return rh_fail(RH_ESHAPE, "prediction %s and target %s do not match", rh_shape_str(y, b1, sizeof b1),
                   rh_shape_str(t, b2, sizeof b2));
  }
  if (grad && !rh_same_shape(y, grad)) return rh_fail(RH_ESHAPE, "gradient does not match the prediction");
  TRY(same_device(y, t));
  TRY(same_device(y, grad));
  RH_DISPATCH(y, rh_cuda_mse(y, t, grad, loss));
  rh_tensor yc, tc;
  TRY(rh_contiguous(&yc, y)); /* shares when already contiguous (the usual case) */
  rh_status st = rh_contiguous(&tc, t);
  if (st != RH_OK) {
    rh_tensor_release(&yc);
    return st;
  }
  int64_t n = rh_numel(y);
  const float *yp = rh_data(&yc), *tp = rh_data(&tc);
  float *gp = grad && rh_is_contiguous(grad) ? rh_data(grad) : NULL;
  float k = n > 0 ? 2.0f / (float)n : 0.0f;
  double total = 0.0;
  for (int64_t i = 0; i < n; i++) {
    float d = yp[i] - tp[i];
    total += (double)d * d;
    if (gp) gp[i] = k * d;
  }
  if (grad && !gp) { /* a strided gradient buffer: grad = k * (y - t) */
    st = rh_binop(grad, y, t, RH_SUB);
    if (st == RH_OK) st = rh_affine(grad, grad, k, 0.0f);
  }
  rh_tensor_release(&yc);
  rh_tensor_release(&tc);
  *loss = n > 0 ? total / (double)n : 0.0;
  return st;
}

rh_status rh_count_correct(const rh_tensor *logits, const rh_tensor *labels, int64_t *correct) {
  TRY(check_labels(logits, labels));
  RH_DISPATCH(logits, rh_cuda_count_correct(logits, labels, correct));
  int64_t B = logits->size[0], C = logits->size[1], n = 0;
  for (int64_t i = 0; i < B; i++) {
    int64_t best = 0;
    for (int64_t j = 1; j < C; j++)
      if (AT(logits, i, j) > AT(logits, i, best)) best = j;
    float lab = rh_data(labels)[i * labels->stride[0]];
    if ((float)(best + 1) == lab) n++;
  }
  *correct = n;
  return RH_OK;
}
