/* bench_rank.c - the cost of every rank measure over a 784-784-784-784-10 MLP's layers,
 * next to raw LAPACKE_sgesdd (values only) on the same matrices, in the same run.
 *
 * "rank-all" is the C path behind rh.rank.all: rh_svdvals (copy with a NaN check into the
 * cached workspace, sgesdd jobz='N') and rh_rank_measures. "raw" is LAPACKE_sgesdd_work
 * with a workspace allocated beforehand, on a copy made outside the timed region: the
 * least a caller could pay. Prints the median of each over REPS rounds and their ratio
 * (the target is <= 1.1: the SVD is the cost). Usage: bench_rank [reps] */
#include <lapacke.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "linalg.h"
#include "ops.h"
#include "rank.h"

#define NL 4
static const int OUTS[NL] = {784, 784, 784, 10}, INS[NL] = {784, 784, 784, 784};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* raw sgesdd, values only, on the column-major view of each row-major layer (= W^T) */
static double time_raw(rh_tensor *w, float **copy, float **work, lapack_int *lwork, lapack_int **iwork, float *s) {
  for (int l = 0; l < NL; l++) memcpy(copy[l], rh_data(&w[l]), (size_t)OUTS[l] * INS[l] * sizeof(float));
  double t0 = now();
  for (int l = 0; l < NL; l++) {
    float dummy;
    int M = INS[l], N = OUTS[l], K = M < N ? M : N;
    if (LAPACKE_sgesdd_work(LAPACK_COL_MAJOR, 'N', M, N, copy[l], M, s, &dummy, M, &dummy, K, work[l], lwork[l], iwork[l]) != 0) {
      fprintf(stderr, "sgesdd failed\n");
      exit(1);
    }
  }
  return now() - t0;
}

static double time_rank_all(rh_tensor *w, rh_tensor *s, int64_t *check) {
  rh_rank_opts o = rh_rank_defaults();
  double t0 = now();
  for (int l = 0; l < NL; l++) {
    rh_rank_result r;
    if (rh_svdvals(&s[l], &w[l]) != RH_OK || rh_rank_measures(rh_data(&s[l]), s[l].size[0], w[l].size[0], w[l].size[1], &o, &r) != RH_OK) {
      fprintf(stderr, "rank-all failed: %s\n", rh_error());
      exit(1);
    }
    *check += r.numerical;
  }
  return now() - t0;
}

int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 11;
  if (reps < 1) reps = 1;
  rh_rng rng;
  rh_rng_seed(&rng, 1, 0);
  rh_tensor w[NL], s[NL];
  float *copy[NL], *work[NL], sv[784];
  lapack_int lwork[NL], *iwork[NL];
  for (int l = 0; l < NL; l++) {
    memset(&w[l], 0, sizeof w[l]);
    memset(&s[l], 0, sizeof s[l]);
    int M = INS[l], N = OUTS[l], K = M < N ? M : N;
    if (rh_tensor_new2(&w[l], OUTS[l], INS[l], RH_CPU) != RH_OK || rh_tensor_new1(&s[l], K, RH_CPU) != RH_OK) return 1;
    /* PyTorch's default Linear init scale: uniform(-1/sqrt(in), 1/sqrt(in)) */
    rh_fill_uniform(&rng, rh_data(&w[l]), (int64_t)M * N, -1.0f / 28, 1.0f / 28);
    copy[l] = malloc((size_t)M * N * sizeof(float));
    iwork[l] = malloc(8 * (size_t)K * sizeof(lapack_int));
    float q, dummy;
    LAPACKE_sgesdd_work(LAPACK_COL_MAJOR, 'N', M, N, copy[l], M, sv, &dummy, M, &dummy, K, &q, -1, iwork[l]);
    lwork[l] = (lapack_int)q + 1;
    work[l] = malloc((size_t)lwork[l] * sizeof(float));
  }
  double *traw = malloc((size_t)reps * sizeof *traw), *tall = malloc((size_t)reps * sizeof *tall);
  int64_t check = 0;
  time_raw(w, copy, work, lwork, iwork, sv); /* warm up both paths (threads, caches, workspace) */
  time_rank_all(w, s, &check);
  for (int r = 0; r < reps; r++) { /* interleaved, alternating which goes first, so drifts in load hit both */
    if (r % 2) tall[r] = time_rank_all(w, s, &check);
    traw[r] = time_raw(w, copy, work, lwork, iwork, sv);
    if (r % 2 == 0) tall[r] = time_rank_all(w, s, &check);
  }
  double mr = median(traw, reps), ma = median(tall, reps);
  printf("layers: 784x784 x3, 10x784 (a 784-784-784-784-10 MLP), %d rounds\n", reps);
  printf("raw LAPACKE_sgesdd (values only): median %.3f ms per network\n", 1e3 * mr);
  printf("rank-all (svdvals + every measure): median %.3f ms per network\n", 1e3 * ma);
  printf("ratio rank-all / raw: %.3f   (numerical ranks seen: %lld)\n", ma / mr, (long long)check / (reps + 1));
  for (int l = 0; l < NL; l++) {
    rh_tensor_release(&w[l]), rh_tensor_release(&s[l]);
    free(copy[l]), free(work[l]), free(iwork[l]);
  }
  free(traw), free(tall);
  rh_linalg_free_workspace();
  return 0;
}
