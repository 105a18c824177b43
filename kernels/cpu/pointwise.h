// The loop every element-wise activation shares: out = f(x) forward, dinp = g(dout, x) backward, over
// parallel ranges of kElementGrain elements, one vector at a time (masked tail), prefetching ahead and
// streaming stores past the cache size. Included inside NEOX_VEC_NS, after vec.h, so each ISA copy of
// an op instantiates it with its own vector type. An op file keeps only its formula.

template <class F>
void pointwise_forward(float* out, const float* inp, int64_t n, F f) {
  const bool nt = streaming(n * 4);
  parallel_for(n, kElementGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i += VecF::W) {
      int k = lanes(i, e);
      prefetch_ahead(inp + i);
      store_out(out + i, f(VecF::load(inp + i, k)), k, nt);
    }
    stream_fence(nt);
  });
}

template <class G>
void pointwise_backward(float* dinp, const float* dout, const float* inp, int64_t n, G g) {
  const bool nt = streaming(n * 4);
  parallel_for(n, kElementGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i += VecF::W) {
      int k = lanes(i, e);
      prefetch_ahead(dout + i);
      prefetch_ahead(inp + i);
      store_out(dinp + i, g(VecF::load(dout + i, k), VecF::load(inp + i, k)), k, nt);
    }
    stream_fence(nt);
  });
}
