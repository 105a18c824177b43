// Softmax cross-entropy, row argmax and the token embedding with the CPU's names and arguments
// (packages/tensor/src/kernels/loss.ts). Every sum is in a fixed order (block reductions, one
// finishing block), and the embedding gradient is sort-free and deterministic: ids are bucketed by
// row (counts, offsets, positions), each bucket ordered by position, then one block per
// vocabulary row adds its tokens' gradients in token order.
//
// The CPU kernels refuse a target >= V or an id outside [0, V) before writing anything; the GPU
// cannot tell the host without synchronising, so such a row gives NaN (its loss, the mean loss, its
// embedding row), which the trainer's NaN checks then report.
#include <cmath>
#include <string>

#include "gpu/device-math.cuh"
#include "gpu/ops.h"

namespace neox::gpu {

namespace {

constexpr int kThreads = 256;

__device__ inline float row_mask(const int32_t* targets, const float* mask, int64_t n) {
  return targets[n] >= 0 ? (mask ? mask[n] : 1.f) : 0.f;
}

// out[0] = Σ_n row_mask(n) in row order (one block).
__global__ void mask_sum(float* out, const int32_t* targets, const float* mask, int64_t N) {
  __shared__ float scratch[32];
  float s = 0.f;
  for (int64_t n = threadIdx.x; n < N; n += blockDim.x) s += row_mask(targets, mask, n);
  s = block_sum(s, scratch);
  if (threadIdx.x == 0) out[0] = s;
}

// One block per row: lse (from the logits, or given), CE·m into weighted[n], losses and lse
// when asked, and dlogits = dloss·m/Σm·(softmax - onehot) when dlogits is non-null (then written
// after the row was read, so dlogits may be logits).
__global__ void ce_rows(float* weighted, float* losses, float* lse_out, float* dlogits, const float* logits,
                        const float* lse_in, const int32_t* targets, const float* mask, const float* dloss,
                        const float* msum, int64_t N, int64_t V) {
  __shared__ float scratch[32];
  for (int64_t n = blockIdx.x; n < N; n += gridDim.x) {
    const float* x = logits + n * V;
    float lse;
    if (lse_in) {
      lse = lse_in[n];
    } else {
      float mx = -INFINITY;
      for (int64_t v = threadIdx.x; v < V; v += blockDim.x) mx = fmaxf(mx, x[v]);
      mx = block_max(mx, scratch);
      float s = 0.f;
      for (int64_t v = threadIdx.x; v < V; v += blockDim.x) s += expf(x[v] - mx);
      lse = mx + logf(block_sum(s, scratch));
    }
    const int32_t t = targets[n];
    const float m = row_mask(targets, mask, n);
    if (threadIdx.x == 0) {
      float ce = t >= 0 ? (t < V ? lse - x[t] : NAN) : 0.f;
      // A row of weight 0 adds nothing, as on the CPU, even where its CE is not finite (0·inf is
      // NaN); an out-of-range target still makes the mean NaN.
      if (weighted) weighted[n] = t >= V ? NAN : m != 0.f ? ce * m : 0.f;
      if (losses) losses[n] = ce;
      if (lse_out) lse_out[n] = lse;
    }
    if (dlogits) {
      const float total = msum[0];
      const float scale = total > 0.f ? dloss[0] * m / total : 0.f;
      __syncthreads();  // thread 0 has read x[t] before anyone overwrites it
      // Rows of weight 0 get exact zeros, as on the CPU (0 times a non-finite softmax is NaN).
      for (int64_t v = threadIdx.x; v < V; v += blockDim.x)
        dlogits[n * V + v] = scale == 0.f ? 0.f : scale * (expf(x[v] - lse) - (v == t ? 1.f : 0.f));
    }
  }
}

// loss[0] = Σ_n weighted[n] / Σm (0 when Σm = 0), one block.
__global__ void ce_finish(float* loss, const float* weighted, const float* msum, int64_t N) {
  __shared__ float scratch[32];
  float s = 0.f;
  for (int64_t n = threadIdx.x; n < N; n += blockDim.x) s += weighted[n];
  s = block_sum(s, scratch);
  if (threadIdx.x == 0) loss[0] = msum[0] > 0.f ? s / msum[0] : 0.f;
}

// mode 0 forward, 1 backward, 2 fused.
int cross_entropy(const OpArgs& a, cudaStream_t s, int mode) {
  float *loss = nullptr, *losses = nullptr, *lse_out = nullptr, *dlogits = nullptr;
  const float *logits, *lse_in = nullptr, *mask, *dloss = nullptr;
  const int32_t* targets;
  int64_t N, V;
  if (mode == 0) {  // loss, losses, lse, logits, targets, mask, N, V
    loss = a.ptr<float>(0), losses = a.ptr<float>(1), lse_out = a.ptr<float>(2);
    logits = a.ptr<const float>(3), targets = a.ptr<const int32_t>(4), mask = a.ptr<const float>(5);
    N = a.size(6), V = a.size(7);
  } else if (mode == 1) {  // dlogits, logits, lse, targets, mask, dloss, N, V
    dlogits = a.ptr<float>(0), logits = a.ptr<const float>(1), lse_in = a.ptr<const float>(2);
    targets = a.ptr<const int32_t>(3), mask = a.ptr<const float>(4), dloss = a.ptr<const float>(5);
    N = a.size(6), V = a.size(7);
  } else {  // loss, losses, dlogits, logits, targets, mask, dloss, N, V
    loss = a.ptr<float>(0), losses = a.ptr<float>(1), dlogits = a.ptr<float>(2);
    logits = a.ptr<const float>(3), targets = a.ptr<const int32_t>(4), mask = a.ptr<const float>(5);
    dloss = a.ptr<const float>(6), N = a.size(7), V = a.size(8);
  }
  if (V < 1) return a.invalid("V must be >= 1");
  Scratch scratch;  // [Σm, weighted[0..N)]
  if (int st = scratch.allocate(a, sizeof(float) * size_t(N + 1), s)) return st;
  float* msum = scratch.as<float>();
  float* weighted = loss ? msum + 1 : nullptr;
  mask_sum<<<1, 1024, 0, s>>>(msum, targets, mask, N);
  if (N > 0)
    ce_rows<<<grid_for(N, 1), kThreads, 0, s>>>(weighted, losses, lse_out, dlogits, logits, lse_in, targets, mask,
                                                 dloss, msum, N, V);
  if (loss) ce_finish<<<1, 1024, 0, s>>>(loss, weighted, msum, N);
  return launched(a);
}

// out[r] = first index of the row's maximum, NaN skipped, 0 for a row of NaNs. One block per row.
__global__ void argmax_rows(int32_t* out, const float* inp, int64_t R, int64_t V) {
  __shared__ float sv[1024];
  __shared__ int64_t si[1024];
  for (int64_t r = blockIdx.x; r < R; r += gridDim.x) {
    float best = -INFINITY;
    int64_t at = -1;
    for (int64_t c = threadIdx.x; c < V; c += blockDim.x) {
      float x = inp[r * V + c];
      if (!isnan(x) && (at < 0 || x > best)) best = x, at = c;
    }
    sv[threadIdx.x] = best;
    si[threadIdx.x] = at;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half >>= 1) {
      if (threadIdx.x < half) {
        float ov = sv[threadIdx.x + half];
        int64_t oi = si[threadIdx.x + half];
        int64_t mi = si[threadIdx.x];
        if (oi >= 0 && (mi < 0 || ov > sv[threadIdx.x] || (ov == sv[threadIdx.x] && oi < mi)))
          sv[threadIdx.x] = ov, si[threadIdx.x] = oi;
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) out[r] = si[0] < 0 ? 0 : static_cast<int32_t>(si[0]);
    __syncthreads();
  }
}

__global__ void embedding_forward(float* out, const int32_t* ids, const float* weight, int64_t N, int64_t C,
                                  int64_t V) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < N * C; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t n = i / C, c = i % C;
    int32_t id = ids[n];
    out[i] = id >= 0 && id < V ? weight[int64_t(id) * C + c] : NAN;
  }
}

