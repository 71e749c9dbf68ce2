/* reduce_cuda.cu - whole-tensor and per-dim reductions on the device (ops_cuda.h).
 *
 * Sums accumulate in double, as on the CPU. Max/min follow ops.c exactly: a NaN wins,
 * and among equal values (or NaNs) the first position wins, so argmax/argmin agree with
 * the CPU. Whole-tensor results are read back (a value the caller asked for); per-dim
 * results stay on the device. */
#include <math.h>
#include <stdint.h>

#include "cuda_internal.h"
#include "cuda_walk.cuh"

extern "C" {
#include "ops_cuda.h"
}

/* A running max/min: value and position; pos < 0 means "nothing seen yet". */
struct best {
  float v;
  int64_t pos;
};

/* Whether candidate c replaces b under ops.c's rule (strict compare, NaN wins, first wins). */
__device__ __forceinline__ bool better(best b, best c, bool want_max) {
  if (c.pos < 0) return false;
  if (b.pos < 0) return true;
  bool bn = isnan(b.v), cn = isnan(c.v);
  if (bn) return cn && c.pos < b.pos;
  if (cn) return true;
  if (c.v == b.v) return c.pos < b.pos;
  return want_max ? c.v > b.v : c.v < b.v;
}

__device__ __forceinline__ best shfl_best(best b, int off) {
  best o;
  o.v = __shfl_down_sync(0xffffffffu, b.v, off);
  o.pos = __shfl_down_sync(0xffffffffu, b.pos, off);
  return o;
}

/* ---- whole tensor: per-block partials, then one block over the partials ---- */

#define RED_BLOCKS 512

__device__ __forceinline__ void block_reduce(rh_reduce op, double *sh_sum, best *sh_best, double sum, best b) {
  bool mm = op == RH_RMAX || op == RH_RMIN, want_max = op == RH_RMAX;
  sh_sum[threadIdx.x] = sum;
  sh_best[threadIdx.x] = b;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if ((int)threadIdx.x < s) {
      if (mm) {
        if (better(sh_best[threadIdx.x], sh_best[threadIdx.x + s], want_max))
          sh_best[threadIdx.x] = sh_best[threadIdx.x + s];
      } else {
        sh_sum[threadIdx.x] += sh_sum[threadIdx.x + s];
      }
    }
    __syncthreads();
  }
}

__global__ void k_reduce_partial(rh_reduce op, const float *a, shape4 sz, shape4 sa, int64_t n, double *psum,
                                 best *pbest) {
  __shared__ double sh_sum[RH_THREADS];
  __shared__ best sh_best[RH_THREADS];
  bool want_max = op == RH_RMAX;
  double sum = 0.0;
  best b = {0.0f, -1};
  RH_GRID_LOOP(i, n) {
    float v = a[rh_offset(i, sz, sa)];
    if (op == RH_SUMSQ)
      sum += (double)v * v;
    else
      sum += v;
    best c = {v, i};
    if (better(b, c, want_max)) b = c;
  }
  block_reduce(op, sh_sum, sh_best, sum, b);
  if (threadIdx.x == 0) {
    psum[blockIdx.x] = sh_sum[0];
    pbest[blockIdx.x] = sh_best[0];
  }
}

__global__ void k_reduce_final(rh_reduce op, const double *psum, const best *pbest, int np, double *result) {
  __shared__ double sh_sum[RH_THREADS];
  __shared__ best sh_best[RH_THREADS];
  bool want_max = op == RH_RMAX;
  double sum = 0.0;
  best b = {0.0f, -1};
  for (int i = threadIdx.x; i < np; i += blockDim.x) {
    sum += psum[i];
    if (better(b, pbest[i], want_max)) b = pbest[i];
  }
  block_reduce(op, sh_sum, sh_best, sum, b);
  if (threadIdx.x == 0) *result = (op == RH_RMAX || op == RH_RMIN) ? (double)sh_best[0].v : sh_sum[0];
}

