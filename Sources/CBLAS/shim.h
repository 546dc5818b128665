#ifndef FEDSIM_CBLAS_SHIM_H
#define FEDSIM_CBLAS_SHIM_H
#include <cblas.h>

// OpenBLAS exports LAPACK as Fortran symbols only (no LAPACKE); declare the few we use.
// Arguments are passed by pointer, matrices column-major.
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info);
#endif
