/* test_perf_kernels.c - the vectorized paths of the training step give the same bits as
 * the plain scalar loops they replace: SGD's steady state (with and without weight
 * decay), bias + ReLU in Linear's forward, the bias gradient, ReLU's mask; at lengths
 * that exercise every vector remainder; plain SGD (momentum 0) the same. Also the gemm
 * clock counts products. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn.h"
#include "ops.h"
#include "optim.h"
#include "random.h"

static rh_rng rng;

static void fill(rh_tensor *t, float lo, float hi) { rh_fill_rand(t, &rng, lo, hi); }

static int same_bits(const float *a, const float *b, int64_t n) { return memcmp(a, b, (size_t)n * sizeof *a) == 0; }

/* The scalar loop of rh_sgd_step for momentum, not the first step, no nesterov. */
static void sgd_ref(float *p, const float *g, float *buf, int64_t n, const rh_sgd_opts *o) {
  for (int64_t i = 0; i < n; i++) {
    float d = g[i];
    if (o->weight_decay != 0.0f) d = d + o->weight_decay * p[i];
    float b = buf[i] * o->momentum + (1.0f - o->dampening) * d;
    buf[i] = b;
    p[i] = p[i] + (-o->lr) * b;
  }
}

static void test_sgd(int64_t n, float wd, float damp) {
  rh_tensor p, g, b, p2, b2;
  rh_tensor_new2(&p, 1, n, RH_CPU);
  rh_tensor_new2(&g, 1, n, RH_CPU);
  rh_tensor_new2(&b, 1, n, RH_CPU);
  fill(&p, -1, 1);
  fill(&g, -1, 1);
  fill(&b, -1, 1);
  rh_clone(&p2, &p);
  rh_clone(&b2, &b);
  rh_sgd_opts o = {0.05f, 0.9f, damp, wd, 0};
  for (int step = 0; step < 3; step++) {
    CHECK_OK(rh_sgd_step(&p, &g, &b, &o, 0));
    sgd_ref(rh_data(&p2), rh_data(&g), rh_data(&b2), n, &o);
  }
  CHECK(same_bits(rh_data(&p), rh_data(&p2), n));
  CHECK(same_bits(rh_data(&b), rh_data(&b2), n));
  rh_tensor_release(&p);
  rh_tensor_release(&g);
  rh_tensor_release(&b);
  rh_tensor_release(&p2);
  rh_tensor_release(&b2);
}

/* Momentum 0: the scalar rule d = g + wd p, p = p - lr d, against rh_sgd_step's vector loop. */
static void test_sgd_plain(int64_t n, float wd) {
  rh_tensor p, g, p2;
  rh_tensor_new2(&p, 1, n, RH_CPU);
  rh_tensor_new2(&g, 1, n, RH_CPU);
  fill(&p, -1, 1);
  fill(&g, -1, 1);
  rh_clone(&p2, &p);
  rh_sgd_opts o = {0.05f, 0.0f, 0.0f, wd, 0};
  float *q = rh_data(&p2);
  const float *gp = rh_data(&g);
  for (int step = 0; step < 3; step++) {
    CHECK_OK(rh_sgd_step(&p, &g, NULL, &o, step == 0));
    for (int64_t i = 0; i < n; i++) {
      float d = gp[i];
      if (wd != 0.0f) d = d + wd * q[i];
      q[i] = q[i] + (-o.lr) * d;
    }
  }
  CHECK(same_bits(rh_data(&p), q, n));
  rh_tensor_release(&p);
  rh_tensor_release(&g);
  rh_tensor_release(&p2);
}

