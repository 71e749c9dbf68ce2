/* test_nn.c - the layer kernels against naive references: Linear forward (bias, fused
 * ReLU) and backward (accumulating), cross-entropy's loss and gradient, SGD with
 * nesterov written out by hand, and the refusal of bad labels. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "nn.h"
#include "ops.h"
#include "optim.h"

static void randfill(rh_tensor *t, rh_rng *r) { rh_fill_randn(t, r, 0.0f, 1.0f); }

int main(void) {
  rh_rng r;
  rh_rng_seed(&r, 5, 0);
  enum { B = 7, I = 13, O = 5 };
  rh_tensor x, w, b, y, gy, gx, gw, gb;
  rh_tensor_new2(&x, B, I, RH_CPU), rh_tensor_new2(&w, O, I, RH_CPU), rh_tensor_new1(&b, O, RH_CPU);
  rh_tensor_new2(&y, B, O, RH_CPU), rh_tensor_new2(&gy, B, O, RH_CPU), rh_tensor_new2(&gx, B, I, RH_CPU);
  rh_tensor_new2(&gw, O, I, RH_CPU), rh_tensor_new1(&gb, O, RH_CPU);
  randfill(&x, &r), randfill(&w, &r), randfill(&b, &r), randfill(&gy, &r);
  float *X = rh_data(&x), *W = rh_data(&w), *Bv = rh_data(&b), *Y = rh_data(&y), *GY = rh_data(&gy);

  for (int relu = 0; relu <= 1; relu++) {
    CHECK_OK(rh_linear_forward(&y, &x, &w, &b, relu));
    float ref[B * O];
    for (int i = 0; i < B; i++)
      for (int o = 0; o < O; o++) {
        double acc = Bv[o];
        for (int k = 0; k < I; k++) acc += (double)X[i * I + k] * W[o * I + k];
        ref[i * O + o] = relu && acc < 0 ? 0.0f : (float)acc;
      }
    CHECK(check_maxrel(Y, ref, B * O) < 1e-5);
  }

  rh_fill(&gw, 1.0f), rh_fill(&gb, 2.0f); /* backward accumulates onto what is there */
  CHECK_OK(rh_linear_backward(&gx, &gw, &gb, &x, &w, &gy));
  float rgx[B * I], rgw[O * I], rgb[O];
  for (int i = 0; i < B; i++)
    for (int k = 0; k < I; k++) {
      double acc = 0;
      for (int o = 0; o < O; o++) acc += (double)GY[i * O + o] * W[o * I + k];
      rgx[i * I + k] = (float)acc;
    }
  for (int o = 0; o < O; o++) {
    double sb = 2.0;
    for (int k = 0; k < I; k++) {
      double acc = 1.0;
      for (int i = 0; i < B; i++) acc += (double)GY[i * O + o] * X[i * I + k];
      rgw[o * I + k] = (float)acc;
    }
    for (int i = 0; i < B; i++) sb += GY[i * O + o];
    rgb[o] = (float)sb;
  }
  CHECK(check_maxrel(rh_data(&gx), rgx, B * I) < 1e-5);
  CHECK(check_maxrel(rh_data(&gw), rgw, O * I) < 1e-5);
  CHECK(check_maxrel(rh_data(&gb), rgb, O) < 1e-5);

  /* wrong width: a shape error that says so */
  rh_tensor xbad;
  rh_tensor_new2(&xbad, B, I + 1, RH_CPU);
  CHECK(rh_linear_forward(&y, &xbad, &w, &b, 0) == RH_ESHAPE);
  CHECK(strstr(rh_error(), "bad input width 14, expected 13") != NULL);

  /* cross-entropy against the textbook: -log softmax, (softmax - onehot) / B */
  rh_tensor lab, g;
  rh_tensor_new1(&lab, B, RH_CPU), rh_tensor_new2(&g, B, O, RH_CPU);
  for (int i = 0; i < B; i++) rh_data(&lab)[i] = (float)(i % O + 1);
  double loss = 0;
  CHECK_OK(rh_cross_entropy(&y, &lab, &g, &loss));
  double rl = 0;
  float rg[B * O];
  for (int i = 0; i < B; i++) {
    double s = 0;
    for (int o = 0; o < O; o++) s += exp((double)Y[i * O + o]);
    rl -= log(exp((double)Y[i * O + i % O]) / s);
    for (int o = 0; o < O; o++) rg[i * O + o] = (float)((exp((double)Y[i * O + o]) / s - (o == i % O)) / B);
  }
  CHECK_NEAR(loss, rl / B, 1e-5);
  CHECK(check_maxrel(rh_data(&g), rg, B * O) < 1e-6);
  int64_t correct = -1;
  CHECK_OK(rh_count_correct(&y, &lab, &correct));
  CHECK(correct >= 0 && correct <= B);
  rh_data(&lab)[3] = 6.0f;
  CHECK(rh_cross_entropy(&y, &lab, &g, &loss) == RH_EARG);
  CHECK(strstr(rh_error(), "label 6 at position 4 is outside 1..5") != NULL);

  /* SGD nesterov with weight decay, two steps, against the formula */
  rh_tensor p, gr, buf;
  rh_tensor_new1(&p, 3, RH_CPU), rh_tensor_new1(&gr, 3, RH_CPU), rh_tensor_new1(&buf, 3, RH_CPU);
  float p0[3] = {1, -2, 0.5f}, g0[3] = {0.3f, 0.1f, -1};
  memcpy(rh_data(&p), p0, sizeof p0), memcpy(rh_data(&gr), g0, sizeof g0);
  rh_sgd_opts o = {0.1f, 0.9f, 0.0f, 0.01f, 1};
  CHECK_OK(rh_sgd_step(&p, &gr, &buf, &o, 1));
  CHECK_OK(rh_sgd_step(&p, &gr, &buf, &o, 0));
  for (int i = 0; i < 3; i++) {
    double pv = p0[i], bv;
    double d = g0[i] + 0.01 * pv;
    bv = d;
    pv -= 0.1 * (d + 0.9 * bv);
    d = g0[i] + 0.01 * pv;
    bv = 0.9 * bv + d;
    pv -= 0.1 * (d + 0.9 * bv);
    CHECK_NEAR(rh_data(&p)[i], pv, 1e-6);
  }
  rh_tensor *all[] = {&x, &w, &b, &y, &gy, &gx, &gw, &gb, &xbad, &lab, &g, &p, &gr, &buf};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) rh_tensor_release(all[i]);
  return check_report();
}
