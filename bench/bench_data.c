/* bench_data.c - prints how long Fashion-MNIST (train 60k + test 10k) takes to load and
 * how fast a shuffled epoch of batches is gathered from the byte store.
 * Usage: bench_data [dir] (default /usr/share/datasets/fashion-mnist). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dataset.h"
#include "idx.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int load(const char *dir, const char *prefix, rh_dataset *ds) {
  char ip[512], lp[512];
  snprintf(ip, sizeof ip, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
  snprintf(lp, sizeof lp, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
  rh_idx im, lb;
  if (rh_idx_read(ip, &im) != RH_OK || rh_idx_read(lp, &lb) != RH_OK) {
    fprintf(stderr, "bench_data: %s\n", rh_error());
    return 1;
  }
  rh_status st = rh_dataset_from_idx(ds, &im, &lb, 10, ip, lp);
  rh_idx_free(&im);
  rh_idx_free(&lb);
  if (st != RH_OK) fprintf(stderr, "bench_data: %s\n", rh_error());
  return st != RH_OK;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
  rh_dataset tr, te;
  double t0 = now();
  if (load(dir, "train", &tr) || load(dir, "t10k", &te)) return 1;
  double t1 = now();
  printf("load train %lld + test %lld: %.3f s, store %.1f MB (uint8)\n", (long long)tr.n, (long long)te.n, t1 - t0,
         (double)(tr.x->bytes + te.x->bytes) / 1e6);
  enum { B = 128 };
  int64_t *order = malloc((size_t)tr.n * sizeof *order);
  float *x = malloc((size_t)B * (size_t)tr.dim * sizeof *x), y[B];
  rh_epoch_order(order, tr.n, 1, 1, 1);
  t0 = now();
  for (int64_t p = 0; p + B <= tr.n; p += B) rh_dataset_gather(&tr, order + p, B, x, y);
  t1 = now();
  printf("gather one shuffled epoch, batch %d: %.3f s (%.2f GB/s of floats written)\n", B, t1 - t0,
         (double)tr.n * (double)tr.dim * 4 / (t1 - t0) / 1e9);
  free(order), free(x);
  rh_dataset_release(&tr), rh_dataset_release(&te);
  return 0;
}
