// The AVX512 copy of peak.cc (CMake adds the ISA flags by file name).
#if !defined(__AVX512F__)
#error "peak-avx512.cc must be compiled with the AVX512 flags"
#endif
#define NEOX_ISA_VARIANT
#include "peak.cc"
