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

/// Row dots of a column-major matrix: z[i] = Σ_j columns[j·stride + r_i]·x[j] for j = 0…dimension−1
/// in order, r_i = rows[i] (rows may be NULL: r_i = i), for i < count. Each product is rounded,
/// then added: the textbook loop's bits, whichever variant runs.
void fedsim_column_dots(const double *columns, long stride, long dimension, const long *rows, long count,
                        const double *x, double *z);
/// One variant (0 baseline, 1 AVX2, 2 AVX-512F) of `fedsim_column_dots`, for tests; returns 0
/// without writing when the CPU cannot run it.
int fedsim_column_dots_variant(int variant, const double *columns, long stride, long dimension, const long *rows,
                               long count, const double *x, double *z);

/// g[j] += Σ_i s[i]·matrix[r_i·dimension + j], rows in order (r_i = rows[i], or i when rows is
/// NULL): one rounded product and one addition per row and coordinate, as the textbook loop.
void fedsim_combine_rows(const double *matrix, long dimension, const long *rows, long count, const double *s,
                         double *g);
/// One variant of `fedsim_combine_rows`, for tests; 0 when the CPU cannot run it.
int fedsim_combine_rows_variant(int variant, const double *matrix, long dimension, const long *rows, long count,
                                const double *s, double *g);

/// destination[j·rows + i] = source[i·columns + j]: a row-major rows × columns matrix written
/// column-major.
void fedsim_transpose(const double *source, long rows, long columns, double *destination);

/// The ziggurat's fast path over 64-bit words (layer = bits 0–7, sign = bit 8, magnitude = bits
/// 12–63): writes magnitude·scale[layer], signed, while magnitude < inside[layer]; stops at the
/// first word that needs the slow path or after `count`. Returns the normals written.
long fedsim_ziggurat_fast(const uint64_t *words, long count, const double *scale, const uint64_t *inside,
                          double *out);
/// One variant of `fedsim_ziggurat_fast`, for tests; −1 when the CPU cannot run it.
long fedsim_ziggurat_fast_variant(int variant, const uint64_t *words, long count, const double *scale,
                                  const uint64_t *inside, double *out);

#endif
