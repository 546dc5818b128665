#ifndef FEDSIM_VARIANTS_H
#define FEDSIM_VARIANTS_H

// Kernels compiled three times — baseline x86-64 (or the host's baseline elsewhere), AVX2 and
// AVX-512F — from one always-inlined body. Variant numbers: 0 baseline, 1 AVX2, 2 AVX-512F.

#if defined(__x86_64__)
#define FEDSIM_AVX2 __attribute__((target("avx2")))
#define FEDSIM_AVX512 __attribute__((target("avx512f")))
#endif
#define FEDSIM_BODY static inline __attribute__((always_inline))

/// Whether this CPU runs `variant`.
int fedsim_variant_runs(int variant);

/// The widest variant this CPU runs (computed once).
int fedsim_best_variant(void);

#endif