// Bucketing for the embedding backward: counts[id] (atomics on integers: the counts are exact
// whatever the order), positions[] filled per bucket in arbitrary order, then sorted per bucket.
__global__ void embedding_count(int32_t* counts, const int32_t* ids, int64_t N, int64_t V, int32_t* bad) {
  for (int64_t n = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; n < N; n += int64_t(gridDim.x) * blockDim.x) {
    int32_t id = ids[n];
    if (id >= 0 && id < V) atomicAdd(&counts[id], 1);
    else atomicExch(bad, 1);
  }
}

// offsets[v] = Σ_{u<v} counts[u] (exclusive), one block: each thread scans a contiguous chunk.
__global__ void exclusive_scan(int32_t* offsets, const int32_t* counts, int64_t V) {
  __shared__ int32_t partial[1024];
  const int64_t chunk = (V + blockDim.x - 1) / blockDim.x;
  const int64_t begin = threadIdx.x * chunk, end = min(V, begin + chunk);
  int32_t s = 0;
  for (int64_t v = begin; v < end; ++v) s += counts[v];
  partial[threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.x == 0) {
    int32_t run = 0;
    for (int t = 0; t < blockDim.x; ++t) {
      int32_t c = partial[t];
      partial[t] = run;
      run += c;
    }
  }
  __syncthreads();
  int32_t run = partial[threadIdx.x];
  for (int64_t v = begin; v < end; ++v) {
    offsets[v] = run;
    run += counts[v];
  }
}

__global__ void embedding_fill(int32_t* positions, int32_t* cursor, const int32_t* ids, int64_t N, int64_t V) {
  for (int64_t n = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; n < N; n += int64_t(gridDim.x) * blockDim.x) {
    int32_t id = ids[n];
    if (id >= 0 && id < V) positions[atomicAdd(&cursor[id], 1)] = static_cast<int32_t>(n);
  }
}

