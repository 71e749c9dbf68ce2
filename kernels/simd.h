/* simd.h - RH_HOT marks an elementwise loop to be compiled three times (AVX-512, AVX2,
 * baseline x86-64) with the copy chosen at load time from the CPU (GCC's target_clones).
 * The default build targets baseline x86-64 (SSE2) so that one binary runs everywhere;
 * this gives the training step's loops the machine's vector width anyway. Used only on
 * loops whose pointers are `restrict` and whose float operations are written one per
 * statement: the ISO C mode (-std=c11) does not contract them into FMAs, so every clone
 * computes bit for bit what the scalar loop computes. */
#ifndef RH_SIMD_H
#define RH_SIMD_H

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define RH_HOT __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define RH_HOT
#endif

#endif
