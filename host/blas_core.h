/* blas_core.h - choosing OpenBLAS's kernels when it did not recognise the CPU (blas_core.c). */
#ifndef RH_HOST_BLAS_CORE_H
#define RH_HOST_BLAS_CORE_H

/* The OPENBLAS_CORETYPE to run with, or NULL when OpenBLAS's own choice stands. */
const char *rh_host_better_blas_core(void);

/* Re-executes the program with OPENBLAS_CORETYPE set when rh_host_better_blas_core says
 * so; returns (changing nothing) when it does not, or when re-executing fails. */
void rh_host_fix_blas_core(char **argv);

#endif
