#!/usr/bin/env bash
# The GPU machine's check, in one run (under 8 minutes): run from the repository root with the
# bundle of pack-node.sh carried along (carry: tools/gpu/build), e.g.
#   bash tools/gpu/pack-node.sh                       # here, once
#   run: bash tools/gpu/device-check.sh  carry=[tools/gpu/build]  timeout ~540 s
# It builds the addon and libneox_gpu.so there with CMake and nvcc, runs the C++ kernel tests,
# runs the GPU op parity table (every GPU op against the CPU kernel of the same name), and says
# why there is no cuda-vs-cpu training run yet. Everything goes to $OUT (default
# /tmp/neox-device-check): device-check.log, parity-report.json, summary.txt.
# Exit status: 0 when the build and the parity table pass.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/neox-device-check}
mkdir -p "$OUT"
exec > >(tee "$OUT/device-check.log") 2>&1
START=$(date +%s)
BUNDLE=$PWD/tools/gpu/build
BUILD=/tmp/neox-device-build
JOBS=$(nproc)
summary() { echo "$1" | tee -a "$OUT/summary.txt"; }
step() { echo; echo "== $1 (+$(($(date +%s) - START)) s)"; }
: >"$OUT/summary.txt"

step "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || summary "nvidia-smi: failed"
for dir in /usr/local/cuda/bin /usr/local/cuda-*/bin; do
  [ -x "$dir/nvcc" ] && ! command -v nvcc >/dev/null && export PATH="$dir:$PATH"
done
nvcc --version | tail -2 || { summary "FAIL no nvcc on PATH or in /usr/local/cuda*/bin"; exit 1; }
cmake --version | head -1 || { summary "FAIL no cmake"; exit 1; }
# cuBLAS is loaded at run time by soname: make the toolkit's copy findable.
for dir in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
  [ -d "$dir" ] && export LD_LIBRARY_PATH="$dir:${LD_LIBRARY_PATH:-}"
done

step "node"
if [ ! -f "$BUNDLE/node.tar.xz" ]; then
  summary "FAIL $BUNDLE/node.tar.xz is missing: run tools/gpu/pack-node.sh and carry tools/gpu/build"
  exit 1
fi
mkdir -p /tmp/neox-node && tar -C /tmp/neox-node -xJf "$BUNDLE/node.tar.xz"
export PATH="/tmp/neox-node:$PATH"
node -v

step "build: addon and libneox_gpu.so (CMake, nvcc)"
if cmake -S packages/kernels -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_JS_INC="$BUNDLE/node-api-include" \
  >"$OUT/cmake-configure.log" 2>&1 &&
  timeout 240 cmake --build "$BUILD" --target neox_kernels neox_gpu -j"$JOBS" >"$OUT/cmake-build.log" 2>&1; then
  summary "PASS build ($(($(date +%s) - START)) s)"
else
  tail -40 "$OUT/cmake-configure.log" "$OUT/cmake-build.log" 2>/dev/null
  summary "FAIL build: see cmake-configure.log, cmake-build.log"
  exit 1
fi
export NEOX_KERNELS_ADDON=$(find "$BUILD" -name neox_kernels.node | head -1)
export NEOX_CUDA_LIB=$(find "$BUILD" -name libneox_gpu.so | head -1)
echo "addon $NEOX_KERNELS_ADDON, GPU library $NEOX_CUDA_LIB"

step "GPU op parity: every GPU op against the CPU kernel"
timeout 200 node "$BUNDLE/parity-runner.mjs" "$OUT/parity-report.json" | tee "$OUT/parity.log"
parity=${PIPESTATUS[0]}
summary "$([ "$parity" = 0 ] && echo PASS || echo FAIL) GPU op parity: $(tail -1 "$OUT/parity.log")"
grep '^FAIL' "$OUT/parity.log" | head -20 | tee -a "$OUT/summary.txt"

step "C++ kernel tests (CPU kernels, caching allocator, library loading)"
if [ $(($(date +%s) - START)) -lt 300 ]; then
  if cmake -S kernels -B "$BUILD-tests" -DCMAKE_BUILD_TYPE=Release >"$OUT/cpp-configure.log" 2>&1 &&
    timeout 120 cmake --build "$BUILD-tests" --target neox_kernel_tests -j"$JOBS" >"$OUT/cpp-build.log" 2>&1 &&
    timeout 60 "$BUILD-tests/neox_kernel_tests" >"$OUT/cpp-tests.log" 2>&1; then
    summary "PASS C++ kernel tests"
  else
    tail -20 "$OUT/cpp-tests.log" "$OUT/cpp-build.log" 2>/dev/null
    summary "FAIL C++ kernel tests: see cpp-*.log"
  fi
else
  summary "SKIP C++ kernel tests: over 300 s already"
fi

step "training: 50 steps on cuda against cpu"
summary "NOT RUN training on cuda: the trainer cannot run on cuda yet (packages/trainer and packages/models create every tensor on the CPU backend; there is no device setting), so there is no cuda-vs-cpu run to compare"

step "done"
summary "total $(($(date +%s) - START)) s"
cat "$OUT/summary.txt"
exit "$parity"
