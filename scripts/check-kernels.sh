#!/usr/bin/env bash
# Runs the PyTorch reference tests (logits, losses and gradients of the Llama decoder and LoRA,
# against Hugging Face fixtures) under every OpenBLAS kernel this machine can run, and the BLAS
# self-test of each. A kernel whose name OpenBLAS does not honour here, or whose instructions the
# CPU lacks, is reported as skipped. Usage: scripts/check-kernels.sh [kernel …]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --build-tests -Xswiftc -enable-testing >/dev/null
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(Prescott Nehalem Sandybridge Haswell Zen SkylakeX Cooperlake)
status=0
for kernel in "${kernels[@]}"; do
  # The doctor reports what OpenBLAS really runs with OPENBLAS_CORETYPE=$kernel (selection off).
  report=$(OPENBLAS_CORETYPE=$kernel FEDSIM_BLAS_SELECTION=off .build/release/fedsim doctor 2>/dev/null || true)
  running=$(sed -n 's/^kernel: *\([A-Za-z0-9]*\).*/\1/p' <<<"$report")
  if [ "${running,,}" != "${kernel,,}" ]; then
    echo "$kernel: skipped (OpenBLAS runs ${running:-nothing} instead)"
    continue
  fi
  selftest=$(sed -n 's/^self-test: *//p' <<<"$report")
  if OPENBLAS_CORETYPE=$kernel swift test -c release --skip-build --filter "PyTorchReferenceTests|KernelSelfTest|theSelfTest" >/tmp/fedsim-kernel-$kernel.log 2>&1; then
    echo "$kernel: PyTorch reference tests passed; BLAS self-test $selftest"
  else
    echo "$kernel: PyTorch reference tests FAILED (log: /tmp/fedsim-kernel-$kernel.log); BLAS self-test $selftest"
    status=1
  fi
done
exit $status
