// Fused causal attention, flash style (FlashAttention-2 tiling with online softmax), fp32.
// B batch, Tq queries, Tk keys (Tk >= Tq; the queries are the last Tq positions, so Tq < Tk is
// a KV-cache step), NH query heads, NKV key/value heads (NH % NKV == 0: GQA/MQA share a K/V head
// among G = NH / NKV consecutive query heads, GPT-NeoX/HF repeat_interleave order), HS head size.
//
// Layouts (strides in elements; the head dimension is always contiguous):
//   q   (B, Tq, NH,  HS) at q + b*q_sb + t*q_st + h*q_sh
//   k,v (B, Tk, NKV, HS) likewise with their own strides, so both fused QKV projection layouts
//       are views without copies: GPT-NeoX MHA interleaves per head [s,b,NH,3*HS] (q_sh = 3*HS,
//       k = q + HS, v = q + 2*HS); GQA is blocked [NH*HS | NKV*HS | NKV*HS] per token.
//   out, dout (B, Tq, NH, HS) contiguous, i.e. (B, T, C) ready for the output projection.
//   lse (B, NH, Tq) fp32: log-sum-exp of each softmax row, saved for the backward pass.
//   dq, dk, dv have the strides of q, k, v (so a fused dQKV buffer is written in place); they
//   are overwritten, not accumulated into.
//
// Scores: s = scale * q.k (+ ALiBi -slope_h * (i - j)), key j visible to the query at absolute
// position i iff j <= i and, with a sliding window w >= 0, j >= i - w. That is GPT-NeoX's
// convention: flash-attn window_size=(w, -1) and the dense mask triu(tril(1), -w), so a query
// sees w + 1 keys including itself (megatron/model/transformer.py, megatron/utils.py). HF Mistral
// counts the window as w keys; pass w - 1 to get that. window < 0 means no window.
//
// Dropout on the probabilities (GPT-NeoX attention_dropout, torch's dropout(softmax(s)) @ v):
// out = (P ∘ M / (1-p))·V with P the softmax and M a keep mask that is never stored. M is the
// counter-based mask of dropout.h (hash in attention-dropout.h), element (b, h, i, j) taking
//   counter = offset + ((b·NH + h)·Tq + i)·Tk + j       (i the query row in [0, Tq), j the key),
// so the mask equals dropout_forward's on the dense (B, NH, Tq, Tk) probability tensor with the
// same (seed, offset), on every ISA and at any thread count, and the backward regenerates it.
// lse stays that of the undropped softmax. The backward keeps D = rowsum(dO∘O) (O = P_M·V, so
// Σ_j P_ij·dP'_ij = dO_i·O_i still holds): dV = P_Mᵀ·dO, dP' = (dO·Vᵀ) ∘ M/(1-p), dS = P∘(dP' − D).
// p = 0 skips every dropout step, so the kernels then do exactly what they do without it.
#pragma once

#include <cstdint>

