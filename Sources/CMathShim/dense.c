// Float64 kernels of the convex tasks and the normal sampler, compiled for three instruction
// sets (variants.h). Every product is rounded and then added, in the order the comments state:
// the vector variants compute the same bits as a plain loop, on every CPU.
#pragma STDC FP_CONTRACT OFF

#include <stdint.h>
#include "CMathShim.h"
#include "variants.h"

typedef double f64x4 __attribute__((vector_size(32)));
typedef double f64x4u __attribute__((vector_size(32), aligned(8)));
typedef uint64_t u64x4 __attribute__((vector_size(32)));
typedef int64_t i64x4 __attribute__((vector_size(32)));
typedef uint64_t u64x4u __attribute__((vector_size(32), aligned(8)));

// Macros rather than functions: a vector argument of a baseline function would change the ABI.
#define load4(p) (*(const f64x4u *)(p))
#define store4(p, v) (*(f64x4u *)(p) = (v))
#define splat(v) ((f64x4){(v), (v), (v), (v)})

// MARK: - Column dots

// z[i] = Σ_j columns[j·stride + row_i]·x[j] for j ascending from 0, row_i = rows[i] (or i).
// Independent rows side by side; each row's sum is the textbook one.
FEDSIM_BODY void column_dots(const double *columns, long stride, long dimension, const long *rows, long count,
                             const double *x, double *z) {
  long i = 0;
  if (!rows) {
    for (; i + 32 <= count; i += 32) {
      f64x4 s[8] = {{0}};
      const double *c = columns + i;
      for (long j = 0; j < dimension; j++, c += stride) {
        f64x4 xj = splat(x[j]);
        for (int b = 0; b < 8; b++) s[b] = s[b] + load4(c + 4 * b) * xj;
      }
      for (int b = 0; b < 8; b++) store4(z + i + 4 * b, s[b]);
    }
    for (; i + 4 <= count; i += 4) {
      f64x4 s = {0};
      const double *c = columns + i;
      for (long j = 0; j < dimension; j++, c += stride) s = s + load4(c) * splat(x[j]);
      store4(z + i, s);
    }
  } else {
    for (; i + 16 <= count; i += 16) {
      f64x4 s[4] = {{0}};
      const long *r = rows + i;
      const double *c = columns;
      for (long j = 0; j < dimension; j++, c += stride) {
        f64x4 xj = splat(x[j]);
        for (int b = 0; b < 4; b++) {
          const long *q = r + 4 * b;
          s[b] = s[b] + (f64x4){c[q[0]], c[q[1]], c[q[2]], c[q[3]]} * xj;
        }
      }
      for (int b = 0; b < 4; b++) store4(z + i + 4 * b, s[b]);
    }
  }
  for (; i < count; i++) {
    long row = rows ? rows[i] : i;
    double s = 0;
    for (long j = 0; j < dimension; j++) s += columns[j * stride + row] * x[j];
    z[i] = s;
  }
}

#if defined(__x86_64__)
FEDSIM_AVX512 static void column_dots_avx512(const double *c, long st, long d, const long *r, long n, const double *x,
                                             double *z) {
  column_dots(c, st, d, r, n, x, z);
}
FEDSIM_AVX2 static void column_dots_avx2(const double *c, long st, long d, const long *r, long n, const double *x,
                                         double *z) {
  column_dots(c, st, d, r, n, x, z);
}
#endif
static void column_dots_baseline(const double *c, long st, long d, const long *r, long n, const double *x, double *z) {
  column_dots(c, st, d, r, n, x, z);
}

static void column_dots_run(int variant, const double *columns, long stride, long dimension, const long *rows,
                            long count, const double *x, double *z) {
  switch (variant) {
#if defined(__x86_64__)
  case 2: column_dots_avx512(columns, stride, dimension, rows, count, x, z); break;
  case 1: column_dots_avx2(columns, stride, dimension, rows, count, x, z); break;
#endif
  default: column_dots_baseline(columns, stride, dimension, rows, count, x, z); break;
  }
}