// One block per vocabulary row with tokens: sort its positions (insertion sort by one thread;
// buckets are short except for the most frequent tokens), then add the tokens' rows in order.
__global__ void embedding_accumulate(float* dweight, const float* dout, int32_t* positions, const int32_t* offsets,
                                     const int32_t* counts, const int32_t* bad, int64_t C, int64_t V) {
  for (int64_t v = blockIdx.x; v < V; v += gridDim.x) {
    const int32_t count = counts[v];
    if (count == 0) continue;
    int32_t* p = positions + offsets[v];
    if (threadIdx.x == 0) {
      for (int32_t i = 1; i < count; ++i) {
        int32_t key = p[i], j = i - 1;
        while (j >= 0 && p[j] > key) p[j + 1] = p[j], --j;
        p[j + 1] = key;
      }
    }
    __syncthreads();
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
      float s = 0.f;
      for (int32_t i = 0; i < count; ++i) s += dout[int64_t(p[i]) * C + c];
      dweight[v * C + c] += *bad ? NAN : s;
    }
    __syncthreads();
  }
}

int embedding_backward(const OpArgs& a, cudaStream_t s) {
  float* dweight = a.ptr<float>(0);
  const float* dout = a.ptr<const float>(1);
  const int32_t* ids = a.ptr<const int32_t>(2);
  const int64_t N = a.size(3), C = a.size(4), V = a.size(5);
  if (N == 0 || C == 0 || V == 0) return 0;
  if (N > INT32_MAX) return a.invalid("N " + std::to_string(N) + " exceeds int32 positions");
  // [counts V][offsets V][cursor V][bad 1][positions N]
  Scratch scratch;
  if (int st = scratch.allocate(a, sizeof(int32_t) * size_t(3 * V + 1 + N), s)) return st;
  int32_t *counts = scratch.as<int32_t>(), *offsets = counts + V, *cursor = offsets + V, *bad = cursor + V;
  int32_t* positions = bad + 1;
  if (int st = launched(a)) return st;
  cudaMemsetAsync(counts, 0, sizeof(int32_t) * size_t(V), s);
  cudaMemsetAsync(bad, 0, sizeof(int32_t), s);
  embedding_count<<<grid_for(N), kThreads, 0, s>>>(counts, ids, N, V, bad);
  exclusive_scan<<<1, 1024, 0, s>>>(offsets, counts, V);
  cudaMemcpyAsync(cursor, offsets, sizeof(int32_t) * size_t(V), cudaMemcpyDeviceToDevice, s);
  embedding_fill<<<grid_for(N), kThreads, 0, s>>>(positions, cursor, ids, N, V);
  embedding_accumulate<<<grid_for(V, 1), kThreads, 0, s>>>(dweight, dout, positions, offsets, counts, bad, C, V);
  return launched(a);
}

const OpSpec kOps[] = {
    {"crossEntropyForward", "loss:p,losses:o,lse:o,logits:p,targets:p,mask:o,N:s,V:s",
     [](const OpArgs& a, cudaStream_t s) { return cross_entropy(a, s, 0); }},
    {"crossEntropyBackward", "dlogits:p,logits:p,lse:p,targets:p,mask:o,dloss:p,N:s,V:s",
     [](const OpArgs& a, cudaStream_t s) { return cross_entropy(a, s, 1); }},
    {"crossEntropyFused", "loss:p,losses:o,dlogits:p,logits:p,targets:p,mask:o,dloss:p,N:s,V:s",
     [](const OpArgs& a, cudaStream_t s) { return cross_entropy(a, s, 2); }},
    {"argmaxRows", "out:p,inp:p,R:s,V:s",
     [](const OpArgs& a, cudaStream_t s) {
       const int64_t R = a.size(2), V = a.size(3);
       if (R == 0) return 0;
       if (V < 1) return a.invalid("V must be >= 1");
       argmax_rows<<<grid_for(R, 1), kThreads, 0, s>>>(a.ptr<int32_t>(0), a.ptr<const float>(1), R, V);
       return launched(a);
     }},
    {"embeddingForward", "out:p,ids:p,weight:p,N:s,C:s,V:s",
     [](const OpArgs& a, cudaStream_t s) {
       const int64_t N = a.size(3), C = a.size(4);
       if (N * C == 0) return 0;
       embedding_forward<<<grid_for(N * C), kThreads, 0, s>>>(a.ptr<float>(0), a.ptr<const int32_t>(1),
                                                              a.ptr<const float>(2), N, C, a.size(5));
       return launched(a);
     }},
    {"embeddingBackward", "dweight:p,dout:p,ids:p,N:s,C:s,V:s", embedding_backward},
};

}  // namespace

const OpSpec* loss_ops(int* count) {
  *count = sizeof(kOps) / sizeof(kOps[0]);
  return kOps;
}

}  // namespace neox::gpu