namespace neox {

struct AttentionDims {
  int64_t B, Tq, Tk, NH, NKV, HS;
  int64_t q_sb, q_st, q_sh;
  int64_t k_sb, k_st, k_sh;
  int64_t v_sb, v_st, v_sh;
  int64_t window;  // sliding window width (GPT-NeoX sliding_window_width), < 0 for none
  float scale;     // usually 1/sqrt(HS)
};

// p in [0, 1): drop probability (0 = no dropout). A call uses counters offset ..
// offset + B·NH·Tq·Tk - 1; forward and backward of one call take the same three numbers.
struct AttentionDropout {
  float p = 0.0f;
  uint64_t seed = 0;
  uint64_t offset = 0;
};

// Throws std::invalid_argument naming the bad size when dims are inconsistent.
void attention_check_dims(const AttentionDims& d);
// Throws std::invalid_argument unless 0 <= p < 1.
void attention_check_dropout(const AttentionDropout& drop);

// One query per sequence (Tq = 1), fp32, HS a multiple of 16: the decode path (attention-decode.cc);
// returns false, doing nothing, for any other shape. attention_forward takes it when it applies,
// after checking d (attention_check_dims).
bool attention_decode_f32(float* out, float* lse, const float* q, const float* k, const float* v,
                          const float* alibi_slopes, const AttentionDims& d);

// One decode step of R single-token rows of a flat fused-QKV batch against a slot-major KV cache
// (attention-decode-step.cc): per row r, the new k and v of qkv row rows[r] are rotated (k) and
// written into cache slot slots[r] at position positions[r] (that slot's cached length before the
// call), then each query head (rotated at the same position) attends to the slot's keys
// 0 .. positions[r] (window as above) and writes out row rows[r]. Rows not listed are untouched.
//   qkv (N, W) f32: head h's q at row·W + q_off + h·q_sh, kv head g's k/v at k_off + g·k_sh,
//       v_off + g·v_sh (GPT-NeoX interleaved MHA: 0, HS, 2·HS with head strides 3·HS; blocked
//       GQA: 0, NH·HS, (NH + NKV)·HS with head strides HS).
//   cache_k, cache_v (S, maxT, NKV, HS), written at (slots[r], positions[r]): f32, or with
//       cache_bf16 bf16 bits (the new k, after rotary, and v rounded to nearest even as
//       f32_to_bf16 rounds; cached K and V widened to fp32 as they are read, all arithmetic fp32).
//   cos, sin (n_pos, rot_dim/2) rotary tables (rotate-half on the first rot_dim channels, as
//       rotary_forward), or nullptr with rot_dim = 0; alibi_slopes NH floats or nullptr.
//   out (N, NH·HS) f32.
// Throws std::invalid_argument (nothing written) for a row, slot or position out of range, a slot
// or row listed twice, or offsets that do not fit in W.
struct DecodeStepDims {
  int64_t R, N, W, NH, NKV, HS;
  int64_t q_off, k_off, v_off, q_sh, k_sh, v_sh;
  int64_t S, maxT, n_pos, rot_dim;
  int64_t window;  // < 0 for none
  float scale;
  bool cache_bf16;  // cache_k / cache_v hold uint16_t bf16 bits rather than floats
};
void attention_decode_step(float* out, void* cache_k, void* cache_v, const float* qkv, const int32_t* rows,
                           const int32_t* slots, const int32_t* positions, const float* cos, const float* sin,
                           const float* alibi_slopes, const DecodeStepDims& d);

// alibi_slopes: NH floats, or nullptr for no ALiBi.
void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v,
                       const float* alibi_slopes, const AttentionDims& d, const AttentionDropout& drop = {});

void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q,
                        const float* k, const float* v, const float* out, const float* lse,
                        const float* alibi_slopes, const AttentionDims& d, const AttentionDropout& drop = {});

// bf16 storage (raw bits, round to nearest even on store) for q, k, v, out, dout, dq, dk, dv;
// lse, slopes and all arithmetic stay fp32. Each output is rounded to bf16 once. (A vdpbf16ps
// variant with bf16 P was tried: on the Xeon these kernels were tuned on, vdpbf16ps issues at a
// quarter of the FMA rate, so it ran at 45-66 GFLOP/s against 90-120 for this path, and rounding
// P to bf16 cost accuracy. Worth revisiting on Zen 4, where vdpbf16ps runs at twice the FMA rate.)
void attention_forward_bf16(uint16_t* out, float* lse, const uint16_t* q, const uint16_t* k,
                            const uint16_t* v, const float* alibi_slopes, const AttentionDims& d,
                            const AttentionDropout& drop = {});

void attention_backward_bf16(uint16_t* dq, uint16_t* dk, uint16_t* dv, const uint16_t* dout,
                             const uint16_t* q, const uint16_t* k, const uint16_t* v, const uint16_t* out,
                             const float* lse, const float* alibi_slopes, const AttentionDims& d,
                             const AttentionDropout& drop = {});

}  // namespace neox
