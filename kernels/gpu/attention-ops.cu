// Attention, rotary embedding and ALiBi slopes with the CPU's names and arguments
// (packages/tensor/src/kernels/attention.ts; semantics in kernels/cpu/attention.h): causal,
// GQA/MQA (query head h reads kv head h / (NH / NKV)), GPT-NeoX's sliding window (a query at
// position i sees keys i - window .. i), ALiBi from per-head slopes, and dropout on the
// probabilities with the dense dropout's counters, offset + ((b·NH + h)·Tq + i)·Tk + j.
//
// A first, correct version; speed is later work:
//   forward   one warp per query row, four rows of one head per block sharing tiles of K and V in
//             shared memory, online softmax (running max and sum) over the visible keys
//   backward  D = rowsum(dO∘O) per row, then dQ with one warp per query row and dK/dV with one
//             warp per key row summing over the queries (and the query heads of its kv head) that
//             see it, in order: no atomics, the same bits on every run
// Each lane keeps head channels lane, lane + 32, ... (HS <= 256).
#include <cmath>
#include <string>
#include <vector>

#include "gpu/device-math.cuh"
#include "gpu/ops.h"
#include "gpu/runtime.h"

namespace neox::gpu {

namespace {

constexpr int kMaxPerLane = 8;  // HS <= 256
constexpr int kRowsPerBlock = 4;
constexpr int kKeyTile = 16;

struct Dims {
  int64_t B, Tq, Tk, NH, NKV, HS;
  int64_t q_sb, q_st, q_sh, k_sb, k_st, k_sh, v_sb, v_st, v_sh;
  int64_t window;
  float scale;
  float p;  // dropout
  uint32_t threshold;
  float keep_scale;
  uint64_t seed, offset;
};

// Arguments from `at` on: B Tq Tk NH NKV HS, q/k/v strides, window, scale, then dropoutP seed offset.
int read_dims(const OpArgs& a, int at, Dims* d) {
  d->B = a.size(at), d->Tq = a.size(at + 1), d->Tk = a.size(at + 2), d->NH = a.size(at + 3);
  d->NKV = a.size(at + 4), d->HS = a.size(at + 5);
  d->q_sb = a.size(at + 6), d->q_st = a.size(at + 7), d->q_sh = a.size(at + 8);
  d->k_sb = a.size(at + 9), d->k_st = a.size(at + 10), d->k_sh = a.size(at + 11);
  d->v_sb = a.size(at + 12), d->v_st = a.size(at + 13), d->v_sh = a.size(at + 14);
  d->window = static_cast<int64_t>(a.num(at + 15));
  d->scale = a.f32(at + 16);
  if (int st = a.counters_ok(at + 18, 2)) return st;
  d->p = a.f32(at + 17);
  d->seed = a.u64(at + 18);
  d->offset = a.u64(at + 19);
  if (d->NKV == 0 || d->NH % d->NKV != 0)
    return a.invalid("NH " + std::to_string(d->NH) + " must be a multiple of NKV " + std::to_string(d->NKV));
  if (d->Tk < d->Tq) return a.invalid("Tk " + std::to_string(d->Tk) + " must be >= Tq " + std::to_string(d->Tq));
  if (d->HS == 0 || d->HS > 32 * kMaxPerLane)
    return a.invalid("HS " + std::to_string(d->HS) + " must be in 1..256 on the GPU");
  if (!(d->p >= 0.f && d->p < 1.f)) return a.invalid("dropoutP must be in [0, 1), got " + std::to_string(d->p));
  d->threshold = drop_threshold(d->p);
  d->keep_scale = drop_scale(d->p);
  return 0;
}

// The keys query row i (absolute position Tk - Tq + i) sees: [lo, hi].
__device__ inline void visible(const Dims& d, int64_t i, int64_t* lo, int64_t* hi) {
  const int64_t pos = d.Tk - d.Tq + i;
  *hi = pos;
  *lo = d.window >= 0 && pos - d.window > 0 ? pos - d.window : 0;
}

__device__ inline float score_bias(const float* slopes, int64_t h, int64_t pos, int64_t j) {
  return slopes ? -slopes[h] * float(pos - j) : 0.f;
}

// What dropout multiplies probability (b, h, i, j) by: 0 or 1/(1-p); 1 without dropout.
__device__ inline float drop_factor(const Dims& d, int64_t b, int64_t h, int64_t i, int64_t j) {
  if (d.p == 0.f) return 1.f;
  const uint64_t counter = d.offset + uint64_t(((b * d.NH + h) * d.Tq + i) * d.Tk + j);
  return drop_keep(d.seed, counter, d.threshold) ? d.keep_scale : 0.f;
}

// grid (ceil(Tq / 4), NH, B), 4 warps; dynamic shared memory 2·kKeyTile·HS floats.
__global__ void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v,
                                  const float* slopes, Dims d) {
  extern __shared__ float tile[];
  float* Ks = tile;
  float* Vs = tile + kKeyTile * d.HS;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int64_t b = blockIdx.z, h = blockIdx.y, g = h / (d.NH / d.NKV);
  const int64_t i0 = int64_t(blockIdx.x) * kRowsPerBlock, i = i0 + warp;
  const bool active = i < d.Tq;
  // The block's key range: the union of its rows' ranges.
  int64_t lo_block, hi_block, lo, hi, unused;
  visible(d, i0, &lo_block, &unused);
  visible(d, min(i0 + kRowsPerBlock - 1, d.Tq - 1), &unused, &hi_block);
  visible(d, active ? i : i0, &lo, &hi);
  const int64_t pos = d.Tk - d.Tq + (active ? i : i0);
  float qv[kMaxPerLane], acc[kMaxPerLane];
  const float* qrow = q + b * d.q_sb + (active ? i : i0) * d.q_st + h * d.q_sh;
  for (int e = 0; e < kMaxPerLane; ++e) {
    const int64_t c = lane + 32 * e;
    qv[e] = c < d.HS ? qrow[c] : 0.f;
    acc[e] = 0.f;
  }
  float m = -INFINITY, l = 0.f;
  const float* kbase = k + b * d.k_sb + g * d.k_sh;
  const float* vbase = v + b * d.v_sb + g * d.v_sh;
  for (int64_t t0 = lo_block; t0 <= hi_block; t0 += kKeyTile) {
    const int64_t n = min(int64_t(kKeyTile), hi_block - t0 + 1);
    __syncthreads();  // the previous tile is no longer read
    for (int64_t x = threadIdx.x; x < n * d.HS; x += blockDim.x) {
      const int64_t r = x / d.HS, c = x % d.HS;
      Ks[x] = kbase[(t0 + r) * d.k_st + c];
      Vs[x] = vbase[(t0 + r) * d.v_st + c];
    }
    __syncthreads();
    if (!active) continue;
    for (int64_t r = 0; r < n; ++r) {
      const int64_t j = t0 + r;
      if (j < lo || j > hi) continue;  // uniform across the warp
      float part = 0.f;
      for (int e = 0; e < kMaxPerLane; ++e) {
        const int64_t c = lane + 32 * e;
        if (c < d.HS) part += qv[e] * Ks[r * d.HS + c];
      }
      const float s = d.scale * warp_sum(part) + score_bias(slopes, h, pos, j);
      const float m_new = fmaxf(m, s);
      const float corr = m == -INFINITY ? 0.f : expf(m - m_new);
      const float pr = expf(s - m_new);
      l = l * corr + pr;
      const float pv = pr * drop_factor(d, b, h, i, j);
      for (int e = 0; e < kMaxPerLane; ++e) {
        const int64_t c = lane + 32 * e;
        if (c < d.HS) acc[e] = acc[e] * corr + pv * Vs[r * d.HS + c];
      }
      m = m_new;
    }
  }
  if (!active) return;
  float* orow = out + ((b * d.Tq + i) * d.NH + h) * d.HS;
  for (int e = 0; e < kMaxPerLane; ++e) {
    const int64_t c = lane + 32 * e;
    if (c < d.HS) orow[c] = acc[e] / l;
  }
  if (lane == 0) lse[(b * d.NH + h) * d.Tq + i] = m + logf(l);
}

// D[b, h, i] = dO_i · O_i; one warp per row.
__global__ void attention_rowdot(float* D, const float* dout, const float* out, Dims d) {
  const int64_t rows = d.B * d.NH * d.Tq;
  const int lane = threadIdx.x & 31;
  for (int64_t w = (blockIdx.x * int64_t(blockDim.x) + threadIdx.x) >> 5; w < rows;
       w += (int64_t(gridDim.x) * blockDim.x) >> 5) {
    const int64_t i = w % d.Tq, h = (w / d.Tq) % d.NH, b = w / (d.Tq * d.NH);
    const int64_t at = ((b * d.Tq + i) * d.NH + h) * d.HS;
    float s = 0.f;
    for (int64_t c = lane; c < d.HS; c += 32) s += dout[at + c] * out[at + c];
    s = warp_sum(s);
    if (lane == 0) D[w] = s;
  }
}

// P_ij (undropped), its dropout factor and dS_ij for query row (b, h, i) and key j, the dot
// products done by the warp. dP' = (dO_i·V_j)·factor, dS = P·(dP' − D_i).
struct Grad {
  float p, factor, ds;
};
__device__ inline Grad pair_grad(const Dims& d, const float* qrow, const float* dorow, const float* krow,
                                 const float* vrow, const float* slopes, int64_t b, int64_t h, int64_t i, int64_t j,
                                 float lse, float Di, int lane) {
  float qk = 0.f, dv = 0.f;
  for (int64_t c = lane; c < d.HS; c += 32) {
    qk += qrow[c] * krow[c];
    dv += dorow[c] * vrow[c];
  }
  qk = warp_sum(qk);
  dv = warp_sum(dv);
  const int64_t pos = d.Tk - d.Tq + i;
  const float p = expf(d.scale * qk + score_bias(slopes, h, pos, j) - lse);
  const float f = drop_factor(d, b, h, i, j);
  return {p, f, p * (dv * f - Di)};
}

// dq (at q's strides) = scale·Σ_j dS_ij·K_j; one warp per query row.
__global__ void attention_dq(float* dq, const float* dout, const float* q, const float* k, const float* v,
                             const float* lse, const float* D, const float* slopes, Dims d) {
  const int64_t rows = d.B * d.NH * d.Tq;
  const int lane = threadIdx.x & 31;
  for (int64_t w = (blockIdx.x * int64_t(blockDim.x) + threadIdx.x) >> 5; w < rows;
       w += (int64_t(gridDim.x) * blockDim.x) >> 5) {
    const int64_t i = w % d.Tq, h = (w / d.Tq) % d.NH, b = w / (d.Tq * d.NH), g = h / (d.NH / d.NKV);
    const float* qrow = q + b * d.q_sb + i * d.q_st + h * d.q_sh;
    const float* dorow = dout + ((b * d.Tq + i) * d.NH + h) * d.HS;
    float acc[kMaxPerLane] = {};
    int64_t lo, hi;
    visible(d, i, &lo, &hi);
    for (int64_t j = lo; j <= hi; ++j) {
      const float* krow = k + b * d.k_sb + j * d.k_st + g * d.k_sh;
      const float* vrow = v + b * d.v_sb + j * d.v_st + g * d.v_sh;
      Grad gr = pair_grad(d, qrow, dorow, krow, vrow, slopes, b, h, i, j, lse[w], D[w], lane);
      for (int e = 0; e < kMaxPerLane; ++e) {
        const int64_t c = lane + 32 * e;
        if (c < d.HS) acc[e] += gr.ds * krow[c];
      }
    }
    float* dqrow = dq + b * d.q_sb + i * d.q_st + h * d.q_sh;
    for (int e = 0; e < kMaxPerLane; ++e) {
      const int64_t c = lane + 32 * e;
      if (c < d.HS) dqrow[c] = d.scale * acc[e];
    }
  }
}

// dk = scale·Σ dS_ij·Q_i and dv = Σ P_ij·factor·dO_i over the query heads of kv head g and the
// queries that see key j; one warp per (b, g, j).
__global__ void attention_dkdv(float* dk, float* dv, const float* dout, const float* q, const float* k,
                               const float* v, const float* lse, const float* D, const float* slopes, Dims d) {
  const int64_t rows = d.B * d.NKV * d.Tk;
  const int lane = threadIdx.x & 31;
  const int64_t group = d.NH / d.NKV, shift = d.Tk - d.Tq;
  for (int64_t w = (blockIdx.x * int64_t(blockDim.x) + threadIdx.x) >> 5; w < rows;
       w += (int64_t(gridDim.x) * blockDim.x) >> 5) {
    const int64_t j = w % d.Tk, g = (w / d.Tk) % d.NKV, b = w / (d.Tk * d.NKV);
    const float* krow = k + b * d.k_sb + j * d.k_st + g * d.k_sh;
    const float* vrow = v + b * d.v_sb + j * d.v_st + g * d.v_sh;
    float ak[kMaxPerLane] = {}, av[kMaxPerLane] = {};
    // Queries at positions pos in [j, j + window] see key j: rows i = pos - shift.
    int64_t i_lo = j - shift > 0 ? j - shift : 0;
    int64_t i_hi = d.Tq - 1;
    if (d.window >= 0 && j + d.window - shift < i_hi) i_hi = j + d.window - shift;
    for (int64_t hh = 0; hh < group; ++hh) {
      const int64_t h = g * group + hh;
      for (int64_t i = i_lo; i <= i_hi; ++i) {
        const int64_t r = (b * d.NH + h) * d.Tq + i;
        const float* qrow = q + b * d.q_sb + i * d.q_st + h * d.q_sh;
        const float* dorow = dout + ((b * d.Tq + i) * d.NH + h) * d.HS;
        Grad gr = pair_grad(d, qrow, dorow, krow, vrow, slopes, b, h, i, j, lse[r], D[r], lane);
        const float pm = gr.p * gr.factor;
        for (int e = 0; e < kMaxPerLane; ++e) {
          const int64_t c = lane + 32 * e;
          if (c < d.HS) {
            ak[e] += gr.ds * qrow[c];
            av[e] += pm * dorow[c];
          }
        }
      }
    }
    float* dkrow = dk + b * d.k_sb + j * d.k_st + g * d.k_sh;
    float* dvrow = dv + b * d.v_sb + j * d.v_st + g * d.v_sh;
    for (int e = 0; e < kMaxPerLane; ++e) {
      const int64_t c = lane + 32 * e;
      if (c < d.HS) {
        dkrow[c] = d.scale * ak[e];
        dvrow[c] = av[e];
      }
    }
  }
}

int forward(const OpArgs& a, cudaStream_t s) {
  Dims d;
  if (int st = read_dims(a, 6, &d)) return st;
  if (d.B == 0 || d.Tq == 0 || d.NH == 0) return 0;
  dim3 grid(static_cast<unsigned>((d.Tq + kRowsPerBlock - 1) / kRowsPerBlock), static_cast<unsigned>(d.NH),
            static_cast<unsigned>(d.B));
  if (grid.y > 65535 || grid.z > 65535) return a.invalid("NH and B must be below 65536 on the GPU");
  const size_t shared = sizeof(float) * 2 * kKeyTile * size_t(d.HS);
  attention_forward<<<grid, 32 * kRowsPerBlock, shared, s>>>(a.ptr<float>(0), a.ptr<float>(1), a.ptr<const float>(2),
                                                             a.ptr<const float>(3), a.ptr<const float>(4),
                                                             a.ptr<const float>(5), d);
  return launched(a);
}

int backward(const OpArgs& a, cudaStream_t s) {
  Dims d;
  if (int st = read_dims(a, 10, &d)) return st;
  if (d.B == 0 || d.Tq == 0 || d.NH == 0) return 0;
  float *dq = a.ptr<float>(0), *dk = a.ptr<float>(1), *dv = a.ptr<float>(2);
  const float *dout = a.ptr<const float>(3), *q = a.ptr<const float>(4), *k = a.ptr<const float>(5);
  const float *v = a.ptr<const float>(6), *out = a.ptr<const float>(7), *lse = a.ptr<const float>(8);
  const float* slopes = a.ptr<const float>(9);
  const int64_t rows = d.B * d.NH * d.Tq;
  Scratch D;
  if (int st = D.allocate(a, sizeof(float) * size_t(rows), s)) return st;
  const int threads = 256, warps = threads / 32;
  attention_rowdot<<<grid_for(rows, warps), threads, 0, s>>>(D.as<float>(), dout, out, d);
  attention_dq<<<grid_for(rows, warps), threads, 0, s>>>(dq, dout, q, k, v, lse, D.as<float>(), slopes, d);
  // Keys a query never sees (Tk > Tq with a window) still get dk = dv = 0: every key row is visited.
  attention_dkdv<<<grid_for(d.B * d.NKV * d.Tk, warps), threads, 0, s>>>(dk, dv, dout, q, k, v, lse, D.as<float>(),
                                                                        slopes, d);
  return launched(a);
}

// ---- rotary and ALiBi ----

// out = rotate-half(x) on the first rotDim channels; sgn = -1 is the transposed rotation. Channels
// past rotDim are copied unless out is inp. One thread per (b, t, h, e < rotDim / 2) pair.
struct RotaryArgs {
  float* y;
  const float* x;
  const float *cos, *sin;
  int64_t B, T, NH, HS, rot, pos_offset;
  int64_t y_sb, y_st, y_sh, x_sb, x_st, x_sh;
  float sgn;
};

__global__ void rotary_kernel(RotaryArgs r) {
  const int64_t half = r.rot / 2, width = r.HS - half;  // per head: half pairs, then HS - rot copies
  const int64_t n = r.B * r.T * r.NH * width;
  for (int64_t idx = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; idx < n; idx += int64_t(gridDim.x) * blockDim.x) {
    const int64_t e = idx % width, h = (idx / width) % r.NH, t = (idx / (width * r.NH)) % r.T;
    const int64_t b = idx / (width * r.NH * r.T);
    const float* xi = r.x + b * r.x_sb + t * r.x_st + h * r.x_sh;
    float* yo = r.y + b * r.y_sb + t * r.y_st + h * r.y_sh;
    if (e < half) {
      const float c = r.cos[(t + r.pos_offset) * half + e], s = r.sgn * r.sin[(t + r.pos_offset) * half + e];
      const float x1 = xi[e], x2 = xi[e + half];
      yo[e] = x1 * c - x2 * s;
      yo[e + half] = x2 * c + x1 * s;
    } else if (yo != xi) {
      const int64_t ch = r.rot + (e - half);
      yo[ch] = xi[ch];
    }
  }
}

int rotary(const OpArgs& a, cudaStream_t s, float sgn) {
  RotaryArgs r{a.ptr<float>(0), a.ptr<const float>(1), a.ptr<const float>(2), a.ptr<const float>(3), a.size(4),
               a.size(5), a.size(6), a.size(7), a.size(8), a.size(9), a.size(10), a.size(11), a.size(12), a.size(13),
               a.size(14), a.size(15), sgn};
  if (r.rot < 2 || r.rot % 2 != 0 || r.rot > r.HS)
    return a.invalid("rotDim " + std::to_string(r.rot) + " must be even, >= 2 and <= HS " + std::to_string(r.HS));
  const int64_t n = r.B * r.T * r.NH * (r.HS - r.rot / 2);
  if (n == 0) return 0;
  rotary_kernel<<<grid_for(n), 256, 0, s>>>(r);
  return launched(a);
}

// Host-computed tables copied to the device: they are built once per model, and computing them
// here exactly as the CPU does (rotary.cc, alibi.cc: powers in double, rounded once) keeps them
// bit-identical to the CPU's. The copy is queued on the launch's stream, so it runs after the work
// before it there and before the kernels after it, and waited for before `host` goes away. (A
// synchronous cudaMemcpy runs on the default stream, which our non-blocking streams do not wait
// for, and from pageable memory it may return before the data has landed.)
int upload(const OpArgs& a, cudaStream_t s, float* dst, const std::vector<float>& host) {
  if (host.empty()) return 0;
  if (int st = cuda_check(cudaMemcpyAsync(dst, host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice, s),
                          a.op))
    return st;
  return cuda_check(cudaStreamSynchronize(s), a.op);
}

int rotary_table(const OpArgs& a, cudaStream_t s) {
  const int64_t n_pos = a.size(2), rot = a.size(3);
  const double base = a.num(4);
  if (rot < 2 || rot % 2 != 0) return a.invalid("rotDim must be even and >= 2, got " + std::to_string(rot));
  if (!(base > 0.0) || !std::isfinite(base)) return a.invalid("base must be > 0");
  const int64_t half = rot / 2;
  std::vector<float> cos(static_cast<size_t>(n_pos * half)), sin(cos.size());
  for (int64_t i = 0; i < half; ++i) {
    const float ex = static_cast<float>(2 * i) / static_cast<float>(rot);
    const float inv_freq = 1.0f / static_cast<float>(std::pow(static_cast<double>(static_cast<float>(base)), double(ex)));
    for (int64_t t = 0; t < n_pos; ++t) {
      const float angle = static_cast<float>(t) * inv_freq;
      cos[size_t(t * half + i)] = static_cast<float>(std::cos(static_cast<double>(angle)));
      sin[size_t(t * half + i)] = static_cast<float>(std::sin(static_cast<double>(angle)));
    }
  }
  if (int st = upload(a, s, a.ptr<float>(0), cos)) return st;
  return upload(a, s, a.ptr<float>(1), sin);
}

std::vector<double> slopes_of(int64_t n) {
  const double lg = std::log2(static_cast<double>(n));
  std::vector<double> out;
  if (std::floor(lg) == lg) {
    const double start = std::pow(2.0, -std::pow(2.0, -(lg - 3.0)));
    for (int64_t i = 0; i < n; ++i) out.push_back(start * std::pow(start, static_cast<double>(i)));
    return out;
  }
  const int64_t p = int64_t{1} << static_cast<int>(std::floor(lg));
  out = slopes_of(p);
  const std::vector<double> twice = slopes_of(2 * p);
  for (int64_t i = 0; i < n - p; ++i) out.push_back(twice[size_t(2 * i)]);
  return out;
}

int alibi_slopes(const OpArgs& a, cudaStream_t s) {
  const int64_t NH = a.size(1);
  if (NH < 1) return a.invalid("NH must be >= 1");
  std::vector<float> host;
  for (double v : slopes_of(NH)) host.push_back(static_cast<float>(v));
  return upload(a, s, a.ptr<float>(0), host);
}

#define ATTN_DIMS                                                                                           \
  "B:s,Tq:s,Tk:s,NH:s,NKV:s,HS:s,qStrideB:s,qStrideT:s,qStrideH:s,kStrideB:s,kStrideT:s,kStrideH:s,vStrideB:s," \
  "vStrideT:s,vStrideH:s,window:i,scale:f,dropoutP:f,seed:f,offset:f"
#define ROT_DIMS "B:s,T:s,NH:s,HS:s,rotDim:s,posOffset:s"

const OpSpec kOps[] = {
    {"attentionForward", "out:p,lse:p,q:p,k:p,v:p,slopes:o," ATTN_DIMS, forward},
    {"attentionBackward", "dq:p,dk:p,dv:p,dout:p,q:p,k:p,v:p,out:p,lse:p,slopes:o," ATTN_DIMS, backward},
    {"rotaryTable", "cos:p,sin:p,nPos:s,rotDim:s,base:f", rotary_table},
    {"rotaryForward", "out:p,inp:p,cos:p,sin:p," ROT_DIMS ",outStrideB:s,outStrideT:s,outStrideH:s,inpStrideB:s,"
                      "inpStrideT:s,inpStrideH:s",
     [](const OpArgs& a, cudaStream_t s) { return rotary(a, s, 1.f); }},
    {"rotaryBackward", "dinp:p,dout:p,cos:p,sin:p," ROT_DIMS ",dinpStrideB:s,dinpStrideT:s,dinpStrideH:s,"
                       "doutStrideB:s,doutStrideT:s,doutStrideH:s",
     [](const OpArgs& a, cudaStream_t s) { return rotary(a, s, -1.f); }},
    {"alibiSlopes", "slopes:p,NH:s", alibi_slopes},
};

}  // namespace

const OpSpec* attention_ops(int* count) {
  *count = sizeof(kOps) / sizeof(kOps[0]);
  return kOps;
}

}  // namespace neox::gpu