int fedsim_column_dots_variant(int variant, const double *columns, long stride, long dimension, const long *rows,
                               long count, const double *x, double *z) {
  if (!fedsim_variant_runs(variant)) return 0;
  column_dots_run(variant, columns, stride, dimension, rows, count, x, z);
  return 1;
}

void fedsim_column_dots(const double *columns, long stride, long dimension, const long *rows, long count,
                        const double *x, double *z) {
  column_dots_run(fedsim_best_variant(), columns, stride, dimension, rows, count, x, z);
}

// MARK: - Row combinations

// g[j] += Σ_i s[i]·matrix[row_i·dimension + j] for i ascending, row_i = rows[i] (or i): one
// addition per row, in row order, for every coordinate (coordinates side by side).
FEDSIM_BODY void combine_rows(const double *matrix, long dimension, const long *rows, long count, const double *s,
                              double *g) {
  long j = 0;
  for (; j + 32 <= dimension; j += 32) {
    f64x4 acc[8];
    for (int b = 0; b < 8; b++) acc[b] = load4(g + j + 4 * b);
    for (long i = 0; i < count; i++) {
      const double *a = matrix + (rows ? rows[i] : i) * dimension + j;
      f64x4 si = splat(s[i]);
      for (int b = 0; b < 8; b++) acc[b] = acc[b] + si * load4(a + 4 * b);
    }
    for (int b = 0; b < 8; b++) store4(g + j + 4 * b, acc[b]);
  }
  for (; j + 4 <= dimension; j += 4) {
    f64x4 acc = load4(g + j);
    for (long i = 0; i < count; i++) acc = acc + splat(s[i]) * load4(matrix + (rows ? rows[i] : i) * dimension + j);
    store4(g + j, acc);
  }
  for (; j < dimension; j++) {
    double acc = g[j];
    for (long i = 0; i < count; i++) acc += s[i] * matrix[(rows ? rows[i] : i) * dimension + j];
    g[j] = acc;
  }
}

#if defined(__x86_64__)
FEDSIM_AVX512 static void combine_rows_avx512(const double *m, long d, const long *r, long n, const double *s,
                                              double *g) {
  combine_rows(m, d, r, n, s, g);
}
FEDSIM_AVX2 static void combine_rows_avx2(const double *m, long d, const long *r, long n, const double *s, double *g) {
  combine_rows(m, d, r, n, s, g);
}
#endif
static void combine_rows_baseline(const double *m, long d, const long *r, long n, const double *s, double *g) {
  combine_rows(m, d, r, n, s, g);
}

static void combine_rows_run(int variant, const double *matrix, long dimension, const long *rows, long count,
                             const double *s, double *g) {
  switch (variant) {
#if defined(__x86_64__)
  case 2: combine_rows_avx512(matrix, dimension, rows, count, s, g); break;
  case 1: combine_rows_avx2(matrix, dimension, rows, count, s, g); break;
#endif
  default: combine_rows_baseline(matrix, dimension, rows, count, s, g); break;
  }
}

int fedsim_combine_rows_variant(int variant, const double *matrix, long dimension, const long *rows, long count,
                                const double *s, double *g) {
  if (!fedsim_variant_runs(variant)) return 0;
  combine_rows_run(variant, matrix, dimension, rows, count, s, g);
  return 1;
}

void fedsim_combine_rows(const double *matrix, long dimension, const long *rows, long count, const double *s,
                         double *g) {
  combine_rows_run(fedsim_best_variant(), matrix, dimension, rows, count, s, g);
}

// MARK: - Ziggurat fast path

