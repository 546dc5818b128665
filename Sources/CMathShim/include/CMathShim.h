#ifndef FEDSIM_CMATHSHIM_H
#define FEDSIM_CMATHSHIM_H

#include <stdint.h>

/// sin x and cos x in one call (glibc's sincos, a GNU extension Swift's Glibc module does not
/// expose): the same results as sin and cos, in about half the time.
void fedsim_sincos(double x, double *sine, double *cosine);

/// Philox4x32-10 words for `groups` groups of eight consecutive counters (word 0 = counter0 +
/// 8·group + lane, wrapping; words 1…3 as given): for each block, (out.0 << 32 | out.1) then
/// (out.2 << 32 | out.3), 16 words per group. Compiled for AVX-512, AVX2 and the baseline; the
/// widest the CPU runs is chosen on first use. Integer arithmetic: every variant returns the
/// same words.
void fedsim_philox4x32_words(uint32_t key0, uint32_t key1, uint32_t counter0, uint32_t counter1,
                             uint32_t counter2, uint32_t counter3, uint64_t *words, long groups);

/// One variant (0 baseline, 1 AVX2, 2 AVX-512F) of `fedsim_philox4x32_words`, for tests; returns
/// 0 without writing when the CPU cannot run it.
int fedsim_philox4x32_words_variant(int variant, uint32_t key0, uint32_t key1, uint32_t counter0, uint32_t counter1,
                                    uint32_t counter2, uint32_t counter3, uint64_t *words, long groups);

#endif
