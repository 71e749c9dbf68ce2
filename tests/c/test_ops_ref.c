/* test_ops_ref.c - the fast kernels against naive reference loops: gemm for every mix of
 * transposed/strided operands, broadcasting arithmetic, reductions along each dim. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "ops.h"
#include "random.h"

static rh_rng rng;

static void randt(rh_tensor *t) {
  for (int64_t i = 0; i < (int64_t)t->storage->numel; i++) t->storage->data[i] = rh_rng_normal(&rng);
}

static float at2(const rh_tensor *t, int64_t i, int64_t j) { return rh_data(t)[i * t->stride[0] + j * t->stride[1]]; }

/* An m x n operand that is a plain matrix, a transposed view, or a strided narrow view. */
static void make_operand(rh_tensor *view, rh_tensor *owner, int64_t m, int64_t n, int kind) {
  if (kind == 0) {
    rh_tensor_new2(owner, m, n, RH_CPU);
    randt(owner);
    rh_tensor_share(view, owner);
  } else if (kind == 1) {
    rh_tensor_new2(owner, n, m, RH_CPU);
    randt(owner);
    rh_view_transpose(view, owner, 0, 1);
  } else { /* every other column of a wider matrix: stride (2n+1, 2)? use a narrow: row stride n+3 */
    rh_tensor_new2(owner, m, n + 3, RH_CPU);
    randt(owner);
    rh_view_narrow(view, owner, 1, 2, n);
  }
}

static void test_gemm(void) {
  int64_t shapes[][3] = {{1, 1, 1}, {3, 4, 5}, {7, 1, 3}, {1, 9, 2}, {17, 33, 8}, {64, 10, 784}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    int64_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
    for (int ka = 0; ka < 3; ka++)
      for (int kb = 0; kb < 3; kb++)
        for (int kc = 0; kc < 2; kc++) {
          rh_tensor a, ao, b, bo, c, co, r;
          make_operand(&a, &ao, M, K, ka);
          make_operand(&b, &bo, K, N, kb);
          make_operand(&c, &co, M, N, kc);
          rh_tensor_new2(&r, M, N, RH_CPU);
          rh_copy(&r, &c);
          float alpha = 0.5f, beta = (kc == 0) ? 0.0f : 2.0f;
          CHECK_OK(rh_gemm(&c, &a, &b, alpha, beta));
          CHECK_OK(rh_gemm_ref(&r, &a, &b, alpha, beta));
          double worst = 0;
          for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) worst = fmax(worst, fabs(at2(&c, i, j) - at2(&r, i, j)));
          CHECK(worst < 1e-3 * (double)(K > 1 ? K : 1) / 8 + 1e-4);
          rh_tensor_release(&a); rh_tensor_release(&ao);
          rh_tensor_release(&b); rh_tensor_release(&bo);
          rh_tensor_release(&c); rh_tensor_release(&co);
          rh_tensor_release(&r);
        }
  }
  /* mismatched shapes */
  rh_tensor a, b, c;
  rh_tensor_new2(&a, 3, 4, RH_CPU);
  rh_tensor_new2(&b, 5, 6, RH_CPU);
  rh_tensor_new2(&c, 3, 6, RH_CPU);
  CHECK(rh_gemm(&c, &a, &b, 1, 0) == RH_ESHAPE);
  CHECK(strstr(rh_error(), "3x4 and 5x6 do not match") != NULL);
  rh_tensor_release(&a); rh_tensor_release(&b); rh_tensor_release(&c);
}

static void test_broadcast(void) {
  /* (4,3) op (3) [row], (4,1) [column], (1) and same shape, for every op */
  rh_tensor a, row, col, one, same, out;
  rh_tensor_new2(&a, 4, 3, RH_CPU); randt(&a);
  int64_t r3 = 3, o1 = 1;
  rh_tensor_new(&row, 1, &r3, RH_CPU); randt(&row);
  rh_tensor_new2(&col, 4, 1, RH_CPU); randt(&col);
  rh_tensor_new(&one, 1, &o1, RH_CPU); randt(&one);
  rh_tensor_new2(&same, 4, 3, RH_CPU); randt(&same);
  for (int i = 0; i < 12; i++) rh_data(&same)[i] = fabsf(rh_data(&same)[i]) + 0.5f; /* safe divisor */
  for (int i = 0; i < 4; i++) rh_data(&col)[i] = fabsf(rh_data(&col)[i]) + 0.5f;
  for (int i = 0; i < 3; i++) rh_data(&row)[i] = fabsf(rh_data(&row)[i]) + 0.5f;
  rh_data(&one)[0] = 1.5f;
  rh_tensor_new2(&out, 4, 3, RH_CPU);
  rh_binary ops[] = {RH_ADD, RH_SUB, RH_MUL, RH_DIV, RH_MAX2, RH_MIN2};
  const rh_tensor *bs[] = {&row, &col, &one, &same};
  for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
    for (int k = 0; k < 4; k++) {
      const rh_tensor *b = bs[k];
      CHECK_OK(rh_binop(&out, &a, b, ops[o]));
      int bad = 0;
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) {
          float x = rh_data(&a)[i * 3 + j];
          float y = k == 0 ? rh_data(b)[j] : k == 1 ? rh_data(b)[i] : k == 2 ? rh_data(b)[0] : rh_data(b)[i * 3 + j];
          float e = ops[o] == RH_ADD ? x + y : ops[o] == RH_SUB ? x - y : ops[o] == RH_MUL ? x * y
                  : ops[o] == RH_DIV ? x / y : ops[o] == RH_MAX2 ? fmaxf(x, y) : fminf(x, y);
          if (fabsf(rh_data(&out)[i * 3 + j] - e) > 1e-6f * fmaxf(1.0f, fabsf(e))) bad++;
        }
      CHECK(bad == 0);
    }
  /* (4,3) with (4) does not broadcast */
  int64_t f4 = 4;
  rh_tensor v4;
  rh_tensor_new(&v4, 1, &f4, RH_CPU);
  CHECK(rh_binop(&out, &a, &v4, RH_ADD) == RH_ESHAPE);
  CHECK(strstr(rh_error(), "4x3 and 4 do not broadcast") != NULL);
  /* axpy into a transposed view */
  rh_tensor at;
  rh_view_transpose(&at, &a, 0, 1); /* 3x4 */
  rh_tensor c4;
  rh_tensor_new2(&c4, 3, 4, RH_CPU); randt(&c4);
  float before = rh_data(&a)[1 * 3 + 2]; /* a(1,2) = at(2,1) */
  CHECK_OK(rh_axpy(&at, &c4, 2.0f));
  CHECK(fabsf(rh_data(&a)[1 * 3 + 2] - (before + 2.0f * rh_data(&c4)[2 * 4 + 1])) < 1e-6f);
  rh_tensor_release(&at); rh_tensor_release(&c4); rh_tensor_release(&v4);
  rh_tensor_release(&a); rh_tensor_release(&row); rh_tensor_release(&col);
  rh_tensor_release(&one); rh_tensor_release(&same); rh_tensor_release(&out);
}

