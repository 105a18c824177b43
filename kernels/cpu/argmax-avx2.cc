// The AVX2 copy of argmax.cc (CMake adds the ISA flags by file name).
#if !defined(__AVX2__)
#error "argmax-avx2.cc must be compiled with the AVX2 flags"
#endif
#define NEOX_ISA_VARIANT
#include "argmax.cc"
