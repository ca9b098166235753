#!/usr/bin/env bash
# qimeng sw design --target cuda on a bare CUDA host: bash ops/gpu/design_on_device.sh OUTDIR [WHEELS]
# The host needs python3 with torch (CUDA) and Triton; qimeng's other dependencies are installed
# from WHEELS (a folder of cp312 wheels, default .whl) into a private folder, nothing system-wide.
# Writes OUTDIR/device_log.txt (versions, nvidia-smi, the GPU test), and per request
# OUTDIR/sw_design_<name>.json (the design as JSON), .log (stderr) and gpu_record_<name>.json.
set -uo pipefail
out="$1"; wheels="${2:-.whl}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mkdir -p "$out"
site=/tmp/qimeng-site
log="$out/device_log.txt"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" "$wheels"/*.whl >"$log" 2>&1 || { echo "wheel install failed" | tee -a "$log"; exit 1; }
export PYTHONPATH="$site:$here" QIMENG_RUN_DIR=/tmp/qimeng-runs PYTHONUNBUFFERED=1
cd "$here"
{ nvidia-smi; ls -l /dev/nvidia* /proc/driver/nvidia/version; python3 -c 'import sys, torch, triton, pydantic, langgraph; print(sys.version, torch.__version__, torch.cuda.is_available(), triton.__version__, pydantic.VERSION)'; } >>"$log" 2>&1
design() {  # name, timeout, request...
  local name="$1" limit="$2"; shift 2
  echo "== qimeng sw design $* --target cuda --json" >>"$log"
  timeout "$limit" python3 -m ops.cli sw design "$@" --target cuda --json >"$out/sw_design_$name.json" 2>"$out/sw_design_$name.log"
  echo "exit $?" >>"$log"
  run_dir="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_dir"])' "$out/sw_design_$name.json" 2>/dev/null)"
  [ -n "$run_dir" ] && cp "$run_dir/gpu_record.json" "$out/gpu_record_$name.json"
}
design gemm1024 170 "gemm 1024x1024x1024 bf16" --budget 3
design gemm16x4096x14336 120 "gemm 16x4096x14336 bf16" --budget 2
design attn_s4096_d128_causal 170 "attention batch=4 heads=16 seq=4096 dim=128 causal bf16" --budget 3
echo "== pytest tests/agents/test_sw_gpu.py" >>"$log"
timeout 150 python3 -m pytest -q -p no:cacheprovider tests/agents/test_sw_gpu.py >>"$log" 2>&1
echo "exit $?" >>"$log"