static void test_reduce(void) {
  int64_t sz[3] = {3, 4, 5};
  rh_tensor a;
  rh_tensor_new(&a, 3, sz, RH_CPU);
  randt(&a);
  for (int dim = 0; dim < 3; dim++) {
    int64_t osz[3] = {3, 4, 5};
    osz[dim] = 1;
    rh_tensor s, mx, idx;
    rh_tensor_new(&s, 3, osz, RH_CPU);
    rh_tensor_new(&mx, 3, osz, RH_CPU);
    rh_tensor_new(&idx, 3, osz, RH_CPU);
    CHECK_OK(rh_reduce_dim(&s, NULL, &a, dim, RH_SUM));
    CHECK_OK(rh_reduce_dim(&mx, &idx, &a, dim, RH_RMAX));
    int bad = 0;
    for (int i = 0; i < osz[0]; i++)
      for (int j = 0; j < osz[1]; j++)
        for (int k = 0; k < osz[2]; k++) {
          double acc = 0;
          float best = -INFINITY;
          int bi = -1;
          for (int m = 0; m < sz[dim]; m++) {
            int ii = dim == 0 ? m : i, jj = dim == 1 ? m : j, kk = dim == 2 ? m : k;
            float v = rh_data(&a)[ii * 20 + jj * 5 + kk];
            acc += v;
            if (v > best) { best = v; bi = m; }
          }
          int o = i * (int)(osz[1] * osz[2]) + j * (int)osz[2] + k;
          if (fabs(rh_data(&s)[o] - acc) > 1e-5) bad++;
          if (rh_data(&mx)[o] != best || rh_data(&idx)[o] != (float)bi) bad++;
        }
    CHECK(bad == 0);
    rh_tensor_release(&s); rh_tensor_release(&mx); rh_tensor_release(&idx);
  }
  double r;
  CHECK_OK(rh_reduce_all(&a, RH_SUMSQ, &r));
  double e = 0;
  for (int i = 0; i < 60; i++) e += (double)rh_data(&a)[i] * rh_data(&a)[i];
  CHECK(fabs(r - e) < 1e-9 * e);
  int64_t pos; float v;
  rh_data(&a)[37] = 100.0f;
  CHECK_OK(rh_arg_all(&a, 1, &pos, &v));
  CHECK(pos == 37 && v == 100.0f);
  int fin;
  CHECK_OK(rh_all_finite(&a, &fin));
  CHECK(fin == 1);
  rh_data(&a)[5] = NAN;
  CHECK_OK(rh_all_finite(&a, &fin));
  CHECK(fin == 0);
  rh_tensor_release(&a);
}

static void test_rng(void) {
  /* the documented generator: PCG32 with seed 42, stream 54 gives O'Neill's reference outputs */
  rh_rng r;
  rh_rng_seed(&r, 42, 54);
  uint32_t expect[6] = {0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e};
  for (int i = 0; i < 6; i++) CHECK(rh_rng_u32(&r) == expect[i]);
  /* uniform in [0,1), normal with mean ~0, var ~1 */
  rh_rng_seed(&r, 1, 0);
  double s = 0, s2 = 0;
  for (int i = 0; i < 100000; i++) {
    float n = rh_rng_normal(&r);
    s += n;
    s2 += (double)n * n;
  }
  CHECK(fabs(s / 1e5) < 0.02);
  CHECK(fabs(s2 / 1e5 - 1.0) < 0.02);
  for (int i = 0; i < 1000; i++) {
    float u = rh_rng_uniform(&r);
    CHECK(u >= 0.0f && u < 1.0f);
  }
}

int main(void) {
  rh_rng_seed(&rng, 7, 0);
  test_gemm();
  test_broadcast();
  test_reduce();
  test_rng();
  return check_report();
}
