#!/usr/bin/env bash
# The GPU machine's check, in one run (under 9 minutes): run from the repository root of a copy of
# the working tree that includes the bundle pack-node.sh made (tools/gpu/build), e.g.
#   bash tools/gpu/pack-node.sh                       # on the development machine, once
#   OUT=reports bash tools/gpu/device-check.sh        # on the GPU machine
# It builds the addon and libneox_gpu.so there with CMake and nvcc, then runs, in order and each
# under its own timeout so that one failure or hang does not lose the rest:
#   1. the GPU op parity table (every GPU op against the CPU kernel of the same name)
#   2. train-runner: a tiny model 50 iterations on cpu and cuda:0 (fp32, bf16) and resume on cuda
#   3. bench-runner (`pnpm bench:gpu`): GEMM and Pythia-160M/410M training beside PyTorch
#   4. the C++ kernel tests, only with CPP_TESTS=1 (CPU kernels: CI runs them anyway)
# Everything goes to $OUT (default /tmp/neox-device-check), at most 8 files, so that a caller
# copying the reports back has little to fetch: summary.txt, device-check.log, parity-report.json, train-report.json,
# bench-report.json, logs.tar.gz (cmake and per-step logs). See tools/gpu/README.md.
# Exit status: 0 when the build, the parity table, the training check and the bench all pass.
# CPU_ONLY=1 runs the three runners with their CPU flags (--cpu, --cpu-only): a check of this
# script's flow on a machine without a GPU, where nvcc, cmake and nvidia-smi are stand-ins.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/neox-device-check}
LOGS=/tmp/neox-device-logs
mkdir -p "$OUT" "$LOGS"
exec > >(tee "$OUT/device-check.log") 2>&1
START=$(date +%s)
DEADLINE=${DEADLINE:-520} # seconds from START by which everything has finished
BUNDLE=$PWD/tools/gpu/build
BUILD=/tmp/neox-device-build
JOBS=$(nproc)
export PYTHONUNBUFFERED=1
summary() { echo "$1" | tee -a "$OUT/summary.txt"; }
step() { echo; echo "== $1 (+$(elapsed) s)"; }
elapsed() { echo $(($(date +%s) - START)); }
left() { echo $((DEADLINE - $(elapsed))); }
# The smaller of a step's cap and what the deadline leaves after `reserve` seconds for later steps.
budget() { local cap=$1 reserve=$2 l; l=$(($(left) - reserve)); echo $((l < cap ? l : cap)); }
pack_logs() { tar -C "$LOGS" -czf "$OUT/logs.tar.gz" . 2>/dev/null; }
trap pack_logs EXIT
: >"$OUT/summary.txt"
status=0

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
for f in node.tar.xz parity-runner.mjs train-runner.mjs bench-runner.mjs; do
  if [ ! -f "$BUNDLE/$f" ]; then
    summary "FAIL $BUNDLE/$f is missing: run tools/gpu/pack-node.sh and copy tools/gpu/build along"
    exit 1
  fi
done
mkdir -p /tmp/neox-node && tar -C /tmp/neox-node -xJf "$BUNDLE/node.tar.xz"
export PATH="/tmp/neox-node:$PATH"
node -v

step "build: addon and libneox_gpu.so (CMake, nvcc, -j$JOBS)"
if cmake -S packages/kernels -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_JS_INC="$BUNDLE/node-api-include" \
  >"$LOGS/cmake-configure.log" 2>&1 &&
  timeout 240 cmake --build "$BUILD" --target neox_kernels neox_gpu -j"$JOBS" >"$LOGS/cmake-build.log" 2>&1; then
  summary "PASS build ($(elapsed) s)"
else
  tail -40 "$LOGS/cmake-configure.log" "$LOGS/cmake-build.log" 2>/dev/null
  summary "FAIL build: see cmake-configure.log, cmake-build.log in logs.tar.gz"
  exit 1
