// The AVX-512 copy of argmax.cc (CMake adds the ISA flags by file name).
#if !defined(__AVX512F__)
#error "argmax-avx512.cc must be compiled with the AVX-512 flags"
#endif
#define NEOX_ISA_VARIANT
#include "argmax.cc"
