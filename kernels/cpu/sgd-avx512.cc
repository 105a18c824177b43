// The AVX512 copy of sgd.cc (CMake adds the ISA flags by file name).
#if !defined(__AVX512F__)
#error "sgd-avx512.cc must be compiled with the AVX512 flags"
#endif
#define NEOX_ISA_VARIANT
#include "sgd.cc"
