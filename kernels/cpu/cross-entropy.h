// Softmax cross-entropy over the vocabulary, fused: the forward keeps each row's log-sum-exp and
// the backward writes the logits gradient directly (in place when dlogits == logits). N rows
// (tokens), V vocabulary. Loss = Σ_n CE_n·m_n / Σ_n m_n in fp32, m_n = mask[n]·[target_n >= 0]
// (GPT-NeoX: loss_mask times label validity); a negative target marks an ignored row.
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace neox {
NEOX_DECLARE_FOR_ALL_ISAS(
    // loss[0] = masked mean (0 when Σm = 0); losses[n] = CE_n for rows with a target (0 for ignored
    // rows), lse[n] = log Σ_v exp(logits[n,v]); losses, lse and mask may be null (mask null = 1).
    // Returns -1, or the first n with target >= V (nothing written then).
    int64_t cross_entropy_forward(float* loss, float* losses, float* lse, const float* logits,
                                  const int32_t* targets, const float* mask, int64_t N, int64_t V);
    // dlogits[n,v] = dloss·m_n/Σm · (softmax(logits[n])_v - [v == target_n]) using the forward's lse.
    // dloss points at the upstream gradient in device memory (one float: 1, or the fp16 loss scale),
    // so a recorded step reads it afresh on every replay.
    int64_t cross_entropy_backward(float* dlogits, const float* logits, const float* lse,
                                   const int32_t* targets, const float* mask, const float* dloss, int64_t N,
                                   int64_t V);
    // Forward and backward in one pass over the logits, for training: writes loss[0] (and losses
    // when given) as the forward does and dlogits as the backward does with upstream gradient
    // *dloss. Each row is read from memory once; dlogits == logits overwrites the logits with their
    // gradient (no second N×V buffer).
    int64_t cross_entropy_fused(float* loss, float* losses, float* dlogits, const float* logits,
                                const int32_t* targets, const float* mask, const float* dloss, int64_t N,
                                int64_t V);)
}  // namespace neox
