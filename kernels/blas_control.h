/* blas_control.h - OpenBLAS's settings behind one header: which core's kernels it runs,
 * whether this CPU has better ones than OpenBLAS picked, and its thread count. The host
 * (choosing the core before Lua starts) and the bindings (rh.threads, rh.blas) both call
 * it; neither includes cblas.h for this. */
#ifndef RH_BLAS_CONTROL_H
#define RH_BLAS_CONTROL_H

#include <stdint.h>

#include "status.h"

/* The name of the core whose kernels OpenBLAS runs ("SkylakeX", "Prescott", ...) and its
 * build configuration; "?" when OpenBLAS does not say. */
const char *rh_blas_core(void);
const char *rh_blas_config(void);

/* The OPENBLAS_CORETYPE this process should run with, or NULL when OpenBLAS's own choice
 * stands. A DYNAMIC_ARCH OpenBLAS picks its kernels from the CPU model when it loads; one
 * that does not know the model (Debian 12's 0.3.21 on recent Xeons) falls back to generic
 * SSE3 kernels, 4 to 6 times slower (bench/README.md). Then, on a CPU with AVX-512 this
 * answers "SkylakeX", with AVX2 and FMA "Haswell". It answers NULL when the user set
 * OPENBLAS_CORETYPE, or RANKHOST_BLAS_AUTO=0. The choice is made before main() runs and
 * only the environment variable changes it: the caller must run the program again. */
const char *rh_blas_better_core(void);

/* OpenBLAS's thread count (rankhost's own loops are single-threaded). */
int rh_blas_threads(void);
/* Sets it; RH_EARG outside 1..1024. */
rh_status rh_blas_set_threads(int64_t n);

#endif
