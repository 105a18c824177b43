// Work split for ops over many tensors in one call (the optimizers, global norm): every tensor is
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

// Runs fn(tensor, begin, end) for every block of tensors[0 .. count) (each with `n` elements), the
// blocks shared between threads. An element-wise update gives the same bits whichever thread runs
// a block (the optimizers).
template <typename Tensor, typename Fn>
void for_each_block(const Tensor* tensors, int64_t count, Fn&& fn) {
  std::vector<TensorBlock> blocks = split_blocks(count, [&](int64_t t) { return tensors[t].n; });
  parallel_for(static_cast<int64_t>(blocks.size()), 1, [&](int64_t bb, int64_t be) {
    for (int64_t i = bb; i < be; ++i) {
      const TensorBlock& blk = blocks[static_cast<size_t>(i)];
      fn(tensors[blk.tensor], blk.begin, blk.end);
    }
  });
}
