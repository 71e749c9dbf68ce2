/* blas_control.c - OpenBLAS's core and threads (blas_control.h). */
#include "blas_control.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

const char *rh_blas_core(void) {
  const char *core = openblas_get_corename();
  return core ? core : "?";
}

const char *rh_blas_config(void) {
  const char *config = openblas_get_config();
  return config ? config : "?";
}

/* The OpenBLAS core names that mean "model not recognised, generic kernels". */
static int generic_core(const char *name) {
  static const char *generic[] = {"Prescott", "Core2", "Nehalem", "Sandybridge", "Katmai", "Northwood", NULL};
  for (int i = 0; generic[i]; i++)
    if (strcmp(name, generic[i]) == 0) return 1;
  return 0;
}

const char *rh_blas_better_core(void) {
  const char *auto_ = getenv("RANKHOST_BLAS_AUTO");
  if (getenv("OPENBLAS_CORETYPE") || (auto_ && strcmp(auto_, "0") == 0)) return NULL;
  const char *core = openblas_get_corename();
  if (!core || !generic_core(core)) return NULL;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return NULL;
}

int rh_blas_threads(void) { return openblas_get_num_threads(); }

rh_status rh_blas_set_threads(int64_t n) {
  if (n < 1 || n > 1024) return rh_fail(RH_EARG, "thread count must be between 1 and 1024");
  openblas_set_num_threads((int)n);
  return RH_OK;
}
