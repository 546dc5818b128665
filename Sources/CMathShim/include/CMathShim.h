#ifndef FEDSIM_CMATHSHIM_H
#define FEDSIM_CMATHSHIM_H

/// sin x and cos x in one call (glibc's sincos, a GNU extension Swift's Glibc module does not
/// expose): the same results as sin and cos, in about half the time.
void fedsim_sincos(double x, double *sine, double *cosine);

#endif
