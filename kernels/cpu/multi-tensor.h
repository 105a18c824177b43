// Work split for ops over many tensors in one call (AdamW, global norm, clipping): every tensor is
// cut into blocks of at most kBlock elements, and the flat block list is shared between threads.
// Included inside namespace neox::NEOX_VEC_NS (no symbol is shared between ISA copies).
#pragma once

constexpr int64_t kBlock = 1 << 16;

struct TensorBlock {
  int64_t tensor;
  int64_t begin;
  int64_t end;
};

template <typename SizeOf>
std::vector<TensorBlock> split_blocks(int64_t count, SizeOf size_of) {
  std::vector<TensorBlock> blocks;
  for (int64_t t = 0; t < count; ++t) {
    int64_t n = size_of(t);
    for (int64_t b = 0; b < n; b += kBlock) blocks.push_back({t, b, b + kBlock < n ? b + kBlock : n});
  }
  return blocks;
}
