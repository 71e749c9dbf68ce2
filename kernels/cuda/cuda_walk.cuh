/* cuda_walk.cuh - the strided 4-D walk shared by the elementwise CUDA kernels.
 *
 * As on the CPU (ops.c), every operand is seen as 4-D: shapes right-aligned and padded
 * with 1s, a broadcast (size-1) dim given stride 0. A thread maps its linear index in
 * row-major order to the element offset of each operand. */
#ifndef RH_CUDA_WALK_CUH
#define RH_CUDA_WALK_CUH

#include <stdint.h>

extern "C" {
#include "../tensor.h"
}

struct shape4 {
  int64_t n[4];
};

/* shape padded to 4 dims */
static inline shape4 rh_shape4(const int64_t *shape, int ndim) {
  shape4 s;
  for (int d = 0; d < 4; d++) s.n[d] = 1;
  for (int d = 0; d < ndim; d++) s.n[4 - ndim + d] = shape[d];
  return s;
}

/* t's strides broadcast into a shape of ndim dims, padded to 4 */
static inline shape4 rh_stride4(const rh_tensor *t, int ndim) {
  shape4 s;
  for (int d = 0; d < 4; d++) s.n[d] = 0;
  int toff = ndim - t->ndim;
  for (int d = 0; d < ndim; d++) {
    int td = d - toff;
    if (td >= 0) s.n[4 - ndim + d] = t->size[td] == 1 ? 0 : t->stride[td];
  }
  return s;
}

/* offset of row-major element i of shape sz in a tensor of strides st */
__device__ __forceinline__ int64_t rh_offset(int64_t i, const shape4 &sz, const shape4 &st) {
  int64_t i3 = i % sz.n[3];
  i /= sz.n[3];
  int64_t i2 = i % sz.n[2];
  i /= sz.n[2];
  int64_t i1 = i % sz.n[1];
  int64_t i0 = i / sz.n[1];
  return i0 * st.n[0] + i1 * st.n[1] + i2 * st.n[2] + i3 * st.n[3];
}

#define RH_THREADS 256
/* Blocks for n elements; kernels use grid-stride loops, so the grid may be capped. */
static inline unsigned rh_blocks(int64_t n) {
  int64_t b = (n + RH_THREADS - 1) / RH_THREADS;
  if (b < 1) b = 1;
  if (b > (1 << 20)) b = 1 << 20;
  return (unsigned)b;
}

#define RH_GRID_LOOP(i, n) \
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

#endif