extern "C" rh_status rh_cuda_reduce_all(const rh_tensor *a, rh_reduce op, double *result) {
  int64_t n = rh_numel(a);
  if (n == 0 && (op == RH_RMAX || op == RH_RMIN)) return rh_fail(RH_EARG, "max/min of an empty tensor");
  if (n == 0) {
    *result = op == RH_MEAN ? NAN : 0.0;
    return RH_OK;
  }
  unsigned nb = rh_blocks(n);
  if (nb > RED_BLOCKS) nb = RED_BLOCKS;
  /* one scratch allocation: partial sums, partial bests, the result */
  size_t bytes = nb * sizeof(double) + nb * sizeof(best) + sizeof(double);
  void *scratch;
  rh_status st = rh_cuda_alloc(&scratch, bytes);
  if (st != RH_OK) return st;
  double *psum = (double *)scratch;
  best *pbest = (best *)(psum + nb);
  double *dres = (double *)(pbest + nb);
  cudaStream_t s = rh_cuda_stream();
  k_reduce_partial<<<nb, RH_THREADS, 0, s>>>(op, rh_data(a), rh_shape4(a->size, a->ndim), rh_stride4(a, a->ndim), n,
                                             psum, pbest);
  k_reduce_final<<<1, RH_THREADS, 0, s>>>(op, psum, pbest, (int)nb, dres);
  st = rh_cuda_launched("reduce");
  double r = 0.0;
  if (st == RH_OK) st = rh_cuda_memcpy(&r, 0, dres, 1, sizeof r);
  rh_cuda_free(scratch);
  if (st != RH_OK) return st;
  if (op == RH_MEAN) r /= (double)n;
  *result = r;
  return RH_OK;
}

/* ---- along one dim: a warp per output element, lanes striding along the dim ---- */

__global__ void k_reduce_dim(rh_reduce op, const float *a, shape4 osz, shape4 sa, shape4 so, shape4 si, int64_t nout,
                             int64_t n, int64_t as, float *out, float *idx) {
  int lane = threadIdx.x & 31;
  int64_t warp = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
  int64_t nwarps = ((int64_t)gridDim.x * blockDim.x) >> 5;
  bool mm = op == RH_RMAX || op == RH_RMIN, want_max = op == RH_RMAX;
  for (int64_t o = warp; o < nout; o += nwarps) {
    const float *x = a + rh_offset(o, osz, sa);
    double sum = 0.0;
    best b = {0.0f, -1};
    for (int64_t m = lane; m < n; m += 32) {
      float v = x[m * as];
      if (mm) {
        best c = {v, m};
        if (better(b, c, want_max)) b = c;
      } else {
        sum += op == RH_SUMSQ ? (double)v * v : (double)v;
      }
    }
    for (int off = 16; off > 0; off >>= 1) {
      double s2 = __shfl_down_sync(0xffffffffu, sum, off);
      best c = shfl_best(b, off);
      sum += s2;
      if (better(b, c, want_max)) b = c;
    }
    if (lane == 0) {
      float r = mm ? b.v : (float)(op == RH_MEAN ? sum / (double)n : sum);
      out[rh_offset(o, osz, so)] = r;
      if (idx) idx[rh_offset(o, osz, si)] = (float)(b.pos < 0 ? 0 : b.pos);
    }
  }
}

/* rh_reduce_dim has checked dim, emptiness and the output shapes. */
extern "C" rh_status rh_cuda_reduce_dim(rh_tensor *out, rh_tensor *idx, const rh_tensor *a, int dim, rh_reduce op) {
  if (rh_dev(out) != RH_CUDA || (idx && rh_dev(idx) != RH_CUDA))
    return rh_fail(RH_EDEVICE, "tensors on different devices");
  /* the outer dims (all but `dim`) right-aligned into 4 slots, as in ops.c */
  shape4 osz, sa, so, si;
  for (int d = 0; d < 4; d++) {
    osz.n[d] = 1;
    sa.n[d] = so.n[d] = si.n[d] = 0;
  }
  int k = 4 - (a->ndim - 1);
  int64_t nout = 1;
  for (int d = 0; d < a->ndim; d++) {
    if (d == dim) continue;
    osz.n[k] = a->size[d];
    sa.n[k] = a->stride[d];
    so.n[k] = out->stride[d];
    if (idx) si.n[k] = idx->stride[d];
    nout *= a->size[d];
    k++;
  }
  int64_t n = a->size[dim];
  if (nout == 0) return RH_OK;
  if (n == 0) { /* sums over an empty dim: 0 (mean: NaN), as on the CPU */
    rh_status st = rh_cuda_fill(out, op == RH_MEAN ? NAN : 0.0f);
    if (st == RH_OK && idx) st = rh_cuda_fill(idx, 0.0f);
    return st;
  }
  unsigned nb = rh_blocks(nout * 32);
  k_reduce_dim<<<nb, RH_THREADS, 0, rh_cuda_stream()>>>(op, rh_data(a), osz, sa, so, si, nout, n, a->stride[dim],
                                                         rh_data(out), idx ? rh_data(idx) : NULL);
  return rh_cuda_launched("reduce_dim");
}
