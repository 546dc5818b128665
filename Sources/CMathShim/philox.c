#include <stdint.h>
#include "CMathShim.h"
#include "variants.h"

// Philox4x32-10 on eight counters side by side, as vector code the compiler maps to the widest
// integer multiply the CPU has. Integer arithmetic only: every variant computes the same bits.
typedef uint64_t u64x8 __attribute__((vector_size(64)));

// Each 32-bit Philox word lives in the low half of a 64-bit lane, so the 32 × 32 → 64-bit
// multiply is one unsigned even-lane multiply (pmuludq) and its high half one shift. High halves
// may hold leftovers: only xor and the multiply (which reads low halves) touch them, so the low
// halves — the words — are exact.
// `width` groups of eight blocks side by side: one group's ten rounds are a chain of dependent
// multiplies, and independent groups keep the multiplier busy.
#define PHILOX_GROUPS(width)                                                                       \
  do {                                                                                             \
    u64x8 c0[width], c1[width], c2[width], c3[width];                                             \
    for (int j = 0; j < width; j++) {                                                              \
      c0[j] = (u64x8){0} + (uint32_t)(counter0 + 8u * (uint32_t)(group + j)) + lanes;               \
      c0[j] &= low;                                                                                \
      c1[j] = (u64x8){0} + counter1;                                                               \
      c2[j] = (u64x8){0} + counter2;                                                               \
      c3[j] = (u64x8){0} + counter3;                                                               \
    }                                                                                              \
    uint64_t k0 = key0, k1 = key1;                                                                 \
    for (int round = 0; round < 10; round++) {                                                     \
      if (round > 0) {                                                                             \
        k0 = (uint32_t)(k0 + 0x9E3779B9u);                                                         \
        k1 = (uint32_t)(k1 + 0xBB67AE85u);                                                         \
      }                                                                                            \
      for (int j = 0; j < width; j++) {                                                            \
        u64x8 p0 = (c0[j] & low) * m0;                                                             \
        u64x8 p1 = (c2[j] & low) * m1;                                                             \
        c0[j] = (p1 >> 32) ^ c1[j] ^ k0;                                                           \
        c2[j] = (p0 >> 32) ^ c3[j] ^ k1;                                                           \
        c1[j] = p1;                                                                                \
        c3[j] = p0;                                                                                \
      }                                                                                            \
    }                                                                                              \
    for (int j = 0; j < width; j++) {                                                              \
      uint64_t *out = words + 16 * (group + j);                                                    \
      u64x8 w01 = (c0[j] << 32) | (c1[j] & low);                                                   \
      u64x8 w23 = (c2[j] << 32) | (c3[j] & low);                                                   \
      for (int lane = 0; lane < 8; lane++) {                                                       \
        out[2 * lane] = w01[lane];                                                                 \
        out[2 * lane + 1] = w23[lane];                                                             \
      }                                                                                            \
    }                                                                                              \
    group += width;                                                                                \
  } while (0)

FEDSIM_BODY void philox_words(uint32_t key0, uint32_t key1, uint32_t counter0, uint32_t counter1,
                              uint32_t counter2, uint32_t counter3, uint64_t *words, long groups) {
  const u64x8 low = (u64x8){0} + 0xFFFFFFFFu;
  const u64x8 m0 = (u64x8){0} + 0xD2511F53u;
  const u64x8 m1 = (u64x8){0} + 0xCD9E8D57u;
  const u64x8 lanes = {0, 1, 2, 3, 4, 5, 6, 7};
  long group = 0;
  while (group < groups) PHILOX_GROUPS(1);
}

// The same body compiled for three instruction sets; `fedsim_philox4x32_words` runs the widest
// the CPU has, and tests call each variant the CPU can run.
#if defined(__x86_64__)
FEDSIM_AVX512 static void philox_words_avx512(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1, uint32_t c2,
                                              uint32_t c3, uint64_t *w, long g) {
  philox_words(k0, k1, c0, c1, c2, c3, w, g);
}
FEDSIM_AVX2 static void philox_words_avx2(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1, uint32_t c2,
                                          uint32_t c3, uint64_t *w, long g) {
  philox_words(k0, k1, c0, c1, c2, c3, w, g);
}
#endif
static void philox_words_baseline(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3,
                                  uint64_t *w, long g) {
  philox_words(k0, k1, c0, c1, c2, c3, w, g);
}

static void philox_words_run(int variant, uint32_t key0, uint32_t key1, uint32_t counter0, uint32_t counter1,
                             uint32_t counter2, uint32_t counter3, uint64_t *words, long groups) {
  switch (variant) {
#if defined(__x86_64__)
  case 2: philox_words_avx512(key0, key1, counter0, counter1, counter2, counter3, words, groups); break;
  case 1: philox_words_avx2(key0, key1, counter0, counter1, counter2, counter3, words, groups); break;
#endif
  default: philox_words_baseline(key0, key1, counter0, counter1, counter2, counter3, words, groups); break;
  }
}

int fedsim_philox4x32_words_variant(int variant, uint32_t key0, uint32_t key1, uint32_t counter0, uint32_t counter1,
                                    uint32_t counter2, uint32_t counter3, uint64_t *words, long groups) {
  if (!fedsim_variant_runs(variant)) return 0;
  philox_words_run(variant, key0, key1, counter0, counter1, counter2, counter3, words, groups);
  return 1;
}

void fedsim_philox4x32_words(uint32_t key0, uint32_t key1, uint32_t counter0, uint32_t counter1, uint32_t counter2,
                             uint32_t counter3, uint64_t *words, long groups) {
  philox_words_run(fedsim_best_variant(), key0, key1, counter0, counter1, counter2, counter3, words, groups);
}