static void test_linear(int64_t B, int64_t I, int64_t O, int relu) {
  rh_tensor x, w, bias, y, gy, gw, gb, gx;
  rh_tensor_new2(&x, B, I, RH_CPU);
  rh_tensor_new2(&w, O, I, RH_CPU);
  rh_tensor_new2(&y, B, O, RH_CPU);
  rh_tensor_new2(&gy, B, O, RH_CPU);
  rh_tensor_new2(&gw, O, I, RH_CPU);
  rh_tensor_new2(&gx, B, I, RH_CPU);
  int64_t one = O;
  rh_tensor_new(&bias, 1, &one, RH_CPU);
  rh_tensor_new(&gb, 1, &one, RH_CPU);
  fill(&x, -1, 1);
  fill(&w, -1, 1);
  fill(&bias, -1, 1);
  fill(&gy, -1, 1);
  rh_fill(&gw, 0);
  fill(&gb, -1, 1);
  float *gb0 = malloc((size_t)O * sizeof *gb0);
  memcpy(gb0, rh_data(&gb), (size_t)O * sizeof *gb0);

  CHECK_OK(rh_linear_forward(&y, &x, &w, &bias, relu));
  /* reference: the same sgemm, then the scalar bias (+ReLU) pass */
  rh_tensor ref, wt;
  rh_tensor_new2(&ref, B, O, RH_CPU);
  rh_view_transpose(&wt, &w, 0, 1);
  rh_gemm(&ref, &x, &wt, 1.0f, 0.0f);
  float *r = rh_data(&ref);
  const float *bp = rh_data(&bias);
  for (int64_t i = 0; i < B; i++)
    for (int64_t j = 0; j < O; j++) {
      float v = r[i * O + j] + bp[j];
      r[i * O + j] = relu && v < 0.0f ? 0.0f : v;
    }
  CHECK(same_bits(rh_data(&y), r, B * O));

  CHECK_OK(rh_linear_backward(&gx, &gw, &gb, &x, &w, &gy));
  for (int64_t i = 0; i < B; i++)
    for (int64_t j = 0; j < O; j++) gb0[j] += rh_data(&gy)[i * O + j];
  CHECK(same_bits(rh_data(&gb), gb0, O));

  /* ReLU's mask, against the scalar rule, with exact zeros and a NaN among the outputs */
  if (relu) {
    rh_data(&y)[0] = 0.0f;
    rh_data(&y)[B * O - 1] = NAN;
    rh_tensor gx2;
    rh_tensor_new2(&gx2, B, O, RH_CPU);
    CHECK_OK(rh_relu_backward(&gx2, &y, &gy));
    int ok = 1;
    for (int64_t k = 0; k < B * O; k++) {
      float want = rh_data(&y)[k] > 0.0f ? rh_data(&gy)[k] : 0.0f;
      if (memcmp(&want, rh_data(&gx2) + k, sizeof want) != 0) ok = 0;
    }
    CHECK(ok);
    rh_tensor_release(&gx2);
  }
  free(gb0);
  rh_tensor *all[] = {&x, &w, &bias, &y, &gy, &gw, &gb, &gx, &ref, &wt};
  for (size_t k = 0; k < sizeof all / sizeof *all; k++) rh_tensor_release(all[k]);
}

int main(void) {
  rh_rng_seed(&rng, 7, 0);
  int64_t lengths[] = {1, 7, 15, 16, 17, 33, 100, 1001};
  for (size_t k = 0; k < sizeof lengths / sizeof *lengths; k++) {
    test_sgd(lengths[k], 5e-4f, 0.0f);
    test_sgd(lengths[k], 0.0f, 0.0f);
    test_sgd(lengths[k], 1e-2f, 0.25f);
    test_sgd_plain(lengths[k], 5e-3f);
    test_sgd_plain(lengths[k], 0.0f);
  }
  test_linear(3, 5, 7, 1);
  test_linear(64, 31, 33, 1);
  test_linear(17, 40, 10, 0);

  /* the gemm clock: one call per CPU product, time never decreasing */
  double s0, s1;
  int64_t c0, c1;
  rh_gemm_clock(&s0, &c0);
  rh_tensor a, b, c;
  rh_tensor_new2(&a, 8, 9, RH_CPU);
  rh_tensor_new2(&b, 9, 10, RH_CPU);
  rh_tensor_new2(&c, 8, 10, RH_CPU);
  fill(&a, -1, 1);
  fill(&b, -1, 1);
  CHECK_OK(rh_gemm(&c, &a, &b, 1.0f, 0.0f));
  CHECK_OK(rh_gemm(&c, &a, &b, 1.0f, 1.0f));
  CHECK(rh_gemm(&c, &b, &a, 1.0f, 0.0f) != RH_OK); /* shape error: not counted */
  rh_gemm_clock(&s1, &c1);
  CHECK(c1 - c0 == 2);
  CHECK(s1 >= s0);
  rh_tensor_release(&a);
  rh_tensor_release(&b);
  rh_tensor_release(&c);
  return check_report();
}
