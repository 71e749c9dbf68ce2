/* hostdevice.h - RH_HD marks a small function compiled for both the CPU and the GPU, for
 * formulas that the C kernels and the .cu kernels must share. */
#ifndef RH_HOSTDEVICE_H
#define RH_HOSTDEVICE_H
#ifdef __CUDACC__
#define RH_HD __host__ __device__
#else
#define RH_HD
#endif
#endif