fi
export NEOX_KERNELS_ADDON=$(find "$BUILD" -name neox_kernels.node | head -1)
export NEOX_CUDA_LIB=$(find "$BUILD" -name libneox_gpu.so | head -1)
echo "addon $NEOX_KERNELS_ADDON, GPU library $NEOX_CUDA_LIB"

# Runs one step's command under `timeout`, its output in the log and in $LOGS/<name>.log; the
# summary line is PASS/FAIL/TIMEOUT with the last line the command printed.
run_step() {
  local name=$1 seconds=$2 rc
  shift 2
  if [ "$seconds" -lt 10 ]; then
    summary "SKIP $name: under 10 s of its share left ($(left) s to the deadline, the rest kept for later steps)"
    status=1
    return
  fi
  echo "(timeout $seconds s) $*"
  timeout -k 5 "$seconds" "$@" 2>&1 | tee "$LOGS/$name.log"
  rc=${PIPESTATUS[0]}
  # the report line, else the error, else the last line that is not a stack frame
  local lines last
  lines=$(grep -v -E '^\s*(at .*)?$|^Node\.js v' "$LOGS/$name.log")
  last=$( (grep -E 'REPORT |passed; report|Error' <<<"$lines" || tail -1 <<<"$lines") | tail -1 | cut -c1-400)
  case $rc in
  0) summary "PASS $name ($seconds s cap): $last" ;;
  124 | 137) summary "TIMEOUT $name after $seconds s: $last"; status=1 ;;
  *) summary "FAIL $name (exit $rc): $last"; status=1 ;;
  esac
}

cpu_flag=() cpu_only_flag=()
[ "${CPU_ONLY:-0}" = 1 ] && cpu_flag=(--cpu) cpu_only_flag=(--cpu-only)

step "1. GPU op parity: every GPU op against the CPU kernel"
run_step parity "$(budget 90 250)" node "$BUNDLE/parity-runner.mjs" "$OUT/parity-report.json" "${cpu_flag[@]}"
grep '^FAIL' "$LOGS/parity.log" | head -20 | tee -a "$OUT/summary.txt"

step "2. training: a tiny model on cpu and cuda:0 (fp32, bf16), resume on cuda:0"
run_step train "$(budget 120 180)" node "$BUNDLE/train-runner.mjs" "$OUT/train-report.json" "${cpu_only_flag[@]}"
grep '^\(PASS\|FAIL\) ' "$LOGS/train.log" | cut -c1-300 | tee -a "$OUT/summary.txt"

step "3. bench:gpu: GEMM and Pythia-160M/410M training beside PyTorch"
bench_s=$(budget 330 10)
run_step bench "$bench_s" node "$BUNDLE/bench-runner.mjs" "$OUT/bench-report.json" --budget $((bench_s - 15)) \
  "${cpu_only_flag[@]}"
# the tables: from the GEMM header to the goals line
sed -n '/^GEMM (M×N×K)/,/^goals:/p' "$LOGS/bench.log" | tee -a "$OUT/summary.txt"

step "4. C++ kernel tests (CPU kernels, caching allocator, library loading)"
if [ "${CPP_TESTS:-0}" = 1 ] && [ "$(left)" -gt 90 ]; then
  if cmake -S kernels -B "$BUILD-tests" -DCMAKE_BUILD_TYPE=Release >"$LOGS/cpp-configure.log" 2>&1 &&
    timeout $(($(left) - 30)) cmake --build "$BUILD-tests" --target neox_kernel_tests -j"$JOBS" >"$LOGS/cpp-build.log" 2>&1 &&
    timeout 20 "$BUILD-tests/neox_kernel_tests" >"$LOGS/cpp-tests.log" 2>&1; then
    summary "PASS C++ kernel tests"
  else
    tail -20 "$LOGS/cpp-tests.log" "$LOGS/cpp-build.log" 2>/dev/null
    summary "FAIL C++ kernel tests: see cpp-*.log in logs.tar.gz"
  fi
else
  summary "SKIP C++ kernel tests (CPU kernels, run by CI; CPP_TESTS=1 runs them when time is left)"
fi

step "done"
summary "total $(elapsed) s"
cat "$OUT/summary.txt"
exit "$status"
