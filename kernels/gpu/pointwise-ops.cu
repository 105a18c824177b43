// Element-wise and row/column ops with the CPU's names and arguments
// (packages/tensor/src/kernels/elementwise.ts): scale, axpy, strided copy, fp16 casts, row and
// column sums, bias add and its gradient, residual, GELU, ReLU, SiLU, gated units and dropout.
// Reductions give the same bits on every run: each output is summed by one thread or one block in
// a fixed order, never with float atomics.
#include <cuda_fp16.h>

#include <string>

#include "gpu/device-math.cuh"
#include "gpu/ops.h"

namespace neox::gpu {

namespace {

constexpr int kThreads = 256;

#define GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

// out[i] = f(i) over n elements.
template <class F>
__global__ void map_kernel(int64_t n, F f) {
  GRID_STRIDE(i, n) f(i);
}

template <class F>
int map(const OpArgs& a, cudaStream_t s, int64_t n, F f) {
  if (n <= 0) return 0;
  map_kernel<<<grid_for(n, kThreads), kThreads, 0, s>>>(n, f);
  return launched(a);
}

// out[c] = (acc ? out[c] : 0) + alpha·Σ_n inp[n·ld + c]: one thread per column, rows in order.
__global__ void sum_rows_kernel(float* out, const float* inp, int64_t N, int64_t C, int64_t ld, float alpha,
                                bool acc) {
  GRID_STRIDE(c, C) {
    float s = 0.f;
    for (int64_t n = 0; n < N; ++n) s += inp[n * ld + c];
    out[c] = (acc ? out[c] : 0.f) + alpha * s;
  }
}

// out[n] = (acc ? out[n] : 0) + alpha·Σ_c inp[n·ld + c]: one block per row.
__global__ void sum_cols_kernel(float* out, const float* inp, int64_t N, int64_t C, int64_t ld, float alpha,
                                bool acc) {
  __shared__ float scratch[32];
  for (int64_t n = blockIdx.x; n < N; n += gridDim.x) {
    float s = 0.f;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) s += inp[n * ld + c];
    s = block_sum(s, scratch);
    if (threadIdx.x == 0) out[n] = (acc ? out[n] : 0.f) + alpha * s;
  }
}

int sum_rows(const OpArgs& a, cudaStream_t s, float* out, const float* inp, int64_t N, int64_t C, int64_t ld,
             float alpha, bool acc) {
  if (C == 0) return 0;
  if (ld < C) return a.invalid("ld " + std::to_string(ld) + " is below C " + std::to_string(C));
  sum_rows_kernel<<<grid_for(C, kThreads), kThreads, 0, s>>>(out, inp, N, C, ld, alpha, acc);
  return launched(a);
}

// act(gate) and d act/d gate for the GLU kinds of kernels/cpu/glu.h.
__device__ inline float glu_act(float g, int kind, float* grad) {
  switch (kind) {
    case 0: {  // swiglu: silu
      float om;
      float sg = sigmoid_pair(g, &om);
      *grad = sg * (1.f + g * om);
      return g * sg;
    }
    case 1:
    case 2:
      *grad = gelu_grad(g, kind == 2);
      return gelu_value(g, kind == 2);
    default:  // reglu: max(0, g) as the CPU's vmax, so a NaN gate passes through
      *grad = g > 0.f ? 1.f : 0.f;
      return 0.f > g ? 0.f : g;
  }
}

// The per-element functors (plain structs: the build has no --extended-lambda).
struct Scale {
  float* out;
  const float* inp;
  float alpha;
  __device__ void operator()(int64_t i) const { out[i] = alpha * inp[i]; }
};
struct Axpy {  // out = a + alpha·b with one rounding, as the CPU's fma(alpha, b, a)
  float* out;
  const float *x, *y;
  float alpha;
  __device__ void operator()(int64_t i) const { out[i] = fmaf(alpha, y[i], x[i]); }
};
struct CopyStrided {
  float* out;
  const float* inp;
  int64_t D1, D2, D3, s0, s1, s2, s3;
  __device__ void operator()(int64_t i) const {
    int64_t i3 = i % D3, r = i / D3, i2 = r % D2;
    r /= D2;
    int64_t i1 = r % D1, i0 = r / D1;
    out[i] = inp[i0 * s0 + i1 * s1 + i2 * s2 + i3 * s3];
  }
};
struct ToF16 {
  __half* out;
  const float* inp;
  __device__ void operator()(int64_t i) const { out[i] = __float2half_rn(inp[i]); }
};
struct FromF16 {
  float* out;
  const __half* inp;
  __device__ void operator()(int64_t i) const { out[i] = __half2float(inp[i]); }
};
struct BiasAdd {
  float* out;
  const float *inp, *bias;
  int64_t C;
  __device__ void operator()(int64_t i) const { out[i] = inp[i] + bias[i % C]; }
};
struct Add {
  float* out;
  const float *x, *y;
  __device__ void operator()(int64_t i) const { out[i] = x[i] + y[i]; }
};
struct ResidualBack {
  float *da, *db;
  const float* dout;
  __device__ void operator()(int64_t i) const {
    float g = dout[i];
    if (da) da[i] = g;
    if (db) db[i] = g;
  }
};
// kind: 0 GELU exact, 1 GELU tanh, 2 ReLU, 3 SiLU. Forward: out = act(inp).
struct Act {
  float* out;
  const float* inp;
  int kind;
  __device__ void operator()(int64_t i) const {
    float x = inp[i], om;
    // ReLU as the CPU's vmax(0, x): NaN passes through (x > 0 ? x : 0 would turn it into 0).
    out[i] = kind <= 1 ? gelu_value(x, kind == 1) : kind == 2 ? (0.f > x ? 0.f : x) : x * sigmoid_pair(x, &om);
  }
};
// Backward: dinp = dout·act'(inp) (ReLU passes dout where inp > 0).
struct ActBack {
  float* dinp;
  const float *dout, *inp;
  int kind;
  __device__ void operator()(int64_t i) const {
    float x = inp[i], d = dout[i];
    if (kind <= 1) {
      dinp[i] = d * gelu_grad(x, kind == 1);
    } else if (kind == 2) {
      dinp[i] = x > 0.f ? d : 0.f;
    } else {
      float om;
      float sg = sigmoid_pair(x, &om);
      dinp[i] = d * sg * (1.f + x * om);
    }
  }
};
struct Glu {
  float* out;
  const float* inp;
  int64_t C;
  int kind;
  __device__ void operator()(int64_t i) const {
    int64_t n = i / C, c = i % C;
    float grad;
    out[i] = glu_act(inp[n * 2 * C + C + c], kind, &grad) * inp[n * 2 * C + c];
  }
};
struct GluBack {
  float* dinp;
  const float *dout, *inp;
  int64_t C;
  int kind;
  __device__ void operator()(int64_t i) const {
    int64_t n = i / C, c = i % C;
    const float x = inp[n * 2 * C + c], g = inp[n * 2 * C + C + c], d = dout[i];
    float grad;
    float act = glu_act(g, kind, &grad);
    dinp[n * 2 * C + c] = d * act;
    dinp[n * 2 * C + C + c] = d * x * grad;
  }
};
struct Dropout {
  float* out;
  const float* inp;
  uint64_t seed, offset;
  uint32_t threshold;
  float scale;
  __device__ void operator()(int64_t i) const {
    out[i] = drop_keep(seed, offset + uint64_t(i), threshold) ? inp[i] * scale : 0.f;
  }
};

int dropout(const OpArgs& a, cudaStream_t s) {
  if (int st = a.counters_ok(4, 2)) return st;
  const float p = a.f32(3);
  if (!(p >= 0.f && p <= 1.f)) return a.invalid("p must be in [0, 1], got " + std::to_string(p));
  return map(a, s, a.size(2),
             Dropout{a.ptr<float>(0), a.ptr<const float>(1), a.u64(4), a.u64(5), drop_threshold(p), drop_scale(p)});
}

int act(const OpArgs& a, cudaStream_t s, int kind) {
  return map(a, s, a.size(2), Act{a.ptr<float>(0), a.ptr<const float>(1), kind});
}
int act_back(const OpArgs& a, cudaStream_t s, int kind) {
  return map(a, s, a.size(3), ActBack{a.ptr<float>(0), a.ptr<const float>(1), a.ptr<const float>(2), kind});
}
int glu_kind(const OpArgs& a, int i, int* kind) {
  if (a.size(i) > 3) return a.invalid("kind " + std::to_string(a.size(i)) + " is not a GLU kind (0-3)");
  *kind = static_cast<int>(a.size(i));
  return 0;
}

const OpSpec kOps[] = {
    {"scaleF32", "out:p,inp:p,alpha:f,n:s",
     [](const OpArgs& a, cudaStream_t s) {
       return map(a, s, a.size(3), Scale{a.ptr<float>(0), a.ptr<const float>(1), a.f32(2)});
     }},
    {"axpyF32", "out:p,a:p,b:p,alpha:f,n:s",
     [](const OpArgs& a, cudaStream_t s) {
       return map(a, s, a.size(4), Axpy{a.ptr<float>(0), a.ptr<const float>(1), a.ptr<const float>(2), a.f32(3)});
     }},
    {"copyStridedF32", "out:p,inp:p,D0:s,D1:s,D2:s,D3:s,s0:s,s1:s,s2:s,s3:s",
     [](const OpArgs& a, cudaStream_t s) {
       return map(a, s, a.size(2) * a.size(3) * a.size(4) * a.size(5),
                  CopyStrided{a.ptr<float>(0), a.ptr<const float>(1), a.size(3), a.size(4), a.size(5), a.size(6),
                              a.size(7), a.size(8), a.size(9)});
     }},
    {"castF32ToF16", "out:p,inp:p,n:s",
     [](const OpArgs& a, cudaStream_t s) { return map(a, s, a.size(2), ToF16{a.ptr<__half>(0), a.ptr<const float>(1)}); }},
    {"castF16ToF32", "out:p,inp:p,n:s",
     [](const OpArgs& a, cudaStream_t s) {
       return map(a, s, a.size(2), FromF16{a.ptr<float>(0), a.ptr<const __half>(1)});
     }},
    {"sumRowsF32", "out:p,inp:p,N:s,C:s,ld:s,alpha:f,accumulate:b",
     [](const OpArgs& a, cudaStream_t s) {
       return sum_rows(a, s, a.ptr<float>(0), a.ptr<const float>(1), a.size(2), a.size(3), a.size(4), a.f32(5),
                       a.flag(6));
     }},
    {"sumColsF32", "out:p,inp:p,N:s,C:s,ld:s,alpha:f,accumulate:b",
     [](const OpArgs& a, cudaStream_t s) {
       const int64_t N = a.size(2), C = a.size(3), ld = a.size(4);
       if (N == 0) return 0;
       if (ld < C) return a.invalid("ld " + std::to_string(ld) + " is below C " + std::to_string(C));
       sum_cols_kernel<<<grid_for(N, 1), kThreads, 0, s>>>(a.ptr<float>(0), a.ptr<const float>(1), N, C, ld,
                                                            a.f32(5), a.flag(6));
       return launched(a);
     }},
    {"biasAddForward", "out:p,inp:p,bias:p,N:s,C:s",
     [](const OpArgs& a, cudaStream_t s) {
       return map(a, s, a.size(3) * a.size(4),
                  BiasAdd{a.ptr<float>(0), a.ptr<const float>(1), a.ptr<const float>(2), a.size(4)});
     }},
    {"biasAddBackward", "dbias:p,dout:p,N:s,C:s",
     [](const OpArgs& a, cudaStream_t s) {
       const int64_t C = a.size(3);
       return sum_rows(a, s, a.ptr<float>(0), a.ptr<const float>(1), a.size(2), C, C, 1.f, true);
     }},
    {"residualForward", "out:p,a:p,b:p,n:s",
     [](const OpArgs& a, cudaStream_t s) {
       return map(a, s, a.size(3), Add{a.ptr<float>(0), a.ptr<const float>(1), a.ptr<const float>(2)});
     }},
    {"residualBackward", "da:o,db:o,dout:p,n:s",
     [](const OpArgs& a, cudaStream_t s) {
       return map(a, s, a.size(3), ResidualBack{a.ptr<float>(0), a.ptr<float>(1), a.ptr<const float>(2)});
     }},
    {"geluForward", "out:p,inp:p,n:s,tanhApprox:b",
     [](const OpArgs& a, cudaStream_t s) { return act(a, s, a.flag(3) ? 1 : 0); }},
    {"geluBackward", "dinp:p,dout:p,inp:p,n:s,tanhApprox:b",
     [](const OpArgs& a, cudaStream_t s) { return act_back(a, s, a.flag(4) ? 1 : 0); }},
    {"reluForward", "out:p,inp:p,n:s", [](const OpArgs& a, cudaStream_t s) { return act(a, s, 2); }},
    {"reluBackward", "dinp:p,dout:p,inp:p,n:s", [](const OpArgs& a, cudaStream_t s) { return act_back(a, s, 2); }},
    {"siluForward", "out:p,inp:p,n:s", [](const OpArgs& a, cudaStream_t s) { return act(a, s, 3); }},
    {"siluBackward", "dinp:p,dout:p,inp:p,n:s", [](const OpArgs& a, cudaStream_t s) { return act_back(a, s, 3); }},
    {"gluForward", "out:p,inp:p,N:s,C:s,kind:s",
     [](const OpArgs& a, cudaStream_t s) {
       int kind = 0;
       if (int st = glu_kind(a, 4, &kind)) return st;
       return map(a, s, a.size(2) * a.size(3), Glu{a.ptr<float>(0), a.ptr<const float>(1), a.size(3), kind});
     }},
    {"gluBackward", "dinp:p,dout:p,inp:p,N:s,C:s,kind:s",
     [](const OpArgs& a, cudaStream_t s) {
       int kind = 0;
       if (int st = glu_kind(a, 5, &kind)) return st;
       return map(a, s, a.size(3) * a.size(4),
                  GluBack{a.ptr<float>(0), a.ptr<const float>(1), a.ptr<const float>(2), a.size(4), kind});
     }},
    {"dropoutForward", "out:p,inp:p,n:s,p:f,seed:f,offset:f", dropout},
    {"dropoutBackward", "dinp:p,dout:p,n:s,p:f,seed:f,offset:f", dropout},
};

}  // namespace

const OpSpec* pointwise_ops(int* count) {
  *count = sizeof(kOps) / sizeof(kOps[0]);
  return kOps;
}

}  // namespace neox::gpu
