/* nn.h - the layer and loss kernels of rh.nn: Linear (with a fused bias and optional
 * ReLU), ReLU's backward, fused cross-entropy and mean squared error, and a count of
 * correct predictions for accuracy.
 *
 * Conventions: a batch is a 2-D tensor B x features; Linear's weight is out x in
 * (PyTorch's layout) and y = x W^T + b; class ids are 1..C held as floats. Outputs are
 * allocated by the caller; every kernel checks shapes and devices and dispatches device
 * tensors to the CUDA twins in cuda/nn_cuda.h. */
#ifndef RH_NN_H
#define RH_NN_H

#include "tensor.h"

/* y = x W^T + b (b may be NULL), then max(y, 0) when relu != 0.
 * x: B x in, w: out x in, b: out (1-D), y: B x out. W^T goes to BLAS as a transpose. */
rh_status rh_linear_forward(rh_tensor *y, const rh_tensor *x, const rh_tensor *w, const rh_tensor *b, int relu);

/* The gradients of y = x W^T + b given gy = dL/dy (B x out):
 *   gx  = gy W         (overwritten; gx may be NULL when the input needs no gradient)
 *   gw += gy^T x       (accumulated, PyTorch's .grad semantics)
 *   gb += column sums of gy (accumulated; gb may be NULL for a layer without bias) */
rh_status rh_linear_backward(rh_tensor *gx, rh_tensor *gw, rh_tensor *gb, const rh_tensor *x, const rh_tensor *w,
                             const rh_tensor *gy);

/* gx = gy where y > 0, else 0. y is ReLU's OUTPUT (y > 0 exactly where the input was),
 * so the same kernel serves a fused Linear+ReLU. gx may alias gy. */
rh_status rh_relu_backward(rh_tensor *gx, const rh_tensor *y, const rh_tensor *gy);

/* Mean cross-entropy of logits (B x C) against labels (B ids in 1..C, as floats):
 *   loss = -(1/B) sum_i log softmax(logits_i)[label_i]
 * with a stable log-softmax (the row max subtracted). When grad (B x C) is not NULL it
 * receives dloss/dlogits = (softmax - onehot) / B in the same pass. A label that is not
 * an integer in 1..C is refused (RH_EARG naming the label and its position). */
rh_status rh_cross_entropy(const rh_tensor *logits, const rh_tensor *labels, rh_tensor *grad, double *loss);

/* Mean squared error over all N elements: loss = (1/N) sum (y - t)^2; grad (may be
 * NULL) = 2 (y - t) / N. y and t have the same shape. */
rh_status rh_mse(const rh_tensor *y, const rh_tensor *t, rh_tensor *grad, double *loss);

/* ---- the loss meter: a step's loss kept where the logits are ----
 *
 * A meter is a 1-D float tensor of RH_METER_SIZE elements on the logits' device that
 * rh_cross_entropy_acc updates in place, so that a training step on the device needs no
 * copy back to the host; the script reads it (rh_meter_read) only when it wants a value.
 * Sums and counts are float pairs hi + lo (a double rounded to float, then its remainder:
 * about 48 bits, so counts are exact to 2^48 and sums nearly as precise as a double). */
enum {
  RH_M_LAST = 0,          /* the last recorded step's mean loss */
  RH_M_SUM = 1,           /* pair: sum over recorded steps of the per-row losses */
  RH_M_N = 3,             /* pair: rows recorded */
  RH_M_CORRECT = 5,       /* pair: rows whose argmax (first maximum) is the label */
  RH_M_STEPS = 7,         /* pair: steps (calls), those refused for a bad label included */
  RH_M_NONFINITE = 9,     /* pair: the step whose mean loss was first NaN or infinite, 0: none */
  RH_M_NONFINITE_LOSS = 11, /* that loss */
  RH_M_BAD_POS = 12,      /* position (1-based) of the first bad label of the first refused step, 0: none */
  RH_M_BAD_VALUE = 13,    /* that label */
  RH_M_BAD_STEP = 14,     /* pair: that step */
  RH_METER_SIZE = 16
};

typedef struct rh_meter_values {
  double last, sum, n, correct, steps, nonfinite_step, nonfinite_loss, bad_pos, bad_value, bad_step;
} rh_meter_values;

/* Cross-entropy as rh_cross_entropy (grad may be NULL), recorded into `meter` instead of
 * returned: steps += 1, then, when every label is a class id, last = mean loss,
 * sum += sum of row losses, n += B, correct += rows predicted right, and a first
 * non-finite loss is noted. A bad label: on the CPU RH_EARG at once, nothing written (as
 * rh_cross_entropy); on the device the step is refused without a host round trip: no
 * gradient and no loss are written, the first bad label is noted in the meter, and the
 * reader of the meter raises it. Device work is queued only (no synchronisation). */
rh_status rh_cross_entropy_acc(const rh_tensor *logits, const rh_tensor *labels, rh_tensor *grad, rh_tensor *meter);
/* Reads a meter (a copy back, which waits for queued device work). */
rh_status rh_meter_read(const rh_tensor *meter, rh_meter_values *out);

/* Number of rows of logits (B x C) whose argmax (first maximum) equals the label. */
rh_status rh_count_correct(const rh_tensor *logits, const rh_tensor *labels, int64_t *correct);

#endif
