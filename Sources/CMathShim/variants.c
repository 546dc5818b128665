#include "variants.h"

int fedsim_variant_runs(int variant) {
  if (variant == 0) return 1;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (variant == 1) return __builtin_cpu_supports("avx2");
  if (variant == 2) return __builtin_cpu_supports("avx512f");
#endif
  return 0;
}

int fedsim_best_variant(void) {
  // A benign race: every thread computes the same value.
  static int chosen = -1;
  int variant = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
  if (variant < 0) {
    variant = 0;
    for (int candidate = 2; candidate > 0; candidate--) {
      if (fedsim_variant_runs(candidate)) {
        variant = candidate;
        break;
      }
    }
    __atomic_store_n(&chosen, variant, __ATOMIC_RELAXED);
  }
  return variant;
}
