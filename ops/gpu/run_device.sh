#!/usr/bin/env bash
# Run the qimeng GPU kernel suite on a CUDA host: bash ops/gpu/run_device.sh OUTDIR [suite flags]
# Needs python3 with torch (CUDA) and triton; nothing else of qimeng is imported.
# Writes OUTDIR/results.json, OUTDIR/results.md and OUTDIR/log.txt. Flags: --dry-run (CPU, tiny
# shapes), --reps N, --budget-s S (search seconds per problem), --max-plans N, --only PREFIXES.
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: bash ops/gpu/run_device.sh OUTDIR [--dry-run] [--reps N] [--budget-s S]" >&2
  exit 2
fi
out="$1"; shift
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mkdir -p "$out"
py="${PYTHON:-python3}"
nvidia-smi >"$out/nvidia-smi.txt" 2>&1 || true
PYTHONPATH="$here/tools/gpu${PYTHONPATH:+:$PYTHONPATH}" "$py" -u -m kit.suite "$out" "$@" 2>&1 | tee "$out/log.txt"
exit "${PIPESTATUS[0]}"
