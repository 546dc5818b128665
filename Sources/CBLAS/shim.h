#ifndef FEDSIM_CBLAS_SHIM_H
#define FEDSIM_CBLAS_SHIM_H
#include <cblas.h>

// OpenBLAS exports LAPACK as Fortran symbols only (no LAPACKE); declare the few we use.
// Arguments are passed by pointer, matrices column-major.
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info);

// CPUID and XGETBV, for choosing an OpenBLAS kernel from what the processor can do. Outside x86
// both report nothing (0).
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
static inline int fedsim_cpuid(unsigned leaf, unsigned subleaf, unsigned *registers) {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(leaf, subleaf, &a, &b, &c, &d)) return 0;
  registers[0] = a; registers[1] = b; registers[2] = c; registers[3] = d;
  return 1;
}
// XCR0: which register states the operating system saves (bits 1–2: SSE/AVX, 5–7: AVX-512).
static inline unsigned long long fedsim_xgetbv0(void) {
  unsigned eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((unsigned long long)edx << 32) | eax;
}
#else
static inline int fedsim_cpuid(unsigned leaf, unsigned subleaf, unsigned *registers) { return 0; }
static inline unsigned long long fedsim_xgetbv0(void) { return 0; }
#endif
#endif