// One normal per word while the word's candidate lies in its layer's inner rectangle: layer =
// bits 0–7, sign = bit 8, magnitude = bits 12–63, |x| = magnitude·scale[layer] (the magnitude is
// below 2⁵², so its conversion is exact either way). Stops at the first word that needs the slow
// path; returns the normals written.
FEDSIM_BODY long ziggurat_fast(const uint64_t *words, long count, const double *scale, const uint64_t *inside,
                               double *out) {
  long i = 0;
  for (; i + 4 <= count; i += 4) {
    u64x4 w = *(const u64x4u *)(words + i);
    u64x4 layer = w & 0xFF, magnitude = w >> 12;
    i64x4 limit = {(int64_t)inside[layer[0]], (int64_t)inside[layer[1]], (int64_t)inside[layer[2]],
                   (int64_t)inside[layer[3]]};
    i64x4 below = (i64x4)magnitude < limit;
    if (!(below[0] & below[1] & below[2] & below[3])) break;
    f64x4 m = (f64x4)(magnitude | 0x4330000000000000ull) - 0x1p52;
    f64x4 x = m * (f64x4){scale[layer[0]], scale[layer[1]], scale[layer[2]], scale[layer[3]]};
    u64x4 bits = (u64x4)x ^ ((w & 0x100) << 55);
    __builtin_memcpy(out + i, &bits, sizeof bits);
  }
  for (; i < count; i++) {
    uint64_t w = words[i], magnitude = w >> 12;
    long layer = (long)(w & 0xFF);
    if (magnitude >= inside[layer]) return i;
    double x = (double)(int64_t)magnitude * scale[layer];
    uint64_t bits;
    __builtin_memcpy(&bits, &x, sizeof bits);
    bits ^= (w & 0x100) << 55;
    __builtin_memcpy(out + i, &bits, sizeof bits);
  }
  return i;
}

#if defined(__x86_64__)
FEDSIM_AVX512 static long ziggurat_fast_avx512(const uint64_t *w, long n, const double *s, const uint64_t *in,
                                               double *o) {
  return ziggurat_fast(w, n, s, in, o);
}
FEDSIM_AVX2 static long ziggurat_fast_avx2(const uint64_t *w, long n, const double *s, const uint64_t *in, double *o) {
  return ziggurat_fast(w, n, s, in, o);
}
#endif
static long ziggurat_fast_baseline(const uint64_t *w, long n, const double *s, const uint64_t *in, double *o) {
  return ziggurat_fast(w, n, s, in, o);
}

static long ziggurat_fast_run(int variant, const uint64_t *words, long count, const double *scale,
                              const uint64_t *inside, double *out) {
  switch (variant) {
#if defined(__x86_64__)
  case 2: return ziggurat_fast_avx512(words, count, scale, inside, out);
  case 1: return ziggurat_fast_avx2(words, count, scale, inside, out);
#endif
  default: return ziggurat_fast_baseline(words, count, scale, inside, out);
  }
}

long fedsim_ziggurat_fast_variant(int variant, const uint64_t *words, long count, const double *scale,
                                  const uint64_t *inside, double *out) {
  if (!fedsim_variant_runs(variant)) return -1;
  return ziggurat_fast_run(variant, words, count, scale, inside, out);
}

long fedsim_ziggurat_fast(const uint64_t *words, long count, const double *scale, const uint64_t *inside,
                          double *out) {
  return ziggurat_fast_run(fedsim_best_variant(), words, count, scale, inside, out);
}

// MARK: - Transpose

void fedsim_transpose(const double *source, long rows, long columns, double *destination) {
  // Two rows at a time, as two-by-two blocks (a plain tiled loop ran 3–5× slower here, its
  // strided accesses colliding in the cache).
  typedef double f64x2 __attribute__((vector_size(16)));
  typedef double f64x2u __attribute__((vector_size(16), aligned(8)));
  long i = 0;
  for (; i + 2 <= rows; i += 2) {
    const double *r0 = source + i * columns, *r1 = r0 + columns;
    long j = 0;
    for (; j + 2 <= columns; j += 2) {
      f64x2 a = *(const f64x2u *)(r0 + j), b = *(const f64x2u *)(r1 + j);
      *(f64x2u *)(destination + j * rows + i) = __builtin_shufflevector(a, b, 0, 2);
      *(f64x2u *)(destination + (j + 1) * rows + i) = __builtin_shufflevector(a, b, 1, 3);
    }
    for (; j < columns; j++) {
      destination[j * rows + i] = r0[j];
      destination[j * rows + i + 1] = r1[j];
    }
  }
  for (; i < rows; i++) {
    for (long j = 0; j < columns; j++) destination[j * rows + i] = source[i * columns + j];
  }
}
