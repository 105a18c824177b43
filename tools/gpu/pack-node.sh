#!/usr/bin/env bash
# Packs what device-check.sh needs on the GPU machine, which has no Node.js and no node_modules,
# into tools/gpu/build/ (ignored by git: copy it along with the working tree):
#   node.tar.xz          this machine's `node` binary (an official, self-contained build), xz
#   parity-runner.mjs    tools/gpu/parity-runner.ts bundled by esbuild with @neox/tensor and
#                        @neox/kernels from source (the GPU op parity table, no vitest)
#   train-runner.mjs     tools/gpu/train-runner.ts with the trainer and its packages (cpu vs cuda
#                        loss curves, resume on cuda)
#   bench-runner.mjs     tools/gpu/bench-runner.ts (`pnpm bench:gpu`: GEMM and training speed
#                        beside PyTorch; it runs tools/gpu/bench_torch_gpu.py from the checkout)
#   node-api-include/    the Node-API headers, for building the addon with plain CMake there
# Fails when the bundle would exceed 60 MiB (kept small so the copy to the GPU machine is quick).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=tools/gpu/build
mkdir -p "$OUT"

node_bin=$(command -v node)
if ldd "$node_bin" | grep -q libnode; then
  echo "pack-node: $node_bin links libnode (a distribution build); use an official Node binary" >&2
  exit 1
fi
echo "pack-node: $node_bin $(node -v), $(du -h "$node_bin" | cut -f1) -> $OUT/node.tar.xz"
XZ_OPT="-6 -T2" tar -C "$(dirname "$node_bin")" -cJf "$OUT/node.tar.xz" "$(basename "$node_bin")"

for runner in parity-runner train-runner bench-runner; do
  node_modules/.bin/esbuild "tools/gpu/$runner.ts" --bundle --platform=node --format=esm \
    --conditions=@neox/source --target=node20 --log-level=warning --outfile="$OUT/$runner.mjs" \
    --banner:js="import { createRequire as __neoxRequire } from 'node:module'; const require = __neoxRequire(import.meta.url);"
done

headers=$(ls -d node_modules/.pnpm/node-api-headers@*/node_modules/node-api-headers/include | head -1)
rm -rf "$OUT/node-api-include"
cp -r "$headers" "$OUT/node-api-include"

total=$(du -sb "$OUT" | cut -f1)
echo "pack-node: $OUT is $((total / 1048576)) MiB"
if [ "$total" -gt $((60 * 1048576)) ]; then
  echo "pack-node: $OUT is over 60 MiB" >&2
  exit 1
fi
