/* blas_core.c - make OpenBLAS use the vector kernels this CPU has.
 *
 * A DYNAMIC_ARCH OpenBLAS picks its kernels from the CPU model at load time. Debian 12's
 * 0.3.21 does not know newer Xeons (e.g. family 6 model 207, Emerald Rapids) and falls
 * back to "Prescott", SSE3 kernels: sgemm runs 4 to 6 times below what the AVX-512 cores
 * can do (bench/README.md). The choice is made before main() runs and can only be
 * changed through the OPENBLAS_CORETYPE variable, so when the fallback happened on a CPU
 * with AVX-512 (or AVX2), rankhost sets the variable and runs itself again, once. A
 * user's own OPENBLAS_CORETYPE is always kept, and RANKHOST_BLAS_AUTO=0 turns this off. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blas_core.h"

/* The OpenBLAS core names that mean "model not recognised, generic kernels". */
static int generic_core(const char *name) {
  static const char *generic[] = {"Prescott", "Core2", "Nehalem", "Sandybridge", "Katmai", "Northwood", NULL};
  for (int i = 0; generic[i]; i++)
    if (strcmp(name, generic[i]) == 0) return 1;
  return 0;
}

const char *rh_host_better_blas_core(void) {
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

void rh_host_fix_blas_core(char **argv) {
  const char *core = rh_host_better_blas_core();
  if (!core) return;
  if (setenv("OPENBLAS_CORETYPE", core, 1) != 0) return;
  execv("/proc/self/exe", argv); /* returns only on failure: go on with the generic kernels */
  unsetenv("OPENBLAS_CORETYPE");
}
