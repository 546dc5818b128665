#define _GNU_SOURCE 1
#include <math.h>
#include "CMathShim.h"

void fedsim_sincos(double x, double *sine, double *cosine) {
#if defined(__GLIBC__)
  sincos(x, sine, cosine);
#else
  *sine = sin(x);
  *cosine = cos(x);
#endif
}
